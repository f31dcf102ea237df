"""Pictures for the HTML report: the radiograph with the measurement geometry drawn on it."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

POINT_COLOURS = {"P1": (255, 80, 80), "P2": (80, 200, 255), "P3": (120, 255, 120),
                 "P4": (255, 200, 60), "P5": (220, 120, 255)}
LINE = (255, 230, 0)
MEASURE = (0, 230, 230)
MARKER = (255, 120, 0)
ARTEFACT = (255, 40, 160)


def to_display(pixels: np.ndarray, window: tuple[float, float] | None = None) -> np.ndarray:
    """8-bit grey for display: the DICOM window when given, else the 1st-99th percentile range."""
    if window:
        centre, width = window
        lo, hi = centre - width / 2.0, centre + width / 2.0
    else:
        step = max(1, pixels.size // 200_000)
        lo, hi = np.percentile(pixels.ravel()[::step], (1, 99))
    scaled = (pixels.astype(np.float32) - lo) / max(float(hi - lo), 1e-6)
    return (np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8)


def preview(pixels: np.ndarray, window=None, max_side: int = 1100) -> tuple[Image.Image, float]:
    """RGB preview no larger than max_side, and the factor from input pixels to preview pixels."""
    img = Image.fromarray(to_display(pixels, window)).convert("RGB")
    scale = min(1.0, max_side / max(img.size))
    if scale < 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
    return img, scale


class Canvas:
    """Draws in input-pixel coordinates (x = column, y = row) on a scaled preview."""

    def __init__(self, image: Image.Image, scale: float):
        self.image, self.scale = image, scale
        self.draw = ImageDraw.Draw(image)
        self.width = max(2, round(image.width / 350))
        self.font = ImageFont.load_default(size=max(12, image.width // 55))

    def _p(self, xy):
        # Pixel centres: input pixel x covers [x-0.5, x+0.5], preview pixel u covers [u-0.5, u+0.5].
        return ((xy[0] + 0.5) * self.scale - 0.5, (xy[1] + 0.5) * self.scale - 0.5)

    def line(self, a, b, colour=LINE, dashed=False):
        a, b = self._p(a), self._p(b)
        if not dashed:
            self.draw.line([a, b], fill=colour, width=self.width)
            return
        n = max(1, int(np.hypot(b[0] - a[0], b[1] - a[1]) / (4 * self.width)))
        for i in range(0, n, 2):
            t0, t1 = i / n, min(1.0, (i + 1) / n)
            self.draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                            (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)],
                           fill=colour, width=self.width)

    def point(self, xy, label, colour):
        x, y = self._p(xy)
        r = 3 * self.width
        self.draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=self.width)
        self.text((xy[0], xy[1]), f" {label}", colour, offset=(r, -r))

    def text(self, xy, text, colour=(255, 255, 255), offset=(0, 0)):
        x, y = self._p(xy)
        self.draw.text((x + offset[0], y + offset[1]), text, fill=colour, font=self.font,
                       stroke_width=2, stroke_fill=(0, 0, 0))

    def box(self, bbox, colour=MARKER):
        x0, y0 = self._p(bbox[:2])
        x1, y1 = self._p(bbox[2:])
        self.draw.rectangle([x0, y0, x1, y1], outline=colour, width=self.width)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG", compress_level=1)  # speed over size: a report, not an archive
        return buf.getvalue()


def _draw_angle(c: Canvas, shape):
    a, vertex, b = shape["points"]
    c.line(vertex, a)
    c.line(vertex, b)
    c.text(vertex, shape["label"], LINE, offset=(8, 20))


def _draw_angle_to_vertical(c: Canvas, shape):
    a, vertex, foot = shape["points"]
    c.line(vertex, a)
    c.line(vertex, foot, MEASURE, dashed=True)
    # beside the middle of the line, clear of a vertex angle that may share its vertex (LAT1, LAT2)
    c.text(((a[0] + vertex[0]) / 2, (a[1] + vertex[1]) / 2), shape["label"], LINE, offset=(8, -40))


def _draw_edge_distance(c: Canvas, shape):
    # unlabelled: the table gives the distance, and a text at every edge would hide the anatomy
    c.line(*shape["points"], MEASURE, dashed=True)


WRIST_SHAPES = {"angle": _draw_angle, "angle_to_vertical": _draw_angle_to_vertical, "line": _draw_edge_distance}


def draw_wrist(pixels, report: dict, window=None, artefact_heatmap=None) -> bytes:
    """Keypoints, the geometry each layout item measured (its angles, the vertical they are measured
    against, edge distances), the marker box and, when a foreign body is reported, the classifier's
    heatmap where it is above one half."""
    rows, cols = pixels.shape
    image, scale = preview(pixels, window)
    artefact = report.get("artefact") or {}
    if artefact.get("present") and artefact_heatmap is not None:
        image = _blend(image, artefact_heatmap >= 0.5, ARTEFACT)
    c = Canvas(image, scale)
    c.line((cols / 2 - 0.5, -0.5), (cols / 2 - 0.5, rows - 0.5), (90, 90, 90), dashed=True)
    c.line((-0.5, rows / 2 - 0.5), (cols - 0.5, rows / 2 - 0.5), (90, 90, 90), dashed=True)
    for item in report.get("items", []):      # how each layout task measured, from the rules
        for shape in item.get("geometry", []):
            WRIST_SHAPES[shape["kind"]](c, shape)
    for name, point in sorted(report.get("keypoints", {}).items()):
        if point.get("xy") is not None:
            conf = point.get("confidence")
            label = name if conf is None else f"{name} {conf:.2f}"
            c.point(point["xy"], label, POINT_COLOURS.get(name, (255, 255, 255)))
    marker = report.get("marker") or {}
    if marker.get("found"):
        c.box(marker["bbox"])
        c.text(marker["bbox"][:2], f"marker {marker.get('letter') or '?'}", MARKER, offset=(0, -24))
    if artefact.get("present"):
        c.text(artefact["peak_xy"], f"foreign body? p={artefact['probability']:.2f}", ARTEFACT)
    return c.png()


def _blend(image: Image.Image, mask: np.ndarray, colour, alpha: float = 0.35) -> Image.Image:
    small = Image.fromarray(mask.astype(np.uint8) * round(255 * alpha)).resize(image.size, Image.NEAREST)
    return Image.composite(Image.new("RGB", image.size, tuple(colour)), image, small)


def draw_lumbar(pixels, masks, result, window=None) -> bytes:
    """Segmentation overlaid (one colour per structure), each vertebra named at its centroid."""
    from ..lumbar.labels import STRUCTURES

    image, scale = preview(pixels, window)
    for name, mask in masks.structures.items():
        if name != "vertebrae" and name in STRUCTURES and mask.any():
            image = _blend(image, mask, STRUCTURES[name].colour)
    c = Canvas(image, scale)
    colour = STRUCTURES["vertebrae"].colour
    for v in result.vertebrae:
        c.box(v.bbox, colour)
        c.text((v.bbox[2], v.centroid[1]), f" {v.label or '?'}", colour)
    for rule in result.rules:       # how each rule measured: spine edges, centre lines, IAP line
        for shape in rule.geometry:
            points = shape["points"]
            if shape["kind"] == "line":
                c.line(points[0], points[-1], MEASURE, dashed=shape["label"].startswith("spine"))
                if not shape["label"].startswith("spine"):
                    c.text(points[-1], shape["label"], MEASURE, offset=(4, 0))
            else:           # unlabelled: the vertebra's own label is beside it
                c.point(points[0], "", MEASURE)
    return c.png()

"""Foreign bodies and lead L/R markers, with exact masks.

Artefacts are radiopaque 3D solids (metal, plaster) built in the wrist anatomy frame (left hand,
PA: x radial, y proximal, z dorsal, mm) so they move with the hand and are projected with it:
ring, watch, bracelet, buttons, zip, splint, cast, implant (volar plate and screws). Markers are
lead letters lying on the detector (magnification 1), drawn from a font or as strokes, added to
the line integrals before exposure; a marker placed across the field edge is cut.

`composite_artefact(image, rng, kind=None)` puts either onto a real image array (bone bright),
for training an artefact / marker classifier on real anatomy.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import gaussian_filter

from .parts import MU_METAL
from .scene import Projection, Structure, render
from .shapes import Cylinder, frame_along, rot_z

ARTEFACT_KINDS = ("ring", "watch", "bracelet", "buttons", "zip", "splint", "cast", "implant")
MARKER = "marker"
MU_PLASTER = 0.045        # 1/mm, excess over soft tissue (a cast or plaster splint)
MU_ALUMINIUM = 0.11
MU_TITANIUM = 0.45
MU_LEAD_LAYER = 4.0       # mu * thickness of a 1 mm lead letter: opaque at any kVp
MARKER_FONTS = ("sans", "stroke", "bold-stroke")


def _tube(centre, axis, radii, half, wall, mu, name, label, roll=0.0):
    """Hollow elliptic tube (a ring, band or cast) along `axis`: outer minus inner solid."""
    frame = frame_along(axis, roll)
    outer = Cylinder(centre, (radii[0], half, radii[1]), frame)
    inner = Cylinder(centre, (radii[0] - wall, half, radii[1] - wall), frame)
    return Structure(name, [outer], [inner], mu, 0.0, "metal", label)


def _disc(centre, radius, thickness, mu, name, label, holes=0, rng=None):
    """Flat disc with its face towards the beam (a button, a watch case); optional holes."""
    inner = []
    for k in range(holes):
        a = 2 * np.pi * k / max(holes, 1) + (rng.uniform(0, np.pi) if rng is not None else 0.0)
        c = np.asarray(centre) + 0.35 * radius * np.array([np.cos(a), np.sin(a), 0.0])
        inner.append(Cylinder(c, (0.18 * radius, thickness, 0.18 * radius),
                              frame_along((0, 0, 1))))
    outer = [Cylinder(centre, (radius, thickness / 2, radius), frame_along((0, 0, 1)))]
    return Structure(name, outer, inner, mu, 0.0, "metal", label)


def wrist_artefact(kind: str, rng, hand: dict) -> list[Structure]:
    """Solids of one artefact in the anatomy frame; `hand` gives finger axes for a ring:
    {"finger_base": (3,), "finger_dir": (3,)} of a proximal phalanx."""
    label = f"artefact_{kind}"
    u = rng.uniform
    if kind == "ring":
        c = np.asarray(hand["finger_base"]) + hand["finger_dir"] * u(6.0, 14.0)
        r = u(8.5, 10.5)
        return [_tube(c, hand["finger_dir"], (r, r * 0.9), u(1.5, 3.5), u(1.2, 2.2),
                      MU_METAL * u(0.7, 1.0), kind, label)]
    if kind in ("watch", "bracelet"):
        y = u(30.0, 45.0)
        band = _tube((-3.0, y, 1.0), (0, 1, 0), (31.0, 22.0), u(2.0, 9.0) if kind == "watch"
                     else u(1.5, 4.0), u(1.0, 2.5), MU_METAL * u(0.3, 0.9), kind, label)
        if kind == "bracelet":
            return [band]
        case = _disc((-3.0 + u(-4, 4), y, 24.5), u(15.0, 21.0), u(6.0, 10.0),
                     MU_METAL * u(0.5, 0.9), "watch_case", label)
        case.inner = [s.shrunk(1.5) for s in case.outer]
        return [band, case]
    if kind == "buttons":
        y0, side = u(40.0, 90.0), rng.choice([-1.0, 1.0])
        return [_disc((u(-20, 15), y0 + k * u(20, 35), side * u(24, 30)), u(4.0, 8.0), 2.0,
                      MU_METAL * u(0.1, 0.6), f"button{k}", label, int(rng.choice([0, 2, 4])),
                      rng) for k in range(int(rng.integers(1, 4)))]
    if kind == "zip":
        x, y0, z = u(-25, 20), u(50.0, 90.0), rng.choice([-1.0, 1.0]) * u(24, 30)
        teeth = [Cylinder((x + (1.6 if k % 2 else -1.6), y0 + 2.2 * k, z), (2.2, 0.8, 1.0))
                 for k in range(int(rng.integers(25, 50)))]
        slider = Cylinder((x, y0 - 6.0, z), (4.5, 6.0, 2.0))
        return [Structure("zip", teeth, [], MU_METAL * 0.6, 0.0, "metal", label),
                Structure("zip_slider", [slider], [], MU_METAL * 0.6, 0.0, "metal", label)]
    if kind == "splint":
        mu = MU_ALUMINIUM if rng.random() < 0.5 else MU_PLASTER * 1.5
        plate = Cylinder((u(-8, 2), u(40, 70), -u(22, 26)), (u(16, 22), u(90, 120), u(1.5, 3.0)))
        return [Structure("splint", [plate], [], mu, 0.0, "metal", label)]
    if kind == "cast":
        return [_tube((-3.0, u(40, 70), 1.0), (0, 1, 0), (u(38, 44), u(28, 33)), u(90, 130),
                      u(5.0, 8.0), MU_PLASTER * u(0.8, 1.2), kind, label)]
    if kind == "implant":
        x, y0 = u(6.0, 11.0), u(8.0, 14.0)
        length = u(35.0, 55.0)
        plate = Cylinder((x, y0 + length / 2, -11.5), (u(4.0, 6.0), length / 2, 1.0),
                         rot_z(u(-6, 6)))
        screws = [Cylinder((x + u(-2, 2), y0 + 4 + k * (length - 8) / 3, -2.0),
                           (1.4, 11.0, 1.4), frame_along((0, 0, 1)))
                  for k in range(int(rng.integers(2, 5)))]
        mu = MU_TITANIUM if rng.random() < 0.5 else MU_METAL
        return [Structure("implant_plate", [plate], [], mu, 0.0, "metal", label)] + [
            Structure(f"screw{k}", [s], [], mu, 0.0, "metal", label) for k, s in enumerate(screws)]
    raise ValueError(f"unknown artefact {kind!r}; choose one of {', '.join(ARTEFACT_KINDS)}")


# --------------------------------------------------------------------------------------------
# lead markers


_STROKES = {"L": [[(0.0, 0.0), (0.0, 1.0), (0.62, 1.0)]],
            "R": [[(0.0, 1.0), (0.0, 0.0), (0.42, 0.0), (0.62, 0.12), (0.66, 0.27), (0.62, 0.4),
                   (0.42, 0.5), (0.0, 0.5)], [(0.3, 0.5), (0.66, 1.0)]]}


def letter_coverage(letter: str, height_px: float, font: str, angle_deg: float,
                    supersample: int = 4) -> np.ndarray:
    """Fraction of each pixel covered by the letter (float, 0..1), upright letter turned by
    `angle_deg` (counter-clockwise), tightly cropped."""
    h = max(int(round(height_px * supersample)), 8)
    canvas = Image.new("L", (3 * h, 3 * h), 0)
    draw = ImageDraw.Draw(canvas)
    if font == "sans":
        face = ImageFont.load_default(size=int(h * 1.35))
        box = draw.textbbox((0, 0), letter, font=face)
        draw.text((1.5 * h - (box[0] + box[2]) / 2, 1.5 * h - (box[1] + box[3]) / 2), letter,
                  fill=255, font=face)
    else:
        width = max(int(h * (0.26 if font == "bold-stroke" else 0.18)), 1)
        for stroke in _STROKES[letter]:
            pts = [(h + 0.2 * h + x * h * 0.9, h + y * h * 0.9 + 0.05 * h) for x, y in stroke]
            draw.line(pts, fill=255, width=width, joint="curve")
            for x, y in (pts[0], pts[-1]):
                draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2),
                             fill=255)
    canvas = canvas.rotate(angle_deg, resample=Image.BILINEAR)
    arr = np.asarray(canvas, np.float32) / 255.0
    rows, cols = np.nonzero(arr > 0.02)
    arr = arr[rows.min() // supersample * supersample:(rows.max() // supersample + 1) * supersample,
              cols.min() // supersample * supersample:(cols.max() // supersample + 1) * supersample]
    r, c = arr.shape[0] // supersample, arr.shape[1] // supersample
    return arr.reshape(r, supersample, c, supersample).mean(axis=(1, 3))


def marker_layer(shape, pixel_mm: float, rng, letter: str | None = None, *,
                 avoid: np.ndarray | None = None, cut_rate: float = 0.15,
                 over_anatomy_rate: float = 0.2):
    """A lead letter on the detector: (mu*L image, exact letter mask, info).

    info: letter, font, height_mm, angle_deg, bbox (x0, y0, x1, y1) of the letter's visible
    pixels (inclusive), complete (False when the field edge cuts the letter). `avoid`: bool
    image of anatomy; the marker goes beside it unless it is placed over it on purpose."""
    letter = letter or str(rng.choice(["L", "R"]))
    font = str(rng.choice(MARKER_FONTS))
    height_mm = float(rng.uniform(10.0, 18.0))
    angle = float(rng.choice([0.0, 0.0, 0.0, 90.0, -90.0]) + rng.normal(0.0, 6.0))
    cover = letter_coverage(letter, height_mm / pixel_mm, font, angle)
    h, w = cover.shape
    rows, cols = shape
    cut = rng.random() < cut_rate
    over = avoid is not None and rng.random() < over_anatomy_rate
    top, left = _marker_place(rows, cols, h, w, rng, cut, None if over else avoid)
    layer = np.zeros(shape)
    mask = np.zeros(shape, bool)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, rows), min(left + w, cols)
    patch = cover[r0 - top:r1 - top, c0 - left:c1 - left]
    layer[r0:r1, c0:c1] += MU_LEAD_LAYER * patch
    mask[r0:r1, c0:c1] = patch >= 0.5
    found_r, found_c = np.nonzero(mask)
    full = int((cover >= 0.5).sum())
    info = {"letter": letter, "font": font, "height_mm": round(height_mm, 2),
            "angle_deg": round(angle, 1), "over_anatomy": bool(over),
            "complete": bool(found_r.size == full and full > 0),
            "bbox": ([int(found_c.min()), int(found_r.min()), int(found_c.max()),
                      int(found_r.max())] if found_r.size else None)}
    return layer, mask, info


def _marker_place(rows, cols, h, w, rng, cut, avoid):
    """Top-left corner: across an edge when `cut`, else inside with a margin, off `avoid`."""
    margin = 4
    if cut:
        edge = rng.integers(4)
        top = int(rng.integers(margin, max(rows - h - margin, margin + 1)))
        left = int(rng.integers(margin, max(cols - w - margin, margin + 1)))
        shift = int(rng.uniform(0.25, 0.6) * (h if edge < 2 else w))
        if edge == 0:
            top = -shift
        elif edge == 1:
            top = rows - h + shift
        elif edge == 2:
            left = -shift
        else:
            left = cols - w + shift
        return top, left
    best = None
    for _ in range(20):
        top = int(rng.integers(margin, max(rows - h - margin, margin + 1)))
        left = int(rng.integers(margin, max(cols - w - margin, margin + 1)))
        if avoid is None:
            return top, left
        hit = avoid[max(top - 6, 0):top + h + 6, max(left - 6, 0):left + w + 6].mean()
        if best is None or hit < best[0]:
            best = (hit, top, left)
        if hit == 0:
            break
    return best[1], best[2]


# --------------------------------------------------------------------------------------------
# compositing onto real images


def composite_artefact(image: np.ndarray, rng, kind: str | None = None, *,
                       pixel_mm: float | None = None, centre=None):
    """Put one artefact or lead marker onto a real bone-bright image: (image, mask, info).

    kind: one of ARTEFACT_KINDS or "marker" (default: drawn at random). pixel_mm: size of a
    pixel (default: the image's long side spans 250 mm, a hand / wrist field). centre: (x, y)
    pixel the artefact is centred on (default: random, in the middle half of the image).
    The artefact's line integral is rendered on the image grid (orthographic, with the same
    solids as the simulator) and darkens the transmitted intensity: in a bone-bright image a
    fully opaque object reaches the image maximum. mask: exact, bool, pixels the object covers.
    """
    img = np.asarray(image, np.float32)
    if img.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {img.shape}")
    rows, cols = img.shape
    kind = kind or str(rng.choice(ARTEFACT_KINDS + (MARKER,)))
    pixel_mm = pixel_mm or 250.0 / max(rows, cols)
    if kind == MARKER:
        integral, mask, info = marker_layer(img.shape, pixel_mm, rng)
    else:
        integral, mask = _artefact_on_grid(kind, img.shape, pixel_mm, rng, centre)
        info = {}
    lo, hi = float(np.percentile(img, 0.5)), float(img.max())
    # partial-volume edge as the image's own sharpness, opacity from the line integral
    opacity = gaussian_filter(1.0 - np.exp(-integral), 0.6)
    out = img + (hi - img) * opacity * (hi - lo) / max(hi - lo, 1e-6)
    info.update(kind=kind, pixel_mm=pixel_mm, area_px=int(mask.sum()))
    return out.astype(np.float32), mask, info


def _artefact_on_grid(kind, shape, pixel_mm, rng, centre):
    """Line integral (mu*L) and mask of an artefact on a rows x cols grid, turned at random."""
    rows, cols = shape
    proj = Projection(sid_mm=1e5, pixel_mm=pixel_mm, rows=rows, cols=cols)   # ~parallel
    if centre is None:
        centre = (rng.uniform(0.25, 0.75) * cols, rng.uniform(0.25, 0.75) * rows)
    finger = {"finger_base": np.zeros(3), "finger_dir": np.array([0.0, -1.0, 0.0])}
    solids = wrist_artefact(kind, rng, finger)
    anchor = np.mean([s.center for st in solids for s in st.outer], axis=0)
    turn = rot_z(rng.uniform(-30.0, 30.0) + (180.0 if rng.random() < 0.5 else 0.0))
    target = proj.unproject((centre[0], centre[1]), 0.0)
    offset = target - turn @ anchor
    offset[2] = 40.0
    li = render([st.transformed(turn, offset) for st in solids], proj)
    mask = li.masks.get(f"artefact_{kind}", np.zeros(shape, bool))
    return li.metal, mask

"""L/R lead-marker detection.

The spec's classical method (binarise, close, connected components, compare each at 64x64 with L
and R templates, similarity > threshold), made robust:

* Candidates come from a block-averaged copy of the image thresholded at several levels, for
  bright letters and for dark letters on a bright plate (inverted image), so a lead letter lying
  on bone or on a plate separates from its surroundings at some level.
* A component counts only if it has a marker's size (physical size when the spacing is known, a
  fraction of the image otherwise), a letter-like box and fill, and does not touch the image
  border: a marker cut by the edge is not complete, so it is not reported (the spec scores only
  a complete marker).
* Each candidate is re-segmented at full resolution halfway between the letter and the brightest
  of its immediate surroundings; it must stand out by a high contrast with a sharp edge (lead),
  and not run into a larger structure (bone, collimation edge).
* Shapes are compared by skeletons: the letter is scaled to 64x64, thinned, spur-pruned, turned
  by its measured tilt and stretched to a square, then scored against the centre lines of L and R
  (stroke geometry, so nothing depends on fonts) in every quarter turn and, for R, mirror image.
  The score is a tolerant chamfer match that punishes extra strokes and missing ones, and does
  not depend on stroke weight.

For an L the mirror image equals a quarter turn once stretched to a square; the two are told apart
by the letter's aspect (the stem is longer than the foot).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

GRID = 64  # side of the normalised letter image, as in the source method
_LETTERS = ("L", "R")
_DESKEW_STEP = 4.0  # degrees either side of the measured tilt
# Chamfer credit: full within _NEAR grid pixels of the other skeleton, none beyond _FAR.
_NEAR, _FAR = 2.5, 7.0
_PRUNE = 3  # grid pixels, at least
_MIN_EXTENT = 0.25 * (GRID - 1)  # thinner skeletons are lines, not letters


def _arc(cx, cy, r, start_deg, stop_deg, n=12):
    angles = np.radians(np.linspace(start_deg, stop_deg, n))
    return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]


def _bowl(right, middle):
    r = middle / 2.0
    return [(0.0, 0.0), (right - r, 0.0)] + _arc(right - r, r, r, -90, 90) + [(0.0, middle)]


# Centre lines of bold sans-serif letters in a unit-height box (x right, y down), one polyline per
# stroke, one tuple of strokes per letter style. R: leg from the middle of the bowl
# (Helvetica-like) or from its end (DejaVu-like).
_STEM = [(0.0, 0.0), (0.0, 1.0)]
_STROKES = {
    "L": ((_STEM, [(0.0, 1.0), (0.6, 1.0)]),),
    "R": ((_STEM, _bowl(0.68, 0.52), [(0.3, 0.52), (0.72, 1.0)]),
          (_STEM, _bowl(0.75, 0.53), [(0.55, 0.53), (0.7, 1.0)])),
}


@dataclass
class MarkerResult:
    """Outcome of the marker search; coordinates are pixels of the input image, x = column."""

    found: bool
    letter: str | None
    similarity: float
    bbox: tuple[int, int, int, int] | None  # (x0, y0, x1, y1) of the letter, inclusive
    centre: tuple[float, float] | None
    candidates: int
    rotation: int | None = None  # degrees clockwise from upright: 0, 90, 180, 270
    mirrored: bool | None = None
    polarity: str | None = None  # "bright" (lead letter) or "dark" (letter on a bright plate)
    height_mm: float | None = None

    def to_dict(self) -> dict:
        return {
            "found": self.found,
            "letter": self.letter,
            "similarity": round(float(self.similarity), 4),
            "bbox": None if self.bbox is None else [int(v) for v in self.bbox],
            "centre": None if self.centre is None else [round(float(v), 2) for v in self.centre],
            "candidates": int(self.candidates),
            "rotation": self.rotation,
            "mirrored": self.mirrored,
            "polarity": self.polarity,
            "height_mm": None if self.height_mm is None else round(float(self.height_mm), 2),
        }


@dataclass
class _Match:
    letter: str
    similarity: float
    rotation: int
    mirrored: bool


# ---------------------------------------------------------------- shape signatures and templates

def _skeletons(mask: np.ndarray) -> list[np.ndarray]:
    """Skeleton points (row, col) of a mask whose box is scaled, aspect kept, to GRID x GRID.

    Thick strokes leave corner spurs about as long as the stroke's half-width; thin ones leave
    short spurs. Both prunings are returned (one if they coincide) and the better match is kept.
    """
    # Here, not at the top: Slicer imports this module before its dependency check has run.
    from skimage.morphology import skeletonize

    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(crop.shape)
    square = np.zeros((side, side), bool)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    index = ((np.arange(GRID) + 0.5) * side / GRID).astype(int)
    small = np.pad(square[np.ix_(index, index)], 1)
    skeleton = skeletonize(small)
    half_width = ndimage.distance_transform_edt(small)[skeleton].max(initial=0.0)
    steps = sorted({_PRUNE, max(_PRUNE, int(math.ceil(half_width)))})
    return [np.argwhere(_prune(skeleton, n)).astype(float) - 1.0 for n in steps]


def _prune(skeleton: np.ndarray, steps: int) -> np.ndarray:
    """Shorten every branch end by `steps` pixels; spurs shorter than that vanish."""
    ring = np.ones((3, 3))
    ring[1, 1] = 0
    for _ in range(steps):
        skeleton = skeleton & (_neighbours(skeleton, ring) > 1)
    return skeleton


def _neighbours(mask: np.ndarray, ring: np.ndarray) -> np.ndarray:
    return ndimage.convolve(mask.astype(np.uint8), ring, mode="constant")


def _tilt(mask: np.ndarray) -> float:
    """Dominant stroke direction modulo 90 degrees (degrees, -45..45), from edge orientations."""
    smooth = ndimage.gaussian_filter(mask.astype(np.float32), 1.0)
    g_row, g_col = np.gradient(smooth)
    weight = np.hypot(g_row, g_col)
    quad = np.sum(weight * np.exp(4j * np.arctan2(g_row, g_col)))
    return math.degrees(np.angle(quad)) / 4.0


def _normalise(points: np.ndarray, angle_deg: float) -> np.ndarray | None:
    """Turn skeleton points by a small angle and stretch them onto the GRID square."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    centred = points - (GRID - 1) / 2.0
    turned = np.stack([c * centred[:, 0] - s * centred[:, 1],
                       s * centred[:, 0] + c * centred[:, 1]], axis=1)
    low = turned.min(axis=0)
    extent = turned.max(axis=0) - low
    if len(points) < 8 or extent.min() < _MIN_EXTENT * extent.max() / (GRID - 1):
        return None
    return (turned - low) * ((GRID - 1) / extent)


def _raster(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct grid points and the distance map to them."""
    idx = np.unique(np.clip(np.rint(points), 0, GRID - 1).astype(int), axis=0)
    grid = np.ones((GRID, GRID), bool)
    grid[idx[:, 0], idx[:, 1]] = False
    return idx, ndimage.distance_transform_edt(grid)


def _credit(distances: np.ndarray) -> np.ndarray:
    return np.clip((_FAR - distances) / (_FAR - _NEAR), 0.0, 1.0)


@dataclass(frozen=True)
class _Bank:
    labels: tuple[tuple[str, int, bool], ...]  # (letter, rotation, mirrored) per template
    dist: np.ndarray         # (templates, GRID, GRID): distance to each template's centre lines
    points: np.ndarray       # grid points (row, col) of every stroke of every template
    stroke_starts: np.ndarray  # first point of each stroke in `points`
    template_starts: np.ndarray  # first stroke of each template


def _centre_lines(letter: str, style: int, rotation: int, mirrored: bool):
    """Densely sampled stroke centre lines, turned and stretched onto the GRID square."""
    strokes = []
    for line in _STROKES[letter][style]:
        pts = np.asarray(line, float)
        seg = [np.linspace(p, q, max(2, int(np.hypot(*(q - p)) * 4 * GRID)))
               for p, q in zip(pts[:-1], pts[1:])]
        xy = np.concatenate(seg)
        strokes.append(np.stack([xy[:, 1], -xy[:, 0] if mirrored else xy[:, 0]], axis=1))
    for _ in range(rotation // 90):  # clockwise quarter turn: (row, col) -> (col, -row)
        strokes = [np.stack([s[:, 1], -s[:, 0]], axis=1) for s in strokes]
    every = np.concatenate(strokes)
    low, extent = every.min(axis=0), np.ptp(every, axis=0)
    return [(s - low) * ((GRID - 1) / extent) for s in strokes]


@functools.lru_cache(maxsize=1)
def _templates() -> _Bank:
    """Every style, quarter turn and (for R) mirror image of the two letters.

    A mirrored L is the same stretched shape as a turned L, so L has no mirrored templates.
    """
    labels, dists, strokes, firsts = [], [], [], []
    for letter in _LETTERS:
        for style in range(len(_STROKES[letter])):
            for mirrored in (False, True) if letter == "R" else (False,):
                for rotation in (0, 90, 180, 270):
                    lines = _centre_lines(letter, style, rotation, mirrored)
                    labels.append((letter, rotation, mirrored))
                    dists.append(_raster(np.concatenate(lines))[1])
                    firsts.append(len(strokes))
                    strokes.extend(_raster(line)[0] for line in lines)
    stroke_starts = np.cumsum([0] + [len(s) for s in strokes[:-1]])
    return _Bank(tuple(labels), np.stack(dists), np.concatenate(strokes), stroke_starts,
                 np.asarray(firsts))


def compare_shape(mask: np.ndarray) -> _Match | None:
    """Best match of a letter mask with the L and R templates; None when it is not letter-like.

    Similarity is the smaller of two chamfer credits: how much of the candidate skeleton lies
    near the template's centre lines (extra strokes, as in E, F, B, lower it) and how much of the
    least-covered template stroke lies near the skeleton (a missing stroke, as the leg of a P or
    the foot of an I, lowers it).
    """
    bank = _templates()
    counts = np.diff(np.append(bank.stroke_starts, len(bank.points)))
    tilt = _tilt(mask)
    best = None
    for points, angle in itertools.product(
            _skeletons(mask), (0.0, tilt - _DESKEW_STEP, tilt, tilt + _DESKEW_STEP)):
        norm = _normalise(points, angle) if len(points) else None
        if norm is None:
            continue
        idx, dist = _raster(norm)
        precision = _credit(bank.dist[:, idx[:, 0], idx[:, 1]]).mean(axis=1)
        near = _credit(dist[bank.points[:, 0], bank.points[:, 1]])
        per_stroke = np.add.reduceat(near, bank.stroke_starts) / counts
        recall = np.minimum.reduceat(per_stroke, bank.template_starts)
        scores = np.minimum(precision, recall)
        k = int(np.argmax(scores))
        if best is None or scores[k] > best.similarity:
            best = _Match(bank.labels[k][0], float(scores[k]), bank.labels[k][1], bank.labels[k][2])
    if best is not None and best.letter == "L":
        best = _resolve_l_mirror(best, mask)
    return best


def _resolve_l_mirror(match: _Match, mask: np.ndarray) -> _Match:
    """An L's stem is its long side: a tall shape matched as a lying L is a mirrored upright one."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    tall = (rows[-1] - rows[0]) >= (cols[-1] - cols[0])
    if tall == (match.rotation in (0, 180)):
        return match
    # L mirrored and then turned by r equals L turned by r + 270, hence r = rotation + 90.
    return _Match("L", match.similarity, (match.rotation + 90) % 360, True)


# ---------------------------------------------------------------- search in the image

_WORK_SIZE = 512           # long side of the image used for the candidate search
_LEVELS = np.linspace(0.45, 0.95, 6)  # thresholds, as fractions of the robust intensity range
_SIZE_MM = (6.0, 30.0)     # letter height (long side) when the pixel spacing is known
_SIZE_FRACTION = (0.015, 0.15)  # same, as a fraction of the image's long side, without spacing
_MIN_WORK_PX = 7           # smaller than this on the search grid cannot be told apart
_ASPECT = 0.3              # short side / long side of the letter's box, at least
_FILL = (0.15, 0.75)       # letter area / box area
_MIN_CONTRAST = 0.25       # letter minus surroundings, as a fraction of the intensity range
_MIN_SHARPNESS = 0.7       # area kept at 0.8 of the contrast / area at 0.5: lead is sharp


@dataclass
class _Candidate:
    polarity: str
    box: tuple[int, int, int, int]  # (row0, row1, col0, col1), full-resolution, exclusive ends
    seed: np.ndarray                # component mask on the search grid, inside `box` / factor


def detect_marker(pixels: np.ndarray, spacing_mm: float | None = None,
                  threshold: float = 0.85, *, dark_letters: bool = True) -> MarkerResult:
    """Find a complete L or R lead marker.

    `pixels`: (rows, cols) image, bone and metal bright. `spacing_mm`: pixel size (mm), used to
    keep only marker-sized objects; None falls back to fractions of the image size. `threshold`:
    similarity above which the marker counts as present (from the criteria profile).
    `dark_letters`: also look for dark letters on a bright plate.
    """
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim != 2 or min(image.shape) < 16:
        raise ValueError(f"expected a 2-D image of at least 16x16 pixels, got shape {image.shape}")
    factor = max(1, math.ceil(max(image.shape) / _WORK_SIZE))
    small = _block_mean(image, factor)
    low, high = np.percentile(small[np.isfinite(small)], [0.5, 99.99])
    if not high > low:
        return MarkerResult(False, None, 0.0, None, None, 0)
    scale = (float(low), float(high - low))
    min_px, max_px = _size_limits(image.shape, spacing_mm)
    polarities = ("bright", "dark") if dark_letters else ("bright",)
    candidates = [c for p in polarities
                  for c in _candidates(_unit(small, scale, p), factor, p, min_px, max_px)]
    best = None
    for cand in candidates:
        found = _evaluate(image, scale, cand, factor, min_px, max_px)
        if found is not None and (best is None or found[0].similarity > best[0].similarity):
            best = found
    if best is None:
        return MarkerResult(False, None, 0.0, None, None, len(candidates))
    match, (r0, r1, c0, c1), polarity = best
    height = max(r1 - r0, c1 - c0) + 1
    return MarkerResult(
        found=match.similarity > threshold, letter=match.letter, similarity=match.similarity,
        bbox=(c0, r0, c1, r1), centre=((c0 + c1) / 2.0, (r0 + r1) / 2.0),
        candidates=len(candidates), rotation=match.rotation, mirrored=match.mirrored,
        polarity=polarity, height_mm=None if spacing_mm is None else height * spacing_mm)


def _block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    rows, cols = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:rows, :cols].reshape(rows // factor, factor, cols // factor, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _unit(values: np.ndarray, scale: tuple[float, float], polarity: str) -> np.ndarray:
    """Map the robust range to 0..1 (not clipped: lead may outshine it), letter bright."""
    unit = (values - scale[0]) / scale[1]
    return unit if polarity == "bright" else 1.0 - unit


def _size_limits(shape, spacing_mm):
    """Smallest and largest letter (long side, full-resolution pixels)."""
    if spacing_mm is not None and spacing_mm > 0:
        return _SIZE_MM[0] / spacing_mm, _SIZE_MM[1] / spacing_mm
    return _SIZE_FRACTION[0] * max(shape), _SIZE_FRACTION[1] * max(shape)


def _candidates(unit, factor, polarity, min_px, max_px) -> list[_Candidate]:
    """Letter-sized, letter-shaped components at any threshold level, de-duplicated."""
    lo = max(min_px / factor, _MIN_WORK_PX)
    hi = max_px / factor
    out, seen = [], []
    # A 3x3 closing heals noise gaps; flat closing commutes with thresholding, so one grey
    # closing serves every level.
    closed = ndimage.minimum_filter(ndimage.maximum_filter(unit, 3), 3)
    for level in _LEVELS:
        labels, _ = ndimage.label(closed > level)
        areas = np.bincount(labels.ravel())
        for i, sl in enumerate(ndimage.find_objects(labels), start=1):
            h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
            if not lo <= max(h, w) <= hi or min(h, w) < _ASPECT * max(h, w):
                continue
            if not _FILL[0] <= areas[i] / (h * w) <= _FILL[1]:
                continue
            if sl[0].start == 0 or sl[1].start == 0 or sl[0].stop == unit.shape[0] \
                    or sl[1].stop == unit.shape[1]:
                continue  # cut by the image edge: not a complete marker
            key = (sl[0].start, sl[0].stop, sl[1].start, sl[1].stop)
            if any(_overlap(key, other) > 0.9 for other in seen):
                continue
            seen.append(key)
            box = tuple(v * factor for v in key)
            out.append(_Candidate(polarity, box, labels[sl] == i))
    return out


def _overlap(a, b) -> float:
    """Intersection over union of two (row0, row1, col0, col1) boxes."""
    rows = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    cols = max(0, min(a[3], b[3]) - max(a[2], b[2]))
    inter = rows * cols
    union = (a[1] - a[0]) * (a[3] - a[2]) + (b[1] - b[0]) * (b[3] - b[2]) - inter
    return inter / union


def _evaluate(image, scale, cand, factor, min_px, max_px):
    """Re-segment a candidate at full resolution and compare its shape with the templates."""
    r0, r1, c0, c1 = cand.box
    margin = max(r1 - r0, c1 - c0) // 2 + factor
    top, left = max(0, r0 - margin), max(0, c0 - margin)
    crop = _unit(image[top:min(image.shape[0], r1 + margin),
                       left:min(image.shape[1], c1 + margin)], scale, cand.polarity)
    seed = np.zeros(crop.shape, bool)
    grown = np.kron(cand.seed, np.ones((factor, factor), bool))
    seed[r0 - top:r0 - top + grown.shape[0], c0 - left:c0 - left + grown.shape[1]] = grown
    # The brightest of the letter's immediate surroundings (plate, bone under it) is what it must
    # stand out from; the median of the crop's outer frame would let it merge with a bone.
    near = ndimage.maximum_filter(seed.view(np.uint8), 4 * factor + 3).view(bool) & ~seed
    inside = float(np.median(crop[seed]))
    outside = float(np.percentile(crop[near], 90)) if near.any() else float(crop.min())
    contrast = inside - outside
    if contrast < _MIN_CONTRAST:
        return None
    letter = _component_at(crop > outside + contrast / 2, seed)
    if letter is None:
        return None
    strong = _component_at(crop > outside + 0.8 * contrast, seed)
    if strong is None or strong.sum() < _MIN_SHARPNESS * letter.sum():
        return None
    rows, cols = np.flatnonzero(letter.any(axis=1)), np.flatnonzero(letter.any(axis=0))
    h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if not min_px <= max(h, w) <= max_px or min(h, w) < _ASPECT * max(h, w):
        return None
    match = compare_shape(letter)
    if match is None:
        return None
    bbox = (top + rows[0], top + rows[-1], left + cols[0], left + cols[-1])
    return match, tuple(int(v) for v in bbox), cand.polarity


def _component_at(mask: np.ndarray, seed: np.ndarray) -> np.ndarray | None:
    """The component of `mask` that overlaps `seed` most; None if it reaches the crop's edge."""
    labels, _ = ndimage.label(mask)
    hits = np.bincount(labels[seed & mask])
    if len(hits) < 2:
        return None
    component = labels == int(np.argmax(hits[1:]) + 1)
    if component[0].any() or component[-1].any() or component[:, 0].any() \
            or component[:, -1].any():
        return None
    return component

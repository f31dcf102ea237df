"""Separate vertebral bodies, order them top to bottom and identify their levels.

A binary body mask is split into bodies by connected components (after removing the network's
"vertebra_separation" band when the segmentation has one); fragments smaller than
`min_area_fraction` of the image are dropped. Whatever the input, a body smaller than
`min_area_of_median` times the median body is not a visible vertebra (a sliver cut by the field
edge, a fragment) and is not counted. A component holds several touching bodies when it is larger
than `merged_area_factor` times the median area of its two nearest neighbours (or its one
neighbour), or longer along the spine than `merged_length_factor` times its shape pitch
(`pitch_to_width` of the view times its median cross-section: the spacing a body of that width
has). It holds k = round(its length along the spine / the vertebral pitch) bodies, the pitch being
the median distance between the centres of consecutive single bodies (a merged component also
holds the disc spaces between its bodies, so its area over-counts them), or its shape pitch where
fewer than two single bodies give one (a tilted beam can merge them all). It is cut across the
spine at its waists (narrowest cross-sections); where there is no waist (bodies fused along their
whole width), at equal areas.

Levels, in order of trust:
1. "given": every body has a level name (a reviewer's or the simulator's), in anatomical order;
2. "sacrum" / "pelvis": the sacrum (else the pelvis) is in the field, so the lowest body is L5;
3. "L3": the L3 mask marks one body, the others are counted from it;
4. "partial": some bodies have level names, the others are counted from the lowest named one;
5. "unknown": no level is named.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .labels import LEVELS, level_span


@dataclass
class Vertebra:
    label: str | None
    centroid: tuple[float, float]     # (x, y) = (column, row)
    area_px: int
    bbox: tuple[int, int, int, int]   # (x_min, y_min, x_max, y_max), inclusive pixel indices
    mask: np.ndarray

    def to_dict(self, spacing=None) -> dict:
        out = {"label": self.label, "centroid": [round(self.centroid[0], 3), round(self.centroid[1], 3)],
               "area_px": self.area_px, "bbox": list(self.bbox)}
        if spacing is not None:
            out["area_mm2"] = round(self.area_px * spacing.row_mm * spacing.col_mm, 3)
        return out


@dataclass
class Identification:
    source: str          # "given" | "sacrum" | "pelvis" | "L3" | "partial" | "unknown" | "none"
    explanation: str

    def to_dict(self) -> dict:
        return {"source": self.source, "explanation": self.explanation}


def bounding_box(mask) -> tuple[int, int, int, int]:
    """(x_min, y_min, x_max, y_max) of a non-empty mask, inclusive."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])


def window(bbox, origin=(0, 0)) -> tuple[slice, slice]:
    """(row slice, column slice) of an inclusive (x_min, y_min, x_max, y_max) box, in an image
    whose top-left pixel is the pixel `origin` (x, y)."""
    x0, y0, x1, y1 = bbox
    return slice(y0 - origin[1], y1 + 1 - origin[1]), slice(x0 - origin[0], x1 + 1 - origin[0])


def vertebra_from_mask(label, mask) -> Vertebra:
    # the pixels found in the bounding box: the same, in the same order, as in the whole image
    x0, y0, _, _ = bbox = bounding_box(mask)
    rows, cols = np.nonzero(mask[window(bbox)])
    rows, cols = rows + y0, cols + x0
    return Vertebra(label, (float(cols.mean()), float(rows.mean())), int(rows.size), bbox, mask)


def body_regions(masks, params):
    """((given level or None, mask) per body, number of partial bodies left out); (None, 0) when
    no body mask is provided. Bodies smaller than `min_area_of_median` times the median body
    (slivers cut by the field edge, fragments) are not visible vertebrae and are left out."""
    bodies = masks.vertebrae
    if isinstance(bodies, list):
        regions = [(label, mask) for label, mask in bodies if mask.any()]
    elif bodies is not None and bodies.dtype != bool:
        ids = [int(i) for i in np.unique(bodies) if i != 0]
        regions = [(masks.vertebra_names.get(i), bodies == i) for i in ids]
    else:
        binary = bodies if bodies is not None else masks.structure("vertebrae")
        if binary is None:
            return None, 0
        regions = [(None, part) for part in split_bodies(
            binary, masks.structure("vertebra_separation"), params, masks.view)]
    kept = _visible(regions, params)
    return kept, len(regions) - len(kept)


def _visible(regions, params):
    """The regions (label, mask) with at least `min_area_of_median` times the median area."""
    if not regions:
        return []
    areas = np.array([np.count_nonzero(mask) for _, mask in regions])
    return [r for r, area in zip(regions, areas)
            if area >= params["min_area_of_median"] * np.median(areas)]


def split_bodies(binary, separation, params, view) -> list[np.ndarray]:
    """One mask per vertebral body of a binary body mask (see the module docstring)."""
    from skimage.measure import label
    from skimage.segmentation import expand_labels

    core = binary & ~separation if separation is not None else binary
    ids = label(core, connectivity=1)
    if separation is not None:  # give the separation band back to the nearest body
        ids = expand_labels(ids, distance=max(binary.shape)) * binary
    parts = [ids == i for i in range(1, int(ids.max()) + 1)]
    parts = [p for p in parts if p.sum() >= params["min_area_fraction"] * binary.size]
    if not parts:
        return parts
    areas = np.array([p.sum() for p in parts])
    centres = np.array([np.argwhere(p).mean(axis=0)[::-1] for p in parts])     # (x, y)
    # slivers and fragments are no reference for the size of a body
    usable = areas >= params["min_area_of_median"] * np.median(areas)
    axes = [_axis_at(i, centres, usable) for i in range(len(parts))]
    lengths = np.array([_length_along(p, a) for p, a in zip(parts, axes)])
    # a body's own shape bounds its length: pitch ~ pitch_to_width x its cross-section
    shape_pitch = params["pitch_to_width"][view.upper()] * np.array(
        [_median_width(p, a) for p, a in zip(parts, axes)])
    merged = lengths > params["merged_length_factor"] * shape_pitch
    for i in range(len(parts)):
        near = _neighbours(i, centres, usable)
        if near.size and areas[i] > params["merged_area_factor"] * np.median(areas[near]):
            merged[i] = True
    pitch = _pitch(centres[usable & ~merged])
    out = []
    for i, part in enumerate(parts):
        k = int(round(lengths[i] / (pitch or shape_pitch[i]))) if merged[i] else 1
        out += (cut_at_waists(part, k, axes[i], params["waist_ratio"], params["waist_window"])
                if k >= 2 else [part])
    return out


def with_split_bodies(masks, params):
    """The masks with a binary body mask (a network's, with its separation band) split into one
    mask per vertebral body as the rules split it, so that the bodies a viewer shows and a reviewer
    edits one by one are the bodies the rules count."""
    from .masks import LumbarMasks

    binary = masks.structure("vertebrae")
    if masks.vertebrae is not None or binary is None:
        return masks
    parts = split_bodies(binary, masks.structure("vertebra_separation"), params, masks.view)
    return LumbarMasks(masks.view, masks.shape, [(None, p) for p in parts] or None, masks.structures)


def _pitch(centres):
    """Median distance between consecutive body centres (ordered down the spine), or None."""
    if len(centres) < 2:
        return None
    axis = _spine_axis(centres)
    ordered = centres[np.argsort(centres @ axis)]
    return float(np.median(np.hypot(*np.diff(ordered, axis=0).T)))


def _length_along(mask, axis):
    """Extent of a mask along a unit (x, y) direction, in pixels (pixel ends included)."""
    rows, cols = np.nonzero(mask)
    along = np.stack([cols, rows], axis=1) @ axis
    return float(along.max() - along.min() + 1)


def _neighbours(i, centres, usable):
    """Indices of the (up to) two usable bodies nearest to body i."""
    distance = np.hypot(*(centres - centres[i]).T)
    distance[i] = np.inf
    distance[~usable] = np.inf
    order = np.argsort(distance)[:2]
    return order[np.isfinite(distance[order])]


def _axis_at(i, centres, usable):
    """The spine's direction at body i: through it and its neighbours, or down the image (the
    detector's long side lies along the spine) where it has none."""
    near = _neighbours(i, centres, usable)
    return _spine_axis(centres[np.append(near, i)]) if near.size else np.array([0.0, 1.0])


def _median_width(mask, axis):
    """Median number of pixels per one-pixel slice across `axis`: the cross-section."""
    rows, cols = np.nonzero(mask)
    along = np.stack([cols, rows], axis=1) @ axis
    counts = np.bincount(np.floor(along - along.min()).astype(int))
    return float(np.median(counts[counts > 0]))


def _spine_axis(points):
    """Unit (x, y) direction of the spine through a body and its neighbours, pointing down."""
    axis = np.linalg.eigh(np.cov((points - points.mean(axis=0)).T))[1][:, -1]
    return -axis if axis[1] < 0 else axis


def cut_at_waists(mask, k, axis, waist_ratio, window) -> list[np.ndarray]:
    """Cut `mask` into k parts across `axis` (the spine's direction), each cut at the narrowest
    cross-section near the j/k area quantile, or at the quantile itself where no cross-section is
    narrower than `waist_ratio` times the median cross-section."""
    rows, cols = np.nonzero(mask)
    along = np.stack([cols, rows], axis=1).astype(float) @ axis
    # rounded first so that pixel rows exactly on a bin edge do not fall either way by float error
    bins = np.floor(np.round(along - along.min(), 6)).astype(int)
    counts = np.bincount(bins)
    share = np.cumsum(counts) / counts.sum()
    typical = np.median(counts[counts > 0])
    cuts = []
    for j in range(1, k):
        near = np.nonzero(np.abs(share - j / k) <= window / k)[0]
        waist = near[np.argmin(counts[near])] if near.size else None
        if waist is None or counts[waist] >= waist_ratio * typical:
            waist = int(np.searchsorted(share, j / k))
        cuts.append(waist)
    part = np.searchsorted(np.array(cuts), bins, side="left")
    out = []
    for j in range(k):
        piece = np.zeros_like(mask)
        piece[rows[part == j], cols[part == j]] = True
        if piece.any():
            out.append(piece)
    return out


def identify(regions, masks, anchors: dict[str, float], partial: int = 0
             ) -> tuple[list[Vertebra], Identification]:
    """Vertebrae ordered top to bottom with their levels.

    `anchors`: {"sacrum": min area fraction, "pelvis": min area fraction} above which that
    structure counts as in the field (the presence rules' minima); `partial`: bodies left out."""
    if regions is None:
        return [], Identification("none", "no vertebral-body segmentation given")
    bodies = sorted((vertebra_from_mask(label, mask) for label, mask in regions),
                    key=lambda v: (v.centroid[1], v.centroid[0]))
    if not bodies:
        return [], Identification("none", "no vertebral body found in the segmentation")
    given = [v.label for v in bodies]
    source, labels = _levels(bodies, given, masks, anchors)
    for v, label in zip(bodies, labels):
        v.label = label
    text = _identity_text(source, bodies)
    if partial:
        text += f"; {partial} partial body (field edge or fragment) not counted"
    return bodies, Identification(source, text)


def _levels(bodies, given, masks, anchors):
    n = len(bodies)
    if all(_ordered(given)):
        return "given", given
    for name in ("sacrum", "pelvis"):
        mask = masks.structure(name)
        area = 0 if mask is None else np.count_nonzero(mask)
        if area and area >= anchors[name] * mask.size:
            return name, _counted(n, n - 1, "L5")
    l3 = masks.structure("L3")
    if l3 is not None and l3.any():
        overlap = [(v.mask & l3).sum() for v in bodies]
        if max(overlap) > 0:
            return "L3", _counted(n, int(np.argmax(overlap)), "L3")
    named = [i for i, label in enumerate(given) if label in LEVELS]
    if named:
        return "partial", _counted(n, named[-1], given[named[-1]])
    return "unknown", [None] * n


def _ordered(labels):
    """Per label: known level, strictly below the previous one (all True = a usable given set)."""
    index = [LEVELS.index(label) if label in LEVELS else None for label in labels]
    return [i is not None and (k == 0 or (index[k - 1] is not None and i > index[k - 1]))
            for k, i in enumerate(index)]


def _counted(n, anchor_index, anchor_level):
    """Levels of n consecutive bodies when body `anchor_index` is `anchor_level`."""
    base = LEVELS.index(anchor_level) - anchor_index
    return [LEVELS[base + i] if 0 <= base + i < len(LEVELS) else None for i in range(n)]


def _identity_text(source, bodies):
    labels = [v.label for v in bodies]
    basis = {"given": "levels as named in the segmentation",
             "sacrum": "sacrum in the field: the lowest body is L5",
             "pelvis": "pelvis in the field (no sacrum segmented): the lowest body is taken as L5",
             "L3": "levels counted from the body under the L3 mask",
             "partial": "levels counted from the lowest named body",
             "unknown": "levels unknown: no sacrum, pelvis, L3 mask or named body"}[source]
    if labels[0] and labels[-1]:
        return f"{level_span(labels[0], labels[-1])} visible ({len(bodies)} vertebrae); {basis}"
    return f"{len(bodies)} vertebrae visible; {basis}"

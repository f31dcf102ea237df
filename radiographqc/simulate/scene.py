"""Point-source projection geometry and the line-integral renderer.

World frame (mm): the detector is the plane z = 0, x runs along image columns, y along image
rows (down), z towards the focal spot, which sits at (0, 0, SID) above the field centre (the
central ray). The image is the collimated field: pixel (col, row) has its centre at
x = (col - (cols - 1) / 2) * pixel_mm, y = (row - (rows - 1) / 2) * pixel_mm.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np



@dataclass(frozen=True)
class Projection:
    sid_mm: float
    pixel_mm: float          # imager pixel pitch at the detector
    rows: int
    cols: int

    @property
    def source(self) -> np.ndarray:
        return np.array([0.0, 0.0, self.sid_mm])

    def project(self, points) -> np.ndarray:
        """Pixel coordinates (col, row) of 3D points (n, 3): magnification SID / (SID - z)."""
        p = np.atleast_2d(np.asarray(points, float))
        scale = self.sid_mm / (self.sid_mm - p[:, 2])
        col = p[:, 0] * scale / self.pixel_mm + (self.cols - 1) / 2
        row = p[:, 1] * scale / self.pixel_mm + (self.rows - 1) / 2
        return np.column_stack([col, row])

    def unproject(self, pixel, z_mm: float) -> np.ndarray:
        """The 3D point at height `z_mm` that projects onto pixel (col, row)."""
        col, row = pixel
        shrink = (self.sid_mm - z_mm) / self.sid_mm
        x = (col - (self.cols - 1) / 2) * self.pixel_mm * shrink
        y = (row - (self.rows - 1) / 2) * self.pixel_mm * shrink
        return np.array([x, y, z_mm])

    def pixel_box(self, corners, pad: int = 1):
        """Row/column slice of the image that covers the projection of a set of 3D points."""
        pix = self.project(corners)
        c0 = max(int(np.floor(pix[:, 0].min())) - pad, 0)
        c1 = min(int(np.ceil(pix[:, 0].max())) + pad + 1, self.cols)
        r0 = max(int(np.floor(pix[:, 1].min())) - pad, 0)
        r1 = min(int(np.ceil(pix[:, 1].max())) + pad + 1, self.rows)
        if c0 >= c1 or r0 >= r1:
            return None
        return slice(r0, r1), slice(c0, c1)

    def ray_grid(self, box):
        """Ray directions from the source to the pixel centres of `box`, as broadcastable parts."""
        rows, cols = box
        dx = (np.arange(cols.start, cols.stop) - (self.cols - 1) / 2)[None, :] * self.pixel_mm
        dy = (np.arange(rows.start, rows.stop) - (self.rows - 1) / 2)[:, None] * self.pixel_mm
        return dx, dy, -self.sid_mm


@dataclass
class Structure:
    """One anatomical (or foreign) object: an outer union of shapes and optionally an inner one.

    Attenuation along a ray = mu * L(outer) + (mu_inner - mu) * L(inner): a bone is a dense
    cortex shell around a lighter trabecular core. `mu` values are the excess over the soft
    tissue the object displaces (soft tissue itself has `background` = True).
    """

    name: str
    outer: list
    inner: list = field(default_factory=list)
    mu: float = 0.0          # 1/mm at the reference energy (60 kVp)
    mu_inner: float = 0.0
    kind: str = "bone"       # "bone" | "soft" | "metal"
    label: str | None = None  # mask label this structure contributes to
    # Bones of one group (e.g. the carpus) are simple shapes that intersect a little where real
    # bones only touch: within a group the line integrals combine by maximum, not by sum, so the
    # intersections do not show as bright seams.
    group: str | None = None

    def transformed(self, matrix, offset=(0.0, 0.0, 0.0)):
        return self.reshaped(lambda s: s.transformed(matrix, offset))

    def reshaped(self, change):
        """Copy with `change(shape)` applied to every outer and inner shape."""
        return Structure(self.name, [change(s) for s in self.outer],
                         [change(s) for s in self.inner], self.mu, self.mu_inner, self.kind,
                         self.label, self.group)

    def corners(self) -> np.ndarray:
        return np.vstack([s.corners() for s in self.outer])


@dataclass
class LineIntegrals:
    """Per-pixel sums of mu * length, split by material so exposure can weight them by kVp."""

    soft: np.ndarray
    cortex: np.ndarray
    trabecular: np.ndarray
    metal: np.ndarray
    masks: dict[str, np.ndarray]   # structure label -> bool image (the ray meets the structure)


def ray_span(shapes, proj: Projection, box):
    """First entry and last exit parameters (t) of each ray of `box` over `shapes` (inf, -inf
    where the ray misses), and the ray length per unit t."""
    dx, dy, dz = proj.ray_grid(box)
    first = np.full((dy.shape[0], dx.shape[1]), np.inf)
    last = np.full_like(first, -np.inf)
    for s in shapes:
        sb = proj.pixel_box(s.corners())
        if sb is None:
            continue
        rows = slice(max(sb[0].start, box[0].start), min(sb[0].stop, box[0].stop))
        cols = slice(max(sb[1].start, box[1].start), min(sb[1].stop, box[1].stop))
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        local = (slice(rows.start - box[0].start, rows.stop - box[0].start),
                 slice(cols.start - box[1].start, cols.stop - box[1].start))
        t0, t1 = s.interval(proj.source, dx[:, local[1]], dy[local[0], :], dz)
        hit = t1 > t0
        first[local] = np.where(hit, np.minimum(first[local], t0), first[local])
        last[local] = np.where(hit, np.maximum(last[local], t1), last[local])
    return first, last, np.sqrt(dx * dx + dy * dy + dz * dz)


def chord_length(shapes, proj: Projection, box) -> np.ndarray:
    """Length in mm of each ray of `box` inside the solid made of `shapes`.

    The solid's span along a ray is taken from the first entry to the last exit over its
    shapes: exact for the overlapping, contiguous pieces a structure is made of (a bone's
    shaft, base and head; a body's soft tissue); separate objects are separate structures.
    """
    first, last, unit = ray_span(shapes, proj, box)
    return np.where(last > first, last - first, 0.0) * unit


def union_length(spans) -> np.ndarray:
    """Length (in t) of the union of per-ray intervals [(first, last), ...] of several solids."""
    t0 = np.stack([f for f, _ in spans])
    t1 = np.stack([l for _, l in spans])
    order = np.argsort(t0, axis=0)
    t0, t1 = np.take_along_axis(t0, order, 0), np.take_along_axis(t1, order, 0)
    total = np.zeros(t0.shape[1:])
    reach = np.full(t0.shape[1:], -np.inf)
    for a, b in zip(t0, t1):
        valid = b > a
        total += np.where(valid, np.maximum(b - np.maximum(a, reach), 0.0), 0.0)
        reach = np.where(valid, np.maximum(reach, b), reach)
    return total


def _box_of(structures, proj):
    return proj.pixel_box(np.vstack([st.corners() for st in structures]))


def render(structures, proj: Projection, want_masks=True) -> LineIntegrals:
    """Exact line integrals of all structures, each evaluated only inside its projected box.

    Bones of one `group` are rendered as the union of their solids (outer and inner each), so
    where two of them intersect the overlap counts once.
    """
    shape = (proj.rows, proj.cols)
    out = LineIntegrals(np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape), {})
    groups: dict[str, list] = {}
    for st in structures:
        if st.group is not None and st.kind == "bone":
            groups.setdefault(st.group, []).append(st)
            continue
        box = proj.pixel_box(st.corners())
        if box is None:
            continue
        outer = chord_length(st.outer, proj, box)
        inner = chord_length(st.inner, proj, box) if st.inner else 0.0
        if st.kind == "soft":
            out.soft[box] += st.mu * outer
        elif st.kind == "metal":   # a hollow object (ring, tube, button holes): outer - inner
            out.metal[box] += st.mu * (outer - inner)
        else:
            out.cortex[box] += st.mu * (outer - inner)
            out.trabecular[box] += st.mu_inner * inner
        if want_masks and st.label is not None:
            _add_mask(out, st.label, box, (outer - inner > 1e-6) if st.kind == "metal"
                      else outer > 0)
    for members in groups.values():
        _render_group(members, proj, out, want_masks)
    return out


def _add_mask(out: LineIntegrals, label, box, hit):
    mask = out.masks.setdefault(label, np.zeros(out.soft.shape, bool))
    mask[box] |= hit


def _render_group(members, proj, out: LineIntegrals, want_masks):
    """A group of bones with one mu / mu_inner: attenuation of the union of their solids."""
    box = _box_of(members, proj)
    if box is None:
        return
    outer = [ray_span(st.outer, proj, box) for st in members]
    inner = [ray_span(st.inner, proj, box) for st in members if st.inner]
    unit = outer[0][2]
    l_out = union_length([(f, l) for f, l, _ in outer]) * unit
    l_in = union_length([(f, l) for f, l, _ in inner]) * unit if inner else 0.0
    ref = members[0]
    out.cortex[box] += ref.mu * (l_out - l_in)
    out.trabecular[box] += ref.mu_inner * l_in
    if want_masks:
        for st, (f, l, _) in zip(members, outer):
            if st.label is not None:
                _add_mask(out, st.label, box, l > f)

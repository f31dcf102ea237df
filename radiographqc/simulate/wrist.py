"""Wrist model: distal forearm, carpus, metacarpals, thumb and fingers, posed on the detector.

Anatomy is built for a LEFT hand in the PA position in mm: x towards the radial (thumb) side,
y proximal (towards the elbow), z dorsal (towards the tube), origin at the radiocarpal joint.
A right hand is the mirror image (x -> -x) after posing. Keypoints are 3D anatomical points
moved with their bone and projected through the same point-source geometry as the image.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .acquisition import Exposure, expose
from .artefacts import marker_layer, wrist_artefact
from .parts import MU_SOFT, bone, capsule, long_bone_shapes
from .scene import Projection, Structure, render
from .shapes import Cylinder, Ellipsoid, half_extent_along, rot_x, rot_y, rot_z

# Proximal radius/ulna points sit where the shaft axis leaves the field, this fraction of the
# image size inside the edge (real annotations: median y = 0.962 of the image height; the
# routine preset draws it per image from the real spread).
PROXIMAL_INSET = 0.038
# Lateral P1 convention: the real annotations put the "scaphoid centre" 0.017 of the image height
# distal to the distal-radius centre (median), i.e. on the proximal half of the scaphoid, not at
# its geometric centre; P1 is that point, this fraction of the scaphoid's half-length proximal.
SCAPHOID_P1_SHIFT = 0.35
WRIST_PIVOT = np.array([0.0, -4.0, 0.0])       # flexion/deviation centre (head of the capitate)


@dataclass
class WristParams:
    view: str = "AP"                 # "AP" (PA) | "LAT"
    side: str = "L"                  # hand laterality
    supination_deg: float = 0.0      # rotation error about the forearm axis (+ = supination)
    flexion_deg: float = 0.0         # + = palmar flexion
    deviation_deg: float = 0.0       # + = radial deviation
    thumb_abduction_deg: float = 0.0
    inplane_deg: float = 0.0         # forearm axis vs image vertical, clockwise as displayed
    upside_down: bool = False        # forearm at the top of the image
    target_u: float = 0.5            # where the reference point (AP: styloid midpoint,
    target_v: float = 0.5            # LAT: scaphoid centre) lands, as fractions of width/height
    field_w_mm: float = 185.0        # collimated field at the detector
    field_h_mm: float = 240.0
    pixel_mm: float = 0.3            # imager pixel pitch of the output image
    sid_mm: float = 1000.0
    table_gap_mm: float = 8.0        # detector cover to skin
    size_scale: float = 1.0
    carpal_offset_mm: float = -1.5   # palmar (-) / dorsal (+) position of the carpus vs the radius
    proximal_inset: float = PROXIMAL_INSET   # LAT P3/P5: fraction of the field inside the edge
    exposure: Exposure = field(default_factory=Exposure)
    artefacts: tuple = ()            # kinds from artefacts.ARTEFACT_KINDS
    marker: bool = False             # a lead letter (the side's) on the detector

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SimCase:
    image: np.ndarray                # float32, 12-bit range, bone bright
    projection: Projection
    keypoints: dict                  # "P1".. -> [x, y] | None
    truth: dict
    masks: dict = field(default_factory=dict)
    instances: np.ndarray | None = None   # lumbar: vertebral-body id per pixel (0 = none)


# --------------------------------------------------------------------------------------------
# anatomy (left hand, PA)


def _jitter(rng, scale=0.04):
    return 1.0 + scale * rng.standard_normal()


def _forearm(rng):
    """Distal radius and ulna with styloids; returns structures and landmark points."""
    rad_sty = Ellipsoid((24.0, 1.5, 0.0), (4.5, 8.0, 6.0), rot_z(-14))
    radius = [
        Cylinder((11.0, 200.0, 0.0), (9.5 * _jitter(rng), 170.0, 7.0), None),
        Ellipsoid((10.0, 20.0, 0.0), (15.0, 19.0, 10.0)),
        Ellipsoid((8.5, 9.0, 0.0), (16.5 * _jitter(rng), 9.0, 10.5), rot_z(-14)),
        rad_sty,
    ]
    uln_sty = Ellipsoid((-24.0, 2.5, 4.0), (2.8, 6.0, 2.8), rot_z(12))
    ulna = [
        Cylinder((-18.5, 192.0, 2.0), (6.8 * _jitter(rng), 180.0, 7.0), None),
        Ellipsoid((-17.5, 6.0, 2.0), (8.5, 8.5, 8.5)),
        uln_sty,
    ]
    structures = [bone("radius", radius, 1.0, "radius"), bone("ulna", ulna, 1.0, "ulna")]
    # the shaft cortex is thicker than the metaphysis: a second, thinner inner tube
    structures[0].inner[0] = radius[0].shrunk(2.2)
    structures[1].inner[0] = ulna[0].shrunk(2.0)
    points = {
        "radial_styloid": rad_sty.center + rad_sty.rot @ np.array([0.0, -rad_sty.radii[1], 0.0]),
        "ulnar_styloid": uln_sty.center + uln_sty.rot @ np.array([0.0, -uln_sty.radii[1], 0.0]),
        "distal_radius": np.array([8.0, 1.0, 0.0]),
        "radius_axis_far": np.array([11.0, 200.0, 0.0]),
        "distal_ulna": np.array([-17.5, 3.0, 2.0]),
        "ulna_axis_far": np.array([-18.5, 192.0, 2.0]),
    }
    return structures, _forearm_soft(rng), points


def _forearm_soft(rng):
    """Forearm soft tissue: one long ellipsoid whose distal part tapers to the wrist, and the
    wrist itself (both on one axis, so their union along any ray is one interval)."""
    wide, deep = 42.0 * _jitter(rng), 28.0 * _jitter(rng)
    return [Ellipsoid((-3.0, 290.0, 1.0), (wide, 330.0, deep)),
            Ellipsoid((-3.0, 12.0, 0.5), (29.5, 30.0, 19.0))]


_CARPALS = {   # centre, semi-axes, rotation about z (deg)
    "scaphoid": ((11.0, -5.5, -1.0), (6.0, 10.0, 7.0), 42),
    "lunate": ((0.0, -9.5, 0.5), (7.5, 8.0, 9.5), 0),
    "triquetrum": ((-12.5, -12.5, 2.0), (6.5, 6.5, 7.0), -20),
    "pisiform": ((-13.0, -14.0, -9.0), (4.5, 5.0, 4.5), 0),
    "trapezium": ((18.5, -27.0, -4.0), (7.5, 7.5, 8.0), 30),
    "trapezoid": ((8.5, -30.0, 0.0), (6.0, 7.0, 7.0), 0),
    "capitate": ((-0.5, -29.0, 0.0), (7.5, 12.0, 9.0), 0),
    "hamate": ((-12.5, -27.0, 0.0), (7.5, 10.0, 9.0), -10),
}
# metacarpals II-V: base centre, angle towards radial (deg), length; phalanx lengths
_RAYS = [((9.5, -45.0, 0.0), 5.0, 64.0, (40.0, 24.0, 17.0)),
         ((0.0, -46.0, 0.0), 0.0, 61.0, (44.0, 28.0, 19.0)),
         ((-9.5, -43.0, 0.0), -5.0, 55.0, (41.0, 26.0, 18.0)),
         ((-17.5, -39.0, 0.0), -11.0, 51.0, (32.0, 19.0, 16.0))]


def _hand(rng, abduction_deg):
    structures, soft, points = [], [], {}
    for name, (c, r, a) in _CARPALS.items():
        radii = np.asarray(r) * _jitter(rng, 0.05)
        carpal = bone(name, [Ellipsoid(c, radii, rot_z(a))], 1.0, name)
        carpal.group = "carpus"
        structures.append(carpal)
        if name == "scaphoid":
            points["scaphoid"] = c + rot_z(a) @ np.array([0.0, SCAPHOID_P1_SHIFT * radii[1], 0.0])
    for i, (base, angle, length, phal) in enumerate(_RAYS, start=2):
        direction = np.array([np.sin(np.radians(angle)), -np.cos(np.radians(angle)), 0.0])
        p0 = np.asarray(base)
        p1 = p0 + direction * length * _jitter(rng, 0.03)
        structures.append(bone(f"metacarpal{i}", long_bone_shapes(
            p0, p1, (4.0, 3.6), (6.0, 5.0, 6.0), (5.5, 6.0, 6.5)), 1.4, "metacarpal"))
        start = p1 + direction * 8.5
        for k, plen in enumerate(phal):
            end = start + direction * plen * _jitter(rng, 0.03)
            w = 1.0 - 0.18 * k
            structures.append(bone(f"phalanx{i}_{k + 1}", long_bone_shapes(
                start, end, (3.6 * w, 3.0 * w), (5.2 * w, 3.5, 4.5 * w), (4.3 * w, 3.2, 3.8 * w)),
                1.0, "phalanx"))
            start = end + direction * 5.0 * w
        soft += capsule(p1 - direction * 10, start, 9.0, 8.0)
    # thumb: metacarpal from the trapezium, rotated palmar, MCP joint, two phalanges
    base = np.array([23.5, -36.0, -5.0])
    thumb_dir = rot_z(abduction_deg) @ np.array([0.5, -0.85, -0.1])
    thumb_dir /= np.linalg.norm(thumb_dir)
    head = base + thumb_dir * 42.0 * _jitter(rng, 0.04)
    structures.append(bone("metacarpal1", long_bone_shapes(
        base, head, (4.5, 4.0), (7.0, 5.5, 6.5), (6.5, 5.5, 7.0), 30.0), 1.4, "metacarpal"))
    mcp = head + thumb_dir * 7.0
    start = head + thumb_dir * 9.5
    for k, plen in enumerate((30.0, 23.0)):
        end = start + thumb_dir * plen * _jitter(rng, 0.03)
        w = 1.0 - 0.15 * k
        structures.append(bone(f"phalanx1_{k + 1}", long_bone_shapes(
            start, end, (4.2 * w, 3.6 * w), (6.0 * w, 3.5, 5.0 * w), (4.8 * w, 3.5, 4.2 * w), 30.0),
            1.0, "phalanx"))
        start = end + thumb_dir * 4.5
    soft += capsule(base + thumb_dir * 10, start, 10.5, 9.5, 30.0)
    soft += [Ellipsoid((-1.0, -64.0, -1.0), (40.0, 46.0, 15.0)),
             Ellipsoid((23.0, -45.0, -8.0), (15.0, 23.0, 13.0)),
             Ellipsoid((-2.0, -22.0, 0.0), (33.0, 26.0, 19.0))]
    points["thumb_mcp"] = mcp
    return structures, soft, points


# --------------------------------------------------------------------------------------------
# posing


def _move(structures, soft, points, matrix, offset=(0.0, 0.0, 0.0)):
    return ([s.transformed(matrix, offset) for s in structures],
            [s.transformed(matrix, offset) for s in soft],
            {k: matrix @ v + np.asarray(offset) for k, v in points.items()})


def _about(matrix, pivot):
    """Offset that makes x -> matrix @ x + offset a rotation about `pivot`."""
    pivot = np.asarray(pivot, float)
    return pivot - matrix @ pivot


def build_posed_wrist(p: WristParams, rng):
    """Anatomy in world coordinates (before the field placement): structures, soft, points."""
    fa_st, fa_soft, fa_pts = _forearm(rng)
    hd_st, hd_soft, hd_pts = _hand(rng, p.thumb_abduction_deg)
    for kind in p.artefacts:   # built in the anatomy frame: rings move with the hand
        solids = wrist_artefact(kind, rng, _ring_finger(hd_st, rng) if kind == "ring" else {})
        (hd_st if kind == "ring" else fa_st).extend(solids)
    hand_rot = rot_z(p.deviation_deg) @ rot_x(p.flexion_deg)
    offset = _about(hand_rot, WRIST_PIVOT) + (0.0, 0.0, p.carpal_offset_mm)
    hd_st, hd_soft, hd_pts = _move(hd_st, hd_soft, hd_pts, hand_rot, offset)
    structures, soft, points = fa_st + hd_st, fa_soft + hd_soft, {**fa_pts, **hd_pts}
    scale = p.size_scale * np.eye(3)
    structures = [_scaled(s, p.size_scale) for s in structures]
    soft = [_scaled_shape(s, p.size_scale) for s in soft]
    points = {k: scale @ v for k, v in points.items()}
    base = 90.0 if p.view == "LAT" else 0.0
    turn = rot_y(-(base + p.supination_deg))
    if p.side == "R":
        turn = np.diag([-1.0, 1.0, 1.0]) @ turn
    structures, soft, points = _move(structures, soft, points, turn)
    lift = p.table_gap_mm - min(s.center[2] - half_extent_along(s, (0, 0, 1)) for s in soft)
    return _move(structures, soft, points, np.eye(3), (0.0, 0.0, lift))


def _scaled_shape(s, k):
    out = s.transformed(np.eye(3))
    out.center = s.center * k
    out.radii = s.radii * k
    return out


def _scaled(st: Structure, k):
    return st.reshaped(lambda s: _scaled_shape(s, k))


def reference_point(p: WristParams, points) -> np.ndarray:
    if p.view == "AP":
        return (points["radial_styloid"] + points["ulnar_styloid"]) / 2
    return points["scaphoid"]


def place_on_field(p: WristParams, structures, soft, points, proj: Projection):
    """Rotate in the detector plane and shift so the reference point hits its target pixel."""
    ref = reference_point(p, points)
    turn = rot_z(p.inplane_deg + (180.0 if p.upside_down else 0.0))
    offset = _about(turn, ref)
    structures, soft, points = _move(structures, soft, points, turn, offset)
    target = proj.unproject((p.target_u * proj.cols - 0.5, p.target_v * proj.rows - 0.5), ref[2])
    return _move(structures, soft, points, np.eye(3), target - ref)


# --------------------------------------------------------------------------------------------
# keypoints


def _inside(xy, proj) -> bool:
    return -0.5 <= xy[0] <= proj.cols - 0.5 and -0.5 <= xy[1] <= proj.rows - 0.5


def exit_point(start, through, proj: Projection, inset=PROXIMAL_INSET):
    """Where the image line from `start` towards `through` leaves the inset field (None if
    `start` itself lies outside it)."""
    mx, my = inset * proj.cols, inset * proj.rows
    lo = np.array([mx - 0.5, my - 0.5])
    hi = np.array([proj.cols - 0.5 - mx, proj.rows - 0.5 - my])
    start = np.asarray(start, float)
    d = np.asarray(through, float) - start
    if np.any(start < lo) or np.any(start > hi) or not np.any(d):
        return None
    steps = [((hi[i] if d[i] > 0 else lo[i]) - start[i]) / d[i] for i in (0, 1) if d[i] != 0]
    return start + min(steps) * d


def wrist_keypoints(view, points, proj: Projection, inset: float = PROXIMAL_INSET) -> dict:
    def px(name):
        return proj.project(points[name])[0]

    if view == "AP":
        mcp = px("thumb_mcp")
        kp = {"P1": mcp if _inside(mcp, proj) else None,
              "P2": px("radial_styloid"), "P3": px("ulnar_styloid")}
    else:
        kp = {"P1": px("scaphoid"), "P2": px("distal_radius"),
              "P3": exit_point(px("distal_radius"), px("radius_axis_far"), proj, inset),
              "P4": px("distal_ulna"),
              "P5": exit_point(px("distal_ulna"), px("ulna_axis_far"), proj, inset)}
    return {k: (None if v is None else [round(float(v[0]), 3), round(float(v[1]), 3)])
            for k, v in kp.items()}


# --------------------------------------------------------------------------------------------


def field_projection(p: WristParams) -> Projection:
    cols = max(int(round(p.field_w_mm / p.pixel_mm)), 16)
    rows = max(int(round(p.field_h_mm / p.pixel_mm)), 16)
    return Projection(p.sid_mm, p.pixel_mm, rows, cols)


def _ring_finger(structures, rng) -> dict:
    """Base and distal direction of the proximal phalanx of a finger (II-V), for a ring."""
    name = f"phalanx{int(rng.integers(2, 6))}_1"
    base, shaft = next(st for st in structures if st.name == name).outer[:2]
    return {"finger_base": base.center, "finger_dir": shaft.rot[:, 1]}


def simulate_wrist(p: WristParams, rng) -> SimCase:
    proj = field_projection(p)
    structures, soft, points = build_posed_wrist(p, rng)
    structures, soft, points = place_on_field(p, structures, soft, points, proj)
    scene = structures + [Structure("soft_tissue", soft, mu=MU_SOFT, kind="soft")]
    integrals = render(scene, proj, want_masks=bool(p.artefacts))
    masks = {k: v for k, v in integrals.masks.items() if k.startswith("artefact_")}
    areas = {k: int(masks.get(f"artefact_{k}", np.zeros(1)).sum()) for k in p.artefacts}
    extra = {"artefacts": [{"kind": k, "label": f"artefact_{k}", "area_px": areas[k],
                            "visible": areas[k] > 0} for k in p.artefacts]}
    layer = None
    if p.marker:
        layer, masks["marker"], extra["marker"] = marker_layer(
            (proj.rows, proj.cols), proj.pixel_mm, rng, p.side, avoid=integrals.soft > 0)
    image = expose(integrals, proj, p.exposure, rng, layer)
    keypoints = wrist_keypoints(p.view, points, proj, p.proximal_inset)
    object_z = float(reference_point(p, points)[2])
    truth = {
        "body": "wrist", "view": p.view, "laterality": p.side,
        "params": p.to_dict(),
        "magnification": p.sid_mm / (p.sid_mm - object_z),
        "object_height_mm": object_z,
        "points_3d_mm": {k: [round(float(c), 3) for c in v] for k, v in points.items()},
        **extra,
    }
    return SimCase(image, proj, keypoints, truth, masks)

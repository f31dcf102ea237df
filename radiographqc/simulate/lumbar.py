"""Lumbar spine model: T8-S2 vertebrae with posterior elements, sacrum, pelvis and abdomen.

Patient frame in mm: x towards the patient's left, y caudal (down the image), z anterior.
Each vertebra is built about its body centre: body = elliptic cylinder whose flat caps are the
endplates (cortex shell 1-1.5 mm), pedicles, laminae, spinous and transverse processes,
superior/inferior articular processes and pars. Views turn the patient about the long axis
(AP 0, OBL 45, LAT 90 degrees) on a bucky table below the patient.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.ndimage import binary_opening

from .acquisition import Exposure, expose
from .parts import MU_SOFT, bone, capsule
from .scene import Projection, Structure, render
from .shapes import Cylinder, Ellipsoid, rot_x, rot_y, rot_z
from .wrist import SimCase

LEVELS = ("T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5")
VIEW_TURN = {"AP": 0.0, "OBL": 45.0, "LAT": 90.0}
# Half thickness of the (label-only) endplate discs whose projection is the double contour: thin,
# so an endplate seen edge-on (a correctly centred, untilted beam) gives no area.
ENDPLATE_MM = 0.01
# The two rims of an endplate read as a double contour once they are this far apart (detector).
DOUBLE_CONTOUR_MIN_MM = 1.0
SIDE_NAME = {1.0: "left", -1.0: "right"}   # patient frame: +x is the patient's left
PEDICLE_X = 18.0       # mm from the midline (before size scaling)
IAP_X = 19.0


@dataclass
class LumbarParams:
    view: str = "AP"
    top_level: str = "T11"            # highest vertebra inside the field (T10: field too long)
    top_gap_mm: float = 0.0           # upper field edge above the middle of the disc over
                                      # top_level (detector mm); sets the field height
    rotation_deg: float = 0.0         # error about the long axis, added to the view's turn
    tilt_deg: float = 0.0             # cranio-caudal tilt of the spine (about the left-right axis)
    bend_deg: float = 0.0             # lateral bending (about the antero-posterior axis)
    lordosis_deg: float = 40.0        # L1-S1 curve
    oblique_side: str = "L"
    target_u: float = 0.5             # where the L3 body centre lands (fractions of the field)
    target_v: float = 0.5             # 0.5: central ray on L3
    field_w_mm: float = 300.0
    pixel_mm: float = 0.5             # used when long_side is None
    long_side: int | None = None      # pixels on the long side of the field
    sid_mm: float = 1150.0
    table_gap_mm: float = 60.0
    size_scale: float = 1.0
    abdomen_rx_mm: float = 160.0
    abdomen_rz_mm: float = 110.0
    exposure: Exposure = field(default_factory=lambda: Exposure(
        kvp=80.0, mas=25.0, scatter_fraction=0.35, scatter_sigma_mm=40.0, blur_mm=0.2,
        texture=0.3, enhancement=1.5, exposure_time_ms=80.0))

    def to_dict(self) -> dict:
        return asdict(self)


def _pair(x):
    return (x, -x)


def vertebra(name: str, s: float, rng):
    """Structures (body, posterior elements) and label solids of one vertebra about (0, 0, 0)."""
    j = 1.0 + 0.04 * rng.standard_normal()
    rx, h, rz = 24.0 * s * j, 12.5 * s, 16.5 * s * j
    body_shape = Cylinder((0, 0, 0), (rx, h, rz))
    parts = {"body": [bone(f"{name}_body", [body_shape], 1.3, f"{name}_body")]}
    # pedicles leave the body where its elliptic posterior wall is at their x; so at 45 degrees
    # the near pedicle (the Scottie dog's eye) projects onto the middle of the body and the
    # inferior articular process at ~0.3 of its width, as in a correctly rotated oblique
    wall = -rz * np.sqrt(1.0 - (PEDICLE_X * s / rx) ** 2)
    z0 = wall - 11 * s
    parts["pedicles"] = [
        bone(f"{name}_pedicle_{SIDE_NAME[side]}",
             capsule((side * PEDICLE_X * s, -4 * s, wall + 2), (side * PEDICLE_X * s, -4 * s, z0),
                     4.0 * s, 3.2 * s, roll_deg=90), 1.0, f"pedicle_{SIDE_NAME[side]}")
        for side in _pair(1.0)]
    lamina, tp, sap, pars = [], [], [], []
    iap = {}
    for side in _pair(1.0):
        x0 = side * PEDICLE_X * s
        lamina += capsule((x0, -2 * s, z0), (0.0, 1 * s, z0 - 11 * s), 4.0 * s, 3.0 * s)
        tp += capsule((side * 14 * s, -3 * s, z0 + 2), (side * 40 * s, -1 * s, z0 + 4), 3.5 * s,
                      4.5 * s)
        sap += capsule((side * 14 * s, -8 * s, z0 - 2), (side * 15.5 * s, -19 * s, z0 - 3),
                       4.2 * s, 4.5 * s)
        iap[side] = capsule((side * IAP_X * s, 7 * s, z0 - 6 * s),
                            (side * (IAP_X + 1) * s, 19 * s, z0 - 6 * s), 4.2 * s, 4.5 * s)
        pars += capsule((side * 13 * s, -4 * s, z0 - 2), (side * 11.5 * s, 7 * s, z0 - 5 * s),
                        3.2 * s, 3.5 * s)
    spinous = capsule((0.0, 1 * s, z0 - 10 * s), (0.0, 7 * s, z0 - 34 * s), 3.0 * s, 8.0 * s)
    parts["arch"] = [bone(f"{name}_lamina", lamina, 1.0), bone(f"{name}_pars", pars, 1.0),
                     bone(f"{name}_transverse", tp, 1.0),
                     bone(f"{name}_sap", sap, 1.0, "superior_articular_processes"),
                     *[bone(f"{name}_iap_{SIDE_NAME[k]}", v, 1.0, f"iap_{SIDE_NAME[k]}")
                       for k, v in iap.items()],
                     bone(f"{name}_spinous", spinous, 1.2, "spinous_processes")]
    if name == "L3":
        plates = [Cylinder((0, -h, 0), (rx, ENDPLATE_MM, rz)),
                  Cylinder((0, h, 0), (rx, ENDPLATE_MM, rz))]
        parts["endplates"] = [Structure(f"{name}_endplates", plates, kind="soft", mu=0.0,
                                        label=f"{name}_double_contour")]
    return parts, {"height": 2 * h, "rz": rz}


def _foramen(name, s, rz, gap_top, gap_bottom):
    """Intervertebral foramen below a vertebra: the space between its pedicle and the next one,
    in front of the articular processes and behind the bodies (label solid, no attenuation)."""
    y = (gap_top + gap_bottom) / 2
    ry = max((gap_bottom - gap_top) / 2, 2.0)
    shapes = [Cylinder((side * 15 * s, y, -rz - 6 * s), (6.0 * s, ry, 5.5 * s), rot_z(90))
              for side in _pair(1.0)]
    return Structure(f"{name}_foramen", shapes, kind="soft", mu=0.0, label="foramina")


def _spine(p: LumbarParams, rng):
    """All spine, sacrum and pelvis structures in the patient frame, L3 body centre at origin."""
    s = p.size_scale
    # one vertebra above the field is modelled: its posterior elements reach into the field
    names = LEVELS[max(LEVELS.index(p.top_level) - 1, 0):]
    disc = 9.0 * s
    lumbar = [n for n in names if n.startswith("L")]
    per_level = p.lordosis_deg / max(len(lumbar), 1)
    structures, labels, centres = [], [], {}
    placed = [(name, *vertebra(name, s, rng)) for name in names]
    # stack from the top: y grows caudally; lordosis turns each lumbar level about x
    # angles are relative to L3, the apex: its endplates are parallel to the central ray
    pose = []
    y, z = 0.0, 0.0
    angles = np.cumsum([per_level if n.startswith("L") else 0.0 for n in names])
    angles -= angles[names.index("L3")]
    for (name, parts, dims), angle in zip(placed, angles):
        rot = rot_x(angle)
        pose.append((name, parts, dims, rot, np.array([0.0, y, z])))
        step = dims["height"] + disc
        y += step * np.cos(np.radians(angle))
        z += step * np.sin(np.radians(angle))
    l3 = next(c for n, _, _, _, c in pose if n == "L3")
    for i, (name, parts, dims, rot, c) in enumerate(pose):
        c = c - l3
        centres[name] = c
        for group in parts.values():
            structures += [st.transformed(rot, c) for st in group]
        if i + 1 < len(pose):
            below = pose[i + 1][4] - l3
            gap_top = c[1] + dims["height"] / 2 - 4 * s
            gap_bottom = below[1] - dims["height"] / 2 - 4 * s
            fo = _foramen(name, s, dims["rz"], gap_top - c[1], gap_bottom - c[1])
            labels.append(fo.transformed(rot, c))
    last = centres[names[-1]]
    structures += _sacrum_pelvis(last + np.array([0.0, 30 * s, -8 * s]), s, p.lordosis_deg)
    return structures, labels, centres


def _sacrum_pelvis(top, s, lordosis):
    slope = 20.0 + 0.5 * lordosis
    tilt = rot_x(slope)
    sac = [Ellipsoid(top + np.array([0.0, 40 * s, -12 * s]), (40 * s, 50 * s, 14 * s), tilt),
           Ellipsoid(top + np.array([0.0, 75 * s, -30 * s]), (22 * s, 30 * s, 10 * s), tilt)]
    out = [bone("sacrum", sac, 1.5, "sacrum")]
    for side in _pair(1.0):
        wing = [Ellipsoid(top + np.array([side * 80 * s, 10 * s, -5 * s]), (50 * s, 60 * s, 7 * s),
                          rot_y(side * 35.0) @ rot_x(10.0)),
                Ellipsoid(top + np.array([side * 62 * s, 70 * s, 5 * s]), (22 * s, 40 * s, 18 * s))]
        out.append(bone(f"ilium_{'left' if side > 0 else 'right'}", wing, 2.0, "pelvis"))
    return out


def _abdomen(p: LumbarParams, rng):
    """Soft tissue (one union) and a few bowel-gas pockets (negative excess attenuation)."""
    body = [Cylinder((0.0, 0.0, 40.0), (p.abdomen_rx_mm, 600.0, p.abdomen_rz_mm))]
    muscles = [Structure("psoas", [Ellipsoid((side * 40.0, 60.0, -5.0), (22.0, 150.0, 20.0),
                                             rot_z(side * 12.0)) for side in _pair(1.0)],
                         kind="soft", mu=0.004)]
    gas = [Ellipsoid((rng.uniform(-110, 110), rng.uniform(-150, 150), rng.uniform(20, 90)),
                     rng.uniform(5, 16, size=3)) for _ in range(int(rng.integers(3, 12)))]
    return ([Structure("abdomen", body, kind="soft", mu=MU_SOFT)] + muscles
            + [Structure("gas", [g], kind="soft", mu=-MU_SOFT * 0.95) for g in gas])


def _turn(p: LumbarParams) -> np.ndarray:
    """Patient pose on the table as a rotation (AP: supine, beam anterior -> posterior)."""
    side = 1.0 if p.oblique_side == "L" else -1.0
    view = VIEW_TURN[p.view] * (side if p.view == "OBL" else 1.0)
    # image rows run caudal; a supine patient seen from the tube has the left on the image right
    return (rot_y(view + p.rotation_deg) @ rot_z(p.bend_deg) @ rot_x(p.tilt_deg))


def _lift(p: LumbarParams, turn) -> float:
    """Height of the L3 body centre above the detector: the patient lies on the table."""
    half_depth = np.hypot(p.abdomen_rx_mm * turn[2, 0], p.abdomen_rz_mm * turn[2, 2])
    return float(p.table_gap_mm + half_depth - (turn @ np.array([0.0, 0.0, 40.0]))[2])


def field_height_mm(p: LumbarParams, centres: dict, turn, z_l3: float) -> float:
    """Field height that puts the upper edge `top_gap_mm` above the middle of the disc over
    `top_level` (projected through the source) with the L3 centre at `target_v`."""
    if LEVELS.index(p.top_level) < 1:
        raise ValueError(f"top_level must be one of {', '.join(LEVELS[1:])}")
    above = LEVELS[LEVELS.index(p.top_level) - 1]
    disc = turn @ ((centres[above] + centres[p.top_level]) / 2)
    depth = p.sid_mm - z_l3 - disc[2]
    reach = -disc[1] * p.sid_mm / depth + p.top_gap_mm
    return reach / p.target_v


def simulate_lumbar(p: LumbarParams, rng) -> SimCase:
    spine, label_solids, centres = _spine(p, rng)
    soft = _abdomen(p, rng)
    turn = _turn(p)
    z_l3 = _lift(p, turn)
    field_h = field_height_mm(p, centres, turn, z_l3)
    pixel_mm = max(p.field_w_mm, field_h) / p.long_side if p.long_side else p.pixel_mm
    cols = max(int(round(p.field_w_mm / pixel_mm)), 16)
    rows = max(int(round(field_h / pixel_mm)), 16)
    proj = Projection(p.sid_mm, pixel_mm, rows, cols)
    target = proj.unproject((p.target_u * cols - 0.5, p.target_v * rows - 0.5), z_l3)
    scene = [st.transformed(turn, target) for st in spine + soft + label_solids]
    li = render(scene, proj)
    image = expose(li, proj, p.exposure, rng)
    centre_px = {n: proj.project(turn @ c + target)[0] for n, c in centres.items()}
    masks, instances, table = _labels(li.masks, centres, _dog_side(p), pixel_mm)
    truth = {"body": "lumbar", "view": p.view, "laterality": None,
             "oblique_side": p.oblique_side if p.view == "OBL" else None,
             "params": p.to_dict(), "magnification": p.sid_mm / (p.sid_mm - z_l3),
             "object_height_mm": z_l3, "field_h_mm": field_h,
             "vertebrae": {n: {"id": table[n], "centre_px": [round(float(v), 2) for v in c],
                               "visible_px": int((instances == table[n]).sum())}
                           for n, c in centre_px.items()}}
    truth["qc"] = lumbar_measures(masks, instances, truth["vertebrae"])
    return SimCase(image, proj, {}, truth, masks, instances)


def _dog_side(p: LumbarParams) -> str | None:
    """The side whose posterior elements form the Scottie dog in an oblique view: the one nearer
    the detector (left posterior oblique shows the left side); None for AP and lateral."""
    if p.view != "OBL":
        return None
    return "left" if p.oblique_side == "L" else "right"


def _labels(raw: dict, centres: dict, dog_side: str | None = None, pixel_mm: float = 1.0):
    """Semantic masks of the spec plus a vertebral-body instance image (id per level).

    Oblique: the inferior articular processes and pedicles are those of the Scottie dog (the
    side nearer the detector); the far side's project behind the bodies as the dog's tail."""
    names = list(centres)
    table = {n: LEVELS.index(n) + 1 for n in names}   # the same id for a level in every case
    shape = next(iter(raw.values())).shape
    empty = np.zeros(shape, bool)
    instances = np.zeros(shape, np.uint8)
    for n in names:   # lower levels drawn last: where bodies overlap the lower one wins
        instances[raw.get(f"{n}_body", empty)] = table[n]
    masks = {k: raw[k] for k in ("spinous_processes", "superior_articular_processes", "foramina",
                                 "sacrum", "pelvis") if k in raw}
    sides = (dog_side,) if dog_side else ("left", "right")
    for label, stem in (("inferior_articular_processes", "iap"), ("pedicles", "pedicle")):
        masks[label] = np.any([raw.get(f"{stem}_{side}", empty) for side in sides], axis=0)
    masks["vertebrae"] = instances > 0
    masks["L3"] = raw.get("L3_body", empty)
    # double contour: where the projected L3 endplate discs are seen, inside the L3 body, and
    # their two rims lie far enough apart to be seen as two lines
    seen = max(int(np.ceil(DOUBLE_CONTOUR_MIN_MM / pixel_mm)), 2)
    band = binary_opening(raw.get("L3_double_contour", empty), np.ones((seen, 1), bool))
    masks["L3_double_contour"] = band & masks["L3"]
    return masks, instances, table


def lumbar_measures(masks: dict, instances: np.ndarray, vertebrae: dict | None = None) -> dict:
    """The spec's rule quantities on the exact masks.

    vertebra_count: bodies with at least half of L3's visible area (a sliver cut by the field
    edge is not a visible vertebra); positions are fractions of the bodies' left-right extent."""
    areas = np.bincount(instances.ravel())
    l3 = masks["L3"].sum()
    out = {"vertebra_count": int(sum(1 for a in areas[1:] if l3 and a >= 0.5 * l3)),
           "vertebrae_with_pixels": int(np.count_nonzero(areas[1:]))}
    if vertebrae:
        out["visible_levels"] = [n for n, v in vertebrae.items()
                                 if l3 and v["visible_px"] >= 0.5 * l3]
    out["L3_double_contour_ratio"] = float(masks["L3_double_contour"].sum() / l3) if l3 else None
    cols = np.nonzero(masks["vertebrae"].any(axis=0))[0]
    for key, label in (("spinous_centre_fraction", "spinous_processes"),
                       ("iap_position_fraction", "inferior_articular_processes"),
                       ("pedicle_position_fraction", "pedicles")):
        found = np.nonzero(masks.get(label, np.zeros(1, bool)))[1]
        out[key] = (float((found.mean() - cols.min()) / (cols.max() - cols.min()))
                    if found.size and cols.size and cols.max() > cols.min() else None)
    for key in ("pelvis", "sacrum", "foramina"):
        out[f"{key}_area_px"] = int(masks[key].sum()) if key in masks else 0
    return out

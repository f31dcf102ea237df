"""Lumbar spine model: T10-S2 vertebrae with posterior elements, sacrum, pelvis and abdomen.

Patient frame in mm: x towards the patient's left, y caudal (down the image), z anterior.
Each vertebra is built about its body centre: body = elliptic cylinder whose flat caps are the
endplates (cortex shell 1-1.5 mm), pedicles, laminae, spinous and transverse processes,
superior/inferior articular processes and pars. Views turn the patient about the long axis
(AP 0, OBL 45, LAT 90 degrees) on a bucky table below the patient.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .acquisition import Exposure, expose
from .parts import MU_SOFT, bone, capsule
from .scene import Projection, Structure, render
from .shapes import Cylinder, Ellipsoid, rot_x, rot_y, rot_z
from .wrist import SimCase

LEVELS = ("T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5")
VIEW_TURN = {"AP": 0.0, "OBL": 45.0, "LAT": 90.0}
ENDPLATE_MM = 0.3      # half thickness of the endplate discs whose projection is the double contour


@dataclass
class LumbarParams:
    view: str = "AP"
    first: str = "T11"                # top vertebra modelled (T10..T12)
    rotation_deg: float = 0.0         # error about the long axis, added to the view's turn
    tilt_deg: float = 0.0             # cranio-caudal tilt of the spine (about the left-right axis)
    bend_deg: float = 0.0             # lateral bending (about the antero-posterior axis)
    lordosis_deg: float = 40.0        # L1-S1 curve
    oblique_side: str = "L"
    target_u: float = 0.5             # where the L3 body centre lands (fractions of the field)
    target_v: float = 0.5
    field_w_mm: float = 300.0
    field_h_mm: float = 380.0
    pixel_mm: float = 0.5
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
    rx, h, rz = 21.0 * s * j, 12.5 * s, 16.0 * s * j
    body_shape = Cylinder((0, 0, 0), (rx, h, rz))
    parts = {"body": [bone(f"{name}_body", [body_shape], 1.3, f"{name}_body")]}
    post = []
    for side in _pair(1.0):
        ped_x = side * 12.0 * s
        post += capsule((ped_x, -4 * s, -rz + 2), (ped_x, -4 * s, -rz - 12 * s), 4.0 * s, 3.2 * s,
                        roll_deg=90)
    parts["pedicles"] = [bone(f"{name}_pedicles", post, 1.0, f"{name}_pedicle")]
    lamina, tp, sap, iap, pars = [], [], [], [], []
    for side in _pair(1.0):
        x0 = side * 12.0 * s
        z0 = -rz - 12 * s
        lamina += capsule((x0, -2 * s, z0), (0.0, 1 * s, z0 - 11 * s), 4.0 * s, 3.0 * s)
        tp += capsule((side * 14 * s, -3 * s, z0 + 2), (side * 40 * s, -1 * s, z0 + 4), 3.5 * s,
                      4.5 * s)
        sap += capsule((side * 14 * s, -8 * s, z0 - 2), (side * 15.5 * s, -19 * s, z0 - 3),
                       4.2 * s, 4.5 * s)
        iap += capsule((side * 11 * s, 7 * s, z0 - 6 * s), (side * 12 * s, 19 * s, z0 - 6 * s),
                       4.2 * s, 4.5 * s)
        pars += capsule((side * 13 * s, -4 * s, z0 - 2), (side * 11.5 * s, 7 * s, z0 - 5 * s),
                        3.2 * s, 3.5 * s)
    spinous = capsule((0.0, 1 * s, z0 - 10 * s), (0.0, 7 * s, z0 - 34 * s), 3.0 * s, 8.0 * s)
    parts["arch"] = [bone(f"{name}_lamina", lamina, 1.0), bone(f"{name}_pars", pars, 1.0),
                     bone(f"{name}_transverse", tp, 1.0),
                     bone(f"{name}_sap", sap, 1.0, "superior_articular_processes"),
                     bone(f"{name}_iap", iap, 1.0, "inferior_articular_processes"),
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
    names = LEVELS[LEVELS.index(p.first):]
    disc = 9.0 * s
    lumbar = [n for n in names if n.startswith("L")]
    per_level = p.lordosis_deg / max(len(lumbar), 1)
    structures, labels, centres = [], [], {}
    placed = [(name, *vertebra(name, s, rng)) for name in names]
    # stack from the top: y grows caudally; lordosis turns each lumbar level about x
    pose = []
    y, z, angle = 0.0, 0.0, 0.0
    for name, parts, dims in placed:
        if name.startswith("L"):
            angle += per_level
        rot = rot_x(angle - p.lordosis_deg / 2)
        pose.append((name, parts, dims, rot, np.array([0.0, y, z])))
        step = dims["height"] + disc
        y += step * np.cos(np.radians(angle - p.lordosis_deg / 2))
        z += step * np.sin(np.radians(angle - p.lordosis_deg / 2))
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


def simulate_lumbar(p: LumbarParams, rng) -> SimCase:
    cols = max(int(round(p.field_w_mm / p.pixel_mm)), 16)
    rows = max(int(round(p.field_h_mm / p.pixel_mm)), 16)
    proj = Projection(p.sid_mm, p.pixel_mm, rows, cols)
    spine, label_solids, centres = _spine(p, rng)
    soft = _abdomen(p, rng)
    turn = _turn(p)
    # lift so the patient's lower surface lies on the table; L3 centre height follows
    half_depth = np.hypot(p.abdomen_rx_mm * turn[2, 0], p.abdomen_rz_mm * turn[2, 2])
    z_l3 = p.table_gap_mm + half_depth - (turn @ np.array([0.0, 0.0, 40.0]))[2]
    target = proj.unproject((p.target_u * cols - 0.5, p.target_v * rows - 0.5), z_l3)
    scene = [st.transformed(turn, target) for st in spine + soft + label_solids]
    li = render(scene, proj)
    image = expose(li, proj, p.exposure, rng)
    centre_px = {n: proj.project(turn @ c + target)[0] for n, c in centres.items()}
    masks, instances, table = _labels(li.masks, centres)
    truth = {"body": "lumbar", "view": p.view, "laterality": None,
             "oblique_side": p.oblique_side if p.view == "OBL" else None,
             "params": p.to_dict(), "magnification": p.sid_mm / (p.sid_mm - z_l3),
             "object_height_mm": float(z_l3),
             "vertebrae": {n: {"id": table[n], "centre_px": [round(float(v), 2) for v in c],
                               "visible_px": int((instances == table[n]).sum())}
                           for n, c in centre_px.items()}}
    truth["qc"] = lumbar_measures(masks, instances)
    return SimCase(image, proj, {}, truth, masks, instances)


def _labels(raw: dict, centres: dict):
    """Semantic masks of the spec plus a vertebral-body instance image (id per level)."""
    names = list(centres)
    table = {n: i + 1 for i, n in enumerate(names)}
    shape = next(iter(raw.values())).shape
    empty = np.zeros(shape, bool)
    instances = np.zeros(shape, np.uint8)
    for n in names:   # lower levels drawn last: where bodies overlap the lower one wins
        instances[raw.get(f"{n}_body", empty)] = table[n]
    masks = {k: raw[k] for k in ("spinous_processes", "inferior_articular_processes",
                                 "superior_articular_processes", "foramina", "sacrum", "pelvis")
             if k in raw}
    masks["vertebrae"] = instances > 0
    masks["L3"] = raw.get("L3_body", empty)
    masks["pedicles"] = np.any([raw.get(f"{n}_pedicle", empty) for n in names], axis=0)
    # double contour: where the projected L3 endplate discs are seen, inside the L3 body
    masks["L3_double_contour"] = raw.get("L3_double_contour", empty) & masks["L3"]
    return masks, instances, table


def lumbar_measures(masks: dict, instances: np.ndarray) -> dict:
    """The spec's rule quantities on the exact masks."""
    ids = [int(i) for i in np.unique(instances) if i]
    out = {"vertebra_count": len(ids)}
    l3 = masks["L3"].sum()
    out["L3_double_contour_ratio"] = float(masks["L3_double_contour"].sum() / l3) if l3 else None
    cols = np.nonzero(masks["vertebrae"].any(axis=0))[0]
    if cols.size:
        left, right = cols.min(), cols.max()
        sp = np.nonzero(masks.get("spinous_processes", np.zeros(1, bool)))[1]
        out["spinous_centre_fraction"] = (float((sp.mean() - left) / (right - left))
                                          if sp.size and right > left else None)
        iap = np.nonzero(masks.get("inferior_articular_processes", np.zeros(1, bool)))[1]
        out["iap_position_fraction"] = (float((iap.mean() - left) / (right - left))
                                        if iap.size and right > left else None)
    for key in ("pelvis", "sacrum", "foramina"):
        out[f"{key}_area_px"] = int(masks[key].sum()) if key in masks else 0
    return out


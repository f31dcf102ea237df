"""Random positioning and acquisition for the presets "routine", "mispositioned", "teaching".

"routine" reproduces the clinical layout statistics of ../shared/data/wrist-positions (694 AP
and 614 lateral wrist radiographs, benzzhang/QC-wrist): the reference point (AP: midpoint of
the styloids, LAT: scaphoid centre) is drawn from the real normalised mean/SD, and the field
size from the styloid spacing and thumb-MCP distance of those images. "mispositioned" pushes at
least one layout task far outside the published bands; "teaching" sweeps one control at a time
across its range with everything else ideal.
"""
from __future__ import annotations

import numpy as np

from .acquisition import Exposure
from .artefacts import ARTEFACT_KINDS
from .wrist import PROXIMAL_INSET, WristParams

PRESETS = ("routine", "mispositioned", "teaching")

# Normalised reference positions of the real images (mean, sd): AP styloid midpoint from
# p2/p3, LAT scaphoid centre p1 (wrist-positions/README.md summary tables).
REAL_REFERENCE = {"AP": ((0.491, 0.045), (0.495, 0.085)), "LAT": ((0.486, 0.058), (0.477, 0.084))}
UPSIDE_DOWN_RATE = 0.026        # 18 of 694 AP, 15 of 612 LAT images have the forearm at the top
# LAT P3/P5 inset from the field edge: log-normal about the real median 0.038 (IQR 0.028-0.051).
INSET_LOG_SD = 0.44
# Palmar/dorsal carpus position vs the radius axis, mm (mean, sd): gives the real spread of the
# scaphoid point across the radius axis in lateral images (median 0.012 of the image height).
CARPAL_OFFSET_MM = (-1.5, 3.0)

# Controls the teaching preset sweeps, per view: name -> (low, high).
TEACHING_SWEEPS = {
    "AP": {"inplane_deg": (-25.0, 25.0), "target_v": (0.2, 0.9), "target_u": (0.2, 0.8),
           "thumb_abduction_deg": (-40.0, 25.0), "supination_deg": (-40.0, 40.0)},
    "LAT": {"supination_deg": (-70.0, 70.0), "inplane_deg": (-25.0, 25.0),
            "target_v": (0.2, 0.8), "target_u": (0.2, 0.8), "flexion_deg": (-30.0, 30.0)},
}
# Controls whose mispositioning is as bad either way (a random sign is applied).
MIRRORED_CONTROLS = ("inplane_deg",)
# Mispositioning per task: control -> values far outside the band the spec scores in full.
MISPOSITIONS = {
    "AP": {"AP1": {"target_v": (0.08, 0.16)},
           "AP2": {"target_v": (0.93, 0.96)},
           "AP3": {"inplane_deg": (14.0, 30.0)},
           "AP4": {"target_u": (0.15, 0.25)},
           "AP5": {"field_w_mm": (60.0, 75.0)}},
    # LAT1: supination separates the ulna from the radius, so P2-P1-P4 opens past 60 deg; P1 lies
    # only ~4 mm from P2, so a dorsal carpus (P1 moved away from the ulna) can hide the rotation in
    # the angle: the task keeps the carpus at its usual palmar position.
    "LAT": {"LAT1": {"supination_deg": (45.0, 70.0), "carpal_offset_mm": (-4.0, -0.5)},
            "LAT2": {"inplane_deg": (14.0, 30.0)},
            "LAT3": {"target_u": (0.15, 0.25), "target_v": (0.2, 0.3)}},
}


def _acquisition(rng, long_side: int, p: WristParams) -> WristParams:
    p.sid_mm = float(rng.choice([1000.0, 1000.0, 1100.0, 1150.0]))
    p.table_gap_mm = float(rng.uniform(3.0, 20.0))
    p.size_scale = float(np.clip(rng.normal(1.0, 0.07), 0.82, 1.2))
    p.pixel_mm = max(p.field_w_mm, p.field_h_mm) / long_side
    p.exposure = Exposure(kvp=float(rng.uniform(48, 62)), mas=float(rng.uniform(1.6, 6.0)),
                          scatter_fraction=float(rng.uniform(0.08, 0.22)),
                          texture=float(rng.uniform(0.3, 0.5)),
                          unsharpness_mm=float(rng.uniform(0.8, 1.4)),
                          enhancement=float(rng.uniform(0.8, 1.6)),
                          heel=float(rng.uniform(0.0, 0.15)),
                          exposure_time_ms=float(rng.choice([10.0, 16.0, 20.0, 25.0, 32.0])))
    return p


def _routine(view: str, rng) -> WristParams:
    (mu_u, sd_u), (mu_v, sd_v) = REAL_REFERENCE[view]
    return WristParams(
        view=view, side=str(rng.choice(["L", "R"])),
        supination_deg=float(rng.normal(0.0, 5.0 if view == "AP" else 18.0)),
        flexion_deg=float(rng.normal(0.0, 7.0)), deviation_deg=float(rng.normal(0.0, 5.0)),
        thumb_abduction_deg=float(rng.normal(0.0, 7.0)),
        inplane_deg=float(rng.normal(0.0, 4.0 if view == "AP" else 7.0)),
        upside_down=bool(rng.random() < UPSIDE_DOWN_RATE),
        carpal_offset_mm=float(rng.normal(*CARPAL_OFFSET_MM)),
        proximal_inset=float(np.clip(PROXIMAL_INSET * np.exp(rng.normal(0.0, INSET_LOG_SD)),
                                     0.01, 0.2)),
        target_u=float(np.clip(rng.normal(mu_u, sd_u), 0.2, 0.8)),
        target_v=float(np.clip(rng.normal(mu_v, sd_v), 0.15, 0.85)),
        field_w_mm=float(np.clip(rng.normal(190.0, 15.0), 150.0, 240.0)),
        field_h_mm=float(np.clip(rng.normal(245.0, 20.0), 190.0, 300.0)))


def sample_wrist(view: str, preset: str, rng, index: int = 0, count: int = 1,
                 long_side: int = 768, task: str | None = None, artefact_rate: float = 0.0,
                 marker_rate: float = 0.0) -> tuple[WristParams, dict]:
    """Parameters for one image, and what the preset intended (for the truth file).

    `task`: for "mispositioned", the task to fail (default: one drawn at random).
    `artefact_rate` / `marker_rate`: probability of one foreign body / a lead L/R marker."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    p = _routine(view, rng)
    intent = {"preset": preset}
    if preset == "mispositioned":
        tasks = MISPOSITIONS[view]
        drawn = str(rng.choice(sorted(tasks)))
        task = _check_task(task, tasks) or drawn
        for name, (lo, hi) in tasks[task].items():
            sign = rng.choice([-1.0, 1.0]) if name in MIRRORED_CONTROLS else 1.0
            setattr(p, name, float(sign * rng.uniform(lo, hi)))
        p.upside_down = False
        intent["failed_task"] = task
    elif preset == "teaching":
        p = WristParams(view=view, side=p.side, field_w_mm=190.0, field_h_mm=240.0,
                        target_u=REAL_REFERENCE[view][0][0], target_v=REAL_REFERENCE[view][1][0])
        sweeps = TEACHING_SWEEPS[view]
        name = sorted(sweeps)[index % len(sweeps)]
        per_control = max((count + len(sweeps) - 1) // len(sweeps), 1)
        step = index // len(sweeps)
        lo, hi = sweeps[name]
        value = lo + (hi - lo) * (step / (per_control - 1) if per_control > 1 else 0.5)
        setattr(p, name, float(value))
        intent.update(swept=name, value=float(value))
    # always drawn, so the rates do not change the rest of a case
    artefact, kind, marker = rng.random(), str(rng.choice(ARTEFACT_KINDS)), rng.random()
    p.artefacts = (kind,) if artefact < artefact_rate else ()
    p.marker = bool(marker < marker_rate)
    return _acquisition(rng, long_side, p), intent


def _check_task(task, tasks):
    if task is not None and task not in tasks:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(sorted(tasks))}")
    return task


def sample_lumbar(view: str, preset: str, rng, index: int = 0, count: int = 1,
                  long_side: int = 768, task: str | None = None):
    """Lumbar parameters for one image and the preset's intent (`task`: rule to break)."""
    from .lumbar import LumbarParams

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    width = {"AP": 300.0, "OBL": 280.0, "LAT": 260.0}[view]
    # routine = correctly positioned: small errors that keep every rule of the spec passed
    p = LumbarParams(
        view=view, top_level="T11", top_gap_mm=float(rng.normal(0.0, 1.5)),
        rotation_deg=float(rng.normal(0.0, 1.5)), tilt_deg=float(rng.normal(0.0, 1.5)),
        bend_deg=float(rng.normal(0.0, 1.5)), lordosis_deg=float(rng.uniform(25.0, 55.0)),
        oblique_side=str(rng.choice(["L", "R"])),
        target_u=float(rng.normal(0.5, 0.02)), target_v=float(rng.normal(0.5, 0.015)),
        field_w_mm=float(rng.normal(width, 20.0)), long_side=long_side,
        sid_mm=float(rng.choice([1000.0, 1150.0, 1150.0])), table_gap_mm=float(rng.uniform(40, 80)),
        size_scale=float(np.clip(rng.normal(1.0, 0.06), 0.85, 1.15)),
        abdomen_rx_mm=float(rng.uniform(135, 190)), abdomen_rz_mm=float(rng.uniform(90, 140)))
    intent = {"preset": preset}
    if preset == "mispositioned":
        drawn = str(rng.choice(LUMBAR_MISPOSITIONS[view]))
        task = _check_task(task, LUMBAR_MISPOSITIONS[view]) or drawn
        sign = float(rng.choice([-1.0, 1.0]))
        if task == "rotation":
            p.rotation_deg = sign * float(rng.uniform(15.0, 25.0))
        elif task == "double_contour":
            if view == "LAT":
                p.bend_deg = sign * float(rng.uniform(12.0, 20.0))
            else:
                p.tilt_deg = sign * float(rng.uniform(15.0, 25.0))
        elif task == "field_too_long":
            p.top_level = str(rng.choice(["T9", "T10"]))
        intent["failed_rule"] = task
    elif preset == "teaching":
        name = ("rotation_deg", "tilt_deg", "bend_deg")[index % 3]
        step = index // 3
        per = max((count + 2) // 3, 1)
        value = -25.0 + 50.0 * (step / (per - 1) if per > 1 else 0.5)
        p.rotation_deg = p.tilt_deg = p.bend_deg = 0.0
        setattr(p, name, value)
        intent.update(swept=name, value=value)
    p.exposure = Exposure(kvp=float(rng.uniform(75, 90)), mas=float(rng.uniform(15, 50)),
                          scatter_fraction=float(rng.uniform(0.25, 0.45)), scatter_sigma_mm=40.0,
                          blur_mm=0.2, texture=float(rng.uniform(0.3, 0.5)),
                          unsharpness_mm=float(rng.uniform(0.9, 1.5)),
                          enhancement=float(rng.uniform(1.2, 2.0)),
                          heel=float(rng.uniform(0.0, 0.15)),
                          exposure_time_ms=float(rng.choice([50.0, 80.0, 100.0, 125.0])))
    return p, intent


# Rules the mispositioned lumbar preset breaks, per view.
LUMBAR_MISPOSITIONS = {"AP": ("rotation", "double_contour", "field_too_long"),
                       "LAT": ("double_contour", "field_too_long"),
                       "OBL": ("rotation", "field_too_long")}

"""QC truth of a simulated wrist: the layout measurements of the spec, taken on the exact keypoints.

These are the values a perfect keypoint detector would hand to the scorer, so a scorer test can
compare its measurement with them and a training set can be filtered by them.
"""
from __future__ import annotations

from ..geometry import angle_to_vertical_deg, distance_cm, edge_distances_cm, midpoint, vertex_angle_deg
from ..image import Spacing


def _centring(p, rows, cols, spacing):
    e = edge_distances_cm(p, rows, cols, spacing)
    return abs(e["top"] - e["bottom"]), abs(e["left"] - e["right"])


def wrist_measures(view: str, keypoints: dict, rows: int, cols: int, spacing_mm: float) -> dict:
    """Layout measurements (cm, degrees) per task id; None where a point is absent."""
    sp = Spacing(spacing_mm, spacing_mm, "simulated")
    kp = {k: (None if v is None else tuple(v)) for k, v in keypoints.items()}
    if view == "AP":
        p1, p2, p3 = kp["P1"], kp["P2"], kp["P3"]
        mid = midpoint(p2, p3)
        d1 = min(edge_distances_cm(p2, rows, cols, sp)[s] for s in ("left", "right"))
        d2 = min(edge_distances_cm(p3, rows, cols, sp)[s] for s in ("left", "right"))
        delta1, delta2 = _centring(mid, rows, cols, sp)
        return {"AP1_thumb_mcp_present": p1 is not None,
                "AP2_lower_edge_cm": edge_distances_cm(mid, rows, cols, sp)["bottom"],
                "AP3_styloid_line_deg": angle_to_vertical_deg(p2, p3, sp),
                "AP4_delta1_cm": delta1, "AP4_delta2_cm": delta2,
                "AP5_d1_cm": d1, "AP5_d2_cm": d2,
                "styloid_distance_cm": distance_cm(p2, p3, sp)}
    p1, p2, p4 = kp["P1"], kp["P2"], kp["P4"]
    out = {"LAT1_alpha_deg": vertex_angle_deg(p2, p1, p4, sp), "LAT2_beta_deg": None}
    if kp["P3"] is not None and kp["P5"] is not None:
        out["LAT2_beta_deg"] = angle_to_vertical_deg(p1, midpoint(kp["P3"], kp["P5"]), sp)
    out["LAT3_delta1_cm"], out["LAT3_delta2_cm"] = _centring(p1, rows, cols, sp)
    return out

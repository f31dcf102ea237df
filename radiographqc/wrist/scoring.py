"""The wrist QC score: header, marker, artefact and layout items -> total, grade and report structure.

Pure functions of their inputs and the profile: recomputing from the same (e.g. corrected)
keypoints gives the same result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..image import Spacing
from .header import header_items
from .items import ItemResult, not_assessable, pass_fail
from .keypoints import Keypoints
from .layout import layout_items

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ArtefactResult", "ItemResult", "WristResult", "evaluate_wrist", "grade_for"]


@dataclass(frozen=True)
class ArtefactResult:
    """Output of a foreign-body artefact classifier for one image (the score reads the probability;
    the report and the picture show where the evidence is)."""

    probability: float  # of "artefact present"
    model_id: str
    peak_xy: tuple[float, float] | None = None  # input pixel (x, y) of the strongest evidence
    heatmap: np.ndarray | None = field(default=None, compare=False, repr=False)  # evidence 0..1, image grid


@dataclass
class WristResult:
    view: str
    items: list[ItemResult]
    total: int
    max_assessable: int
    max_total: int
    grade: str
    grade_basis: str
    profile_name: str
    profile_version: str
    percent: float | None  # 100 * total / max_assessable; None when nothing is assessable

    def to_dict(self) -> dict:
        return {"module": "wrist", "view": self.view, "total": self.total, "max_total": self.max_total,
                "max_assessable": self.max_assessable,
                "percent_of_assessable": None if self.percent is None else round(self.percent, 1),
                "grade": self.grade, "grade_basis": self.grade_basis,
                "profile": {"name": self.profile_name, "version": self.profile_version},
                "items": [item.to_dict() for item in self.items]}


def marker_item(marker, profile: dict) -> ItemResult:
    cfg = profile["marker"]
    if marker is None:
        return not_assessable("MARKER", cfg["label"], cfg["points"], "not assessed: no marker detection was run")
    band = f"complete L or R marker found (similarity > {cfg['similarity_threshold']:g})"
    if marker.found:
        where = "" if marker.bbox is None else (f" at x {marker.bbox[0]}–{marker.bbox[2]}, "
                                                f"y {marker.bbox[1]}–{marker.bbox[3]}")
        explanation = f"{marker.letter} marker{where} (similarity {marker.similarity:.2f})"
    else:
        explanation = f"no complete L/R marker found (best similarity {marker.similarity:.2f})"
    return pass_fail("MARKER", cfg["label"], cfg["points"], marker.found, marker.letter, band, explanation,
                     "place a complete L or R lead marker inside the field, clear of the anatomy")


def artefact_item(artefact: ArtefactResult | None, profile: dict) -> ItemResult:
    cfg = profile["artefact"]
    if artefact is None:
        return not_assessable("ARTEFACT", cfg["label"], cfg["points"],
                              "not assessed: no artefact classifier is available; its points are left out of "
                              "the assessable maximum")
    ok = artefact.probability < cfg["probability_threshold"]
    return pass_fail("ARTEFACT", cfg["label"], cfg["points"], ok, round(float(artefact.probability), 4),
                     f"artefact probability < {cfg['probability_threshold']:g}",
                     f"classifier {artefact.model_id}: artefact probability {artefact.probability:.2f}",
                     "remove foreign objects (rings, watches, jewellery, buttons, splints if clinically "
                     "possible) from the field")


def grade_for(total: int, max_assessable: int, profile: dict) -> tuple[str, float | None]:
    """Grade letter and percent of the assessable points, on the profile's grade basis.

    Thresholds are "at least": with A 90, B 80, C 60, D 0 a total of 89 is B and 90 is A.
    """
    percent = 100.0 * total / max_assessable if max_assessable else None
    value = total if profile["grade_basis"] == "total" else percent
    if value is None:
        return "n/a", None
    ordered = sorted(profile["grade_thresholds"].items(), key=lambda kv: kv[1], reverse=True)
    return next((grade for grade, threshold in ordered if value >= threshold), ordered[-1][0]), percent


def evaluate_wrist(keypoints: Keypoints, rows: int, cols: int, spacing: Spacing | None,
                   header: dict[str, str] | None, marker, artefact: ArtefactResult | None, profile: dict,
                   is_dicom: bool = True) -> WristResult:
    """Score one wrist radiograph.

    `marker`: a wrist.marker.MarkerResult, or None when not assessed; `artefact`: None when no
    classifier ran. Items that cannot be assessed (no header for non-DICOM input, no spacing for the
    cm tasks, no classifier) score 0 and are left out of max_assessable.
    """
    items = (header_items(header, spacing, profile, is_dicom=is_dicom)
             + [marker_item(marker, profile), artefact_item(artefact, profile)]
             + layout_items(keypoints, rows, cols, spacing, profile))
    total = sum(item.score for item in items)
    max_total = sum(item.max for item in items)
    max_assessable = sum(item.max for item in items if item.assessable)
    grade, percent = grade_for(total, max_assessable, profile)
    return WristResult(keypoints.view, items, total, max_assessable, max_total, grade, profile["grade_basis"],
                       profile["name"], profile["version"], percent)

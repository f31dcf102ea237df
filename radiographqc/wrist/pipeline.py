"""Wrist QC of one image: DICOM -> keypoints (file or model) -> marker -> rules -> report and overlay."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..batch import Outcome
from ..dicom_io import read_radiograph
from ..errors import InputError
from ..models import ModelRegistry
from ..report.overlay import draw_wrist
from .keypoints import POINT_NAMES, Keypoint, Keypoints, read_keypoints
from .marker import detect_marker
from .scoring import ArtefactResult, evaluate_wrist

KEYPOINT_SUFFIXES = (".keypoints.json", ".json")
KEYPOINT_MODELS = {"AP": "wrist-ap-3", "LAT": "wrist-lat-5"}   # bundled model id per view
ARTEFACT_MODEL = "wrist-artefact"


def find_keypoint_file(image: Path, keypoints: str | Path | None) -> Path | None:
    """The keypoint file for an image: the given file, else <stem>.keypoints.json / <stem>.json in the given
    folder or beside the image."""
    if keypoints is not None and Path(keypoints).is_file():
        return Path(keypoints)
    folder = Path(keypoints) if keypoints is not None else image.parent
    stem = image.name[: -len(image.suffix)] if image.suffix else image.name
    for suffix in KEYPOINT_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def resolve_view(image_view: str | None, keypoints: Keypoints, path: Path) -> tuple[str, str]:
    """The view to score and where it came from; a wrist QC of an oblique image or a view mismatch is an error."""
    if image_view not in (None, "AP", "LAT"):
        raise InputError(path, f"wrong view for wrist QC: the header says {image_view} (expected AP or LAT)")
    if image_view and image_view != keypoints.view:
        raise InputError(path, f"view mismatch: the header says {image_view} but the keypoints are for "
                               f"{keypoints.view}")
    return keypoints.view, "DICOM header" if image_view else "keypoint file"


def keypoints_report(keypoints: Keypoints, source: str, low_confidence: float) -> dict:
    """Per point: position, presence, the detector's confidence, and "review" when a detected point's
    confidence is below the profile's `keypoints.low_confidence` (a person should check it)."""
    names = POINT_NAMES[keypoints.view]
    return {pid: {"name": names[pid], "xy": None if kp.xy is None else [float(kp.xy[0]), float(kp.xy[1])],
                  "present": kp.xy is not None, "confidence": kp.confidence,
                  "review": kp.xy is not None and kp.confidence is not None and kp.confidence < low_confidence,
                  "source": source}
            for pid, kp in keypoints.points.items()}


def source_report(rg, path: Path, view_source: str) -> dict:
    spacing = rg.spacing
    return {"path": str(path), "rows": rg.rows, "cols": rg.cols, "photometric": rg.photometric,
            "transfer_syntax": rg.transfer_syntax, "view_source": view_source, "laterality": rg.laterality,
            "spacing": None if spacing is None else {"row_mm": spacing.row_mm, "col_mm": spacing.col_mm,
                                                     "source": spacing.source}}


class KeypointDetector:
    """Keypoints of a radiograph from the bundled model of its view; models load on first use."""

    def __init__(self, registry: ModelRegistry | None = None, model_ids: dict | None = None):
        self.registry = registry or ModelRegistry()
        self.model_ids = model_ids or KEYPOINT_MODELS
        self._models = {}

    def model(self, view: str):
        if view not in self._models:
            self._models[view] = self.registry.load(self.model_ids[view])
        return self._models[view]

    def detect(self, rg, path: Path) -> tuple[Keypoints, dict]:
        """(keypoints in input pixels with confidences, {"id", "version", "sha256"} of the model)."""
        if rg.view not in self.model_ids:
            raise InputError(path, f"no keypoint file, and the keypoint models need an AP or LAT view: "
                                   f"the header gives {rg.view or 'no view'} (add a keypoint file)")
        model = self.model(rg.view)
        found = model.predict(rg.pixels)
        points = {name: Keypoint(mark.xy, mark.confidence) for name, mark in found.items()}
        return Keypoints(rg.view, points), model_report(model)


def model_report(model) -> dict:
    return {"id": model.id, "version": model.version, "sha256": model.manifest["sha256"]}


class ArtefactDetector:
    """The bundled foreign-body classifier, loaded on first use."""

    def __init__(self, registry: ModelRegistry | None = None, model_id: str = ARTEFACT_MODEL):
        self.registry = registry or ModelRegistry()
        self.model_id = model_id
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = self.registry.load(self.model_id)
        return self._model

    def detect(self, pixels):
        """(ArtefactResult, ArtefactPrediction with the heatmap on the image grid, model dict)."""
        prediction = self.model.predict(pixels)
        return (ArtefactResult(prediction.probability, self.model.id), prediction,
                model_report(self.model))


def artefact_report(prediction, threshold: float) -> dict:
    return {"probability": round(prediction.probability, 4),
            "present": prediction.probability >= threshold, "threshold": threshold,
            "peak_xy": [prediction.peak_xy[0], prediction.peak_xy[1]]}


class WristPipeline:
    """Holds what is shared by every image of a run (profile, keypoint location, models)."""

    def __init__(self, profile: dict, keypoints=None, spacing_mm=None, detector: KeypointDetector | None = None,
                 artefacts: ArtefactDetector | None = None):
        self.profile = profile
        self.keypoints = keypoints
        self.spacing_mm = spacing_mm
        self.detector = detector or KeypointDetector()
        self.artefacts = artefacts or ArtefactDetector(self.detector.registry)
        self.low_confidence = profile.get("keypoints", {}).get("low_confidence", 0.5)

    def keypoints_for(self, path: Path, rg) -> tuple[Keypoints, str, list[dict]]:
        """(keypoints, their source, models used): a keypoint file wins (a reviewer's correction),
        else the bundled model of the image's view."""
        kp_file = find_keypoint_file(path, self.keypoints)
        if kp_file is not None:
            return read_keypoints(kp_file), "file", []
        keypoints, model = self.detector.detect(rg, path)
        return keypoints, "model", [model]

    def assess(self, path: Path) -> Outcome:
        rg = read_radiograph(path, self.spacing_mm)
        keypoints, kp_source, models = self.keypoints_for(path, rg)
        view, view_source = resolve_view(rg.view, keypoints, path)
        marker_cfg = self.profile["marker"]
        spacing_mm = None if rg.spacing is None else (rg.spacing.row_mm + rg.spacing.col_mm) / 2
        marker = detect_marker(rg.pixels, spacing_mm=spacing_mm, threshold=marker_cfg["similarity_threshold"])
        artefact, prediction, artefact_model = self.artefacts.detect(rg.pixels)
        result = evaluate_wrist(keypoints, rg.rows, rg.cols, rg.spacing, rg.header, marker, artefact, self.profile,
                                is_dicom=rg.photometric.startswith("MONOCHROME"))
        report = result.to_dict()
        threshold = self.profile["artefact"]["probability_threshold"]
        report.update(source=source_report(rg, path, view_source),
                      keypoints=keypoints_report(keypoints, kp_source, self.low_confidence),
                      marker=marker.to_dict(), artefact=artefact_report(prediction, threshold),
                      models=models + [artefact_model],
                      software={"name": "radiographqc", "version": __version__},
                      created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        return Outcome(report, draw_wrist(rg.pixels, report, rg.window, prediction.heatmap))

"""Wrist QC of one image in four stages, called alike by the command line (`WristPipeline.assess`)
and the Slicer module, so the two cannot diverge:

1. `analyse_image`: what the pixels alone give, once per image: the view (checked), the L/R marker,
   the foreign-body classifier's probability and heatmap -> `ImageAnalysis`;
2. `find_keypoints`: keypoints given by the caller, else a keypoint file (a reviewer's correction
   wins over a model), else the bundled model of the view; checked against the view -> `FoundKeypoints`;
3. `score_wrist`: the rules on keypoints (pure and cheap: Slicer calls it on every point drag);
4. `wrist_report`: the report dict the JSON/HTML writers take.

A missing or broken model is a ModelError naming the model file and the reason, and an image
without a view and without a keypoint file an InputError, for every caller.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..batch import Outcome
from ..dicom_io import read_radiograph
from ..errors import InputError
from ..image import Radiograph
from ..models import ModelRegistry
from ..report.overlay import draw_wrist
from .keypoints import POINT_NAMES, Keypoint, Keypoints, read_keypoints
from .marker import MarkerResult, detect_marker
from .scoring import ArtefactResult, WristResult, evaluate_wrist

KEYPOINT_SUFFIXES = (".keypoints.json", ".json")
KEYPOINT_MODELS = {"AP": "wrist-ap-3", "LAT": "wrist-lat-5"}   # bundled model id per view
ARTEFACT_MODEL = "wrist-artefact"


@dataclass(frozen=True)
class ImageAnalysis:
    """What the image alone gives, found once per image: none of it depends on the keypoints."""

    view: str | None            # the header's view: "AP", "LAT", or None when it gives none
    marker: MarkerResult
    artefact: ArtefactResult    # with the heatmap while it is in memory
    models: list[dict] = field(default_factory=list)   # the models that ran: {"id", "version", "sha256"}

    def for_profile(self, profile: dict) -> ImageAnalysis:
        """The analysis judged by another profile: the marker search keeps its best similarity, so
        "found" is decided again without searching the image again."""
        threshold = profile["marker"]["similarity_threshold"]
        found = self.marker.letter is not None and self.marker.similarity > threshold
        return dataclasses.replace(self, marker=dataclasses.replace(self.marker, found=found))

    def to_dict(self) -> dict:
        """JSON-ready and exact where the score reads it (e.g. to keep in a saved scene); no heatmap."""
        artefact = self.artefact
        return {"view": self.view,
                "marker": {**self.marker.to_dict(), "similarity": float(self.marker.similarity)},
                "artefact": {"probability": float(artefact.probability), "model_id": artefact.model_id,
                             "peak_xy": None if artefact.peak_xy is None else [float(v) for v in artefact.peak_xy]},
                "models": list(self.models)}

    @classmethod
    def from_dict(cls, data: dict, heatmap=None) -> ImageAnalysis:
        """The analysis `to_dict` gave, with the heatmap kept elsewhere (or None)."""
        marker = {key: tuple(value) if key in ("bbox", "centre") and value is not None else value
                  for key, value in data["marker"].items()}
        artefact = data["artefact"]
        peak = artefact["peak_xy"]
        return cls(data["view"], MarkerResult(**marker),
                   ArtefactResult(artefact["probability"], artefact["model_id"],
                                  None if peak is None else tuple(peak), heatmap),
                   list(data["models"]))


@dataclass(frozen=True)
class FoundKeypoints:
    """The keypoints of an image and where they came from."""

    keypoints: Keypoints
    source: str          # "given" (by the caller), "file" (a reviewer's) or "model"
    view_source: str     # where the scored view came from: "DICOM header", "keypoint file", "given keypoints"
    models: list[dict] = field(default_factory=list)   # the keypoint model that placed them, if any


def find_keypoint_file(image: Path, keypoints: str | Path | None) -> Path | None:
    """The keypoint file for an image: the given file, else <stem>.keypoints.json / <stem>.json in the given
    folder or beside the image (an image that is no file, e.g. a volume another reader loaded, has no folder)."""
    if keypoints is not None and Path(keypoints).is_file():
        return Path(keypoints)
    if keypoints is None and not image.is_file():
        return None
    folder = Path(keypoints) if keypoints is not None else image.parent
    stem = image.name[: -len(image.suffix)] if image.suffix else image.name
    for suffix in KEYPOINT_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


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


def model_report(model) -> dict:
    return {"id": model.id, "version": model.version, "sha256": model.manifest["sha256"]}


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

    def model_info(self, view: str) -> dict:
        return model_report(self.model(view))

    def detect(self, rg, path: Path) -> Keypoints:
        """Keypoints in input pixels with the model's confidences."""
        if rg.view not in self.model_ids:
            raise InputError(path, f"no keypoint file, and the keypoint models need an AP or LAT view: "
                                   f"the header gives {rg.view or 'no view'} (add a keypoint file)")
        found = self.model(rg.view).predict(rg.pixels)
        return Keypoints(rg.view, {name: Keypoint(mark.xy, mark.confidence) for name, mark in found.items()})


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

    def model_info(self) -> dict:
        return model_report(self.model)

    def detect(self, pixels) -> ArtefactResult:
        """Probability, peak and heatmap (on the image grid) of a foreign body."""
        prediction = self.model.predict(pixels)
        return ArtefactResult(prediction.probability, self.model.id, tuple(prediction.peak_xy), prediction.heatmap)


def artefact_report(artefact: ArtefactResult, threshold: float) -> dict:
    return {"probability": round(artefact.probability, 4),
            "present": artefact.probability >= threshold, "threshold": threshold,
            "peak_xy": None if artefact.peak_xy is None else [artefact.peak_xy[0], artefact.peak_xy[1]]}


# ---------------------------------------------------------------- the stages

def analyse_image(rg: Radiograph, profile: dict, artefacts: ArtefactDetector) -> ImageAnalysis:
    """Stage 1: view, marker and foreign body of one image. An image of a view the wrist QC does not
    score is refused before any model runs."""
    if rg.view not in (None, *KEYPOINT_MODELS):
        raise InputError(rg.path, f"wrong view for wrist QC: the header says {rg.view} (expected AP or LAT)")
    spacing_mm = None if rg.spacing is None else (rg.spacing.row_mm + rg.spacing.col_mm) / 2
    marker = detect_marker(rg.pixels, spacing_mm=spacing_mm, threshold=profile["marker"]["similarity_threshold"])
    artefact = artefacts.detect(rg.pixels)
    return ImageAnalysis(rg.view, marker, artefact, [artefacts.model_info()])


def find_keypoints(rg: Radiograph, analysis: ImageAnalysis, detector: KeypointDetector,
                   location: str | Path | None = None, given: Keypoints | None = None) -> FoundKeypoints:
    """Stage 2: the keypoints `given`, else those of a keypoint file (`location`: a file or a folder;
    by default beside the image), else the bundled model's for the image's view. Keypoints of
    another view than the header's are an InputError."""
    path = Path(rg.path)
    if given is not None:
        keypoints, source, models = given, "given", []
    elif (kp_file := find_keypoint_file(path, location)) is not None:
        keypoints, source, models = read_keypoints(kp_file), "file", []
    else:
        keypoints, source = detector.detect(rg, path), "model"
        models = [detector.model_info(keypoints.view)]
    if analysis.view and analysis.view != keypoints.view:
        raise InputError(path, f"view mismatch: the header says {analysis.view} but the keypoints are for "
                               f"{keypoints.view}")
    view_source = "DICOM header" if analysis.view else "keypoint file" if source == "file" else "given keypoints"
    return FoundKeypoints(keypoints, source, view_source, models)


def score_wrist(keypoints: Keypoints, rg: Radiograph, analysis: ImageAnalysis, profile: dict) -> WristResult:
    """Stage 3: the score of these keypoints on this image (pure: no model, no image search)."""
    return evaluate_wrist(keypoints, rg.rows, rg.cols, rg.spacing, rg.header, analysis.marker, analysis.artefact,
                          profile, is_dicom=rg.photometric.startswith("MONOCHROME"))


def wrist_report(result: WristResult, rg: Radiograph, analysis: ImageAnalysis, found: FoundKeypoints,
                 profile: dict) -> dict:
    """Stage 4: the report of one image: the score, then its inputs (source image, keypoints, marker,
    foreign body), the models that ran and the software that wrote it."""
    report = result.to_dict()
    report.update(source=source_report(rg, Path(rg.path), found.view_source),
                  keypoints=keypoints_report(found.keypoints, found.source, profile["keypoints"]["low_confidence"]),
                  marker=analysis.marker.to_dict(),
                  artefact=artefact_report(analysis.artefact, profile["artefact"]["probability_threshold"]),
                  models=found.models + analysis.models,
                  software={"name": "radiographqc", "version": __version__},
                  created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return report


class WristPipeline:
    """The four stages for one image after another, with what every image of a run shares
    (profile, keypoint location, models)."""

    def __init__(self, profile: dict, keypoints=None, spacing_mm=None, detector: KeypointDetector | None = None,
                 artefacts: ArtefactDetector | None = None):
        self.profile = profile
        self.keypoints = keypoints
        self.spacing_mm = spacing_mm
        self.detector = detector or KeypointDetector()
        self.artefacts = artefacts or ArtefactDetector(self.detector.registry)

    def assess(self, path: Path) -> Outcome:
        rg = read_radiograph(path, self.spacing_mm)
        analysis = analyse_image(rg, self.profile, self.artefacts)
        found = find_keypoints(rg, analysis, self.detector, self.keypoints)
        result = score_wrist(found.keypoints, rg, analysis, self.profile)
        report = wrist_report(result, rg, analysis, found, self.profile)
        return Outcome(report, draw_wrist(rg.pixels, report, rg.window, analysis.artefact.heatmap))

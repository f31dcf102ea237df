"""The bridge from segment masks to the package's lumbar rules engine (radiographqc.lumbar)."""
from __future__ import annotations

from pathlib import Path

from radiographqc import __version__
from radiographqc.batch import Outcome
from radiographqc.dicom_io import read_radiograph
from radiographqc.errors import InputError
from radiographqc.lumbar import LEVELS, STRUCTURES, LumbarMasks, evaluate_lumbar, normalise_view
from radiographqc.wrist.pipeline import source_report

from . import labels


def normaliseView(view) -> str | None:
    """"AP" | "LAT" | "OBL", or None for a missing or unknown view (the reviewer then chooses it)."""
    try:
        return None if view is None else normalise_view(view)
    except ValueError:
        return None


def segmentRole(segmentId: str, name: str, imported: bool = False) -> tuple[str, str | None] | None:
    """What a segment is to the rules: ("vertebra", None) or ("structure", name), or None for a
    segment the rules do not know. Imported segments keep their label names as ids (also labels the
    rules do not score, e.g. superior articular processes: they are bone for the exposure rules);
    a segment a reviewer adds in the Segment Editor is recognised by its name (a level such as "L5",
    "vertebra ...", or a structure's name or display name)."""
    if segmentId.startswith(labels.VERTEBRA_PREFIX):
        return "vertebra", None
    if segmentId in STRUCTURES or imported:
        return "structure", segmentId
    if name.lower().startswith("vertebra ") or name in LEVELS:
        return "vertebra", None
    byDisplay = {s.display: key for key, s in STRUCTURES.items()}
    key = name if name in STRUCTURES else byDisplay.get(name)
    return ("structure", key) if key else None


def lumbarMasks(view: str, shape, segments: list[tuple]) -> LumbarMasks:
    """LumbarMasks from [(segment id, name, level set by the reviewer or None, mask, imported)]: every vertebra
    segment is one body (with its level when the reviewer named it); structures by their names (a
    structure split over several segments is their union)."""
    vertebrae, structures = [], {}
    for segmentId, name, level, mask, imported in segments:
        role = segmentRole(segmentId, name, imported)
        if role is None:
            continue
        if role[0] == "vertebra":
            vertebrae.append((level, mask))
        else:
            structures[role[1]] = structures[role[1]] | mask if role[1] in structures else mask
    return LumbarMasks(view, shape, vertebrae if vertebrae else None, structures)


def evaluate(segments, radiograph, view: str, profile: dict):
    """The LumbarResult of the segmentation as it is now (see lumbarMasks), with the image for the
    exposure rules and the spacing for physical sizes."""
    masks = lumbarMasks(view, radiograph.pixels.shape, segments)
    return evaluate_lumbar(masks, radiograph.pixels, profile, radiograph.spacing)


def segmentsFromLabelFiles(labelPath, shape) -> list[tuple]:
    """[(segment id, name, None, mask, True)] of label files, as the segmentation would hold them."""
    return [(sid, labels.segmentDisplay(sid)["name"], None, mask, True)
            for sid, mask in labels.readLabelFiles(labelPath, shape).items()]


def batchProcess(profile: dict, labelFolder=None, spacingMm=None):
    """process(path) -> Outcome for the batch runner: the image, its label files (beside it or in
    `labelFolder`), the rules; the same report as the interactive module."""
    def process(path: Path) -> Outcome:
        radiograph = read_radiograph(path, spacingMm)
        view = normaliseView(radiograph.view)
        if view is None:
            raise InputError(path, "the view (AP, LAT or OBL) is not in the header")
        folder = Path(labelFolder) if labelFolder else path.parent
        labelPath = labels.labelFilesBeside(folder / path.name)
        if labelPath is None:
            raise InputError(path, f"no label files <stem>{labels.LABELS_SUFFIX} in {folder}")
        result = evaluate(segmentsFromLabelFiles(labelPath, radiograph.pixels.shape), radiograph, view, profile)
        report = result.to_dict()
        report.update(source=source_report(radiograph, path, "DICOM header"), models=[],
                      software={"name": "radiographqc", "version": __version__, "module": "LumbarQC"})
        return Outcome(report, None)

    return process

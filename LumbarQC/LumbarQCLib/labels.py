"""Lumbar label files <-> segment masks, and how each structure is shown as a Slicer segment.

Label files (the format of the repository samples, the simulator and `radiographqc train`):
`<stem>.labels.png` holds one bit per structure (structures overlap: L3 lies inside the vertebrae),
`<stem>.labels.json` maps structure name -> bit value, and `<stem>.vertebrae.png` numbers each
vertebra (instance id 1..N, 0 = background). Segment ids: the structure names, and `vertebra_<id>`
for the instances (they replace the all-vertebrae union when an instance file exists).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from radiographqc.errors import InputError
from radiographqc.lumbar.labels import ANATOMICAL_STRUCTURE, LEVEL_CODES, STRUCTURES
from radiographqc.simulate.output import _write_labels

LABELS_SUFFIX = ".labels.png"
TABLE_SUFFIX = ".labels.json"
INSTANCES_SUFFIX = ".vertebrae.png"
LABEL_IMAGE_SUFFIXES = (LABELS_SUFFIX, INSTANCES_SUFFIX)   # never radiographs themselves
VERTEBRAE = "vertebrae"
VERTEBRA_PREFIX = "vertebra_"

_CATEGORY_CONTEXT = "Segmentation category and type - DICOM master list"
_REGION = "Anatomic codes - DICOM master list~^^~^^|"
_GREY = (0.8, 0.8, 0.8)


def terminology(code) -> str:
    """The Slicer terminology entry string of a structure's DICOM code (catalogue `Code`)."""
    category = ANATOMICAL_STRUCTURE
    return (f"{_CATEGORY_CONTEXT}~{category.scheme}^{category.value}^{category.meaning}"
            f"~{code.scheme}^{code.value}^{code.meaning}~^^~{_REGION}")


def segmentDisplay(segmentId: str, level: str | None = None) -> dict:
    """Name, colour (0..1) and, where DICOM has a code, terminology of a segment, from the package's
    lumbar catalogue; a vertebra instance is named by its level once the rules identified it."""
    if segmentId.startswith(VERTEBRA_PREFIX):
        base = STRUCTURES[VERTEBRAE]
        name = level or f"vertebra {segmentId[len(VERTEBRA_PREFIX):]}"
        code = LEVEL_CODES.get(level)
    elif segmentId in STRUCTURES:
        base = STRUCTURES[segmentId]
        name, code = base.display, base.code
    else:
        return {"name": segmentId.replace("_", " "), "color": _GREY}
    # neighbouring vertebrae alternate in shade so their borders stay visible
    shade = 0.8 if segmentId.startswith(VERTEBRA_PREFIX) and int(segmentId[len(VERTEBRA_PREFIX):]) % 2 else 1.0
    entry = {"name": name, "color": tuple(shade * c / 255 for c in base.colour)}
    if code is not None:
        entry["terminology"] = terminology(code)
    return entry


def labelFilesBeside(image: Path) -> Path | None:
    """`<stem>.labels.png` beside an image, or None."""
    stem = image.name.split(".")[0]
    candidate = image.with_name(stem + LABELS_SUFFIX)
    return candidate if candidate.is_file() else None


def _stem(labelsPath: Path) -> Path:
    return labelsPath.with_name(labelsPath.name[: -len(LABELS_SUFFIX)])


def readLabelFiles(labelsPath, shape) -> dict:
    """{segment id: boolean mask} from `<stem>.labels.png` (+ .labels.json, + .vertebrae.png if present)."""
    labelsPath = Path(labelsPath)
    if not labelsPath.name.endswith(LABELS_SUFFIX):
        raise InputError(labelsPath, f"expected a label image named <stem>{LABELS_SUFFIX}")
    base = _stem(labelsPath)
    tablePath = base.with_name(base.name + TABLE_SUFFIX)
    try:
        table = json.loads(tablePath.read_text(encoding="utf-8"))["labels"]
        bits = np.asarray(Image.open(labelsPath)).astype(np.int64)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(labelsPath, f"cannot read the label files (and {tablePath.name}): {exc}") from exc
    if bits.shape != tuple(shape):
        raise InputError(labelsPath, f"label image is {bits.shape[1]}x{bits.shape[0]} px but the radiograph "
                                     f"is {shape[1]}x{shape[0]}")
    masks = {name: (bits & int(value)) != 0 for name, value in table.items()}
    instancesPath = base.with_name(base.name + INSTANCES_SUFFIX)
    if instancesPath.is_file():
        instances = np.asarray(Image.open(instancesPath))
        if instances.shape != bits.shape:
            raise InputError(instancesPath, "vertebra image and label image differ in size")
        masks.pop(VERTEBRAE, None)
        masks.update({f"{VERTEBRA_PREFIX}{i}": instances == i for i in np.unique(instances) if i})
    return masks


def vertebraInstances(masks: dict) -> np.ndarray:
    """The instance image (0 = background, i = segment vertebra_i) of the vertebra segments."""
    shape = next(iter(masks.values())).shape
    instances = np.zeros(shape, np.uint8)
    for sid, mask in masks.items():
        if sid.startswith(VERTEBRA_PREFIX):
            instances[mask & (instances == 0)] = int(sid[len(VERTEBRA_PREFIX):])
    return instances


def structureMasks(masks: dict) -> dict:
    """Structure name -> mask, with the vertebra instances merged into the "vertebrae" union."""
    result = {sid: m for sid, m in masks.items() if not sid.startswith(VERTEBRA_PREFIX)}
    if any(sid.startswith(VERTEBRA_PREFIX) for sid in masks):
        result[VERTEBRAE] = vertebraInstances(masks) > 0
    return result


def writeLabelFiles(folder, stem: str, masks: dict) -> Path:
    """Write `<stem>.labels.png` + `.labels.json` (the simulator's writer, so the formats cannot drift)
    and, for vertebra instances, `<stem>.vertebrae.png`; returns the label image path."""
    folder = Path(folder)
    written = _write_labels(structureMasks(masks), folder, stem)
    if any(sid.startswith(VERTEBRA_PREFIX) for sid in masks):
        Image.fromarray(vertebraInstances(masks)).save(folder / f"{stem}{INSTANCES_SUFFIX}")
    return folder / written["file"]

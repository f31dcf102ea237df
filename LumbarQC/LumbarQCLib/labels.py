"""Segments <-> the package's LumbarMasks, and how each structure is shown as a Slicer segment.

Segment ids: the structure names, and `vertebra_<id>` for each vertebral body (they replace the
all-vertebrae union when the masks separate the bodies). Label files are read and written by
`radiographqc.label_io` only; this module maps their LumbarMasks onto segments and back.
"""
from __future__ import annotations

import re

import numpy as np

from radiographqc.lumbar import LumbarMasks
from radiographqc.lumbar.labels import ANATOMICAL_STRUCTURE, STRUCTURES

VERTEBRAE = "vertebrae"
VERTEBRA_PREFIX = "vertebra_"
_VERTEBRA_ID = re.compile(VERTEBRA_PREFIX + r"(\d+)")   # not e.g. a model's "vertebra_separation" channel

# Context names of Slicer's DICOM master lists (SegmentationCategoryTypeContextName and
# AnatomicContextName of Modules/Loadable/Terminologies/Resources/*-DICOM-Master.json)
CATEGORY_CONTEXT = "Segmentation category and type - DICOM master list"
ANATOMIC_CONTEXT = "Anatomic codes - DICOM master list"
_GREY = (0.8, 0.8, 0.8)


def _codeField(code) -> str:
    return "^^" if code is None else f"{code.scheme}^{code.value}^{code.meaning}"


def terminology(code) -> str:
    """The Slicer terminology entry string of a structure's code (catalogue `Code`), in the format of
    vtkSlicerTerminologiesModuleLogic::SerializeTerminologyEntry: seven fields joined by "~" (context,
    category, type, type modifier, anatomic context, region, region modifier), each code as
    "scheme^value^meaning", an absent one "^^". No modifier or region: the "Anatomical Structure"
    category has showAnatomy false, so Slicer's selector has none for it."""
    fields = (CATEGORY_CONTEXT, _codeField(ANATOMICAL_STRUCTURE), _codeField(code), _codeField(None),
              ANATOMIC_CONTEXT, _codeField(None), _codeField(None))
    return "~".join(fields)


def vertebraNumber(segmentId: str) -> int | None:
    """n of a vertebral-body segment `vertebra_<n>`, None for any other segment."""
    match = _VERTEBRA_ID.fullmatch(segmentId)
    return int(match.group(1)) if match else None


def segmentDisplay(segmentId: str, level: str | None = None) -> dict:
    """Name, colour (0..1) and, where Slicer's terminology has a code, terminology of a segment, from
    the package's lumbar catalogue; a vertebra instance is named by its level once the rules
    identified it (its terminology, "Vertebra", is the same at every level)."""
    number = vertebraNumber(segmentId)
    if number is not None:
        base = STRUCTURES[VERTEBRAE]
        name, code = level or f"vertebra {number}", base.code
    elif segmentId in STRUCTURES:
        base = STRUCTURES[segmentId]
        name, code = base.display, base.code
    else:
        return {"name": segmentId.replace("_", " "), "color": _GREY}
    # neighbouring vertebrae alternate in shade so their borders stay visible
    shade = 0.8 if number is not None and number % 2 else 1.0
    entry = {"name": name, "color": tuple(shade * c / 255 for c in base.colour)}
    if code is not None:
        entry["terminology"] = terminology(code)
    return entry


def segmentsFromMasks(masks: LumbarMasks) -> list[tuple[str, str | None, np.ndarray]]:
    """[(segment id, vertebral level or None, mask)]: one segment per structure and, where the masks
    separate the vertebral bodies (instance image or list), one per body with the level the masks
    give (a label file's, never guessed here)."""
    vertebrae = masks.vertebrae
    if isinstance(vertebrae, np.ndarray) and vertebrae.dtype != bool:
        bodies = [(int(i), masks.vertebra_names.get(int(i)), vertebrae == i) for i in np.unique(vertebrae) if i]
    elif isinstance(vertebrae, list):
        bodies = [(n, level, mask) for n, (level, mask) in enumerate(vertebrae, 1)]
    else:
        bodies = []
    structures = [(sid, None, mask) for sid, mask in masks.structures.items() if not (bodies and sid == VERTEBRAE)]
    return structures + [(f"{VERTEBRA_PREFIX}{n}", level, mask) for n, level, mask in bodies]


def labelFileContent(masks: LumbarMasks) -> tuple[dict, np.ndarray | None, dict]:
    """(structure masks, vertebra instance image or None, {level: instance id}) of list-form
    LumbarMasks, as `label_io.write_label_files` takes them: bodies numbered 1..N in list order,
    levels only where the masks name them."""
    if not masks.vertebrae:
        return masks.structures, None, {}
    instances = np.zeros(masks.shape, np.uint16)
    for n, (_, mask) in enumerate(masks.vertebrae, 1):
        instances[mask & (instances == 0)] = n
    levels = {level: n for n, (level, _) in enumerate(masks.vertebrae, 1) if level is not None}
    return masks.structures, instances, levels

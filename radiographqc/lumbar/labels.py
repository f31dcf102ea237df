"""The lumbar structure catalogue: names per view, display colours and standard terminology.

Structure names are those of the simulator and of the segmentation network's channels
(`radiographqc.train.seg_data.CHANNELS`), so masks pass between them unchanged.

Terminology is given as code triplets (code value, coding scheme "SCT" = SNOMED CT, code meaning)
exactly as 3D Slicer's terminology lists hold them (Modules/Loadable/Terminologies/Resources/
SegmentationCategoryTypeModifier-DICOM-Master.json, the same file in Slicer 5.8 to 5.12), so that
Slicer's terminology selector resolves every segment. Those lists have no code for a vertebral level
or for a part of a vertebra (spinous process, pedicle, articular process), and the "Vertebra" type
has no modifiers; such structures carry "Vertebra" and the segment name says which level or part.
A structure with no entry there (or a finding, not anatomy) has None rather than a guessed code.
"""
from __future__ import annotations

from dataclasses import dataclass

VIEWS = ("AP", "LAT", "OBL")
_VIEW_ALIASES = {"AP": "AP", "PA": "AP", "LAT": "LAT", "LATERAL": "LAT", "LL": "LAT",
                 "OBL": "OBL", "OBLIQUE": "OBL"}

# Vertebral levels top to bottom; identification counts upwards from L5.
LEVELS = tuple([f"T{i}" for i in range(1, 13)] + [f"L{i}" for i in range(1, 6)])


@dataclass(frozen=True)
class Code:
    value: str
    scheme: str
    meaning: str

    def to_dict(self) -> dict:
        return {"value": self.value, "scheme": self.scheme, "meaning": self.meaning}


# The category of every anatomy entry of Slicer's DICOM master list (DICOM CID 7150)
ANATOMICAL_STRUCTURE = Code("123037004", "SCT", "Anatomical Structure")
VERTEBRA = Code("51282000", "SCT", "Vertebra")


@dataclass(frozen=True)
class Structure:
    name: str                      # key in LumbarMasks.structures and in the network channels
    display: str
    colour: tuple[int, int, int]   # RGB 0..255
    code: Code | None              # segmented property type; None where Slicer's lists have none

    def to_dict(self) -> dict:
        return {"name": self.name, "display": self.display, "colour": list(self.colour),
                "category": ANATOMICAL_STRUCTURE.to_dict() if self.code else None,
                "type": self.code.to_dict() if self.code else None}


STRUCTURES = {s.name: s for s in (
    # the bodies of all visible vertebrae; each identified vertebra is also a "Vertebra" of its own
    Structure("vertebrae", "vertebral bodies", (241, 214, 145), VERTEBRA),
    Structure("L3", "L3 vertebral body", (216, 101, 79), VERTEBRA),
    # a projection finding (endplates seen twice), not anatomy
    Structure("L3_double_contour", "L3 double contour", (255, 0, 255), None),
    # parts of the vertebrae: Slicer's lists have no code for them, "Vertebra" is the closest entry
    Structure("spinous_processes", "spinous processes", (128, 174, 128), VERTEBRA),
    Structure("pedicles", "pedicles", (111, 184, 210), VERTEBRA),
    # no entry for the intervertebral foramen (a space, not bone): None rather than a guess
    Structure("foramina", "intervertebral foramina", (90, 120, 220), None),
    Structure("inferior_articular_processes", "inferior articular processes", (220, 180, 60), VERTEBRA),
    Structure("sacrum", "sacrum", (183, 156, 220), Code("54735007", "SCT", "Sacrum")),
    Structure("pelvis", "pelvis", (230, 220, 70), Code("12921003", "SCT", "Pelvis")),
)}

# Structures segmented per view (the source's labels, plus the oblique pedicles that the
# pedicle-centring rule needs); the vertebrae are also listed one by one in the result.
VIEW_STRUCTURES = {
    "AP": ("vertebrae", "pelvis", "spinous_processes", "L3", "L3_double_contour"),
    "LAT": ("vertebrae", "spinous_processes", "foramina", "L3", "L3_double_contour", "sacrum"),
    "OBL": ("vertebrae", "inferior_articular_processes", "pelvis", "pedicles"),
}


def normalise_view(view: str) -> str:
    """"AP" | "LAT" | "OBL" from a view name such as "lateral" or "oblique"; ValueError otherwise."""
    key = str(view).strip().upper()
    if key not in _VIEW_ALIASES:
        raise ValueError(f"unknown lumbar view {view!r}; expected one of {', '.join(VIEWS)}")
    return _VIEW_ALIASES[key]


def level_span(top: str, bottom: str) -> str:
    """"T11–L5" (or the single level)."""
    return top if top == bottom else f"{top}\u2013{bottom}"

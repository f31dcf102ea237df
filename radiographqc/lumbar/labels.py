"""The lumbar structure catalogue: names per view, display colours and standard terminology.

Structure names are those of the simulator and of the segmentation network's channels
(`radiographqc.train.seg_data.CHANNELS`), so masks pass between them unchanged.

Terminology is given as DICOM code triplets (code value, coding scheme "SCT" = SNOMED CT, code
meaning) taken from the DICOM context groups named in the comments; a structure without such a
code in DICOM (or one that is a finding, not anatomy) has None rather than a guessed code.
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


# CID 7150 Segmentation Property Categories
ANATOMICAL_STRUCTURE = Code("91723000", "SCT", "Anatomical Structure")

# CID 7603 Vertebra
LEVEL_CODES = {
    "T1": Code("64864005", "SCT", "T1 vertebra"), "T2": Code("53733008", "SCT", "T2 vertebra"),
    "T3": Code("1626008", "SCT", "T3 vertebra"), "T4": Code("73071006", "SCT", "T4 vertebra"),
    "T5": Code("56401006", "SCT", "T5 vertebra"), "T6": Code("45296009", "SCT", "T6 vertebra"),
    "T7": Code("62487009", "SCT", "T7 vertebra"), "T8": Code("11068009", "SCT", "T8 vertebra"),
    "T9": Code("82687006", "SCT", "T9 vertebra"), "T10": Code("7610001", "SCT", "T10 vertebra"),
    "T11": Code("12989004", "SCT", "T11 vertebra"), "T12": Code("23215003", "SCT", "T12 vertebra"),
    "L1": Code("66794005", "SCT", "L1 vertebra"), "L2": Code("14293000", "SCT", "L2 vertebra"),
    "L3": Code("36470004", "SCT", "L3 vertebra"), "L4": Code("11994002", "SCT", "L4 vertebra"),
    "L5": Code("49668003", "SCT", "L5 vertebra"),
}


@dataclass(frozen=True)
class Structure:
    name: str                      # key in LumbarMasks.structures and in the network channels
    display: str
    colour: tuple[int, int, int]   # RGB 0..255
    code: Code | None              # segmented property type; None where DICOM has no code for it

    def to_dict(self) -> dict:
        return {"name": self.name, "display": self.display, "colour": list(self.colour),
                "category": ANATOMICAL_STRUCTURE.to_dict() if self.code else None,
                "type": self.code.to_dict() if self.code else None}


STRUCTURES = {s.name: s for s in (
    # the bodies of all visible vertebrae; each identified vertebra also has its LEVEL_CODES entry
    Structure("vertebrae", "vertebral bodies", (241, 214, 145), None),
    Structure("L3", "L3 vertebral body", (216, 101, 79), LEVEL_CODES["L3"]),
    # a projection finding (endplates seen twice), not anatomy
    Structure("L3_double_contour", "L3 double contour", (255, 0, 255), None),
    # CID 6115 Osseous Anatomy Modifier
    Structure("spinous_processes", "spinous processes", (128, 174, 128),
              Code("55678000", "SCT", "Spinous process of vertebra")),
    Structure("pedicles", "pedicles", (111, 184, 210), Code("78972004", "SCT", "Pedicle of vertebra")),
    # DICOM code for the intervertebral foramen not found: None rather than a guess
    Structure("foramina", "intervertebral foramina", (90, 120, 220), None),
    Structure("inferior_articular_processes", "inferior articular processes", (220, 180, 60),
              Code("317766009", "SCT", "Inferior articular process of vertebra")),
    # CID 7304 Implant Target Anatomy
    Structure("sacrum", "sacrum", (183, 156, 220), Code("54735007", "SCT", "Sacrum")),
    Structure("pelvis", "pelvis", (230, 220, 70), Code("118645006", "SCT", "Pelvis")),
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

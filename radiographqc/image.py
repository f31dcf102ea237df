"""The in-memory radiograph every part of RadiographQC works on."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Spacing:
    """Physical pixel size in mm and where it came from (reported to the user)."""

    row_mm: float
    col_mm: float
    source: str


@dataclass
class Radiograph:
    path: str
    pixels: np.ndarray
    spacing: Spacing | None
    header: dict[str, str] = field(default_factory=dict)
    view: str | None = None
    laterality: str | None = None
    body_part: str | None = None
    photometric: str = "MONOCHROME2"
    transfer_syntax: str | None = None
    window: tuple[float, float] | None = None

    @property
    def rows(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def cols(self) -> int:
        return int(self.pixels.shape[1])


# DICOM attributes the ingest copies into Radiograph.header (as non-empty strings) for the header
# items, the view/laterality logic and the report.
HEADER_KEYWORDS = (
    "PatientID", "PatientName", "PatientSex", "PatientBirthDate", "PatientAge",
    "StudyDate", "StudyTime", "AccessionNumber", "StudyDescription", "SeriesDescription",
    "ProtocolName", "InstitutionName", "Manufacturer", "ManufacturerModelName", "SoftwareVersions",
    "KVP", "DistanceSourceToDetector", "DistanceSourceToPatient", "ExposureTime", "Exposure",
    "XRayTubeCurrent", "WindowWidth", "WindowCenter", "PixelSpacing", "ImagerPixelSpacing",
    "EstimatedRadiographicMagnificationFactor", "Modality", "ViewPosition", "ImageLaterality",
    "Laterality", "BodyPartExamined", "PhotometricInterpretation", "SOPClassUID", "SOPInstanceUID",
)

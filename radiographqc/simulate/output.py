"""Write a simulated case: DX DICOM with realistic (optionally incomplete) headers, the keypoint
file the wrist QC reads, a truth JSON, and for the lumbar spine a label PNG + label table."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from .. import __version__
from ..dicom_write import write_dx
from ..label_io import LABELS_SUFFIX, write_label_files

# The 17 header items of the wrist score, as DICOM keywords (spacing is the 17th, handled apart).
HEADER_ITEMS = ("PatientID", "PatientName", "PatientSex", "PatientBirthDate", "PatientAge",
                "StudyDate", "StudyTime", "InstitutionName", "Manufacturer",
                "ManufacturerModelName", "SoftwareVersions", "KVP", "DistanceSourceToDetector",
                "ExposureTime", "WindowWidth", "WindowCenter")
BODY_PART = {"wrist": "HAND", "lumbar": "LSPINE"}


def _header(case, index: int, seed: int, rng) -> dict:
    t = case.truth
    exp = t["params"]["exposure"]
    age = int(rng.integers(18, 90))
    year = 2024 - age
    view = t["view"]
    protocol = {"wrist": {"AP": "WRIST PA", "LAT": "WRIST LAT"},
                "lumbar": {"AP": "L-SPINE AP", "LAT": "L-SPINE LAT", "OBL": "L-SPINE OBL"}}
    entropy = [seed, index, len(t["body"])]
    return {
        "PatientID": f"SIM{seed % 100000:05d}{index:06d}", "PatientName": "Simulated^Patient",
        "PatientSex": str(rng.choice(["F", "M"])), "PatientBirthDate": f"{year}0101",
        "PatientAge": f"{age:03d}Y", "StudyDate": "20240315", "StudyTime": "101500",
        "AccessionNumber": f"A{index:08d}", "InstitutionName": "RadiographQC simulator",
        "Manufacturer": "RadiographQC", "ManufacturerModelName": "simulate",
        "SoftwareVersions": __version__, "KVP": round(exp["kvp"], 1),
        "DistanceSourceToDetector": round(t["params"]["sid_mm"], 1),
        "DistanceSourceToPatient": round(t["params"]["sid_mm"] / t["magnification"], 1),
        "ExposureTime": int(round(exp["exposure_time_ms"])),
        "Exposure": int(round(exp["mas"])), "ProtocolName": protocol[t["body"]][view],
        "SeriesDescription": protocol[t["body"]][view], "StudyDescription": protocol[t["body"]][view],
        "StudyInstanceUID": generate_uid(entropy_srcs=[str(v) for v in entropy + [1]]),
        "SeriesInstanceUID": generate_uid(entropy_srcs=[str(v) for v in entropy + [2]]),
        "SOPInstanceUID": generate_uid(entropy_srcs=[str(v) for v in entropy + [3]]),
    }


def dicom_attributes(case, index: int, seed: int, rng, *, incomplete_rate: float = 0.2,
                     monochrome1_rate: float = 0.3) -> tuple[dict, list[str]]:
    """What `write_dx` is given for a case besides its pixels (header, spacing, photometric, view,
    side, body part, window), and the header items left out. Spacing is the detector pitch as
    Imager Pixel Spacing with the magnification factor, half the time also Pixel Spacing = pitch /
    magnification: a reader gets the object-plane spacing either way. Draws from `rng` in one fixed
    order, so a teaching image (`radiographqc.teaching`) gets the attributes a file would have."""
    truth = case.truth
    header = _header(case, index, seed, rng)
    mag = truth["magnification"]
    pitch = case.projection.pixel_mm
    spacing = {"imager_spacing_mm": pitch, "magnification": mag, "spacing_mm": None}
    if rng.random() < 0.5:
        spacing["spacing_mm"] = pitch / mag
    dropped = []
    if rng.random() < incomplete_rate:
        count = int(rng.integers(1, 6))
        dropped = sorted(str(k) for k in rng.choice(HEADER_ITEMS + ("spacing",), count, replace=False))
        for key in dropped:
            if key == "spacing":
                spacing = {"imager_spacing_mm": None, "magnification": None, "spacing_mm": None}
            else:
                header[key] = None
    photometric = "MONOCHROME1" if rng.random() < monochrome1_rate else "MONOCHROME2"
    attributes = {**spacing, "photometric": photometric, "view_position": _view_position(truth),
                  "laterality": truth.get("laterality"), "body_part": BODY_PART[truth["body"]],
                  "header": header, "window": (2048.0, 3800.0)}
    return attributes, dropped


def write_case(case, out_dir, stem: str, index: int, seed: int, rng, *,
               incomplete_rate: float = 0.2, monochrome1_rate: float = 0.3,
               transfer_syntax=ExplicitVRLittleEndian, with_masks: bool = True) -> dict:
    """Write all files of one case; returns the truth dict as written.

    `transfer_syntax`: any of dicom_write.WRITABLE_TRANSFER_SYNTAXES (e.g. RLE Lossless).
    `with_masks`: False leaves out the label PNGs (the truth JSON still has marker boxes)."""
    out_dir = Path(out_dir)
    truth = case.truth
    mag = truth["magnification"]
    pitch = case.projection.pixel_mm
    attributes, dropped = dicom_attributes(case, index, seed, rng, incomplete_rate=incomplete_rate,
                                           monochrome1_rate=monochrome1_rate)
    photometric = attributes["photometric"]
    write_dx(out_dir / f"{stem}.dcm", case.image, **attributes, transfer_syntax=transfer_syntax)
    truth = {**truth, "image": f"{stem}.dcm", "rows": case.projection.rows,
             "cols": case.projection.cols, "imager_spacing_mm": pitch,
             "object_spacing_mm": pitch / mag, "photometric": photometric,
             "dropped_header_items": dropped, "keypoints": case.keypoints}
    if case.keypoints:
        (out_dir / f"{stem}.keypoints.json").write_text(
            json.dumps({"view": truth["view"], "points": case.keypoints}, indent=1) + "\n")
    if case.masks and with_masks:
        ids = {n: v["id"] for n, v in truth.get("vertebrae", {}).items()}
        write_label_files(out_dir / f"{stem}{LABELS_SUFFIX}", case.masks, truth["view"], case.instances, ids)
        truth["labels"] = f"{stem}{LABELS_SUFFIX}"
    (out_dir / f"{stem}.truth.json").write_text(json.dumps(_plain(truth), indent=1) + "\n")
    return truth


def _view_position(truth) -> str:
    """DICOM View Position: wrist AP is taken PA; lateral as LL (left lateral) / RL."""
    if truth["view"] == "OBL":
        return f"{truth.get('oblique_side', 'L')}PO"
    if truth["view"] == "LAT":
        return "RL" if truth.get("laterality") == "R" and truth["body"] == "wrist" else "LL"
    if truth["body"] == "wrist":
        return "PA"
    return truth["view"]


def _plain(value):
    """JSON-ready copy (numpy scalars and arrays to Python)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value

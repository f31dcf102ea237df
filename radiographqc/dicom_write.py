"""Write a DX (Digital X-Ray, For Presentation) DICOM file from a bone-bright float image.

Used by the simulator, the sample-data generator and the tests. Header attributes are only written
when given (apart from the UIDs, the DX image description and the window), so callers can make
deliberately incomplete headers for the header check.

Works with pydicom 3 and with pydicom 2.4 (the one Slicer 5.10 bundles, which must not be upgraded
behind Slicer's back); pydicom 2.4 has an encoder for RLE Lossless only, so JPEG 2000 and JPEG-LS
need pydicom 3.
"""
from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import pydicom
from pydicom import datadict
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID, DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian,
    ImplicitVRLittleEndian, JPEG2000Lossless, JPEGLSLossless, RLELossless, UID, generate_uid,
)
from pydicom.valuerep import DSfloat, format_number_as_ds

# Transfer syntaxes write_dx accepts; the compressed ones need an encoder (pylibjpeg-openjpeg for
# JPEG 2000, pyjpegls for JPEG-LS, both with pydicom 3 only; RLE is built into pydicom).
WRITABLE_TRANSFER_SYNTAXES = (
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless, JPEG2000Lossless, JPEGLSLossless,
)
_PHOTOMETRICS = ("MONOCHROME1", "MONOCHROME2")
# openjpeg's encoder uses 6 resolution levels, which need 2**5 pixels per side.
_J2K_MIN_SIDE = 32
# pydicom 3 renamed save_as's write_like_original (now deprecated) and added compress's
# generate_instance_uid.
_PYDICOM_3 = int(pydicom.__version__.split(".")[0]) >= 3

# Type 2 attributes of the Patient, Study, Series and Equipment modules: present but empty unless
# the caller gives a value, so a reader sees them as "missing".
_EMPTY_TYPE2 = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
    "ReferringPhysicianName", "StudyID", "AccessionNumber", "Manufacturer", "PatientOrientation",
)


def write_dx(path, pixels, *, spacing_mm=None, imager_spacing_mm=None, magnification=None,
             photometric="MONOCHROME2", bits_stored=12, view_position=None, laterality=None,
             body_part=None, header: dict[str, object] | None = None,
             transfer_syntax=ExplicitVRLittleEndian, window=None) -> Path:
    """Write `pixels` (2-D, bone bright) as a DX file at `path` and return the path.

    The pixel values are mapped linearly onto 0 .. 2**bits_stored - 1 (minimum -> 0, maximum ->
    top; a constant image -> 0) and stored as unsigned 16-bit. For MONOCHROME1 the stored values
    are inverted (top - value), so a reader that inverts MONOCHROME1 gets bone bright again.
    `spacing_mm` / `imager_spacing_mm`: one number or (row_mm, col_mm) for Pixel Spacing /
    Imager Pixel Spacing; `magnification`: Estimated Radiographic Magnification Factor.
    `window`: (center, width) in the units of `pixels`; default covers the whole data range.
    `header`: DICOM keyword -> value, applied last; a None value removes that attribute. Pass
    SOPInstanceUID / StudyInstanceUID / SeriesInstanceUID there for deterministic UIDs.
    """
    transfer_syntax = _check_arguments(photometric, bits_stored, transfer_syntax)
    values = _finite_image(pixels)
    if transfer_syntax == JPEG2000Lossless and min(values.shape) < _J2K_MIN_SIDE:
        raise ValueError(f"JPEG 2000 needs at least {_J2K_MIN_SIDE} pixels per side, "
                         f"got {values.shape[0]} x {values.shape[1]}")
    top = (1 << bits_stored) - 1
    low, high = float(values.min()), float(values.max())
    gain = top / (high - low) if high > low else 0.0
    scaled = np.rint((values - low) * gain)
    center, width = _stored_window(window, low, gain, top if gain else 0)
    if photometric == "MONOCHROME1":
        scaled = top - scaled
        center = top - center

    ds = _dx_dataset(photometric)
    ds.WindowCenter = _ds(center)
    ds.WindowWidth = _ds(width)
    _set_optional(ds, spacing_mm, imager_spacing_mm, magnification, view_position, laterality,
                  body_part)
    _set_pixel_data(ds, scaled, photometric, bits_stored)
    _apply_header(ds, header or {})
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if transfer_syntax.is_compressed:
        _compress(ds, transfer_syntax)
    else:
        ds.file_meta.TransferSyntaxUID = transfer_syntax
    path = Path(path)
    if _PYDICOM_3:
        ds.save_as(path, enforce_file_format=True)
    else:  # the same: preamble, and file meta completed and checked
        ds.save_as(path, write_like_original=False)
    return path


def _check_arguments(photometric, bits_stored, transfer_syntax) -> UID:
    if photometric not in _PHOTOMETRICS:
        raise ValueError(f"photometric must be one of {_PHOTOMETRICS}, got {photometric!r}")
    if not isinstance(bits_stored, numbers.Integral) or not 8 <= bits_stored <= 16:
        raise ValueError(f"bits_stored must be an integer from 8 to 16, got {bits_stored!r}")
    transfer_syntax = UID(transfer_syntax)
    if transfer_syntax not in WRITABLE_TRANSFER_SYNTAXES:
        raise ValueError(f"cannot write transfer syntax {transfer_syntax.name}; choose one of "
                         + ", ".join(uid.name for uid in WRITABLE_TRANSFER_SYNTAXES))
    if transfer_syntax.is_compressed:
        encoder = _encoder(transfer_syntax)
        if not encoder.is_available:
            raise ValueError(f"no encoder for {transfer_syntax.name}: install one of "
                             + "; ".join(encoder.missing_dependencies))
    return transfer_syntax


def _encoder(transfer_syntax):
    try:  # pydicom 3
        from pydicom.pixels import get_encoder
    except ImportError:  # pydicom 2.4
        from pydicom.encoders import get_encoder
    try:
        return get_encoder(transfer_syntax)
    except NotImplementedError:  # only pydicom 2.4 lacks an encoder for a writable syntax
        raise ValueError(f"cannot write transfer syntax {transfer_syntax.name} with pydicom "
                         f"{pydicom.__version__}, which has no encoder for it (pydicom 3 has)"
                         ) from None


def _finite_image(pixels) -> np.ndarray:
    values = np.asarray(pixels, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"pixels must be a non-empty 2-D array, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("pixels contain NaN or infinite values")
    return values


def _stored_window(window, low, gain, data_top) -> tuple[float, float]:
    """(center, width) in stored units (before any MONOCHROME1 inversion)."""
    if window is None:
        return data_top / 2.0, data_top + 1.0
    center, width = (float(v) for v in window)
    if not width > 0:
        raise ValueError(f"window width must be positive, got {width}")
    return (center - low) * gain, max(width * gain, 1.0)


def _dx_dataset(photometric) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "DX"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    for keyword in _EMPTY_TYPE2:
        setattr(ds, keyword, "")
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.PixelIntensityRelationship = "LOG"
    # -1: higher stored values mean less X-ray intensity (bone bright, MONOCHROME2).
    ds.PixelIntensityRelationshipSign = -1 if photometric == "MONOCHROME2" else 1
    ds.PresentationLUTShape = "IDENTITY" if photometric == "MONOCHROME2" else "INVERSE"
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    return ds


def _set_pixel_data(ds, stored, photometric, bits_stored) -> None:
    """The Image Pixel module and native Pixel Data, as pydicom 3's set_pixel_data writes them
    (which pydicom 2.4 lacks), for one frame of unsigned 16-bit grey values."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = stored.astype("<u2").tobytes()
    ds["PixelData"].VR = "OW"


def _compress(ds, transfer_syntax) -> None:
    if not _PYDICOM_3:  # keeps the SOP Instance UID, but also Pixel Data's native VR
        ds.compress(transfer_syntax)
        ds["PixelData"].VR = "OB"  # PS3.5 A.4: encapsulated Pixel Data is OB
    elif transfer_syntax == RLELossless:
        # With Bits Stored <= 8, pydicom 3.0 hands its RLE encoders only the low byte of each
        # pixel, which pylibjpeg-rle refuses and pydicom's own encoder codes as two bytes per
        # pixel: a frame no decoder can read. RLE codes the allocated bytes whatever Bits Stored
        # is, so encode as if all 16 were stored.
        bits_stored, ds.BitsStored = ds.BitsStored, 16
        ds.compress(transfer_syntax, generate_instance_uid=False)
        ds.BitsStored = bits_stored
    else:
        ds.compress(transfer_syntax, generate_instance_uid=False)


def _set_optional(ds, spacing_mm, imager_spacing_mm, magnification, view_position, laterality,
                  body_part) -> None:
    if spacing_mm is not None:
        ds.PixelSpacing = _spacing_pair(spacing_mm, "spacing_mm")
    if imager_spacing_mm is not None:
        ds.ImagerPixelSpacing = _spacing_pair(imager_spacing_mm, "imager_spacing_mm")
    if magnification is not None:
        ds.EstimatedRadiographicMagnificationFactor = _ds(magnification)
    if view_position is not None:
        ds.ViewPosition = view_position
    if laterality is not None:
        ds.ImageLaterality = laterality
    if body_part is not None:
        ds.BodyPartExamined = body_part


def _spacing_pair(value, name) -> list[DSfloat]:
    pair = (value, value) if isinstance(value, numbers.Real) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be one number or (row_mm, col_mm), got {value!r}")
    return [_ds(v) for v in pair]


def _apply_header(ds, header) -> None:
    for keyword, value in header.items():
        if datadict.tag_for_keyword(keyword) is None:
            raise ValueError(f"unknown DICOM keyword {keyword!r} in header")
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        elif datadict.dictionary_VR(keyword) == "DS":
            setattr(ds, keyword, _ds_value(value))
        else:
            setattr(ds, keyword, value)


def _ds_value(value):
    """Numbers become decimal strings of at most 16 characters; strings are kept as given."""
    if isinstance(value, numbers.Real):
        return _ds(value)
    if isinstance(value, (list, tuple)):
        return [_ds_value(v) for v in value]
    return value


def _ds(number) -> DSfloat:
    """A decimal string of at most 16 characters, without a needless ".0" (55 -> "55")."""
    text = format_number_as_ds(float(number))
    return DSfloat(text[:-2] if text.endswith(".0") else text)

"""Read one radiograph (a single-frame greyscale DICOM, or PNG/JPEG teaching material).

Pixels come back as float32 with Rescale Slope/Intercept applied and bone bright: MONOCHROME1
images are inverted about the rescaled *stored bit range* (not the data range), so the mapping
does not depend on image content; the window centre is mirrored the same way and the width kept.
Physical spacing is taken only from the file (or the user), never guessed.

Works with pydicom 3 and with pydicom 2.4 (the one Slicer 5.10 bundles, which must not be upgraded
behind Slicer's back): the few names that moved between them are looked up in both places.
"""
from __future__ import annotations

import importlib
import math
import numbers
import re

import numpy as np
import pydicom
from PIL import Image
from pydicom import config as pydicom_config
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.uid import (
    JPEG2000TransferSyntaxes, JPEGLSTransferSyntaxes, JPEGTransferSyntaxes, UID,
    AllTransferSyntaxes, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
)

from .errors import InputError
from .image import HEADER_KEYWORDS, Radiograph, Spacing

try:  # pydicom 3
    from pydicom.pixels import apply_modality_lut, get_decoder
except ImportError:  # pydicom 2.4: no decoder registry, one list of pixel data handlers instead
    from pydicom.pixel_data_handlers.util import apply_modality_lut
    get_decoder = None

# Largest image (rows * columns) decoded; checked before decoding so a bad header cannot make us
# allocate gigabytes.
MAX_PIXELS = 100_000_000

_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
_BITMAP_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
# Modalities whose images are projection radiographs (OT: secondary captures of film). Files
# without a Modality are treated as radiographs.
_RADIOGRAPH_MODALITIES = ("CR", "DX", "RG", "OT")
_DESCRIPTION_KEYWORDS = ("SeriesDescription", "ProtocolName", "StudyDescription")

_VIEW_POSITIONS = {
    "AP": "AP", "PA": "AP", "LL": "LAT", "RL": "LAT", "LATERAL": "LAT", "LAT": "LAT",
    "LAO": "OBL", "RAO": "OBL", "LPO": "OBL", "RPO": "OBL", "OBL": "OBL", "OBLIQUE": "OBL",
}
_VIEW_WORDS = {
    "AP": "AP", "PA": "AP", "DP": "AP", "FRONTAL": "AP",
    "LAT": "LAT", "LATERAL": "LAT", "OBL": "OBL", "OBLIQUE": "OBL", "OBLIQ": "OBL",
}
_LATERALITY_WORDS = {
    "L": "L", "LT": "L", "LEFT": "L", "LINKS": "L",
    "R": "R", "RT": "R", "RIGHT": "R", "RECHTS": "R",
}
# Searched in this order, so "HAND WRIST" is a wrist and "LUMBAR ... HAND" a lumbar spine.
_BODY_PART_WORDS = (
    ("LSPINE", ("LSPINE", "LUMBAR", "LUMBOSACRAL", "LWS")),
    ("WRIST", ("WRIST", "HANDGELENK", "CARPUS")),
    ("HAND", ("HAND",)),
)

_DECODER_PACKAGES = (
    (JPEGTransferSyntaxes, "pylibjpeg and pylibjpeg-libjpeg"),
    (JPEGLSTransferSyntaxes, "pylibjpeg and pylibjpeg-libjpeg (or pyjpegls)"),
    (JPEG2000TransferSyntaxes, "pylibjpeg and pylibjpeg-openjpeg"),
)
# The plugin as pydicom 3 registers it (pydicom/pixels/decoders/base.py).
_PYLIBJPEG_PLUGIN = ("pydicom.pixels.decoders.pylibjpeg", "_decode_frame")


def read_radiograph(path, spacing_mm: float | tuple[float, float] | None = None, *,
                    max_pixels: int = MAX_PIXELS) -> Radiograph:
    """Read `path` into a Radiograph; raise InputError naming the file when it cannot be used.

    `spacing_mm` (one number or (row_mm, col_mm)) overrides any spacing in the file and is
    required for PNG/JPEG input.
    """
    user_spacing = _user_spacing(spacing_mm)
    bitmap = _bitmap_kind(path)
    if bitmap:
        return _read_bitmap(path, bitmap, user_spacing, max_pixels)
    ds = _read_dataset(path)
    _check_image(ds, path, max_pixels)
    pixels, window = _bone_bright_pixels(ds, path)
    header = header_values(ds)
    spacing, note = dicom_spacing(ds)
    if user_spacing:
        spacing = user_spacing
    elif note:
        header["_spacing_note"] = note
    radiograph_modality = header.get("Modality", "DX").upper() in _RADIOGRAPH_MODALITIES
    return Radiograph(
        path=str(path), pixels=pixels, spacing=spacing, header=header,
        view=view_from_header(header) if radiograph_modality else None,
        laterality=laterality_from_header(header), body_part=body_part_from_header(header),
        photometric=header["PhotometricInterpretation"],
        transfer_syntax=ds.file_meta.TransferSyntaxUID.name, window=window,
    )


def _user_spacing(spacing_mm) -> Spacing | None:
    if spacing_mm is None:
        return None
    pair = (spacing_mm, spacing_mm) if isinstance(spacing_mm, numbers.Real) else tuple(spacing_mm)
    if len(pair) != 2 or not all(_positive(v) for v in pair):
        raise ValueError("spacing must be a positive number or (row_mm, col_mm), "
                         f"got {spacing_mm!r}")
    return Spacing(float(pair[0]), float(pair[1]), "user (--spacing)")


def _positive(value) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number > 0


# --- file access ---------------------------------------------------------------------------

def _bitmap_kind(path) -> str | None:
    """"PNG"/"JPEG" from the file's first bytes, None for anything else (tried as DICOM)."""
    try:
        with open(path, "rb") as stream:
            start = stream.read(8)
    except OSError as exc:
        raise InputError(path, f"cannot open file ({exc.strerror or exc})") from exc
    return next((kind for magic, kind in _BITMAP_MAGIC.items() if start.startswith(magic)), None)


def _read_dataset(path) -> pydicom.Dataset:
    try:
        ds = pydicom.dcmread(path, force=False)
    except InvalidDicomError:
        ds = _read_without_preamble(path)
    except Exception as exc:  # pydicom raises many types for damaged files
        raise InputError(path, f"unreadable or truncated DICOM file ({exc})") from exc
    if "TransferSyntaxUID" not in ds.file_meta:
        _set_transfer_syntax_from_encoding(ds, path)
    return ds


def _read_without_preamble(path) -> pydicom.Dataset:
    """Accept a dataset without preamble/file meta only when it really holds an image."""
    not_dicom = "not a DICOM, PNG or JPEG file (or truncated before the pixel data)"
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception as exc:  # any parse failure means the same to the user
        raise InputError(path, not_dicom) from exc
    if "PixelData" not in ds or "Rows" not in ds:
        raise InputError(path, not_dicom)
    return ds


def _set_transfer_syntax_from_encoding(ds, path) -> None:
    """Files without a Transfer Syntax UID: only native pixel data can be read."""
    if ds.get("PixelData") is not None and ds["PixelData"].is_undefined_length:
        raise InputError(path, "compressed pixel data but no Transfer Syntax UID in the file meta")
    implicit, little = _original_encoding(ds)
    ds.file_meta.TransferSyntaxUID = (
        ImplicitVRLittleEndian if implicit else
        ExplicitVRLittleEndian if little else ExplicitVRBigEndian)


def _original_encoding(ds) -> tuple[bool, bool]:
    """(implicit VR, little endian) the dataset was read with (pydicom 2.4 has no
    original_encoding; pydicom 3 deprecates the two flags)."""
    if hasattr(ds, "original_encoding"):
        return ds.original_encoding
    return ds.is_implicit_VR, ds.is_little_endian


# --- decoders installed after pydicom was imported -------------------------------------------

def refresh_decoders() -> None:
    """Make the running pydicom see the pylibjpeg decoders installed since it was imported.

    pydicom settles which decoders exist when it is imported (2.4: the pylibjpeg handler's
    HAVE_* flags; 3: each decoder's plugins), and Slicer imports it at start-up, before the
    module can install pylibjpeg. Safe to call when nothing changed or pylibjpeg is still absent.
    """
    importlib.invalidate_caches()  # so imports look again at the folders pip installed into
    # config.pixel_data_handlers holds this module object, which reloading updates in place.
    # pydicom 2.4 decodes with it; pydicom 3 keeps it for its deprecated handler path.
    importlib.reload(pydicom_config.pylibjpeg_handler)
    if get_decoder is None:  # pydicom 2.4: nothing else holds on to what was missing
        return
    importlib.reload(importlib.import_module(_PYLIBJPEG_PLUGIN[0]))  # its _DECODERS
    for syntax in AllTransferSyntaxes:
        try:
            decoder = get_decoder(syntax)
        except NotImplementedError:
            continue
        if "pylibjpeg" in decoder._available or "pylibjpeg" in decoder._unavailable:
            _add_pylibjpeg_again(decoder)


def _add_pylibjpeg_again(decoder) -> None:
    """Register the pylibjpeg plugin of a pydicom 3 decoder again: add_plugin caches whether it
    is available. pydicom tries plugins in the order added: pylibjpeg after gdcm and before all
    others (Pillow's JPEG decoding differs from libjpeg's by a grey level), but add_plugin
    appends, so the plugins that follow it are moved behind it again."""
    decoder.remove_plugin("pylibjpeg")
    later = {label: decoder._available.pop(label)
             for label in list(decoder._available) if label != "gdcm"}
    try:
        decoder.add_plugin("pylibjpeg", _PYLIBJPEG_PLUGIN)
    finally:
        decoder._available.update(later)


# --- checks before decoding ------------------------------------------------------------------

def _check_image(ds, path, max_pixels) -> None:
    if "PixelData" not in ds:
        sop = UID(str(ds.get("SOPClassUID", ""))).name or "unknown SOP class"
        raise InputError(path, f"no pixel data: not an image object ({sop}) or truncated file")
    frames = _integer(ds, "NumberOfFrames", path, default=1)
    if frames > 1:
        raise InputError(path, f"multi-frame image ({frames} frames): export one frame")
    samples = _integer(ds, "SamplesPerPixel", path, default=1)
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if samples != 1 or photometric not in _MONOCHROME:
        raise InputError(path, f"not a greyscale image (Photometric Interpretation "
                               f"{photometric or 'missing'}, Samples per Pixel {samples})")
    rows, cols = _integer(ds, "Rows", path), _integer(ds, "Columns", path)
    if rows < 1 or cols < 1:
        raise InputError(path, f"invalid image size {rows} x {cols}")
    if rows * cols > max_pixels:
        raise InputError(path, f"image too large: {rows} x {cols} = {rows * cols:,} pixels "
                               f"(limit {max_pixels:,})")
    _check_decoder(ds.file_meta.TransferSyntaxUID, path)


def _integer(ds, keyword, path, default=None) -> int:
    value = ds.get(keyword, default)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InputError(path, f"invalid {keyword} {value!r}") from exc


def _check_decoder(syntax: UID, path) -> None:
    if not syntax.is_transfer_syntax:
        raise InputError(path, f"unknown transfer syntax {syntax}")
    if not syntax.is_compressed:
        return
    package = next((name for group, name in _DECODER_PACKAGES if syntax in group), "python-gdcm")
    available = _decoder_available(syntax)
    if available is None:
        raise InputError(path, f"no decoder for transfer syntax {syntax.name} ({syntax}); "
                               f"install {package}")
    if not available:
        raise InputError(path, f"no decoder installed for transfer syntax {syntax.name} "
                               f"({syntax}); install {package}")


def _decoder_available(syntax: UID) -> bool | None:
    """Whether a decoder for `syntax` is installed; None when pydicom knows of none at all."""
    if get_decoder is not None:
        try:
            return get_decoder(syntax).is_available
        except NotImplementedError:
            return None
    handlers = [h for h in pydicom_config.pixel_data_handlers if h.supports_transfer_syntax(syntax)]
    if not handlers:
        return None
    # pydicom 2.4's pylibjpeg handler is "available" without the plugin a syntax needs; decoding
    # then fails with pydicom's message naming that plugin, which the reader passes on.
    return any(h.is_available() for h in handlers)


# --- pixels ------------------------------------------------------------------------------------

def _bone_bright_pixels(ds, path) -> tuple[np.ndarray, tuple[float, float] | None]:
    try:
        stored = _stored_pixels(ds)
    except Exception as exc:  # decoders raise many types for damaged data
        raise InputError(path, f"pixel data cannot be decoded ({exc})") from exc
    pixels = _rescale(stored, ds, path)
    window = _window(ds)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        mirror = float(_rescale(np.array(_stored_range(ds)), ds, path).sum())
        pixels = np.float32(mirror) - pixels
        window = (mirror - window[0], window[1]) if window else None
    return pixels, window


def _stored_pixels(ds) -> np.ndarray:
    """The stored values, decoded by pylibjpeg where it can, as pydicom 3 prefers: pydicom 2.4
    tries Pillow first, whose lossy JPEG decoding differs from libjpeg's by a grey level."""
    if get_decoder is None and ds.file_meta.TransferSyntaxUID.is_compressed:
        try:
            ds.convert_pixel_data(handler_name="pylibjpeg")
        except Exception:  # pylibjpeg or its plugin for this syntax is missing:
            pass  # pixel_array below tries pydicom's other handlers, or names what is missing
    return ds.pixel_array


def _rescale(stored, ds, path) -> np.ndarray:
    """Modality LUT: Rescale Slope/Intercept (or a Modality LUT Sequence when present)."""
    if "ModalityLUTSequence" in ds:
        return apply_modality_lut(stored, ds).astype(np.float32)
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    try:
        slope = 1.0 if slope in (None, "") else float(slope)
        intercept = 0.0 if intercept in (None, "") else float(intercept)
    except (TypeError, ValueError) as exc:
        raise InputError(path, f"invalid Rescale Slope/Intercept {slope!r}/{intercept!r}") from exc
    if slope == 0 or not math.isfinite(slope) or not math.isfinite(intercept):
        raise InputError(path, f"invalid Rescale Slope/Intercept {slope!r}/{intercept!r}")
    return stored.astype(np.float32) * np.float32(slope) + np.float32(intercept)


def _stored_range(ds) -> tuple[int, int]:
    bits = int(ds.BitsStored)
    if int(ds.get("PixelRepresentation", 0)) == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _window(ds) -> tuple[float, float] | None:
    """First Window Center/Width pair (rescaled units), None when absent or unusable."""
    try:
        center, width = (_first_number(ds.get(k)) for k in ("WindowCenter", "WindowWidth"))
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(center) and math.isfinite(width) and width > 0):
        return None
    return center, width


def _first_number(value) -> float:
    return float(value[0] if isinstance(value, MultiValue) else value)


# --- header, spacing, view -------------------------------------------------------------------

def header_values(ds) -> dict[str, str]:
    """HEADER_KEYWORDS present with a non-empty value, as strings (multi-values joined by '\\')."""
    header = {}
    for keyword in HEADER_KEYWORDS:
        value = ds.get(keyword)
        if value is None:
            continue
        if isinstance(value, MultiValue):
            text = "\\".join(str(v) for v in value)
        else:
            text = str(value)
        if text.strip(" \\"):
            header[keyword] = text.strip()
    return header


def dicom_spacing(ds) -> tuple[Spacing | None, str | None]:
    """Spacing from Pixel Spacing, else Imager Pixel Spacing / magnification; and a note on why
    values were ignored or spacing is missing (None when all was well)."""
    notes = []
    pixel_spacing = _spacing_pair(ds, "PixelSpacing", notes)
    if pixel_spacing:
        return Spacing(*pixel_spacing, "PixelSpacing"), _join(notes)
    imager = _spacing_pair(ds, "ImagerPixelSpacing", notes)
    if not imager:
        notes.append("no usable Pixel Spacing or Imager Pixel Spacing: "
                     "distances cannot be measured")
        return None, _join(notes)
    factor = _magnification(ds, notes)
    if factor is None:
        return Spacing(*imager, "ImagerPixelSpacing (no magnification factor)"), _join(notes)
    source = ("ImagerPixelSpacing corrected by EstimatedRadiographicMagnificationFactor "
              f"({factor:g})")
    return Spacing(imager[0] / factor, imager[1] / factor, source), _join(notes)


def _magnification(ds, notes) -> float | None:
    factor = ds.get("EstimatedRadiographicMagnificationFactor")
    if factor is None or factor == "":
        return None
    if not _positive(factor):
        notes.append(f"EstimatedRadiographicMagnificationFactor '{factor}' ignored "
                     "(not a positive number)")
        return None
    return float(factor)


def _spacing_pair(ds, keyword, notes) -> tuple[float, float] | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    values = list(value) if isinstance(value, MultiValue) else [value]
    if len(values) != 2 or not all(_positive(v) for v in values):
        shown = "\\".join(str(v) for v in values)
        notes.append(f"{keyword} '{shown}' ignored (needs two positive numbers)")
        return None
    return float(values[0]), float(values[1])


def _join(notes) -> str | None:
    return "; ".join(notes) or None


def _words(text: str) -> list[str]:
    """Upper-case words; "L SPINE"/"L-SPINE" become one word so the L is not read as left, and
    "p.a."/"a.p."/"d.p." become PA/AP/DP."""
    text = re.sub(r"\bL[\s_-]*SPINE\b", "LSPINE", text.upper())
    text = re.sub(r"\b([ADP])\.\s?([AP])\b\.?", r"\1\2", text)
    return re.findall(r"[A-Z0-9]+", text)


def _from_descriptions(header, vocabulary: dict[str, str]) -> str | None:
    """First description (series, protocol, study) whose words name exactly one value."""
    for keyword in _DESCRIPTION_KEYWORDS:
        found = {vocabulary[w] for w in _words(header.get(keyword, "")) if w in vocabulary}
        if len(found) == 1:
            return found.pop()
    return None


def view_from_header(header: dict[str, str]) -> str | None:
    """"AP" (AP or PA), "LAT", "OBL" or None from View Position, else the descriptions."""
    position = header.get("ViewPosition", "").strip().upper()
    if position in _VIEW_POSITIONS:
        return _VIEW_POSITIONS[position]
    return _from_descriptions(header, _VIEW_WORDS)


def laterality_from_header(header: dict[str, str]) -> str | None:
    """"L"/"R" from Image Laterality, else Laterality, else the descriptions."""
    for keyword in ("ImageLaterality", "Laterality"):
        value = header.get(keyword, "").strip().upper()
        if value in ("L", "R"):
            return value
    return _from_descriptions(header, _LATERALITY_WORDS)


def body_part_from_header(header: dict[str, str]) -> str | None:
    """Body Part Examined as stored, else WRIST/HAND/LSPINE from the descriptions."""
    if header.get("BodyPartExamined", "").strip():
        return header["BodyPartExamined"].strip().upper()
    for keyword in _DESCRIPTION_KEYWORDS:
        words = set(_words(header.get(keyword, "")))
        for part, synonyms in _BODY_PART_WORDS:
            if words.intersection(synonyms):
                return part
    return None


# --- PNG / JPEG --------------------------------------------------------------------------------

def _read_bitmap(path, kind, spacing, max_pixels) -> Radiograph:
    if spacing is None:
        raise InputError(path, f"{kind} has no physical pixel size: pass --spacing MM")
    try:
        with Image.open(path) as image:
            if image.width * image.height > max_pixels:
                raise InputError(path, f"image too large: {image.height} x {image.width} pixels "
                                       f"(limit {max_pixels:,})")
            pixels = _grey(image)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(path, f"unreadable {kind} file ({exc})") from exc
    return Radiograph(path=str(path), pixels=pixels, spacing=spacing, header={},
                      photometric=kind, transfer_syntax=None, window=None)


def _grey(image) -> np.ndarray:
    """float32 grey values; 16-bit and float images keep their values, colour becomes luma."""
    if image.mode.startswith("I") or image.mode == "F":
        return np.asarray(image).astype(np.float32)
    return np.asarray(image.convert("L")).astype(np.float32)

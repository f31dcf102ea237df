"""Tests of radiographqc.dicom_io.read_radiograph (DICOM and PNG/JPEG ingest).

The reader supports pydicom 2.4 (Slicer 5.10) and 3. Run this file under both: under 2.4 the
files that need a JPEG 2000 encoder skip; the files that ship with pydicom test the 2.4 paths
(decoder check, handlers, encoding of a file without meta) there."""
import hashlib
import io
import os

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom import uid
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate

from radiographqc import dicom_io
from radiographqc.dicom_io import (
    body_part_from_header, laterality_from_header, read_radiograph, view_from_header,
)
from radiographqc.dicom_write import write_dx
from radiographqc.errors import InputError
from radiographqc.image import Spacing

TOP12 = 4095.0
PYDICOM_3 = int(pydicom.__version__.split(".")[0]) >= 3
# pydicom 2.4 names Process 14 SV1 (.70) `JPEGLossless`; pydicom 3 gives that name to .57.
JPEG_LOSSLESS_P14 = uid.UID("1.2.840.10008.1.2.4.57")


def save(ds, path):
    """Save with a file meta header under pydicom 2.4 and 3 (the keyword changed)."""
    if PYDICOM_3:
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.save_as(path, write_like_original=False)


def bundled(name):
    """A test file that ships with pydicom (never downloaded)."""
    return get_testdata_file(name, download=False)


def smooth_image(rows=48, cols=64):
    """A gradient with a bright blob: compresses well, so lossy codecs stay close."""
    y, x = np.mgrid[0:rows, 0:cols]
    return 1000 + 20 * x + 30 * y + 800 * np.exp(-((x - 30) ** 2 + (y - 20) ** 2) / 60.0)


def scaled(values, top=TOP12):
    """What write_dx stores for `values`: min..max mapped linearly onto 0..top."""
    values = np.asarray(values, dtype=np.float64)
    return np.rint((values - values.min()) * top / (values.max() - values.min()))


def rewrite(path, **elements):
    """Change data elements of a written file (used to make special cases)."""
    ds = pydicom.dcmread(path)
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    ds.save_as(path)
    return path


def encapsulated(path, out, fragment, syntax, bits_allocated=16):
    """Copy `path` to `out` with `fragment` as the one encapsulated frame in `syntax`."""
    ds = pydicom.dcmread(path)
    ds.PixelData = encapsulate([fragment])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.BitsAllocated = bits_allocated
    ds.file_meta.TransferSyntaxUID = syntax
    save(ds, out)
    return out


def lossless_jpeg(image, precision, predictor):
    """Minimal JPEG lossless (process 14) encoder for tests: one component, one Huffman table in
    which every difference category 0..16 has a 5-bit code (pydicom has no such encoder)."""
    rows, cols = image.shape
    x = image.astype(np.int64)
    bits = "".join(_difference_bits(int(x[r, c]) - _prediction(x, r, c, precision, predictor))
                   for r in range(rows) for c in range(cols))
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    data = data.replace(b"\xff", b"\xff\x00")  # byte stuffing
    sof = (bytes([0xFF, 0xC3, 0, 11, precision]) + rows.to_bytes(2, "big")
           + cols.to_bytes(2, "big") + bytes([1, 1, 0x11, 0]))
    dht = bytes([0xFF, 0xC4, 0, 36, 0x00]) + bytes([0, 0, 0, 0, 17] + [0] * 11) + bytes(range(17))
    sos = bytes([0xFF, 0xDA, 0, 8, 1, 1, 0x00, predictor, 0, 0])
    return b"\xff\xd8" + sof + dht + sos + data + b"\xff\xd9"


def _prediction(x, r, c, precision, predictor):
    if r == 0 and c == 0:
        return 1 << (precision - 1)
    if r == 0:
        return int(x[r, c - 1])
    if c == 0:
        return int(x[r - 1, c])
    a, b, d = int(x[r, c - 1]), int(x[r - 1, c]), int(x[r - 1, c - 1])
    return {1: a, 2: b, 3: d, 4: a + b - d, 5: a + ((b - d) >> 1), 6: b + ((a - d) >> 1),
            7: (a + b) >> 1}[predictor]


def _difference_bits(diff):
    diff %= 1 << 16
    if diff > 1 << 15:
        diff -= 1 << 16
    category = abs(diff).bit_length()
    if category in (0, 16):
        return format(category, "05b")
    extra = diff if diff > 0 else diff - 1
    return format(category, "05b") + format(extra & ((1 << category) - 1), f"0{category}b")


@pytest.fixture
def dx(tmp_path):
    """An uncompressed 12-bit MONOCHROME2 DX of the smooth image."""
    return write_dx(tmp_path / "plain.dcm", smooth_image(), spacing_mm=0.1)


# --- grey values ------------------------------------------------------------------------------

def test_monochrome1_is_inverted_so_bone_is_bright(tmp_path):
    image = smooth_image()
    mono1 = write_dx(tmp_path / "m1.dcm", image, photometric="MONOCHROME1", window=(1500, 400))
    mono2 = write_dx(tmp_path / "m2.dcm", image, photometric="MONOCHROME2", window=(1500, 400))
    stored = pydicom.dcmread(mono1).pixel_array
    first, second = read_radiograph(mono1), read_radiograph(mono2)
    assert first.photometric == "MONOCHROME1"
    np.testing.assert_array_equal(stored, TOP12 - scaled(image))
    np.testing.assert_array_equal(first.pixels, scaled(image))
    np.testing.assert_array_equal(first.pixels, second.pixels)
    assert first.window == pytest.approx(second.window)


def test_rescale_slope_and_intercept_are_applied(dx):
    rewrite(dx, RescaleSlope=2, RescaleIntercept=-1000)
    stored = pydicom.dcmread(dx).pixel_array.astype(np.float64)
    radiograph = read_radiograph(dx)
    assert radiograph.pixels.dtype == np.float32
    np.testing.assert_array_equal(radiograph.pixels, stored * 2 - 1000)


def test_monochrome1_is_mirrored_about_the_rescaled_stored_bit_range(tmp_path):
    path = write_dx(tmp_path / "m1.dcm", smooth_image(), photometric="MONOCHROME1")
    rewrite(path, RescaleSlope=2, RescaleIntercept=-1000, WindowCenter=3000, WindowWidth=500)
    stored = pydicom.dcmread(path).pixel_array.astype(np.float64)
    mirror = (0 * 2 - 1000) + (TOP12 * 2 - 1000)
    radiograph = read_radiograph(path)
    np.testing.assert_array_equal(radiograph.pixels, mirror - (stored * 2 - 1000))
    assert radiograph.window == (mirror - 3000, 500)


def doubling_modality_lut() -> Dataset:
    """A Modality LUT Sequence item for 12-bit stored values that doubles every stored value."""
    lut = Dataset()
    lut.LUTDescriptor = [4096, 0, 16]
    lut.ModalityLUTType = "US"
    lut.LUTData = np.arange(0, 8192, 2, dtype="<u2").tobytes()
    lut["LUTData"].VR = "OW"
    return lut


def test_modality_lut_sequence_is_applied_and_mirrored_for_monochrome1(tmp_path):
    path = write_dx(tmp_path / "m1.dcm", smooth_image(), photometric="MONOCHROME1")
    ds = pydicom.dcmread(path)
    del ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType
    ds.ModalityLUTSequence = [doubling_modality_lut()]
    ds.save_as(path)
    stored = pydicom.dcmread(path).pixel_array.astype(np.float64)
    np.testing.assert_array_equal(read_radiograph(path).pixels, (0 + 2 * TOP12) - 2 * stored)


# --- spacing ------------------------------------------------------------------------------------

def test_pixel_spacing_wins_over_imager_pixel_spacing(tmp_path):
    path = write_dx(tmp_path / "a.dcm", smooth_image(), spacing_mm=(0.1, 0.12),
                    imager_spacing_mm=0.15, magnification=1.2)
    spacing = read_radiograph(path).spacing
    assert (spacing.row_mm, spacing.col_mm, spacing.source) == (0.1, 0.12, "PixelSpacing")


def test_imager_pixel_spacing_is_divided_by_the_magnification_factor(tmp_path):
    path = write_dx(tmp_path / "a.dcm", smooth_image(), imager_spacing_mm=(0.15, 0.12),
                    magnification=1.2)
    spacing = read_radiograph(path).spacing
    assert spacing.row_mm == pytest.approx(0.125, rel=1e-12)
    assert spacing.col_mm == pytest.approx(0.1, rel=1e-12)
    assert spacing.source == ("ImagerPixelSpacing corrected by "
                              "EstimatedRadiographicMagnificationFactor (1.2)")


def test_imager_pixel_spacing_without_magnification_is_used_as_it_is(tmp_path):
    path = write_dx(tmp_path / "a.dcm", smooth_image(), imager_spacing_mm=0.148)
    spacing = read_radiograph(path).spacing
    assert (spacing.row_mm, spacing.col_mm) == (0.148, 0.148)
    assert spacing.source == "ImagerPixelSpacing (no magnification factor)"


def test_no_spacing_in_the_file_gives_none_and_a_note_never_a_guess(tmp_path):
    radiograph = read_radiograph(write_dx(tmp_path / "a.dcm", smooth_image()))
    assert radiograph.spacing is None
    assert "no usable Pixel Spacing" in radiograph.header["_spacing_note"]


@pytest.mark.parametrize("bad", ["0\\0", "-.1\\0.1", "abc\\0.1", "0.1"])
def test_unusable_pixel_spacing_is_ignored_with_the_reason_noted(tmp_path, bad):
    path = write_dx(tmp_path / "a.dcm", smooth_image(), spacing_mm=0.5, imager_spacing_mm=0.2)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"0.5\\0.5", bad.encode().ljust(7)))  # same length, even
    radiograph = read_radiograph(path)
    assert radiograph.spacing.source == "ImagerPixelSpacing (no magnification factor)"
    assert radiograph.spacing.row_mm == 0.2
    assert "PixelSpacing" in radiograph.header["_spacing_note"]


@pytest.mark.parametrize("factor", [0, -1.5])
def test_non_positive_magnification_factor_is_ignored_with_the_reason_noted(tmp_path, factor):
    path = write_dx(tmp_path / "a.dcm", smooth_image(), imager_spacing_mm=0.2,
                    magnification=factor)
    radiograph = read_radiograph(path)
    assert radiograph.spacing == Spacing(
        0.2, 0.2, "ImagerPixelSpacing (no magnification factor)")
    assert "EstimatedRadiographicMagnificationFactor" in radiograph.header["_spacing_note"]


@pytest.mark.parametrize("given, expected", [(0.25, (0.25, 0.25)), ((0.2, 0.3), (0.2, 0.3))])
def test_explicit_spacing_overrides_the_file(dx, given, expected):
    spacing = read_radiograph(dx, spacing_mm=given).spacing
    assert (spacing.row_mm, spacing.col_mm, spacing.source) == (*expected, "user (--spacing)")


@pytest.mark.parametrize("given", [0, -0.1, (0.1,), (0.1, float("nan"))])
def test_explicit_spacing_must_be_positive(dx, given):
    with pytest.raises(ValueError, match="spacing"):
        read_radiograph(dx, spacing_mm=given)


# --- compressed transfer syntaxes ----------------------------------------------------------

def _jpeg_baseline(plain, out):
    eight_bit = write_dx(out.with_suffix(".8bit.dcm"), smooth_image(), bits_stored=8)
    stored = pydicom.dcmread(eight_bit).pixel_array.astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, format="JPEG", quality=95)
    return eight_bit, encapsulated(eight_bit, out, buffer.getvalue(), uid.JPEGBaseline8Bit, 8)


def _jpeg_lossless(syntax, predictor):
    def make(plain, out):
        stored = pydicom.dcmread(plain).pixel_array
        return plain, encapsulated(plain, out, lossless_jpeg(stored, 12, predictor), syntax)
    return make


def _compressed(syntax, **options):
    def make(plain, out):
        ds = pydicom.dcmread(plain)
        if PYDICOM_3:
            ds.compress(syntax, generate_instance_uid=False, **options)
        elif syntax == uid.RLELossless:  # pydicom 2.4 keeps the UID, and the native VR (OW)
            ds.compress(syntax)
            ds["PixelData"].VR = "OB"
        else:
            pytest.skip(f"pydicom 2.4 has no encoder for {syntax.name}")
        ds.save_as(out)
        return plain, out
    return make


def _bundled(plain, out):
    """JPEG-LS: no encoder is installed, so use the pair of files that ships with pydicom."""
    return bundled("MR_small.dcm"), bundled("MR_small_jpeg_ls_lossless.dcm")


@pytest.mark.parametrize("make, syntax, tolerance", [
    (_jpeg_baseline, uid.JPEGBaseline8Bit, 2),
    (_jpeg_lossless(JPEG_LOSSLESS_P14, 6), JPEG_LOSSLESS_P14, 0),
    (_jpeg_lossless(uid.JPEGLosslessSV1, 1), uid.JPEGLosslessSV1, 0),
    (_compressed(uid.JPEG2000Lossless), uid.JPEG2000Lossless, 0),
    (_compressed(uid.JPEG2000, j2k_cr=[5]), uid.JPEG2000, 4),
    (_compressed(uid.RLELossless), uid.RLELossless, 0),
    (_bundled, uid.JPEGLSLossless, 0),
], ids=["jpeg-baseline", "jpeg-lossless-57", "jpeg-lossless-70", "j2k-lossless", "j2k-lossy",
        "rle", "jpeg-ls"])
def test_compressed_file_decodes_to_the_uncompressed_pixels(dx, tmp_path, make, syntax, tolerance):
    original, compressed = make(dx, tmp_path / "compressed.dcm")
    reference, radiograph = read_radiograph(original), read_radiograph(compressed)
    assert radiograph.transfer_syntax == syntax.name
    assert radiograph.pixels.shape == reference.pixels.shape
    difference = np.abs(radiograph.pixels - reference.pixels)
    assert difference.max() <= tolerance
    assert difference.mean() <= tolerance / 4


def test_missing_decoder_plugin_names_the_package_to_install(dx, tmp_path, monkeypatch):
    _, path = _compressed(uid.JPEG2000Lossless)(dx, tmp_path / "j2k.dcm")
    monkeypatch.setattr(dicom_io, "_decoder_available", lambda syntax: False)
    with pytest.raises(InputError, match="JPEG 2000.*install pylibjpeg and pylibjpeg-openjpeg"):
        read_radiograph(path)


# --- the same under pydicom 2.4 and 3 (files that ship with pydicom) ---------------------------

@pytest.mark.parametrize("name", ["MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm",
                                  "MR_small_bigendian.dcm", "MR_small_implicit.dcm"])
def test_a_file_pydicom_ships_decodes_to_the_pixels_of_its_explicit_little_endian_twin(name):
    reference, radiograph = read_radiograph(bundled("MR_small.dcm")), read_radiograph(bundled(name))
    assert radiograph.pixels.dtype == np.float32
    np.testing.assert_array_equal(radiograph.pixels, reference.pixels)
    assert radiograph.pixels.min() == 127 and radiograph.pixels.max() == 2145


def test_a_decoder_is_found_for_compressed_syntaxes_and_none_exists_for_mpeg():
    for syntax in (uid.JPEGBaseline8Bit, JPEG_LOSSLESS_P14, uid.JPEGLSLossless,
                   uid.JPEG2000Lossless, uid.RLELossless):
        assert dicom_io._decoder_available(syntax) is True, syntax.name
    assert dicom_io._decoder_available(uid.MPEG2MPML) is None


def test_a_missing_jpeg_ls_decoder_names_the_packages_to_install(monkeypatch):
    monkeypatch.setattr(dicom_io, "_decoder_available", lambda syntax: False)
    with pytest.raises(InputError, match="no decoder installed for transfer syntax JPEG-LS"
                                         ".*install pylibjpeg and pylibjpeg-libjpeg"):
        read_radiograph(bundled("MR_small_jpeg_ls_lossless.dcm"))


def test_a_file_of_a_syntax_without_any_decoder_is_an_input_error(tmp_path):
    path = encapsulated(bundled("MR_small.dcm"), tmp_path / "mpeg.dcm", b"\x00\x00\x01\xb3",
                        uid.MPEG2MPML)
    with pytest.raises(InputError, match="no decoder for transfer syntax MPEG2.*install"):
        read_radiograph(path)


def test_a_file_without_preamble_and_file_meta_is_read_in_the_encoding_it_was_written(tmp_path):
    ds = pydicom.dcmread(bundled("MR_small.dcm"))
    bare = tmp_path / "bare.dcm"
    with open(bare, "wb") as stream:  # the data set alone: no preamble, no file meta
        pydicom.filewriter.write_dataset(pydicom.filebase.DicomFileLike(stream), _as_implicit(ds))
    assert bare.read_bytes()[128:132] != b"DICM"
    radiograph, reference = read_radiograph(bare), read_radiograph(bundled("MR_small.dcm"))
    assert radiograph.transfer_syntax == uid.ImplicitVRLittleEndian.name
    np.testing.assert_array_equal(radiograph.pixels, reference.pixels)


def _as_implicit(ds):
    bare = Dataset(ds)
    if PYDICOM_3:
        bare.set_original_encoding(True, True)
    else:
        bare.is_implicit_VR, bare.is_little_endian = True, True
    return bare


def test_a_modality_lut_sequence_of_a_bundled_file_is_applied(tmp_path):
    ds = pydicom.dcmread(bundled("MR_small.dcm"))
    ds.PixelRepresentation = 0  # MR_small holds 127..2145: the same values as unsigned
    ds.ModalityLUTSequence = [doubling_modality_lut()]
    path = tmp_path / "lut.dcm"
    save(ds, path)
    stored = pydicom.dcmread(bundled("MR_small.dcm")).pixel_array.astype(np.float32)
    np.testing.assert_array_equal(read_radiograph(path).pixels, 2 * stored)


# --- files that cannot be used -------------------------------------------------------------

def test_truncated_file_is_an_input_error_naming_the_file(dx):
    data = dx.read_bytes()
    for length in (len(data) - 100, 60):
        dx.write_bytes(data[:length])
        with pytest.raises(InputError) as raised:
            read_radiograph(dx)
        assert str(dx) in str(raised.value)


def test_a_file_that_is_not_dicom_png_or_jpeg_is_an_input_error(tmp_path):
    path = tmp_path / "notes.dcm"
    path.write_text("hello radiograph\n" * 20)
    with pytest.raises(InputError, match="not a DICOM, PNG or JPEG file"):
        read_radiograph(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot open"):
        read_radiograph(tmp_path / "absent.dcm")


def test_structured_report_without_pixel_data_is_an_input_error(tmp_path):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    ds.SOPClassUID = uid.BasicTextSRStorage
    ds.SOPInstanceUID = uid.generate_uid()
    ds.Modality = "SR"
    path = tmp_path / "report.dcm"
    save(ds, path)
    with pytest.raises(InputError, match="no pixel data.*Basic Text SR"):
        read_radiograph(path)


def test_multi_frame_image_is_an_input_error(dx):
    ds = pydicom.dcmread(dx)
    ds.NumberOfFrames = 2
    ds.PixelData = ds.PixelData * 2
    ds.save_as(dx)
    with pytest.raises(InputError, match="multi-frame"):
        read_radiograph(dx)


def test_rgb_image_is_an_input_error(dx):
    rewrite(dx, Rows=8, Columns=8, SamplesPerPixel=3, PhotometricInterpretation="RGB",
            PlanarConfiguration=0, BitsAllocated=8, BitsStored=8, HighBit=7,
            PixelData=bytes(8 * 8 * 3))
    with pytest.raises(InputError, match="not a greyscale image.*RGB, Samples per Pixel 3"):
        read_radiograph(dx)


def test_huge_image_is_refused_before_decoding(dx, monkeypatch):
    rewrite(dx, Rows=20000, Columns=10000)  # 200 MP claimed, 6 kB of pixel data present

    def fail(*args, **kwargs):
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(pydicom.Dataset, "pixel_array", property(fail))
    with pytest.raises(InputError, match="too large: 20000 x 10000"):
        read_radiograph(dx)


def test_pixel_limit_is_configurable(dx):
    with pytest.raises(InputError, match="limit 1,000"):
        read_radiograph(dx, max_pixels=1000)
    assert read_radiograph(dx, max_pixels=48 * 64).rows == 48


def test_reading_leaves_the_input_file_unchanged(dx, tmp_path):
    png = tmp_path / "teaching.png"
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(png)
    for path in (dx, png):
        before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
        read_radiograph(path, spacing_mm=0.2 if path == png else None)
        after = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
        assert before == after


# --- header, view, laterality, body part -----------------------------------------------------

@pytest.mark.parametrize("header, view", [
    ({"ViewPosition": "AP"}, "AP"),
    ({"ViewPosition": "PA"}, "AP"),
    ({"ViewPosition": "LL"}, "LAT"),
    ({"ViewPosition": "RL"}, "LAT"),
    ({"ViewPosition": "LATERAL"}, "LAT"),
    ({"ViewPosition": "RAO"}, "OBL"),
    ({"ViewPosition": "LPO"}, "OBL"),
    ({"ViewPosition": "PA", "SeriesDescription": "WRIST LAT"}, "AP"),
    ({"SeriesDescription": "WRIST LAT"}, "LAT"),
    ({"SeriesDescription": "Handgelenk seitlich", "ProtocolName": "Wrist_Lateral"}, "LAT"),
    ({"ProtocolName": "wrist oblique"}, "OBL"),
    ({"SeriesDescription": "L-SPINE AP"}, "AP"),
    ({"SeriesDescription": "Hand p.a."}, "AP"),
    ({"SeriesDescription": "Handgelenk d.p. links"}, "AP"),
    ({"SeriesDescription": "Wrist PA"}, "AP"),
    ({"StudyDescription": "WRIST AP+LAT", "SeriesDescription": "Lateral"}, "LAT"),
    ({"StudyDescription": "WRIST AP+LAT"}, None),
    ({"SeriesDescription": "PLATE CAPTURE"}, None),
    ({"ViewPosition": "XYZ"}, None),
    ({}, None),
])
def test_view_comes_from_view_position_else_from_description_words(header, view):
    assert view_from_header(header) == view


@pytest.mark.parametrize("header, side", [
    ({"ImageLaterality": "L"}, "L"),
    ({"ImageLaterality": "R", "SeriesDescription": "LEFT WRIST"}, "R"),
    ({"ImageLaterality": "U", "Laterality": "R"}, "R"),
    ({"SeriesDescription": "LEFT WRIST AP"}, "L"),
    ({"SeriesDescription": "Wrist R lat"}, "R"),
    ({"ProtocolName": "HANDGELENK RECHTS"}, "R"),
    ({"SeriesDescription": "L SPINE LAT"}, None),
    ({"SeriesDescription": "L-SPINE AP"}, None),
    ({"SeriesDescription": "L5-S1 LAT"}, None),
    ({"SeriesDescription": "WRIST LEFT AND RIGHT"}, None),
    ({"SeriesDescription": "LATERAL"}, None),
    ({}, None),
])
def test_laterality_comes_from_dicom_fields_else_from_description_words(header, side):
    assert laterality_from_header(header) == side


@pytest.mark.parametrize("header, part", [
    ({"BodyPartExamined": "wrist"}, "WRIST"),
    ({"BodyPartExamined": "LSPINE", "SeriesDescription": "HAND"}, "LSPINE"),
    ({"SeriesDescription": "Left hand PA"}, "HAND"),
    ({"SeriesDescription": "HAND/WRIST LAT"}, "WRIST"),
    ({"ProtocolName": "LUMBAR SPINE AP"}, "LSPINE"),
    ({"StudyDescription": "L-SPINE 2 views"}, "LSPINE"),
    ({"SeriesDescription": "CHEST PA"}, None),
])
def test_body_part_comes_from_body_part_examined_else_from_description_words(header, part):
    assert body_part_from_header(header) == part


def test_view_is_none_for_a_non_radiograph_modality(dx):
    rewrite(dx, Modality="CT", ViewPosition="AP", SeriesDescription="SCOUT LAT")
    radiograph = read_radiograph(dx)
    assert radiograph.view is None
    assert radiograph.header["Modality"] == "CT"


def test_header_holds_non_empty_values_as_dicom_strings(tmp_path):
    path = write_dx(tmp_path / "a.dcm", smooth_image(), spacing_mm=(0.1, 0.125),
                    header={"PatientID": "P-7", "KVP": 55, "PatientName": "Doe^Jane"})
    header = read_radiograph(path).header
    assert header["PatientID"] == "P-7"
    assert header["PatientName"] == "Doe^Jane"
    assert header["KVP"] == "55"
    assert header["PixelSpacing"] == "0.1\\0.125"
    assert "PatientSex" not in header  # written empty (type 2)


# --- PNG / JPEG teaching input ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_png_or_jpeg_without_spacing_is_an_input_error(tmp_path, kind):
    path = tmp_path / f"teaching.{kind.lower()}"
    Image.fromarray(np.full((8, 8), 100, np.uint8)).save(path, format=kind)
    with pytest.raises(InputError, match=f"{kind} has no physical pixel size: pass --spacing MM"):
        read_radiograph(path)


def test_png_with_spacing_is_read_as_grey_float(tmp_path):
    path = tmp_path / "colour.png"
    rgb = np.zeros((6, 10, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    Image.fromarray(rgb).save(path)
    radiograph = read_radiograph(path, spacing_mm=0.2)
    assert radiograph.photometric == "PNG"
    assert radiograph.pixels.dtype == np.float32 and radiograph.pixels.shape == (6, 10)
    assert radiograph.pixels[0, 0] == pytest.approx(200 * 0.299 + 100 * 0.587 + 50 * 0.114, abs=1)
    assert (radiograph.header, radiograph.window, radiograph.view) == ({}, None, None)
    assert radiograph.spacing.source == "user (--spacing)"


def test_sixteen_bit_png_keeps_its_values(tmp_path):
    path = tmp_path / "deep.png"
    values = np.arange(0, 4000 * 12, 4000, dtype=np.uint16).reshape(3, 4)
    Image.fromarray(values).save(path)
    np.testing.assert_array_equal(read_radiograph(path, spacing_mm=0.1).pixels, values)


def test_jpeg_teaching_image_is_read(tmp_path):
    path = tmp_path / "hand.jpg"
    Image.fromarray(np.full((16, 12), 128, np.uint8)).save(path, quality=95)
    radiograph = read_radiograph(path, spacing_mm=(0.2, 0.25))
    assert radiograph.photometric == "JPEG" and radiograph.transfer_syntax is None
    assert np.abs(radiograph.pixels - 128).max() <= 1


# --- round trip with the writer ---------------------------------------------------------------

@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_written_dx_reads_back_with_pixels_spacing_header_view_and_laterality(
        tmp_path, photometric):
    image = smooth_image()
    path = write_dx(
        tmp_path / "round.dcm", image, spacing_mm=(0.1, 0.11), imager_spacing_mm=0.12,
        magnification=1.2, photometric=photometric, bits_stored=14, view_position="LL",
        laterality="R", body_part="WRIST", window=(1500, 500),
        header={"PatientID": "QC-1", "KVP": 52.5, "DistanceSourceToDetector": 1100,
                "ExposureTime": 8, "SOPInstanceUID": "1.2.3.4.5", "Manufacturer": None})
    radiograph = read_radiograph(path)
    top = 2.0 ** 14 - 1
    np.testing.assert_array_equal(radiograph.pixels, scaled(image, top))
    gain = top / (image.max() - image.min())
    assert radiograph.window == pytest.approx(((1500 - image.min()) * gain, 500 * gain),
                                              abs=1e-6)
    assert radiograph.spacing == Spacing(0.1, 0.11, "PixelSpacing")
    assert (radiograph.view, radiograph.laterality, radiograph.body_part) == ("LAT", "R", "WRIST")
    assert radiograph.photometric == photometric
    assert radiograph.header["SOPInstanceUID"] == "1.2.3.4.5"
    assert radiograph.header["KVP"] == "52.5"
    assert radiograph.header["DistanceSourceToDetector"] == "1100"
    assert radiograph.header["EstimatedRadiographicMagnificationFactor"] == "1.2"
    assert "Manufacturer" not in radiograph.header
    assert radiograph.transfer_syntax == uid.ExplicitVRLittleEndian.name

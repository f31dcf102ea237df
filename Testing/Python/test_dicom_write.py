"""Tests of radiographqc.dicom_write.write_dx (the DX writer behind the simulator and samples).

Run under pydicom 3 and 2.4 (Slicer 5.10): the writer supports both, but pydicom 2.4 can encode
only RLE Lossless of the compressed syntaxes."""
import re

import numpy as np
import pydicom
import pytest
from pydicom import uid

from radiographqc.dicom_write import write_dx

RAMP = np.linspace(-3.0, 5.0, 32 * 40).reshape(32, 40)
PYDICOM_3 = int(pydicom.__version__.split(".")[0]) >= 3
NO_J2K_ENCODER = pytest.mark.skipif(not PYDICOM_3, reason="pydicom 2.4 has no JPEG 2000 encoder")


@pytest.mark.parametrize("bits", [8, 12, 16])
def test_pixels_are_mapped_linearly_onto_the_stored_bit_range(tmp_path, bits):
    ds = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP, bits_stored=bits))
    stored = ds.pixel_array
    top = 2 ** bits - 1
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (
        16, bits, bits - 1, 0)
    assert stored.dtype == np.uint16 and stored.min() == 0 and stored.max() == top
    np.testing.assert_array_equal(stored, np.rint((RAMP + 3.0) / 8.0 * top))


def test_monochrome1_stores_inverted_values_and_an_inverse_presentation_lut(tmp_path):
    ds = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP, photometric="MONOCHROME1"))
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    assert ds.PresentationLUTShape == "INVERSE"
    np.testing.assert_array_equal(ds.pixel_array, 4095 - np.rint((RAMP + 3.0) / 8.0 * 4095))


def test_written_file_is_a_dx_for_presentation_with_file_meta(tmp_path):
    path = write_dx(tmp_path / "a.dcm", RAMP)
    assert path.read_bytes()[128:132] == b"DICM"
    ds = pydicom.dcmread(path, force=False)
    assert ds.SOPClassUID == uid.DigitalXRayImageStorageForPresentation
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.file_meta.TransferSyntaxUID == uid.ExplicitVRLittleEndian
    assert (ds.Modality, ds.PresentationIntentType) == ("DX", "FOR PRESENTATION")
    assert (ds.RescaleSlope, ds.RescaleIntercept) == (1, 0)


def test_uids_are_new_for_each_file_unless_the_caller_gives_them(tmp_path):
    first = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP))
    second = pydicom.dcmread(write_dx(tmp_path / "b.dcm", RAMP))
    assert first.SOPInstanceUID != second.SOPInstanceUID
    assert first.StudyInstanceUID != second.StudyInstanceUID
    given = {"SOPInstanceUID": "1.2.3.1", "StudyInstanceUID": "1.2.3.2",
             "SeriesInstanceUID": "1.2.3.3"}
    fixed = pydicom.dcmread(write_dx(tmp_path / "c.dcm", RAMP, header=given))
    assert {k: fixed[k].value for k in given} == given
    assert fixed.file_meta.MediaStorageSOPInstanceUID == "1.2.3.1"


def test_spacing_magnification_view_laterality_and_body_part_are_written_as_given(tmp_path):
    ds = pydicom.dcmread(write_dx(
        tmp_path / "a.dcm", RAMP, spacing_mm=(0.1, 0.125), imager_spacing_mm=0.15,
        magnification=1.2, view_position="PA", laterality="L", body_part="WRIST"))
    assert [float(v) for v in ds.PixelSpacing] == [0.1, 0.125]
    assert [float(v) for v in ds.ImagerPixelSpacing] == [0.15, 0.15]
    assert ds.EstimatedRadiographicMagnificationFactor == 1.2
    assert (ds.ViewPosition, ds.ImageLaterality, ds.BodyPartExamined) == ("PA", "L", "WRIST")


def test_spacing_is_absent_unless_given(tmp_path):
    ds = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP))
    for keyword in ("PixelSpacing", "ImagerPixelSpacing",
                    "EstimatedRadiographicMagnificationFactor"):
        assert keyword not in ds


def test_header_entries_are_written_and_none_leaves_an_attribute_out(tmp_path):
    ds = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP, header={
        "PatientID": "QC-9", "KVP": 60, "ExposureTime": 12, "DistanceSourceToDetector": 1150.5,
        "WindowCenter": None, "WindowWidth": None, "Manufacturer": None}))
    assert (ds.PatientID, str(ds.KVP), ds.ExposureTime, str(ds.DistanceSourceToDetector)) == (
        "QC-9", "60", 12, "1150.5")
    for keyword in ("WindowCenter", "WindowWidth", "Manufacturer"):
        assert keyword not in ds


def test_type_2_patient_attributes_are_present_but_empty_by_default(tmp_path):
    ds = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP))
    assert ds["PatientID"].is_empty and ds["StudyDate"].is_empty


def test_long_decimal_values_are_shortened_to_sixteen_characters(tmp_path):
    path = write_dx(tmp_path / "a.dcm", RAMP, magnification=1 / 0.9, header={"KVP": 2 / 3})
    ds = pydicom.dcmread(path)
    assert len(str(ds.EstimatedRadiographicMagnificationFactor)) <= 16
    assert float(ds.EstimatedRadiographicMagnificationFactor) == pytest.approx(1 / 0.9, rel=1e-12)
    assert len(str(ds.KVP)) <= 16


def test_default_window_covers_the_data_and_a_given_window_is_in_input_units(tmp_path):
    plain = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP))
    assert (float(plain.WindowCenter), float(plain.WindowWidth)) == (2047.5, 4096)
    given = pydicom.dcmread(write_dx(tmp_path / "b.dcm", RAMP, window=(1.0, 2.0)))
    assert float(given.WindowCenter) == pytest.approx(4.0 / 8.0 * 4095, abs=1e-9)
    assert float(given.WindowWidth) == pytest.approx(2.0 / 8.0 * 4095, abs=1e-9)
    inverted = pydicom.dcmread(write_dx(tmp_path / "c.dcm", RAMP, window=(1.0, 2.0),
                                        photometric="MONOCHROME1"))
    assert float(inverted.WindowCenter) == pytest.approx(4095 - 4.0 / 8.0 * 4095, abs=1e-9)


def test_constant_image_is_stored_as_zeros(tmp_path):
    ds = pydicom.dcmread(write_dx(tmp_path / "a.dcm", np.full((4, 5), 7.0)))
    assert not ds.pixel_array.any()
    assert float(ds.WindowWidth) >= 1


@pytest.mark.parametrize("bits", [8, 14])
@pytest.mark.parametrize("syntax", [uid.ImplicitVRLittleEndian, uid.RLELossless,
                                    pytest.param(uid.JPEG2000Lossless, marks=NO_J2K_ENCODER)])
def test_other_transfer_syntaxes_store_the_same_pixels(tmp_path, syntax, bits):
    plain = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP, bits_stored=bits))
    other = pydicom.dcmread(write_dx(tmp_path / "b.dcm", RAMP, bits_stored=bits,
                                     transfer_syntax=syntax))
    assert other.file_meta.TransferSyntaxUID == syntax
    assert other["PixelData"].VR == ("OB" if syntax.is_compressed else "OW")
    np.testing.assert_array_equal(other.pixel_array, plain.pixel_array)


def test_file_meta_names_the_pydicom_that_wrote_it(tmp_path):
    meta = pydicom.dcmread(write_dx(tmp_path / "a.dcm", RAMP)).file_meta
    assert meta.ImplementationClassUID == uid.PYDICOM_IMPLEMENTATION_UID
    assert meta.ImplementationVersionName == f"PYDICOM {pydicom.__version__}"


@pytest.mark.skipif(not PYDICOM_3, reason="pydicom 2.4 has no JPEG-LS encoder (tested below)")
def test_jpeg_ls_is_written_when_an_encoder_is_installed_else_refused_clearly(tmp_path):
    from pydicom.pixels import get_encoder

    path = tmp_path / "a.dcm"
    if get_encoder(uid.JPEGLSLossless).is_available:
        ds = pydicom.dcmread(write_dx(path, RAMP, transfer_syntax=uid.JPEGLSLossless))
        assert ds.file_meta.TransferSyntaxUID == uid.JPEGLSLossless
    else:
        with pytest.raises(ValueError, match="no encoder for JPEG-LS.*pyjpegls"):
            write_dx(path, RAMP, transfer_syntax=uid.JPEGLSLossless)
        assert not path.exists()


@pytest.mark.skipif(PYDICOM_3, reason="pydicom 3 has encoders for JPEG 2000 and JPEG-LS")
@pytest.mark.parametrize("syntax", [uid.JPEG2000Lossless, uid.JPEGLSLossless])
def test_pydicom_2_refuses_the_syntaxes_it_cannot_encode_naming_syntax_and_version(
        tmp_path, syntax):
    path = tmp_path / "a.dcm"
    message = f"{re.escape(syntax.name)} with pydicom {re.escape(pydicom.__version__)}"
    with pytest.raises(ValueError, match=message):
        write_dx(path, RAMP, transfer_syntax=syntax)
    assert not path.exists()


@pytest.mark.parametrize("arguments, message", [
    ({"photometric": "RGB"}, "photometric"),
    ({"bits_stored": 17}, "bits_stored"),
    ({"bits_stored": 7}, "bits_stored"),
    ({"transfer_syntax": uid.JPEGBaseline8Bit}, "cannot write transfer syntax JPEG Baseline"),
    ({"header": {"NotAKeyword": 1}}, "unknown DICOM keyword"),
    ({"spacing_mm": (0.1, 0.1, 0.1)}, "spacing_mm"),
    ({"window": (10, 0)}, "window width"),
    pytest.param({"pixels": RAMP[:31], "transfer_syntax": uid.JPEG2000Lossless},
                 "at least 32 pixels", marks=NO_J2K_ENCODER),
])
def test_invalid_arguments_are_refused(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        write_dx(tmp_path / "a.dcm", **{"pixels": RAMP, **arguments})


@pytest.mark.parametrize("pixels", [np.zeros(5), np.zeros((0, 3)), np.array([[1.0, np.nan]])])
def test_pixels_must_be_a_finite_two_dimensional_array(tmp_path, pixels):
    with pytest.raises(ValueError, match="pixels"):
        write_dx(tmp_path / "a.dcm", pixels)

import pytest

from radiographqc.image import Spacing
from radiographqc.profile import load_profile
from radiographqc.wrist.header import header_items

PROFILE = load_profile("wrist")
SPACING = Spacing(0.15, 0.15, "PixelSpacing")
FULL = {"PatientID": "123", "PatientName": "Doe^Jane", "PatientSex": "F", "PatientBirthDate": "19800101",
        "PatientAge": "045Y", "StudyDate": "20240101", "StudyTime": "101010", "InstitutionName": "Hospital",
        "Manufacturer": "ACME", "ManufacturerModelName": "DR-1", "SoftwareVersions": "1.0", "KVP": "55",
        "DistanceSourceToDetector": "1100", "ExposureTime": "8", "WindowWidth": "4000", "WindowCenter": "2000"}


def _by_id(items):
    return {item.id: item for item in items}


def test_a_complete_header_with_spacing_scores_34_points_in_17_items():
    items = header_items(FULL, SPACING, PROFILE)
    assert len(items) == 17 and all(i.id.startswith("HDR_") for i in items)
    assert sum(i.score for i in items) == 34 and all(i.passed and i.rating == "pass" for i in items)


@pytest.mark.parametrize("value, state", [("", "empty"), ("   ", "empty"), ("^^", "empty"), ("^ ^ =", "empty"),
                                          ("\\", "empty"), (None, "missing")])
def test_empty_whitespace_and_empty_person_name_values_score_nothing(value, state):
    header = dict(FULL)
    if value is None:
        del header["PatientName"]
    else:
        header["PatientName"] = value
    item = _by_id(header_items(header, SPACING, PROFILE))["HDR_PATIENT_NAME"]
    assert (item.score, item.passed, item.rating, item.value, item.assessable) == (0, False, "fail", state, True)
    assert state in item.explanation and "PatientName" in item.advice


def test_a_padded_value_counts_as_present():
    item = _by_id(header_items(dict(FULL, KVP=" 55 "), SPACING, PROFILE))["HDR_KVP"]
    assert (item.score, item.value) == (2, "55")


def test_patient_values_are_not_copied_into_the_report_but_device_values_are():
    items = _by_id(header_items(FULL, SPACING, PROFILE))
    assert items["HDR_PATIENT_NAME"].value == "present" and "Doe" not in items["HDR_PATIENT_NAME"].explanation
    assert items["HDR_MANUFACTURER"].value == "ACME"


@pytest.mark.parametrize("spacing, score", [(SPACING, 2), (None, 0), (Spacing(0.0, 0.1, "x"), 0),
                                            (Spacing(float("nan"), 0.1, "x"), 0)])
def test_the_scale_item_is_satisfied_by_a_usable_pixel_spacing(spacing, score):
    item = _by_id(header_items(FULL, spacing, PROFILE))["HDR_SCALE"]
    assert item.score == score and item.assessable


def test_non_dicom_input_makes_every_header_item_not_assessable():
    items = header_items({}, SPACING, PROFILE, is_dicom=False)
    assert len(items) == 17
    assert all(not i.assessable and i.score == 0 and i.max == 2 and i.passed is None for i in items)
    assert "not a DICOM file" in items[0].explanation


def test_no_header_at_all_is_not_assessable_either():
    assert not any(i.assessable for i in header_items(None, SPACING, PROFILE))

"""The wrist command line end to end: DICOM + keypoints in, JSON/HTML/CSV out, bad files skipped."""
import csv
import json

import numpy as np
import pytest

from radiographqc.cli import main
from radiographqc.dicom_io import read_radiograph
from radiographqc.models import ModelRegistry
from radiographqc.dicom_write import write_dx

FULL_HEADER = {
    "PatientID": "QC0001", "PatientName": "Test^Wrist", "PatientSex": "F", "PatientBirthDate": "19800101",
    "PatientAge": "045Y", "StudyDate": "20261123", "StudyTime": "101500", "InstitutionName": "Test Hospital",
    "Manufacturer": "Simulated", "ManufacturerModelName": "SimDR", "SoftwareVersions": "1.0", "KVP": 55,
    "DistanceSourceToDetector": 1000, "ExposureTime": 8,
}


def a_wrist_dicom(path, view="AP", header=FULL_HEADER, spacing=1.0):
    """240 x 300 px at 1 mm: a 24 cm x 30 cm image, smooth background (no marker, nothing bright)."""
    rows, cols = 300, 240
    yy, xx = np.mgrid[0:rows, 0:cols]
    pixels = (1000 + 2 * xx + yy).astype(np.float32)
    return write_dx(path, pixels, spacing_mm=spacing, view_position=view, laterality="L", body_part="WRIST",
                    header=header, window=(1300.0, 800.0))


def keypoints_file(path, view, points):
    path.write_text(json.dumps({"view": view, "points": points}))
    return path


@pytest.fixture
def a_batch(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    a_wrist_dicom(data / "good.dcm")
    # Styloid line horizontal at row 259.5: 4 cm above the lower edge (row 299.5), midpoint on the centre column.
    keypoints_file(data / "good.keypoints.json", "AP",
                   {"P1": [170.0, 100.0], "P2": [159.5, 259.5], "P3": [79.5, 259.5]})
    good_bytes = (data / "good.dcm").read_bytes()
    (data / "broken.dcm").write_bytes(good_bytes[: len(good_bytes) // 3])
    keypoints_file(data / "broken.keypoints.json", "AP", {"P1": None, "P2": [1, 1], "P3": [2, 2]})
    return data, good_bytes


def test_a_folder_is_scored_and_a_broken_file_is_reported_and_skipped(a_batch, tmp_path):
    data, good_bytes = a_batch
    out = tmp_path / "out"
    code = main(["wrist", str(data), "--out", str(out), "--no-progress"])
    assert code == 1, "exit code says that a file failed"
    report = json.loads((out / "good.json").read_text())
    scores = {item["id"]: item["score"] for item in report["items"]}
    # Hand calculation (24 x 30 cm image, 1 mm pixels):
    # AP1 P1 present -> 5; AP2 D = 40 px = 4 cm -> 5; AP3 line horizontal, |90-90| = 0 -> 10;
    # AP4 vertical: 26 cm to top vs 4 cm to bottom (Delta 22) -> 0, horizontal: 12 cm each side -> 5;
    # AP5: P2 is 8 cm from the right edge, P3 8 cm from the left edge -> 0 + 0.
    assert [scores[k] for k in ("AP1", "AP2", "AP3", "AP4", "AP5")] == [5, 5, 10, 5, 0]
    assert sum(scores[k] for k in scores if k.startswith("HDR_")) == 34
    assert scores["MARKER"] == 0
    # the foreign-body classifier scores its 10 points by its probability for this image
    probability = ModelRegistry().load("wrist-artefact").predict(read_radiograph(data / "good.dcm").pixels).probability
    artefact = next(i for i in report["items"] if i["id"] == "ARTEFACT")
    assert artefact["value"] == round(probability, 4) and artefact["passed"] == (probability < 0.5)
    assert report["artefact"]["probability"] == round(probability, 4)
    assert report["total"] == 34 + 0 + 25 + (10 if probability < 0.5 else 0)
    assert report["max_assessable"] == 100
    assert report["grade"] == ("C" if probability < 0.5 else "D"), "69 % or 59 % of the points"
    assert report["source"]["spacing"]["source"] == "PixelSpacing"
    assert report["keypoints"]["P1"] == {"name": "thumb MCP joint", "xy": [170.0, 100.0], "present": True,
                                         "confidence": None, "review": False, "source": "file"}
    html = (out / "good.html").read_text()
    assert "data:image/png;base64," in html and "AP3" in html
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert {r["file"].split("/")[-1]: r["status"] for r in rows} == {"broken.dcm": "error", "good.dcm": "ok"}
    broken = next(r for r in rows if r["file"].endswith("broken.dcm"))
    assert "broken.dcm" in broken["error"]
    assert (data / "good.dcm").read_bytes() == good_bytes, "input files are never modified"


def test_missing_spacing_makes_distance_tasks_not_assessable_instead_of_guessing(tmp_path):
    a_wrist_dicom(tmp_path / "nospacing.dcm", spacing=None)
    keypoints_file(tmp_path / "nospacing.keypoints.json", "AP",
                   {"P1": [170.0, 100.0], "P2": [159.5, 259.5], "P3": [79.5, 259.5]})
    assert main(["wrist", str(tmp_path / "nospacing.dcm"), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    report = json.loads((tmp_path / "o" / "nospacing.json").read_text())
    items = {i["id"]: i for i in report["items"]}
    assert [items[k]["assessable"] for k in ("AP2", "AP4", "AP5")] == [False] * 3
    assert items["AP3"]["score"] == 10 and items["AP1"]["score"] == 5
    assert items["HDR_SCALE"]["score"] == 0
    assert report["source"]["spacing"] is None


def test_keypoints_of_the_wrong_view_are_an_error_naming_the_file(tmp_path, capsys):
    a_wrist_dicom(tmp_path / "lat.dcm", view="LL")
    keypoints_file(tmp_path / "lat.keypoints.json", "AP", {"P1": None, "P2": [1, 1], "P3": [2, 2]})
    assert main(["wrist", str(tmp_path / "lat.dcm"), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "lat.dcm" in err and "view mismatch" in err


def test_png_teaching_image_needs_an_explicit_spacing(tmp_path, capsys):
    from PIL import Image
    Image.fromarray(np.full((300, 240), 90, np.uint8)).save(tmp_path / "teach.png")
    keypoints_file(tmp_path / "teach.keypoints.json", "AP",
                   {"P1": [170.0, 100.0], "P2": [159.5, 259.5], "P3": [79.5, 259.5]})
    assert main(["wrist", str(tmp_path / "teach.png"), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    assert "--spacing" in capsys.readouterr().err
    assert main(["wrist", str(tmp_path / "teach.png"), "--out", str(tmp_path / "o2"), "--no-progress",
                 "--spacing", "1.0"]) == 0
    report = json.loads((tmp_path / "o2" / "teach.json").read_text())
    assert report["source"]["spacing"]["source"].startswith("user")
    assert all(not i["assessable"] for i in report["items"] if i["id"].startswith("HDR_"))
    assert {i["id"]: i["score"] for i in report["items"]}["AP2"] == 5


def test_a_missing_model_is_an_error_line_naming_the_model_file_and_the_reason(a_batch, tmp_path, monkeypatch):
    data, _ = a_batch
    monkeypatch.setenv("RADIOGRAPHQC_MODELS", str(tmp_path / "no-models"))
    assert main(["wrist", str(data / "good.dcm"), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    (row,) = csv.DictReader((tmp_path / "o" / "summary.csv").open())
    assert row["status"] == "error"
    assert row["error"] == f"{tmp_path / 'no-models' / 'wrist-artefact.json'}: no model 'wrist-artefact' in " \
                           f"{tmp_path / 'no-models'}"

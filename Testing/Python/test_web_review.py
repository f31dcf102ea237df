"""The browser app's review session, without a browser: the case list, opening and resuming cases on
the WristQC/LumbarQC logics, rescoring, export inside the export folder only, and re-import of the
exported training data. (The page itself is tested in a real browser: test_web_browser.py.)"""
import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
trame_slicer = pytest.importorskip("trame_slicer", reason="the web app needs the 'web' extra (trame-slicer)")

from RadiographQCWeb.cases import find_cases, inside  # noqa: E402
from RadiographQCWeb.review import ExportError, ReviewSession  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "Resources" / "Samples"


@pytest.fixture
def a_slicer_app():
    from trame_slicer.core import SlicerApp

    return SlicerApp()


def review_of(slicer_app, inputs, export_dir):
    import RadiographQCWeb  # noqa: F401 - the module folders on sys.path
    from LumbarQCLib.logic import LumbarQCLogic
    from WristQCLib.logic import WristQCLogic

    logics = {"wrist": WristQCLogic(slicer_app.scene, userName="nobody"),
              "lumbar": LumbarQCLogic(slicer_app.scene, userName="nobody")}
    return ReviewSession(slicer_app.scene, logics, inputs, export_dir)


@pytest.fixture
def a_wrist_review(a_slicer_app, tmp_path):
    """The wrist samples, copied so that a test can check nothing beside them changes."""
    images = tmp_path / "images"
    shutil.copytree(SAMPLES / "wrist", images, ignore=shutil.ignore_patterns("truth"))
    return review_of(a_slicer_app, [images], tmp_path / "export")


def case_named(review, name):
    return next(c for c in review.cases if c.path.name == name)


def test_the_case_list_names_each_sample_with_its_module_and_view(tmp_path):
    cases = {c.path.name: (c.module, c.view, c.status) for c in find_cases([SAMPLES], tmp_path)}
    assert cases["wrist_ap_routine.dcm"] == ("wrist", "AP", "new")
    assert cases["wrist_lat_rotated.dcm"] == ("wrist", "LAT", "new")
    assert cases["lumbar_obl_rotated.dcm"] == ("lumbar", "OBL", "new")
    assert len(cases) == 11


def test_opening_a_wrist_case_gives_the_grade_of_the_command_line(a_wrist_review):
    from radiographqc.profile import load_profile
    from radiographqc.wrist.pipeline import WristPipeline

    case = case_named(a_wrist_review, "wrist_ap_routine.dcm")
    a_wrist_review.open(case.id)
    model = a_wrist_review.view_model()
    report = WristPipeline(load_profile("wrist")).assess(case.path).report
    assert (model["grade"], model["total"]) == (report["grade"], report["total"])
    assert {"MARKER", "AP1", "AP2", "AP3", "AP4", "AP5"} <= {r["id"] for r in model["rows"]}
    assert not any(r["id"].startswith("HDR_") for r in model["rows"]) and len(model["header_rows"]) == 17
    assert case.result == f"{report['grade']} {report['total']}/{report['max_assessable']}"


def test_moving_a_keypoint_rescores_and_marks_the_case_reviewed(a_wrist_review):
    case = case_named(a_wrist_review, "wrist_ap_routine.dcm")
    a_wrist_review.open(case.id)
    logic = a_wrist_review.logic
    before = a_wrist_review.view_model()
    x, y = logic.pointPixels()["P2"]
    logic.setPointPixel("P2", (x, y + 40))
    a_wrist_review.note_change()
    after = a_wrist_review.view_model()
    ap3 = {r["id"]: r for r in after["rows"]}["AP3"]
    assert ap3["value"] != {r["id"]: r for r in before["rows"]}["AP3"]["value"]
    assert case.status == "reviewed" and after["can_undo"]


def test_going_back_to_a_case_resumes_its_corrections(a_wrist_review):
    first = case_named(a_wrist_review, "wrist_ap_routine.dcm")
    a_wrist_review.open(first.id)
    x, y = a_wrist_review.logic.pointPixels()["P2"]
    a_wrist_review.logic.setPointPixel("P2", (x + 25, y))
    a_wrist_review.open(case_named(a_wrist_review, "wrist_lat_routine.dcm").id)
    a_wrist_review.open(first.id)
    assert a_wrist_review.logic.pointPixels()["P2"] == pytest.approx((x + 25, y))
    assert a_wrist_review.logic.canUndo()


def test_export_needs_a_reviewer_name(a_wrist_review):
    a_wrist_review.open(case_named(a_wrist_review, "wrist_ap_routine.dcm").id)
    with pytest.raises(ExportError, match="name"):
        a_wrist_review.export()
    with pytest.raises(ExportError, match="name"):
        a_wrist_review.set_reviewer("   ")


def test_export_writes_the_report_and_training_data_inside_the_export_folder_only(a_wrist_review, tmp_path):
    images = tmp_path / "images"
    before = {p: p.stat().st_mtime_ns for p in images.rglob("*")}
    case = case_named(a_wrist_review, "wrist_ap_routine.dcm")
    a_wrist_review.open(case.id)
    a_wrist_review.set_reviewer("Dr  Ada   Lovelace")
    x, y = a_wrist_review.logic.pointPixels()["P2"]
    a_wrist_review.logic.setPointPixel("P2", (x, y + 30))
    a_wrist_review.note_change()
    written = a_wrist_review.export()
    export = (tmp_path / "export").resolve()
    assert all(inside(export, Path(p)) for p in written.values())
    assert {p.relative_to(export).as_posix() for p in export.rglob("*") if p.is_file()} == {
        "reports/wrist_ap_routine.json", "reports/wrist_ap_routine.html",
        "training/wrist/wrist_ap_routine.dcm", "training/wrist/wrist_ap_routine.json",
        "training/wrist/wrist_ap_routine.provenance.json"}
    assert {p: p.stat().st_mtime_ns for p in images.rglob("*")} == before
    provenance = json.loads((export / "training/wrist/wrist_ap_routine.provenance.json").read_text())
    assert provenance["who"] == "Dr Ada Lovelace"
    assert [c["point"] for c in provenance["changes"]] == ["P2"]
    report = json.loads((export / "reports/wrist_ap_routine.json").read_text())
    assert report["review"]["by"] == "Dr Ada Lovelace" and case.status == "exported"


def test_a_correction_after_the_export_makes_the_case_reviewed_again(a_wrist_review):
    case = case_named(a_wrist_review, "wrist_ap_routine.dcm")
    a_wrist_review.open(case.id)
    a_wrist_review.set_reviewer("R")
    a_wrist_review.export()
    x, y = a_wrist_review.logic.pointPixels()["P1"]
    a_wrist_review.logic.setPointPixel("P1", (x + 10, y))
    a_wrist_review.note_change()
    assert case.status == "reviewed"


def test_exported_training_data_opens_again_with_the_corrected_points(a_wrist_review, a_slicer_app, tmp_path):
    case = case_named(a_wrist_review, "wrist_ap_routine.dcm")
    a_wrist_review.open(case.id)
    a_wrist_review.set_reviewer("R")
    x, y = a_wrist_review.logic.pointPixels()["P2"]
    a_wrist_review.logic.setPointPixel("P2", (x + 12, y + 34))
    a_wrist_review.note_change()
    corrected = a_wrist_review.view_model()
    a_wrist_review.export()
    again = review_of(a_slicer_app, [tmp_path / "export" / "training" / "wrist"], tmp_path / "export2")
    assert [c.path.name for c in again.cases] == ["wrist_ap_routine.dcm"]
    again.open(again.cases[0].id)
    reopened = again.view_model()
    assert again.logic.pointPixels()["P2"] == pytest.approx((x + 12, y + 34))
    assert (reopened["grade"], reopened["total"]) == (corrected["grade"], corrected["total"])


def test_a_lumbar_case_shows_its_verdict_and_named_segments(a_slicer_app, tmp_path):
    review = review_of(a_slicer_app, [SAMPLES / "lumbar" / "lumbar_ap_routine.dcm"], tmp_path / "export")
    review.open(review.cases[0].id)
    model = review.view_model()
    assert model["verdict"] in ("qualified", "unqualified")
    assert model["verdict"] == ("qualified" if review.logic.result.qualified else "unqualified")
    assert {s["name"] for s in model["segments"]} >= {"L3"}
    assert all(s["color"].startswith("rgb(") for s in model["segments"])


def test_a_path_that_leads_out_of_the_export_folder_is_refused(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", export / "link")
    assert inside(export, export / "reports" / "a.json")
    assert not inside(export, export / ".." / "a.json")
    assert not inside(export, export / "link" / "a.json")

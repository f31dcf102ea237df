"""The review app in a real browser (Debian's Chromium through Playwright): `radiographqc web` as a
user starts it, driven with the mouse. What the page shows is checked against the command line's
pipeline and the rules themselves. The screenshots in the README come from this run
(docs/screenshots/)."""
import json
import os
from pathlib import Path

import pytest

import web_browser
from web_browser import ReviewTab, web_app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "Resources" / "Samples"
SCREENSHOTS = ROOT / "docs" / "screenshots"
AP_SAMPLE = SAMPLES / "wrist" / "wrist_ap_routine.dcm"

if web_browser.chromium_path() is None:
    if os.environ.get("CI"):
        pytest.fail("CI needs Chromium for the browser tests (apt-get install chromium)", pytrace=False)
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")
pytest.importorskip("trame_slicer", reason="the web app needs the 'web' extra (trame-slicer)")


@pytest.fixture(scope="module")
def a_strict_profile(tmp_path_factory):
    """A department's wrist criteria: stricter grade thresholds than the published ones."""
    path = tmp_path_factory.mktemp("profiles") / "strict.json"
    path.write_text(json.dumps({"name": "strict department", "grade_thresholds": {"A": 95, "B": 90, "C": 60, "D": 0}}))
    return path


@pytest.fixture(scope="module")
def an_export_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="module")
def the_app(an_export_folder, a_strict_profile, tmp_path_factory):
    """`radiographqc web` on the bundled samples (its default), one server for the module."""
    log = tmp_path_factory.mktemp("log") / "web.log"
    with web_app([], an_export_folder, "--profile", str(a_strict_profile), log_path=log) as url:
        yield url


@pytest.fixture(scope="module")
def a_browser():
    with playwright_api.sync_playwright() as playwright:
        browser = web_browser.launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture
def a_tab(a_browser, the_app):
    """A new browser tab (so a new review session of its own), the reviewer's name given."""
    context = a_browser.new_context(viewport=web_browser.VIEWPORT)
    yield ReviewTab(context.new_page(), the_app)
    context.close()


def expected_wrist(path, points: dict, confidences: dict, profile=None):
    """What the rules give for these keypoints on this image (the command line's stages)."""
    from radiographqc.dicom_io import read_radiograph
    from radiographqc.profile import load_profile
    from radiographqc.wrist.keypoints import Keypoint, Keypoints
    from radiographqc.wrist.pipeline import ArtefactDetector, analyse_image, score_wrist

    profile = profile or load_profile("wrist")
    radiograph = read_radiograph(path)
    analysis = analyse_image(radiograph, profile, ArtefactDetector())
    keypoints = Keypoints(radiograph.view, {pid: Keypoint(xy, confidences.get(pid)) for pid, xy in points.items()})
    return score_wrist(keypoints, radiograph, analysis, profile)


def item(result, item_id):
    return next(i for i in result.items if i.id == item_id)


def test_a_sample_opens_with_the_grade_and_total_of_the_command_line(a_tab):
    from radiographqc.profile import load_profile
    from radiographqc.wrist.pipeline import WristPipeline

    a_tab.open_case(AP_SAMPLE.name)
    report = WristPipeline(load_profile("wrist")).assess(AP_SAMPLE).report
    assert a_tab.text("grade") == report["grade"]
    assert a_tab.text("total") == str(report["total"])
    assert a_tab.text(f"case-result-{AP_SAMPLE.name}") == f"{report['grade']} {report['total']}/{report['max_assessable']}"
    ap3 = next(i for i in report["items"] if i["id"] == "AP3")
    assert a_tab.text("value-AP3").startswith(f"{ap3['value']:.2f}")


def test_dragging_P2_changes_the_AP3_angle_and_the_total_as_the_rules_say_and_undo_redo_step_through(a_tab):
    a_tab.open_case(AP_SAMPLE.name)
    a_tab.wait_for_picture()
    before = {"AP3": a_tab.text("value-AP3"), "total": a_tab.text("total")}
    points = a_tab.points()
    start = points["P2"]
    drag_px = 40
    a_tab.drag(start, 0, drag_px)
    moved = a_tab.points()
    assert moved["P2"][0] == pytest.approx(start[0], abs=1.0)
    assert moved["P2"][1] - start[1] == pytest.approx(drag_px / a_tab.scale(), abs=1.0)
    assert {pid: xy for pid, xy in moved.items() if pid != "P2"} == {pid: xy for pid, xy in points.items() if pid != "P2"}
    # the confidences of the points nobody moved stay the detector's
    confidences = {pid: float(a_tab.by(f"point-{pid}").get_attribute("data-confidence"))
                   for pid in points if pid != "P2"}
    expected = expected_wrist(AP_SAMPLE, moved, confidences)
    assert a_tab.text("value-AP3").startswith(f"{item(expected, 'AP3').value:.2f}")
    assert a_tab.text("total") == str(expected.total) and a_tab.text("grade") == expected.grade
    assert a_tab.text("value-AP3") != before["AP3"]
    a_tab.page.screenshot(path=str(SCREENSHOTS / "web-review-wrist.png"))

    a_tab.by("undo").click()
    assert a_tab.wait_for_text_change("value-AP3", a_tab.text("value-AP3")) == before["AP3"]
    assert a_tab.text("total") == before["total"] and a_tab.points()["P2"] == pytest.approx(start)
    a_tab.by("redo").click()
    a_tab.wait_for_text_change("value-AP3", before["AP3"])
    assert a_tab.points()["P2"] == pytest.approx(moved["P2"])


def test_the_table_follows_the_point_while_it_is_dragged(a_tab):
    a_tab.open_case(AP_SAMPLE.name)
    a_tab.wait_for_picture()
    before = a_tab.text("value-AP3")
    sx, sy = a_tab.screen_of(a_tab.point("P2"))
    mouse = a_tab.page.mouse
    mouse.move(sx, sy)
    a_tab.page.wait_for_timeout(150)
    mouse.down()
    for step in range(1, 6):
        mouse.move(sx, sy + 6 * step)
        a_tab.page.wait_for_timeout(60)
    during = a_tab.wait_for_text_change("value-AP3", before)   # before the button is released
    mouse.up()
    assert during != before


def test_a_point_taken_away_and_placed_again_with_a_click_is_scored_where_it_was_placed(a_tab):
    a_tab.open_case(AP_SAMPLE.name)
    a_tab.wait_for_picture()
    original = a_tab.point("P1")
    a_tab.by("unplace-P1").click()
    a_tab.page.wait_for_function("() => !document.querySelector('[data-testid=\"point-P1\"]').dataset.x")
    assert a_tab.point("P1") is None
    assert "not assessable" in a_tab.text("item-AP1") or a_tab.text("score-AP1").startswith("0/")
    target = (original[0] + 15, original[1] + 10)
    a_tab.by("place-P1").click()
    a_tab.page.wait_for_timeout(300)
    a_tab.page.mouse.click(*a_tab.screen_of(target))
    a_tab.page.wait_for_function("() => !!document.querySelector('[data-testid=\"point-P1\"]').dataset.x")
    assert a_tab.point("P1") == pytest.approx(target, abs=1.0)
    assert not a_tab.text("score-AP1").startswith("0/")


def test_switching_to_a_department_profile_rescores_the_case(a_tab):
    a_tab.open_case(AP_SAMPLE.name)
    total = a_tab.text("total")
    assert a_tab.text("grade") == "B" and int(total) < 90
    a_tab.by("profile").click()
    a_tab.page.get_by_role("option", name="strict department (strict.json)").click()
    assert a_tab.wait_for_text_change("grade", "B") == "C"
    assert a_tab.text("total") == total
    a_tab.by("profile").click()
    a_tab.page.get_by_role("option", name="published defaults").click()
    assert a_tab.wait_for_text_change("grade", "C") == "B"


def test_painting_into_a_lumbar_structure_reruns_the_rules_and_keeps_the_structures_it_crosses(a_tab):
    a_tab.open_case("lumbar_ap_routine.dcm")
    a_tab.wait_for_picture()
    assert a_tab.text("verdict") == "qualified" and a_tab.text("score-l3_double_contour") == "pass"
    vertebrae = a_tab.text("value-vertebra_count")
    a_tab.by("brush-segment").click()
    a_tab.page.get_by_role("option", name="L3 double contour").click()
    a_tab.by("brush-paint").click()
    a_tab.page.wait_for_timeout(300)
    l3 = json.loads(a_tab.by("segment-L3").get_attribute("data-xy"))
    a_tab.drag((l3[0] - 30, l3[1]), 60 * a_tab.scale(), 0, steps=15, pause_ms=60)
    assert a_tab.wait_for_text_change("score-l3_double_contour", "pass") == "FAIL"
    assert a_tab.text("verdict") == "unqualified"
    assert a_tab.text("value-vertebra_count") == vertebrae     # L3 not cut by the stroke
    a_tab.page.wait_for_function("() => !document.querySelector('[data-testid=\"undo\"]').disabled")
    a_tab.by("brush-none").click()
    a_tab.page.screenshot(path=str(SCREENSHOTS / "web-review-lumbar.png"))
    a_tab.by("undo").click()
    assert a_tab.wait_for_text_change("score-l3_double_contour", "FAIL") == "pass"
    assert a_tab.text("verdict") == "qualified"


def test_the_export_writes_report_and_training_data_which_open_again_with_the_correction(
        a_tab, an_export_folder, tmp_path):
    a_tab.open_case(AP_SAMPLE.name)
    a_tab.wait_for_picture()
    a_tab.drag(a_tab.point("P2"), 0, 30)
    corrected = {"P2": a_tab.point("P2"), "total": a_tab.text("total"), "AP3": a_tab.text("value-AP3")}
    a_tab.by("export").click()
    a_tab.page.wait_for_function("() => document.querySelector('[data-testid=\"exported\"]').innerText.trim()")
    assert a_tab.text(f"case-status-{AP_SAMPLE.name}") == "exported"
    training = an_export_folder / "training" / "wrist"
    provenance = json.loads((training / "wrist_ap_routine.provenance.json").read_text())
    assert provenance["who"] == "Dr Test" and [c["point"] for c in provenance["changes"]] == ["P2"]
    report = json.loads((an_export_folder / "reports" / "wrist_ap_routine.json").read_text())
    assert str(report["total"]) == corrected["total"] and report["review"]["by"] == "Dr Test"

    with web_app([training], tmp_path / "again") as url:
        again = ReviewTab(a_tab.page.context.new_page(), url)
        again.open_case(AP_SAMPLE.name)
        assert again.point("P2") == pytest.approx(corrected["P2"], abs=0.01)
        assert again.text("total") == corrected["total"] and again.text("value-AP3") == corrected["AP3"]


def test_two_tabs_review_their_own_cases_without_touching_each_other(a_browser, the_app):
    context = a_browser.new_context(viewport=web_browser.VIEWPORT)
    first, second = ReviewTab(context.new_page(), the_app), ReviewTab(context.new_page(), the_app)
    first.open_case(AP_SAMPLE.name)
    second.open_case("wrist_ap_tilted.dcm")
    first.wait_for_picture()
    total_second, ap3_second = second.text("total"), second.text("value-AP3")
    first.drag(first.point("P2"), 0, 40)
    first.wait_for_text_change("value-AP3", ap3_second)
    assert second.text("case-title").startswith("wrist_ap_tilted.dcm")
    assert (second.text("total"), second.text("value-AP3")) == (total_second, ap3_second)
    second.page.reload()
    second.wait_for_result()
    assert second.text("case-title").startswith("wrist_ap_tilted.dcm")   # the tab's own session again
    assert not second.by("reviewer-name").is_visible()                  # the name was asked once
    context.close()

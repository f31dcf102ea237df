"""The browser app's Teaching and Quiz tabs without a browser (RadiographQCWeb/teaching.py): the
sliders' image processed by the WristQC/LumbarQC logics scores exactly as the teaching core does, the
scene does not grow with the renders, and a quiz shows nothing of its answer until it is answered.
(The page itself is tested in a real browser: test_web_browser_teaching.py.)"""
import os

import pytest

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
pytest.importorskip("trame_slicer", reason="the web app needs the 'web' extra (trame-slicer)")

from radiographqc import teaching  # noqa: E402
from radiographqc.teaching import NOTHING_WRONG  # noqa: E402

SIDE = 256          # pixels on the long side: every criterion still assessable, quick to render


@pytest.fixture(scope="module")
def a_scene():
    from trame_slicer.core import SlicerApp

    return SlicerApp().scene


@pytest.fixture
def a_teaching_session(a_scene):
    from RadiographQCWeb.teaching import TeachingSession

    session = TeachingSession(a_scene, long_side=SIDE)
    yield session
    session.close()


@pytest.fixture
def a_quiz_session(a_scene):
    from RadiographQCWeb.teaching import QuizSession

    session = QuizSession(a_scene, long_side=SIDE)
    yield session
    session.close()


def _rows(model) -> dict:
    return {r["id"]: r for r in model["rows"]}


def _assert_logic_is_the_core(session):
    """The logic's result, and the page's rows read from its table, are the teaching core's."""
    core = teaching.core_result(session.image, session.logic.profile)
    result = session.logic.result
    rows = _rows(session.view_model())
    if session.body == "wrist":
        assert (result.total, result.grade, result.max_assessable) == (core.total, core.grade, core.max_assessable)
        assert [(i.id, i.score, i.passed, i.value) for i in result.items] == \
            [(i.id, i.score, i.passed, i.value) for i in core.items]
        scored = teaching.score(session.image, session.logic.profile)
        assert session.view_model()["total"] == scored["total"]
        assert {i["id"]: str(i["score"]) for i in scored["items"]} == \
            {rid: r["score"] for rid, r in {**rows, **_rows({"rows": session.view_model()["header_rows"]})}.items()}
    else:
        assert result.qualified == core.qualified
        assert [(r.id, r.passed, r.value) for r in result.rules] == [(r.id, r.passed, r.value) for r in core.rules]
        verdicts = {True: "pass", False: "FAIL", None: "not assessable"}
        assert {r.id: verdicts[r.passed] for r in core.rules} == {rid: r["result"] for rid, r in rows.items()}


@pytest.mark.parametrize("body,view,positions", [
    ("wrist", "AP", [{}, {"supination_deg": 35}, {"inplane_deg": -20, "target_u": 30}, {"field_h_mm": 90}]),
    ("wrist", "LAT", [{}, {"supination_deg": -40}, {"inplane_deg": 25, "target_v": 80}]),
    ("lumbar", "AP", [{}, {"rotation_deg": 20}, {"tilt_deg": -18, "top_gap_mm": 35}]),
])
def test_the_teaching_logic_scores_each_slider_position_exactly_as_the_teaching_core(
        a_teaching_session, body, view, positions):
    a_teaching_session.start(body, view, seed=4)
    moved = {}
    for values in positions:          # the sliders move one after the other: the others stay put
        a_teaching_session.set_values(values)
        moved.update(values)
        assert a_teaching_session.values == teaching.control_values(body, view, moved)
        _assert_logic_is_the_core(a_teaching_session)


@pytest.mark.parametrize("view,item", [("AP", "AP3"), ("LAT", "LAT1")])
def test_moving_the_supination_slider_changes_its_criterion_as_the_teaching_core_says(
        a_teaching_session, view, item):
    a_teaching_session.start("wrist", view, seed=2)
    before = _rows(a_teaching_session.view_model())[item]
    a_teaching_session.set_value("supination_deg", -80)
    after = _rows(a_teaching_session.view_model())[item]
    expected = {i["id"]: i for i in teaching.score(teaching.render("wrist", view, {"supination_deg": -80},
                                                                   seed=2, long_side=SIDE))["items"]}[item]
    assert after["score"] == str(expected["score"]) and int(after["score"]) < int(before["score"])
    comparison = {c["name"]: c for c in a_teaching_session.view_model()["teach_comparison"]}
    assert comparison["supination_deg"]["actual"] == -80 and comparison["supination_deg"]["off_by"] == -80


def test_the_ideal_position_resets_every_slider_and_its_picture_is_the_ideal_image_s_report(a_teaching_session):
    a_teaching_session.start("wrist", "AP", seed=6)
    ideal = a_teaching_session.view_model()
    a_teaching_session.set_values({"supination_deg": 50, "target_u": 70})
    assert a_teaching_session.view_model()["total"] < ideal["total"]
    a_teaching_session.reset()
    assert a_teaching_session.values == teaching.control_values("wrist", "AP")
    model = a_teaching_session.view_model()
    assert model["total"] == ideal["total"] and all(c["at_ideal"] for c in model["teach_controls"])
    core = teaching.core_result(teaching.render("wrist", "AP", seed=6, long_side=SIDE))
    assert model["teach_ideal_summary"] == f"grade {core.grade}, {core.total}/{core.max_assessable} points"
    assert model["teach_ideal_png"].startswith("data:image/png;base64,")


def test_only_a_change_of_the_field_s_extent_asks_the_view_to_fit_again(a_teaching_session):
    assert a_teaching_session.start("wrist", "AP", seed=1)
    assert not a_teaching_session.set_value("supination_deg", 20)
    assert not a_teaching_session.set_value("target_v", 60)
    assert a_teaching_session.set_value("field_w_mm", 200)


def test_hundreds_of_renders_do_not_grow_the_scene(a_scene, a_teaching_session):
    a_teaching_session.long_side = 160
    a_teaching_session.start("wrist", "AP", seed=0)
    a_teaching_session.set_value("supination_deg", 1)
    wrist_nodes = a_scene.GetNumberOfNodes()
    for step in range(240):
        a_teaching_session.set_value("supination_deg", (step * 7) % 170 - 85)
    assert a_scene.GetNumberOfNodes() == wrist_nodes
    a_teaching_session.start("lumbar", "AP", seed=0)
    a_teaching_session.set_value("rotation_deg", 1)
    lumbar_nodes = a_scene.GetNumberOfNodes()
    for step in range(30):
        a_teaching_session.set_value("rotation_deg", step - 15)
    a_teaching_session.start("wrist", "AP", seed=0)
    a_teaching_session.set_value("supination_deg", 1)
    assert a_scene.GetNumberOfNodes() == wrist_nodes
    a_teaching_session.start("lumbar", "AP", seed=0)
    assert a_scene.GetNumberOfNodes() == lumbar_nodes


def test_the_teaching_tab_leaves_the_review_logics_and_their_case_alone(a_scene, a_teaching_session):
    import RadiographQCWeb  # noqa: F401
    from WristQCLib.logic import WristQCLogic

    from RadiographQCLib import mrml

    review = WristQCLogic(a_scene)
    image = teaching.render("wrist", "LAT", seed=9, long_side=SIDE)
    volume = mrml.addRadiographVolume(a_scene, image.radiograph, "review case")
    review.process(volume, keypoints=image.keypoints, analysis=teaching.truth_analysis(image, review.profile))
    table, total = review.tableNode, review.result.total
    a_teaching_session.start("wrist", "LAT", seed=9)
    for value in (-60, 30):
        a_teaching_session.set_value("supination_deg", value)
    assert a_teaching_session.logic is not review
    assert review.volumeNode is volume and review.tableNode is table and review.result.total == total
    assert a_scene.IsNodePresent(volume) and a_scene.IsNodePresent(table)
    review.cleanup()


def test_a_hidden_tab_hides_its_drawings_and_shows_them_again(a_teaching_session):
    from RadiographQCWeb.teaching import _display_nodes

    a_teaching_session.start("wrist", "AP", seed=3)
    shown = [d for d in _display_nodes(a_teaching_session.volume) if d.GetVisibility()]
    assert shown
    a_teaching_session.set_visible(False)
    assert not any(d.GetVisibility() for d in _display_nodes(a_teaching_session.volume))
    a_teaching_session.set_value("supination_deg", 30)    # rendered while hidden: hidden too
    assert not any(d.GetVisibility() for d in _display_nodes(a_teaching_session.volume))
    a_teaching_session.set_visible(True)
    assert len([d for d in _display_nodes(a_teaching_session.volume) if d.GetVisibility()]) == len(shown)


def test_given_an_analysis_the_wrist_logic_searches_nothing_and_keeps_it(a_scene, monkeypatch):
    import RadiographQCWeb  # noqa: F401
    import WristQCLib.logic as wrist_logic

    from RadiographQCLib import mrml

    def no_search(*_):
        raise AssertionError("the image was analysed although an analysis was given")

    monkeypatch.setattr(wrist_logic, "analyse_image", no_search)
    logic = wrist_logic.WristQCLogic(a_scene)
    image = teaching.render("wrist", "AP", {"target_u": 25}, seed=8, long_side=SIDE)
    volume = mrml.addRadiographVolume(a_scene, image.radiograph, "given analysis")
    analysis = teaching.truth_analysis(image, logic.profile)
    result = logic.process(volume, keypoints=image.keypoints, analysis=analysis)
    assert result.total == teaching.core_result(image).total and logic.analysis == analysis
    assert logic.heatmapNode() is None     # the truth has no heatmap: no heatmap volume
    logic.cleanup()
    assert logic.restoreCase(volume).total == result.total
    logic.cleanup()
    from RadiographQCWeb.teaching import remove_case
    remove_case(a_scene, volume)


# ---------------------------------------------------------------- quiz

def test_an_unanswered_quiz_shows_the_bare_image_and_the_answer_reveals_the_qc(a_scene, a_quiz_session):
    from RadiographQCWeb.teaching import case_nodes

    nodes = a_scene.GetNumberOfNodes()
    quiz = a_quiz_session.new("wrist", "AP", seed=11)
    model = a_quiz_session.view_model()
    assert model["module"] == "wrist" and model["view"] == "AP"
    assert (model["rows"], model["header_rows"], model["points"], model["segments"]) == ([], [], [], [])
    assert (model["grade"], model["total"], model["verdict"], model["quiz_result"]) == ("", "", "", None)
    assert a_quiz_session.logic.volumeNode is a_quiz_session.volume and a_quiz_session.logic.result is None
    assert case_nodes(a_quiz_session.volume) == []                      # no markups, no table, no segments
    assert a_scene.GetNumberOfNodes() == nodes + 2                      # the volume and its display
    assert [o["id"] for o in model["quiz_options"]] == [o["id"] for o in quiz.options]
    a_quiz_session.check(quiz.faults)
    model = a_quiz_session.view_model()
    assert model["total"] == quiz.report["total"] and model["grade"] == quiz.report["grade"]
    assert {r["id"] for r in model["rows"]} >= {"AP1", "AP2", "AP3", "AP4", "AP5"}
    assert a_quiz_session.logic.measurementNodes and model["points"]
    assert model["quiz_result"]["correct"]


def test_the_quiz_session_marks_answers_as_score_quiz_does(a_quiz_session):
    quiz = a_quiz_session.new("lumbar", "AP", seed=2)
    assert quiz.faults != {NOTHING_WRONG}
    result = a_quiz_session.check([NOTHING_WRONG])
    assert result == teaching.score_quiz(quiz, {NOTHING_WRONG})
    marking = a_quiz_session.view_model()["quiz_result"]
    assert not marking["correct"] and {o["id"] for o in marking["missed"]} == set(quiz.faults)
    assert [o["id"] for o in marking["false_alarms"]] == [NOTHING_WRONG] and marking["points"] == 0
    assert a_quiz_session.view_model()["verdict"] == ("qualified" if quiz.report["qualified"] else "unqualified")
    with pytest.raises(ValueError, match="answered"):
        a_quiz_session.check(quiz.faults)
    second = a_quiz_session.new("lumbar", "AP", seed=2)
    assert a_quiz_session.view_model()["rows"] == []
    assert a_quiz_session.check(second.faults)["correct"]

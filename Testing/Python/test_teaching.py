"""Teaching mode core: sliders over the simulator, the live QC of their image, and the quiz."""
import json
import math

import numpy as np
import pytest

from radiographqc import teaching
from radiographqc.teaching import (NOTHING_WRONG, controls, ideal_comparison, make_quiz, render,
                                   score, score_quiz)

SIDE = 384        # pixels on the long side: enough for every criterion, quick to render
VIEWS = [(body, view) for body, views in teaching.BODIES.items() for view in views]


def _items(image) -> dict:
    return {item["id"]: item for item in score(image)["items"]}


def _control(body, view, name):
    return next(c for c in controls(body, view) if c.name == name)


def _ends(body, view, name, seed=0):
    """The items of the ideal image and of the slider at its minimum and maximum."""
    c = _control(body, view, name)
    return [_items(render(body, view, values, seed=seed, long_side=SIDE))
            for values in ({}, {name: c.minimum}, {name: c.maximum})]


# ---------------------------------------------------------------- controls


@pytest.mark.parametrize("body,view", VIEWS)
def test_every_slider_sets_a_simulator_parameter_and_its_textbook_position_lies_in_range(body, view):
    from radiographqc.simulate.lumbar import LumbarParams
    from radiographqc.simulate.wrist import WristParams

    params = WristParams() if body == "wrist" else LumbarParams()
    sliders = controls(body, view)
    assert len({c.name for c in sliders}) == len(sliders)
    for c in sliders:
        assert hasattr(params, c.name), c.name
        assert c.minimum < c.ideal < c.maximum and c.step > 0
        assert c.label and c.unit and c.explanation.endswith((".", ")"))


def test_an_unknown_body_view_or_control_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="knee"):
        controls("knee", "AP")
    with pytest.raises(ValueError, match="OBL"):
        render("wrist", "OBL")
    with pytest.raises(ValueError, match="supinaton_deg"):
        render("wrist", "AP", {"supinaton_deg": 10.0}, long_side=SIDE)


# ---------------------------------------------------------------- the textbook position


@pytest.mark.parametrize("seed", [0, 5])
def test_the_textbook_wrist_passes_every_item_and_loses_only_what_the_spec_makes_impossible(seed):
    lateral = score(render("wrist", "LAT", seed=seed, long_side=SIDE))
    assert all(item["passed"] for item in lateral["items"])
    assert (lateral["total"], lateral["max"], lateral["grade"]) == (100, 100, "A")
    # AP2 (styloids 3-5 cm above the lower edge) and AP1 (thumb MCP joint inside) leave AP4 only
    # its horizontal half: the midpoint cannot be centred vertically as well
    ap = score(render("wrist", "AP", seed=seed, long_side=SIDE))
    assert all(item["passed"] for item in ap["items"])
    short = {i["id"]: i for i in ap["items"] if i["score"] < i["max"]}
    assert list(short) == ["AP4"] and short["AP4"]["score"] == 5
    assert short["AP4"]["value"]["horizontal"] <= 1.0 < short["AP4"]["value"]["vertical"]
    assert (ap["total"], ap["grade"]) == (95, "A")


@pytest.mark.parametrize("view", ["AP", "LAT", "OBL"])
def test_the_textbook_lumbar_spine_is_qualified(view):
    for seed in (0, 5):
        report = score(render("lumbar", view, seed=seed, long_side=SIDE))
        assert report["qualified"], report["summary"]
        assert all(item["passed"] for item in report["items"])


# ---------------------------------------------------------------- sliders


@pytest.mark.parametrize("body,view", VIEWS)
def test_each_slider_at_an_end_of_its_range_takes_the_points_of_the_criteria_it_names(body, view):
    """A named criterion scores less at one end than at the textbook position: a single-part
    criterion then fails; of a two-part centring task (AP4, AP5, LAT3) the part the slider moves."""
    two_part = {"AP4", "AP5", "LAT3"}
    for c in controls(body, view):
        if not c.criteria:
            continue
        ideal, low, high = _ends(body, view, c.name)
        for crit in c.criteria:
            worse = [end[crit] for end in (low, high) if end[crit]["score"] < ideal[crit]["score"]]
            assert worse, (c.name, crit)
            assert crit in two_part or any(end["passed"] is False for end in worse), (c.name, crit)


def _off(value, part=None, target=None):
    value = value[part] if part else value
    return abs(value - target) if target is not None else value


# (body, view, control, criterion, part of a two-part value or None, target, change at the
# minimum, at the maximum): +1 the measure grows, -1 it shrinks, 0 not checked; what the
# explanations promise
DIRECTIONS = [
    ("wrist", "AP", "supination_deg", "AP3", None, 90.0, +1, +1),
    ("wrist", "AP", "inplane_deg", "AP3", None, 90.0, +1, +1),
    ("wrist", "AP", "target_u", "AP4", "horizontal", None, +1, +1),
    ("wrist", "AP", "target_v", "AP2", None, None, +1, -1),
    ("wrist", "AP", "field_w_mm", "AP5", "P2", None, -1, +1),
    ("wrist", "AP", "field_h_mm", "AP2", None, None, -1, +1),
    ("wrist", "LAT", "supination_deg", "LAT1", None, None, +1, +1),
    ("wrist", "LAT", "inplane_deg", "LAT2", None, None, +1, +1),
    ("wrist", "LAT", "target_u", "LAT3", "horizontal", None, +1, +1),
    ("wrist", "LAT", "target_v", "LAT3", "vertical", None, +1, +1),
    ("wrist", "LAT", "target_v", "LAT2", None, None, 0, +1),
    ("lumbar", "AP", "rotation_deg", "spinous_centred", None, 0.5, +1, +1),
    ("lumbar", "AP", "tilt_deg", "l3_double_contour", None, None, +1, +1),
    ("lumbar", "AP", "top_gap_mm", "vertebra_count", None, None, -1, +1),
    ("lumbar", "AP", "target_v", "l3_double_contour", None, None, +1, 0),
    ("lumbar", "AP", "target_v", "pelvis_present", None, None, 0, -1),
    ("lumbar", "LAT", "bend_deg", "l3_double_contour", None, None, +1, +1),
    ("lumbar", "OBL", "rotation_deg", "scottie_dog", None, None, +1, -1),
    ("lumbar", "OBL", "rotation_deg", "pedicles_centred", None, 0.5, +1, +1),
]


@pytest.mark.parametrize("body,view,name,crit,part,target,at_min,at_max", DIRECTIONS)
def test_the_measured_value_moves_the_way_the_slider_explanation_says(body, view, name, crit, part,
                                                                       target, at_min, at_max):
    ideal, low, high = (_off(end[crit]["value"], part, target) for end in _ends(body, view, name))
    for sign, end in ((at_min, low), (at_max, high)):
        assert sign == 0 or (end - ideal) * sign > 0, (end, ideal)


def test_thumb_mcp_joint_leaves_the_field_at_the_ends_the_explanations_name():
    for name, end in (("deviation_deg", "maximum"), ("target_v", "minimum"),
                      ("field_w_mm", "minimum"), ("field_h_mm", "minimum")):
        c = _control("wrist", "AP", name)
        image = render("wrist", "AP", {name: getattr(c, end)}, long_side=SIDE)
        assert image.keypoints.xy("P1") is None and _items(image)["AP1"]["passed"] is False, name


def test_a_styloid_that_the_field_cuts_off_is_absent_not_measured_beyond_the_edge():
    image = render("wrist", "AP", {"field_w_mm": 60.0, "target_u": 20.0}, long_side=SIDE)
    projected = image.truth["keypoints"]
    cut = [pid for pid in ("P2", "P3") if image.keypoints.xy(pid) is None]
    assert cut and all(projected[pid][0] < -0.5 for pid in cut)   # beyond the left edge
    ap5 = _items(image)["AP5"]
    assert ap5["passed"] is False and "missing" in ap5["explanation"]


def test_every_teaching_wrist_has_its_lead_marker_wholly_in_the_field():
    # seed 4's first draw puts the simulator's marker across the field edge (about 1 in 7 do)
    for seed in range(6):
        image = render("wrist", "LAT", {"field_w_mm": 90.0}, seed=seed, long_side=SIDE)
        assert image.truth["marker"]["complete"], seed
        assert _items(image)["MARKER"]["passed"], seed


def test_moving_the_supination_slider_changes_only_the_rotation_criteria():
    ideal = _items(render("wrist", "LAT", long_side=SIDE))
    turned = _items(render("wrist", "LAT", {"supination_deg": 30.0}, long_side=SIDE))
    changed = {i for i in ideal if (ideal[i]["score"], ideal[i]["passed"]) !=
               (turned[i]["score"], turned[i]["passed"])}
    assert changed == {"LAT1"} and turned["LAT1"]["passed"] is False
    # the scaphoid stays where the centring puts it; the wrist axis moves a little (LAT2 keeps
    # full points), and so does the magnification at the raised scaphoid (the spacing item's value)
    assert turned["LAT3"]["value"] == ideal["LAT3"]["value"]
    assert turned["LAT1"]["value"] > ideal["LAT1"]["value"] + 40.0


# ---------------------------------------------------------------- render


def test_the_same_arguments_give_identical_pixels_and_another_seed_another_person():
    values = {"inplane_deg": 7.0, "target_u": 45.0}
    a = render("wrist", "AP", values, seed=3, long_side=SIDE)
    b = render("wrist", "AP", values, seed=3, long_side=SIDE)
    c = render("wrist", "AP", values, seed=4, long_side=SIDE)
    assert np.array_equal(a.radiograph.pixels, b.radiograph.pixels)
    assert a.keypoints == b.keypoints and a.radiograph.header == b.radiograph.header
    assert not np.array_equal(a.radiograph.pixels, c.radiograph.pixels)
    first = render("lumbar", "OBL", {"rotation_deg": 5.0}, seed=2, long_side=SIDE)
    again = render("lumbar", "OBL", {"rotation_deg": 5.0}, seed=2, long_side=SIDE)
    assert np.array_equal(first.radiograph.pixels, again.radiograph.pixels)
    assert np.array_equal(first.masks.vertebrae, again.masks.vertebrae)


def _forearm_shape(image) -> list[float]:
    """Distances between forearm points in 3-D: unchanged by any rigid positioning (not by
    deviation or flexion, which move the hand against the forearm)."""
    points = image.truth["points_3d_mm"]
    names = ["radial_styloid", "ulnar_styloid", "distal_radius", "distal_ulna", "radius_axis_far"]
    return [math.dist(points[a], points[b]) for i, a in enumerate(names) for b in names[i + 1:]]


PERSON = ("side", "size_scale", "sid_mm", "table_gap_mm", "exposure")


def test_the_person_depends_on_the_seed_only_not_on_the_sliders():
    values = {"supination_deg": 40.0, "inplane_deg": -12.0, "target_u": 30.0, "field_h_mm": 200.0}
    base = render("wrist", "AP", seed=1, long_side=SIDE)
    moved = render("wrist", "AP", values, seed=1, long_side=SIDE)
    lateral = render("wrist", "LAT", seed=1, long_side=SIDE)
    other = render("wrist", "AP", seed=2, long_side=SIDE)
    # the truth rounds 3-D points to 0.001 mm; another person differs by millimetres
    assert _forearm_shape(moved) == pytest.approx(_forearm_shape(base), abs=0.005)
    assert _forearm_shape(lateral) == pytest.approx(_forearm_shape(base), abs=0.005)
    assert _forearm_shape(other) != pytest.approx(_forearm_shape(base), abs=0.1)
    for image in (moved, lateral):
        assert all(image.truth["params"][k] == base.truth["params"][k] for k in PERSON)
    # lumbar: same person (build, curve, abdomen), vertebral bodies of the same size
    person = ("size_scale", "lordosis_deg", "abdomen_rx_mm", "abdomen_rz_mm", "field_w_mm")
    spine = render("lumbar", "AP", seed=1, long_side=SIDE)
    tilted = render("lumbar", "AP", {"rotation_deg": 10.0, "top_gap_mm": 20.0}, seed=1,
                    long_side=SIDE)
    assert all(spine.truth["params"][k] == tilted.truth["params"][k] for k in person)
    other = render("lumbar", "AP", seed=2, long_side=SIDE)
    assert any(spine.truth["params"][k] != other.truth["params"][k] for k in person)


def test_out_of_range_values_are_clipped_to_the_slider():
    c = _control("wrist", "LAT", "supination_deg")
    wild = render("wrist", "LAT", {"supination_deg": 500.0, "field_w_mm": -3.0}, long_side=SIDE)
    edge = render("wrist", "LAT", {"supination_deg": c.maximum,
                                   "field_w_mm": _control("wrist", "LAT", "field_w_mm").minimum},
                  long_side=SIDE)
    assert wild.values["supination_deg"] == c.maximum
    assert np.array_equal(wild.radiograph.pixels, edge.radiograph.pixels)
    assert ideal_comparison("wrist", "LAT", {"supination_deg": 500.0})[0]["actual"] == c.maximum


def test_the_radiograph_is_what_reading_a_dicom_of_the_case_gives(tmp_path):
    from radiographqc.dicom_io import read_radiograph
    from radiographqc.simulate.output import write_case
    from radiographqc.simulate.scene import Projection
    from radiographqc.simulate.wrist import SimCase

    image = render("wrist", "LAT", {"target_u": 40.0}, seed=2, long_side=SIDE)
    rg, params = image.radiograph, image.truth["params"]
    assert (rg.path, rg.view, rg.laterality, rg.photometric) == (
        "teaching/wrist_lat.dcm", "LAT", image.truth["laterality"], "MONOCHROME2")
    case = SimCase(rg.pixels, Projection(params["sid_mm"], params["pixel_mm"], rg.rows, rg.cols),
                   {}, image.truth)
    write_case(case, tmp_path, "case", 0, 2, np.random.default_rng(0), incomplete_rate=0.0,
               monochrome1_rate=0.0)
    read = read_radiograph(tmp_path / "case.dcm")
    assert rg.spacing.row_mm == pytest.approx(read.spacing.row_mm, rel=1e-12)
    assert rg.spacing.row_mm == pytest.approx(params["pixel_mm"] / image.truth["magnification"])
    for keyword in ("Modality", "ViewPosition", "BodyPartExamined", "ImageLaterality", "KVP",
                    "PatientID", "DistanceSourceToDetector"):
        assert rg.header[keyword] == read.header[keyword], keyword
    assert (rg.view, rg.laterality, rg.body_part) == (read.view, read.laterality, read.body_part)


# ---------------------------------------------------------------- score


def test_the_wrist_score_is_the_core_score_wrist_result_on_the_truth_keypoints():
    from radiographqc.profile import load_profile
    from radiographqc.wrist.pipeline import score_wrist

    image = render("wrist", "AP", {"inplane_deg": 8.0}, seed=1, long_side=SIDE)
    report = score(image)
    json.dumps(report)
    profile = load_profile("wrist")
    core = score_wrist(image.keypoints, image.radiograph, teaching.truth_analysis(image, profile),
                       profile)
    assert (report["total"], report["max"], report["grade"]) == (core.total, core.max_assessable,
                                                                 core.grade)
    assert [(i["id"], i["score"], i["passed"], i["explanation"]) for i in report["items"]] == [
        (i.id, i.score, i.passed, i.explanation) for i in core.items]
    truth = image.truth["keypoints"]
    assert {pid: kp.xy for pid, kp in image.keypoints.points.items()} == {
        pid: None if xy is None else tuple(xy) for pid, xy in truth.items()}
    assert all(kp.confidence is None for kp in image.keypoints.points.values())


def test_the_lumbar_score_is_what_the_command_line_gives_on_the_simulators_files(tmp_path):
    from radiographqc.lumbar import evaluate_lumbar, load_lumbar_profile
    from radiographqc.lumbar.pipeline import LumbarPipeline
    from radiographqc.simulate.output import write_case
    from radiographqc.simulate.scene import Projection
    from radiographqc.simulate.wrist import SimCase

    image = render("lumbar", "AP", {"rotation_deg": 18.0}, seed=1, long_side=SIDE)
    report = score(image)
    json.dumps(report)
    core = evaluate_lumbar(image.masks, image.radiograph.pixels)
    assert report["qualified"] is core.qualified is False
    assert [(i["id"], i["value"], i["passed"]) for i in report["items"]] == [
        (r.id, r.value, r.passed) for r in core.rules]
    # the same case written as the simulator writes it (DICOM + label files), read by the CLI path
    masks = image.masks
    pitch = image.radiograph.spacing.row_mm * image.truth["magnification"]
    case = SimCase(image.radiograph.pixels,
                   Projection(image.truth["params"]["sid_mm"], pitch, *masks.shape), {},
                   image.truth, masks=masks.structures, instances=masks.vertebrae)
    write_case(case, tmp_path, "case", 0, 1, np.random.default_rng(0), incomplete_rate=0.0)
    cli = LumbarPipeline(load_lumbar_profile(), masks=tmp_path).assess(tmp_path / "case.dcm").report
    for mine, theirs in zip(report["items"], cli["rules"]):
        assert (mine["id"], mine["passed"]) == (theirs["id"], theirs["passed"])
        # exposure rules read the stored 12-bit pixels there: equal to rounding
        assert mine["value"] == pytest.approx(theirs["value"], abs=2e-3), mine["id"]


def test_ideal_comparison_puts_each_actual_value_beside_its_textbook_one():
    rows = ideal_comparison("lumbar", "LAT", {"bend_deg": -12.0}, seed=4)
    assert [r["name"] for r in rows] == [c.name for c in controls("lumbar", "LAT")]
    bend = next(r for r in rows if r["name"] == "bend_deg")
    assert (bend["actual"], bend["ideal"], bend["off_by"]) == (-12.0, 0.0, -12.0)
    assert all(r["off_by"] == 0 for r in rows if r["name"] != "bend_deg")
    json.dumps(rows)


# ---------------------------------------------------------------- quiz


@pytest.mark.parametrize("body,view", VIEWS)
def test_a_quizs_faults_are_the_criteria_that_fail_when_its_image_is_scored(body, view):
    for seed in (0, 1):
        quiz = make_quiz(body, view, seed, long_side=SIDE)
        ids = [o["id"] for o in quiz.options]
        assert ids[-1] == NOTHING_WRONG and len(set(ids)) == len(ids)
        failed = {i["id"] for i in score(quiz.image)["items"] if i["passed"] is False} & set(ids)
        assert quiz.faults == (failed or {NOTHING_WRONG})
        assert failed, "the mispositioned preset should break at least one criterion"
        assert ids == [o["id"] for o in teaching.quiz_options(body, view)]


def test_the_quiz_offers_every_criterion_of_the_view_in_plain_words():
    ap = [o["id"] for o in teaching.quiz_options("wrist", "AP")]
    assert ap == ["AP1", "AP2", "AP3", "AP4", "AP5", NOTHING_WRONG]
    assert [o["id"] for o in teaching.quiz_options("wrist", "LAT")][:3] == ["LAT1", "LAT2", "LAT3"]
    oblique = {o["id"]: o["label"] for o in teaching.quiz_options("lumbar", "OBL")}
    assert {"vertebra_count", "scottie_dog", "pelvis_present", "pedicles_centred"} <= set(oblique)
    assert all(label and not label.endswith("?") for label in oblique.values())


def test_score_quiz_marks_an_exact_a_partial_and_a_wrong_answer():
    quiz = make_quiz("wrist", "AP", 1, long_side=SIDE)      # thumb MCP cut off: AP1 and AP2
    assert quiz.faults == {"AP1", "AP2"} and quiz.intent == "AP1"
    exact = score_quiz(quiz, {"AP1", "AP2"})
    assert exact["correct"] and (exact["points"], exact["max"]) == (2, 2)
    assert exact["hits"] == ["AP1", "AP2"] and not exact["missed"] and not exact["false_alarms"]
    partial = score_quiz(quiz, {"AP1", "AP3"})
    assert not partial["correct"] and partial["points"] == 0
    assert (partial["hits"], partial["missed"], partial["false_alarms"]) == (["AP1"], ["AP2"], ["AP3"])
    half = score_quiz(quiz, {"AP2"})
    assert half["points"] == 1 and half["missed"] == ["AP1"]
    wrong = score_quiz(quiz, {NOTHING_WRONG})
    assert not wrong["correct"] and wrong["points"] == 0 and wrong["false_alarms"] == [NOTHING_WRONG]
    assert "NOT met" in exact["explanations"]["AP1"] and "target" in exact["explanations"]["AP2"]
    assert "met (10 of 10 points)" in exact["explanations"]["AP3"]
    json.dumps(exact)
    with pytest.raises(ValueError, match="AP9"):
        score_quiz(quiz, {"AP9"})


def test_nothing_wrong_is_the_right_answer_when_the_truth_shows_no_fault(monkeypatch):
    # a preset draw that happens to break nothing: the truth decides, not the intent
    monkeypatch.setattr(teaching, "_quiz_values", lambda body, view, rng: ({}, "AP3"))
    quiz = make_quiz("wrist", "AP", 0, long_side=SIDE)
    assert quiz.faults == {NOTHING_WRONG}
    assert score_quiz(quiz, {NOTHING_WRONG})["correct"]
    marked = score_quiz(quiz, {"AP3"})
    assert not marked["correct"] and marked["false_alarms"] == ["AP3"]
    assert marked["explanations"][NOTHING_WRONG] == "every criterion is met"

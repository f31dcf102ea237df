import json
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiographqc.errors import InputError
from radiographqc.image import Spacing
from radiographqc.profile import load_profile
from radiographqc.wrist.keypoints import Keypoint, Keypoints
from radiographqc.wrist.layout import band_score, rating_for
from radiographqc.wrist.marker import MarkerResult
from radiographqc.wrist.scoring import ArtefactResult, evaluate_wrist, grade_for

PROFILE = load_profile("wrist")
TASKS = {**PROFILE["layout"]["AP"], **PROFILE["layout"]["LAT"]}
CM = Spacing(0.1, 0.1, "PixelSpacing")  # 100 px = 1 cm
HEADER = {"PatientID": "1", "PatientName": "A^B", "PatientSex": "F", "PatientBirthDate": "20000101",
          "PatientAge": "024Y", "StudyDate": "20240101", "StudyTime": "0900", "InstitutionName": "H",
          "Manufacturer": "M", "ManufacturerModelName": "X", "SoftwareVersions": "1", "KVP": "50",
          "DistanceSourceToDetector": "1000", "ExposureTime": "5", "WindowWidth": "100", "WindowCenter": "50"}
MARKER = MarkerResult(True, "L", 0.97, (10, 10, 40, 60), (25.0, 35.0), 3)
CLEAN = ArtefactResult(0.1, "test-classifier")


def ap(p1, p2, p3):
    return Keypoints("AP", {"P1": Keypoint(p1), "P2": Keypoint(p2), "P3": Keypoint(p3)})


def lat(p1, p2, p3, p4, p5):
    return Keypoints("LAT", {f"P{i + 1}": Keypoint(p) for i, p in enumerate((p1, p2, p3, p4, p5))})


# 10 x 10 cm image; styloid midpoint at the centre (D = 5 cm), each styloid 3.5 cm from its side edge
GOOD_AP = ap((700, 100), (349.5, 499.5), (649.5, 499.5))
# scaphoid centred, radius/ulna arms about 19 deg apart, forearm axis straight down
GOOD_LAT = lat((499.5, 499.5), (490, 560), (499.5, 990), (510, 560), (499.5, 990))


def evaluate(kps, rows=1000, cols=1000, spacing=CM, header=HEADER, marker=MARKER, artefact=CLEAN,
             profile=PROFILE, is_dicom=True):
    return evaluate_wrist(kps, rows, cols, spacing, header, marker, artefact, profile, is_dicom=is_dicom)


def items(result):
    return {item.id: item for item in result.items}


# ---------------------------------------------------------------- every band edge, by hand

BAND_CASES = [
    # AP2: D in cm; 3 <= D <= 5: 5; 2 < D < 3: [4(D-2)]+1; 5 < D < 6: [4(6-D)]+1; else 0
    ("AP2", 3.0, 5), ("AP2", 5.0, 5), ("AP2", 4.0, 5),
    ("AP2", 2.999, 4),   # [4 * 0.999] + 1 = [3.996] + 1
    ("AP2", 2.75, 4),    # [4 * 0.75] + 1 = 3 + 1
    ("AP2", 2.5, 3),     # [2] + 1
    ("AP2", 2.001, 1),   # [0.004] + 1
    ("AP2", 2.0, 0), ("AP2", 1.0, 0),
    ("AP2", 5.001, 4),   # [4 * 0.999] + 1
    ("AP2", 5.25, 4),    # [4 * 0.75] + 1
    ("AP2", 5.999, 1),   # [0.004] + 1
    ("AP2", 6.0, 0), ("AP2", 7.0, 0),
    # AP3: x = |alpha - 90|; x <= 5: 10; 5 < x < 10: [9(10-x)/5]+1
    ("AP3", 0.0, 10), ("AP3", 5.0, 10),
    ("AP3", 5.0001, 9),  # [9 * 4.9999 / 5] + 1 = [8.99982] + 1
    ("AP3", 7.5, 5),     # [9 * 2.5 / 5] + 1 = [4.5] + 1
    ("AP3", 9.999, 1),   # [0.0018] + 1
    ("AP3", 10.0, 0), ("AP3", 30.0, 0),
    # AP4 (per offset): D <= 1: 5; 1 < D < 2: [4(2-D)]+1
    ("AP4", 0.0, 5), ("AP4", 1.0, 5),
    ("AP4", 1.0001, 4),  # [4 * 0.9999] + 1 = [3.9996] + 1
    ("AP4", 1.75, 2),    # [4 * 0.25] + 1 = 1 + 1
    ("AP4", 1.999, 1),   # [0.004] + 1
    ("AP4", 2.0, 0),
    # AP5 (per styloid): 3 <= D <= 5: 3; 2 < D < 3: [2(D-2)]+1; 5 < D < 6: [2(6-D)]+1
    ("AP5", 3.0, 3), ("AP5", 5.0, 3),
    ("AP5", 2.999, 2),   # [2 * 0.999] + 1 = [1.998] + 1
    ("AP5", 2.5, 2),     # [1] + 1
    ("AP5", 2.001, 1),   # [0.002] + 1
    ("AP5", 2.0, 0),
    ("AP5", 5.001, 2),   # [2 * 0.999] + 1
    ("AP5", 5.999, 1),   # [0.002] + 1
    ("AP5", 6.0, 0),
    # LAT1: alpha <= 45: 12; 45 < alpha < 60: [11(60-alpha)/15]+1
    ("LAT1", 0.0, 12), ("LAT1", 45.0, 12),
    ("LAT1", 45.001, 11),  # [11 * 14.999 / 15] + 1 = [10.9993] + 1
    ("LAT1", 52.5, 6),     # [11 * 7.5 / 15] + 1 = [5.5] + 1
    ("LAT1", 59.999, 1),   # [0.00073] + 1
    ("LAT1", 60.0, 0),
    # LAT2: beta <= 5: 12; 5 < beta < 10: [11(10-beta)/5]+1
    ("LAT2", 5.0, 12),
    ("LAT2", 5.0001, 11),  # [11 * 4.9999 / 5] + 1 = [10.99978] + 1
    ("LAT2", 7.5, 6),      # [5.5] + 1
    ("LAT2", 9.999, 1),    # [0.0022] + 1
    ("LAT2", 10.0, 0),
    # LAT3 (per offset): D <= 1: 6; 1 < D < 2: [5(2-D)]+1
    ("LAT3", 1.0, 6),
    ("LAT3", 1.0001, 5),   # [5 * 0.9999] + 1 = [4.9995] + 1
    ("LAT3", 1.2, 5),      # [5 * 0.8] + 1 = 4 + 1
    ("LAT3", 1.8, 2),      # [5 * 0.2] + 1 = 1 + 1 (0.2 is inexact in binary: must still give 2)
    ("LAT3", 1.999, 1),    # [0.005] + 1
    ("LAT3", 2.0, 0),
]


@pytest.mark.parametrize("task, x, expected", BAND_CASES)
def test_every_band_edge_scores_as_computed_by_hand(task, x, expected):
    assert band_score(TASKS[task]["bands"], x)[0] == expected


RATINGS = {
    "AP1": {0: "fail", 5: "pass"},
    "AP2": {0: "fail", 1: "poor", 2: "poor", 3: "good", 4: "good", 5: "excellent"},
    "AP3": {0: "fail", 1: "poor", 3: "poor", 4: "good", 7: "good", 8: "excellent", 10: "excellent"},
    "AP4": {0: "fail", 1: "poor", 5: "poor", 6: "excellent", 10: "excellent"},
    "AP5": {0: "fail", 1: "poor", 2: "poor", 3: "good", 4: "good", 5: "excellent", 6: "excellent"},
    **{t: {0: "fail", 1: "poor", 4: "poor", 5: "good", 8: "good", 9: "excellent", 12: "excellent"}
       for t in ("LAT1", "LAT2", "LAT3")},
}


@pytest.mark.parametrize("task, score, rating", [(t, s, r) for t, table in RATINGS.items() for s, r in table.items()])
def test_per_task_rating_table_follows_the_spec(task, score, rating):
    assert rating_for(score, TASKS[task]["rating"]) == rating


@pytest.mark.parametrize("total, grade", [(0, "D"), (59, "D"), (60, "C"), (79, "C"), (80, "B"), (89, "B"),
                                          (90, "A"), (100, "A")])
def test_grade_boundaries(total, grade):
    assert grade_for(total, 100, PROFILE)[0] == grade


def test_grade_on_percent_of_assessable_points_and_on_raw_total():
    # 81 of 90 assessable points = 90 %: A on the percent basis, B on the raw total
    assert grade_for(81, 90, PROFILE) == ("A", 90.0)
    assert grade_for(81, 90, dict(PROFILE, grade_basis="total"))[0] == "B"
    assert grade_for(54, 90, PROFILE)[0] == "C"   # 60 %
    assert grade_for(53, 90, PROFILE)[0] == "D"   # 58.9 %


# ---------------------------------------------------------------- whole images

def test_a_well_positioned_ap_image_with_everything_scores_100_and_grade_a():
    result = evaluate(GOOD_AP)
    assert (result.total, result.max_total, result.max_assessable, result.grade) == (100, 100, 100, "A")
    assert all(item.passed and item.advice is None for item in result.items)
    assert [i.id for i in result.items][-7:] == ["MARKER", "ARTEFACT", "AP1", "AP2", "AP3", "AP4", "AP5"]


def test_a_well_positioned_lateral_image_scores_100():
    result = evaluate(GOOD_LAT)
    assert (result.total, result.grade) == (100, "A")
    assert [i.id for i in result.items][-3:] == ["LAT1", "LAT2", "LAT3"]


def test_report_dict_has_the_documented_structure_and_is_json():
    d = evaluate(GOOD_AP).to_dict()
    assert {"module", "view", "total", "max_total", "max_assessable", "grade", "grade_basis", "profile",
            "items"} <= set(d)
    assert d["module"] == "wrist" and d["profile"] == {"name": "wrist-default", "version": "1.0"}
    assert set(d["items"][0]) == {"id", "label", "value", "unit", "score", "max", "rating", "passed",
                                  "assessable", "band", "explanation", "advice", "geometry"}
    json.dumps(d)


def test_sum_tasks_report_both_sub_values():
    it = items(evaluate(GOOD_AP))
    assert it["AP4"].value == {"vertical": 0.0, "horizontal": 0.0}
    assert it["AP5"].value == {"P2": 3.5, "P3": 3.5} and it["AP5"].unit == "cm"


@pytest.mark.parametrize("y, score", [
    (699.5, 5),   # D = (999.5 - 699.5) / 100 = 3.0 cm
    (699.6, 4),   # D = 2.999 cm
    (749.5, 3),   # D = 2.5 cm: [4 * 0.5] + 1
    (799.5, 0),   # D = 2.0 cm
    (499.5, 5),   # D = 5.0 cm
    (499.4, 4),   # D = 5.001 cm
])
def test_ap2_from_keypoints_hits_the_band_edges_exactly(y, score):
    result = evaluate(ap((700, 100), (349.5, y), (649.5, y)))
    assert items(result)["AP2"].score == score


@pytest.mark.parametrize("tilt_deg, score", [(0.0, 10), (5.0, 10), (5.0001, 9), (7.0, 6), (10.0, 0)])
def test_ap3_from_a_tilted_styloid_line(tilt_deg, score):
    # [9 * (10 - 7) / 5] + 1 = [5.4] + 1 = 6
    rise = 200 * math.tan(math.radians(tilt_deg))
    result = evaluate(ap((700, 100), (400, 500), (600, 500 - rise)))
    item = items(result)["AP3"]
    assert item.score == score and item.value == pytest.approx(90 - tilt_deg)


def test_ap3_advice_says_how_far_and_which_way_to_rotate():
    rise = 200 * math.tan(math.radians(7.0))
    item = items(evaluate(ap((700, 100), (400, 500), (600, 500 - rise))))["AP3"]
    assert "about 7°" in item.advice and "clockwise" in item.advice and "anticlockwise" not in item.advice
    assert item.band == "5 < |α−90| < 10 → [9(10−|α−90|)/5]+1 = 6"


def test_ap2_advice_gives_the_distance_and_the_direction():
    item = items(evaluate(ap((700, 100), (349.5, 789.5), (649.5, 789.5))))["AP2"]  # D = 2.1 cm
    assert item.score == 1 and item.rating == "poor"
    assert "only 2.1 cm from the lower edge (target 3–5 cm)" in item.advice and "0.9 cm down" in item.advice


def test_ap4_advice_moves_the_field_by_half_the_offset():
    # midpoint y = 639.5: top 6.4 cm, bottom 3.6 cm -> delta 2.8 cm -> move the field 1.4 cm down
    item = items(evaluate(ap((700, 100), (349.5, 639.5), (649.5, 639.5))))["AP4"]
    assert item.value["vertical"] == pytest.approx(2.8) and item.score == 5
    assert "about 1.4 cm down" in item.advice


def test_ap5_scores_each_styloid_against_its_nearest_side_edge():
    # 14 cm wide; P2 2.5 cm from the left edge: [2 * 0.5] + 1 = 2; P3 5.5 cm from the right edge: [2 * 0.5] + 1 = 2
    result = evaluate(ap((700, 100), (249.5, 499.5), (849.5, 499.5)), cols=1400)
    item = items(result)["AP5"]
    assert item.value == {"P2": 2.5, "P3": 5.5} and item.score == 4 and item.rating == "good"


def test_a_tiny_shortfall_is_advised_with_enough_digits_not_as_zero():
    # P3 at x = 503.5 of 800 columns: 2.96 cm from the right edge -> [2 * 0.96] + 1 = 2
    item = items(evaluate(ap((700, 100), (300, 499.5), (503.5, 499.5)), cols=800))["AP5"]
    assert item.value["P3"] == 2.96 and item.score == 5
    assert "about 0.04 cm more room between the ulnar styloid and the right edge" in item.advice


def test_lat2_advice_turns_the_forearm_towards_the_vertical():
    # axis leans with its lower end to the right by 11.4 deg: turn clockwise (lower end moves left)
    kps = lat((900, 1000), (950, 1100), (1000, 1990), (1100, 1080), (1200, 1990))
    item = items(evaluate(kps, rows=2000, cols=1800))["LAT2"]
    assert item.score == 0 and "about 11° clockwise" in item.advice and "vertical" in item.advice


@pytest.mark.parametrize("half_width_px, score", [(60.5 * math.tan(math.radians(22.5)), 12),
                                                  (60.5 * math.tan(math.radians(26.25)), 6)])
def test_lat1_angle_at_the_scaphoid(half_width_px, score):
    # symmetric arms: alpha = 45 -> 12; alpha = 52.5 -> [11 * 7.5 / 15] + 1 = 6
    kps = lat((499.5, 499.5), (499.5 - half_width_px, 560), (499.5, 990), (499.5 + half_width_px, 560), (499.5, 990))
    assert items(evaluate(kps))["LAT1"].score == score


def test_lat2_uses_the_midpoint_of_the_proximal_radius_and_ulna():
    # axis from (499.5, 499.5) to the midpoint (549.5, 990) of P3 and P5
    kps = lat((499.5, 499.5), (490, 560), (449.5, 990), (510, 560), (649.5, 990))
    item = items(evaluate(kps))["LAT2"]
    beta = math.degrees(math.atan2(50, 490.5))  # 5.82 deg -> [11 * 4.18 / 5] + 1 = [9.19] + 1 = 10
    assert item.value == pytest.approx(beta, abs=1e-6) and item.score == 10


def test_lat3_scores_both_centring_offsets_of_the_scaphoid():
    # x = 349.5: left 3.5, right 6.5 -> 3.0 cm -> 0; y = 449.5: top 4.5, bottom 5.5 -> 1.0 cm -> 6
    kps = lat((349.5, 449.5), (340, 510), (349.5, 990), (360, 510), (349.5, 990))
    item = items(evaluate(kps))["LAT3"]
    assert item.value == {"vertical": 1.0, "horizontal": 3.0} and item.score == 6


def test_missing_thumb_point_fails_ap1_only():
    it = items(evaluate(ap(None, (349.5, 499.5), (649.5, 499.5))))
    assert (it["AP1"].score, it["AP1"].value, it["AP1"].rating, it["AP1"].passed) == (0, "absent", "fail", False)
    assert "thumb MCP joint" in it["AP1"].advice
    assert sum(it[t].score for t in ("AP2", "AP3", "AP4", "AP5")) == 31


def test_a_missing_styloid_scores_zero_in_every_task_that_needs_it():
    it = items(evaluate(ap((700, 100), None, (649.5, 499.5))))
    for task in ("AP2", "AP3", "AP4", "AP5"):
        assert it[task].score == 0 and it[task].assessable and "P2 (radial styloid) missing" in it[task].explanation
    assert it["AP1"].score == 5


def test_a_missing_proximal_ulna_point_fails_lat2_only():
    kps = lat((499.5, 499.5), (490, 560), (499.5, 990), (510, 560), None)
    it = items(evaluate(kps))
    assert it["LAT2"].score == 0 and "P5" in it["LAT2"].explanation
    assert it["LAT1"].score == 12 and it["LAT3"].score == 12


def test_coincident_styloids_cannot_give_an_angle():
    it = items(evaluate(ap((700, 100), (499.5, 499.5), (499.5, 499.5))))
    assert it["AP3"].score == 0 and "cannot be measured" in it["AP3"].explanation


def test_without_spacing_distance_tasks_are_not_assessable_but_angles_are_scored():
    result = evaluate(GOOD_AP, spacing=None)
    it = items(result)
    for task in ("AP2", "AP4", "AP5"):
        assert not it[task].assessable and it[task].passed is None and "no pixel spacing" in it[task].explanation
    assert it["AP1"].score == 5 and it["AP3"].score == 10 and "pixel space" in it["AP3"].explanation
    assert it["HDR_SCALE"].score == 0 and it["HDR_SCALE"].assessable
    # 100 - (5 + 10 + 6) not assessable = 79; 79 - 2 (scale item) = 77 points -> 97.5 %
    assert (result.total, result.max_assessable, result.grade) == (77, 79, "A")


def test_lateral_without_spacing_scores_the_angles_and_drops_lat3():
    result = evaluate(GOOD_LAT, spacing=None)
    it = items(result)
    assert it["LAT1"].score == 12 and it["LAT2"].score == 12 and not it["LAT3"].assessable
    assert result.max_assessable == 88


def test_anisotropic_spacing_measures_angles_in_mm():
    # dx = 200 px * 0.1 mm = 20 mm, dy = 100 px * 0.2 mm = 20 mm: 45 deg, so |alpha - 90| = 45 -> 0 points
    result = evaluate(ap((700, 100), (400, 450), (600, 550)), spacing=Spacing(0.2, 0.1, "PixelSpacing"))
    assert items(result)["AP3"].value == pytest.approx(45.0) and items(result)["AP3"].score == 0
    # in pixels the same line is 63.4 deg from the vertical
    assert items(evaluate(ap((700, 100), (400, 450), (600, 550)), spacing=None))["AP3"].value == pytest.approx(
        math.degrees(math.atan(2)), abs=1e-6)


def test_anisotropic_spacing_measures_vertical_distances_with_the_row_spacing():
    # rows of 0.2 mm: D = (999.5 - 849.5) * 0.02 cm = 3.0 cm
    result = evaluate(ap((700, 100), (349.5, 849.5), (649.5, 849.5)), spacing=Spacing(0.2, 0.1, "PixelSpacing"))
    assert items(result)["AP2"].value == pytest.approx(3.0) and items(result)["AP2"].score == 5


def test_unassessed_marker_and_artefact_are_left_out_of_the_maximum():
    result = evaluate(GOOD_AP, marker=None, artefact=None)
    it = items(result)
    assert not it["MARKER"].assessable and not it["ARTEFACT"].assessable
    assert "no artefact classifier" in it["ARTEFACT"].explanation
    assert (result.total, result.max_assessable, result.max_total, result.grade) == (70, 70, 100, "A")


def test_marker_and_artefact_score_all_or_nothing():
    absent = MarkerResult(False, None, 0.4, None, None, 2)
    result = evaluate(GOOD_AP, marker=absent, artefact=ArtefactResult(0.9, "m"))
    it = items(result)
    assert (it["MARKER"].score, it["MARKER"].passed) == (0, False)
    assert (it["ARTEFACT"].score, it["ARTEFACT"].rating) == (0, "fail")
    assert result.total == 70 and result.grade == "C"
    assert items(evaluate(GOOD_AP))["MARKER"].value == "L"


def test_png_teaching_input_excludes_the_header_points():
    result = evaluate(GOOD_AP, header={}, is_dicom=False)
    assert (result.total, result.max_assessable) == (66, 66)


def test_recomputing_from_the_same_keypoints_gives_identical_reports():
    assert evaluate(GOOD_LAT).to_dict() == evaluate(GOOD_LAT).to_dict()


# ---------------------------------------------------------------- properties

half = st.integers(0, 1998).map(lambda v: v / 2)
ap_points = st.tuples(st.tuples(half, half), st.tuples(half, half), st.tuples(half, half))
lat_points = st.tuples(*[st.tuples(half, half)] * 5)
spacings = st.sampled_from([CM, Spacing(0.15, 0.15, "t"), Spacing(0.2, 0.1, "t")])


def _shift(kps, dx, dy):
    return Keypoints(kps.view, {pid: Keypoint(None if kp.xy is None else (kp.xy[0] + dx, kp.xy[1] + dy))
                                for pid, kp in kps.points.items()})


def _same(a, b, ids):
    return all((a[i].score, a[i].value) == (b[i].score, b[i].value) for i in ids)


@settings(max_examples=40, deadline=None)
@given(lat_points, spacings, st.integers(0, 300), st.integers(0, 300))
def test_angle_tasks_are_unchanged_by_any_translation(pts, spacing, dx, dy):
    kps = lat(*pts)
    moved = evaluate(_shift(kps, dx, dy), rows=1300, cols=1300, spacing=spacing)
    assert _same(items(evaluate(kps, spacing=spacing)), items(moved), ("LAT1", "LAT2"))
    a = ap(*pts[:3])
    assert _same(items(evaluate(a, spacing=spacing)),
                 items(evaluate(_shift(a, dx, dy), rows=1300, cols=1300, spacing=spacing)), ("AP3",))


@settings(max_examples=40, deadline=None)
@given(ap_points, lat_points, spacings, st.integers(0, 200), st.integers(0, 200))
def test_centring_tasks_are_unchanged_by_equal_padding_on_opposite_sides(ap_pts, lat_pts, spacing, px, py):
    rows, cols = 1000 + 2 * py, 1000 + 2 * px
    a, l_ = ap(*ap_pts), lat(*lat_pts)
    assert _same(items(evaluate(a, spacing=spacing)),
                 items(evaluate(_shift(a, px, py), rows=rows, cols=cols, spacing=spacing)), ("AP3", "AP4"))
    assert _same(items(evaluate(l_, spacing=spacing)),
                 items(evaluate(_shift(l_, px, py), rows=rows, cols=cols, spacing=spacing)), ("LAT3",))


@settings(max_examples=40, deadline=None)
@given(ap_points, spacings, st.integers(0, 200))
def test_padding_the_top_leaves_the_lower_edge_distance_unchanged(pts, spacing, pad):
    a = ap(*pts)
    padded = evaluate(_shift(a, 0, pad), rows=1000 + pad, spacing=spacing)
    assert _same(items(evaluate(a, spacing=spacing)), items(padded), ("AP2",))


@settings(max_examples=40, deadline=None)
@given(ap_points, spacings)
def test_mirroring_the_image_left_right_leaves_every_ap_score_unchanged(pts, spacing):
    cols = 1000
    mirrored = ap(*[(cols - 1 - x, y) for x, y in pts])
    assert _same(items(evaluate(ap(*pts), spacing=spacing)), items(evaluate(mirrored, spacing=spacing)),
                 ("AP1", "AP2", "AP3", "AP4", "AP5"))


@settings(max_examples=30, deadline=None)
@given(ap_points, spacings)
def test_swapping_the_styloids_does_not_change_the_line_angle_or_the_midpoint_tasks(pts, spacing):
    p1, p2, p3 = pts
    swapped = items(evaluate(ap(p1, p3, p2), spacing=spacing))
    assert _same(items(evaluate(ap(p1, p2, p3), spacing=spacing)), swapped, ("AP2", "AP3", "AP4"))


@settings(max_examples=30, deadline=None)
@given(ap_points, lat_points)
def test_scores_stay_within_their_maximum_and_total_adds_up(ap_pts, lat_pts):
    for result in (evaluate(ap(*ap_pts)), evaluate(lat(*lat_pts))):
        assert all(0 <= i.score <= i.max for i in result.items)
        assert result.total == sum(i.score for i in result.items) and result.max_total == 100


# ---------------------------------------------------------------- profiles

def test_default_profile_totals_100_points_per_view():
    base = sum(i["points"] for i in PROFILE["header"]["items"].values()) + 20 + 10
    assert sum(i["points"] for i in PROFILE["header"]["items"].values()) == 34
    assert PROFILE["marker"]["points"] == 20 and PROFILE["artefact"]["points"] == 10
    for view in ("AP", "LAT"):
        assert base + sum(t["max"] for t in PROFILE["layout"][view].values()) == 100


def _department(tmp_path, data, name="dept.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_department_profile_overriding_one_band_changes_the_score(tmp_path):
    bands = json.loads(json.dumps(PROFILE["layout"]["AP"]["AP2"]["bands"]))
    bands[0]["lo"] = 2.5  # full points from 2.5 cm instead of 3 cm
    path = _department(tmp_path, {"layout": {"AP": {"AP2": {"bands": bands}}}})
    dept = load_profile("wrist", path)
    kps = ap((700, 100), (349.5, 749.5), (649.5, 749.5))  # D = 2.5 cm
    assert items(evaluate(kps))["AP2"].score == 3
    assert items(evaluate(kps, profile=dept))["AP2"].score == 5
    assert dept["name"] == "dept" and dept["version"] == PROFILE["version"]
    assert dept["layout"]["AP"]["AP3"] == PROFILE["layout"]["AP"]["AP3"]  # the rest comes from the default


def test_a_department_grade_threshold_changes_the_grade(tmp_path):
    dept = load_profile("wrist", _department(tmp_path, {"name": "strict", "grade_thresholds": {"A": 101}}))
    result = evaluate(GOOD_AP, profile=dept)
    assert result.grade == "B" and result.to_dict()["profile"]["name"] == "strict"


def test_a_department_artefact_threshold_changes_the_artefact_item(tmp_path):
    dept = load_profile("wrist", _department(tmp_path, {"artefact": {"probability_threshold": 0.8}}))
    doubtful = ArtefactResult(0.7, "m")
    assert items(evaluate(GOOD_AP, artefact=doubtful))["ARTEFACT"].score == 0
    assert items(evaluate(GOOD_AP, artefact=doubtful, profile=dept))["ARTEFACT"].score == 10


@pytest.mark.parametrize("data, key", [
    ({"layout": {"AP": {"AP6": {}}}}, "layout.AP.AP6"),
    ({"grade_thresholds": {"A": "ninety"}}, "grade_thresholds.A"),
    ({"marker": {"points": True}}, "marker.points"),
    ({"grade_basis": "median"}, "grade_basis"),
    ({"layout": {"AP": {"AP2": {"bands": [{"lo": 3, "lo_incl": True, "hi_incl": True, "score": 5}]}}}},
     "layout.AP.AP2.bands[0]"),
    ({"layout": {"AP": {"AP2": {"bands": [{"lo": 3, "lo_incl": True, "hi": 5, "hi_incl": True, "score": 7}]}}}},
     "layout.AP.AP2.bands[0].score"),
    ({"layout": {"AP": {"AP2": {"measure": "volume"}}}}, "layout.AP.AP2.measure"),
    ({"layout": {"AP": {"AP3": {"points": ["P2", "P9"]}}}}, "layout.AP.AP3.points"),
    ({"layout": {"AP": {"AP2": {"rating": {"fail": [0, 0], "good": [1, 5]}, "max": 6}}}}, "layout.AP.AP2"),
])
def test_a_bad_department_profile_names_the_file_and_the_key(tmp_path, data, key):
    path = _department(tmp_path, data)
    with pytest.raises(InputError) as err:
        load_profile("wrist", path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_the_source_misprint_of_lat2_is_rejected_as_exceeding_12_points(tmp_path):
    # [11(60 - beta)/5] + 1 would give up to 122 points for 5 < beta < 10
    bands = json.loads(json.dumps(PROFILE["layout"]["LAT"]["LAT2"]["bands"]))
    bands[1]["score"]["b"] = 60
    with pytest.raises(InputError, match="outside 0..12"):
        load_profile("wrist", _department(tmp_path, {"layout": {"LAT": {"LAT2": {"bands": bands}}}}))


def test_invalid_json_profile_is_an_input_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        load_profile("wrist", path)


def test_yaml_profile_without_pyyaml_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` fail
    path = tmp_path / "dept.yaml"
    path.write_text("grade_basis: total\n", encoding="utf-8")
    with pytest.raises(InputError, match="PyYAML"):
        load_profile("wrist", path)


def test_yaml_profile_is_read_when_pyyaml_is_installed(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "dept.yaml"
    path.write_text("grade_basis: total\n", encoding="utf-8")
    assert load_profile("wrist", path)["grade_basis"] == "total"


def test_unknown_module_has_no_default_profile():
    with pytest.raises(InputError, match="no default profile"):
        load_profile("elbow")

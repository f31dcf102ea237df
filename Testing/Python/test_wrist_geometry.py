"""The geometry each wrist layout item measured (ItemResult.geometry): what the report picture and
the Slicer markups draw, so it must be exactly what the rules scored."""
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiographqc.image import Spacing
from test_wrist_scoring import CM, GOOD_AP, GOOD_LAT, PROFILE, ap, evaluate, items, lat

ROWS = COLS = 1000
TOLERANCE = 10 ** -PROFILE["measurement_decimals"]     # the values are rounded to these decimals


def mm(a, b, spacing):
    return ((b[0] - a[0]) * spacing.col_mm, (b[1] - a[1]) * spacing.row_mm)


def length_cm(shape, spacing):
    a, b = shape["points"]
    return math.hypot(*mm(a, b, spacing)) / 10


def arms_angle_deg(shape, spacing):
    """The angle at the vertex between the two arms of an angle shape, in millimetres."""
    a, vertex, b = shape["points"]
    u, w = mm(vertex, a, spacing), mm(vertex, b, spacing)
    return math.degrees(math.atan2(abs(u[0] * w[1] - u[1] * w[0]), u[0] * w[0] + u[1] * w[1]))


def kinds(item):
    return [shape["kind"] for shape in item.geometry]


def test_each_ap_task_draws_what_it_measured_and_presence_and_centring_draw_nothing():
    it = items(evaluate(GOOD_AP))
    assert {tid: kinds(it[tid]) for tid in ("AP1", "AP2", "AP3", "AP4", "AP5")} == {
        "AP1": [], "AP2": ["line"], "AP3": ["angle_to_vertical"], "AP4": [], "AP5": ["line", "line"]}
    (lower,) = it["AP2"].geometry
    assert lower["points"] == [[499.5, 499.5], [499.5, ROWS - 0.5]]       # styloid midpoint -> lower edge
    assert [shape["points"] for shape in it["AP5"].geometry] == [
        [[349.5, 499.5], [-0.5, 499.5]], [[649.5, 499.5], [COLS - 0.5, 499.5]]]   # each to its nearer edge
    (angle,) = it["AP3"].geometry
    assert angle["points"] == [[649.5, 499.5], [349.5, 499.5], [349.5, 799.5]]   # P3, vertex P2, vertical foot
    assert angle["label"] == "P2-P3 90.0° to vertical"
    assert all(not item.geometry for item in evaluate(GOOD_AP).items if item.id not in PROFILE["layout"]["AP"])


def test_each_lateral_task_draws_its_angle_and_the_axis_to_the_midpoint_of_the_proximal_points():
    it = items(evaluate(GOOD_LAT))
    (vertex_angle,) = it["LAT1"].geometry
    assert vertex_angle["kind"] == "angle" and vertex_angle["points"] == [[490, 560], [499.5, 499.5], [510, 560]]
    (axis,) = it["LAT2"].geometry
    assert axis["points"][:2] == [[499.5, 990.0], [499.5, 499.5]]         # mid(P3, P5), vertex P1
    assert axis["label"].startswith("P1-mid(P3,P5) ")
    assert it["LAT3"].geometry == []


@settings(max_examples=60, deadline=None)
@given(st.tuples(*[st.tuples(st.floats(0, 999), st.floats(0, 999))] * 5),
       st.sampled_from([CM, Spacing(0.15, 0.15, "t"), Spacing(0.2, 0.1, "t")]))
def test_drawn_lines_and_angles_measure_in_millimetres_exactly_what_the_items_report(pts, spacing):
    it = {**items(evaluate(ap(*pts[:3]), spacing=spacing)), **items(evaluate(lat(*pts), spacing=spacing))}
    (lower,) = it["AP2"].geometry
    assert length_cm(lower, spacing) == pytest.approx(it["AP2"].value, abs=TOLERANCE)
    assert [length_cm(line, spacing) for line in it["AP5"].geometry] == pytest.approx(
        list(it["AP5"].value.values()), abs=TOLERANCE)
    for tid in ("AP3", "LAT1", "LAT2"):
        if it[tid].value is None:          # coincident points: no angle, nothing drawn
            assert it[tid].geometry == []
            continue
        (shape,) = it[tid].geometry
        assert arms_angle_deg(shape, spacing) == pytest.approx(it[tid].value, abs=1e-6)
        if shape["kind"] == "angle_to_vertical":
            vertex, foot = shape["points"][1:]
            assert foot[0] == vertex[0] and foot[1] != vertex[1]       # the second arm is the image vertical


def test_an_absent_point_leaves_every_item_that_needs_it_without_geometry():
    it = items(evaluate(ap((700, 100), None, (649.5, 499.5))))
    assert [it[tid].geometry for tid in ("AP2", "AP3", "AP4", "AP5")] == [[], [], [], []]
    it = items(evaluate(lat((499.5, 499.5), (490, 560), (499.5, 990), (510, 560), None)))
    assert it["LAT2"].geometry == [] and kinds(it["LAT1"]) == ["angle"]


def test_coincident_styloids_draw_no_angle():
    it = items(evaluate(ap((700, 100), (500, 500), (500, 500))))
    assert it["AP3"].value is None and it["AP3"].geometry == [] and kinds(it["AP2"]) == ["line"]


def test_without_spacing_the_centimetre_tasks_draw_nothing_but_the_angle_is_drawn():
    it = items(evaluate(GOOD_AP, spacing=None))
    assert [kinds(it[tid]) for tid in ("AP2", "AP3", "AP5")] == [[], ["angle_to_vertical"], []]


def test_the_geometry_is_in_the_report_dict_and_survives_json():
    report = evaluate(GOOD_AP).to_dict()
    by_id = {item["id"]: item for item in report["items"]}
    assert by_id["AP5"]["geometry"] == items(evaluate(GOOD_AP))["AP5"].geometry != []
    assert json.loads(json.dumps(report)) == report

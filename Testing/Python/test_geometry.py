import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radiographqc import geometry
from radiographqc.image import Spacing

ISO = Spacing(0.1, 0.1, "test")
ANISO = Spacing(0.2, 0.1, "test")  # rows 0.2 mm, columns 0.1 mm

coord = st.integers(-2000, 2000).map(lambda v: v / 2)  # half-pixel grid: differences are exact
point = st.tuples(coord, coord)


def test_edges_lie_half_a_pixel_outside_the_outer_pixel_centres():
    d = geometry.edge_distances_cm((0.0, 0.0), rows=10, cols=20, spacing=Spacing(1.0, 1.0, "test"))
    assert d == pytest.approx({"top": 0.05, "bottom": 0.95, "left": 0.05, "right": 1.95})


def test_image_size_uses_column_spacing_for_width_and_row_spacing_for_height():
    assert geometry.image_size_cm(rows=1000, cols=800, spacing=ANISO) == pytest.approx((8.0, 20.0))


@given(point, st.integers(1, 3000), st.integers(1, 3000))
def test_opposite_edge_distances_add_up_to_the_image_size(p, rows, cols):
    d = geometry.edge_distances_cm(p, rows, cols, ANISO)
    width, height = geometry.image_size_cm(rows, cols, ANISO)
    assert d["left"] + d["right"] == pytest.approx(width)
    assert d["top"] + d["bottom"] == pytest.approx(height)


def test_distance_converts_to_mm_per_axis_before_measuring():
    # 3 columns * 1 mm and 4 rows * 2 mm: sqrt(3^2 + 8^2) mm = sqrt(73) mm
    assert geometry.distance_cm((0, 0), (3, 4), Spacing(2.0, 1.0, "test")) == pytest.approx(math.sqrt(73) / 10)


@pytest.mark.parametrize("a, b, expected", [
    ((5, 0), (5, 9), 0.0),        # vertical
    ((0, 5), (9, 5), 90.0),       # horizontal
    ((0, 0), (4, 4), 45.0),
    ((0, 0), (-4, 4), 45.0),      # folded: the other diagonal is also 45
    ((0, 0), (4, -4), 45.0),
])
def test_angle_to_vertical_is_folded_to_0_90(a, b, expected):
    assert geometry.angle_to_vertical_deg(a, b) == pytest.approx(expected)


def test_angle_to_vertical_uses_physical_units_with_anisotropic_spacing():
    # 2 columns * 0.1 mm = 0.2 mm across, 1 row * 0.2 mm = 0.2 mm down: 45 deg, though 63.4 deg in pixels
    assert geometry.angle_to_vertical_deg((0, 0), (2, 1), ANISO) == pytest.approx(45.0)
    assert geometry.angle_to_vertical_deg((0, 0), (2, 1)) == pytest.approx(math.degrees(math.atan(2)))


@given(point, point)
def test_swapping_the_ends_of_a_line_does_not_change_its_angle(a, b):
    if a != b:
        assert geometry.angle_to_vertical_deg(a, b, ANISO) == geometry.angle_to_vertical_deg(b, a, ANISO)


@given(point, point, st.integers(-500, 500), st.integers(-500, 500))
def test_angles_are_translation_invariant(a, b, dx, dy):
    if a != b:
        moved = geometry.angle_to_vertical_deg((a[0] + dx, a[1] + dy), (b[0] + dx, b[1] + dy), ANISO)
        assert moved == geometry.angle_to_vertical_deg(a, b, ANISO)


@given(point, point, st.sampled_from([(0.1, 0.1), (0.2, 0.1), (0.1, 0.25)]))
def test_anisotropic_angle_equals_the_angle_of_the_points_in_mm(a, b, rc):
    if a != b:
        r, c = rc
        in_mm = geometry.angle_to_vertical_deg((a[0] * c, a[1] * r), (b[0] * c, b[1] * r))
        assert geometry.angle_to_vertical_deg(a, b, Spacing(r, c, "test")) == pytest.approx(in_mm, abs=1e-9)


@pytest.mark.parametrize("a, v, b, expected", [
    ((0, 5), (0, 0), (5, 0), 90.0),
    ((-3, 0), (0, 0), (4, 0), 180.0),
    ((2, 2), (0, 0), (4, 4), 0.0),
    ((1, 1), (0, 0), (0, 1), 45.0),
])
def test_vertex_angle_spans_0_to_180(a, v, b, expected):
    assert geometry.vertex_angle_deg(a, v, b) == pytest.approx(expected, abs=1e-9)


def test_vertex_angle_uses_physical_units_with_anisotropic_spacing():
    # arms (1 col, 0) and (0, 1 row) stay perpendicular; (2, 1) px = (0.2, 0.2) mm is 45 deg from the x axis
    assert geometry.vertex_angle_deg((2, 1), (0, 0), (1, 0), ANISO) == pytest.approx(45.0)


def test_coincident_points_have_no_angle():
    with pytest.raises(ValueError):
        geometry.angle_to_vertical_deg((3, 3), (3, 3))
    with pytest.raises(ValueError):
        geometry.vertex_angle_deg((3, 3), (3, 3), (5, 1))


def test_turn_directions_are_as_seen_on_the_image_with_y_down():
    # right end higher (smaller y): turning clockwise brings it down to level
    assert geometry.turn_to_horizontal((0, 10), (10, 8)) == "clockwise"
    assert geometry.turn_to_horizontal((10, 8), (0, 10)) == "clockwise"
    assert geometry.turn_to_horizontal((0, 10), (10, 12)) == "anticlockwise"
    assert geometry.turn_to_horizontal((0, 10), (10, 10)) == ""
    # lower end to the right: turning clockwise swings the lower end left
    assert geometry.turn_to_vertical((0, 0), (2, 10)) == "clockwise"
    assert geometry.turn_to_vertical((2, 10), (0, 0)) == "clockwise"
    assert geometry.turn_to_vertical((0, 0), (-2, 10)) == "anticlockwise"
    assert geometry.turn_to_vertical((0, 0), (0, 10)) == ""

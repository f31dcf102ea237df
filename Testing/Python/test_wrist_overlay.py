"""The wrist report picture draws the geometry the rules measured, and nothing of its own."""
import io

import numpy as np
from PIL import Image

from radiographqc.report.overlay import LINE, MEASURE, draw_wrist
from test_wrist_scoring import GOOD_AP, GOOD_LAT, evaluate

ROWS = COLS = 1000       # small enough to be drawn at full size (1 picture pixel = 1 image pixel)


def picture(items):
    png = draw_wrist(np.zeros((ROWS, COLS), np.float32), {"view": "AP", "items": items, "keypoints": {}})
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def coloured(pixels, colour) -> np.ndarray:
    return np.all(pixels == colour, axis=-1)


def along(mask, a, b, n=21) -> list[bool]:
    """Whether the mask is set within a pixel of each of n points between a and b."""
    points = [(round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t)) for t in np.linspace(0.1, 0.9, n)]
    return [bool(mask[y - 1:y + 2, x - 1:x + 2].any()) for x, y in points]


def test_an_angle_is_drawn_as_its_two_arms_and_a_distance_as_a_dashed_line_to_the_edge():
    angle = {"kind": "angle", "points": [[60, 50], [100, 200], [300, 240]], "label": ""}
    edge = {"kind": "line", "points": [[650, 80], [999.5, 80]], "label": "2.0 cm"}
    drawn = picture([{"id": "T", "geometry": [angle, edge]}])
    line, measure = coloured(drawn, LINE), coloured(drawn, MEASURE)
    for a, b in ((angle["points"][1], angle["points"][0]), (angle["points"][1], angle["points"][2])):
        assert all(along(line, a, b))
    assert 0.3 < np.mean(along(measure, (650, 80), (999, 80), 41)) < 0.9, "dashed: part of the line, not all"


def test_an_angle_to_the_vertical_is_its_line_and_the_vertical_dashed():
    shape = {"kind": "angle_to_vertical", "points": [[300, 100], [100, 100], [100, 300]], "label": "P2-P3 90.0°"}
    drawn = picture([{"id": "AP3", "geometry": [shape]}])
    assert all(along(coloured(drawn, LINE), (100, 100), (300, 100)))
    assert 0.3 < np.mean(along(coloured(drawn, MEASURE), (100, 100), (100, 299), 41)) < 0.9


def test_a_scored_image_is_drawn_with_the_lines_of_its_geometry_and_without_it_with_none():
    for result in (evaluate(GOOD_AP), evaluate(GOOD_LAT)):      # on 1000 x 1000 images
        report_items = [item.to_dict() for item in result.items]
        assert coloured(picture(report_items), LINE).any()
        bare = picture([{**item, "geometry": []} for item in report_items])
        assert not coloured(bare, LINE).any() and not coloured(bare, MEASURE).any()

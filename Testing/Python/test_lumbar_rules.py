"""LumbarQC rules on small constructed masks (256 x 128): threshold edges, identification, verdict."""
import json

import numpy as np
import pytest

from radiographqc.errors import InputError
from radiographqc.lumbar import (LumbarMasks, evaluate_lumbar, load_lumbar_profile,
                                 masks_from_label_image)

SHAPE = (256, 128)
LEFT, RIGHT = 14, 114          # bodies span columns 14..114: the spine's extent is 100 px


@pytest.fixture(scope="module")
def profile():
    return load_lumbar_profile()


def box(r0, r1, c0, c1):
    mask = np.zeros(SHAPE, bool)
    mask[r0:r1 + 1, c0:c1 + 1] = True
    return mask


def bodies(n, top=4, height=20, gap=6):
    return [box(top + i * (height + gap), top + i * (height + gap) + height - 1, LEFT, RIGHT)
            for i in range(n)]


def pelvis():
    return box(225, 250, 20, 108)


def union(masks):
    return np.any(masks, axis=0)


def strip(col, rows):
    """A one-column strip at `col` over rows[0]..rows[1]."""
    mask = np.zeros(SHAPE, bool)
    mask[rows[0]:rows[1] + 1, col] = True
    return mask


def rule(result, rule_id):
    return next(r for r in result.rules if r.id == rule_id)


def ap(n=7, **structures):
    vertebrae = bodies(n)
    structures.setdefault("pelvis", pelvis())
    structures.setdefault("vertebrae", union(vertebrae))
    return LumbarMasks("AP", SHAPE, None, structures)


# ---------------------------------------------------------------------------------------------
# vertebra count and identification

def test_seven_bodies_above_the_pelvis_are_t11_to_l5_and_pass_the_count(profile):
    result = evaluate_lumbar(ap(7), None, profile)
    count = rule(result, "vertebra_count")
    assert count.passed is True and count.value == 7
    assert [v.label for v in result.vertebrae] == ["T11", "T12", "L1", "L2", "L3", "L4", "L5"]
    top = result.to_dict()["vertebrae"][0]
    assert top == {"label": "T11", "centroid": [64.0, 13.5], "area_px": 2020, "bbox": [14, 4, 114, 23]}


def test_eight_bodies_fail_the_count_and_say_to_collimate_from_t11(profile):
    count = rule(evaluate_lumbar(ap(8), None, profile), "vertebra_count")
    assert count.passed is False and count.value == 8
    assert count.explanation.startswith("T10\u2013L5 visible: 8 vertebrae, expected 7")
    assert "collimate from T11" in count.advice


def test_six_bodies_with_the_sacrum_say_the_field_misses_t11(profile):
    masks = LumbarMasks("LAT", SHAPE, None, {"vertebrae": union(bodies(6)), "sacrum": pelvis()})
    result = evaluate_lumbar(masks, None, profile)
    count = rule(result, "vertebra_count")
    assert count.passed is False and result.identification.source == "sacrum"
    assert "T12\u2013L5 visible: 6 vertebrae" in count.explanation
    assert "include up to T11" in count.advice


def test_without_sacrum_or_pelvis_levels_are_unknown_and_a_short_field_asks_for_the_sacrum(profile):
    masks = LumbarMasks("AP", SHAPE, None, {"vertebrae": union(bodies(5))})
    result = evaluate_lumbar(masks, None, profile)
    count = rule(result, "vertebra_count")
    assert result.identification.source == "unknown"
    assert all(v.label is None for v in result.vertebrae)
    assert count.passed is False and "levels unknown" in count.explanation
    assert "down to the sacrum" in count.advice


def test_two_touching_bodies_are_split_and_counted_as_two(profile):
    parts = bodies(7)
    fused = box(56, 95, LEFT, RIGHT)                          # bodies 3 and 4 touching, no disc space
    spine = union(parts[:2] + parts[4:]) | fused
    result = evaluate_lumbar(ap(7, vertebrae=spine), None, profile)
    assert rule(result, "vertebra_count").value == 7
    assert [v.bbox for v in result.vertebrae][2:4] == [(14, 56, 114, 75), (14, 76, 114, 95)]


def test_two_bodies_touching_at_a_waist_are_cut_at_the_waist(profile):
    rows, cols = np.mgrid[:SHAPE[0], :SHAPE[1]]
    upper = ((rows - 66) / 11.0) ** 2 + ((cols - 64) / 50.0) ** 2 <= 1.0
    lower = ((rows - 88) / 11.0) ** 2 + ((cols - 64) / 50.0) ** 2 <= 1.0
    parts = bodies(7)
    spine = union(parts[:2] + parts[4:]) | upper | lower
    result = evaluate_lumbar(LumbarMasks("AP", SHAPE, None, {"vertebrae": spine, "pelvis": pelvis()}),
                             None, profile)
    assert rule(result, "vertebra_count").value == 7
    third, fourth = result.vertebrae[2], result.vertebrae[3]
    assert third.bbox[3] == 77 and fourth.bbox[1] == 78       # cut at the one-pixel waist (row 77)
    assert third.area_px == pytest.approx(fourth.area_px, abs=2)


def test_tiny_fragments_and_edge_slivers_are_not_counted(profile):
    spine = union(bodies(7)) | box(0, 1, 60, 61) | box(140, 141, 2, 3)
    sliver = box(0, 2, LEFT, RIGHT)                            # 303 px: a body cut by the field edge
    masks = LumbarMasks("AP", SHAPE, None, {"vertebrae": spine | sliver, "pelvis": pelvis()})
    result = evaluate_lumbar(masks, None, profile)
    assert rule(result, "vertebra_count").value == 7
    assert "1 partial body" in result.identification.explanation


def test_an_instance_image_with_level_names_keeps_the_given_levels(profile):
    ids = np.zeros(SHAPE, np.uint8)
    for i, mask in enumerate(bodies(7)):
        ids[mask] = i + 10
    names = {10 + i: level for i, level in enumerate(["T10", "T11", "T12", "L1", "L2", "L3", "L4"])}
    masks = LumbarMasks("AP", SHAPE, ids, {"pelvis": pelvis()}, names)
    result = evaluate_lumbar(masks, None, profile)
    count = rule(result, "vertebra_count")
    assert result.identification.source == "given"
    assert count.passed is False and "T10\u2013L4 visible" in count.explanation
    assert "collimate from T11" in count.advice and "down to the sacrum" in count.advice


def test_the_l3_mask_identifies_the_levels_when_no_sacrum_is_seen(profile):
    parts = bodies(7)
    masks = LumbarMasks("AP", SHAPE, None, {"vertebrae": union(parts), "L3": parts[4]})
    result = evaluate_lumbar(masks, None, profile)
    assert result.identification.source == "L3"
    assert [v.label for v in result.vertebrae] == ["T11", "T12", "L1", "L2", "L3", "L4", "L5"]


def test_a_list_of_partly_named_bodies_is_counted_from_the_named_one(profile):
    parts = bodies(4)
    masks = LumbarMasks("AP", SHAPE, [(None, parts[0]), ("L2", parts[1]), (None, parts[2]),
                                      (None, parts[3])])
    result = evaluate_lumbar(masks, None, profile)
    assert result.identification.source == "partial"
    assert [v.label for v in result.vertebrae] == ["L1", "L2", "L3", "L4"]


def test_no_vertebra_segmentation_makes_the_count_unassessable_and_the_image_unqualified(profile):
    result = evaluate_lumbar(LumbarMasks("AP", SHAPE, None, {"pelvis": pelvis()}), None, profile)
    count = rule(result, "vertebra_count")
    assert count.passed is None and count.explanation == "no vertebral-body segmentation given"
    assert result.qualified is False and "not assessable: vertebra count" in result.summary


# ---------------------------------------------------------------------------------------------
# spinous processes (AP)

@pytest.mark.parametrize("col, extra_col, extra, expected, passed", [
    (54, 53, 1, 0.399, False), (54, None, 0, 0.400, True),
    (74, None, 0, 0.600, True), (74, 75, 1, 0.601, False)])
def test_spinous_centre_is_inside_only_from_0_40_to_0_60(profile, col, extra_col, extra, expected,
                                                         passed):
    spinous = union([_shifted(col, r, extra_col) if extra else strip(col, (r, r + 8))
                     for r in (10, 60, 110)])
    result = evaluate_lumbar(ap(7, spinous_processes=spinous), None, profile)
    centred = rule(result, "spinous_centred")
    assert centred.value == expected and centred.passed is passed


def test_the_spinous_rule_draws_the_spine_edges_and_the_centre_it_measured(profile):
    spinous = union([strip(70, (r, r + 8)) for r in (10, 60, 110)])
    centred = rule(evaluate_lumbar(ap(7, spinous_processes=spinous), None, profile), "spinous_centred")
    left, right, centre = centred.geometry
    assert left["points"] == [[LEFT, 4], [LEFT, 179]] and right["points"] == [[RIGHT, 4], [RIGHT, 179]]
    assert centre["points"] == [[70, 10], [70, 118]] and centre["label"] == f"spinous processes {centred.value:.2f}"


def _shifted(col, row, extra_col):
    """Nine pixels at `col` and one at `extra_col`: the centre moves 0.1 px towards extra_col."""
    mask = strip(col, (row, row + 8))
    mask[row, extra_col] = True
    return mask


def test_off_centre_spinous_processes_name_the_raised_side(profile):
    spinous = union([strip(40, (r, r + 8)) for r in (10, 60)])
    centred = rule(evaluate_lumbar(ap(7, spinous_processes=spinous), None, profile), "spinous_centred")
    assert centred.passed is False and "towards the image left" in centred.advice


def test_missing_spinous_processes_are_not_assessable(profile):
    result = evaluate_lumbar(ap(7), None, profile)
    centred = rule(result, "spinous_centred")
    assert centred.passed is None and centred.explanation == "no spinous processes segmentation given"
    empty = evaluate_lumbar(ap(7, spinous_processes=np.zeros(SHAPE, bool)), None, profile)
    assert rule(empty, "spinous_centred").explanation == "no spinous process found in the segmentation"


# ---------------------------------------------------------------------------------------------
# L3 double contour

def _l3_case(double_px):
    l3 = box(100, 224, 10, 89)                                 # 125 x 80 = 10000 px
    double = np.zeros(SHAPE, bool)
    double[100:224 + 1, 10:90].flat[:double_px] = True
    return ap(7, L3=l3, L3_double_contour=double)


@pytest.mark.parametrize("double_px, passed", [(0, True), (2100, True), (2101, False)])
def test_l3_double_contour_ratio_passes_up_to_0_21_inclusive(profile, double_px, passed):
    result = rule(evaluate_lumbar(_l3_case(double_px), None, profile), "l3_double_contour")
    assert result.value == double_px / 10000 and result.passed is passed
    assert result.structures == ["L3", "L3_double_contour"]


def test_l3_is_found_by_its_level_when_no_l3_mask_is_given(profile):
    parts = bodies(7)
    double = parts[4] & box(0, 255, 0, 20)                    # 7 columns x 20 rows of L3
    result = rule(evaluate_lumbar(ap(7, L3_double_contour=double), None, profile), "l3_double_contour")
    assert result.value == round(140 / 2020, 6) and "vertebra identified as L3" in result.explanation


def test_l3_double_contour_is_not_assessable_without_an_identified_l3(profile):
    masks = LumbarMasks("LAT", SHAPE, None, {"vertebrae": union(bodies(7)),
                                             "L3_double_contour": np.zeros(SHAPE, bool)})
    result = rule(evaluate_lumbar(masks, None, profile), "l3_double_contour")
    assert result.passed is None and result.explanation.startswith("L3 not identified")


# ---------------------------------------------------------------------------------------------
# oblique: Scottie dog and pedicles

def _oblique(iap=None, pedicles=None):
    structures = {"vertebrae": union(bodies(7)), "pelvis": pelvis()}
    if iap is not None:
        structures["inferior_articular_processes"] = iap
    if pedicles is not None:
        structures["pedicles"] = pedicles
    return LumbarMasks("OBL", SHAPE, None, structures)


def _iap(first_col, first_px, second_col, second_px):
    """Two-column articular processes at three levels with centre column set by pixel counts."""
    mask = np.zeros(SHAPE, bool)
    for row in (30, 82, 134):
        mask[row:row + first_px, first_col] = True
        mask[row:row + second_px, second_col] = True
    return mask


@pytest.mark.parametrize("cols, expected, passed", [
    ((40, 3, 41, 2), 0.264, False), ((40, 2, 41, 2), 0.265, True),
    ((50, 2, 51, 2), 0.365, True), ((50, 2, 51, 3), 0.366, False)])
def test_scottie_dog_line_passes_from_0_265_to_0_365(profile, cols, expected, passed):
    iap = _iap(*cols)
    result = rule(evaluate_lumbar(_oblique(iap), None, profile), "scottie_dog")
    assert result.value == expected and result.passed is passed


def test_scottie_dog_draws_the_line_it_fitted_through_the_articular_processes(profile):
    iap = _iap(40, 2, 41, 2)
    result = rule(evaluate_lumbar(_oblique(iap), None, profile), "scottie_dog")
    (x0, y0), (x1, y1) = result.geometry[-1]["points"]
    rows, cols = np.nonzero(iap)
    assert y0 < y1 and min(x0, x1) >= cols.min() - 1 and max(x0, x1) <= cols.max() + 1
    assert rows.min() <= y0 and y1 <= rows.max()
    assert result.geometry[-1]["label"].startswith("inferior articular processes")


def test_scottie_dog_reads_a_mirrored_oblique_from_the_posterior_side(profile):
    mirrored = _iap(87, 2, 88, 2)                             # columns 40/41 mirrored about the spine
    result = rule(evaluate_lumbar(_oblique(mirrored), None, profile), "scottie_dog")
    assert result.value == 0.265 and "image right" in result.explanation


def test_scottie_dog_below_range_means_rotate_less_and_above_rotate_more(profile):
    low = rule(evaluate_lumbar(_oblique(_iap(30, 2, 31, 2)), None, profile), "scottie_dog")
    high = rule(evaluate_lumbar(_oblique(_iap(58, 2, 59, 2)), None, profile), "scottie_dog")
    assert low.passed is False and "rotate the patient less" in low.advice
    assert high.passed is False and "rotate the patient more" in high.advice


def test_scottie_dog_without_articular_processes_is_not_assessable(profile):
    result = evaluate_lumbar(_oblique(), None, profile)
    assert rule(result, "scottie_dog").passed is None
    assert result.qualified is False


def _pedicles(col):
    return union([box(b.nonzero()[0].min() + 5, b.nonzero()[0].min() + 12, col, col + 5)
                  for b in bodies(7)])


def test_pedicles_near_the_body_centre_pass_and_far_off_centre_fail(profile):
    iap = _iap(40, 2, 41, 2)
    centred = rule(evaluate_lumbar(_oblique(iap, _pedicles(62)), None, profile), "pedicles_centred")
    off = rule(evaluate_lumbar(_oblique(iap, _pedicles(40)), None, profile), "pedicles_centred")
    assert centred.value == 0.505 and centred.passed is True
    assert off.value == 0.285 and off.passed is False and "rotate the patient less" in off.advice


# ---------------------------------------------------------------------------------------------
# presence rules

def test_pelvis_outside_the_field_fails_and_an_absent_mask_is_not_assessable(profile):
    gone = rule(evaluate_lumbar(ap(7, pelvis=box(254, 255, 60, 61)), None, profile), "pelvis_present")
    assert gone.passed is False and "include the pelvis" in gone.advice
    masks = LumbarMasks("LAT", SHAPE, None, {"vertebrae": union(bodies(7))})
    result = evaluate_lumbar(masks, None, profile)
    for rule_id, name in (("sacrum_present", "sacrum"), ("foramina_present", "intervertebral foramina")):
        assert rule(result, rule_id).passed is None
        assert rule(result, rule_id).explanation == f"no {name} segmentation given"


def test_presence_value_is_the_area_fraction_against_the_profile_minimum(profile):
    masks = LumbarMasks("LAT", SHAPE, None, {"vertebrae": union(bodies(7)), "sacrum": pelvis(),
                                             "foramina": box(30, 33, 100, 103)})
    result = evaluate_lumbar(masks, None, profile)
    assert rule(result, "foramina_present").value == round(16 / SHAPE[0] / SHAPE[1], 6)
    assert rule(result, "foramina_present").passed is False          # 16 px < 0.0005 x 32768
    assert rule(result, "sacrum_present").passed is True


# ---------------------------------------------------------------------------------------------
# exposure

def _image(bone, texture, soft=0.3, seed=0, n=7):
    rng = np.random.default_rng(seed)
    image = np.full(SHAPE, soft, np.float32)
    image[:, :6] = 0.0                                         # air
    image[:, -6:] = 1.0                                        # collimator edge
    spine = union(bodies(n))
    image[spine] = bone + texture * rng.standard_normal(spine.sum())
    return image


def test_exposure_passes_on_a_high_contrast_image_and_fails_on_a_low_contrast_one(profile):
    high = evaluate_lumbar(ap(7), _image(0.7, 0.08), profile)
    low = evaluate_lumbar(ap(7), _image(0.32, 0.005), profile)
    assert rule(high, "exposure_spread").passed is True and rule(high, "exposure_contrast").passed is True
    assert rule(low, "exposure_spread").passed is False and rule(low, "exposure_contrast").passed is False
    assert rule(high, "exposure_contrast").value == pytest.approx(0.4, abs=0.02)


def test_exposure_without_an_image_is_not_assessable_and_does_not_block_the_verdict(profile):
    spinous = union([strip(64, (r, r + 8)) for r in (10, 60)])
    result = evaluate_lumbar(ap(7, spinous_processes=spinous, L3_double_contour=np.zeros(SHAPE, bool)),
                             None, profile)
    assert rule(result, "exposure_spread").passed is None
    assert rule(result, "exposure_spread").explanation == "no image given"
    assert result.qualified is True


# ---------------------------------------------------------------------------------------------
# verdict, source examples, output

def _source_ap(n):
    parts = bodies(n)
    l3 = parts[n - 3]
    double = l3.copy()
    double.flat[np.flatnonzero(l3)[394:]] = False                   # 394 / 2020 = 0.195
    spinous = union([_five(65, r) for r in (10, 60, 110)])            # centre 65.2 -> 0.512
    return ap(n, spinous_processes=spinous, L3=l3, L3_double_contour=double)


def _five(col, row):
    mask = strip(col, (row, row + 3))
    mask[row, col + 1] = True
    return mask


def test_source_example_eight_vertebrae_fails_on_the_count_only(profile):
    result = evaluate_lumbar(_source_ap(8), _image(0.7, 0.08, n=8), profile)
    failed = [r.id for r in result.rules if r.passed is False]
    assert failed == ["vertebra_count"] and result.qualified is False
    assert rule(result, "l3_double_contour").value == pytest.approx(0.195, abs=1e-4)
    assert rule(result, "spinous_centred").value == 0.512
    assert result.summary == "unqualified; failed: vertebra count"


def test_the_same_image_with_seven_vertebrae_is_qualified(profile):
    result = evaluate_lumbar(_source_ap(7), None, profile)
    assert result.qualified is True and result.summary.startswith("qualified")


def test_the_result_is_json_and_the_same_masks_give_the_same_result(profile):
    masks = _source_ap(8)
    first = evaluate_lumbar(masks, _image(0.7, 0.08, n=8), profile).to_dict()
    again = evaluate_lumbar(masks, _image(0.7, 0.08, n=8), profile).to_dict()
    assert first == again and json.loads(json.dumps(first)) == first
    assert first["module"] == "lumbar" and first["view"] == "AP"
    assert first["profile"] == {"name": "lumbar-default", "version": "1.0"}
    assert set(first["rules"][0]) == {"id", "label", "value", "threshold", "passed", "structures",
                                      "explanation", "advice", "geometry"}


def test_instance_image_numbers_the_bodies_top_to_bottom(profile):
    result = evaluate_lumbar(ap(7), None, profile)
    ids = result.instance_image()
    assert ids[13, 64] == 1 and ids[4 + 6 * 26 + 5, 64] == 7 and ids[25, 64] == 0


# ---------------------------------------------------------------------------------------------
# label images and profiles

def test_a_label_image_restores_l3_and_its_double_contour_inside_the_vertebrae(profile):
    labels = np.zeros(SHAPE, np.uint8)
    parts = bodies(7)
    for mask in parts:
        labels[mask] = 1
    labels[parts[4]] = 2
    labels[parts[4] & box(0, 255, 0, 20)] = 3
    labels[pelvis()] = 4
    masks = masks_from_label_image("ap", labels, {1: "vertebrae", 2: "L3", 3: "L3_double_contour",
                                                  4: "pelvis"})
    assert masks.view == "AP" and masks.structure("L3").sum() == 2020
    assert len(masks.vertebrae) == 7 and sum(m.sum() for _, m in masks.vertebrae) == 7 * 2020
    result = evaluate_lumbar(masks, None, profile)
    assert rule(result, "l3_double_contour").value == round(140 / 2020, 6)


def test_a_label_image_of_named_levels_gives_named_vertebrae(profile):
    labels = np.zeros(SHAPE, np.uint8)
    levels = ["T11", "T12", "L1", "L2", "L3", "L4", "L5"]
    for i, mask in enumerate(bodies(7)):
        labels[mask] = i + 1
    masks = masks_from_label_image("LAT", labels, {i + 1: name for i, name in enumerate(levels)})
    result = evaluate_lumbar(masks, None, profile)
    assert result.identification.source == "given" and rule(result, "vertebra_count").passed is True
    assert masks.structure("L3").sum() == 2020


def test_unknown_label_names_are_rejected():
    with pytest.raises(ValueError, match="unknown structure 'liver'"):
        masks_from_label_image("AP", np.zeros(SHAPE, np.uint8), {1: "liver"})


def test_a_department_profile_with_lo_above_hi_is_rejected_naming_the_key(tmp_path):
    path = tmp_path / "ours.json"
    path.write_text(json.dumps({"rules": {"spinous_centred": {"lo": 0.7}}}))
    with pytest.raises(InputError, match="rules.spinous_centred"):
        load_lumbar_profile(path)


def test_a_department_profile_changes_a_threshold(tmp_path):
    path = tmp_path / "ours.json"
    path.write_text(json.dumps({"rules": {"vertebra_count": {"expected": 8}}}))
    profile = load_lumbar_profile(path)
    count = rule(evaluate_lumbar(ap(8), None, profile), "vertebra_count")
    assert count.passed is True and profile["name"] == "ours"


def test_fused_bodies_are_counted_by_their_length_along_the_spine_not_their_area(profile):
    # bodies 2-4 fused with their disc spaces and blurred wider: 4.3 bodies by area, 2.8 by length
    parts = bodies(7)
    fused = box(30, 101, 4, 124)
    spine = union(parts[:1] + parts[4:]) | fused
    result = evaluate_lumbar(ap(7, vertebrae=spine), None, profile)
    assert rule(result, "vertebra_count").value == 7

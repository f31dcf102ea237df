"""The lumbar rules give the same result with a LumbarImage prepared once per image as with the
pixels, on the samples' true masks in each form the callers give (label file, one mask per body as
the Slicer module gives them, a binary body mask as the model gives it) and across edits."""
from pathlib import Path

import numpy as np
import pytest
from skimage.draw import ellipse, line, polygon
from skimage.morphology import convex_hull_image

from radiographqc.dicom_io import read_radiograph
from radiographqc.label_io import read_masks
from radiographqc.lumbar import LumbarMasks, evaluate_lumbar, load_lumbar_profile
from radiographqc.lumbar.rules import LumbarImage, _convex_hull
from radiographqc.lumbar.vertebrae import body_regions

SAMPLES = Path(__file__).resolve().parents[2] / "Resources" / "Samples" / "lumbar"
CASES = sorted(p.stem for p in SAMPLES.glob("*.dcm"))


@pytest.fixture(scope="module")
def profile():
    return load_lumbar_profile()


def sample(stem):
    rg = read_radiograph(SAMPLES / f"{stem}.dcm")
    return rg, read_masks(SAMPLES / "truth" / f"{stem}.labels.json", rg.view, (rg.rows, rg.cols))


def as_form(masks, form, profile):
    """The masks as the label file gives them, one mask per body, or one binary body mask."""
    if form == "label file":
        return masks
    bodies, _ = body_regions(masks, profile["vertebrae"])
    if form == "per body":
        return LumbarMasks(masks.view, masks.shape, bodies, masks.structures)
    binary = np.any([mask for _, mask in bodies], axis=0)
    return LumbarMasks(masks.view, masks.shape, None, dict(masks.structures, vertebrae=binary))


def same_result(masks, rg, prepared, profile):
    """Assert that the prepared image gives the pixels' result; returns the result."""
    expected = evaluate_lumbar(masks, rg.pixels, profile, rg.spacing).to_dict()
    assert evaluate_lumbar(masks, prepared, profile, rg.spacing).to_dict() == expected
    return expected


@pytest.mark.parametrize("form", ["label file", "per body", "binary"])
@pytest.mark.parametrize("stem", CASES)
def test_each_sample_gives_the_same_result_with_a_prepared_image(stem, form, profile):
    rg, masks = sample(stem)
    result = same_result(as_form(masks, form, profile), rg, LumbarImage(rg.pixels), profile)
    contrast = next(r for r in result["rules"] if r["id"] == "exposure_contrast")
    assert contrast["value"] is not None     # the image-side rules ran


def test_one_prepared_image_serves_every_edit_and_profile_of_a_case(profile):
    rg, masks = sample("lumbar_ap_tilted")
    prepared = LumbarImage(rg.pixels)
    bodies, _ = body_regions(masks, profile["vertebrae"])
    stroke = masks.structure("L3_double_contour").copy()
    stroke[::3] = False                                   # a reviewer erases part of it
    edits = [LumbarMasks(masks.view, masks.shape, bodies, masks.structures),
             LumbarMasks(masks.view, masks.shape, bodies,
                         dict(masks.structures, L3_double_contour=stroke)),
             LumbarMasks(masks.view, masks.shape, bodies[1:], masks.structures)]
    results = [same_result(edited, rg, prepared, profile) for edited in edits]
    assert results[0] != results[1] != results[2]
    other = dict(profile, exposure_normalise_percentiles=[5.0, 95.0])   # a department's profile
    assert same_result(edits[0], rg, prepared, other) != results[0]


def test_a_prepared_image_of_another_shape_is_refused(profile):
    rg, masks = sample("lumbar_lat_routine")
    with pytest.raises(ValueError, match="differs from the masks"):
        evaluate_lumbar(masks, LumbarImage(rg.pixels[1:]), profile)


def shapes(rng, n):
    """Masks of random size: scattered pixels, ellipses, lines, polygons, single pixels."""
    for i in range(n):
        mask = np.zeros(tuple(rng.integers(1, 60, 2)), bool)
        h, w = mask.shape
        kind = i % 5
        if kind == 0:
            mask = rng.random((h, w)) < rng.uniform(0.001, 0.3)
        elif kind == 1:
            for _ in range(rng.integers(1, 4)):
                mask[ellipse(rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.5, h), rng.uniform(0.5, w),
                             shape=(h, w), rotation=rng.uniform(0, np.pi))] = True
        elif kind == 2:
            for _ in range(rng.integers(1, 4)):
                mask[line(rng.integers(h), rng.integers(w), rng.integers(h), rng.integers(w))] = True
        elif kind == 3:
            mask[polygon(rng.uniform(-5, h + 5, 5), rng.uniform(-5, w + 5, 5), shape=(h, w))] = True
        else:
            mask[rng.integers(h), rng.integers(w)] = True
        if mask.any():
            yield mask


def test_the_disc_spaces_hull_is_skimages_convex_hull_image():
    for mask in shapes(np.random.default_rng(0), 600):
        assert np.array_equal(_convex_hull(mask), convex_hull_image(mask)), mask.astype(int)

"""Simulator artefacts and lead markers: exact masks, cut markers, compositing onto real images."""
import json

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

from radiographqc.simulate.artefacts import (
    ARTEFACT_KINDS, composite_artefact, letter_coverage, marker_layer,
)
from radiographqc.simulate.scene import Projection, Structure, render
from radiographqc.simulate.shapes import Cylinder, frame_along
from radiographqc.simulate.wrist import WristParams, simulate_wrist


def test_a_hollow_metal_tube_attenuates_only_through_its_two_walls():
    proj = Projection(sid_mm=1e5, pixel_mm=0.5, rows=41, cols=41)
    frame = frame_along((1, 0, 0))   # axis along the image x: the central ray crosses both walls
    tube = Structure("ring", [Cylinder((0, 0, 20), (10, 3, 10), frame)],
                     [Cylinder((0, 0, 20), (8, 3, 8), frame)], 1.0, 0.0, "metal", "ring")
    li = render([tube], proj)
    assert li.metal[20, 20] == pytest.approx(4.0, abs=1e-3)
    assert li.masks["ring"][20, 20] and li.masks["ring"].sum() < 41 * 41


def test_a_marker_across_the_field_edge_is_labelled_cut_and_its_box_touches_the_edge():
    rng = np.random.default_rng(0)
    infos = [marker_layer((200, 160), 0.4, rng, "R", cut_rate=1.0)[2] for _ in range(5)]
    for info in infos:
        x0, y0, x1, y1 = info["bbox"]
        assert not info["complete"] and (x0 == 0 or y0 == 0 or x1 == 159 or y1 == 199)


def test_a_complete_marker_mask_is_the_whole_letter_inside_its_box():
    layer, mask, info = marker_layer((300, 240), 0.3, np.random.default_rng(1), "L", cut_rate=0.0)
    x0, y0, x1, y1 = info["bbox"]
    assert info["complete"] and info["letter"] == "L"
    assert mask.sum() == mask[y0:y1 + 1, x0:x1 + 1].sum() > 0
    assert layer[mask].min() > layer[~mask].max() * 0.9   # lead where the mask is


@pytest.mark.parametrize("font", ["sans", "stroke", "bold-stroke"])
def test_letters_are_drawn_at_the_asked_height_in_every_font(font):
    cover = letter_coverage("R", 40.0, font, 0.0)
    rows = np.nonzero((cover >= 0.5).any(axis=1))[0]
    assert rows.max() - rows.min() + 1 == pytest.approx(40, rel=0.3)


def test_simulated_ring_and_marker_come_with_exact_masks_and_the_detector_finds_the_marker():
    from radiographqc.wrist.marker import detect_marker

    case = simulate_wrist(WristParams(view="AP", pixel_mm=0.3, artefacts=("ring",), marker=True),
                          np.random.default_rng(0))
    ring, marker = case.masks["artefact_ring"], case.masks["marker"]
    assert case.truth["artefacts"][0]["area_px"] == ring.sum() > 0
    assert case.image[ring].mean() > np.percentile(case.image, 90)   # metal is brightest
    assert case.truth["marker"]["complete"]
    found = detect_marker(case.image, case.projection.pixel_mm)
    x0, y0, x1, y1 = case.truth["marker"]["bbox"]
    assert found.found and found.letter == case.truth["marker"]["letter"]
    assert abs(found.centre[0] - (x0 + x1) / 2) < 3 and abs(found.centre[1] - (y0 + y1) / 2) < 3
    assert marker.sum() > 0


@pytest.mark.parametrize("kind", ARTEFACT_KINDS + ("marker",))
def test_compositing_onto_a_real_image_brightens_exactly_the_masked_object(kind):
    rng = np.random.default_rng(5)
    image = rng.uniform(40, 120, size=(240, 200)).astype(np.float32)
    out, mask, info = composite_artefact(image, rng, kind, pixel_mm=0.5, centre=(100, 120))
    assert out.shape == image.shape and info["kind"] == kind and mask.any()
    assert (out[mask] - image[mask]).mean() > 5.0
    near = binary_dilation(mask, iterations=3)   # the object's blurred edge
    assert np.allclose(out[~near], image[~near], atol=0.05)


def test_cli_rates_write_artefact_and_marker_bits_into_the_label_png(tmp_path):
    from PIL import Image

    from radiographqc.simulate.cli import main

    assert main(["wrist", "--view", "AP", "--n", "2", "--out", str(tmp_path), "--jobs", "1",
                 "--size", "160", "--no-progress", "--artefact-rate", "1",
                 "--marker-rate", "1"]) == 0
    for stem in json.loads((tmp_path / "manifest.json").read_text())["cases"]:
        truth = json.loads((tmp_path / f"{stem}.truth.json").read_text())
        bits = json.loads((tmp_path / truth["labels"]).read_text())["labels"]
        packed = np.array(Image.open(tmp_path / f"{stem}.labels.png"))
        assert "marker" in bits and truth["marker"]["letter"] == truth["laterality"]
        assert ((packed & bits["marker"]) != 0).any()
        kind = truth["artefacts"][0]["kind"]
        assert ((packed & bits[f"artefact_{kind}"]) != 0).sum() == truth["artefacts"][0]["area_px"]

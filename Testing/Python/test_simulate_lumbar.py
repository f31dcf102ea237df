"""Lumbar simulator: exact label masks per view and rule quantities that follow the positioning."""
import json

import numpy as np
import pytest
from PIL import Image

from radiographqc.simulate.lumbar import LumbarParams, simulate_lumbar

SPEC_LABELS = {"AP": ("vertebrae", "pelvis", "spinous_processes", "L3", "L3_double_contour"),
               "LAT": ("vertebrae", "spinous_processes", "foramina", "L3", "sacrum"),
               "OBL": ("vertebrae", "inferior_articular_processes", "pelvis")}


def _lumbar(**kw):
    kw.setdefault("pixel_mm", 1.6)
    return simulate_lumbar(LumbarParams(**kw), np.random.default_rng(3))


@pytest.mark.parametrize("view", ["AP", "LAT", "OBL"])
def test_every_label_of_the_spec_is_segmented_in_its_view(view):
    case = _lumbar(view=view, tilt_deg=10.0)   # tilted: the L3 endplates show a double contour
    for label in SPEC_LABELS[view]:
        assert case.masks[label].any(), label
    assert case.truth["qc"]["vertebra_count"] == 7      # T11..L5
    levels = ["T11", "T12", "L1", "L2", "L3", "L4", "L5"]
    assert case.truth["qc"]["visible_levels"] == levels
    ids = {case.truth["vertebrae"][n]["id"] for n in levels}
    assert ids <= set(np.unique(case.instances))


def test_l3_double_contour_grows_when_the_beam_is_tilted_against_the_endplates():
    ratios = [_lumbar(view="AP", tilt_deg=t, pixel_mm=0.8).truth["qc"]["L3_double_contour_ratio"]
              for t in (0.0, 6.0, 16.0)]
    # a centred, untilted beam sees the L3 endplates edge-on: no double contour
    assert ratios[0] < 0.02 and ratios[0] < ratios[1] < ratios[2] and ratios[2] > 0.21


def test_field_edge_between_t10_and_t11_shows_seven_vertebrae_and_a_longer_field_more():
    assert _lumbar(view="AP", top_level="T10").truth["qc"]["vertebra_count"] == 8
    assert _lumbar(view="AP", top_level="T9").truth["qc"]["vertebra_count"] == 9


@pytest.mark.parametrize("rotation, inside", [(0.0, True), (15.0, False), (-15.0, False)])
def test_scottie_dog_front_leg_sits_at_a_third_of_the_bodies_only_at_45_degrees(rotation, inside):
    qc = _lumbar(view="OBL", rotation_deg=rotation, pixel_mm=1.0).truth["qc"]
    assert (0.265 <= qc["iap_position_fraction"] <= 0.365) is inside
    if inside:
        assert qc["pedicle_position_fraction"] == pytest.approx(0.45, abs=0.05)


def test_axial_rotation_moves_the_spinous_processes_off_the_midline():
    centred = _lumbar(view="AP").truth["qc"]["spinous_centre_fraction"]
    rotated = _lumbar(view="AP", rotation_deg=15.0).truth["qc"]["spinous_centre_fraction"]
    assert centred == pytest.approx(0.5, abs=0.03)
    assert abs(rotated - 0.5) > 0.1


def test_cli_writes_a_bit_flag_label_png_and_a_vertebra_instance_png(tmp_path):
    from radiographqc.simulate.cli import main

    assert main(["lumbar", "--view", "LAT", "--n", "1", "--out", str(tmp_path), "--jobs", "1",
                 "--size", "160", "--no-progress"]) == 0
    stem = json.loads((tmp_path / "manifest.json").read_text())["cases"][0]
    table = json.loads((tmp_path / f"{stem}.labels.json").read_text())["labels"]
    packed = np.array(Image.open(tmp_path / f"{stem}.labels.png"))
    truth = json.loads((tmp_path / f"{stem}.truth.json").read_text())
    foramina = (packed & table["foramina"]) != 0
    assert foramina.sum() == truth["qc"]["foramina_area_px"] > 0
    ids = np.array(Image.open(tmp_path / f"{stem}.vertebrae.png"))
    assert {int(i) for i in np.unique(ids) if i} == {
        v["id"] for v in truth["vertebrae"].values() if v["visible_px"]}

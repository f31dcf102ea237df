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
    case = _lumbar(view=view)
    for label in SPEC_LABELS[view]:
        assert case.masks[label].any(), label
    assert case.truth["qc"]["vertebra_count"] == 7      # T11..L5
    assert set(np.unique(case.instances)) == set(range(8))


def test_l3_double_contour_grows_when_the_beam_is_tilted_against_the_endplates():
    ratios = [_lumbar(view="AP", tilt_deg=t, pixel_mm=0.8).truth["qc"]["L3_double_contour_ratio"]
              for t in (-4.0, 6.0, 16.0)]
    # with the default lordosis L3 is turned 4 degrees, so tilt -4 brings its endplates parallel
    # to the central ray (what remains is the pixel-wide edge-on rim)
    assert ratios[0] < 0.06 and ratios[0] < ratios[1] < ratios[2] and ratios[2] > 0.21


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

"""Simulator: projection geometry, positioning controls, determinism, files and DICOM round trip."""
import json
import math

import numpy as np
import pytest

from radiographqc.simulate.generate import simulate_case
from radiographqc.simulate.scene import Projection, Structure, render
from radiographqc.simulate.shapes import Cylinder, Ellipsoid, rot_x
from radiographqc.simulate.wrist import WristParams, exit_point, simulate_wrist


def _wrist(**kw):
    kw.setdefault("pixel_mm", 0.5)
    return simulate_wrist(WristParams(**kw), np.random.default_rng(7))


def test_a_known_point_projects_with_magnification_sid_over_sod():
    proj = Projection(sid_mm=1000.0, pixel_mm=0.5, rows=101, cols=201)
    # z = 200 mm above the detector: magnification 1000 / 800 = 1.25
    assert proj.project([10.0, -20.0, 200.0])[0] == pytest.approx([10 * 1.25 / 0.5 + 100, 0.0])
    ball = Structure("ball", [Ellipsoid((10.0, -12.0, 200.0), (1.0, 1.0, 1.0))], kind="metal",
                     mu=1.0, label="ball")
    mask = render([ball], proj).masks["ball"]
    rows, cols = np.nonzero(mask)
    assert (cols.mean(), rows.mean()) == pytest.approx((125.0, 20.0), abs=0.05)
    assert mask.sum() == pytest.approx(math.pi * (1.25 / 0.5) ** 2, rel=0.3)


def test_chord_through_a_sphere_and_a_tilted_cylinder_is_exact_on_the_central_ray():
    proj = Projection(sid_mm=1000.0, pixel_mm=0.2, rows=51, cols=51)
    sphere = Structure("s", [Ellipsoid((0.0, 0.0, 50.0), (7.0, 7.0, 7.0))], mu=1.0, kind="soft")
    assert render([sphere], proj).soft[25, 25] == pytest.approx(14.0)
    # tube axis turned 60 degrees from y towards z: 30 degrees from the beam, chord 2 r / sin 30
    tube = Structure("t", [Cylinder((0.0, 0.0, 50.0), (3.0, 40.0, 3.0), rot_x(60.0))], mu=1.0,
                     kind="soft")
    assert render([tube], proj).soft[25, 25] == pytest.approx(6.0 / math.sin(math.radians(30)))


def _signed_angle(a, b):
    return math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))


def test_inplane_forearm_rotation_turns_the_ap_styloid_line_by_the_same_angle():
    base = _wrist(view="AP", inplane_deg=0.0).keypoints
    turned = _wrist(view="AP", inplane_deg=12.0).keypoints
    change = _signed_angle(turned["P2"], turned["P3"]) - _signed_angle(base["P2"], base["P3"])
    assert (change + 180.0) % 360.0 - 180.0 == pytest.approx(12.0, abs=0.2)


@pytest.mark.parametrize("rotation", [0.0, 20.0, 40.0])
def test_supination_separates_radius_and_ulna_in_the_lateral_view(rotation):
    case = _wrist(view="LAT", supination_deg=rotation)
    kp = case.keypoints
    sep_mm = abs(kp["P4"][0] - kp["P2"][0]) * case.projection.pixel_mm / case.truth["magnification"]
    # distal ulna - distal radius centre in the anatomy frame is (-25.5, 2, 2) mm: after the
    # lateral turn by 90 + rotation the horizontal offset is 25.5 sin(rot) - 2 cos(rot)
    phi = math.radians(rotation)
    assert sep_mm == pytest.approx(abs(25.5 * math.sin(phi) - 2 * math.cos(phi)), abs=0.7)


def test_lat1_angle_grows_with_forearm_rotation():
    from radiographqc.simulate.truth import wrist_measures

    def alpha(rotation):
        case = _wrist(view="LAT", supination_deg=rotation)
        p = case.projection
        return wrist_measures("LAT", case.keypoints, p.rows, p.cols, p.pixel_mm)["LAT1_alpha_deg"]

    values = [alpha(r) for r in (0.0, 10.0, 20.0, 30.0)]
    # the profile scores LAT1 zero above 60 degrees: 30 degrees of supination fails it
    assert values == sorted(values) and values[0] < 10.0 and values[-1] > 60.0


def test_lateral_scaphoid_point_lies_close_to_the_distal_radius_centre_as_annotated():
    case = _wrist(view="LAT")
    kp, rows = case.keypoints, case.projection.rows
    # real annotations: median |P1 - P2| = 0.023 of the image height (10-90 %: 0.014-0.038)
    assert 0.012 < math.dist(kp["P1"], kp["P2"]) / rows < 0.035


def test_thumb_mcp_is_absent_when_the_field_cuts_it_off():
    assert _wrist(view="AP", target_v=0.5).keypoints["P1"] is not None
    assert _wrist(view="AP", target_v=0.1).keypoints["P1"] is None


def test_proximal_points_lie_on_the_shaft_axis_inset_from_the_field_edge():
    proj = Projection(1000.0, 1.0, rows=100, cols=80)
    assert exit_point((40.0, 50.0), (40.0, 60.0), proj) == pytest.approx([40.0, 99.5 - 3.8])
    assert exit_point((40.0, 50.0), (50.0, 60.0), proj)[0] == pytest.approx(79.5 - 80 * 0.038)
    assert exit_point((1.0, 50.0), (1.0, 60.0), proj) is None


def test_same_seed_and_index_give_the_same_case_and_other_indices_differ():
    a, _ = simulate_case("wrist", "LAT", "routine", seed=3, index=5, long_side=256)
    b, _ = simulate_case("wrist", "LAT", "routine", seed=3, index=5, long_side=256)
    c, _ = simulate_case("wrist", "LAT", "routine", seed=3, index=6, long_side=256)
    assert np.array_equal(a.image, b.image) and a.keypoints == b.keypoints
    assert a.keypoints != c.keypoints


def _scores_zero(task: dict, x: float) -> bool:
    """True when x lies in no band of a profile task that gives points."""
    for band in task["bands"]:
        if band["score"] == 0:
            continue
        lo_ok = band["lo"] is None or x > band["lo"] or (band["lo_incl"] and x == band["lo"])
        hi_ok = band["hi"] is None or x < band["hi"] or (band["hi_incl"] and x == band["hi"])
        if lo_ok and hi_ok:
            return False
    return True


_MEASURE = {"AP1": ["AP1_thumb_mcp_present"], "AP2": ["AP2_lower_edge_cm"],
            "AP3": ["AP3_styloid_line_deg"], "AP4": ["AP4_delta1_cm", "AP4_delta2_cm"],
            "AP5": ["AP5_d1_cm", "AP5_d2_cm"], "LAT1": ["LAT1_alpha_deg"],
            "LAT2": ["LAT2_beta_deg"], "LAT3": ["LAT3_delta1_cm", "LAT3_delta2_cm"]}


@pytest.mark.parametrize("view", ["AP", "LAT"])
def test_mispositioned_preset_fails_its_task_by_the_profile_bands(view):
    from radiographqc.profile import load_profile

    layout = load_profile("wrist")["layout"][view]
    for index in range(6):
        case, _ = simulate_case("wrist", view, "mispositioned", seed=11, index=index, long_side=192)
        task_id = case.truth["intent"]["failed_task"]
        task = layout[task_id]
        values = [float(case.truth["qc"][m]) for m in _MEASURE[task_id]]
        if task.get("target") is not None:
            values = [abs(v - task["target"]) for v in values]
        assert any(_scores_zero(task, v) for v in values), (task_id, values)


def test_cli_writes_dicom_that_the_ingest_reads_with_the_true_spacing_view_and_side(tmp_path):
    from radiographqc.dicom_io import read_radiograph
    from radiographqc.simulate.cli import main

    assert main(["wrist", "--view", "LAT", "--n", "3", "--out", str(tmp_path), "--seed", "4",
                 "--jobs", "1", "--size", "200", "--no-progress"]) == 0
    for stem in json.loads((tmp_path / "manifest.json").read_text())["cases"]:
        truth = json.loads((tmp_path / f"{stem}.truth.json").read_text())
        image = read_radiograph(tmp_path / f"{stem}.dcm")
        assert image.view == "LAT" and image.laterality == truth["laterality"]
        assert image.pixels.shape == (truth["rows"], truth["cols"])
        if "spacing" not in truth["dropped_header_items"]:
            assert image.spacing.row_mm == pytest.approx(truth["object_spacing_mm"], rel=1e-4)
        points = json.loads((tmp_path / f"{stem}.keypoints.json").read_text())
        assert points == {"view": "LAT", "points": truth["keypoints"]}

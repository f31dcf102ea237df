"""The lumbar command line end to end: DICOM + label files in, JSON/HTML/CSV out, bad files skipped."""
import csv
import json

import numpy as np

from radiographqc.cli import main
from radiographqc.dicom_write import write_dx
from radiographqc.label_io import read_masks, write_label_files

ROWS, COLS = 400, 200
LEVELS = ["T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5"]


def a_spine(n_levels):
    """Bodies 40 px tall with 8 px discs, centred; the lowest is L5, the sacrum below it."""
    instances = np.zeros((ROWS, COLS), np.uint16)
    levels = LEVELS[-n_levels:]
    for i, level in enumerate(levels, start=1):
        top = 10 + (i - 1) * 48
        instances[top:top + 40, 70:130] = i
    sacrum = np.zeros((ROWS, COLS), bool)
    sacrum[10 + n_levels * 48:10 + n_levels * 48 + 30, 75:125] = True
    return instances, {level: i for i, level in enumerate(levels, start=1)}, sacrum


def an_ap_case(folder, stem, n_levels):
    instances, ids, sacrum = a_spine(n_levels)
    image = np.where(instances > 0, 3000.0, 1000.0).astype(np.float32)
    write_dx(folder / f"{stem}.dcm", image, spacing_mm=0.5, view_position="AP", body_part="LSPINE")
    bodies = instances > 0
    spinous = np.zeros_like(bodies)
    spinous[:, 97:103] = bodies[:, 97:103]
    l3 = instances == ids["L3"]
    pelvis = np.zeros_like(bodies)
    pelvis[ROWS - 40:, :] = True
    write_label_files(folder / f"{stem}.labels.json", {"vertebrae": bodies, "L3": l3, "L3_double_contour": np.zeros_like(l3),
                                                "spinous_processes": spinous, "pelvis": pelvis, "sacrum": sacrum},
                "AP", instances, ids)


def test_a_folder_is_checked_rule_by_rule_and_a_broken_label_file_is_reported(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    an_ap_case(data, "seven", 7)
    an_ap_case(data, "eight", 8)
    an_ap_case(data, "broken", 7)
    (data / "broken.labels.json").write_text("{not json")
    out = tmp_path / "out"
    assert main(["lumbar", str(data), "--out", str(out), "--no-progress"]) == 1
    seven = json.loads((out / "seven.json").read_text())
    eight = json.loads((out / "eight.json").read_text())
    count = {r["id"]: r for r in eight["rules"]}["vertebra_count"]
    assert count["value"] == 8 and count["passed"] is False and "T10" in count["explanation"]
    assert eight["qualified"] is False
    assert {r["id"]: r for r in seven["rules"]}["vertebra_count"]["passed"] is True
    assert [v["label"] for v in seven["vertebrae"]] == LEVELS[1:]
    l3 = next(v for v in seven["vertebrae"] if v["label"] == "L3")
    assert l3["centroid"] == [99.5, 10 + 4 * 48 + 19.5]  # 5th body from the top: T11 T12 L1 L2 L3 and l3["area_px"] == 40 * 60
    rows = {r["file"].split("/")[-1]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert rows["broken.dcm"]["status"] == "error" and "broken.labels.json" in rows["broken.dcm"]["error"]
    assert "data:image/png;base64," in (out / "seven.html").read_text()


def test_label_files_round_trip_with_levels_and_overlapping_structures(tmp_path):
    instances, ids, sacrum = a_spine(7)
    bodies = instances > 0
    write_label_files(tmp_path / "x.labels.json", {"vertebrae": bodies, "L3": instances == ids["L3"], "sacrum": sacrum},
                "LAT", instances, ids)
    masks = read_masks(tmp_path / "x.labels.json")
    assert masks.view == "LAT"
    assert np.array_equal(masks.structure("vertebrae"), bodies)
    assert np.array_equal(masks.structure("L3"), instances == ids["L3"])
    assert masks.vertebra_names == {i: level for level, i in ids.items()}


def test_without_label_files_the_bundled_model_segments_the_image(tmp_path):
    import shutil
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "Resources" / "Samples" / "lumbar"
    shutil.copy(samples / "lumbar_lat_routine.dcm", tmp_path)
    assert main(["lumbar", str(tmp_path / "lumbar_lat_routine.dcm"), "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    report = json.loads((tmp_path / "o" / "lumbar_lat_routine.json").read_text())
    truth = json.loads((samples / "truth" / "lumbar_lat_routine.truth.json").read_text())
    assert report["masks"]["source"] == "model" and report["models"][0]["id"] == "lumbar-seg"
    assert len(report["vertebrae"]) == truth["qc"]["vertebra_count"]
    assert "L3" in [v["label"] for v in report["vertebrae"]]

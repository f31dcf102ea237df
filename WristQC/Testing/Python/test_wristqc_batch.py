"""The step-wise batch runner the WristQC widget drives from a timer: progress, cancel, bad files."""
import csv

from wristqc_testdata import write_wrist_dicom
from test_wristqc_logic import GOOD_AP, keypoints, spec_grade


def a_folder(tmp_path):
    from radiographqc.wrist.keypoints import write_keypoints

    folder = tmp_path / "study"
    folder.mkdir()
    for name in ("a", "c"):
        write_wrist_dicom(folder / f"{name}.dcm")
        write_keypoints(folder / f"{name}.keypoints.json", keypoints(GOOD_AP))
    (folder / "b.dcm").write_bytes(b"not a dicom file")
    return folder


def summary(runner):
    with open(runner.result.summary_path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_batch_reports_progress_per_file_and_goes_on_after_a_bad_file(wrist_logic, tmp_path):
    folder = a_folder(tmp_path)
    wrist_logic.artefacts.probability = 0.9     # the logic's classifier, not another one, scores the batch
    runner = wrist_logic.createBatchRunner([folder], tmp_path / "out")
    steps = []
    result = runner.run(steps.append)
    assert [round(s.progress, 3) for s in steps] == [0.333, 0.667, 1.0]
    assert [s.path.name for s in steps] == ["a.dcm", "b.dcm", "c.dcm"]
    assert steps[1].error.startswith(str(steps[1].path)) and steps[1].report_path is None
    assert result.failed == 1 and runner.finished
    rows = summary(runner)
    scored = ("ok", "85", spec_grade(85, 100))     # a foreign body found: the artefact item scores 0
    assert [(r["status"], r["total"], r["grade"]) for r in rows] == [scored, ("error", "", ""), scored]
    assert (tmp_path / "out" / "a.json").is_file() and (tmp_path / "out" / "c.html").is_file()


def test_cancel_stops_before_the_next_file_and_keeps_what_was_done(wrist_logic, tmp_path):
    runner = wrist_logic.createBatchRunner([a_folder(tmp_path)], tmp_path / "out")
    first = runner.step()
    runner.cancel()
    assert first.done == 1 and first.error is None
    assert runner.step() is None and runner.finished
    assert [r["file"].rsplit("/", 1)[1] for r in summary(runner)] == ["a.dcm"]
    assert not (tmp_path / "out" / "c.json").exists()

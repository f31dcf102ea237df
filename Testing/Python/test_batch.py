"""The batch runner: a file whose report cannot be written fails alone, the batch goes on."""
from radiographqc.batch import BatchRunner, Outcome


def a_report(path):
    return Outcome({"module": "wrist", "view": "AP", "grade": "A", "total": 90,
                    "max_assessable": 100, "max_total": 100, "items": []}, None)


def test_a_report_that_cannot_be_written_fails_that_file_and_the_batch_goes_on(tmp_path):
    images = [tmp_path / "first.dcm", tmp_path / "second.dcm"]
    for image in images:
        image.write_bytes(b"not read by the stand-in process")
    out = tmp_path / "out"
    (out / "first.json").mkdir(parents=True)     # a folder where the report file should go
    runner = BatchRunner(images, a_report, out)
    steps = [runner.step(), runner.step()]
    assert runner.step() is None
    assert "first.dcm: cannot write its report" in steps[0].error
    assert steps[1].error is None and steps[1].report_path == out / "second.json"
    assert runner.result.failed == 1
    assert [row["status"] for row in runner.result.rows] == ["error", "ok"]
    assert "cannot write its report" in runner.result.summary_path.read_text()

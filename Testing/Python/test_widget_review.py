"""The module widgets' review workflow as a person drives it: Apply, corrections, a saved scene
reopened, Apply again, exports, the profile field, the batch. Slicer's own widget-side Python
(ScriptedLoadableModule, parameterNodeWrapper) runs over slicer-core; only Qt is stood in for
(the `stock_slicer` fixture, Testing/Python/slicer_stock/)."""
from pathlib import Path

import pytest

from conftest_slicer import a_scene, slicer_module, stock_slicer  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
WRIST_SAMPLE = ROOT / "Resources" / "Samples" / "wrist" / "wrist_ap_routine.dcm"


@pytest.fixture(autouse=True)
def widgets_cleaned_up(stock_slicer):
    """Slicer calls a module widget's cleanup() when the module is unloaded: so do these tests,
    before the scene goes."""
    created = []
    create = stock_slicer.create_widget
    stock_slicer.create_widget = lambda name: created.append(create(name)) or created[-1]
    yield
    for widget in created:
        widget.cleanup()


def wrist_widget(stock_slicer):
    stock_slicer.load_module(ROOT / "WristQC" / "WristQC.py")
    widget = stock_slicer.create_widget("WristQC")
    # Apply would otherwise try a real install (the install itself is tested in test_slicer_stock.py)
    assert widget.logic.missingDependencies() == [], "install the project's requirements: pip install -e .[test]"
    stock_slicer.enter(widget)
    widget.ui.dicomPathLineEdit.currentPath = str(WRIST_SAMPLE)
    widget.ui.loadButton.click()
    return widget


def applied_wrist_widget(stock_slicer):
    widget = wrist_widget(stock_slicer)
    widget.ui.applyButton.click()
    assert stock_slicer.take_slot_errors() == []
    assert widget.logic.result is not None
    return widget


def move_a_point(widget):
    x, y = widget.logic.pointPixels()["P2"]
    widget.logic.setPointPixel("P2", (x + 25.0, y + 10.0))
    assert widget.logic.hasReviewerChanges()


def table_observations(widget):
    return [(obj, event) for obj, event, method, *_ in widget.Observations
            if method == widget.onResultsModified]


def test_apply_shows_the_results_and_another_apply_observes_only_the_new_table(stock_slicer):
    widget = applied_wrist_widget(stock_slicer)
    first = widget.logic.tableNode
    widget.ui.applyButton.click()
    second = widget.logic.tableNode
    assert second is not first
    assert [obj for obj, event in table_observations(widget)] == [second]
    assert widget._parameterNode.results is second
    assert widget.ui.gradeLabel.text.startswith("Grade ")


def test_apply_on_a_corrected_case_asks_and_cancel_keeps_the_corrections(stock_slicer, monkeypatch):
    import slicer

    widget = applied_wrist_widget(stock_slicer)
    move_a_point(widget)
    corrected = widget.logic.pointPixels()
    questions = []
    monkeypatch.setattr(slicer.util, "confirmOkCancelDisplay", lambda text, **kw: questions.append(text) or False)
    widget.ui.applyButton.click()
    assert len(questions) == 1 and "corrections made by a reviewer" in questions[0]
    assert widget.logic.pointPixels() == corrected and widget.logic.hasReviewerChanges()


def test_apply_on_a_corrected_case_replaces_the_corrections_when_confirmed(stock_slicer, monkeypatch):
    import slicer

    widget = applied_wrist_widget(stock_slicer)
    move_a_point(widget)
    monkeypatch.setattr(slicer.util, "confirmOkCancelDisplay", lambda text, **kw: True)
    widget.ui.applyButton.click()
    assert not widget.logic.hasReviewerChanges()


def test_a_saved_scene_reopened_resumes_the_review_with_its_corrections_and_undo(stock_slicer, tmp_path):
    widget = applied_wrist_widget(stock_slicer)
    move_a_point(widget)
    corrected, score = widget.logic.pointPixels(), widget.logic.result.total
    scene = stock_slicer.scene
    mrb = tmp_path / "review.mrb"
    assert scene.WriteToMRB(str(mrb))
    scene.Clear(0)
    assert widget.logic.result is None              # the scene's close ended the case
    assert scene.ReadFromMRB(str(mrb))              # File > Load scene: its EndImportEvent
    assert stock_slicer.take_slot_errors() == []
    assert widget.logic.volumeNode is not None and widget.logic.volumeNode.GetName() == WRIST_SAMPLE.stem
    resumed = widget.logic.pointPixels()
    assert resumed.keys() == corrected.keys()
    assert all(abs(resumed[p][0] - corrected[p][0]) < 1e-3 and abs(resumed[p][1] - corrected[p][1]) < 1e-3
               for p in corrected if corrected[p] is not None)
    assert widget.logic.result.total == score and widget.logic.hasReviewerChanges()
    assert widget.ui.undoButton.enabled
    widget.ui.undoButton.click()
    assert not widget.logic.hasReviewerChanges()


def test_an_export_without_a_folder_writes_nothing_anywhere(stock_slicer, tmp_path, monkeypatch):
    widget = applied_wrist_widget(stock_slicer)
    work = tmp_path / "working-directory"
    work.mkdir()
    monkeypatch.chdir(work)
    widget.ui.exportFolderLineEdit.currentPath = ""
    widget.ui.exportReportButton.click()
    widget.ui.exportTrainingButton.click()
    assert stock_slicer.take_slot_errors() == []
    assert list(work.iterdir()) == []


def test_clearing_the_profile_field_returns_to_the_default_profile(stock_slicer, tmp_path):
    widget = applied_wrist_widget(stock_slicer)
    strict = tmp_path / "strict.json"
    strict.write_text('{"name": "strict", "keypoints": {"low_confidence": 0.99}}')
    widget.ui.profilePathLineEdit.currentPath = str(strict)
    widget.profileTimer.timeout.emit()
    assert widget.logic.profilePath == str(strict)
    text = str(strict)
    while text:                                      # backspace by backspace, as a person clears it
        text = text[:-1]
        widget.ui.profilePathLineEdit.currentPath = text
        if widget.profileTimer.isActive():           # slowly: the timer fires between the keys
            widget.profileTimer.stop()
            widget.profileTimer.timeout.emit()
    assert widget.logic.profilePath is None and widget._parameterNode.profilePath == ""
    assert widget.logic.profile["name"] != "strict"


def test_a_partial_profile_path_neither_loads_nor_shows_an_error(stock_slicer, tmp_path):
    widget = applied_wrist_widget(stock_slicer)
    widget.ui.profilePathLineEdit.currentPath = str(tmp_path / "stri")
    widget.profileTimer.timeout.emit()
    assert stock_slicer.take_slot_errors() == []
    assert widget.logic.profilePath is None
    assert "not a JSON or YAML file yet" in widget.ui.statusLabel.text


def start_batch(widget, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / WRIST_SAMPLE.name).write_bytes(WRIST_SAMPLE.read_bytes())
    widget.ui.batchInputLineEdit.currentPath = str(inputs)
    widget.ui.batchOutputLineEdit.currentPath = str(tmp_path / "out")
    widget.ui.batchStartButton.click()
    assert widget.batchTimer.isActive() and widget.ui.batchCancelButton.enabled


def test_closing_the_module_stops_a_running_batch(stock_slicer, tmp_path):
    widget = wrist_widget(stock_slicer)
    start_batch(widget, tmp_path)
    timer = widget.batchTimer
    widget.cleanup()
    assert not timer.isActive() and widget.batchRunner is None


def test_a_batch_that_fails_outside_a_file_stops_with_its_message(stock_slicer, tmp_path, monkeypatch):
    import slicer

    widget = wrist_widget(stock_slicer)
    start_batch(widget, tmp_path)
    shown = []
    monkeypatch.setattr(slicer.util, "errorDisplay", lambda text, **kw: shown.append(text))

    def full_disk():
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(widget.batchRunner, "step", full_disk)
    widget.batchTimer.timeout.emit()
    assert stock_slicer.take_slot_errors() == []
    assert widget.batchTimer is None and widget.ui.batchStartButton.enabled
    assert "No space left on device" in widget.ui.statusLabel.text and len(shown) == 1


def test_a_batch_runs_file_by_file_on_the_timer_and_writes_the_summary(stock_slicer, tmp_path):
    widget = wrist_widget(stock_slicer)
    start_batch(widget, tmp_path)
    for _ in range(3):
        if widget.batchTimer is None:
            break
        widget.batchTimer.timeout.emit()
    assert widget.batchTimer is None
    assert "Batch finished: 1 files, 0 failed" in widget.ui.statusLabel.text
    assert (tmp_path / "out" / "summary.csv").is_file()

"""Redo in the WristQC review: an undone correction can be made again until a new correction is made;
the redo history is saved with the scene like the undo history; the widget's Redo button follows it."""
from pathlib import Path

import pytest

from test_wristqc_logic import GOOD_AP, expected_total, keypoints, table_rows

ROOT = Path(__file__).resolve().parents[3]
WRIST_SAMPLE = ROOT / "Resources" / "Samples" / "wrist" / "wrist_ap_routine.dcm"
TILTED_P3 = (319.5, 330.0)


def corrected_twice(logic, volume):
    """P3 moved down, then P1 unplaced: two corrections."""
    logic.process(volume, keypoints(GOOD_AP))
    logic.setPointPixel("P3", TILTED_P3)
    logic.setPointPixel("P1", None)
    return logic


def test_nothing_can_be_redone_before_an_undo(wrist_logic, a_wrist_volume):
    corrected_twice(wrist_logic, a_wrist_volume)
    assert not wrist_logic.canRedo() and not wrist_logic.redo()
    assert wrist_logic.pointPixels()["P1"] is None


def test_redo_makes_the_undone_corrections_again_in_order_and_rescores(wrist_logic, a_wrist_volume):
    corrected_twice(wrist_logic, a_wrist_volume)
    both = dict(GOOD_AP, P1=None, P3=TILTED_P3)
    assert wrist_logic.result.total == expected_total(both)
    assert wrist_logic.undo() and wrist_logic.undo() and not wrist_logic.canUndo()
    assert wrist_logic.result.total == expected_total(GOOD_AP)
    assert wrist_logic.canRedo()
    assert wrist_logic.redo()
    assert wrist_logic.pointPixels()["P3"] == pytest.approx(TILTED_P3, abs=1e-9)
    assert wrist_logic.pointPixels()["P1"] == pytest.approx(GOOD_AP["P1"], abs=1e-9)
    assert wrist_logic.result.total == expected_total(dict(GOOD_AP, P3=TILTED_P3))
    assert int(table_rows(wrist_logic)["total"]["score"]) == wrist_logic.result.total
    assert wrist_logic.redo() and not wrist_logic.canRedo() and not wrist_logic.redo()
    assert wrist_logic.pointPixels()["P1"] is None
    assert wrist_logic.result.total == expected_total(both)
    assert [c["point"] for c in wrist_logic.corrections()] == ["P1", "P3"]


def test_a_redone_correction_can_be_undone_again(wrist_logic, a_wrist_volume):
    corrected_twice(wrist_logic, a_wrist_volume)
    assert wrist_logic.undo() and wrist_logic.redo()
    assert wrist_logic.undo() and wrist_logic.pointPixels()["P1"] == pytest.approx(GOOD_AP["P1"], abs=1e-9)
    assert wrist_logic.undo() and wrist_logic.pointPixels()["P3"] == pytest.approx(GOOD_AP["P3"], abs=1e-9)
    assert not wrist_logic.canUndo() and wrist_logic.corrections() == []


def test_a_new_correction_after_an_undo_ends_what_could_be_redone(wrist_logic, a_wrist_volume):
    corrected_twice(wrist_logic, a_wrist_volume)
    assert wrist_logic.undo() and wrist_logic.canRedo()
    wrist_logic.setPointPixel("P2", (150.0, 300.0))
    assert not wrist_logic.canRedo() and not wrist_logic.redo()
    assert wrist_logic.pointPixels()["P1"] == pytest.approx(GOOD_AP["P1"], abs=1e-9)
    assert wrist_logic.undo() and wrist_logic.pointPixels()["P2"] == pytest.approx(GOOD_AP["P2"], abs=1e-9)


def test_undo_and_redo_are_no_corrections_of_their_own(wrist_logic, a_wrist_volume):
    """Applying a recorded state fires point events; none of them may record a correction (which would
    clear the redo history)."""
    corrected_twice(wrist_logic, a_wrist_volume)
    assert wrist_logic.undo()
    assert not wrist_logic.commitCorrection()
    assert wrist_logic.canRedo() and wrist_logic.redo()
    assert not wrist_logic.commitCorrection()
    assert wrist_logic.canUndo()


def test_the_redo_history_is_an_attribute_of_the_keypoint_list(wrist_logic, a_wrist_volume):
    import json

    from RadiographQCLib import mrml

    corrected_twice(wrist_logic, a_wrist_volume)
    assert json.loads(wrist_logic.pointsNode.GetAttribute(mrml.ATTR + "redo")) == []
    wrist_logic.undo()
    (state,) = json.loads(wrist_logic.pointsNode.GetAttribute(mrml.ATTR + "redo"))
    assert state["P1"] is None and state["P3"] == pytest.approx(list(TILTED_P3), abs=1e-9)
    assert len(json.loads(wrist_logic.pointsNode.GetAttribute(mrml.ATTR + "undo"))) == 1


def test_a_review_saved_after_an_undo_resumes_with_its_redo_history(wrist_logic, a_wrist_volume, wrist_dicom,
                                                                     tmp_path, slicer_module):
    from WristQCLib.logic import WristQCLogic
    from conftest_slicer import build_scene

    corrected_twice(wrist_logic, a_wrist_volume)
    wrist_logic.undo()
    wrist_logic.undo()
    mrb = tmp_path / "review.mrb"
    assert wrist_logic.scene.WriteToMRB(str(mrb))

    scene, *_ = build_scene(slicer_module, tmp_path / "cache2")
    assert scene.ReadFromMRB(str(mrb))
    restored = WristQCLogic(scene, userName="tester")
    result = restored.restoreCase(scene.GetFirstNodeByName(a_wrist_volume.GetName()))
    assert result.total == expected_total(GOOD_AP) and not restored.canUndo() and restored.canRedo()
    assert restored.redo() and restored.redo() and not restored.canRedo()
    assert restored.pointPixels()["P1"] is None
    assert restored.pointPixels()["P3"] == pytest.approx(TILTED_P3, abs=1e-6)
    assert restored.result.total == expected_total(dict(GOOD_AP, P1=None, P3=TILTED_P3))
    restored.cleanup()


def test_the_widgets_redo_button_follows_the_history_and_redoes(stock_slicer):
    stock_slicer.load_module(ROOT / "WristQC" / "WristQC.py")
    widget = stock_slicer.create_widget("WristQC")
    try:
        assert widget.logic.missingDependencies() == [], "install the project's requirements: pip install -e .[test]"
        stock_slicer.enter(widget)
        widget.ui.dicomPathLineEdit.currentPath = str(WRIST_SAMPLE)
        widget.ui.loadButton.click()
        widget.ui.applyButton.click()
        assert not widget.ui.redoButton.enabled and not widget.ui.undoButton.enabled
        x, y = widget.logic.pointPixels()["P2"]
        widget.logic.setPointPixel("P2", (x + 25.0, y + 10.0))   # the table's update enables Undo
        assert widget.ui.undoButton.enabled and not widget.ui.redoButton.enabled
        widget.ui.undoButton.click()
        assert not widget.logic.hasReviewerChanges()
        assert widget.ui.redoButton.enabled and not widget.ui.undoButton.enabled
        widget.ui.redoButton.click()
        assert widget.logic.pointPixels()["P2"] == pytest.approx((x + 25.0, y + 10.0), abs=1e-6)
        assert widget.ui.undoButton.enabled and not widget.ui.redoButton.enabled
        assert stock_slicer.take_slot_errors() == []
    finally:
        widget.cleanup()

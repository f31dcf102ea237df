"""Editing a LumbarQC case in the Segment Editor (slicer-core): overlapping structures survive a stroke,
the rules run once per edit, and only the edited segments are read again."""
import numpy as np
import pytest

from lumbarqc_testdata import CoalescingScheduler, brush_stroke


@pytest.fixture
def rules_runs(monkeypatch):
    """How many times the logic ran the rules."""
    import LumbarQCLib.logic as logic_module

    runs = []
    evaluate = logic_module.evaluate_lumbar
    monkeypatch.setattr(logic_module, "evaluate_lumbar", lambda *a, **k: runs.append(1) or evaluate(*a, **k))
    return runs


def upper_third(mask):
    rows = np.flatnonzero(mask.any(axis=1))
    top = rows[0] + (rows[-1] - rows[0]) // 3
    return mask & (np.arange(mask.shape[0])[:, None] < top)


def editor_node(logic):
    """A Segment Editor parameter node as Slicer's editor starts it: overwrite all, mask everywhere."""
    return logic.scene.AddNewNodeByClass("vtkMRMLSegmentEditorNode")


def test_a_stroke_through_the_configured_segment_editor_keeps_the_structures_it_overlaps(lumbar_logic, lumbar_ap):
    import slicer

    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    node = editor_node(lumbar_logic)
    node.SetMaskMode(slicer.vtkMRMLSegmentationNode.EditAllowedInsideAllSegments)
    node.SourceVolumeIntensityMaskOn()
    lumbar_logic.configureSegmentEditor(node)
    assert node.GetSegmentationNode() is lumbar_logic.segmentationNode
    assert node.GetSourceVolumeNode() is lumbar_logic.volumeNode
    assert node.GetOverwriteMode() == node.OverwriteNone
    assert node.GetMaskMode() == slicer.vtkMRMLSegmentationNode.EditAllowedEverywhere
    assert not node.GetSourceVolumeIntensityMask()
    l3, double = lumbar_logic.segmentMask("L3"), lumbar_logic.segmentMask("L3_double_contour")
    stroke = upper_third(l3)
    brush_stroke(node, lumbar_logic.volumeNode, "L3_double_contour", stroke)
    assert np.array_equal(lumbar_logic.segmentMask("L3"), l3)
    assert np.array_equal(lumbar_logic.segmentMask("L3_double_contour"), double | stroke)
    assert {r.id: r for r in lumbar_logic.result.rules}["l3_double_contour"].passed is False


def test_a_stroke_through_slicers_default_editor_settings_erases_the_overlapped_structure(lumbar_logic, lumbar_ap):
    """Why the case configures the editor: with Slicer's default (OverwriteAllSegments) the stroke
    is taken out of L3."""
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    node = editor_node(lumbar_logic)
    node.SetAndObserveSegmentationNode(lumbar_logic.segmentationNode)
    l3 = lumbar_logic.segmentMask("L3")
    stroke = upper_third(l3)
    brush_stroke(node, lumbar_logic.volumeNode, "L3_double_contour", stroke)
    assert not (lumbar_logic.segmentMask("L3") & stroke).any()


def test_the_events_of_one_stroke_give_one_rules_run_with_a_coalescing_scheduler(lumbar_ap, a_scene, rules_runs):
    from LumbarQCLib.logic import LumbarQCLogic

    scheduler = CoalescingScheduler()
    logic = LumbarQCLogic(a_scene, userName="tester", schedule=scheduler)
    logic.process(logic.loadRadiograph(lumbar_ap))
    node = editor_node(logic)
    logic.configureSegmentEditor(node)
    rules_runs.clear()
    before = logic.result
    brush_stroke(node, logic.volumeNode, "L3_double_contour", upper_third(logic.segmentMask("L3")))
    assert scheduler.requests > 1 and not rules_runs and logic.result is before
    scheduler.flush()
    assert len(rules_runs) == 1
    assert {r.id: r for r in logic.result.rules}["l3_double_contour"].passed is False
    logic.cleanup()


def test_a_report_asked_for_before_the_scheduled_run_has_the_edit(lumbar_ap, a_scene, rules_runs):
    from LumbarQCLib.logic import LumbarQCLogic

    scheduler = CoalescingScheduler()
    logic = LumbarQCLogic(a_scene, userName="tester", schedule=scheduler)
    logic.process(logic.loadRadiograph(lumbar_ap))
    logic.setSegmentMask("L3_double_contour", logic.segmentMask("L3"))
    assert logic.report()["qualified"] is False
    runs = len(rules_runs)
    scheduler.flush()                        # the timer fires later: the edit's run is done already
    logic.setSegmentMask("L3_double_contour", logic.segmentMask("L3") & False)
    logic.cleanup()                          # the case is closed before the timer fires
    scheduler.flush()
    assert len(rules_runs) == runs


def test_an_edit_reads_again_only_the_segment_whose_labelmap_changed(lumbar_logic, lumbar_ap, monkeypatch):
    from RadiographQCLib import mrml

    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    reads, read = [], mrml.segmentMask
    monkeypatch.setattr(mrml, "segmentMask", lambda node, sid, shape: reads.append(sid) or read(node, sid, shape))
    lumbar_logic.computeRules()
    assert reads == []
    grown = lumbar_logic.segmentMask("L3_double_contour") | upper_third(lumbar_logic.segmentMask("L3"))
    lumbar_logic.setSegmentMask("L3_double_contour", grown)          # the rules re-run from the event
    assert reads == ["L3_double_contour"]
    assert np.array_equal(lumbar_logic.segmentMask("L3_double_contour"), grown)
    lumbar_logic.segmentationNode.GetSegmentation().RemoveSegment("pelvis")
    assert "pelvis" not in lumbar_logic.currentMasks() and reads == ["L3_double_contour"]


def test_renaming_a_segment_reruns_the_rules_but_its_status_tag_does_not(lumbar_logic, lumbar_ap, rules_runs):
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    segment = lumbar_logic.segmentationNode.GetSegmentation().GetSegment("pelvis")
    rules_runs.clear()
    segment.SetTag("Segmentation.Status", "inprogress")
    assert rules_runs == []
    segment.SetName("not the pelvis")
    assert len(rules_runs) == 1 and lumbar_logic.lumbarMasks().structures.keys() >= {"pelvis"}

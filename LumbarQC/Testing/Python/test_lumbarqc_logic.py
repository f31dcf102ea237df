"""LumbarQC logic against a real MRML scene (slicer-core): segments, rules, edits, export, save."""
import csv
import json

import numpy as np
import pytest
import vtk

from lumbarqc_testdata import copy_case


def truth(image):
    """The simulator's ground truth of a sample: {level: instance id} and its QC measurements."""
    data = json.loads(image.with_name(image.name.replace(".dcm", ".truth.json")).read_text())
    return {level: v["id"] for level, v in data["vertebrae"].items()}, data["qc"]


def rows(logic):
    from RadiographQCLib import mrml

    return {row["id"]: row for row in mrml.readTable(logic.tableNode)}


def terminology_tag(segment) -> str:
    """The terminology entry as Slicer 5.8 and later store it: the segment's tag (not GetTerminology,
    which only Slicer 5.10 and later have)."""
    import slicer

    value = vtk.reference("")
    assert segment.GetTag(slicer.vtkSegment.GetTerminologyEntryTagName(), value)
    return str(value)


def count_profile(tmp_path, expected):
    """A department profile expecting `expected` vertebral bodies ending at L5."""
    path = tmp_path / f"count{expected}.json"
    path.write_text(json.dumps({"name": f"count{expected}", "rules": {"vertebra_count": {"expected": expected}}}))
    return path


def test_label_files_become_named_coloured_segments_with_terminology_and_levels(lumbar_logic, lumbar_ap):
    from radiographqc.lumbar import STRUCTURES

    ids, qc = truth(lumbar_ap)
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    segmentation = lumbar_logic.segmentationNode.GetSegmentation()
    names = {sid: segmentation.GetSegment(sid).GetName() for sid in lumbar_logic.segmentIds()}
    assert [names[f"vertebra_{ids[level]}"] for level in qc["visible_levels"]] == qc["visible_levels"]
    assert names["L3_double_contour"] == "L3 double contour" and names["pelvis"] == "pelvis"
    assert segmentation.GetSegment("pelvis").GetColor() == pytest.approx(
        [c / 255 for c in STRUCTURES["pelvis"].colour])
    assert "~SCT^54735007^Sacrum~" in terminology_tag(segmentation.GetSegment("sacrum"))
    assert "~SCT^51282000^Vertebra~" in terminology_tag(segmentation.GetSegment(f"vertebra_{ids['L3']}"))
    # no code for the foramina in Slicer's lists: Slicer's generic default ("Tissue") stays, no code is invented
    assert "~SCT^85756007^Tissue~SCT^85756007^Tissue~" in terminology_tag(segmentation.GetSegment("foramina"))


def test_segments_hold_exactly_the_masks_of_the_label_files(lumbar_logic, lumbar_ap):
    from radiographqc.label_io import read_masks

    lumbar_logic.loadCase(lumbar_logic.loadRadiograph(lumbar_ap))
    masks = read_masks(lumbar_ap.with_name("lumbar_ap_routine.labels.json"))
    current = lumbar_logic.currentMasks()
    ids = np.unique(masks.vertebrae)[1:]
    assert current.keys() == (set(masks.structures) - {"vertebrae"}) | {f"vertebra_{i}" for i in ids}
    assert all(np.array_equal(current[name], mask) for name, mask in masks.structures.items() if name != "vertebrae")
    assert all(np.array_equal(current[f"vertebra_{i}"], masks.vertebrae == i) for i in ids)


def test_the_rules_table_matches_the_command_line_on_the_same_sample(lumbar_logic, lumbar_ap):
    from radiographqc.lumbar.pipeline import LumbarPipeline

    result = lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    cli = LumbarPipeline(lumbar_logic.profile).assess(lumbar_ap).report
    assert [(r.id, r.value, r.passed) for r in result.rules] == [
        (r["id"], r["value"], r["passed"]) for r in cli["rules"]]
    assert result.qualified == cli["qualified"]
    table_rows = rows(lumbar_logic)
    assert table_rows["vertebra_count"]["value"] == str(truth(lumbar_ap)[1]["vertebra_count"])
    assert table_rows["verdict"]["result"] == ("QUALIFIED" if cli["qualified"] else "UNQUALIFIED")


def test_report_export_has_the_rules_the_review_and_the_segmentation_picture(lumbar_logic, lumbar_ap, tmp_path):
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    lumbar_logic.setSegmentMask("L3_double_contour", lumbar_logic.segmentMask("L3"))
    json_path, html_path = lumbar_logic.exportReport(tmp_path / "out")
    report = json.loads(json_path.read_text())
    assert report["module"] == "lumbar" and report["qualified"] is False
    assert report["masks"]["source"] == "reviewed (file)" and report["models"] == []
    assert [c["segment"] for c in report["review"]["changes"]] == ["L3_double_contour"]
    assert "data:image/png;base64," in html_path.read_text()


def test_editing_the_l3_double_contour_segment_reruns_the_rules_and_flips_the_verdict(lumbar_logic, lumbar_ap,
                                                                                      tmp_path):
    lumbar_logic.setProfile(count_profile(tmp_path, truth(lumbar_ap)[1]["vertebra_count"]))
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    assert rows(lumbar_logic)["verdict"]["result"] == "QUALIFIED"
    l3, double = lumbar_logic.segmentMask("L3"), lumbar_logic.segmentMask("L3_double_contour")
    # Paint the upper third of L3 into the double contour, as a Segment Editor paint stroke would.
    top, bottom = np.flatnonzero(l3.any(axis=1))[[0, -1]]
    grown = double | (l3 & (np.arange(l3.shape[0])[:, None] < top + (bottom - top) / 3))
    expected = (grown & l3).sum() / l3.sum()
    assert expected > 0.21
    updates = []
    lumbar_logic.tableNode.AddObserver(vtk.vtkCommand.ModifiedEvent, lambda *a: updates.append(1))
    lumbar_logic.setSegmentMask("L3_double_contour", grown)           # no explicit re-run: the event does it
    assert updates
    rule = {r.id: r for r in lumbar_logic.result.rules}["l3_double_contour"]
    assert rule.value == pytest.approx(expected, abs=1e-6) and rule.passed is False
    table_rows = rows(lumbar_logic)
    assert table_rows["l3_double_contour"]["result"] == "FAIL"
    assert table_rows["verdict"]["result"] == "UNQUALIFIED" and "l3_double_contour" in table_rows["verdict"]["explanation"]
    lumbar_logic.setSegmentMask("L3_double_contour", double)
    assert rows(lumbar_logic)["verdict"]["result"] == "QUALIFIED"


def test_removing_a_vertebra_segment_changes_the_count(lumbar_logic, lumbar_ap, tmp_path):
    ids, qc = truth(lumbar_ap)
    lumbar_logic.setProfile(count_profile(tmp_path, qc["vertebra_count"]))
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    top = qc["visible_levels"][0]
    lumbar_logic.segmentationNode.GetSegmentation().RemoveSegment(f"vertebra_{ids[top]}")   # the reviewer deletes it
    count = {r.id: r for r in lumbar_logic.result.rules}["vertebra_count"]
    assert count.value == qc["vertebra_count"] - 1 and count.passed is False
    assert rows(lumbar_logic)["vertebra_count"]["value"] == str(qc["vertebra_count"] - 1)


def test_switching_the_criteria_profile_reruns_the_rules(lumbar_logic, lumbar_ap, tmp_path):
    count = truth(lumbar_ap)[1]["vertebra_count"]
    lumbar_logic.setProfile(count_profile(tmp_path, count + 1))
    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    assert rows(lumbar_logic)["vertebra_count"]["result"] == "FAIL"
    lumbar_logic.setProfile(count_profile(tmp_path, count))
    assert rows(lumbar_logic)["vertebra_count"]["result"] == "pass" and lumbar_logic.result.qualified


def test_training_export_reimports_with_the_edit_and_its_provenance(lumbar_logic, lumbar_ap, tmp_path):
    from radiographqc.label_io import read_masks

    lumbar_logic.process(lumbar_logic.loadRadiograph(lumbar_ap))
    double = lumbar_logic.segmentMask("L3_double_contour")
    grown = double | lumbar_logic.segmentMask("L3")
    lumbar_logic.setSegmentMask("L3_double_contour", grown)
    paths = lumbar_logic.exportTrainingData(tmp_path / "train", userName="dr.who")
    assert paths["image"].read_bytes() == lumbar_ap.read_bytes()
    reread, current = read_masks(paths["labels"]), lumbar_logic.lumbarMasks()
    assert reread.view == "AP" and np.array_equal(reread.structures["L3_double_contour"], grown)
    assert all(np.array_equal(reread.structures[k], current.structures[k]) for k in current.structures)
    bodies = [(reread.vertebra_names.get(i), reread.vertebrae == i) for i in np.unique(reread.vertebrae)[1:]]
    levels = sorted(truth(lumbar_ap)[0], key=truth(lumbar_ap)[0].get)      # every body the label file names
    assert [level for level, _ in bodies] == [level for level, _ in current.vertebrae] == levels
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(bodies, current.vertebrae))
    # the exported case loads back into the module with the same rule results
    again = lumbar_logic.process(lumbar_logic.loadRadiograph(paths["image"]))
    assert [(r.id, r.value) for r in again.rules] == [(r.id, r.value) for r in
                                                       lumbar_logic.result.rules]
    provenance = json.loads(paths["provenance"].read_text())
    assert provenance["who"] == "dr.who" and provenance["view"] == "AP"
    (change,) = json.loads(paths["provenance"].read_text())["changes"]
    assert change["segment"] == "L3_double_contour" and change["pixels_removed"] == 0
    assert change["pixels_added"] == int((grown & ~double).sum()) > 0


def segment_metadata(logic):
    """{segment id: (name, every tag)}: what a reviewer sees and the module keeps besides the pixels."""
    segmentation = logic.segmentationNode.GetSegmentation()
    result = {}
    for sid in logic.segmentIds():
        segment, tags = segmentation.GetSegment(sid), {}
        for name in ("TerminologyEntry", "RadiographQC.autoName"):
            value = vtk.reference("")
            if segment.GetTag(name, value):
                tags[name] = str(value)
        result[sid] = (segment.GetName(), tags)
    return result


def test_a_fresh_case_has_no_reviewer_changes_and_an_unprocessed_volume_no_case(lumbar_logic, lumbar_ap):
    volume = lumbar_logic.loadRadiograph(lumbar_ap)
    assert not lumbar_logic.hasCase(volume) and not lumbar_logic.hasReviewerChanges()
    with pytest.raises(ValueError, match="no LumbarQC review"):
        lumbar_logic.restoreCase(volume)
    lumbar_logic.process(volume)
    assert lumbar_logic.hasCase(volume) and not lumbar_logic.hasReviewerChanges()
    lumbar_logic.setSegmentMask("pelvis", lumbar_logic.segmentMask("pelvis") & False)
    assert lumbar_logic.hasReviewerChanges()


def test_a_scene_saved_as_mrb_loads_back_with_segmentation_and_rules_and_the_review_goes_on(
        lumbar_logic, lumbar_ap, tmp_path, slicer_module):
    from conftest_slicer import build_scene
    from LumbarQCLib.logic import LumbarQCLogic
    from RadiographQCLib import mrml

    volume = lumbar_logic.loadRadiograph(lumbar_ap)
    lumbar_logic.process(volume)
    double = lumbar_logic.segmentMask("L3_double_contour")
    grown = double | lumbar_logic.segmentMask("L3")
    lumbar_logic.setSegmentMask("L3_double_contour", grown)
    saved = mrml.readTable(lumbar_logic.tableNode)
    metadata, changes = segment_metadata(lumbar_logic), lumbar_logic.changes()
    mrb = tmp_path / "review.mrb"
    assert lumbar_logic.scene.WriteToMRB(str(mrb))

    scene, *_ = build_scene(slicer_module, tmp_path / "cache2")
    assert scene.ReadFromMRB(str(mrb))
    loaded = scene.GetFirstNodeByName(volume.GetName())
    assert mrml.readTable(loaded.GetNodeReference("RadiographQC.results")) == saved
    restored = LumbarQCLogic(scene, userName="tester")
    other = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "not reviewed")
    assert restored.hasCase(loaded) and not restored.hasCase(other)
    restored.restoreCase(loaded)
    assert mrml.readTable(restored.tableNode) == saved
    assert np.array_equal(restored.segmentMask("L3_double_contour"), grown)
    # names, terminology and the module's own tags come back exactly (a "|" in a tag would split it)
    assert segment_metadata(restored) == metadata
    # the original masks came back too: the same edit is reported, so the export still tells it
    assert restored.changes() == changes and restored.hasReviewerChanges()
    restored.setSegmentMask("L3_double_contour", double)              # the review goes on: undo the edit
    assert not restored.hasReviewerChanges()
    assert mrml.readTable(restored.tableNode)[-1]["result"] != saved[-1]["result"]
    restored.cleanup()


def test_the_batch_runs_a_folder_step_by_step_and_reports_a_bad_file(lumbar_logic, tmp_path):
    folder = tmp_path / "study"
    copy_case("lumbar_ap_routine", folder)
    copy_case("lumbar_lat_routine", folder)
    (folder / "broken.dcm").write_bytes(b"no dicom")
    runner = lumbar_logic.createBatchRunner([folder], tmp_path / "out")
    steps = []
    runner.run(steps.append)
    assert [(s.path.name, s.error is None) for s in steps] == [
        ("broken.dcm", False), ("lumbar_ap_routine.dcm", True), ("lumbar_lat_routine.dcm", True)]
    assert [round(s.progress, 3) for s in steps] == [0.333, 0.667, 1.0]
    with open(runner.result.summary_path, newline="") as handle:
        summary = list(csv.DictReader(handle))
    assert [r["status"] for r in summary] == ["error", "ok", "ok"]
    assert summary[1]["module"] == "lumbar" and summary[1]["qualified"] in ("True", "False")


def test_without_a_label_file_the_bundled_model_segments_and_scores_as_the_command_line(lumbar_logic, tmp_path):
    from radiographqc.errors import ModelError
    from radiographqc.lumbar.pipeline import LumbarPipeline

    image = copy_case("lumbar_ap_routine", tmp_path / "case")
    image.with_name("lumbar_ap_routine.labels.json").unlink()
    try:
        lumbar_logic.segmenter.registry.manifest_path(lumbar_logic.segmenter.model_id)
    except ModelError:
        pytest.skip("no bundled lumbar segmentation model")
    result = lumbar_logic.process(lumbar_logic.loadRadiograph(image))
    cli = LumbarPipeline(lumbar_logic.profile, segmenter=lumbar_logic.segmenter).assess(image).report
    # whatever the model segments, the module scores the same segmentation as the command line
    assert [(r.id, r.value, r.passed) for r in result.rules] == [
        (r["id"], r["value"], r["passed"]) for r in cli["rules"]]
    report = lumbar_logic.report()
    assert report["masks"]["source"] == "model" and report["models"] == cli["models"]
    assert lumbar_logic.segmentIds()


def test_the_oblique_measurements_are_drawn_and_follow_an_edit_of_the_articular_processes(lumbar_logic, tmp_path):
    from RadiographQCLib import mrml

    image = copy_case("lumbar_obl_routine", tmp_path / "obl")
    volume = lumbar_logic.loadRadiograph(image)
    result = lumbar_logic.process(volume)
    nodes = {node.GetName(): node for node in lumbar_logic.measurementNodes()}
    iap = next(node for name, node in nodes.items() if name.startswith("inferior articular processes"))
    assert {"spine left edge", "spine right edge"} <= set(nodes)
    assert iap.IsA("vtkMRMLMarkupsLineNode") and iap.GetAttribute(mrml.ATTR + "rule") == "scottie_dog"
    drawn = {r.id: r for r in result.rules}["scottie_dog"].geometry[-1]["points"]
    ends = [mrml.rasToPixel(volume, iap.GetNthControlPointPosition(i)) for i in range(2)]
    assert np.allclose(ends, drawn, atol=1e-6)
    # the reviewer moves the articular processes 12 px to the right: the line follows, same node
    shifted = np.roll(lumbar_logic.segmentMask("inferior_articular_processes"), 12, axis=1)
    lumbar_logic.setSegmentMask("inferior_articular_processes", shifted)
    moved = mrml.rasToPixel(volume, iap.GetNthControlPointPosition(0))
    assert moved[0] == pytest.approx(ends[0][0] + 12, abs=0.5)
    assert len(lumbar_logic.measurementNodes()) == len(nodes)

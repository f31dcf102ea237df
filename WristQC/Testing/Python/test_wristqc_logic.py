"""WristQC logic against a real MRML scene (slicer-core): load, score, correct, undo, export, save."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import vtk

from wristqc_testdata import COL_MM, COLS, ROW_MM, ROWS, write_wrist_dicom

# A well-positioned AP layout on the 12 cm x 10 cm test image: the styloid midpoint (239.5, 299.5) is
# 4 cm above the lower edge and horizontally centred; P2 and P3 are 4 cm from their side edges.
GOOD_AP = {"P1": (60.0, 100.0), "P2": (159.5, 299.5), "P3": (319.5, 299.5)}


def spec_ap_scores(points):
    """AP1-AP5 scored straight from the wording of the specification (not from the profile code)."""
    def edges(p):
        x, y = p
        return {"top": (y + 0.5) * ROW_MM / 10, "bottom": (ROWS - 0.5 - y) * ROW_MM / 10,
                "left": (x + 0.5) * COL_MM / 10, "right": (COLS - 0.5 - x) * COL_MM / 10}

    def ramp(d, lo, hi, a):   # 3<=D<=5 full; 2<D<3: [a(D-2)]+1; 5<D<6: [a(6-D)]+1; else 0
        if lo <= d <= hi:
            return None
        if lo - 1 < d < lo:
            return math.floor(a * (d - (lo - 1))) + 1
        if hi < d < hi + 1:
            return math.floor(a * (hi + 1 - d)) + 1
        return 0

    def centred(delta):
        return 5 if delta <= 1 else (math.floor(4 * (2 - delta)) + 1 if delta < 2 else 0)

    p1, p2, p3 = points.get("P1"), points["P2"], points["P3"]
    mid = ((p2[0] + p3[0]) / 2, (p2[1] + p3[1]) / 2)
    d = edges(mid)["bottom"]
    ap2 = ramp(d, 3, 5, 4)
    dx, dy = (p3[0] - p2[0]) * COL_MM, (p3[1] - p2[1]) * ROW_MM
    off = abs(math.degrees(math.atan2(abs(dx), abs(dy))) - 90)
    ap3 = 10 if off <= 5 else (math.floor(9 * (10 - off) / 5) + 1 if off < 10 else 0)
    e = edges(mid)
    ap4 = centred(abs(e["top"] - e["bottom"])) + centred(abs(e["left"] - e["right"]))
    ap5 = 0
    for p in (p2, p3):
        side = min(edges(p)["left"], edges(p)["right"])
        part = ramp(side, 3, 5, 2)
        ap5 += 3 if part is None else part
    return {"AP1": 5 if p1 is not None else 0, "AP2": 5 if ap2 is None else ap2, "AP3": ap3, "AP4": ap4,
            "AP5": ap5}


def spec_grade(total, max_assessable):
    percent = 100 * total / max_assessable
    return "A" if percent >= 90 else "B" if percent >= 80 else "C" if percent >= 60 else "D"


def keypoints(points, confidence=None):
    from radiographqc.wrist.keypoints import Keypoint, Keypoints

    confidence = confidence or {}
    return Keypoints("AP", {pid: Keypoint(xy, confidence.get(pid)) for pid, xy in points.items()})


def table_rows(logic):
    from RadiographQCLib import mrml

    return {row["id"]: row for row in mrml.readTable(logic.tableNode)}


def expected_total(points):
    # full header 34, R marker found 20, the stand-in classifier's "no foreign body" 10
    return 34 + 20 + 10 + sum(spec_ap_scores(points).values())


def without_geometry(report_or_item):
    """The dict without the drawn geometry (which goes through RAS and back in the scene)."""
    if "items" in report_or_item:
        return {**report_or_item, "items": [without_geometry(item) for item in report_or_item["items"]]}
    return {key: value for key, value in report_or_item.items() if key != "geometry"}


def drag(node, index, ras_positions):
    """What the Slicer views do while a reviewer drags a point: start, moves, end."""
    node.InvokeEvent(node.PointStartInteractionEvent)
    for ras in ras_positions:
        node.SetNthControlPointPosition(index, *ras)
    node.InvokeEvent(node.PointEndInteractionEvent)


def test_loader_gives_the_dx_spacing_and_window_and_shows_monochrome1_bone_bright(wrist_logic, tmp_path):
    from RadiographQCLib import mrml

    plain = wrist_logic.loadRadiograph(write_wrist_dicom(tmp_path / "m2.dcm"))
    inverted = wrist_logic.loadRadiograph(write_wrist_dicom(tmp_path / "m1.dcm", photometric="MONOCHROME1"))
    assert plain.GetSpacing() == pytest.approx((COL_MM, ROW_MM, 1.0))
    m = vtk.vtkMatrix4x4()
    plain.GetIJKToRASMatrix(m)
    assert [m.GetElement(i, i) for i in range(3)] == pytest.approx([-COL_MM, -ROW_MM, 1.0])
    assert np.array_equal(mrml.pixelsFromVolume(plain), mrml.pixelsFromVolume(inverted))
    pixels = mrml.pixelsFromVolume(plain)
    assert pixels[300, 240] > pixels[300, 10]   # the bright "forearm" stays bright in both
    display = inverted.GetDisplayNode()
    assert not display.GetAutoWindowLevel()
    radiograph = mrml.radiographFromVolume(inverted)
    assert (display.GetLevel(), display.GetWindow()) == pytest.approx(radiograph.window)
    assert radiograph.spacing.source == "PixelSpacing" and radiograph.view == "AP"


def test_pixel_and_ras_positions_map_exactly_both_ways_with_anisotropic_spacing(a_wrist_volume):
    from RadiographQCLib import mrml

    assert mrml.pixelToRas(a_wrist_volume, (0, 0)) == (0.0, 0.0, 0.0)
    assert mrml.pixelToRas(a_wrist_volume, (4, 10)) == pytest.approx((-4 * COL_MM, -10 * ROW_MM, 0.0), abs=1e-12)
    rng = np.random.default_rng(1)
    for x, y in rng.uniform(-0.5, 480, size=(50, 2)):
        back = mrml.rasToPixel(a_wrist_volume, mrml.pixelToRas(a_wrist_volume, (x, y)))
        assert back == pytest.approx((x, y), abs=1e-9)


def test_keypoints_become_named_control_points_and_absent_ones_stay_unplaced(wrist_logic, a_wrist_volume):
    wrist_logic.process(a_wrist_volume, keypoints({"P1": None, "P2": GOOD_AP["P2"], "P3": GOOD_AP["P3"]}))
    node = wrist_logic.pointsNode
    labels = [node.GetNthControlPointLabel(i) for i in range(node.GetNumberOfControlPoints())]
    assert labels == ["P1 thumb MCP joint", "P2 radial styloid", "P3 ulnar styloid"]
    assert node.GetNthControlPointPositionStatus(0) == node.PositionUndefined
    assert node.GetFixedNumberOfControlPoints()
    assert wrist_logic.pointPixels()["P3"] == pytest.approx(GOOD_AP["P3"], abs=1e-9)
    assert node.GetNthControlPointPosition(2) == pytest.approx((-319.5 * COL_MM, -299.5 * ROW_MM, 0))


def test_the_table_holds_every_item_with_total_and_grade_as_the_rules_say(wrist_logic, a_wrist_volume):
    result = wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    rows = table_rows(wrist_logic)
    assert [item.id for item in result.items] == list(rows)[:-2]
    for task, score in spec_ap_scores(GOOD_AP).items():
        assert int(rows[task]["score"]) == score
    assert rows["MARKER"]["score"] == "20" and "R marker" in rows["MARKER"]["explanation"]
    assert rows["ARTEFACT"]["score"] == "10" and "stand-in-artefact" in rows["ARTEFACT"]["explanation"]
    assert int(rows["total"]["score"]) == expected_total(GOOD_AP) == 95
    assert rows["total"]["max"] == "100"
    assert rows["grade"]["value"] == spec_grade(95, 100) == "A"
    assert wrist_logic.markerNode is not None and "marker R" in wrist_logic.markerNode.GetName()


def test_dragging_a_point_updates_angle_table_and_grade_at_once_and_undo_restores(wrist_logic, a_wrist_volume):
    from RadiographQCLib import mrml

    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    (angle,) = wrist_logic.measurementNodes["AP3"]
    assert angle.GetAngleDegrees() == pytest.approx(90.0)
    seen = []
    wrist_logic.tableNode.AddObserver("ModifiedEvent", lambda *a: seen.append(table_rows(wrist_logic)["total"]))
    # Tilt the styloid line by 8 degrees (in mm: the spacing is anisotropic) by dragging P3 down.
    dy = 160 * COL_MM * math.tan(math.radians(8)) / ROW_MM
    moved = dict(GOOD_AP, P3=(319.5, 299.5 + dy))
    path = [mrml.pixelToRas(a_wrist_volume, (319.5, 299.5 + dy * f)) for f in (0.5, 1.0)]
    drag(wrist_logic.pointsNode, 2, path)
    assert len(seen) >= 2                                   # updated during the drag, not only at release
    assert spec_ap_scores(moved)["AP3"] == 4
    rows = table_rows(wrist_logic)
    assert int(rows["AP3"]["score"]) == 4
    assert int(rows["total"]["score"]) == expected_total(moved) == 89
    assert rows["grade"]["value"] == spec_grade(89, 100) == "B"
    assert angle.GetAngleDegrees() == pytest.approx(82.0)  # line vs vertical, the table shows |α−90| = 8
    assert wrist_logic.canUndo() and len(wrist_logic.corrections()) == 1
    assert wrist_logic.undo()
    assert wrist_logic.pointPixels()["P3"] == pytest.approx(GOOD_AP["P3"], abs=1e-9)
    assert table_rows(wrist_logic)["grade"]["value"] == "A"
    assert not wrist_logic.canUndo() and wrist_logic.corrections() == []


def test_the_markups_draw_the_geometry_the_rules_measured_and_hide_while_a_point_is_absent(wrist_logic,
                                                                                         a_wrist_volume):
    from RadiographQCLib import mrml

    result = wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    nodes = wrist_logic.measurementNodes
    assert sorted(nodes) == ["AP2", "AP3", "AP5"]         # AP1 and the centring AP4 measure no shape
    for item in result.items:
        for node, shape in zip(nodes.get(item.id, []), item.geometry):
            placed = [mrml.rasToPixel(a_wrist_volume, node.GetNthControlPointPosition(i))
                      for i in range(node.GetNumberOfControlPoints())]
            assert np.allclose(placed, shape["points"], rtol=0, atol=1e-9)
    # the lines are the distances the rules scored: 4 cm to the lower edge, 4 cm from each side edge
    (lower,) = nodes["AP2"]
    assert lower.GetLineLengthWorld() == pytest.approx(40.0)
    assert [line.GetLineLengthWorld() for line in nodes["AP5"]] == pytest.approx([40.0, 40.0])
    every = [node for task in nodes.values() for node in task]
    wrist_logic.setPointPixel("P2", None)
    assert not any(node.GetDisplayNode().GetVisibility() for node in every)
    wrist_logic.setPointPixel("P2", GOOD_AP["P2"])
    assert all(node.GetDisplayNode().GetVisibility() for node in every)
    assert [node for task in wrist_logic.measurementNodes.values() for node in task] == every


def test_each_discrete_move_is_one_undo_step(wrist_logic, a_wrist_volume):
    from RadiographQCLib import mrml

    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    for y in (310.0, 320.0):
        wrist_logic.pointsNode.SetNthControlPointPosition(2, *mrml.pixelToRas(a_wrist_volume, (319.5, y)))
    assert wrist_logic.undo()
    assert wrist_logic.pointPixels()["P3"] == pytest.approx((319.5, 310.0), abs=1e-9)
    assert wrist_logic.undo() and not wrist_logic.undo()


def test_placing_the_missing_thumb_mcp_rescores(wrist_logic, a_wrist_volume):
    from RadiographQCLib import mrml

    wrist_logic.process(a_wrist_volume, keypoints(dict(GOOD_AP, P1=None)))
    rows = table_rows(wrist_logic)
    assert rows["AP1"]["score"] == "0" and int(rows["total"]["score"]) == 90
    assert rows["grade"]["value"] == spec_grade(90, 100)
    wrist_logic.pointsNode.SetNthControlPointPosition(0, *mrml.pixelToRas(a_wrist_volume, GOOD_AP["P1"]))
    rows = table_rows(wrist_logic)
    assert rows["AP1"]["score"] == "5" and int(rows["total"]["score"]) == 95
    assert rows["grade"]["value"] == spec_grade(95, 100)
    assert wrist_logic.corrections() == [{"point": "P1", "name": "thumb MCP joint", "old": None,
                                          "new": [60.0, 100.0], "old_confidence": None}]
    assert wrist_logic.undo() and table_rows(wrist_logic)["AP1"]["score"] == "0"


def test_low_confidence_points_are_flagged_until_corrected_with_the_profile_threshold(wrist_logic, a_wrist_volume,
                                                                                      tmp_path):
    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP, {"P2": 0.3, "P3": 0.45, "P1": 0.9}))
    node = wrist_logic.pointsNode
    assert wrist_logic.lowConfidencePoints() == ["P2", "P3"]                # default threshold 0.5
    assert [bool(node.GetNthControlPointSelected(i)) for i in range(3)] == [True, False, False]
    assert "low confidence 0.30" in node.GetNthControlPointDescription(1)
    department = tmp_path / "dept.json"
    department.write_text(json.dumps({"keypoints": {"low_confidence": 0.4}}))
    wrist_logic.setProfile(department)
    assert wrist_logic.lowConfidencePoints() == ["P2"]
    wrist_logic.setPointPixel("P2", (160.0, 299.5))                         # the reviewer checked P2
    assert wrist_logic.lowConfidencePoints() == [] and node.GetNthControlPointSelected(1)


def test_switching_the_criteria_profile_rescores(wrist_logic, a_wrist_volume, tmp_path):
    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    assert table_rows(wrist_logic)["grade"]["value"] == "A"
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"name": "strict", "grade_thresholds": {"A": 96}}))
    wrist_logic.setProfile(strict)
    assert table_rows(wrist_logic)["grade"]["value"] == "B" and wrist_logic.result.profile_name == "strict"
    picky = tmp_path / "picky.json"
    picky.write_text(json.dumps({"marker": {"similarity_threshold": 0.99}}))
    wrist_logic.setProfile(picky)                    # the R found at similarity ~0.94 no longer counts
    rows = table_rows(wrist_logic)
    assert rows["MARKER"]["score"] == "0" and rows["total"]["score"] == "75"
    wrist_logic.setProfile(None)
    assert table_rows(wrist_logic)["grade"]["value"] == "A" and table_rows(wrist_logic)["MARKER"]["score"] == "20"


def test_keypoint_file_beside_the_image_is_used_when_none_is_given(wrist_logic, wrist_dicom):
    from radiographqc.wrist.keypoints import write_keypoints

    write_keypoints(Path(wrist_dicom).with_name("wrist.keypoints.json"), keypoints(GOOD_AP))
    result = wrist_logic.process(wrist_logic.loadRadiograph(wrist_dicom))
    assert result.total == 95 and wrist_logic.report()["keypoints"]["P1"]["source"] == "file"


def test_report_export_writes_json_and_html_with_the_review(wrist_logic, a_wrist_volume, tmp_path):
    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    wrist_logic.setPointPixel("P1", None)
    json_path, html_path = wrist_logic.exportReport(tmp_path / "out")
    report = json.loads(json_path.read_text())
    assert report["total"] == 90 and report["grade"] == spec_grade(90, 100) and report["module"] == "wrist"
    assert report["keypoints"]["P1"]["present"] is False and report["keypoints"]["P2"]["source"] == "reviewed (given)"
    assert report["review"] == {"by": "tester", "corrections": [
        {"point": "P1", "name": "thumb MCP joint", "old": [60.0, 100.0], "new": None, "old_confidence": None}]}
    assert report["source"]["spacing"]["col_mm"] == COL_MM
    assert "<b>90</b>" in html_path.read_text()


def test_training_data_export_reimports_with_the_corrections_and_provenance(wrist_logic, a_wrist_volume, tmp_path):
    from radiographqc.train.dataset import read_keypoint_folder
    from radiographqc.wrist.keypoints import read_keypoints

    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP, {"P2": 0.2}))
    wrist_logic.setPointPixel("P2", (150.25, 301.75))
    paths = wrist_logic.exportTrainingData(tmp_path / "train", userName="dr.who")
    (sample,) = read_keypoint_folder(tmp_path / "train")
    assert sample.image_path == paths["image"] and sample.view == "AP"
    assert sample.points["P2"] == pytest.approx((150.25, 301.75), abs=1e-9)
    assert read_keypoints(paths["labels"]).points["P3"].xy == pytest.approx(GOOD_AP["P3"], abs=1e-9)
    provenance = json.loads(paths["provenance"].read_text())
    assert provenance["who"] == "dr.who" and provenance["when"].endswith("+00:00")
    (change,) = provenance["changes"]
    assert change["point"] == "P2" and change["old"] == list(GOOD_AP["P2"]) and change["old_confidence"] == 0.2
    assert change["new"] == pytest.approx([150.25, 301.75], abs=1e-9)


def test_a_scene_saved_as_mrb_loads_back_with_results_and_the_review_goes_on(wrist_logic, a_wrist_volume, tmp_path,
                                                                            slicer_module):
    from RadiographQCLib import mrml
    from WristQCLib.logic import WristQCLogic
    from conftest_slicer import build_scene

    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP, {"P3": 0.1}))
    wrist_logic.setPointPixel("P1", None)
    saved_rows = mrml.readTable(wrist_logic.tableNode)
    mrb = tmp_path / "review.mrb"
    assert wrist_logic.scene.WriteToMRB(str(mrb))

    scene, *_ = build_scene(slicer_module, tmp_path / "cache2")
    assert scene.ReadFromMRB(str(mrb))
    volume = scene.GetFirstNodeByName(a_wrist_volume.GetName())
    table = volume.GetNodeReference("RadiographQC.results")
    assert mrml.readTable(table) == saved_rows
    restored = WristQCLogic(scene, userName="tester")
    result = restored.restoreCase(volume)
    assert result.total == 90 and mrml.readTable(restored.tableNode) == saved_rows
    assert restored.lowConfidencePoints() == ["P3"]
    restored.setPointPixel("P1", GOOD_AP["P1"])
    assert restored.result.total == 95 and restored.corrections() == []
    restored.cleanup()


def test_a_review_saved_as_mrb_resumes_in_a_fresh_scene_with_its_corrections_score_and_undo_history(
        wrist_logic, a_wrist_volume, wrist_dicom, tmp_path, slicer_module):
    from WristQCLib.logic import WristQCLogic
    from conftest_slicer import build_scene

    wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))
    assert wrist_logic.hasCase(a_wrist_volume) and not wrist_logic.hasReviewerChanges()
    wrist_logic.setPointPixel("P3", (319.5, 320.0))
    wrist_logic.setPointPixel("P1", None)
    saved = {"pixels": wrist_logic.pointPixels(), "corrections": wrist_logic.corrections(),
             "result": without_geometry(wrist_logic.result.to_dict())}
    assert wrist_logic.hasReviewerChanges() and saved["result"]["total"] == expected_total(
        dict(GOOD_AP, P1=None, P3=(319.5, 320.0)))
    mrb = tmp_path / "review.mrb"
    assert wrist_logic.scene.WriteToMRB(str(mrb))

    scene, *_ = build_scene(slicer_module, tmp_path / "cache2")
    assert scene.ReadFromMRB(str(mrb))
    volume = scene.GetFirstNodeByName(a_wrist_volume.GetName())
    restored = WristQCLogic(scene, userName="tester")
    assert not restored.hasCase(restored.loadRadiograph(wrist_dicom)) and restored.hasCase(volume)
    shapes = scene.GetNumberOfNodesByClass("vtkMRMLMarkupsAngleNode") + scene.GetNumberOfNodesByClass(
        "vtkMRMLMarkupsLineNode")
    result = restored.restoreCase(volume)
    assert without_geometry(result.to_dict()) == saved["result"] and restored.hasReviewerChanges()
    assert restored.pointPixels().keys() == saved["pixels"].keys() and restored.pointPixels()["P1"] is None
    for pid in ("P2", "P3"):
        assert restored.pointPixels()[pid] == pytest.approx(saved["pixels"][pid], abs=1e-6)
    assert [(c["point"], c["old"]) for c in restored.corrections()] == [(c["point"], c["old"])
                                                                        for c in saved["corrections"]]
    assert restored.undo() and restored.pointPixels()["P1"] == pytest.approx(GOOD_AP["P1"], abs=1e-6)
    assert restored.undo() and restored.pointPixels()["P3"] == pytest.approx(GOOD_AP["P3"], abs=1e-6)
    assert not restored.canUndo() and not restored.hasReviewerChanges()
    assert restored.result.total == expected_total(GOOD_AP)
    assert scene.GetNumberOfNodesByClass("vtkMRMLMarkupsAngleNode") + scene.GetNumberOfNodesByClass(
        "vtkMRMLMarkupsLineNode") == shapes, "the saved measurement nodes are drawn again, not duplicated"
    restored.cleanup()


SAMPLES = Path(__file__).resolve().parents[3] / "Resources" / "Samples" / "wrist"


@pytest.mark.parametrize("stem", ["wrist_ap_tilted", "wrist_lat_routine"])
def test_a_repository_sample_scores_in_slicer_exactly_as_on_the_command_line(wrist_logic_with_models, stem):
    from radiographqc.profile import load_profile
    from radiographqc.wrist.pipeline import WristPipeline

    wrist_logic = wrist_logic_with_models
    path = SAMPLES / f"{stem}.dcm"
    cli = WristPipeline(load_profile("wrist")).assess(path).report
    result = wrist_logic.process(wrist_logic.loadRadiograph(path))
    items = result.to_dict()["items"]
    # the points went through RAS and back: the geometry agrees to rounding, everything else exactly
    assert [without_geometry(item) for item in items] == [without_geometry(item) for item in cli["items"]]
    for mine, theirs in zip(items, cli["items"]):
        assert [shape["kind"] for shape in mine["geometry"]] == [shape["kind"] for shape in theirs["geometry"]]
        for a, b in zip(mine["geometry"], theirs["geometry"]):
            assert np.allclose(a["points"], b["points"], rtol=0, atol=1e-9) and a["label"] == b["label"]
    assert wrist_logic.report()["artefact"] == cli["artefact"]
    assert wrist_logic.report()["models"] == cli["models"]
    rows = table_rows(wrist_logic)
    assert [int(rows[item["id"]]["score"]) for item in cli["items"]] == [item["score"] for item in cli["items"]]
    assert (rows["total"]["score"], rows["grade"]["value"]) == (str(cli["total"]), cli["grade"])


def test_the_foreign_body_heatmap_lies_over_the_radiograph_and_scores_the_artefact_item(wrist_logic_with_models):
    import numpy as np

    from RadiographQCLib import mrml

    wrist_logic = wrist_logic_with_models
    volume = wrist_logic.loadRadiograph(SAMPLES / "wrist_ap_tilted.dcm")     # a cast over the forearm
    result = wrist_logic.process(volume)
    heatmap = wrist_logic.heatmapNode()
    assert heatmap is not None and volume.GetNodeReference("RadiographQC.artefactHeatmap") is heatmap
    pixels = mrml.pixelsFromVolume(heatmap)
    assert pixels.shape == mrml.pixelsFromVolume(volume).shape and 0 <= pixels.min() <= pixels.max() <= 1
    assert heatmap.GetSpacing() == volume.GetSpacing() and heatmap.GetOrigin() == volume.GetOrigin()
    item = {it.id: it for it in result.items}["ARTEFACT"]
    probability = wrist_logic.report()["artefact"]["probability"]
    assert item.assessable and item.value == probability
    assert item.passed == (probability < wrist_logic.profile["artefact"]["probability_threshold"])
    assert table_rows(wrist_logic)["ARTEFACT"]["score"] == ("0" if probability >= 0.5 else "10")
    peak = wrist_logic.report()["artefact"]["peak_xy"]
    assert pixels[int(peak[1]), int(peak[0])] == pytest.approx(pixels.max())
    wrist_logic.process(volume)                      # processing again replaces the heatmap
    assert len([n for n in wrist_logic.scene.GetNodesByClass("vtkMRMLScalarVolumeNode")
                if "foreign body" in n.GetName()]) == 1
    assert np.array_equal(mrml.pixelsFromVolume(wrist_logic.heatmapNode()), pixels)


def test_without_a_keypoint_file_the_bundled_model_places_the_points_and_flags_low_confidence(wrist_logic):
    from RadiographQCLib import mrml

    model = wrist_logic.detector.model("AP")
    volume = wrist_logic.loadRadiograph(SAMPLES / "wrist_ap_routine.dcm")
    volume.SetAttribute("RadiographQC.path", "")          # as if no keypoint file were beside the image
    wrist_logic.process(volume)
    assert volume.GetAttribute("RadiographQC.keypointSource") == "model"
    # whatever the model predicts, the module shows exactly that (positions, absences, confidences)
    predicted = model.predict(mrml.pixelsFromVolume(volume))
    placed = wrist_logic.currentKeypoints().points
    assert placed.keys() == predicted.keys()
    for pid, landmark in predicted.items():
        assert placed[pid].confidence == landmark.confidence
        assert (placed[pid].xy is None) == (landmark.xy is None)
        if landmark.xy is not None:
            assert placed[pid].xy == pytest.approx(landmark.xy, abs=1e-9)
    threshold = wrist_logic.lowConfidenceThreshold
    assert wrist_logic.lowConfidencePoints() == [pid for pid, lm in predicted.items()
                                                 if lm.xy is not None and lm.confidence < threshold]
    assert wrist_logic.report()["models"] == [{"id": model.id, "version": model.version,
                                               "sha256": model.manifest["sha256"]}, wrist_logic.artefacts.info]
    assert wrist_logic.report()["keypoints"]["P2"]["source"] == "model"


def scene_nodes(scene):
    return [scene.GetNthNode(i).GetID() for i in range(scene.GetNumberOfNodes())]


def test_a_missing_keypoint_model_is_an_error_naming_the_model_file_and_the_scene_is_left_as_it_was(
        wrist_logic, a_wrist_volume, tmp_path, monkeypatch):
    from radiographqc.errors import ModelError
    from radiographqc.models import ModelRegistry

    monkeypatch.setenv("RADIOGRAPHQC_MODELS", str(tmp_path / "no-models"))
    wrist_logic.detector.registry = ModelRegistry()
    a_wrist_volume.SetAttribute("RadiographQC.path", "")      # no keypoint file beside the image
    before = scene_nodes(wrist_logic.scene)
    with pytest.raises(ModelError, match=r"no-models.wrist-ap-3\.json: no model 'wrist-ap-3'"):
        wrist_logic.process(a_wrist_volume)
    assert scene_nodes(wrist_logic.scene) == before and not wrist_logic.hasCase(a_wrist_volume)


def test_a_missing_artefact_model_is_an_error_as_on_the_command_line(wrist_logic_with_models, wrist_dicom,
                                                                    tmp_path, monkeypatch):
    from radiographqc.errors import ModelError
    from radiographqc.models import ModelRegistry
    from radiographqc.profile import load_profile
    from radiographqc.wrist.keypoints import write_keypoints
    from radiographqc.wrist.pipeline import WristPipeline

    write_keypoints(Path(wrist_dicom).with_name("wrist.keypoints.json"), keypoints(GOOD_AP))
    monkeypatch.setenv("RADIOGRAPHQC_MODELS", str(tmp_path / "no-models"))
    wrist_logic_with_models.artefacts.registry = ModelRegistry()
    volume = wrist_logic_with_models.loadRadiograph(wrist_dicom)
    with pytest.raises(ModelError, match="no model 'wrist-artefact'") as in_slicer:
        wrist_logic_with_models.process(volume)
    with pytest.raises(ModelError) as on_the_command_line:
        WristPipeline(load_profile("wrist")).assess(Path(wrist_dicom))
    assert str(in_slicer.value) == str(on_the_command_line.value)


def test_an_image_without_a_view_or_keypoints_is_refused_as_on_the_command_line(wrist_logic, a_wrist_volume):
    from radiographqc.errors import InputError

    a_wrist_volume.SetAttribute("RadiographQC.view", "")
    a_wrist_volume.SetAttribute("RadiographQC.path", "")
    with pytest.raises(InputError, match="keypoint models need an AP or LAT view: the header gives no view"):
        wrist_logic.process(a_wrist_volume)
    result = wrist_logic.process(a_wrist_volume, keypoints(GOOD_AP))      # keypoints give the view
    assert result.view == "AP" and wrist_logic.report()["source"]["view_source"] == "given keypoints"

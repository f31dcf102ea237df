"""The lumbar brush of the browser app (RadiographQCWeb/editing.py) on trame-slicer's segment editor,
driven as a reviewer drives it: mouse press, moves and release on an offscreen slice view of a
trame-slicer SlicerApp, at the display positions of image pixels. A stroke adds (or erases) the
brushed pixels in one segment only, keeps the structures it crosses, re-runs the LumbarQC rules;
undo and redo put the pixels back and re-run the rules once."""
import os

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")   # EGL/Mesa offscreen, no X

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("trame_slicer", reason="the browser app's extra: pip install -e .[web]")
import vtk  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "Resources" / "Samples" / "lumbar" / "lumbar_ap_routine.dcm"
TRUTH = SAMPLE.parent / "truth"
VIEW_SIZE = (600, 800)
RADIUS_MM = 3.0
# Across L3 (rows 240-287, columns 224-314 of the sample) through the pedicles it holds, from beyond
# its left edge to beyond its right edge.
ACROSS_L3 = [(214.0, 255.0), (250.0, 255.0), (290.0, 256.0), (324.0, 256.0)]
# Along the lower L3 endplate, where the true double contour lies.
ALONG_LOWER_ENDPLATE = [(230.0, 286.0), (270.0, 286.0), (308.0, 286.0)]


# ---------------------------------------------------------------------- fixtures

@pytest.fixture
def a_slicer_app():
    from trame_slicer.core import SlicerApp
    from trame_slicer.views import DirectViewFactory

    app = SlicerApp()
    app.view_manager.register_factory(DirectViewFactory(do_render_offscreen=True))
    return app


@pytest.fixture
def a_slice_view(a_slicer_app):
    """The axial view the app shows a radiograph in, offscreen; never rendered (interaction needs no
    picture, and a first Mesa render takes seconds here)."""
    from trame_slicer.views import NoScheduleRendering, ViewLayoutDefinition

    view = a_slicer_app.view_manager.create_view(ViewLayoutDefinition.axial_view())
    view.set_scheduled_render(NoScheduleRendering())
    view.interactor().UpdateSize(*VIEW_SIZE)
    yield view
    view.finalize()


@pytest.fixture
def a_lumbar_logic(a_slicer_app):
    import RadiographQCWeb  # noqa: F401 - the module folders on sys.path, as the app has them
    from LumbarQCLib.logic import LumbarQCLogic

    logic = LumbarQCLogic(a_slicer_app.scene, userName="tester")
    yield logic
    logic.cleanup()


@pytest.fixture
def a_lumbar_case(a_lumbar_logic, a_slice_view):
    """The AP sample processed with its true labels, shown in the view."""
    if not SAMPLE.is_file():
        pytest.skip("the repository lumbar samples are not generated yet")
    volume = a_lumbar_logic.loadRadiograph(SAMPLE)
    a_lumbar_logic.process(volume, labelPath=TRUTH)
    a_slice_view.set_background_volume_id(volume.GetID())
    a_slice_view.fit_view_to_content()
    return a_lumbar_logic


@pytest.fixture
def a_brush(a_slicer_app, a_lumbar_case):
    from RadiographQCWeb.editing import LumbarBrush

    brush = LumbarBrush(a_slicer_app, a_lumbar_case)
    brush.setRadiusMm(RADIUS_MM)
    return brush


@pytest.fixture
def rules_runs(monkeypatch):
    """How many times the logic ran the rules."""
    import LumbarQCLib.logic as logic_module

    runs = []
    evaluate = logic_module.evaluate_lumbar
    monkeypatch.setattr(logic_module, "evaluate_lumbar", lambda *a, **k: runs.append(1) or evaluate(*a, **k))
    return runs


# ---------------------------------------------------------------------- a reviewer's mouse

def display_position(view, volume, xy) -> tuple[int, int]:
    """The view's display position (VTK: origin bottom left) of image pixel (x, y): the volume's
    pixel -> RAS, then the slice node's XY -> RAS inverted; rounded as a mouse gives it."""
    from RadiographQCLib import mrml

    rasToXy = vtk.vtkMatrix4x4()
    vtk.vtkMatrix4x4.Invert(view.get_view_node().GetXYToRAS(), rasToXy)
    x, y, _, _ = rasToXy.MultiplyPoint((*mrml.pixelToRas(volume, xy), 1.0))
    return int(round(x)), int(round(y))


def pixel_at(view, volume, display) -> tuple[float, float]:
    """The image pixel under a display position (where the stroke really went after rounding)."""
    from RadiographQCLib import mrml

    ras = view.get_view_node().GetXYToRAS().MultiplyPoint((display[0], display[1], 0.0, 1.0))
    return mrml.rasToPixel(volume, ras[:3])


def stroke(view, volume, pixels, moves_between=4) -> list[tuple[float, float]]:
    """Press at the first pixel, drag through the others (a few mouse moves between each two),
    release at the last. Returns the pixels the mouse was over."""
    interactor = view.interactor()
    path = [pixels[0]] + [tuple(np.add(a, np.multiply(f, np.subtract(b, a))))
                          for a, b in zip(pixels, pixels[1:]) for f in np.linspace(0, 1, moves_between + 1)[1:]]
    went = []
    for index, xy in enumerate(path):
        display = display_position(view, volume, xy)
        went.append(pixel_at(view, volume, display))
        interactor.SetEventPosition(*display)
        interactor.InvokeEvent("MouseMoveEvent")
        if index == 0:
            interactor.InvokeEvent("LeftButtonPressEvent")
    interactor.InvokeEvent("LeftButtonReleaseEvent")
    return went


def distance_to_path_mm(shape, path, spacing) -> np.ndarray:
    """Per pixel, the distance in mm to the polyline through `path` (pixel positions)."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    points = np.stack([cols * spacing.col_mm, rows * spacing.row_mm], axis=-1)
    best = np.full(shape, np.inf)
    for a, b in zip(path, path[1:]):
        a = np.array([a[0] * spacing.col_mm, a[1] * spacing.row_mm])
        b = np.array([b[0] * spacing.col_mm, b[1] * spacing.row_mm])
        d = b - a
        t = np.clip(((points - a) @ d) / max(d @ d, 1e-12), 0, 1)
        best = np.minimum(best, np.linalg.norm(points - (a + t[..., None] * d), axis=-1))
    return best


def all_masks(logic) -> dict:
    return {sid: logic.segmentMask(sid).copy() for sid in logic.segmentIds()}


def rule(logic, rule_id):
    return {r.id: r for r in logic.result.rules}[rule_id]


def double_contour_ratio(logic) -> float:
    """What the l3_double_contour rule measures, from the masks: area(double contour in L3) / area(L3)."""
    l3 = logic.segmentMask("L3")
    return np.count_nonzero(logic.segmentMask("L3_double_contour") & l3) / np.count_nonzero(l3)


def table_rows(logic) -> dict:
    from RadiographQCLib import mrml

    return {row["id"]: row for row in mrml.readTable(logic.tableNode)}


def painted_across_l3(brush, view, logic):
    """A paint stroke of the double contour across L3; (masks before, pixels the mouse went over)."""
    before = all_masks(logic)
    brush.activate("L3_double_contour", "paint")
    went = stroke(view, logic.volumeNode, ACROSS_L3)
    return before, went


# ---------------------------------------------------------------------- tests

def test_a_paint_stroke_adds_the_brushed_pixels_to_that_segment_only_and_keeps_the_structures_it_crosses(
        a_brush, a_slice_view, a_lumbar_case):
    logic = a_lumbar_case
    before, went = painted_across_l3(a_brush, a_slice_view, logic)
    after = all_masks(logic)
    changed = [sid for sid in after if not np.array_equal(after[sid], before[sid])]
    assert changed == ["L3_double_contour"]
    added = after["L3_double_contour"] & ~before["L3_double_contour"]
    assert not (before["L3_double_contour"] & ~after["L3_double_contour"]).any()
    # the brushed pixels: a band of the brush radius round the mouse's path (the brush centres are
    # rounded to whole pixels, its disc drawn as a polygon: give it a pixel either way)
    pixel_mm = logic.radiograph.spacing.col_mm
    distance = distance_to_path_mm(added.shape, went, logic.radiograph.spacing)
    inside = distance <= RADIUS_MM - 1.5 * pixel_mm
    assert inside.sum() > 900 and (after["L3_double_contour"] | ~inside).all()
    assert (distance[added] <= RADIUS_MM + 1.5 * pixel_mm).all()
    # the structures the stroke crossed are all still there, pixel for pixel
    vertebra_l3 = next(sid for sid, name in logic.segmentNames().items() if name == "L3" and sid.startswith("vertebra"))
    for crossed in ("L3", vertebra_l3, "pedicles"):
        assert (added & before[crossed]).sum() > 50, crossed
    assert a_brush.overwriteMode().name == "ALLOW_OVERLAP"


def test_the_stroke_reruns_the_rules_once_and_the_double_contour_rule_fails_as_its_ratio_says(
        a_brush, a_slice_view, a_lumbar_case, rules_runs):
    logic = a_lumbar_case
    first = rule(logic, "l3_double_contour")
    assert first.passed is True and first.value == pytest.approx(double_contour_ratio(logic), abs=1e-6)
    table_updates = []
    logic.tableNode.AddObserver(vtk.vtkCommand.ModifiedEvent, lambda *a: table_updates.append(1))
    rules_runs.clear()
    painted_across_l3(a_brush, a_slice_view, logic)
    assert len(rules_runs) == 1 and table_updates
    changed = rule(logic, "l3_double_contour")
    assert changed.value == pytest.approx(double_contour_ratio(logic), abs=1e-6)
    assert changed.value > 0.21 and changed.passed is False                  # the profile's 0-0.21
    rows = table_rows(logic)
    assert rows["l3_double_contour"]["result"] == "FAIL" and rows["verdict"]["result"] == "UNQUALIFIED"
    assert [c["segment"] for c in logic.changes()] == ["L3_double_contour"]


def test_with_trame_slicers_default_overwrite_mode_the_same_stroke_cuts_the_structures_it_crosses(
        a_slicer_app, a_slice_view, a_lumbar_case):
    """Why the brush configures the editor node: trame-slicer's paint applies the node's overwrite
    mode, and a fresh node overwrites every other segment."""
    from trame_slicer.segmentation import BrushDiameterMode, SegmentationEffectPaint, SegmentationOverwriteMode

    logic, editor = a_lumbar_case, a_slicer_app.segmentation_editor
    assert editor.get_overwrite_mode() == SegmentationOverwriteMode.OVERWRITE_ALL
    editor.set_active_segmentation(logic.segmentationNode, logic.volumeNode)
    editor.set_active_segment_id("L3_double_contour")
    editor.set_active_effect_type(SegmentationEffectPaint).set_brush_diameter(2 * RADIUS_MM, BrushDiameterMode.Absolute)
    l3, pedicles = logic.segmentMask("L3").copy(), logic.segmentMask("pedicles").copy()
    stroke(a_slice_view, logic.volumeNode, ACROSS_L3)
    painted = logic.segmentMask("L3_double_contour")
    assert (l3 & painted).any()
    assert (l3 & painted & ~logic.segmentMask("L3")).sum() > 50
    assert not (pedicles & painted & logic.segmentMask("pedicles")).any()


def test_undo_puts_the_pixels_back_and_reruns_the_rules_once_and_redo_makes_the_stroke_again(
        a_brush, a_slice_view, a_lumbar_case, rules_runs):
    logic = a_lumbar_case
    assert not a_brush.canUndo() and not a_brush.canRedo() and not a_brush.undo()
    before, _ = painted_across_l3(a_brush, a_slice_view, logic)
    painted, failing = all_masks(logic), rule(logic, "l3_double_contour").value
    assert a_brush.canUndo() and not a_brush.canRedo()
    rules_runs.clear()
    assert a_brush.undo()
    assert len(rules_runs) == 1
    restored = all_masks(logic)
    assert restored.keys() == before.keys() and all(np.array_equal(restored[s], before[s]) for s in before)
    assert rule(logic, "l3_double_contour").value == pytest.approx(double_contour_ratio(logic), abs=1e-6)
    assert rule(logic, "l3_double_contour").passed is True and logic.result.qualified
    assert table_rows(logic)["verdict"]["result"] == "QUALIFIED" and not logic.hasReviewerChanges()
    assert logic.segmentNames()[next(s for s in before if s.startswith("vertebra_8"))] == "L3"
    assert not a_brush.canUndo() and a_brush.canRedo()
    rules_runs.clear()
    assert a_brush.redo() and not a_brush.redo()
    assert len(rules_runs) == 1
    assert all(np.array_equal(logic.segmentMask(s), painted[s]) for s in painted)
    assert rule(logic, "l3_double_contour").value == pytest.approx(failing, abs=1e-9)
    # the brush goes on painting after an undo: the segment and the effect are kept
    assert a_brush.mode() == "paint" and a_brush.activeSegmentId() == "L3_double_contour"


def test_an_erase_stroke_removes_the_brushed_pixels_from_that_segment_only(a_brush, a_slice_view, a_lumbar_case,
                                                                           rules_runs):
    logic = a_lumbar_case
    before = all_masks(logic)
    first = rule(logic, "l3_double_contour").value
    a_brush.setRadiusMm(2.0)
    a_brush.activate("L3_double_contour", "erase")
    rules_runs.clear()
    went = stroke(a_slice_view, logic.volumeNode, ALONG_LOWER_ENDPLATE)
    after = all_masks(logic)
    assert [sid for sid in after if not np.array_equal(after[sid], before[sid])] == ["L3_double_contour"]
    removed = before["L3_double_contour"] & ~after["L3_double_contour"]
    assert removed.sum() > 30 and not (after["L3_double_contour"] & ~before["L3_double_contour"]).any()
    distance = distance_to_path_mm(removed.shape, went, logic.radiograph.spacing)
    pixel_mm = logic.radiograph.spacing.col_mm
    assert (distance[removed] <= 2.0 + 1.5 * pixel_mm).all()
    assert not (after["L3_double_contour"] & (distance <= 2.0 - 1.5 * pixel_mm)).any()
    assert len(rules_runs) == 1
    erased = rule(logic, "l3_double_contour").value
    assert erased == pytest.approx(double_contour_ratio(logic), abs=1e-6) and erased < first
    assert a_brush.undo() and np.array_equal(logic.segmentMask("L3_double_contour"), before["L3_double_contour"])
    assert rule(logic, "l3_double_contour").value == pytest.approx(first, abs=1e-9)


def test_after_deactivate_the_mouse_no_longer_paints(a_brush, a_slice_view, a_lumbar_case):
    logic = a_lumbar_case
    a_brush.activate("pedicles", "paint")
    assert a_brush.mode() == "paint"
    a_brush.deactivate()
    assert a_brush.mode() is None
    before = all_masks(logic)
    stroke(a_slice_view, logic.volumeNode, ACROSS_L3)
    assert all(np.array_equal(logic.segmentMask(s), before[s]) for s in before) and not a_brush.canUndo()


def test_the_segment_list_gives_every_segment_with_its_name_and_colour(a_brush, a_lumbar_case):
    logic = a_lumbar_case
    listed = a_brush.segments()
    assert [s["id"] for s in listed] == logic.segmentIds()
    assert {s["id"]: s["name"] for s in listed} == logic.segmentNames()
    segmentation = logic.segmentationNode.GetSegmentation()
    for entry in listed:
        rgb = segmentation.GetSegment(entry["id"]).GetColor()
        assert entry["color"] == "#" + "".join(f"{round(255 * c):02x}" for c in rgb)
    assert next(s["name"] for s in listed if s["id"] == "L3_double_contour") == "L3 double contour"


def test_the_brush_radius_is_in_millimetres_of_the_image_and_wrong_choices_are_refused(a_brush, a_slicer_app):
    from trame_slicer.segmentation import BrushDiameterMode

    a_brush.activate("pedicles", "erase")
    a_brush.setRadiusMm(2.5)
    effect = a_slicer_app.segmentation_editor.active_effect
    assert a_brush.radiusMm() == 2.5 and a_brush.mode() == "erase"
    assert effect.get_brush_diameter() == 5.0 and effect.get_brush_diameter_mode() == BrushDiameterMode.Absolute
    with pytest.raises(ValueError, match="positive"):
        a_brush.setRadiusMm(0)
    with pytest.raises(ValueError, match="unknown brush mode"):
        a_brush.activate("pedicles", "smudge")
    with pytest.raises(KeyError, match="no segment"):
        a_brush.activate("femur", "paint")


def test_a_brush_made_before_any_case_follows_the_case_the_logic_loads(a_slicer_app, a_lumbar_logic, a_slice_view):
    """The app makes its brush at start-up; each case opened later gets its own undo history."""
    from RadiographQCWeb.editing import LumbarBrush

    if not SAMPLE.is_file():
        pytest.skip("the repository lumbar samples are not generated yet")
    brush = LumbarBrush(a_slicer_app, a_lumbar_logic)
    assert not brush.canUndo() and not brush.isOnCase()
    with pytest.raises(ValueError, match="no lumbar case"):
        brush.activate("L3", "paint")
    brush.deactivate()                                           # harmless without a case
    volume = a_lumbar_logic.loadRadiograph(SAMPLE)
    a_lumbar_logic.process(volume, labelPath=TRUTH)
    a_slice_view.set_background_volume_id(volume.GetID())
    a_slice_view.fit_view_to_content()
    brush.setRadiusMm(RADIUS_MM)
    brush.activate("L3_double_contour", "paint")
    stroke(a_slice_view, volume, ACROSS_L3)
    assert brush.canUndo() and rule(a_lumbar_logic, "l3_double_contour").passed is False
    a_lumbar_logic.process(volume, labelPath=TRUTH)             # the case scored afresh: a new segmentation
    assert not brush.isOnCase() and not brush.canUndo() and not brush.undo()
    brush.activate("L3_double_contour", "paint")
    assert brush.isOnCase() and not brush.canUndo()

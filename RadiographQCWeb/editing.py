"""The lumbar brush of the browser app: paint and erase one segment of the LumbarQC case with
trame-slicer's segment editor (its Paint and Erase effects, driven by the slice views' interactors,
and its undo stack), set up as the LumbarQC module sets up Slicer's Segment Editor.

What trame-slicer does and what this class adds (trame-slicer 2.0, slicer-core 5.11):
- Overwrite: a stroke is applied by `SegmentModifier.apply_labelmap`, which calls Slicer's
  `vtkSlicerSegmentEditorLogic.ModifySegmentByLabelmap` on the editor's own
  `vtkMRMLSegmentEditorNode`; that reads the node's overwrite mode. trame-slicer's
  `SegmentationOverwriteMode` is only an Enum of the node's values (`SegmentationEditor.
  set_overwrite_mode` writes the node). A fresh editor node overwrites all other segments, which
  would cut a stroke out of the vertebra the pedicles lie in: the brush points the node at the case
  with `LumbarQCLogic.configureSegmentEditor` (OverwriteNone, editable everywhere) on every activation.
- Rules: the logic observes the segmentation node, and trame-slicer's edits go through the same
  segmentation events as Slicer's (one rules run per stroke). Its undo and redo put back a whole deep
  copy of the segmentation (`vtkSegmentation.DeepCopy`: every segment removed, then added), two
  events per segment: the brush holds the logic's rules requests back meanwhile and hands the last
  one to the logic's scheduler, so an undo is one rules run.
- Undo: trame-slicer's editor has no undo stack until one is set; the brush sets one (with a limit,
  each step holding two copies of the segmentation) unless the app set its own. The editor clears
  it when it is pointed at another segmentation, so the history is per case and starts again when
  the reviewer comes back to a case.
"""
from __future__ import annotations

from contextlib import contextmanager

from trame_slicer.segmentation import (BrushDiameterMode, SegmentationEffectErase, SegmentationEffectPaint,
                                       SegmentationOverwriteMode)
from undo_stack import UndoStack

MODES = {"paint": SegmentationEffectPaint, "erase": SegmentationEffectErase}
DEFAULT_RADIUS_MM = 5.0
UNDO_LIMIT = 20   # strokes; each holds two copies of the segmentation (about 9 MB for the lumbar samples)


class LumbarBrush:
    """Paint/erase on the case `logic` (a LumbarQCLogic) has loaded, in the views of `app` (a
    trame_slicer.core.SlicerApp on the logic's scene). It can be made before any case is loaded: it
    follows the logic's current case when activated."""

    def __init__(self, app, logic, undoLimit: int = UNDO_LIMIT):
        self.app = app
        self.logic = logic
        self.editor = app.segmentation_editor
        if self.editor.undo_stack is None:
            self.editor.set_undo_stack(UndoStack(undo_limit=undoLimit))
        self._radiusMm = DEFAULT_RADIUS_MM
        self._mode = None

    # ------------------------------------------------------------------ the case

    def _caseNodes(self):
        """(segmentation, volume) of the logic's case; ValueError without one."""
        segmentationNode, volumeNode = self.logic.segmentationNode, self.logic.volumeNode
        if segmentationNode is None or volumeNode is None:
            raise ValueError("no lumbar case is loaded: open a lumbar radiograph first")
        return segmentationNode, volumeNode

    def isOnCase(self) -> bool:
        """True when trame-slicer's editor edits the logic's current case."""
        segmentationNode = self.logic.segmentationNode
        return segmentationNode is not None and self.editor.active_segmentation_node is segmentationNode

    def _attach(self):
        """Point the editor at the case (once per case: it clears the undo stack), set up for
        overlapping structures."""
        segmentationNode, volumeNode = self._caseNodes()
        if not self.isOnCase():
            self.editor.set_active_segmentation(segmentationNode, volumeNode)
        self.logic.configureSegmentEditor(self.editor.editor_node)

    def segments(self) -> list[dict]:
        """The case's segments for a picker, in the segmentation's order: id, name (a vertebra is
        named by the level the rules found, so read again after an edit) and colour ("#rrggbb")."""
        segmentation = self._caseNodes()[0].GetSegmentation()
        result = []
        for segmentId in self.logic.segmentIds():
            segment = segmentation.GetSegment(segmentId)
            color = "#" + "".join(f"{round(255 * max(0.0, min(1.0, c))):02x}" for c in segment.GetColor())
            result.append({"id": segmentId, "name": segment.GetName(), "color": color})
        return result

    # ------------------------------------------------------------------ the brush

    def activate(self, segmentId: str, mode: str):
        """Paint ("paint") into or erase ("erase") from one segment with the mouse in the slice views:
        press, drag, release is one stroke, applied at the release."""
        if mode not in MODES:
            raise ValueError(f"unknown brush mode {mode!r}: expected one of {', '.join(MODES)}")
        self._attach()
        if segmentId not in self.logic.segmentIds():
            raise KeyError(f"the case has no segment {segmentId!r}")
        self.editor.set_active_segment_id(segmentId)
        effect = self.editor.set_active_effect_type(MODES[mode])
        effect.set_brush_diameter(2.0 * self._radiusMm, BrushDiameterMode.Absolute)
        self._mode = mode

    def deactivate(self):
        """Back to viewing: the mouse no longer paints."""
        self.editor.deactivate_effect()
        self._mode = None

    def mode(self) -> str | None:
        """The brush's mode: "paint", "erase", or None (not active, or another effect was chosen in the
        editor)."""
        effect = self.editor.active_effect
        return self._mode if self._mode is not None and isinstance(effect, MODES[self._mode]) else None

    def activeSegmentId(self) -> str:
        return self.editor.active_segment_id if self.isOnCase() else ""

    def setRadiusMm(self, radiusMm: float):
        """The brush radius in millimetres of the image (not of the screen)."""
        radiusMm = float(radiusMm)
        if not radiusMm > 0:
            raise ValueError(f"the brush radius must be positive, got {radiusMm}")
        self._radiusMm = radiusMm
        if self.mode() is not None:
            self.editor.active_effect.set_brush_diameter(2.0 * radiusMm, BrushDiameterMode.Absolute)

    def radiusMm(self) -> float:
        return self._radiusMm

    def overwriteMode(self) -> SegmentationOverwriteMode:
        """The overwrite mode trame-slicer's editor applies (ALLOW_OVERLAP once the brush is active)."""
        return self.editor.get_overwrite_mode()

    # ------------------------------------------------------------------ undo

    def observeHistory(self, callback):
        """Call `callback()` whenever a stroke, an undo or a redo changed the history (the stroke is
        recorded after the segmentation changed, so the rescore alone comes too early to tell)."""
        self.editor.undo_stack.index_changed.connect(lambda *_: callback())

    def canUndo(self) -> bool:
        return self.isOnCase() and self.editor.undo_stack.can_undo()

    def canRedo(self) -> bool:
        return self.isOnCase() and self.editor.undo_stack.can_redo()

    def undo(self) -> bool:
        """Put the segmentation back as it was before the last stroke; the rules run once."""
        if not self.canUndo():
            return False
        with self._oneRulesRun():
            self.editor.undo_stack.undo()
        return True

    def redo(self) -> bool:
        """Make the last undone stroke again; the rules run once."""
        if not self.canRedo():
            return False
        with self._oneRulesRun():
            self.editor.undo_stack.redo()
        return True

    @contextmanager
    def _oneRulesRun(self):
        """Hold back the logic's rules requests while the segmentation is replaced segment by segment,
        then hand the last one to the logic's own scheduler (at once, or the app's coalescing one)."""
        schedule, requests = self.logic.schedule, []
        self.logic.schedule = requests.append
        try:
            yield
        finally:
            self.logic.schedule = schedule
            if requests:
                schedule(requests[-1])

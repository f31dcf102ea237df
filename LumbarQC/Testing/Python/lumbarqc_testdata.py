"""Test data for the LumbarQC logic tests: the repository lumbar samples, copied per test; a Segment
Editor brush stroke and the widget's coalescing timer run by hand (also used by benchmarks/bench_lumbar_edit.py)."""
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "Resources" / "Samples" / "lumbar"
LABEL_FILES = (".labels.png", ".labels.json", ".vertebrae.png", ".truth.json")


class CoalescingScheduler:
    """What the widget's single-shot timer does, run by hand: keeps the last request until flush()."""

    def __init__(self):
        self.callback = None
        self.requests = 0

    def __call__(self, callback):
        self.callback = callback
        self.requests += 1

    def flush(self):
        callback, self.callback = self.callback, None
        if callback is not None:
            callback()


def copy_case(stem, folder) -> Path:
    """A repository sample, its image and its true label files side by side in `folder`; the image path."""
    if not (SAMPLES / f"{stem}.dcm").is_file():
        pytest.skip("the repository lumbar samples are not generated yet")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLES / f"{stem}.dcm", folder / f"{stem}.dcm")
    for suffix in LABEL_FILES:
        shutil.copyfile(SAMPLES / "truth" / f"{stem}{suffix}", folder / f"{stem}{suffix}")
    return folder / f"{stem}.dcm"


def brush_stroke(editor_node, volume_node, segment_id, stroke):
    """What the Segment Editor's Paint effect does when the mouse is released (Slicer 5.10:
    qSlicerSegmentEditorPaintEffect::paintApply -> vtkSlicerSegmentEditorLogic::ModifySegmentByLabelmap):
    add the stroke's pixels (a mask on the volume's grid) to a segment of the editor node's segmentation,
    within their extent, under the node's overwrite and mask modes. Skips where slicer-core predates
    that logic class."""
    import numpy as np
    import slicer

    from RadiographQCLib import mrml

    if not hasattr(slicer, "vtkSlicerSegmentEditorLogic"):
        pytest.skip("this slicer-core has no vtkSlicerSegmentEditorLogic (Slicer 5.10 and later)")
    editor = slicer.vtkSlicerSegmentEditorLogic()
    editor.SetMRMLScene(editor_node.GetScene())
    editor.SetSegmentEditorNode(editor_node)
    ys, xs = np.nonzero(stroke)
    extent = [int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max()), 0, 0]
    editor.ModifySegmentByLabelmap(editor_node.GetSegmentationNode(), segment_id,
                                   mrml.orientedImageFromMask(stroke, volume_node), editor.ModificationModeAdd,
                                   extent, False, False)

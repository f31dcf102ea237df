"""Time of one Segment Editor brush stroke on a LumbarQC case of a 2,500 x 2,000 px lumbar radiograph.

    python benchmarks/bench_lumbar_edit.py [--repeat 5] [--debounce] [--overwrite-all] [--repo PATH]

A simulated AP case (label files as truth) is processed by LumbarQCLogic in a slicer-core scene; each
stroke is what the Paint effect does on releasing the mouse (vtkSlicerSegmentEditorLogic::
ModifySegmentByLabelmap, Slicer 5.10): a 10 mm brush dragged across the top of L3 into the L3 double
contour segment, so that the events of a real stroke reach the logic (labelmap, status tag, and with
--overwrite-all the other segments it touches). Printed: one rules run on the unchanged case (what
the mask cache saves), the stroke with LumbarQC observing (median of --repeat strokes, each at a new
place) and the rules runs it caused, and the same stroke with nothing observing (Slicer's own cost).
--debounce gives the logic a coalescing scheduler, flushed after the stroke as the widget's timer
would fire. --repo times another checkout's LumbarQC (e.g. an export of an earlier commit:
`git archive <commit> | tar -x -C /tmp/before`), with this script's stroke.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
LONG_SIDE = 2500
FIELD_W_MM = 273.0           # this case's field is 341 mm high: 2,500 x 2,000 px
BRUSH_RADIUS_MM = 5.0       # a 10 mm brush


def write_case(folder: Path) -> Path:
    """The simulated AP case, its DICOM and label files."""
    import numpy as np

    from radiographqc.simulate.lumbar import LumbarParams, simulate_lumbar
    from radiographqc.simulate.output import write_case as write_files

    rng = np.random.default_rng(11)
    params = LumbarParams(view="AP", long_side=LONG_SIDE, field_w_mm=FIELD_W_MM)
    case = simulate_lumbar(params, rng)
    write_files(case, folder, "bench", 0, 11, rng, incomplete_rate=0.0)
    return folder / "bench.dcm"


def brush(shape, centre, radius):
    import numpy as np

    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return (rows - centre[1]) ** 2 + (cols - centre[0]) ** 2 <= radius ** 2


def stroke_mask(l3, radius, offset):
    """A horizontal brush drag across L3, `offset` px below its top."""
    import numpy as np

    rows, cols = np.flatnonzero(l3.any(axis=1)), np.flatnonzero(l3.any(axis=0))
    y = rows[0] + offset
    mask = np.zeros(l3.shape, bool)
    for x in range(cols[0], cols[-1] + 1, max(radius // 2, 1)):
        mask |= brush(l3.shape, (x, y), radius)
    return mask


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_strokes(node, volume, strokes, scheduler=None):
    """Median ms of the strokes, each followed by the scheduled rules run."""
    from lumbarqc_testdata import brush_stroke

    def stroke_and_rules(stroke):
        brush_stroke(node, volume, "L3_double_contour", stroke)
        if scheduler is not None:
            scheduler.flush()

    return 1000 * statistics.median(timed(lambda: stroke_and_rules(stroke)) for stroke in strokes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--debounce", action="store_true", help="coalescing scheduler (as the widget's timer)")
    parser.add_argument("--overwrite-all", action="store_true", help="Slicer's default overwrite mode")
    parser.add_argument("--repo", type=Path, default=HERE, help="checkout whose LumbarQC is timed")
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path[:0] = [str(repo), str(repo / "LumbarQC"), str(repo / "Testing" / "Python"),
                    str(HERE / "LumbarQC" / "Testing" / "Python")]
    import slicer
    from conftest_slicer import build_scene
    from lumbarqc_testdata import CoalescingScheduler   # the widget's single-shot timer, fired by hand

    import LumbarQCLib.logic as logic_module

    runs = []
    evaluate = logic_module.evaluate_lumbar
    logic_module.evaluate_lumbar = lambda *a, **k: runs.append(1) or evaluate(*a, **k)
    with tempfile.TemporaryDirectory() as tmp:
        image = write_case(Path(tmp))
        scene, *_ = build_scene(slicer, Path(tmp) / "cache")
        slicer.mrmlScene = scene
        scheduler = CoalescingScheduler() if args.debounce else None
        extra = {"schedule": scheduler} if scheduler else {}
        logic = logic_module.LumbarQCLogic(scene, userName="bench", **extra)
        volume = logic.loadRadiograph(image)
        start = time.perf_counter()
        logic.process(volume)
        process_s = time.perf_counter() - start
        node = scene.AddNewNodeByClass("vtkMRMLSegmentEditorNode")
        node.SetAndObserveSegmentationNode(logic.segmentationNode)
        node.SetAndObserveSourceVolumeNode(volume)
        if not args.overwrite_all:
            node.SetOverwriteMode(node.OverwriteNone)
        spacing = logic.radiograph.spacing
        radius = int(round(BRUSH_RADIUS_MM / (spacing.col_mm if spacing else 1.0)))
        rows, cols = logic.radiograph.pixels.shape
        l3 = logic.segmentMask("L3")
        strokes = [stroke_mask(l3, radius, radius + 3 * i) for i in range(2 * args.repeat)]
        rules_ms = 1000 * statistics.median(timed(logic.computeRules) for _ in range(args.repeat))
        runs.clear()
        observed_ms = time_strokes(node, volume, strokes[:args.repeat], scheduler)
        rules_per_stroke = len(runs) / args.repeat
        logic.cleanup()                           # nothing observes now: Slicer's own cost of a stroke
        alone_ms = time_strokes(node, volume, strokes[args.repeat:])
    print(f"LumbarQC edit benchmark ({repo}): {cols} x {rows} px, {args.repeat} strokes, brush {radius} px, "
          f"{'overwrite all' if args.overwrite_all else 'overlap allowed'}, "
          f"{'debounced' if args.debounce else 'rules in each event'}")
    print(f"  process (segments + first rules run)  {process_s:8.2f} s")
    print(f"  one rules run (masks read + rules)    {rules_ms:8.0f} ms (median)")
    print(f"  stroke with LumbarQC observing        {observed_ms:8.0f} ms (median), "
          f"{rules_per_stroke:.1f} rules runs per stroke")
    print(f"  stroke alone (no observer)            {alone_ms:8.0f} ms (median)")


if __name__ == "__main__":
    main()

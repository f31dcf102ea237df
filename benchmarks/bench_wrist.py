"""Wrist QC speed on the bundled samples: median time per image of each stage over many runs.

    python benchmarks/bench_wrist.py [--repeat 30] [FOLDER]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from radiographqc.batch import expand_inputs
from radiographqc.dicom_io import read_radiograph
from radiographqc.profile import load_profile
from radiographqc.wrist.marker import detect_marker
from radiographqc.wrist.pipeline import WristPipeline
from radiographqc.wrist.scoring import evaluate_wrist

SAMPLES = Path(__file__).resolve().parents[1] / "Resources" / "Samples" / "wrist"


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=SAMPLES)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    profile = load_profile("wrist")
    pipeline = WristPipeline(profile)
    threshold = profile["marker"]["similarity_threshold"]
    print(f"{'image':34s} {'size':>11s} {'load ms':>8s} {'marker ms':>9s} {'rules ms':>8s} {'end-to-end ms':>13s}")
    for path in expand_inputs([args.folder]):
        rg = read_radiograph(path)
        kps, _ = pipeline.keypoints_for(path)
        marker = detect_marker(rg.pixels, threshold=threshold)
        load = median_ms(lambda: read_radiograph(path), args.repeat)
        mark = median_ms(lambda: detect_marker(rg.pixels, threshold=threshold), args.repeat)
        rules = median_ms(lambda: evaluate_wrist(kps, rg.rows, rg.cols, rg.spacing, rg.header, marker, None,
                                                 profile), args.repeat * 10)
        e2e = median_ms(lambda: pipeline.assess(path), max(3, args.repeat // 3))
        print(f"{path.name:34s} {rg.cols:>5d}x{rg.rows:<5d} {load:8.2f} {mark:9.2f} {rules:8.3f} {e2e:13.1f}")
    print(f"(median of {args.repeat} runs; end-to-end = load + keypoints + marker + rules + JSON dict + overlay PNG)")


if __name__ == "__main__":
    main()

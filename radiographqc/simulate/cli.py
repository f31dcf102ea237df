"""`radiographqc simulate wrist|lumbar ...`: write simulated radiographs with exact ground truth."""
from __future__ import annotations

import argparse
import os
import sys
import time

from .generate import BODIES, generate
from .presets import PRESETS


def add_simulate_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "simulate", help="simulated wrist/lumbar radiographs (DICOM) with exact ground truth",
        description="Simulated radiographs by analytic ray casting through 3D anatomy, with "
        "keypoints (wrist), label masks (lumbar) and the QC truth beside each DICOM file.")
    add_simulate_arguments(p)
    p.set_defaults(run=run_simulate)
    return p


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("body", choices=sorted(BODIES))
    p.add_argument("--view", required=True, choices=("AP", "LAT", "OBL"), type=str.upper)
    p.add_argument("--n", type=int, default=10, help="number of images (default: %(default)s)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--preset", choices=PRESETS, default="routine",
                   help="routine: clinical positions; mispositioned: at least one QC task clearly "
                   "failed; teaching: one control swept at a time (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=0,
                   help="worker processes (default: all cores)")
    p.add_argument("--size", type=int, default=768, metavar="PX",
                   help="long side of the images in pixels (default: %(default)s)")
    p.add_argument("--artefact-rate", type=float, default=0.0, metavar="P",
                   help="wrist: probability of a foreign body (ring, watch, bracelet, buttons, "
                   "zip, splint, cast, implant) with its mask (default: %(default)s)")
    p.add_argument("--marker-rate", type=float, default=0.0, metavar="P",
                   help="wrist: probability of a lead L/R marker, sometimes cut by the field "
                   "edge or over anatomy, with its mask and box (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_simulate(args) -> int:
    if args.view not in BODIES[args.body]:
        print(f"error: {args.body} has views {', '.join(BODIES[args.body])}", file=sys.stderr)
        return 2
    if args.n < 1 or args.size < 64:
        print("error: --n must be at least 1 and --size at least 64", file=sys.stderr)
        return 2
    if not (0.0 <= args.artefact_rate <= 1.0 and 0.0 <= args.marker_rate <= 1.0):
        print("error: --artefact-rate and --marker-rate must lie in 0..1", file=sys.stderr)
        return 2
    jobs = args.jobs or os.cpu_count() or 1
    start = time.perf_counter()
    generate(args.body, args.view, args.n, args.out, seed=args.seed, preset=args.preset,
             jobs=jobs, long_side=args.size, progress=not args.no_progress,
             artefact_rate=args.artefact_rate, marker_rate=args.marker_rate)
    took = time.perf_counter() - start
    print(f"{args.n} {args.body} {args.view} images in {took:.1f} s "
          f"({args.n / took:.1f} images/s, {jobs} jobs) -> {args.out}/", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m radiographqc.simulate", description=__doc__)
    add_simulate_arguments(parser)
    return run_simulate(parser.parse_args(argv))

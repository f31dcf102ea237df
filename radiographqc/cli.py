"""`radiographqc` command line: QC of single images or whole folders, simulation, training, evaluation."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .batch import expand_inputs, run_batch
from .errors import RadiographQCError
from .simulate.cli import add_simulate_parser
from .train.cli import add_evaluate_parser, add_train_parser


def _spacing(text: str):
    try:
        values = [float(v) for v in text.replace("x", ",").split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--spacing expects MM or ROW_MM,COL_MM, got {text!r}")
    if len(values) not in (1, 2) or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"--spacing expects one or two positive numbers, got {text!r}")
    return values[0] if len(values) == 1 else tuple(values)


def _add_qc_arguments(p: argparse.ArgumentParser, labels_flag: str, labels_help: str):
    p.add_argument("inputs", nargs="+", metavar="IMAGE_OR_FOLDER",
                   help="DICOM files or folders (searched recursively); PNG/JPEG need --spacing")
    p.add_argument(labels_flag, metavar="FILE_OR_FOLDER", help=labels_help)
    p.add_argument("--profile", metavar="FILE", help="criteria profile (JSON/YAML) overriding the published defaults")
    p.add_argument("--out", metavar="DIR", default="radiographqc-out", help="output folder (default: %(default)s)")
    p.add_argument("--spacing", type=_spacing, metavar="MM[,MM]",
                   help="pixel spacing for PNG/JPEG teaching images, or to override the DICOM header")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="radiographqc", description=__doc__)
    parser.add_argument("--version", action="version", version=f"radiographqc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    wrist = sub.add_parser("wrist", help="wrist AP/lateral QC: 100-point score and A-D grade")
    _add_qc_arguments(wrist, "--keypoints", "keypoint JSON/Labelme file, or a folder holding "
                      "<image stem>.keypoints.json or <image stem>.json; default: beside each image")
    wrist.set_defaults(run=_run_wrist)
    lumbar = sub.add_parser("lumbar", help="lumbar spine AP/lateral/oblique QC: rules on a segmentation")
    _add_qc_arguments(lumbar, "--masks", "label table <stem>.labels.json (with its PNGs), or a folder holding "
                      "them; default: beside each image")
    lumbar.set_defaults(run=_run_lumbar)
    _add_web_parser(sub)
    add_simulate_parser(sub)
    add_train_parser(sub)
    add_evaluate_parser(sub)
    return parser


def _add_web_parser(sub):
    web = sub.add_parser("web", help="review app in the browser: see, correct, rescore, export, teach",
                         description="Starts the review app (trame-slicer: Slicer's MRML core behind a web "
                         "page); each browser tab gets its own case. Needs the 'web' extra.")
    web.add_argument("inputs", nargs="*", metavar="IMAGE_OR_FOLDER",
                     help="DICOM files or folders (searched recursively); default: the bundled samples")
    web.add_argument("--host", default="127.0.0.1", metavar="ADDR",
                     help="address to listen on (default: %(default)s, this machine only); any other address "
                     "requires an access token")
    web.add_argument("--port", type=int, default=8080, metavar="N", help="port (default: %(default)s; 0: any free)")
    web.add_argument("--token", metavar="TEXT", help="access token (generated and printed when --host is not "
                     "a loopback address and none is given)")
    web.add_argument("--export", default="radiographqc-review", metavar="DIR",
                     help="the only folder the app writes: reports and training data (default: %(default)s)")
    web.add_argument("--profile", action="append", default=[], metavar="FILE",
                     help="a department criteria profile the reviewer can switch to (repeatable)")
    web.set_defaults(run=_run_web)


def _run_web(args) -> int:
    # The one place the core reaches into the web app, and only when asked to: the app needs
    # trame-slicer and the Slicer-side logics, which the command line's QC does not.
    try:
        from RadiographQCWeb.serve import serve
    except ImportError as exc:
        print(f"error: the web app needs the 'web' extra (pip install -e \".[web]\"): {exc}", file=sys.stderr)
        return 2
    return serve(args)


def _run_wrist(args) -> int:
    from .profile import load_profile
    from .wrist.pipeline import WristPipeline

    profile = load_profile("wrist", args.profile)
    pipeline = WristPipeline(profile, keypoints=args.keypoints, spacing_mm=args.spacing)
    files = expand_inputs(args.inputs)
    return _finish(run_batch(files, pipeline.assess, Path(args.out), progress=not args.no_progress), args.out)


def _run_lumbar(args) -> int:
    from .lumbar.pipeline import LumbarPipeline
    from .profile import load_profile

    pipeline = LumbarPipeline(load_profile("lumbar", args.profile), masks=args.masks, spacing_mm=args.spacing)
    files = expand_inputs(args.inputs)
    return _finish(run_batch(files, pipeline.assess, Path(args.out), progress=not args.no_progress), args.out)


def _finish(result, out) -> int:
    n = len(result.rows)
    print(f"{n - result.failed} of {n} images assessed, {result.failed} failed; reports in {out}/ "
          f"(summary.csv)", file=sys.stderr)
    return 0 if result.ok else 1


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except RadiographQCError as exc:  # problems with the whole run (profile, model, arguments), not one image
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

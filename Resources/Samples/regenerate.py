"""Regenerate the bundled sample radiographs with the simulator (deterministic).

    python Resources/Samples/regenerate.py [--out Resources/Samples]

wrist/:  AP and LAT, one routine and one clearly mispositioned image per view, each with a lead
         L/R marker (cut by the field edge in wrist_ap_tilted, which also has a foreign body);
         in truth/: <stem>.keypoints.json (`radiographqc wrist ... --keypoints DIR/truth`),
         marker and foreign-body masks (<stem>.labels.png + .labels.json) and <stem>.truth.json.
lumbar/: AP, LAT and OBL, one routine and one mispositioned image per view, and an AP whose beam is
         tilted against the L3 endplates (double contour); in truth/: the label
         masks (<stem>.labels.png + .labels.json, `radiographqc lumbar ... --masks DIR/truth`),
         vertebra instances (<stem>.vertebrae.png) and <stem>.truth.json.
The ground truth lies in truth/ so that the QC of a sample folder runs the bundled models (a
keypoint or label file beside an image would be taken as a reviewer's correction).
512 px long side, JPEG 2000 lossless, complete headers; the files are fully determined by the
table below (seed, index, preset and failed task of every sample).
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from pydicom.uid import JPEG2000Lossless

from radiographqc.simulate.generate import simulate_case
from radiographqc.simulate.output import write_case

LONG_SIDE = 512
# (folder, stem, body, view, preset, failed task or None, seed, index, MONOCHROME1?, artefact?)
# Every wrist sample carries its lead L/R marker; one also a foreign body.
SAMPLES = (
    ("wrist", "wrist_ap_routine", "wrist", "AP", "routine", None, 11, 0, False, False),
    ("wrist", "wrist_ap_tilted", "wrist", "AP", "mispositioned", "AP3", 2, 1, True, True),
    ("wrist", "wrist_lat_routine", "wrist", "LAT", "routine", None, 13, 0, False, False),
    ("wrist", "wrist_lat_rotated", "wrist", "LAT", "mispositioned", "LAT1", 2, 1, False, False),
    ("lumbar", "lumbar_ap_routine", "lumbar", "AP", "routine", None, 2, 0, False, False),
    ("lumbar", "lumbar_ap_rotated", "lumbar", "AP", "mispositioned", "rotation", 2, 1, False,
     False),
    ("lumbar", "lumbar_ap_tilted", "lumbar", "AP", "mispositioned", "double_contour", 2, 2, False,
     False),
    ("lumbar", "lumbar_lat_routine", "lumbar", "LAT", "routine", None, 2, 0, True, False),
    ("lumbar", "lumbar_lat_too_long", "lumbar", "LAT", "mispositioned", "field_too_long", 2, 1,
     False, False),
    ("lumbar", "lumbar_obl_routine", "lumbar", "OBL", "routine", None, 2, 0, False, False),
    ("lumbar", "lumbar_obl_rotated", "lumbar", "OBL", "mispositioned", "rotation", 2, 1, False,
     False),
)


def regenerate(out: Path) -> list[Path]:
    """Write every sample into out/wrist and out/lumbar (both emptied first)."""
    written = []
    for folder in ("wrist", "lumbar"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True)
    for folder, stem, body, view, preset, task, seed, index, mono1, artefact in SAMPLES:
        rates = (1.0 if artefact else 0.0, 1.0) if body == "wrist" else (0.0, 0.0)
        case, file_rng = simulate_case(body, view, preset, seed, index, long_side=LONG_SIDE,
                                       task=task, artefact_rate=rates[0], marker_rate=rates[1])
        truth = write_case(case, out / folder, stem, index, seed, file_rng, incomplete_rate=0.0,
                           monochrome1_rate=1.0 if mono1 else 0.0,
                           transfer_syntax=JPEG2000Lossless)
        (out / folder / "truth").mkdir(exist_ok=True)
        for label in (out / folder).glob(f"{stem}.*"):
            if label.suffix != ".dcm":
                label.replace(out / folder / "truth" / label.name)
        qc = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in truth["qc"].items()}
        print(f"{folder}/{stem}.dcm  {case.projection.cols}x{case.projection.rows}  {qc}")
        written.append(out / folder / f"{stem}.dcm")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    regenerate(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

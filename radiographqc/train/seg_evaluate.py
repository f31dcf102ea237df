"""Held-out evaluation of a lumbar segmentation model (numpy + ONNX Runtime; no torch).

- Simulated test folders (`radiographqc simulate lumbar ...` output): Dice per structure and view
  against the exact label masks, vertebra count and L3 identification against the body instances.
- AASCE validation split (real AP spine radiographs, T1..L5 labelled): Dice of the vertebral-body
  union against the corner quadrilaterals; count of detected bodies against the 17 labelled;
  L3 identification.

Definitions. Dice per structure is averaged over the images whose truth has that structure (an
image where it is absent is counted apart: "absent_agreed" = the prediction is empty too). A
view's mean Dice averages the spec's structures of that view (SPEC_VIEW_STRUCTURES), as the
source does. L3 is identified when the centroid of the body the model calls L3 lies inside the
true L3 body; "L3 by position" instead takes the 3rd detected body above the lowest one (valid
when the lowest detected body is L5).

    python -m radiographqc.train.seg_evaluate --model M.json --sim DIR... \
        --aasce DATA --split SPLIT.json [--json OUT.json] [--record]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from radiographqc.metrics import dice
from radiographqc.train.seg_data import (AASCE_L3_INDEX, AASCE_LEVELS, quad_instances,
                                         read_aasce_table, read_grey, read_truth_labels)

# The source's labels per view (spec "Segmentation labels per view") and its mean Dice.
SPEC_VIEW_STRUCTURES = {
    "AP": ("vertebrae", "pelvis", "spinous_processes", "L3", "L3_double_contour"),
    "LAT": ("vertebrae", "spinous_processes", "foramina", "L3", "L3_double_contour", "sacrum"),
    "OBL": ("vertebrae", "inferior_articular_processes", "pelvis"),
}
SOURCE_MEAN_DICE = {"AP": 0.91, "LAT": 0.87, "OBL": 0.80}


class Tally:
    """Per-structure Dice lists and per-image counts, summarised at the end."""

    def __init__(self):
        self.dice = {}
        self.absent = {}
        self.count_error = []
        self.l3 = []
        self.l3_position = []
        self.seconds = []

    def add_dice(self, name, pred, truth):
        if truth.any():
            self.dice.setdefault(name, []).append(dice(pred, truth))
        else:
            self.absent.setdefault(name, []).append(not pred.any())

    def summary(self, structures=None):
        per = {name: {"dice": float(np.mean(v)), "n": len(v)} for name, v in self.dice.items()}
        for name, agreed in self.absent.items():
            per.setdefault(name, {"dice": None, "n": 0})
            per[name]["absent_images"] = len(agreed)
            per[name]["absent_agreed"] = float(np.mean(agreed))
        out = {"images": len(self.count_error), "dice": per}
        if structures:
            values = [per[s]["dice"] for s in structures if per.get(s, {}).get("dice") is not None]
            out["mean_dice_spec_structures"] = float(np.mean(values)) if values else None
            out["spec_structures"] = list(structures)
        errors = np.array(self.count_error)
        out["vertebra_count"] = {"exact_accuracy": float(np.mean(errors == 0)),
                                 "within_one": float(np.mean(np.abs(errors) <= 1)),
                                 "mean_error": float(np.mean(errors)),
                                 "mean_abs_error": float(np.mean(np.abs(errors)))}
        out["L3_identification_accuracy"] = float(np.mean(self.l3))
        if self.l3_position:
            out["L3_by_position_accuracy"] = float(np.mean(self.l3_position))
        out["segment_seconds_median"] = float(np.median(self.seconds))
        return out


def centroid_inside(instances, instance_id, truth_mask):
    """True when the centroid of predicted body `instance_id` falls inside `truth_mask`."""
    if instance_id is None:
        return False
    rows, cols = np.nonzero(instances == instance_id)
    r, c = int(round(rows.mean())), int(round(cols.mean()))
    return bool(truth_mask[r, c])


def evaluate_simulated(model, folder, limit=0):
    """{view: summary} over the simulator output in `folder` (DICOM + labels beside it)."""
    from radiographqc.dicom_io import read_radiograph

    tallies = {}
    paths = sorted(Path(folder).glob("*.truth.json"))
    for truth_path in paths[:limit] if limit else paths:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        stem = truth_path.parent / truth_path.name[:-len(".truth.json")]
        view = truth["view"]
        pixels = read_radiograph(stem.with_suffix(".dcm")).pixels
        masks, true_ids = read_truth_labels(stem)
        started = time.perf_counter()
        seg = model.segment(pixels, view)
        tally = tallies.setdefault(view, Tally())
        tally.seconds.append(time.perf_counter() - started)
        for name in model.view_channels.get(view, model.channels):
            if name in masks:
                tally.add_dice(name, seg.masks[name], masks[name])
        tally.count_error.append(seg.instance_count - len(np.unique(true_ids[true_ids > 0])))
        tally.l3.append(centroid_inside(seg.instances, seg.l3_instance, masks["L3"]))
    return {view: tally.summary(SPEC_VIEW_STRUCTURES[view]) for view, tally in tallies.items()}


def evaluate_aasce(model, data_dir, names, limit=0):
    """Summary over AASCE images `names` (the held-out validation split)."""
    corners, _ = read_aasce_table(data_dir)
    tally = Tally()
    for name in names[:limit] if limit else names:
        pixels = read_grey(Path(data_dir) / "images" / name)
        true_ids = quad_instances(corners[name], pixels.shape)
        started = time.perf_counter()
        seg = model.segment(pixels, "AP")
        tally.seconds.append(time.perf_counter() - started)
        tally.add_dice("vertebrae", seg.masks["vertebrae"], true_ids > 0)
        tally.count_error.append(seg.instance_count - len(AASCE_LEVELS))
        l3_truth = true_ids == AASCE_L3_INDEX + 1
        tally.l3.append(centroid_inside(seg.instances, seg.l3_instance, l3_truth))
        by_position = seg.instance_count - 2 if seg.instance_count >= 3 else None
        tally.l3_position.append(centroid_inside(seg.instances, by_position, l3_truth))
    summary = tally.summary(("vertebrae",))
    summary["labelled_bodies_per_image"] = len(AASCE_LEVELS)
    return summary


def inference_seconds(model, pixels, repeats=5):
    """Median seconds of letterbox + ONNX Runtime (network_probabilities) and of segment()."""
    network, full = [], []
    model.segment(pixels)
    for _ in range(repeats):
        started = time.perf_counter()
        model.network_probabilities(pixels)
        network.append(time.perf_counter() - started)
        started = time.perf_counter()
        model.segment(pixels)
        full.append(time.perf_counter() - started)
    return {"network_s": float(np.median(network)), "segment_s": float(np.median(full)),
            "image_shape": list(pixels.shape), "repeats": repeats}


def main(argv=None):
    from radiographqc.models import load_model
    from radiographqc.train.export import write_manifest

    parser = argparse.ArgumentParser(prog="python -m radiographqc.train.seg_evaluate")
    parser.add_argument("--model", required=True, help="manifest path or bundled model id")
    parser.add_argument("--sim", nargs="*", default=[], type=Path, help="simulated test folders")
    parser.add_argument("--aasce", type=Path, help="AASCE data folder")
    parser.add_argument("--split", type=Path, help="split JSON; its 'valid' images are used")
    parser.add_argument("--limit", type=int, default=0, help="first N images per set (tests)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the metrics here")
    parser.add_argument("--record", action="store_true", help="store them in the manifest")
    args = parser.parse_args(argv)
    model = load_model(args.model, threads=args.threads)
    metrics = {"simulated": {}, "source_mean_dice": SOURCE_MEAN_DICE}
    for folder in args.sim:
        metrics["simulated"].update(evaluate_simulated(model, folder, args.limit))
    if args.aasce:
        names = json.loads(args.split.read_text(encoding="utf-8"))["valid"]
        metrics["aasce_valid"] = evaluate_aasce(model, args.aasce, names, args.limit)
    if args.sim:
        from radiographqc.dicom_io import read_radiograph

        first = sorted(Path(args.sim[0]).glob("*.dcm"))[0]
        metrics["speed"] = {"image": first.name, "threads": args.threads,
                            **inference_seconds(model, read_radiograph(first).pixels)}
    print(json.dumps(metrics, indent=1))
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    if args.record:
        manifest = dict(model.manifest)
        manifest["metrics"] = {**manifest.get("metrics", {}), **metrics}
        write_manifest(model.manifest_path, manifest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

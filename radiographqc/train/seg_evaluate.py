"""Held-out evaluation of the lumbar QC with its segmentation model (numpy + ONNX Runtime; no torch).

`radiographqc evaluate lumbar --data DIR`:
- a labelled folder (DICOMs with `<stem>.labels.json` beside them: the simulator's output, or
  corrections exported from Slicer): Dice per structure and view against the label masks; the
  vertebra count, L3 and every rule as the QC computes them from the model's masks, against the
  same rules run on the true masks (per-rule accuracy, sensitivity and specificity, a failed rule
  being the positive), and the agreement of the qualified/unqualified verdict;
- the AASCE folder (real AP spine radiographs, T1..L5 labelled): its held-out images as listed in
  the model's manifest: Dice of the vertebral-body union against the corner quadrilaterals, count
  of the bodies the rules find against the 17 labelled, L3 identification.

Definitions. Dice per structure is averaged over the images whose truth has that structure (an
image where it is absent is counted apart: "absent_agreed" = the prediction is empty too). A
view's mean Dice averages the spec's structures of that view (SPEC_VIEW_STRUCTURES), as the
source does. L3 is identified when the centroid of the body the rules name L3 lies inside the
true L3 body.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from radiographqc.metrics import dice
from radiographqc.train.seg_data import (AASCE_L3_INDEX, AASCE_LEVELS, quad_instances,
                                         read_aasce_table, read_grey)

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
        out["segment_seconds_median"] = float(np.median(self.seconds))
        return out


def evaluate_aasce(segmenter, data_dir, names, profile, limit=0):
    """Summary over AASCE images `names` (the held-out validation split): body Dice against the
    corner quadrilaterals, count of bodies the rules find against the 17 labelled, L3 identified
    when the centroid of the body the rules name L3 lies inside the true L3."""
    from radiographqc.image import Radiograph
    from radiographqc.lumbar.rules import evaluate_lumbar

    corners, _ = read_aasce_table(data_dir)
    tally = Tally()
    for name in names[:limit] if limit else names:
        path = Path(data_dir) / "images" / name
        pixels = read_grey(path)
        true_ids = quad_instances(corners[name], pixels.shape)
        rg = Radiograph(path=str(path), pixels=pixels, spacing=None, header={}, view="AP")
        started = time.perf_counter()
        masks, _ = segmenter.segment(rg, path, profile["vertebrae"])
        tally.seconds.append(time.perf_counter() - started)
        result = evaluate_lumbar(masks, None, profile)
        tally.add_dice("vertebrae", masks.structures["vertebrae"], true_ids > 0)
        tally.count_error.append(len(result.vertebrae) - len(AASCE_LEVELS))
        tally.l3.append(_l3_found(result, true_ids == AASCE_L3_INDEX + 1))
    summary = tally.summary(("vertebrae",))
    summary["labelled_bodies_per_image"] = len(AASCE_LEVELS)
    return summary


def _l3_found(result, true_l3):
    """True when the centroid of the body the rules call L3 lies inside the true L3."""
    found = next((v for v in result.vertebrae if v.label == "L3"), None)
    return found is not None and bool(true_l3[int(round(found.centroid[1])), int(round(found.centroid[0]))])


class RuleTally:
    """Per rule: agreement of the model's pass/fail with the ground truth's (positive = failed,
    the QC problem a reviewer must hear about); not-assessable on either side is counted apart."""

    def __init__(self):
        self.pairs = {}
        self.unassessable = {}

    def add(self, truth_rules, predicted_rules):
        predicted = {r.id: r for r in predicted_rules}
        for rule in truth_rules:
            other = predicted.get(rule.id)
            if other is None:
                continue
            if rule.passed is None or other.passed is None:
                self.unassessable[rule.id] = self.unassessable.get(rule.id, 0) + 1
            else:
                self.pairs.setdefault(rule.id, []).append((not rule.passed, not other.passed))

    def summary(self):
        from radiographqc.metrics import binary_counts

        out = {}
        for rule_id in sorted(set(self.pairs) | set(self.unassessable)):
            pairs = np.array(self.pairs.get(rule_id, []), dtype=bool).reshape(-1, 2)
            c = binary_counts(pairs[:, 0], pairs[:, 1].astype(float), 0.5)
            n = len(pairs)
            out[rule_id] = {"n": n, "not_assessable": self.unassessable.get(rule_id, 0), **c,
                            "accuracy": (c["tp"] + c["tn"]) / n if n else None,
                            "sensitivity": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None,
                            "specificity": c["tn"] / (c["tn"] + c["fp"]) if c["tn"] + c["fp"] else None}
        return out


def _true_l3(result):
    return next((v.mask for v in result.vertebrae if v.label == "L3"), None)


def evaluate_labelled(segmenter, folder, profile, limit=0, labels=None):
    """{view: summary} of the model against label files beside DICOMs (the simulator's output, or
    corrections exported from Slicer): Dice per structure, vertebra count and L3 as the rules see
    them (truth: the rules run on the true masks), per-rule agreement, the verdict's agreement.
    `labels`: the folder of the label files when they are not beside the images."""
    from radiographqc.batch import expand_inputs
    from radiographqc.dicom_io import read_radiograph
    from radiographqc.label_io import find_label_file, read_masks
    from radiographqc.lumbar.rules import evaluate_lumbar

    tallies, rule_tallies, verdicts = {}, {}, {}
    paths = [p for p in expand_inputs([folder]) if find_label_file(p, labels) is not None]
    if not paths:
        raise SystemExit(f"{folder}: no images with a <stem>.labels.json beside them or in {labels}")
    for path in paths[:limit] if limit else paths:
        rg = read_radiograph(path)
        truth = read_masks(find_label_file(path, labels), rg.view, (rg.rows, rg.cols))
        started = time.perf_counter()
        predicted, _ = segmenter.segment(rg, path, profile["vertebrae"])
        seconds = time.perf_counter() - started
        truth_result = evaluate_lumbar(truth, rg.pixels, profile, rg.spacing)
        result = evaluate_lumbar(predicted, rg.pixels, profile, rg.spacing)
        tally = tallies.setdefault(truth.view, Tally())
        tally.seconds.append(seconds)
        for name, mask in truth.structures.items():
            if name in predicted.structures:
                tally.add_dice(name, predicted.structures[name], mask)
        tally.count_error.append(len(result.vertebrae) - len(truth_result.vertebrae))
        l3 = _true_l3(truth_result)
        if l3 is not None:
            tally.l3.append(_l3_found(result, l3))
        rule_tallies.setdefault(truth.view, RuleTally()).add(truth_result.rules, result.rules)
        verdicts.setdefault(truth.view, []).append(truth_result.qualified == result.qualified)
    return {view: {**tally.summary(SPEC_VIEW_STRUCTURES[view]), "rules": rule_tallies[view].summary(),
                   "verdict_agreement": float(np.mean(verdicts[view]))}
            for view, tally in sorted(tallies.items())}


def format_lumbar_report(metrics, title):
    pct = lambda v: "  n/a" if v is None else f"{100 * v:5.1f}"     # noqa: E731
    lines = [title]
    for view, m in metrics.items():
        count = m["vertebra_count"]
        lines += [f"{view}: {m['images']} images",
                  f"  vertebra count exact {pct(count['exact_accuracy'])} %, within one "
                  f"{pct(count['within_one'])} %, mean error {count['mean_error']:+.2f}",
                  f"  L3 identified {pct(m['L3_identification_accuracy'])} %"]
        if m.get("mean_dice_spec_structures") is not None:
            lines.append(f"  mean Dice over the spec's structures {m['mean_dice_spec_structures']:.3f}"
                         + (f" (source {SOURCE_MEAN_DICE[view]:.2f})" if view in SOURCE_MEAN_DICE else ""))
        for name, d in sorted(m["dice"].items()):
            if d["dice"] is not None:
                lines.append(f"    Dice {name:32s} {d['dice']:.3f} (n {d['n']})")
        if "verdict_agreement" in m:
            lines.append(f"  verdict agrees with the truth's: {pct(m['verdict_agreement'])} %")
        for rule_id, r in m.get("rules", {}).items():
            lines.append(f"    rule {rule_id:26s} accuracy {pct(r['accuracy'])} %  sensitivity "
                         f"{pct(r['sensitivity'])} %  specificity {pct(r['specificity'])} %  "
                         f"(n {r['n']}, failed in truth {r['tp'] + r['fn']}, not assessable "
                         f"{r['not_assessable']})")
    return "\n".join(lines)


def run_evaluate_lumbar(args, model_id):
    """`radiographqc evaluate lumbar --data DIR`: a labelled folder, or the AASCE folder (its
    held-out images as listed in the model's manifest, or --split-file)."""
    from radiographqc.lumbar.pipeline import Segmenter
    from radiographqc.models import ModelRegistry, load_model
    from radiographqc.profile import load_profile

    model = load_model(model_id, threads=2)
    segmenter = Segmenter(ModelRegistry(Path(model.manifest_path).parent), model.id)
    data = Path(args.data)
    if (data / "landmarks.csv").is_file() and (data / "cobb.csv").is_file():
        names = _held_out_aasce(model, args.split_file)
        metrics = {"AP": evaluate_aasce(segmenter, data, names, load_profile("lumbar", args.profile),
                                        args.limit)}
        split = f"{data.name} held-out ({len(names)} images)"
    else:
        metrics = evaluate_labelled(segmenter, data, load_profile("lumbar", args.profile), args.limit,
                                    args.masks)
        split = data.name
    print(format_lumbar_report(metrics, f"{model.id} {model.version} on {split}"))
    result = {"split": split, "views": metrics}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.record:
        from radiographqc.train.cli import _record

        _record(model.manifest_path, result)
    return 0


def _held_out_aasce(model, split_file):
    if split_file:
        return json.loads(Path(split_file).read_text(encoding="utf-8"))["valid"]
    held_out = model.manifest.get("training_data", {}).get("real", {}).get("held_out_validation_list")
    if not held_out:
        raise SystemExit("the model's manifest lists no held-out AASCE images: give --split-file")
    return held_out


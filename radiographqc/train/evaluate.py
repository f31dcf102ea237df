"""Evaluate a landmark detector on a labelled data set (numpy only: no torch needed)."""

from __future__ import annotations

import numpy as np

from radiographqc import metrics
from radiographqc.train.dataset import load_pixels, points_array, row_crop


def predict_samples(locator, samples, names):
    """Run `locator.locate(pixels) -> (xy (K, 2), confidence (K,))` on every sample.

    Returns (pred (N, K, 2), confidence (N, K), truth (N, K, 2) NaN = absent, mm_per_px (N,) or None).
    """
    preds, confs, truths, sizes = [], [], [], []
    for sample in samples:
        pixels, mm = load_pixels(sample)
        xy, confidence = locator.locate(pixels)
        preds.append(xy)
        confs.append(confidence)
        truths.append(points_array(sample, names))
        sizes.append(np.nan if mm is None else mm)
    sizes = np.array(sizes, dtype=float)
    return (np.array(preds), np.array(confs), np.array(truths),
            None if np.isnan(sizes).any() else sizes)


def keypoint_metrics(pred, confidence, truth, mm_per_px, names, presence_threshold=0.5,
                     may_be_absent=()):
    """Localisation metrics over points present in the ground truth, and presence metrics.

    Localisation uses the decoded peak whatever the presence decision. Presence is a binary
    decision `confidence >= presence_threshold` evaluated on the `may_be_absent` landmarks (all
    landmarks when none are named) against the ground truth's present/absent.
    """
    unit = "px" if mm_per_px is None else "mm"
    errors = metrics.radial_errors(pred, truth, mm_per_px)
    mre, sd = metrics.mean_radial_error(errors)
    result = {
        "unit": unit,
        "images": int(len(pred)),
        "points": int(np.isfinite(errors).sum()),
        "mre": mre,
        "sd": sd,
        "median": float(np.nanmedian(errors)),
        "sdr": {f"{r:g}": v for r, v in metrics.successful_detection_rate(errors).items()},
        "per_landmark_mre": {name: _nanmean(errors[:, k]) for k, name in enumerate(names)},
    }
    chosen = [names.index(n) for n in may_be_absent] if may_be_absent else range(len(names))
    labels = np.isfinite(truth[:, chosen, 0]).ravel()
    scores = confidence[:, chosen].ravel()
    if labels.all():
        result["presence"] = {"landmarks": [names[k] for k in chosen], "measurable": False,
                              "reason": "no absent landmark in the ground truth"}
        return result
    presence = {"landmarks": [names[k] for k in chosen], "measurable": True,
                **metrics.threshold_metrics(labels, scores, presence_threshold)}
    try:
        presence["roc"] = metrics.roc_auc_ci(labels, scores)
    except ValueError as exc:
        presence["roc"] = {"auc": None, "reason": str(exc)}
    result["presence"] = presence
    return result


def evaluate(locator, samples, names, presence_threshold=0.5, may_be_absent=()):
    pred, confidence, truth, mm = predict_samples(locator, samples, names)
    return keypoint_metrics(pred, confidence, truth, mm, names, presence_threshold, may_be_absent)


def wrist_views(samples, thumb="P1", styloids=("P2", "P3"), margin=0.3):
    """AP-wrist-like row crops of hand images: one keeping the thumb MCP, one cutting it off.

    The crops run from above (or below) the thumb point by `margin` wrist widths (the styloid
    distance) to the bottom of the image; a cut-off crop is kept only when the styloids stay at
    least `margin` wrist widths inside it. Derived from the ground truth, so for evaluation only.
    """
    views = []
    for sample in samples:
        p_thumb, a, b = (np.array(sample.points[n]) for n in (thumb, *styloids))
        width = float(np.linalg.norm(a - b))
        views.append(row_crop(sample, p_thumb[1] - margin * width, 10 ** 9, "thumb in view"))
        first = p_thumb[1] + margin * width
        if min(a[1], b[1]) - first >= margin * width:
            views.append(row_crop(sample, first, 10 ** 9, "thumb cut off"))
    return views


def format_report(result, title=""):
    """Human-readable lines of a `keypoint_metrics` result."""
    unit = result["unit"]
    sdr = ", ".join(f"{r} {unit}: {100 * v:.1f} %" for r, v in result["sdr"].items())
    lines = [title] if title else []
    lines += [f"images {result['images']}, points {result['points']}",
              f"MRE {result['mre']:.2f} ± {result['sd']:.2f} {unit} "
              f"(median {result['median']:.2f})",
              f"SDR {sdr}"]
    p = result["presence"]
    if not p["measurable"]:
        return "\n".join(lines + [f"presence: not measurable ({p['reason']})"])
    roc = p["roc"]
    auc = ("AUC n/a (" + roc["reason"] + ")" if roc["auc"] is None else
           f"AUC {roc['auc']:.3f} (95 % CI {roc['ci'][0]:.3f}-{roc['ci'][1]:.3f}, DeLong)")
    lines.append(f"presence of {','.join(p['landmarks'][:6])}{'...' if len(p['landmarks']) > 6 else ''}"
                 f" at confidence >= {p['threshold']:.2f}: accuracy {_pct(p['accuracy'])}, "
                 f"precision {_pct(p['precision'])}, recall {_pct(p['recall'])}; {auc}")
    return "\n".join(lines)


def _pct(value):
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _nanmean(values):
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else None

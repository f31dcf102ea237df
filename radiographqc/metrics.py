"""Evaluation metrics for keypoint detectors, segmentations and binary decisions (numpy only).

Keypoint errors follow the landmark-detection literature: the radial (Euclidean) error of each
point in mm, summarised as mean radial error (MRE) ± sample standard deviation and as the
successful detection rate (SDR, share of points within r mm).

The 95 % confidence interval of the ROC AUC uses DeLong's method (DeLong et al., Biometrics 1988)
with the fast midrank algorithm of Sun & Xu (IEEE SPL 2014): AUC ± 1.96·SE, clipped to [0, 1].
"""

from __future__ import annotations

import math

import numpy as np

SDR_RADII_MM = (1.0, 2.0, 2.5, 3.0, 4.0, 10.0)


def radial_errors(pred, truth, mm_per_px=None):
    """Euclidean distance between predicted and true points, per point.

    `pred`, `truth`: arrays (..., 2) of (x, y) pixels; NaN marks a missing point, which gives a NaN
    error. `mm_per_px`: None (errors stay in pixels), a scalar, or one value per image (broadcast
    over the last point axis).
    """
    pred = np.asarray(pred, dtype=float)
    truth = np.asarray(truth, dtype=float)
    errors = np.linalg.norm(pred - truth, axis=-1)
    if mm_per_px is None:
        return errors
    scale = np.asarray(mm_per_px, dtype=float)
    if scale.ndim:
        scale = scale.reshape(scale.shape + (1,) * (errors.ndim - scale.ndim))
    return errors * scale


def payer_mm_per_px(truth, index_a=1, index_b=5, distance_mm=50.0):
    """Pixel size so that ground-truth landmarks `index_a` and `index_b` lie `distance_mm` apart.

    The usual convention of the hand-radiograph benchmark (Payer et al. 2016/2019: landmarks 1 and
    5, the ulnar and radial styloid tips, are 50 mm apart). `truth`: (n_images, n_points, 2) or
    (n_points, 2). Returns one value per image.
    """
    truth = np.asarray(truth, dtype=float)
    gap = np.linalg.norm(truth[..., index_a, :] - truth[..., index_b, :], axis=-1)
    return distance_mm / gap


def mean_radial_error(errors):
    """(mean, sample SD) of the finite errors; SD is 0 for a single error."""
    values = _finite(errors)
    if values.size == 0:
        raise ValueError("no finite errors to summarise")
    sd = float(np.std(values, ddof=1)) if values.size > 1 else 0.0
    return float(np.mean(values)), sd


def successful_detection_rate(errors, radii=SDR_RADII_MM):
    """Share of finite errors <= r, for each radius r (same unit as the errors)."""
    values = _finite(errors)
    if values.size == 0:
        raise ValueError("no finite errors to summarise")
    return {float(r): float(np.mean(values <= r)) for r in radii}


def binary_counts(labels, scores, threshold):
    """Confusion counts of the decision `score >= threshold` against boolean `labels`."""
    labels = np.asarray(labels, dtype=bool)
    decided = np.asarray(scores, dtype=float) >= threshold
    return {
        "tp": int(np.sum(decided & labels)),
        "fp": int(np.sum(decided & ~labels)),
        "tn": int(np.sum(~decided & ~labels)),
        "fn": int(np.sum(~decided & labels)),
    }


def threshold_metrics(labels, scores, threshold):
    """Accuracy, precision and recall of `score >= threshold`; None where undefined (0/0)."""
    c = binary_counts(labels, scores, threshold)
    total = c["tp"] + c["fp"] + c["tn"] + c["fn"]
    return {
        "threshold": float(threshold),
        "n": total,
        "accuracy": _ratio(c["tp"] + c["tn"], total),
        "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
        "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        **c,
    }


def roc_auc(labels, scores):
    """Area under the ROC curve = P(score of a positive > score of a negative), ties count 1/2."""
    return roc_auc_ci(labels, scores)["auc"]


def roc_auc_ci(labels, scores, level=0.95):
    """ROC AUC with DeLong's standard error and a normal confidence interval clipped to [0, 1].

    Raises ValueError when either class is missing (the AUC is undefined then).
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    positives, negatives = scores[labels], scores[~labels]
    m, n = positives.size, negatives.size
    if m == 0 or n == 0:
        raise ValueError("ROC AUC needs at least one positive and one negative example")
    # Midranks give, for each example, how many of the other class it beats (ties count 1/2).
    rank_all = _midranks(np.concatenate([positives, negatives]))
    v10 = (rank_all[:m] - _midranks(positives)) / n     # per positive: share of negatives beaten
    v01 = 1.0 - (rank_all[m:] - _midranks(negatives)) / m
    auc = float(np.mean(v10))
    var = _sample_var(v10) / m + _sample_var(v01) / n
    half = _normal_quantile(0.5 + level / 2) * math.sqrt(var)
    return {
        "auc": auc,
        "se": math.sqrt(var),
        "ci": (max(0.0, auc - half), min(1.0, auc + half)),
        "level": level,
        "method": "DeLong",
        "n_positive": int(m),
        "n_negative": int(n),
    }


def _midranks(values):
    """1-based ranks with ties given the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(values.size, dtype=float)
    start = 0
    while start < values.size:
        stop = start
        while stop + 1 < values.size and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        ranks[order[start:stop + 1]] = 0.5 * (start + stop) + 1.0
        start = stop + 1
    return ranks


def _sample_var(values):
    return float(np.var(values, ddof=1)) if values.size > 1 else 0.0


def _normal_quantile(p):
    """Inverse standard normal CDF by bisection on math.erf (exact enough, no scipy needed)."""
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def dice(pred, truth):
    """Dice coefficient 2|A∩B| / (|A| + |B|) of two boolean masks of one shape; 1.0 when both
    are empty (they agree that the structure is absent)."""
    pred = np.asarray(pred, dtype=bool)
    truth = np.asarray(truth, dtype=bool)
    if pred.shape != truth.shape:
        raise ValueError(f"mask shapes differ: {pred.shape} vs {truth.shape}")
    total = int(pred.sum()) + int(truth.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.logical_and(pred, truth).sum()) / total


def _finite(values):
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def _ratio(numerator, denominator):
    return None if denominator == 0 else numerator / denominator

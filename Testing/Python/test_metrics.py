"""Metric code against examples computed by hand."""

import math

import numpy as np
import pytest

from radiographqc import metrics


def test_radial_errors_are_euclidean_distances_scaled_to_mm():
    truth = np.array([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0]])
    pred = np.array([[3.0, 4.0], [10.0, 10.0], [5.0, 13.0]])     # distances 5, 0, 8 px
    errors = metrics.radial_errors(pred, truth, mm_per_px=0.5)
    assert errors == pytest.approx([2.5, 0.0, 4.0])


def test_mre_is_mean_and_sample_sd_of_the_errors():
    mean, sd = metrics.mean_radial_error([2.5, 0.0, 4.0])
    assert mean == pytest.approx(6.5 / 3)
    # deviations 1/3, -13/6, 11/6: sum of squares 49/6, divided by n - 1 = 2
    assert sd == pytest.approx(math.sqrt(49 / 12))


def test_sdr_counts_errors_within_each_radius_inclusive():
    rates = metrics.successful_detection_rate([2.5, 0.0, 4.0], radii=(1, 2.5, 4, 10))
    assert rates == {1.0: pytest.approx(1 / 3), 2.5: pytest.approx(2 / 3), 4.0: 1.0, 10.0: 1.0}


def test_missing_points_are_left_out_of_the_summary():
    errors = metrics.radial_errors([[0, 0], [np.nan, np.nan]], [[0, 1], [5, 5]])
    assert metrics.mean_radial_error(errors) == (1.0, 0.0)


def test_per_image_pixel_size_scales_each_image():
    truth = np.zeros((2, 1, 2))
    pred = np.array([[[1.0, 0.0]], [[1.0, 0.0]]])
    assert metrics.radial_errors(pred, truth, [0.1, 0.2]).ravel() == pytest.approx([0.1, 0.2])


def test_payer_convention_puts_landmarks_1_and_5_fifty_mm_apart():
    truth = np.zeros((6, 2))
    truth[5] = [30.0, 40.0]                                     # 50 px from landmark 1 at (0, 0)
    assert metrics.payer_mm_per_px(truth) == pytest.approx(1.0)


def test_auc_counts_ordered_pairs_with_ties_as_half():
    # positives 0.9, 0.6, 0.4; negatives 0.6, 0.2: pairs won 2 + 1.5 + 1 = 4.5 of 6
    labels = [True, True, True, False, False]
    scores = [0.9, 0.6, 0.4, 0.6, 0.2]
    assert metrics.roc_auc(labels, scores) == pytest.approx(0.75)


def test_delong_interval_matches_a_hand_computed_standard_error():
    labels = [True, True, True, False, False]
    scores = [0.9, 0.6, 0.4, 0.6, 0.2]
    result = metrics.roc_auc_ci(labels, scores)
    # per positive, share of negatives beaten V10 = (1, 0.75, 0.5): sample variance 1/16;
    # per negative, share of positives above it V01 = (0.5, 1): sample variance 1/8
    se = math.sqrt((1 / 16) / 3 + (1 / 8) / 2)
    assert result["se"] == pytest.approx(se)
    low, high = result["ci"]
    assert low == pytest.approx(0.75 - 1.959964 * se, abs=1e-5)
    assert low <= result["auc"] <= high == 1.0


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="positive and one negative"):
        metrics.roc_auc_ci([True, True], [0.1, 0.2])


def test_threshold_metrics_count_score_at_threshold_as_positive():
    result = metrics.threshold_metrics([True, True, False, False], [0.5, 0.2, 0.7, 0.1], 0.5)
    assert (result["tp"], result["fn"], result["fp"], result["tn"]) == (1, 1, 1, 1)
    assert result["accuracy"] == 0.5 and result["precision"] == 0.5 and result["recall"] == 0.5


def test_precision_is_undefined_when_nothing_is_called_positive():
    result = metrics.threshold_metrics([True, False], [0.1, 0.2], 0.9)
    assert result["precision"] is None and result["recall"] == 0.0


def test_presence_is_not_reported_as_measured_when_no_landmark_is_absent():
    from radiographqc.train.evaluate import format_report, keypoint_metrics

    truth = np.array([[[10.0, 10.0], [20.0, 20.0]]])
    result = keypoint_metrics(truth + 1.0, np.array([[0.9, 0.2]]), truth, None, ["P1", "P2"])
    assert result["presence"] == {"landmarks": ["P1", "P2"], "measurable": False,
                                  "reason": "no absent landmark in the ground truth"}
    assert "presence: not measurable" in format_report(result)

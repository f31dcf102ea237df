"""`radiographqc evaluate lumbar`: per-rule agreement counted by hand, and a run on the samples."""
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from radiographqc.cli import main
from radiographqc.train.seg_evaluate import RuleTally

SAMPLES = Path(__file__).resolve().parents[2] / "Resources" / "Samples" / "lumbar"


def rules(**passed):
    return [SimpleNamespace(id=rule_id, passed=value) for rule_id, value in passed.items()]


def test_rule_agreement_counts_a_failed_rule_as_the_positive():
    tally = RuleTally()
    # truth fails / model fails -> tp; truth fails / model passes -> fn; truth passes / model fails -> fp
    tally.add(rules(count=False, centred=True), rules(count=False, centred=False))
    tally.add(rules(count=False, centred=True), rules(count=True, centred=True))
    tally.add(rules(count=True, centred=None), rules(count=True, centred=True))
    summary = tally.summary()
    count = summary["count"]
    assert (count["tp"], count["fn"], count["tn"], count["fp"]) == (1, 1, 1, 0)
    assert count["accuracy"] == pytest.approx(2 / 3) and count["sensitivity"] == 0.5
    assert count["specificity"] == 1.0
    centred = summary["centred"]
    assert centred["n"] == 2 and centred["not_assessable"] == 1
    assert centred["sensitivity"] is None and centred["specificity"] == 0.5


def test_the_samples_are_evaluated_per_view_against_their_true_masks(tmp_path, capsys):
    out = tmp_path / "metrics.json"
    assert main(["evaluate", "lumbar", "--data", str(SAMPLES), "--masks", str(SAMPLES / "truth"),
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "vertebra count exact" in printed and "rule scottie_dog" in printed
    views = json.loads(out.read_text())["views"]
    assert sorted(views) == ["AP", "LAT", "OBL"]
    for name, view in views.items():
        images = 3 if name == "AP" else 2     # routine, mispositioned (and AP tilted)
        assert view["images"] == images
        assert view["dice"]["vertebrae"]["dice"] > 0.9
        assert view["vertebra_count"]["within_one"] == 1.0
        assert view["rules"]["vertebra_count"]["n"] == images
    assert "pedicles_centred" in views["OBL"]["rules"] and "spinous_centred" in views["AP"]["rules"]
    # the model sees the tilted AP's double contour, and none in the others
    assert {k: views["AP"]["rules"]["l3_double_contour"][k] for k in ("tp", "fp", "fn")} == \
        {"tp": 1, "fp": 0, "fn": 0}

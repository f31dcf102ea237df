"""Foreign-body classifier: labelled folders, compositing, metrics, training, export, inference."""

import json

import numpy as np
import pytest
from PIL import Image

from radiographqc.errors import InputError
from radiographqc.train.artefact_data import (composited_items, evaluate_artefact, labelled_items,
                                              read_artefact_folder)
from radiographqc.train.dataset import Sample


def a_clean_image(folder, name="hand.png", seed=0):
    """A smooth bright forearm on a dark background, saved as an 8-bit PNG."""
    yy, xx = np.mgrid[0:96, 0:80]
    noise = np.random.default_rng(seed).normal(0, 4, yy.shape)
    pixels = np.clip(40 + 150 * np.exp(-((xx - 40) / 18.0) ** 2) + noise, 0, 255).astype(np.uint8)
    path = folder / name
    Image.fromarray(pixels).save(path)
    return path


def a_sorted_folder(tmp_path, count=4):
    for label in ("present", "absent"):
        (tmp_path / label).mkdir(parents=True)
        for i in range(count):
            a_clean_image(tmp_path / label, f"{label}{i}.png", seed=i)
    return tmp_path


def test_present_and_absent_subfolders_give_the_labels(tmp_path):
    found = read_artefact_folder(a_sorted_folder(tmp_path, 2))
    assert sorted((p.name, present) for p, present, _ in found) == [
        ("absent0.png", False), ("absent1.png", False), ("present0.png", True), ("present1.png", True)]


def test_bit_flag_labels_give_presence_and_where_the_foreign_body_is(tmp_path):
    a_clean_image(tmp_path, "case.png")
    flags = np.zeros((96, 80), np.uint16)
    flags[10:20, 30:40] = 1          # artefact_ring
    flags[70:80, 5:15] = 2           # marker: not a foreign body
    Image.fromarray(flags).save(tmp_path / "case.labels.png")
    (tmp_path / "case.labels.json").write_text(json.dumps(
        {"image": "case.labels.png", "labels": {"artefact_ring": 1, "marker": 2}}))
    a_clean_image(tmp_path, "marker_only.png")
    Image.fromarray(flags & 2).save(tmp_path / "marker_only.labels.png")
    (tmp_path / "marker_only.labels.json").write_text(json.dumps(
        {"image": "marker_only.labels.png", "labels": {"marker": 2}}))
    items = {it.source.split("/")[-1]: it for it in labelled_items(tmp_path, 64)}
    assert items["case.png"].present and not items["marker_only.png"].present
    mask = items["case.png"].mask      # letterboxed: 96 rows -> 64, so rows 10..20 -> ~6.7..13.3
    rows, cols = np.nonzero(mask)
    assert 6 <= rows.min() <= 8 and 12 <= rows.max() <= 14 and mask.sum() < 60


def test_a_folder_without_labels_is_refused_with_its_name(tmp_path):
    a_clean_image(tmp_path)
    with pytest.raises(InputError, match="no labelled images"):
        read_artefact_folder(tmp_path)


def test_composited_positives_have_a_mask_and_markers_alone_stay_negative(tmp_path):
    sample = Sample(a_clean_image(tmp_path), {})
    items = composited_items([sample], per_image=24, size=64, seed=3)
    positives = [it for it in items if it.present]
    assert 0 < len(positives) < len(items)
    assert all(it.mask is not None and it.mask.any() for it in positives)
    assert all(it.mask is None for it in items if not it.present)
    assert all(it.image.shape == (64, 64) and 0 <= it.image.min() and it.image.max() <= 1 for it in items)


def _item(present, mask_cell=None, size=32):
    from radiographqc.train.artefact_data import ArtefactItem

    mask = None
    if mask_cell is not None:
        mask = np.zeros((size, size), bool)
        r, c = mask_cell
        mask[r * 8:(r + 1) * 8, c * 8:(c + 1) * 8] = True
    return ArtefactItem(np.zeros((size, size), np.float32), present, mask, "x")


def test_metrics_match_a_hand_count():
    # scores 0.9, 0.6 (positives), 0.7, 0.2 (negatives): 3 of 4 pairs ordered -> AUC 0.75;
    # at 0.5: tp 2, fp 1, tn 1, fn 0 -> accuracy 0.75, precision 2/3, recall 1
    items = [_item(True, (0, 0)), _item(True, (3, 3)), _item(False), _item(False)]
    answers = iter([(0.9, np.eye(4)), (0.6, np.eye(4)), (0.7, np.eye(4)), (0.2, np.eye(4))])
    result = evaluate_artefact(lambda image: next(answers), items, 0.5)
    assert result["auc"] == pytest.approx(0.75)
    t = result["at_threshold"]
    assert (t["tp"], t["fp"], t["tn"], t["fn"]) == (2, 1, 1, 0)
    assert t["precision"] == pytest.approx(2 / 3) and t["recall"] == 1.0
    # evidence peaks at cell (0, 0): on the first foreign body, not on the second
    assert result["pointing"] == {"n": 2, "hits": 1, "rate": 0.5}



def test_training_two_steps_exports_a_model_that_predicts_a_heatmap_on_the_image_grid(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("monai")
    from radiographqc.models import ArtefactModel, load_model
    from radiographqc.train.cli import main

    data = a_sorted_folder(tmp_path / "data")
    clean = tmp_path / "clean"
    clean.mkdir()
    a_clean_image(clean)
    out = tmp_path / "model"
    main(["train", "artefact", "--data", str(data), "--clean", str(clean), "--per-image", "4",
          "--out", str(out), "--model-id", "tiny-artefact", "--input-size", "64", "--steps", "2",
          "--batch-size", "4", "--features", "4,4,8,8", "--device", "cpu"])
    model = load_model(out / "tiny-artefact.json")
    assert isinstance(model, ArtefactModel)
    manifest = model.manifest
    assert manifest["training"]["onnx_vs_torch_max_abs_diff"] < 1e-4
    assert manifest["training_data"]["images"] == 8 + 4
    prediction = model.predict(np.asarray(Image.open(data / "present" / "present0.png"), np.float32))
    assert 0.0 <= prediction.probability <= 1.0
    assert prediction.heatmap.shape == (96, 80) and 0 <= prediction.heatmap.min() <= prediction.heatmap.max() <= 1
    main(["evaluate", "artefact", "--model", str(out / "tiny-artefact.json"), "--data", str(data), "--record"])
    printed = capsys.readouterr().out
    assert "ROC AUC" in printed and "precision" in printed
    assert json.loads((out / "tiny-artefact.json").read_text())["metrics"]["data"]["n"] == 8
    # resuming a finished run trains nothing more and keeps the step count
    main(["train", "artefact", "--data", str(data), "--out", str(out), "--input-size", "64",
          "--steps", "2", "--batch-size", "4", "--features", "4,4,8,8", "--resume", "--no-export"])
    assert torch_step(out) == 2


def torch_step(out):
    import torch

    return torch.load(out / "checkpoint.pt", weights_only=False)["step"]

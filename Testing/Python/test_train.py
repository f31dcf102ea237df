"""Training engine: augmentation geometry, heatmaps, two steps on tiny data, resume, export."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from PIL import Image  # noqa: E402

from radiographqc.models import KeypointModel, decode_heatmaps  # noqa: E402
from radiographqc.train import augment  # noqa: E402
from radiographqc.train.cli import main  # noqa: E402
from radiographqc.train.dataset import read_keypoint_folder  # noqa: E402
from radiographqc.wrist.keypoints import read_keypoints  # noqa: E402
from radiographqc.train.loop import CHECKPOINT, TrainConfig, load_checkpoint, train  # noqa: E402
from radiographqc.train.losses import adaptive_wing_loss  # noqa: E402

TINY = dict(input_size=64, batch_size=2, steps=2, checkpoint_every=1,
            local_features=(4, 4, 8, 8, 8, 4), global_features=(4, 4, 8, 8, 8, 4), global_factor=2)


def write_tiny_images(folder, count=4):
    """Bright discs on dark images, with the disc centre as landmark P1 and a corner as P2."""
    rng = np.random.default_rng(1)
    for i in range(count):
        x, y = rng.uniform(15, 45, size=2)
        yy, xx = np.mgrid[0:48, 0:64]
        pixels = (255 * ((xx - x) ** 2 + (yy - y) ** 2 < 36)).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"img{i}.png")
        label = {"view": "AP", "points": {"P1": [x, y], "P2": [3.0, 4.0] if i % 2 else None}}
        (folder / f"img{i}.json").write_text(json.dumps(label))


def test_keypoint_and_labelme_files_are_read_in_pixel_centre_coordinates(tmp_path):
    write_tiny_images(tmp_path, 2)
    (tmp_path / "lab.json").write_text(json.dumps({
        "shapes": [{"label": "P1", "points": [[10.5, 20.5]], "shape_type": "point"}],
        "flags": {"AP": True}}))
    labelme = read_keypoints(tmp_path / "lab.json")
    assert (labelme.view, labelme.points["P1"].xy) == ("AP", (10.0, 20.0))
    samples = read_keypoint_folder(tmp_path, names=["P1", "P2"])
    assert len(samples) == 2 and samples[0].points["P2"] is None


def test_warped_points_follow_the_warped_image():
    source = torch.zeros(1, 1, 64, 64)
    source[0, 0, 20, 40] = 1.0                                     # a dot at x=40, y=20
    generator = torch.Generator().manual_seed(3)
    config = augment.AugmentConfig(rotate_deg=30, scale=(1.2, 1.2), shift=0.1)
    matrices = augment.random_matrices(1, 64, 32, config, generator)
    blurred = torch.nn.functional.conv2d(source, torch.ones(1, 1, 5, 5), padding=2)
    warped = augment.warp_images(blurred, matrices, 32)[0, 0].numpy()
    moved = augment.warp_points(torch.tensor([[[40.0, 20.0]]]), matrices, 32)[0, 0]
    peak = np.unravel_index(np.argmax(warped), warped.shape)
    assert abs(peak[1] - moved[0].item()) <= 1.0 and abs(peak[0] - moved[1].item()) <= 1.0


def test_points_leaving_the_image_become_absent_heatmaps():
    matrices = torch.eye(3)[None]
    moved = augment.warp_points(torch.tensor([[[5.0, 5.0], [40.0, 5.0]]]), matrices, 32)
    maps = augment.render_heatmaps(moved, 32, 2.0)
    assert torch.isnan(moved[0, 1]).all() and maps[0, 1].max() == 0.0
    xy, peak = decode_heatmaps(maps[0, :1].numpy())
    assert np.allclose(xy, [[5.0, 5.0]], atol=0.05) and peak[0] == pytest.approx(1.0)


def test_adaptive_wing_loss_is_zero_only_for_a_perfect_prediction():
    target = augment.render_heatmaps(torch.tensor([[[8.0, 8.0]]]), 16, 2.0)
    assert adaptive_wing_loss(target, target).item() == pytest.approx(0.0, abs=1e-6)
    assert adaptive_wing_loss(torch.zeros_like(target), target).item() > 0.01


def test_two_training_steps_write_a_checkpoint_and_resume_continues(tmp_path):
    write_tiny_images(tmp_path)
    samples = read_keypoint_folder(tmp_path, names=["P1", "P2"])
    config = TrainConfig(names=["P1", "P2"], **TINY)
    train(config, samples, tmp_path / "run", log=lambda _: None)
    _, _, first = load_checkpoint(tmp_path / "run" / CHECKPOINT)
    assert first["step"] == 2 and len(first["history"]) == 2
    config.steps = 4
    logged = []
    train(config, samples, tmp_path / "run", resume=True, log=logged.append)
    _, _, state = load_checkpoint(tmp_path / "run" / CHECKPOINT)
    assert logged[0].startswith("resumed") and "step 2" in logged[0]
    assert state["step"] == 4 and state["history"][:2] == first["history"]


def test_cli_trains_exports_and_evaluates_a_tiny_model(tmp_path, capsys):
    write_tiny_images(tmp_path)
    out = tmp_path / "model"
    main(["train", "keypoints", "--data", str(tmp_path), "--names", "P1,P2", "--out", str(out),
          "--model-id", "tiny", "--input-size", "128", "--steps", "2", "--batch-size", "2",
          "--local-features", "4,4,8,8,8,4", "--global-features", "4,4,8,8,8,4",
          "--may-be-absent", "P2", "--device", "cpu"])
    model = KeypointModel(out / "tiny.json")
    assert model.landmarks == ["P1", "P2"] and model.may_be_absent == {"P2"}
    assert model.manifest["training"]["onnx_vs_torch_max_abs_diff"] < 1e-4
    main(["evaluate", "--model", str(out / "tiny.json"), "--data", str(tmp_path),
          "--spacing-mm", "0.5", "--record"])
    printed = capsys.readouterr().out
    assert "MRE" in printed and "mm" in printed and "AUC" in printed
    metrics = json.loads((out / "tiny.json").read_text())["metrics"]
    assert metrics[tmp_path.name]["presence"]["landmarks"] == ["P2"]   # a folder has no splits


def test_simulator_keypoint_files_and_their_stated_pixel_size_are_read(tmp_path):
    write_tiny_images(tmp_path, 2)
    (tmp_path / "img0.json").rename(tmp_path / "img0.keypoints.json")
    label = json.loads((tmp_path / "img1.json").read_text())
    (tmp_path / "img1.json").write_text(json.dumps({**label, "mm_per_px": 0.25}))
    (tmp_path / "img1.truth.json").write_text("{}")          # no image of that stem: skipped
    samples = read_keypoint_folder(tmp_path, names=["P1"], spacing_mm=0.5)
    assert [(s.image_path.name, s.mm_per_px) for s in samples] == [("img0.png", 0.5),
                                                                    ("img1.png", 0.25)]


def test_wrist_crops_cut_the_thumb_off_some_views_and_keep_the_styloids():
    from radiographqc.train.dataset import Sample
    from radiographqc.train.recipes import wrist_crops

    hand = Sample("hand.png", {"P1": (30.0, 40.0), "P2": (20.0, 100.0), "P3": (60.0, 100.0)})
    crops = wrist_crops([hand], 40, seed=1)
    cut = [c for c in crops if c.points["P1"] is None]
    assert 0 < len(cut) < len(crops)
    for crop in crops:
        first = crop.crop[0]
        assert crop.points["P2"] == (20.0, 100.0 - first) and crop.points["P3"] is not None

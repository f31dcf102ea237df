"""Lumbar segmentation: Dice, instance post-processing, letterbox inversion, bundled model."""

import shutil

import numpy as np
import pytest

from radiographqc.errors import ModelError
from radiographqc.metrics import dice
from radiographqc.lumbar.vertebrae import split_bodies
from radiographqc.models import (Letterbox, ModelRegistry, SegmentationModel, default_models_dir,
                                 upsample_to_image)
from radiographqc.train.seg_data import (CHANNELS, pack_channels, quad_instances,
                                         separation_mask, unpack_channels)

MODEL_ID = "lumbar-seg"


def test_dice_of_hand_computed_masks():
    pred = np.zeros((4, 4), bool)
    truth = np.zeros((4, 4), bool)
    pred[0:2, 0:2] = True          # 4 pixels
    truth[1:2, 0:4] = True         # 4 pixels, 2 shared with pred
    assert dice(pred, truth) == pytest.approx(2 * 2 / 8)
    assert dice(pred, pred) == 1.0
    assert dice(pred, ~pred) == 0.0


def test_dice_is_one_when_both_masks_are_empty_and_refuses_other_shapes():
    assert dice(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == 1.0
    with pytest.raises(ValueError):
        dice(np.zeros((3, 3), bool), np.zeros((3, 4), bool))


def test_channels_pack_into_bits_and_back():
    rng = np.random.default_rng(0)
    masks = {name: rng.random((5, 6)) > 0.5 for name in CHANNELS}
    unpacked = unpack_channels(pack_channels(masks))
    for c, name in enumerate(CHANNELS):
        assert np.array_equal(unpacked[c], masks[name])


def test_the_separation_band_the_network_learns_splits_touching_bodies_for_the_rules():
    ids = np.zeros((40, 20), np.int32)
    ids[2:12, 4:16] = 1
    ids[12:22, 4:16] = 2           # touches body 1: one connected blob without the separation
    ids[30:38, 4:16] = 3           # well apart: no separation band near it
    body = ids > 0
    separation = separation_mask(ids, radius=2)
    assert separation[11:13, 4:16].all() and not separation[30:38].any()
    params = {"min_area_fraction": 0.001, "min_area_of_median": 0.5, "merged_area_factor": 1.6,
              "merged_length_factor": 1.6, "pitch_to_width": {"AP": 0.7},
              "waist_ratio": 0.85, "waist_window": 0.35}
    parts = split_bodies(body, separation, params, "AP")
    assert sorted(int(np.nonzero(p)[0].mean()) for p in parts) == [6, 16, 33]
    assert dice(np.logical_or.reduce(parts), body) == 1.0     # grown back to the full bodies


@pytest.mark.parametrize("columns, count", [([(20, 156)], 5), ([(20, 76), (84, 168)], 5),
                                            ([(20, 44)], 1)])
def test_bodies_merged_into_columns_are_cut_by_the_shape_of_a_body(columns, count):
    """No single body gives the pitch (the network merged them all, e.g. a tilted beam): a column
    40 px wide holds length / (0.7 x 40) bodies of 24 px with 4 px disc spaces."""
    mask = np.zeros((200, 80), bool)
    for top, bottom in columns:
        mask[top:bottom, 20:60] = True
    params = {"min_area_fraction": 0.001, "min_area_of_median": 0.5, "merged_area_factor": 1.6,
              "merged_length_factor": 1.6, "pitch_to_width": {"AP": 0.7},
              "waist_ratio": 0.85, "waist_window": 0.35}
    parts = split_bodies(mask, None, params, "AP")
    assert len(parts) == count
    assert dice(np.logical_or.reduce(parts), mask) == 1.0


def test_upsampling_undoes_the_letterbox():
    box = Letterbox.fit(300, 120, 96)          # portrait: padded left and right
    coords = np.arange(96, dtype=np.float32)
    ramp = np.tile(coords, (96, 1)) + 1000.0 * coords[:, None]   # value = x + 1000 y
    back = upsample_to_image(ramp, box)
    assert back.shape == (300, 120)
    rows, cols = np.mgrid[5:295:37, 3:117:19]
    net = box.to_network(np.stack([cols, rows], axis=-1).astype(float))
    expected = net[..., 0] + 1000.0 * net[..., 1]
    assert np.allclose(back[rows, cols], expected, atol=1e-2)


def test_aasce_corner_quadrilaterals_become_one_instance_per_vertebra():
    corners = np.array([[[10, 10], [30, 10], [10, 20], [30, 20]],
                        [[10, 24], [30, 24], [10, 34], [30, 34]]], dtype=float)
    ids = quad_instances(corners, (50, 40))
    assert set(np.unique(ids)) == {0, 1, 2}
    assert ids[15, 20] == 1 and ids[29, 20] == 2 and ids[22, 20] == 0


def test_unlabelled_channels_contribute_no_loss():
    torch = pytest.importorskip("torch")
    pytest.importorskip("monai")
    from radiographqc.train.segmentation import masked_loss

    logits = torch.zeros(1, 2, 8, 8)
    targets = torch.zeros(1, 2, 8, 8)
    targets[0, 0, 2:6, 2:6] = 1.0
    labelled = torch.tensor([[True, False]])
    wrong = targets.clone()
    wrong[0, 1] = 1.0              # a different truth in the unlabelled channel changes nothing
    assert masked_loss(logits, targets, labelled) == masked_loss(logits, wrong, labelled)
    assert masked_loss(logits, targets, torch.tensor([[True, True]])) != \
        masked_loss(logits, targets, labelled)


def test_a_channel_weight_counts_that_channel_so_many_times_in_the_mean():
    torch = pytest.importorskip("torch")
    pytest.importorskip("monai")
    from radiographqc.train.segmentation import masked_loss

    logits = torch.zeros(1, 2, 8, 8)
    targets = torch.zeros(1, 2, 8, 8)
    targets[0, 1, 2:6, 2:6] = 1.0                  # only channel 1 is wrong
    both = torch.tensor([[True, True]])
    plain = masked_loss(logits, targets, both)
    per_channel = [masked_loss(logits, targets, torch.tensor([[c == 0, c == 1]])) for c in (0, 1)]
    assert plain == pytest.approx((per_channel[0] + per_channel[1]) / 2)
    weighted = masked_loss(logits, targets, both, channel_weights=torch.tensor([1.0, 3.0]))
    assert weighted == pytest.approx((per_channel[0] + 3 * per_channel[1]) / 4)


def test_own_heads_replace_only_their_own_channels():
    torch = pytest.importorskip("torch")
    pytest.importorskip("monai")
    from radiographqc.train.seg_network import ChannelHead, OwnHeads, SCSEUNet

    unet = SCSEUNet(4, features=(4, 8)).eval()
    heads = {1: ChannelHead(4, width=4, dilations=(1, 2)), 3: ChannelHead(4, width=4, dilations=(1,))}
    network = OwnHeads(unet, heads).eval()
    x = torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        out, plain, features = network(x), unet(x), unet.features(x)
        assert torch.equal(out[:, [0, 2]], plain[:, [0, 2]])
        assert torch.equal(out[:, 1:2], heads[1](features, x))
        assert torch.equal(out[:, 3:4], heads[3](features, x))
    assert not torch.equal(out[:, 1], plain[:, 1])


def _rim_samples(count, size=32):
    """Bodies with L3 labelled and a 'double contour' that is the bright rim of L3 in the image:
    a structure the frozen network never saw but the image shows."""
    from radiographqc.train.seg_data import SegSample
    rng = np.random.default_rng(0)
    samples = []
    for i in range(count):
        image = rng.uniform(0.0, 0.3, (size, size)).astype(np.float32)
        top = int(rng.integers(6, 14))
        l3 = np.zeros((size, size), bool)
        l3[top:top + 10, 8:24] = True
        rim = np.zeros_like(l3)
        if i % 3:                                  # a third of the images have none
            rim[top:top + 2, 8:24] = True
        image[rim] = 0.9
        labels = pack_channels({name: (l3 if name in ("vertebrae", "L3") else
                                       rim if name == "L3_double_contour" else
                                       np.zeros_like(l3)) for name in CHANNELS})
        samples.append(SegSample(image, labels, np.ones(len(CHANNELS), bool), "AP",
                                 "simulated", f"rim_{i:03d}"))
    return samples


def test_own_heads_learn_their_channels_one_at_a_time_on_the_frozen_network(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("monai")
    from radiographqc.train.seg_refine import refine_channel
    from radiographqc.train.segmentation import SegConfig, build_network, load_checkpoint

    config = SegConfig(features=(4, 8), input_size=32)
    base = build_network(config).eval()
    frozen = {k: v.clone() for k, v in base.state_dict().items()}
    options = dict(steps=200, batch_size=8, context=24, crop=16, width=8, dilations=(1, 2),
                   log=lambda *_: None)
    first, state = refine_channel(base, config, {"step": 5}, _rim_samples(40), "L3_double_contour",
                                  tmp_path / "one", **options)
    assert state["own_heads"][0]["held_back_samples"] == 4 and state["step"] == 5
    assert state["own_heads"][0]["held_back_dice"] > 0.8
    one, one_config, one_state = load_checkpoint(tmp_path / "one" / "checkpoint.pt")
    rim_head = {k: v.clone() for k, v in one.heads[0].state_dict().items()}
    second, state = refine_channel(one, one_config, one_state, _rim_samples(40), "L3",
                                   tmp_path / "two", **options)
    assert [h["channel"] for h in state["own_heads"]] == ["L3_double_contour", "L3"]
    assert all(torch.equal(frozen[k], v) for k, v in second.unet.state_dict().items())
    assert all(torch.equal(rim_head[k], v) for k, v in second.heads[0].state_dict().items())
    loaded, loaded_config, _ = load_checkpoint(tmp_path / "two" / "checkpoint.pt")
    x = torch.from_numpy(np.stack([s.image for s in _rim_samples(2)])[:, None])
    with torch.no_grad():
        assert torch.allclose(loaded(x), second.eval()(x))
    assert [h["channel"] for h in loaded_config.own_heads] == ["L3_double_contour", "L3"]
    with pytest.raises(ValueError, match="already has its own head"):
        refine_channel(loaded, loaded_config, {}, _rim_samples(10), "L3", tmp_path / "three",
                       **options)


def test_a_network_with_own_heads_exports_to_onnx_that_segments_like_torch(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("monai")
    from radiographqc.train.seg_refine import refine_channel
    from radiographqc.train.segmentation import (SegConfig, build_network,
                                                 export_segmentation_model)

    config = SegConfig(features=(4, 8), input_size=32)
    refine_channel(build_network(config).eval(), config, {"step": 1}, _rim_samples(20),
                   "L3_double_contour", tmp_path / "run", steps=20, batch_size=4, context=24,
                   crop=16, width=4, dilations=(1, 2), log=lambda *_: None)
    manifest, difference = export_segmentation_model(tmp_path / "run" / "checkpoint.pt",
                                                     tmp_path / "models", "tiny-seg", "0.0.1", {})
    assert difference < 1e-4
    assert manifest["training"]["network"]["own_heads"][0]["channel"] == "L3_double_contour"
    model = ModelRegistry(tmp_path / "models").load("tiny-seg")
    seg = model.segment(_rim_samples(1)[0].image, "AP")
    assert seg.probabilities["L3_double_contour"].shape == (32, 32)


# ---------------------------------------------------------------------------------------------
# The bundled model

@pytest.fixture(scope="module")
def model():
    return ModelRegistry().load(MODEL_ID, threads=2)


def test_bundled_model_is_a_segmentation_model_with_a_manifest(model):
    assert isinstance(model, SegmentationModel)
    assert model.channels[:2] == ["vertebrae", "vertebra_separation"]
    assert model.manifest["metrics"], "held-out metrics must be recorded"
    assert (default_models_dir() / model.manifest["file"]).stat().st_size <= 5_000_000


def test_model_finds_the_vertebral_bodies_of_a_simulated_sample(model):
    from radiographqc.simulate.generate import simulate_case

    case, _ = simulate_case("lumbar", "AP", "routine", seed=424242, index=0, long_side=448)
    seg = model.segment(case.image, "AP")
    assert seg.masks["vertebrae"].shape == case.image.shape
    assert set(seg.masks) == set(model.view_channels["AP"])
    assert dice(seg.masks["vertebrae"], case.masks["vertebrae"]) > 0.7


@pytest.mark.parametrize("tilt_deg, failing", [(0.0, False), (16.0, True)])
def test_model_sees_the_l3_double_contour_only_when_the_beam_is_tilted(model, tilt_deg, failing):
    from radiographqc.simulate.lumbar import LumbarParams, simulate_lumbar

    case = simulate_lumbar(LumbarParams(view="AP", tilt_deg=tilt_deg, pixel_mm=1.2),
                           np.random.default_rng(3))
    masks = model.segment(case.image, "AP").masks
    ratio = (masks["L3_double_contour"] & masks["L3"]).sum() / masks["L3"].sum()
    assert bool(ratio > 0.21) is failing
    assert abs(ratio - case.truth["qc"]["L3_double_contour_ratio"]) < 0.1
    if failing:
        assert dice(masks["L3_double_contour"], case.masks["L3_double_contour"]) > 0.8


def test_tampered_model_is_rejected(tmp_path):
    for suffix in (".json", ".onnx"):
        shutil.copy(default_models_dir() / f"{MODEL_ID}{suffix}", tmp_path)
    onnx = tmp_path / f"{MODEL_ID}.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 mismatch"):
        ModelRegistry(tmp_path).load(MODEL_ID)

"""Training and export of the lumbar segmentation network (scSE U-Net, one model for all views).

Data: simulated lumbar AP/LAT/OBL cases (every structure labelled) and the real AASCE AP spine
radiographs (vertebral bodies only, from their corner landmarks). A sample's unlabelled channels
carry no loss. Loss per (sample, channel): binary cross-entropy + soft Dice, averaged over the
labelled pairs. Augmentation (rotation, zoom, shift, left-right flip, intensity) runs on the GPU
with the same warps as the keypoint trainer; labels follow the same matrices.

    python -m radiographqc.train.segmentation prepare-aasce --data DIR --out FILE.npz --split FILE
    python -m radiographqc.train.segmentation prepare-sim --per-view 600 --out FILE.npz
    python -m radiographqc.train.segmentation train --data A.npz B.npz --out DIR [--views AP]
    python -m radiographqc.train.segmentation refine --checkpoint DIR/checkpoint.pt --data A.npz \
        --channel L3_double_contour --out DIR2         (seg_refine: one more channel's own head)
    python -m radiographqc.train.segmentation export --checkpoint DIR/checkpoint.pt --out DIR
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from radiographqc.models import sha256_bytes
from radiographqc.train.augment import (AugmentConfig, jitter_intensity, random_matrices,
                                        warp_images)
from radiographqc.train.export import OPSET, export_onnx, onnx_matches_torch, write_manifest
from radiographqc.train.loop import _fit_time_limit, _restore, _save, _set_lr
from radiographqc.train.seg_data import (CHANNELS, VIEW_CHANNELS,
                                         aasce_sample, aasce_split, load_samples,
                                         read_aasce_table, save_samples, simulated_samples)
from radiographqc.train.seg_network import (ChannelHead, OwnHeads, Probabilities, SCSEUNet,
                                            parameter_count)
from radiographqc.train.seg_refine import refine_channel

CHECKPOINT = "checkpoint.pt"
INSTANCES_NOTE = ("vertebral bodies are separated by the lumbar rules, not by the model: connected "
                  "components of (vertebrae - vertebra_separation) grown back into the body mask, "
                  "a merged component cut into round(length / vertebral pitch) bodies at its "
                  "waists (radiographqc.lumbar.vertebrae.split_bodies, criteria profile "
                  "'vertebrae')")


@dataclass
class SegConfig:
    channels: list = field(default_factory=lambda: list(CHANNELS))
    views: list = field(default_factory=lambda: ["AP", "LAT", "OBL"])
    input_size: int = 384
    features: tuple = (16, 32, 48, 64, 80, 96)
    batch_size: int = 16
    steps: int = 3000
    time_limit_s: float = 0.0     # > 0: fewer steps when the planned ones would not fit
    lr: float = 3e-3
    weight_decay: float = 1e-4
    flip_prob: float = 0.5
    augment: AugmentConfig = field(default_factory=lambda: AugmentConfig(
        rotate_deg=10.0, scale=(0.8, 1.15), shift=0.06))
    checkpoint_every: int = 500
    seed: int = 0
    channel_weights: dict = field(default_factory=dict)   # name -> loss weight (default 1)
    # [{"channel": name, "width": int, "dilations": [...]}, ...]: channels with their own head
    # (seg_network.OwnHeads, each trained by seg_refine on the frozen U-Net), in training order
    own_heads: list = field(default_factory=list)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["augment"] = AugmentConfig(**data.get("augment", {}))
        data["features"] = tuple(data["features"])
        return cls(**data)


def build_network(config):
    unet = SCSEUNet(len(config.channels), config.features)
    if not config.own_heads:
        return unet
    return OwnHeads(unet, {config.channels.index(h["channel"]): ChannelHead(
        config.features[0], h["width"], tuple(h["dilations"])) for h in config.own_heads})


def masked_loss(logits, targets, labelled, eps=1.0, channel_weights=None):
    """BCE + soft Dice per (sample, channel), averaged over the labelled pairs only; a channel's
    pairs count `channel_weights[c]` times (a small, rare structure that the average drowns)."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(dim=(2, 3))
    probs = torch.sigmoid(logits)
    overlap = (probs * targets).sum(dim=(2, 3))
    total = probs.sum(dim=(2, 3)) + targets.sum(dim=(2, 3))
    dice = 1.0 - (2.0 * overlap + eps) / (total + eps)
    weight = labelled.float()
    if channel_weights is not None:
        weight = weight * channel_weights[None, :]
    return ((bce + dice) * weight).sum() / weight.sum().clamp(min=1.0)


def preload(samples, device):
    """(images (N, 1, S, S) float32, labels (N, S, S) int32 bits, labelled (N, C) bool) tensors."""
    images = torch.from_numpy(np.stack([s.image for s in samples])[:, None].astype(np.float32))
    labels = torch.from_numpy(np.stack([s.labels for s in samples]).astype(np.int32))
    labelled = torch.from_numpy(np.stack([s.labelled for s in samples]))
    return images.to(device), labels.to(device), labelled.to(device)


def unpack(labels, count):
    bits = torch.arange(count, device=labels.device, dtype=torch.int32)
    return ((labels[:, None] >> bits[None, :, None, None]) & 1).float()


def make_batch(data, config, generator, device):
    """One augmented batch: (inputs (B, 1, S, S), targets (B, C, S, S), labelled (B, C))."""
    images, labels, labelled = data
    size = config.input_size
    index = torch.randint(len(images), (config.batch_size,), generator=generator, device=device)
    matrices = random_matrices(config.batch_size, images.shape[-1], size, config.augment,
                               generator, device=device)
    flip = torch.rand(config.batch_size, generator=generator, device=device) < config.flip_prob
    mirror = torch.eye(3, device=device).repeat(config.batch_size, 1, 1)
    mirror[flip, 0, 0], mirror[flip, 0, 2] = -1.0, size - 1.0
    matrices = mirror @ matrices
    inputs = jitter_intensity(warp_images(images[index], matrices, size), config.augment,
                              generator)
    targets = warp_images(unpack(labels[index], len(config.channels)), matrices, size) > 0.5
    return inputs, targets.float(), labelled[index]


def select_views(samples, views):
    return [s for s in samples if s.view in views]


def train(config, samples, out_dir, device="cpu", resume=False, log=print):
    """Train on `samples` (SegSample list); write `out_dir/checkpoint.pt`; return the network."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    network = build_network(config).to(device)
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    state = {"step": 0, "total_steps": config.steps, "history": [],
             "samples": _sample_counts(samples)}
    checkpoint_path = out_dir / CHECKPOINT
    if resume:
        state = _restore(checkpoint_path, network, optimiser, device)
        state["total_steps"] = config.steps
        log(f"resumed from {checkpoint_path} at step {state['step']}/{state['total_steps']}")
    data = preload(samples, device)
    generator = torch.Generator(device=device).manual_seed(config.seed + state["step"])
    log(f"{len(samples)} images {state['samples']}, {parameter_count(network) / 1e6:.2f} M "
        f"parameters, device {device}")
    torch.backends.cudnn.benchmark = True
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda"))
    network.train()
    weights = torch.tensor([float(config.channel_weights.get(name, 1.0)) for name in config.channels],
                           device=device)
    started, first_step, marks = time.monotonic(), state["step"], []
    while state["step"] < state["total_steps"]:
        inputs, targets, labelled = make_batch(data, config, generator, device)
        _set_lr(optimiser, config.lr, state["step"], state["total_steps"])
        with autocast:
            logits = network(inputs)
        loss = masked_loss(logits.float(), targets, labelled, channel_weights=weights)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        state["step"] += 1
        state["history"].append(loss.item())
        if config.time_limit_s and not resume and state["step"] - first_step in (10, 30):
            marks.append(time.monotonic() - started)
            if len(marks) == 2:
                _fit_time_limit(state, config, marks, log)
        if state["step"] % 100 == 0:
            log(f"step {state['step']}/{state['total_steps']} loss "
                f"{np.mean(state['history'][-100:]):.4f} ({time.monotonic() - started:.0f} s)")
        if state["step"] % config.checkpoint_every == 0:
            _save(checkpoint_path, network, optimiser, config, state)
    state["train_seconds"] = time.monotonic() - started
    _save(checkpoint_path, network, optimiser, config, state)
    log(f"trained {state['step']} steps in {state['train_seconds']:.0f} s, "
        f"last loss {np.mean(state['history'][-50:]):.4f}")
    return network


def _sample_counts(samples):
    counts = {}
    for s in samples:
        key = f"{s.source}/{s.view}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def load_checkpoint(path, device="cpu"):
    """(network in eval mode, SegConfig, training state) from a checkpoint file."""
    payload = torch.load(path, map_location=device, weights_only=False)
    config = SegConfig.from_dict(payload["config"])
    network = build_network(config).to(device)
    network.load_state_dict(payload["model"])
    network.eval()
    return network, config, payload["state"]


def export_segmentation_model(checkpoint, out_dir, model_id, version, training_data,
                              description="", threshold=0.5):
    """ONNX file (sigmoid probabilities) + manifest; return (manifest, ORT-vs-torch max diff)."""
    network, config, state = load_checkpoint(checkpoint)
    wrapped = Probabilities(network).eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{model_id}.onnx"
    data = export_onnx(wrapped, config.input_size, onnx_path, output_name="probabilities")
    difference = onnx_matches_torch(wrapped, data, config.input_size)
    size = config.input_size
    manifest = {
        "id": model_id, "version": version, "task": "segmentation", "description": description,
        "sha256": sha256_bytes(data), "file": onnx_path.name,
        "input": {
            "shape": [1, 1, size, size], "dtype": "float32",
            "normalisation": {"method": "percentile", "percentiles": [1.0, 99.0],
                              "range": [0.0, 1.0], "clip": True, "bone": "bright"},
            "resize": {"method": "letterbox", "size": size, "keep_aspect": True,
                       "pad": "centred, value 0", "see": "radiographqc.models.Letterbox"},
        },
        "outputs": {
            "probabilities": {"shape": [1, len(config.channels), size, size],
                              "meaning": "sigmoid probability per channel (channels overlap)"},
            "threshold": threshold,
            "instances": INSTANCES_NOTE,
            "L3": "the body that overlaps the L3 channel most names the levels when no sacrum or "
                  "pelvis is in the field (radiographqc.lumbar.vertebrae.identify)",
        },
        "channels": list(config.channels),
        "view_channels": {view: list(names) for view, names in VIEW_CHANNELS.items()},
        "training": {"steps": state["step"], "seconds": round(state.get("train_seconds", 0.0)),
                     "batch_size": config.batch_size, "lr": config.lr,
                     "views": list(config.views), "samples": state.get("samples"),
                     "own_heads": state.get("own_heads"),
                     "loss": "BCE + soft Dice per channel, unlabelled channels masked",
                     "augment": {**asdict(config.augment), "flip_prob": config.flip_prob},
                     "network": {"type": "U-Net with scSE blocks (MONAI ResidualUnit + "
                                         "ChannelSELayer + spatial SE)",
                                 "features": list(config.features),
                                 "own_heads": config.own_heads,
                                 "parameters": parameter_count(network)},
                     "onnx_opset": OPSET, "onnx_vs_torch_max_abs_diff": difference},
        "training_data": training_data,
        "metrics": {},
        "created": datetime.date.today().isoformat(),
    }
    write_manifest(out_dir / f"{model_id}.json", manifest)
    return manifest, difference


# ---------------------------------------------------------------------------------------------
# Command line (data preparation runs where the data are; training where the GPU is)

def _prepare_aasce(args):
    corners, suspect = read_aasce_table(args.data)
    train_names, valid_names = aasce_split(corners, suspect, args.valid_fraction, args.seed)
    names = train_names[:args.limit] if args.limit else train_names
    samples = [aasce_sample(args.data, name, corners[name], args.size) for name in names]
    save_samples(args.out, samples)
    split = {"source": "AASCE 2019 / SpineWeb dataset 16 (challenge training images)",
             "seed": args.seed, "valid_fraction": args.valid_fraction,
             "suspect_skipped": sorted(suspect), "train": train_names, "valid": valid_names}
    Path(args.split).write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    print(f"{len(samples)} AASCE training images -> {args.out}; {len(valid_names)} held out, "
          f"{len(suspect)} suspect skipped -> {args.split}")


def _prepare_sim(args):
    jobs = args.jobs or os.cpu_count() or 1
    samples = []
    for view in args.views:
        started = time.monotonic()
        samples += simulated_samples(view, args.per_view, args.seed, args.size, args.long_side,
                                     jobs)
        print(f"{args.per_view} simulated {view} in {time.monotonic() - started:.0f} s")
    save_samples(args.out, samples)


def _train(args):
    samples = [s for path in args.data for s in load_samples(path)]
    samples = select_views(samples, args.views)
    config = SegConfig(views=list(args.views), input_size=args.size, batch_size=args.batch_size,
                       steps=args.steps, time_limit_s=args.time_limit, lr=args.lr,
                       features=tuple(int(v) for v in args.features.split(",")), seed=args.seed,
                       channel_weights={name: float(w) for name, _, w in
                                        (item.partition("=") for item in args.channel_weight)})
    device = args.device if args.device != "auto" else (
        "cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(args.threads)
    train(config, samples, args.out, device, args.resume)


def _refine(args):
    torch.set_num_threads(args.threads)
    network, config, state = load_checkpoint(args.checkpoint)
    samples = [s for path in args.data for s in load_samples(path)]
    refine_channel(network, config, state, samples, args.channel, args.out, steps=args.steps,
                   batch_size=args.batch_size, lr=args.lr, seed=args.seed)


def _export(args):
    training_data = json.loads(Path(args.training_data).read_text()) if args.training_data else {}
    manifest, difference = export_segmentation_model(args.checkpoint, args.out, args.model_id,
                                                     args.version, training_data)
    print(f"exported {Path(args.out) / manifest['file']}: ONNX Runtime vs torch max abs diff "
          f"{difference:.2e}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m radiographqc.train.segmentation")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare-aasce", help="letterbox the AASCE training split into an npz")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--split", required=True, type=Path, help="JSON listing train/valid images")
    p.add_argument("--size", type=int, default=384)
    p.add_argument("--valid-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=2019)
    p.add_argument("--limit", type=int, default=0, help="keep the first N (tests)")
    p.set_defaults(run=_prepare_aasce)
    p = sub.add_parser("prepare-sim", help="simulate lumbar cases into an npz")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--per-view", type=int, default=600)
    p.add_argument("--views", nargs="+", default=["AP", "LAT", "OBL"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=384)
    p.add_argument("--long-side", type=int, default=448)
    p.add_argument("--jobs", type=int, default=0)
    p.set_defaults(run=_prepare_sim)
    p = sub.add_parser("train")
    p.add_argument("--data", required=True, nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--views", nargs="+", default=["AP", "LAT", "OBL"])
    p.add_argument("--size", type=int, default=384)
    p.add_argument("--features", default="16,32,48,64,80,96")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--time-limit", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--channel-weight", action="append", default=[], metavar="NAME=W",
                   help="loss weight of one channel, e.g. L3_double_contour=10 (repeatable)")
    p.set_defaults(run=_train)
    p = sub.add_parser("refine", help="train one more channel's own head on the frozen network")
    p.add_argument("--checkpoint", required=True, type=Path,
                   help="the trained network (with or without own heads)")
    p.add_argument("--data", required=True, nargs="+", type=Path)
    p.add_argument("--channel", default="L3_double_contour", choices=CHANNELS)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(run=_refine)
    p = sub.add_parser("export")
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--model-id", default="lumbar-seg")
    p.add_argument("--version", default="0.1.0")
    p.add_argument("--training-data", type=Path, help="JSON describing the training data")
    p.set_defaults(run=_export)
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

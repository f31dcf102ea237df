"""Foreign-body artefact classifier: network, training (checkpoint, resume), ONNX export.

The network is a small fully convolutional CNN of MONAI blocks whose last layer is a 1x1
convolution to one "evidence" map on a 1/16 grid: the image logit is a smooth maximum
(log-mean-exp) of that map, so the map itself is the class-activation heatmap (CAM) that shows a
person where the foreign body is, and a small ring is not diluted by a global average.
"""

from __future__ import annotations

import datetime
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from monai.networks.blocks import Convolution
from torch import nn
from tqdm import tqdm

from radiographqc.models import sha256_bytes

CHECKPOINT = "checkpoint.pt"
POOL_SHARPNESS = 4.0          # r of log-mean-exp pooling: 0 -> mean, infinity -> max


@dataclass
class ArtefactConfig:
    input_size: int = 256
    features: tuple = (16, 32, 64, 128)
    batch_size: int = 32
    steps: int = 1500
    time_limit_s: float = 0.0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    checkpoint_every: int = 200
    seed: int = 0


class ArtefactNet(nn.Module):
    """Image (B, 1, S, S) -> (logit (B, 1), evidence map (B, 1, S/16, S/16))."""

    def __init__(self, features=(16, 32, 64, 128)):
        super().__init__()
        layers, channels = [], 1
        for level, width in enumerate(features):
            layers += [Convolution(2, channels, width, strides=2, kernel_size=3, norm="batch",
                                   act="relu")]
            if level:    # a single convolution at half resolution keeps the network cheap on a CPU
                layers += [Convolution(2, width, width, kernel_size=3, norm="batch", act="relu")]
            channels = width
        self.features = nn.Sequential(*layers)
        self.evidence = nn.Conv2d(channels, 1, kernel_size=1)

    def forward(self, image):
        evidence = self.evidence(self.features(image))
        flat = evidence.flatten(1) * POOL_SHARPNESS
        logit = (torch.logsumexp(flat, dim=1, keepdim=True) - math.log(flat.shape[1])) / POOL_SHARPNESS
        return logit, evidence


def augment(images, generator):
    """Flips, gamma and noise; no 90-degree turns, since radiographs are shown upright."""
    flip_x = torch.rand(images.shape[0], generator=generator) < 0.5
    images = torch.where(flip_x[:, None, None, None], images.flip(-1), images)
    flip_y = torch.rand(images.shape[0], generator=generator) < 0.2
    images = torch.where(flip_y[:, None, None, None], images.flip(-2), images)
    gamma = torch.exp(torch.randn(images.shape[0], 1, 1, 1, generator=generator) * 0.25)
    images = images.clamp(0, 1) ** gamma
    return images + 0.02 * torch.randn(images.shape, generator=generator) * torch.rand(
        images.shape[0], 1, 1, 1, generator=generator)


def save_checkpoint(path, network, optimiser, config, step):
    tmp = Path(path).with_suffix(".tmp")
    torch.save({"network": network.state_dict(), "optimiser": optimiser.state_dict(),
                "config": asdict(config), "step": step}, tmp)
    tmp.replace(path)


def load_checkpoint(path, device="cpu"):
    """(network in eval mode, config, raw state) of a checkpoint."""
    state = torch.load(path, map_location=device, weights_only=False)
    config = ArtefactConfig(**state["config"])
    network = ArtefactNet(config.features).to(device)
    network.load_state_dict(state["network"])
    return network.eval(), config, state


def train(config, images, labels, out_dir, device="cpu", resume=False):
    """Fit the classifier on (N, S, S) images and (N,) 0/1 labels; checkpoint to out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    network = ArtefactNet(config.features).to(device)
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    step = 0
    if resume and (out_dir / CHECKPOINT).is_file():
        state = torch.load(out_dir / CHECKPOINT, map_location=device, weights_only=False)
        network.load_state_dict(state["network"])
        optimiser.load_state_dict(state["optimiser"])
        step = state["step"]
    images = torch.from_numpy(np.asarray(images, np.float32))[:, None]
    labels = torch.from_numpy(np.asarray(labels, np.float32))[:, None]
    positive = float(labels.mean())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - positive) / max(positive, 1e-3)))
    generator = torch.Generator().manual_seed(config.seed + step)
    steps, started, first = config.steps, time.perf_counter(), step
    network.train()
    with tqdm(total=steps, initial=step, desc="artefact", unit="step") as bar:
        while step < steps:
            lr = config.lr * 0.5 * (1 + math.cos(math.pi * step / steps))   # cosine decay
            for group in optimiser.param_groups:
                group["lr"] = lr
            pick = torch.randint(0, images.shape[0], (config.batch_size,), generator=generator)
            batch = augment(images[pick], generator).to(device)
            logit, _ = network(batch)
            loss = loss_fn(logit, labels[pick].to(device))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step % config.checkpoint_every == 0 or step == steps:
                save_checkpoint(out_dir / CHECKPOINT, network, optimiser, config, step)
            if step - first == 20 and config.time_limit_s > 0:    # re-plan after warm-up
                per_step = (time.perf_counter() - started) / 20
                steps = min(steps, first + int(config.time_limit_s / per_step))
                config.steps = steps
                bar.total = steps
    save_checkpoint(out_dir / CHECKPOINT, network, optimiser, config, step)
    return network.eval()


def export_artefact_model(checkpoint, out_dir, model_id, version, training_data, threshold=0.5):
    """ONNX file + manifest `<out_dir>/<model_id>.json`; return (manifest, max abs diff)."""
    import onnxruntime as ort

    from radiographqc.train.export import OPSET, write_manifest

    network, config, state = load_checkpoint(checkpoint)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{model_id}.onnx"
    size = config.input_size
    torch.onnx.export(network, (torch.zeros(1, 1, size, size),), str(onnx_path),
                      input_names=["image"], output_names=["logit", "evidence"],
                      opset_version=OPSET, dynamo=False)
    data = onnx_path.read_bytes()
    probe = np.random.default_rng(0).random((1, 1, size, size), dtype=np.float32)
    ours = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"image": probe})
    with torch.no_grad():
        theirs = network(torch.from_numpy(probe))
    difference = max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(ours, theirs))
    grid = size // 2 ** len(config.features)
    manifest = {
        "id": model_id, "version": version, "task": "artefact",
        "description": "foreign body (metal, plaster) present in a wrist radiograph; the evidence "
                       "map shows where",
        "sha256": sha256_bytes(data), "file": onnx_path.name,
        "input": {"shape": [1, 1, size, size], "dtype": "float32",
                  "normalisation": {"method": "percentile", "percentiles": [1.0, 99.0],
                                    "range": [0.0, 1.0], "clip": True, "bone": "bright"},
                  "resize": {"method": "letterbox", "size": size, "keep_aspect": True,
                             "pad": "centred, value 0"}},
        "outputs": {"logit": {"shape": [1, 1], "meaning": "log-odds of a foreign body"},
                    "evidence": {"shape": [1, 1, grid, grid],
                                 "meaning": "class-activation map: per-cell log-odds on a "
                                            f"{grid}x{grid} grid over the letterboxed input; the "
                                            f"logit is its log-mean-exp (r = {POOL_SHARPNESS:g})"},
                    "threshold": threshold},
        "training": {"steps": state["step"], "batch_size": config.batch_size, "lr": config.lr,
                     "network": {"type": "ArtefactNet (MONAI Convolution blocks, CAM head)",
                                 "features": list(config.features)},
                     "loss": "BCE with logits, positives weighted to balance",
                     "augment": "horizontal flip, vertical flip (p 0.2), gamma, noise",
                     "onnx_opset": OPSET, "onnx_vs_torch_max_abs_diff": difference},
        "training_data": training_data, "metrics": {},
        "created": datetime.date.today().isoformat(),
    }
    write_manifest(out_dir / f"{model_id}.json", manifest)
    return manifest, difference

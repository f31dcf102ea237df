"""Training loop: preload, augment, fit heatmaps, checkpoint, resume."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from radiographqc.models import decode_heatmaps, letterbox_image
from radiographqc.train.augment import (AugmentConfig, jitter_intensity, random_matrices,
                                        render_heatmaps, warp_images, warp_points)
from radiographqc.train.dataset import load_pixels, points_array
from radiographqc.train.losses import LOSSES
from radiographqc.train.network import build_network, parameter_count

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    names: list                       # landmark names, network channel order
    input_size: int = 512
    source_size: int = 0              # letterbox size of the stored source (0 = input_size)
    sigma: float = 2.5                # Gaussian target sigma, input pixels
    batch_size: int = 8
    steps: int = 3000
    time_limit_s: float = 0.0         # > 0: shorten `steps` to what fits, measured after warm-up
    lr: float = 2e-3
    weight_decay: float = 1e-4
    loss: str = "awing"
    aux_global_weight: float = 1.0    # deep supervision of the global branch (sigma x factor); 0 = off
    local_features: tuple = (16, 24, 48, 64, 96, 16)
    global_features: tuple = (16, 32, 48, 64, 96, 16)
    global_factor: int = 4
    focus: list = field(default_factory=list)   # landmark names the zoom may centre on
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    checkpoint_every: int = 200
    seed: int = 0

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["augment"] = AugmentConfig(**data.get("augment", {}))
        return cls(**data)


def preload(samples, names, size):
    """(images (N, 1, size, size) float32 tensor, points (N, K, 2) in canvas pixels) of samples."""
    images, points = [], []
    for sample in samples:
        pixels, _ = load_pixels(sample)
        canvas, box = letterbox_image(pixels, size)
        images.append(canvas)
        points.append(box.to_network(points_array(sample, names)))
    return (torch.from_numpy(np.stack(images)[:, None]),
            torch.from_numpy(np.stack(points).astype(np.float32)))


def make_batch(images, points, config, generator, device):
    """One augmented batch: (inputs (B, 1, S, S), target heatmaps (B, K, S, S), points)."""
    index = torch.randint(len(images), (config.batch_size,), generator=generator, device=device)
    src_points = points[index]
    focus_xy = None
    if config.focus:
        chosen = [config.names.index(n) for n in config.focus]
        focus_xy = src_points[:, chosen].mean(dim=1)
    matrices = random_matrices(config.batch_size, images.shape[-1], config.input_size,
                               config.augment, generator, focus_xy, device)
    inputs = warp_images(images[index], matrices, config.input_size)
    inputs = jitter_intensity(inputs, config.augment, generator)
    moved = warp_points(src_points, matrices, config.input_size)
    return inputs, render_heatmaps(moved, config.input_size, config.sigma), moved


def train(config, samples, out_dir, device="cpu", resume=False, log=print, init=None):
    """Train a landmark network on `samples`; write `out_dir/checkpoint.pt`; return the network.

    `resume`: continue `out_dir/checkpoint.pt` (weights, optimiser, step) up to `config.steps`.
    `init`: start from the weights of another checkpoint with a fresh optimiser and schedule.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    network = build_network(config, len(config.names)).to(device)
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    state = {"step": 0, "total_steps": config.steps, "history": []}
    if init:
        network.load_state_dict(torch.load(init, map_location=device, weights_only=False)["model"])
        state["init"] = str(init)
        log(f"weights from {init}")
    checkpoint_path = out_dir / CHECKPOINT
    if resume:
        state = _restore(checkpoint_path, network, optimiser, device)
        state["total_steps"] = config.steps     # resume runs on to the steps asked for now
        log(f"resumed from {checkpoint_path} at step {state['step']}/{state['total_steps']}")
    images, points = preload(samples, config.names, config.source_size or config.input_size)
    images, points = images.to(device), points.to(device)
    generator = torch.Generator(device=device).manual_seed(config.seed + state["step"])
    loss_fn = LOSSES[config.loss]
    log(f"{len(samples)} images, {len(config.names)} landmarks, "
        f"{parameter_count(network) / 1e6:.2f} M parameters, device {device}")
    torch.backends.cudnn.benchmark = True
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda"))
    network.train()
    started = time.monotonic()
    first_step = state["step"]
    marks = []
    bar = tqdm(total=state["total_steps"], initial=first_step, desc="train", mininterval=5)
    while state["step"] < state["total_steps"]:
        inputs, targets, moved = make_batch(images, points, config, generator, device)
        _set_lr(optimiser, config.lr, state["step"], state["total_steps"])
        with autocast:
            output, global_maps = network.forward_parts(inputs)
            loss = loss_fn(output.float(), targets)
            if config.aux_global_weight:
                wide = render_heatmaps(moved, config.input_size, config.sigma * config.global_factor)
                loss = loss + config.aux_global_weight * loss_fn(global_maps.float(), wide)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        state["step"] += 1
        state["history"].append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{state['history'][-1]:.4f}", refresh=False)
        done = state["step"] - first_step
        if config.time_limit_s and not resume and (done in (10, 30) or done > 30 and done % 50 == 0):
            # from step 10 on (after cuDNN's first-call set-up) the step time is measured, and the
            # plan is refitted every 50 steps: other jobs on the same GPU change the pace
            del marks[1:]
            marks.append(time.monotonic() - started)
            if len(marks) == 2:
                _fit_time_limit(state, config, marks, log if done == 30 else None, done - 10)
                bar.total = state["total_steps"]
        if state["step"] % config.checkpoint_every == 0:
            _save(checkpoint_path, network, optimiser, config, state)
    bar.close()
    _save(checkpoint_path, network, optimiser, config, state)
    log(f"trained {state['step']} steps in {time.monotonic() - started:.0f} s, "
        f"last loss {np.mean(state['history'][-50:]):.4f}")
    return network


def _fit_time_limit(state, config, marks, log, counted=20):
    """Set the planned steps to what fits the time limit (at most config.steps), from `counted`
    steps timed between the two marks (seconds since the start)."""
    per_step = (marks[1] - marks[0]) / counted
    fitting = state["step"] + int((config.time_limit_s - marks[1]) / per_step)
    planned = max(min(fitting, config.steps), state["step"] + 1)
    if planned != state["total_steps"]:
        state["total_steps"] = planned
        if log:
            log(f"{per_step * 1000:.0f} ms per step: {planned} steps fit "
                f"{config.time_limit_s:.0f} s")


def _set_lr(optimiser, base_lr, step, total):
    """Linear warm-up over 2 % of the steps, then cosine decay to 1 % of the base rate."""
    warm = max(1, total // 50)
    if step < warm:
        lr = base_lr * (step + 1) / warm
    else:
        progress = (step - warm) / max(1, total - warm)
        lr = base_lr * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * progress)))
    for group in optimiser.param_groups:
        group["lr"] = lr


def _save(path, network, optimiser, config, state):
    payload = {"model": network.state_dict(), "optimiser": optimiser.state_dict(),
               "config": _config_dict(config), "state": state}
    partial = path.with_suffix(".tmp")
    torch.save(payload, partial)
    partial.replace(path)   # never leave a half-written checkpoint behind


def _restore(path, network, optimiser, device):
    payload = torch.load(path, map_location=device, weights_only=False)
    network.load_state_dict(payload["model"])
    optimiser.load_state_dict(payload["optimiser"])
    return payload["state"]


def _config_dict(config):
    return json.loads(json.dumps(asdict(config)))


def load_checkpoint(path, device="cpu"):
    """(network in eval mode, TrainConfig, training state) from a checkpoint file."""
    payload = torch.load(path, map_location=device, weights_only=False)
    config = TrainConfig.from_dict(payload["config"])
    network = build_network(config, len(config.names)).to(device)
    network.load_state_dict(payload["model"])
    network.eval()
    return network, config, payload["state"]


class TorchPredictor:
    """Eager-torch counterpart of models.KeypointModel.locate (for checks and benchmarks)."""

    def __init__(self, network, size, device="cpu"):
        self.network, self.size, self.device = network, size, device

    @torch.no_grad()
    def heatmaps(self, pixels):
        canvas, box = letterbox_image(pixels, self.size)
        batch = torch.from_numpy(canvas[None, None]).to(self.device)
        return self.network(batch)[0].float().cpu().numpy(), box

    def locate(self, pixels):
        maps, box = self.heatmaps(pixels)
        xy, peak = decode_heatmaps(maps)
        return box.to_image(xy), np.clip(peak, 0.0, 1.0)

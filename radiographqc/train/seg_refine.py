"""Give one channel of a trained lumbar segmentation network its own head (RefinedChannel).

Why: the shared 1x1 head of the U-Net left the L3 double contour dead (probability about 0
everywhere). It is a thin rim beside L3 in a minority of images, and a per-image Dice on its
mostly empty masks teaches the network to predict nothing. Retraining the whole network with the
channel weighted needs a GPU; this trains only a small head on the frozen network's features:

1. the U-Net runs once per labelled sample (no gradient); a square of `context` pixels around the
   true L3 (which also holds L2 and L4, whose rims the head must leave alone) is cached: the
   features, the image and the channel's mask;
2. the head trains on random `crop`-pixel windows of those squares, loss BCE + soft Dice over the
   whole batch (one Dice per batch, so that images without the structure do not push every
   pixel to 0);
3. a tenth of the samples (by name, fixed) is held back and its Dice printed as training goes.

    python -m radiographqc.train.segmentation refine --checkpoint BASE.pt --data A.npz B.npz \\
        --channel L3_double_contour --out DIR
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from radiographqc.train.loop import _save, _set_lr
from radiographqc.train.seg_data import CHANNELS
from radiographqc.train.seg_network import RefinedChannel

L3_BIT = CHANNELS.index("L3")


def cache_windows(unet, samples, channel, context, batch=8, log=print):
    """(features (N, F+1, context, context) float16 with the image last, masks (N, context,
    context) bool): the frozen U-Net's last features around each sample's true L3."""
    bit, size = CHANNELS.index(channel), samples[0].image.shape[0]
    inputs, masks = [], []
    started = time.monotonic()
    for start in range(0, len(samples), batch):
        chunk = samples[start:start + batch]
        images = torch.from_numpy(np.stack([s.image for s in chunk])[:, None].astype(np.float32))
        with torch.no_grad():
            stacked = torch.cat([unet.features(images), images], dim=1)
        for sample, maps in zip(chunk, stacked):
            top, left = _window(sample.labels, context, size)
            inputs.append(maps[:, top:top + context, left:left + context].half())
            masks.append(torch.from_numpy(
                ((sample.labels[top:top + context, left:left + context] >> bit) & 1) > 0))
        log(f"cached {min(start + batch, len(samples))}/{len(samples)} windows "
            f"({time.monotonic() - started:.0f} s)")
    return torch.stack(inputs), torch.stack(masks)


def _window(labels, context, size):
    rows, cols = np.nonzero((labels >> L3_BIT) & 1)
    centre = (rows.mean(), cols.mean()) if len(rows) else (size / 2, size / 2)
    return tuple(int(np.clip(round(c - context / 2), 0, size - context)) for c in centre)


def batch_loss(logits, targets, eps=1.0):
    probs = torch.sigmoid(logits)
    dice = 1.0 - (2.0 * (probs * targets).sum() + eps) / (probs.sum() + targets.sum() + eps)
    return F.binary_cross_entropy_with_logits(logits, targets) + dice


def batch_dice(logits, targets, threshold=0.5):
    predicted = torch.sigmoid(logits) > threshold
    truth = targets > 0.5
    total = predicted.sum() + truth.sum()
    return 1.0 if total == 0 else float(2 * (predicted & truth).sum() / total)


def split_held_back(samples, every=10):
    """(train, held back): every `every`-th sample by sorted name, so the split never changes."""
    order = sorted(range(len(samples)), key=lambda i: samples[i].name)
    back = set(order[::every])
    return ([s for i, s in enumerate(samples) if i not in back],
            [s for i, s in enumerate(samples) if i in back])


def refine_channel(base, config, base_state, samples, channel, out_dir, steps=1500,
                   batch_size=16, context=160, crop=112, lr=3e-3, width=16,
                   dilations=(1, 2, 4, 8), seed=0, log=print):
    """Train a RefinedChannel head for `channel` on the frozen `base` U-Net (from
    segmentation.load_checkpoint); write `out_dir/checkpoint.pt`, which that loads and exports."""
    index = CHANNELS.index(channel)
    labelled = [s for s in samples if s.labelled[index]]
    train_samples, back_samples = split_held_back(labelled)
    config = replace(config, refine={"channel": channel, "width": width,
                                     "dilations": list(dilations)})
    network = RefinedChannel(base, index, width, tuple(dilations))
    base.requires_grad_(False)
    torch.manual_seed(seed)
    train_x, train_y = cache_windows(base, train_samples, channel, context, log=log)
    back_x, back_y = cache_windows(base, back_samples, channel, context, log=log)
    optimiser = torch.optim.AdamW(network.refine.parameters(), lr=lr, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(seed)
    history, started = [], time.monotonic()
    for step in range(steps):
        index = torch.randint(len(train_x), (batch_size,), generator=generator)
        top, left = torch.randint(context - crop + 1, (2,), generator=generator).tolist()
        window = (slice(None), slice(None), slice(top, top + crop), slice(left, left + crop))
        inputs = train_x[index].float()[window]
        targets = train_y[index][:, None].float()[window]
        _set_lr(optimiser, lr, step, steps)
        loss = batch_loss(network.channel_logits(inputs[:, :-1], inputs[:, -1:]), targets)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        history.append(loss.item())
        if (step + 1) % 100 == 0:
            log(f"step {step + 1}/{steps} loss {np.mean(history[-100:]):.4f}, held-back Dice "
                f"{held_back_dice(network, back_x, back_y):.3f} ({time.monotonic() - started:.0f} s)")
    state = dict(base_state)
    state["refine"] = {
        "channel": channel, "steps": steps, "batch_size": batch_size, "lr": lr,
        "window_px": crop, "context_px": context, "seconds": round(time.monotonic() - started),
        "train_samples": len(train_samples), "held_back_samples": len(back_samples),
        "held_back_dice": held_back_dice(network, back_x, back_y),
        "loss": "BCE + soft Dice over the batch; U-Net frozen, head only"}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _save(out_dir / "checkpoint.pt", network, optimiser, config, state)
    log(f"refined {channel}: held-back Dice {state['refine']['held_back_dice']:.3f} on "
        f"{len(back_samples)} samples -> {out_dir / 'checkpoint.pt'}")
    return network, state


def held_back_dice(network, inputs, masks):
    with torch.no_grad():
        x = inputs.float()
        return batch_dice(network.channel_logits(x[:, :-1], x[:, -1:]), masks[:, None].float())

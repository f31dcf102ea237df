"""Give one more channel of a trained lumbar segmentation network its own head (OwnHeads).

Why: the shared 1x1 head of the U-Net left thin structures behind. The L3 double contour was dead
(probability about 0 everywhere): a rim beside L3 in a minority of images, which a per-image Dice
on mostly empty masks teaches to predict as nothing. The separation band between touching bodies
broke where a tilted beam overlaps them. Retraining the whole network needs a GPU; this trains
only a small head (seg_network.ChannelHead) on the frozen network's features:

1. the U-Net runs once per labelled sample (no gradient); a square of `context` pixels around a
   pixel of the channel's anchor structure (ANCHORS; by default the channel itself), drawn at
   random with a fixed seed, is cached: the features, the image and the channel's mask;
2. the head trains on random `crop`-pixel windows of those squares, loss BCE + soft Dice over the
   whole batch (one Dice per batch, so that images without the structure do not push every
   pixel to 0);
3. a tenth of the samples (by name, fixed) is held back and its Dice printed as training goes.

Heads already in the network stay frozen too, so heads are added one at a time:

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
from radiographqc.train.seg_network import ChannelHead, OwnHeads

# where a channel's windows are centred: its double contour lies on L3 (and most images have none)
ANCHORS = {"L3_double_contour": "L3"}


def cache_windows(unet, samples, channel, context, seed=0, batch=8, log=print):
    """(features (N, F+1, context, context) float16 with the image last, masks (N, context,
    context) bool): the frozen U-Net's last features around a pixel of the channel's anchor."""
    bit, size = CHANNELS.index(channel), samples[0].image.shape[0]
    anchor = CHANNELS.index(ANCHORS.get(channel, channel))
    rng = np.random.default_rng(seed)
    inputs, masks = [], []
    started = time.monotonic()
    for start in range(0, len(samples), batch):
        chunk = samples[start:start + batch]
        images = torch.from_numpy(np.stack([s.image for s in chunk])[:, None].astype(np.float32))
        with torch.no_grad():
            stacked = torch.cat([unet.features(images), images], dim=1)
        for sample, maps in zip(chunk, stacked):
            top, left = _window(sample.labels, anchor, context, size, rng)
            inputs.append(maps[:, top:top + context, left:left + context].half())
            masks.append(torch.from_numpy(
                ((sample.labels[top:top + context, left:left + context] >> bit) & 1) > 0))
        log(f"cached {min(start + batch, len(samples))}/{len(samples)} windows "
            f"({time.monotonic() - started:.0f} s)")
    return torch.stack(inputs), torch.stack(masks)


def _window(labels, anchor, context, size, rng):
    rows, cols = np.nonzero((labels >> anchor) & 1)
    pick = rng.integers(len(rows)) if len(rows) else None
    centre = (rows[pick], cols[pick]) if pick is not None else (size / 2, size / 2)
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


def refine_channel(network, config, base_state, samples, channel, out_dir, steps=1500,
                   batch_size=16, context=160, crop=112, lr=3e-3, width=16,
                   dilations=(1, 2, 4, 8), seed=0, log=print):
    """Train an own head for `channel` on the frozen `network` (from segmentation.load_checkpoint:
    a U-Net, or one with own heads already); write `out_dir/checkpoint.pt`, which that loads and
    exports. Returns (network with the new head, training state)."""
    index = CHANNELS.index(channel)
    unet, heads = ((network.unet, dict(zip(network.indices, network.heads)))
                   if isinstance(network, OwnHeads) else (network, {}))
    if index in heads:
        raise ValueError(f"{channel} already has its own head")
    network.requires_grad_(False)
    head = ChannelHead(config.features[0], width, tuple(dilations))
    network = OwnHeads(unet, {**heads, index: head})
    config = replace(config, own_heads=config.own_heads + [
        {"channel": channel, "width": width, "dilations": list(dilations)}])
    labelled = [s for s in samples if s.labelled[index]]
    train_samples, back_samples = split_held_back(labelled)
    torch.manual_seed(seed)
    train_x, train_y = cache_windows(unet, train_samples, channel, context, seed, log=log)
    back_x, back_y = cache_windows(unet, back_samples, channel, context, seed + 1, log=log)
    optimiser = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(seed)
    history, started = [], time.monotonic()
    for step in range(steps):
        index_batch = torch.randint(len(train_x), (batch_size,), generator=generator)
        top, left = torch.randint(context - crop + 1, (2,), generator=generator).tolist()
        window = (slice(None), slice(None), slice(top, top + crop), slice(left, left + crop))
        inputs = train_x[index_batch].float()[window]
        targets = train_y[index_batch][:, None].float()[window]
        _set_lr(optimiser, lr, step, steps)
        loss = batch_loss(head(inputs[:, :-1], inputs[:, -1:]), targets)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        history.append(loss.item())
        if (step + 1) % 100 == 0:
            log(f"step {step + 1}/{steps} loss {np.mean(history[-100:]):.4f}, held-back Dice "
                f"{held_back_dice(head, back_x, back_y):.3f} ({time.monotonic() - started:.0f} s)")
    state = dict(base_state)
    state["own_heads"] = list(base_state.get("own_heads", [])) + [{
        "channel": channel, "steps": steps, "batch_size": batch_size, "lr": lr,
        "window_px": crop, "context_px": context, "anchor": ANCHORS.get(channel, channel),
        "seconds": round(time.monotonic() - started), "train_samples": len(train_samples),
        "held_back_samples": len(back_samples),
        "held_back_dice": held_back_dice(head, back_x, back_y),
        "loss": "BCE + soft Dice over the batch; U-Net and earlier heads frozen"}]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _save(out_dir / "checkpoint.pt", network, optimiser, config, state)
    log(f"own head for {channel}: held-back Dice {state['own_heads'][-1]['held_back_dice']:.3f} "
        f"on {len(back_samples)} samples -> {out_dir / 'checkpoint.pt'}")
    return network, state


def held_back_dice(head, inputs, masks):
    with torch.no_grad():
        x = inputs.float()
        return batch_dice(head(x[:, :-1], x[:, -1:]), masks[:, None].float())

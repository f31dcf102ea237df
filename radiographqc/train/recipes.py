"""How the bundled keypoint models are made: data, settings, training and export in one command.

    python -m radiographqc.train.recipes hand-atlas-37|wrist-ap-3|wrist-lat-5 --atlas DIR
        [--sim-ap DIR] [--sim-lat DIR] --out DIR [--time-limit S] [--device cuda]
    python -m radiographqc.train.recipes to-8bit SRC DST    (simulated DICOMs -> JPEG + label JSON)

The hand atlas gives real PA hands (train split only); the wrist models add simulated radiographs
(`radiographqc simulate wrist ...`), stored as 8-bit JPEGs so they travel light to a GPU machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from radiographqc.models import normalise_intensity
from radiographqc.train.dataset import (load_pixels, read_hand_atlas, read_keypoint_folder,
                                        row_crop)

AP_FROM_ATLAS = [("P1", 18), ("P2", 5), ("P3", 1)]   # thumb MCP, radial styloid, ulnar styloid
LAT_NAMES = ["P1", "P2", "P3", "P4", "P5"]


def to_8bit(src, dst, quality=92):
    """Write every labelled image of `src` as `<stem>.jpg` (1..99 percentile -> 0..255, bone
    bright) with its points in `<stem>.json`; return the number of images written."""
    dst = Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    samples = read_keypoint_folder(src)
    for sample in samples:
        pixels, mm = load_pixels(sample)
        grey = np.round(255 * normalise_intensity(pixels)).astype(np.uint8)
        stem = Path(sample.image_path).name.split(".")[0]
        Image.fromarray(grey).save(dst / f"{stem}.jpg", quality=quality)
        label = {"view": sample.view, "mm_per_px": mm,
                 "points": {k: None if v is None else list(v) for k, v in sample.points.items()}}
        (dst / f"{stem}.json").write_text(json.dumps(label), encoding="utf-8")
    return len(samples)


def wrist_crops(samples, per_image, seed=0, thumb="P1", styloids=("P2", "P3")):
    """Random AP-wrist-like row crops of hand samples: each starts between 0.8 wrist widths above
    the thumb MCP and 0.4 wrist widths above the higher styloid, so in about half of them the
    thumb MCP is cut off (absent) - the case the P1 presence decision must learn."""
    rng = np.random.default_rng(seed)
    crops = []
    for sample in samples:
        p_thumb, a, b = (np.array(sample.points[n]) for n in (thumb, *styloids))
        width = float(np.linalg.norm(a - b))
        low, high = p_thumb[1] - 0.8 * width, min(a[1], b[1]) - 0.4 * width
        for first in rng.uniform(low, high, per_image):
            crops.append(row_crop(sample, first, 10 ** 9, f"random wrist crop from row {first:.0f}"))
    return crops


def recipe(name, args):
    """(samples, TrainConfig, training-data description, may-be-absent names, description)."""
    from radiographqc.train.augment import AugmentConfig
    from radiographqc.train.loop import TrainConfig

    atlas = Path(args.atlas)
    if name == "hand-atlas-37":
        samples = read_hand_atlas(atlas, "train")
        config = TrainConfig(names=[f"L{i}" for i in range(37)], input_size=512, sigma=2.5,
                             batch_size=8, steps=20000, lr=2e-3,
                             augment=AugmentConfig(rotate_deg=10.0, scale=(0.9, 1.1)))
        data = _atlas_data(samples, "L<i> = hand-atlas landmark i (0-based, 37 landmarks)")
        return samples, config, data, [], ("37 hand landmarks (Payer et al. annotation of the "
                                           "Digital Hand Atlas), PA left hand")
    if name == "wrist-ap-3":
        hands = read_hand_atlas(atlas, "train", AP_FROM_ATLAS)
        crops = wrist_crops(hands, 3, seed=args.seed)
        simulated = read_keypoint_folder(args.sim_ap, ["P1", "P2", "P3"])
        samples = hands + crops + simulated
        config = TrainConfig(names=["P1", "P2", "P3"], input_size=256, source_size=384, sigma=2.0,
                             batch_size=16, steps=20000, lr=2e-3, focus=["P2", "P3"],
                             augment=AugmentConfig(rotate_deg=15.0, scale=(0.85, 1.8), shift=0.08,
                                                   focus_prob=0.5))
        data = _atlas_data(hands, "P1 = 18 (thumb MCP), P2 = 5 (radial styloid tip), "
                                  "P3 = 1 (ulnar styloid tip)")
        data.update(wrist_crops=f"{len(crops)} random row crops of those images (3 each, "
                                f"wrist_crops, seed {args.seed}); P1 absent where cut off",
                    simulated=_sim_data(args.sim_ap, simulated, "AP", args.sim_ap_seed))
        description = "AP wrist keypoints P1 thumb MCP (may be absent), P2/P3 radial/ulnar styloid"
        return samples, config, data, ["P1"], description
    if name == "wrist-lat-5":
        samples = read_keypoint_folder(args.sim_lat, LAT_NAMES)
        config = TrainConfig(names=LAT_NAMES, input_size=256, sigma=2.0, batch_size=16,
                             steps=20000, lr=2e-3,
                             augment=AugmentConfig(rotate_deg=15.0, scale=(0.8, 1.1), shift=0.05))
        data = {"simulated": _sim_data(args.sim_lat, samples, "LAT", args.sim_lat_seed)}
        return samples, config, data, [], ("lateral wrist keypoints P1 scaphoid centre, P2/P3 "
                                           "distal/proximal radius centre, P4/P5 distal/proximal "
                                           "ulna centre; trained on simulated images only")
    raise SystemExit(f"unknown recipe {name}")


def _atlas_data(samples, landmark_map):
    return {"folder": "hand-atlas (Digital Hand Atlas subset, see shared/data/hand-atlas/README.md)",
            "split": "train", "images": len(samples), "landmark_map": landmark_map,
            "images_list": sorted(Path(s.image_path).name for s in samples)}


def _sim_data(folder, samples, view, seed):
    return {"images": len(samples), "real": False,
            "made_by": f"radiographqc simulate wrist --view {view} --n {len(samples)} --seed {seed} "
                       "--size 256 (preset routine), then recipes to-8bit (JPEG q92)",
            "folder": Path(folder).name}


def run_recipe(args):
    import torch

    from radiographqc.train.export import export_keypoint_model
    from radiographqc.train.loop import CHECKPOINT, train

    samples, config, data, absent, description = recipe(args.name, args)
    config.time_limit_s, config.seed = args.time_limit, args.seed
    config.steps = args.steps or config.steps
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(args.out) / args.name
    train(config, samples, out, device)
    manifest, difference = export_keypoint_model(out / CHECKPOINT, args.out, args.name,
                                                 args.version, data, 0.5, absent, description)
    print(f"{args.name}: exported, ONNX Runtime vs torch max abs diff {difference:.2e}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m radiographqc.train.recipes")
    parser.add_argument("name", choices=("hand-atlas-37", "wrist-ap-3", "wrist-lat-5", "to-8bit"))
    parser.add_argument("paths", nargs="*", help="to-8bit: SRC DST")
    parser.add_argument("--atlas", default="../shared/data/hand-atlas")
    parser.add_argument("--sim-ap")
    parser.add_argument("--sim-lat")
    parser.add_argument("--sim-ap-seed", type=int, default=11)
    parser.add_argument("--sim-lat-seed", type=int, default=12)
    parser.add_argument("--out", default="out/models")
    parser.add_argument("--version", default="0.2.0")
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="seconds of training; the step count is fitted to it")
    parser.add_argument("--steps", type=int, default=0, help="at most this many steps")
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.name == "to-8bit":
        print(f"{to_8bit(*args.paths)} images -> {args.paths[1]}")
        return 0
    return run_recipe(args)


if __name__ == "__main__":
    sys.exit(main())

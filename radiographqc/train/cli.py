"""`radiographqc train keypoints ...` and `radiographqc evaluate ...` (wired into radiographqc.cli).

Training imports torch lazily, so `evaluate` of an ONNX model works without it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from radiographqc.train.dataset import (landmark_names, parse_landmark_map, read_dataset)

EVALUATE_KINDS = ("keypoints", "artefact", "lumbar")
DEFAULT_MODELS = {"artefact": "wrist-artefact", "lumbar": "lumbar-seg"}


def add_train_parser(subparsers):
    """Add `train keypoints`; return the `train` sub-command action so others can add theirs."""
    train = subparsers.add_parser("train", help="train a model on labelled images")
    kinds = train.add_subparsers(dest="train_kind", required=True)
    p = kinds.add_parser("keypoints", help="train a heatmap landmark detector")
    _add_data_arguments(p, default_split="train")
    p.add_argument("--out", required=True, type=Path, help="folder for checkpoint and model")
    p.add_argument("--model-id", default="keypoints", help="model id (file names)")
    p.add_argument("--version", default="0.1.0")
    p.add_argument("--input-size", type=int, default=512)
    p.add_argument("--source-size", type=int, default=0,
                   help="letterbox size the augmentation samples from (0 = input size)")
    p.add_argument("--sigma", type=float, default=2.5, help="heatmap sigma in input pixels")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--time-limit", type=float, default=0.0,
                   help="seconds; fewer steps are run when the planned ones would not fit")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--loss", choices=("awing", "mse"), default="awing")
    p.add_argument("--local-features", default="16,24,48,64,96,16")
    p.add_argument("--global-features", default="16,32,48,64,96,16")
    p.add_argument("--rotate", type=float, default=10.0, help="max rotation, degrees")
    p.add_argument("--scale", type=float, nargs=2, default=(0.9, 1.1), help="zoom range")
    p.add_argument("--focus", default="", help="landmarks the zoom may centre on, e.g. P2,P3")
    p.add_argument("--focus-prob", type=float, default=0.0)
    p.add_argument("--may-be-absent", default="", help="landmarks with a presence decision")
    p.add_argument("--presence-threshold", type=float, default=0.5)
    p.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--init", type=Path, help="start from this checkpoint's weights (fine-tune)")
    p.add_argument("--aux-global-weight", type=float, default=1.0,
                   help="weight of the global branch's own loss (wide Gaussians); 0 = off")
    p.add_argument("--no-export", action="store_true", help="skip the ONNX export")
    p.set_defaults(run=run_train)
    _add_artefact_parser(kinds)
    return kinds


def _add_artefact_parser(kinds):
    p = kinds.add_parser("artefact", help="train the foreign-body artefact classifier")
    p.add_argument("--data", type=Path, action="append", default=[], metavar="DIR",
                   help="labelled folder: present/ and absent/ subfolders, or images with "
                   "<stem>.labels.json bit-flag masks (labels artefact_*); repeatable")
    p.add_argument("--clean", type=Path, action="append", default=[], metavar="DIR",
                   help="clean real images onto which simulated foreign bodies and lead markers "
                   "are composited: a hand-atlas folder (its --split) or a folder of images; "
                   "repeatable")
    p.add_argument("--split", default="train", help="hand-atlas split of --clean")
    p.add_argument("--per-image", type=int, default=10,
                   help="composited variants of each clean image (half with a foreign body)")
    p.add_argument("--out", required=True, type=Path, help="folder for checkpoint and model")
    p.add_argument("--model-id", default="artefact", help="model id (file names)")
    p.add_argument("--version", default="0.1.0")
    p.add_argument("--input-size", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--time-limit", type=float, default=0.0,
                   help="seconds; fewer steps are run when the planned ones would not fit")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--features", default="16,32,64,128", help="channels per level (1/2..1/16)")
    p.add_argument("--threshold", type=float, default=0.5, help="operating threshold")
    p.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--no-export", action="store_true", help="skip the ONNX export")
    p.set_defaults(run=run_train_artefact)


def add_evaluate_parser(subparsers):
    p = subparsers.add_parser("evaluate", help="measure a model on labelled images")
    p.add_argument("kind", nargs="?", choices=EVALUATE_KINDS,
                   help="what to evaluate (default: the task of --model)")
    _add_data_arguments(p, default_split="valid")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--model", help="manifest path (*.json) or bundled model id (default "
                        "for artefact: %s, for lumbar: %s)" % (DEFAULT_MODELS["artefact"],
                                                               DEFAULT_MODELS["lumbar"]))
    source.add_argument("--checkpoint", type=Path, help="training checkpoint (needs torch)")
    p.add_argument("--may-be-absent", default=None,
                   help="landmarks whose presence is evaluated (default: the model's)")
    p.add_argument("--presence-threshold", type=float, default=None)
    p.add_argument("--wrist-views", action="store_true",
                   help="evaluate on AP-wrist-like crops with and without the thumb MCP (P1)")
    p.add_argument("--json", type=Path, help="write the metrics here")
    p.add_argument("--record", action="store_true",
                   help="store the metrics in the model's manifest")
    p.add_argument("--composite", type=int, default=0, metavar="N",
                   help="artefact: composite simulated foreign bodies and markers onto N "
                   "variants of each clean image in --data (a hand-atlas folder: its --split)")
    p.add_argument("--seed", type=int, default=1, help="seed of --composite")
    p.add_argument("--profile", type=Path, help="lumbar: criteria profile of the per-rule comparison")
    p.add_argument("--split-file", type=Path,
                   help="lumbar on the AASCE folder: JSON whose 'valid' list is evaluated "
                   "(default: the held-out list in the model's manifest)")
    p.add_argument("--masks", type=Path, metavar="DIR",
                   help="lumbar: folder of the true label files (default: beside the images)")
    p.add_argument("--limit", type=int, default=0, help="lumbar: first N images only")
    p.set_defaults(run=run_evaluate)
    return p


def _add_data_arguments(p, default_split):
    p.add_argument("--data", required=True, type=Path,
                   help="hand-atlas folder (landmarks.csv) or folder of images with <stem>.json")
    p.add_argument("--split", default=default_split, help="hand-atlas split")
    p.add_argument("--landmarks", default="",
                   help="hand-atlas landmarks to use, NAME=INDEX,... (default: all 37, L0..L36)")
    p.add_argument("--names", default="", help="landmark names to use from label files")
    p.add_argument("--view", default=None, help="keep only label files of this view")
    p.add_argument("--spacing-mm", type=float, default=None,
                   help="pixel size for images that give none (else errors are in px)")


def _samples(args, names=None):
    mapping = parse_landmark_map(args.landmarks) if args.landmarks else None
    wanted = names or _split_list(args.names) or None
    return read_dataset(args.data, args.split, mapping, wanted, args.view, args.spacing_mm)


def _split_list(text):
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _device(name):
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def run_train(args):
    from radiographqc.train.augment import AugmentConfig
    from radiographqc.train.loop import CHECKPOINT, TrainConfig, train

    samples = _samples(args)
    names = landmark_names(samples)
    config = TrainConfig(
        names=names, input_size=args.input_size, source_size=args.source_size, sigma=args.sigma,
        batch_size=args.batch_size, steps=args.steps, time_limit_s=args.time_limit, lr=args.lr,
        loss=args.loss, aux_global_weight=args.aux_global_weight,
        local_features=_ints(args.local_features),
        global_features=_ints(args.global_features), focus=_split_list(args.focus),
        augment=AugmentConfig(rotate_deg=args.rotate, scale=tuple(args.scale),
                              focus_prob=args.focus_prob),
        checkpoint_every=args.checkpoint_every, seed=args.seed)
    train(config, samples, args.out, _device(args.device), args.resume, init=args.init)
    if args.no_export:
        return 0
    from radiographqc.train.export import export_keypoint_model

    manifest, difference = export_keypoint_model(
        args.out / CHECKPOINT, args.out, args.model_id, args.version,
        _training_data(args, samples), args.presence_threshold,
        _split_list(args.may_be_absent))
    print(f"exported {args.out / manifest['file']} (ONNX Runtime vs torch max abs diff "
          f"{difference:.2e})")
    return 0


def _training_data(args, samples):
    return {"folder": Path(args.data).name, "split": args.split, "images": len(samples),
            "landmark_map": args.landmarks or None,
            "images_list": sorted(Path(s.image_path).name for s in samples)}


def _ints(text):
    return tuple(int(v) for v in text.split(","))


def run_train_artefact(args):
    from radiographqc.train.artefact import CHECKPOINT, ArtefactConfig, export_artefact_model, train

    images, labels, sources = _artefact_training_set(args)
    print(f"artefact training set: {len(labels)} images, {int(labels.sum())} with a foreign body")
    config = ArtefactConfig(input_size=args.input_size, features=_ints(args.features),
                            batch_size=args.batch_size,
                            steps=args.steps, time_limit_s=args.time_limit, lr=args.lr,
                            checkpoint_every=args.checkpoint_every, seed=args.seed)
    train(config, images, labels, args.out, _device(args.device), args.resume)
    if args.no_export:
        return 0
    manifest, difference = export_artefact_model(args.out / CHECKPOINT, args.out, args.model_id,
                                                 args.version, sources, args.threshold)
    print(f"exported {args.out / manifest['file']} (ONNX Runtime vs torch max abs diff "
          f"{difference:.2e})")
    return 0


def _artefact_training_set(args):
    """(images, labels, description of the training data) for `train artefact`."""
    import numpy as np

    from radiographqc.train.artefact_data import (clean_samples, composited_items,
                                                  labelled_items, stack)

    if not args.data and not args.clean:
        raise SystemExit("train artefact needs --data (labelled) and/or --clean (to composite onto)")
    items, sources = [], []
    for folder in args.data:
        found = labelled_items(folder, args.input_size)
        items += found
        sources.append({"folder": folder.name, "kind": "labelled", "images": len(found),
                        "with_foreign_body": sum(it.present for it in found)})
    for k, folder in enumerate(args.clean):
        clean = clean_samples(folder, args.split)
        found = composited_items(clean, args.per_image, args.input_size, args.seed + k)
        items += found
        sources.append({"folder": folder.name, "kind": "composited", "split": args.split,
                        "clean_images": len(clean), "per_image": args.per_image,
                        "images": len(found), "with_foreign_body": sum(it.present for it in found),
                        "images_list": sorted(Path(s.image_path).name for s in clean)})
    images, labels, _, _ = stack(items)
    return images, labels, {"sources": sources, "images": int(len(labels)),
                            "with_foreign_body": int(np.sum(labels))}


def run_evaluate(args):
    kind = args.kind or _model_task(args)
    if kind == "artefact":
        return run_evaluate_artefact(args)
    if kind == "lumbar":
        from radiographqc.train.seg_evaluate import run_evaluate_lumbar

        return run_evaluate_lumbar(args, args.model or DEFAULT_MODELS["lumbar"])
    if not (args.model or args.checkpoint):
        raise SystemExit("evaluate keypoints needs --model or --checkpoint")
    return run_evaluate_keypoints(args)


def _model_task(args):
    if args.checkpoint or not args.model:
        if not args.checkpoint:
            raise SystemExit("evaluate needs a kind (keypoints, artefact, lumbar) or --model")
        return "keypoints"
    from radiographqc.models import load_model

    task = load_model(args.model).manifest.get("task")
    return {"segmentation": "lumbar"}.get(task, task)


def run_evaluate_artefact(args):
    from radiographqc.models import load_model
    from radiographqc.train.artefact_data import (clean_samples, composited_items,
                                                  evaluate_artefact, format_artefact_report,
                                                  labelled_items)

    model = load_model(args.model or DEFAULT_MODELS["artefact"])
    if args.composite:
        items = composited_items(clean_samples(args.data, args.split), args.composite,
                                 model.size, args.seed)
        split = f"{Path(args.data).name} {args.split} (composited x{args.composite}, seed {args.seed})"
    else:
        items, split = labelled_items(args.data, model.size), Path(args.data).name
    threshold = model.threshold if args.presence_threshold is None else args.presence_threshold
    result = evaluate_artefact(model.probability, items, threshold)
    result["split"] = split
    print(format_artefact_report(result, f"{model.id} {model.version} on {split}"))
    _write_result(args, result, model.manifest_path)
    return 0


def _write_result(args, result, manifest_path):
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.record:
        _record(manifest_path, result)


def run_evaluate_keypoints(args):
    from radiographqc.train.evaluate import evaluate, format_report, wrist_views

    locator, names, absent, threshold, manifest_path = _locator(args)
    samples = _samples(args, names)
    if not any(name in s.points for s in samples for name in names):
        raise SystemExit(f"the data have none of the model's landmarks {names[:5]}...: "
                         "check --landmarks / --names")
    if args.wrist_views:
        samples = wrist_views(samples)
    may_be_absent = _split_list(args.may_be_absent) if args.may_be_absent is not None else absent
    if args.presence_threshold is not None:
        threshold = args.presence_threshold
    result = evaluate(locator, samples, names, threshold, may_be_absent)
    atlas = (Path(args.data) / "landmarks.csv").is_file()     # only the hand atlas has splits
    result["split"] = Path(args.data).name + (f" {args.split}" if atlas else "") + (
        " (AP-wrist-like crops)" if args.wrist_views else "")
    print(format_report(result, f"{result['split']}: {len(samples)} images"))
    _write_result(args, result, manifest_path)
    return 0


def _locator(args):
    """(locator, landmark names, may-be-absent names, presence threshold, manifest path|None)."""
    if args.checkpoint:
        from radiographqc.train.loop import TorchPredictor, load_checkpoint

        device = _device("auto")
        network, config, _ = load_checkpoint(args.checkpoint, device)
        return TorchPredictor(network, config.input_size, device), config.names, [], 0.5, None
    from radiographqc.models import load_model

    model = load_model(args.model)
    return (model, model.landmarks, sorted(model.may_be_absent), model.presence_threshold,
            model.manifest_path)


def _record(manifest_path, result):
    if manifest_path is None:
        raise SystemExit("--record needs --model (a manifest)")
    from radiographqc.models import read_manifest
    from radiographqc.train.export import write_manifest

    manifest = read_manifest(manifest_path)
    manifest.setdefault("metrics", {})[result["split"]] = result
    write_manifest(manifest_path, manifest)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="radiographqc.train.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    add_train_parser(commands)
    add_evaluate_parser(commands)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

"""Export a trained landmark network to ONNX and write its manifest."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import torch

from radiographqc.models import sha256_bytes
from radiographqc.train.loop import load_checkpoint

OPSET = 17


def export_onnx(network, size, path, output_name="heatmaps"):
    """Write `network` (eval mode) as ONNX for a (1, 1, size, size) input; return its bytes."""
    example = torch.zeros(1, 1, size, size)
    torch.onnx.export(network, (example,), str(path), input_names=["image"],
                      output_names=[output_name], opset_version=OPSET, dynamo=False)
    return Path(path).read_bytes()


def onnx_matches_torch(network, onnx_bytes, size, seed=0):
    """Max abs difference between ONNX Runtime and eager torch outputs on a random image."""
    import onnxruntime as ort

    image = np.random.default_rng(seed).random((1, 1, size, size), dtype=np.float32)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    ours = session.run(None, {"image": image})[0]
    with torch.no_grad():
        theirs = network(torch.from_numpy(image)).numpy()
    return float(np.max(np.abs(ours - theirs)))


def export_keypoint_model(checkpoint, out_dir, model_id, version, training_data,
                          presence_threshold=0.5, may_be_absent=(), description=""):
    """ONNX file + manifest `<out_dir>/<model_id>.json`; return (manifest, max abs diff)."""
    network, config, state = load_checkpoint(checkpoint)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{model_id}.onnx"
    data = export_onnx(network, config.input_size, onnx_path)
    difference = onnx_matches_torch(network, data, config.input_size)
    manifest = {
        "id": model_id,
        "version": version,
        "task": "keypoints",
        "description": description,
        "sha256": sha256_bytes(data),
        "file": onnx_path.name,
        "input": {
            "shape": [1, 1, config.input_size, config.input_size],
            "dtype": "float32",
            "normalisation": {"method": "percentile", "percentiles": [1.0, 99.0],
                              "range": [0.0, 1.0], "clip": True, "bone": "bright"},
            "resize": {"method": "letterbox", "size": config.input_size, "keep_aspect": True,
                       "interpolation": "bilinear, anti-aliased when shrinking",
                       "pad": "centred, value 0",
                       "to_image": "x = (x_net - left + 0.5) * cols / resized_cols - 0.5 "
                                   "(same for y with top, rows); see models.Letterbox"},
        },
        "outputs": {
            "heatmaps": {"shape": [1, len(config.names), config.input_size, config.input_size],
                         "meaning": "one map per landmark, in `landmarks` order: a Gaussian of "
                                    f"peak 1 and sigma {config.sigma} px at the landmark, "
                                    "all zero when the landmark is not in the image"},
            "decoding": "argmax refined by a log-parabola fit per axis (sub-pixel)",
            "confidence": "heatmap peak height clipped to 0..1",
            "presence_threshold": presence_threshold,
            "may_be_absent": list(may_be_absent),
        },
        "landmarks": list(config.names),
        "training": {"steps": state["step"], "batch_size": config.batch_size,
                     "loss": config.loss, "sigma_px": config.sigma,
                     "aux_global_weight": config.aux_global_weight,
                     "augment": json.loads(json.dumps(config.augment.__dict__)),
                     "focus": list(config.focus),
                     "network": {"type": "GlobalLocalNet (2 x MONAI BasicUNet)",
                                 "local_features": list(config.local_features),
                                 "global_features": list(config.global_features),
                                 "global_factor": config.global_factor},
                     "onnx_opset": OPSET, "onnx_vs_torch_max_abs_diff": difference},
        "training_data": training_data,
        "metrics": {},
        "created": datetime.date.today().isoformat(),
    }
    write_manifest(out_dir / f"{model_id}.json", manifest)
    return manifest, difference


def write_manifest(path, manifest):
    Path(path).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

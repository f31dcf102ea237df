"""QC speed on the bundled samples: median time per image of each stage, and of the whole job.

    python benchmarks/bench_qc.py [--repeat 20] [--threads N]

Wrist: DICOM load, keypoint model and artefact classifier (ONNX Runtime), marker, rules, and end to
end (load -> keypoints -> marker -> artefact -> rules -> JSON report dict + overlay PNG) both with
the models and with the samples' true keypoint files. ONNX Runtime vs eager torch: the same
network (architecture and input size of the bundled AP model, weights rebuilt from scratch because
only the ONNX file is bundled) timed in one run; needs the `train` extra. Lumbar: load,
segmentation model, rules, and end to end both with the model and with the true label files.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from radiographqc.batch import expand_inputs
from radiographqc.dicom_io import read_radiograph
from radiographqc.lumbar.pipeline import LumbarPipeline
from radiographqc.lumbar.rules import evaluate_lumbar
from radiographqc.models import ModelRegistry
from radiographqc.profile import load_profile
from radiographqc.wrist.keypoints import read_keypoints
from radiographqc.wrist.marker import detect_marker
from radiographqc.wrist.pipeline import WristPipeline, find_keypoint_file
from radiographqc.wrist.scoring import evaluate_wrist

SAMPLES = Path(__file__).resolve().parents[1] / "Resources" / "Samples"


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def bench_wrist(repeat: int, threads):
    profile = load_profile("wrist")
    with_files = WristPipeline(profile, keypoints=SAMPLES / "wrist" / "truth")
    with_model = WristPipeline(profile)
    registry = ModelRegistry()
    artefact = registry.load("wrist-artefact", threads=threads)
    threshold = profile["marker"]["similarity_threshold"]
    print(f"\nWrist ({repeat} runs, median ms per image)")
    print(f"{'image':24s} {'size':>9s} {'load':>6s} {'keypts':>6s} {'artef':>6s} {'marker':>7s} {'rules':>6s} "
          f"{'e2e model':>9s} {'e2e files':>9s}")
    for path in expand_inputs([SAMPLES / "wrist"]):
        rg = read_radiograph(path)
        kps = read_keypoints(find_keypoint_file(path, with_files.keypoints))
        model = registry.load(f"wrist-{rg.view.lower()}-{3 if rg.view == 'AP' else 5}", threads=threads)
        marker = detect_marker(rg.pixels, threshold=threshold)
        cells = [median_ms(lambda: read_radiograph(path), repeat),
                 median_ms(lambda: model.predict(rg.pixels), repeat),
                 median_ms(lambda: artefact.predict(rg.pixels), repeat),
                 median_ms(lambda: detect_marker(rg.pixels, threshold=threshold), repeat),
                 median_ms(lambda: evaluate_wrist(kps, rg.rows, rg.cols, rg.spacing, rg.header, marker, None,
                                                  profile), repeat * 10),
                 median_ms(lambda: with_model.assess(path), repeat),
                 median_ms(lambda: with_files.assess(path), repeat)]
        print(f"{path.name:24s} {rg.cols:>4d}x{rg.rows:<4d} " + " ".join(f"{c:6.1f}" if i < 5 else f"{c:9.1f}"
                                                                      for i, c in enumerate(cells)))


def bench_onnx_vs_torch(repeat: int, threads):
    try:
        import torch
        from radiographqc.train.export import export_onnx
        from radiographqc.train.network import build_network
    except ImportError:
        print("\nONNX Runtime vs torch: skipped (install the train extra: pip install -e '.[train]')")
        return
    import numpy as np
    import onnxruntime as ort

    manifest = ModelRegistry().manifests()["wrist-ap-3"]
    size = manifest["input"]["shape"][-1]
    cfg = manifest["training"]["network"]
    network = build_network(argparse.Namespace(**cfg), len(manifest["landmarks"])).eval()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracing notes are not benchmark output
        onnx_path = Path(tmp) / "m.onnx"
        export_onnx(network, size, onnx_path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((1, 1, size, size), dtype=np.float32)
    name = session.get_inputs()[0].name
    if threads:
        torch.set_num_threads(threads)
    with torch.inference_mode():
        eager = median_ms(lambda: network(torch.from_numpy(x)), repeat)
    onnx = median_ms(lambda: session.run(None, {name: x}), repeat)
    print(f"\nONNX Runtime vs eager torch, wrist-ap-3 network at {size}x{size} ({repeat} runs, median): "
          f"ONNX Runtime {onnx:.1f} ms, torch {eager:.1f} ms ({eager / onnx:.2f}x)")


def bench_lumbar(repeat: int):
    profile = load_profile("lumbar")
    with_model = LumbarPipeline(profile)
    with_files = LumbarPipeline(profile, masks=SAMPLES / "lumbar" / "truth")
    print(f"\nLumbar ({repeat} runs, median ms per image)")
    print(f"{'image':26s} {'size':>9s} {'load':>6s} {'segm':>6s} {'rules':>6s} {'e2e model':>9s} {'e2e files':>9s}")
    for path in expand_inputs([SAMPLES / "lumbar"]):
        rg = read_radiograph(path)
        masks, _, _ = with_model.masks_for(path, rg)
        cells = [median_ms(lambda: read_radiograph(path), repeat),
                 median_ms(lambda: with_model.masks_for(path, rg), repeat),
                 median_ms(lambda: evaluate_lumbar(masks, rg.pixels, profile), repeat),
                 median_ms(lambda: with_model.assess(path), repeat),
                 median_ms(lambda: with_files.assess(path), repeat)]
        print(f"{path.name:26s} {rg.cols:>4d}x{rg.rows:<4d} " + " ".join(f"{c:6.1f}" if i < 3 else f"{c:9.1f}"
                                                                        for i, c in enumerate(cells)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="ONNX Runtime / torch threads (default: all cores)")
    args = ap.parse_args()
    bench_wrist(args.repeat, args.threads)
    bench_onnx_vs_torch(args.repeat, args.threads)
    bench_lumbar(args.repeat)


if __name__ == "__main__":
    main()

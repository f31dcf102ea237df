"""Model manifest, sha256 check, ONNX Runtime inference and heatmap decoding."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from radiographqc.errors import ModelError
from radiographqc.metrics import payer_mm_per_px
from radiographqc.models import (KeypointModel, Letterbox, ModelRegistry, decode_heatmaps,
                                 letterbox_image, read_manifest, sha256_bytes)

HAND_ATLAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "hand-atlas"
SIZE = 32


def gaussian(size, x, y, sigma=2.0, peak=1.0):
    yy, xx = np.mgrid[0:size, 0:size]
    return peak * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma ** 2))


def constant_heatmap_model(folder, maps, threshold=0.5, may_be_absent=("P1",)):
    """A model whose heatmaps are `maps` whatever the input (input * 0 + maps), with manifest."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    out = helper.make_tensor_value_info("heatmaps", TensorProto.FLOAT, [1, len(maps), SIZE, SIZE])
    const = numpy_helper.from_array(np.asarray(maps, np.float32)[None], "maps")
    zero = numpy_helper.from_array(np.zeros(1, np.float32), "zero")
    graph = helper.make_graph([helper.make_node("Mul", ["image", "zero"], ["nothing"]),
                               helper.make_node("Add", ["nothing", "maps"], ["heatmaps"])],
                              "constant", [image], [out], [const, zero])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    data = model.SerializeToString()
    (folder / "toy.onnx").write_bytes(data)
    manifest = {
        "id": "toy", "version": "1", "task": "keypoints", "sha256": sha256_bytes(data),
        "file": "toy.onnx",
        "input": {"shape": [1, 1, SIZE, SIZE], "normalisation": {"percentiles": [1, 99]},
                  "resize": {"method": "letterbox"}},
        "outputs": {"presence_threshold": threshold, "may_be_absent": list(may_be_absent)},
        "landmarks": [f"P{k + 1}" for k in range(len(maps))],
        "training_data": {}, "metrics": {}, "created": "2026-01-01",
    }
    path = folder / "toy.json"
    path.write_text(json.dumps(manifest))
    return path


def test_decoding_finds_a_gaussian_peak_to_within_five_hundredths_of_a_pixel():
    maps = np.stack([gaussian(48, 20.37, 11.81), gaussian(48, 3.5, 40.02, sigma=3.0, peak=0.6)])
    xy, peak = decode_heatmaps(maps)
    assert np.abs(xy - [[20.37, 11.81], [3.5, 40.02]]).max() < 0.05
    assert peak[0] == pytest.approx(1.0, abs=0.05) and peak[1] == pytest.approx(0.6, abs=0.05)


def test_letterbox_maps_points_there_and_back():
    box = Letterbox.fit(rows=100, cols=50, size=64)
    assert (box.resized_rows, box.resized_cols, box.top, box.left) == (64, 32, 0, 16)
    points = np.array([[0.0, 0.0], [49.0, 99.0], [12.3, 45.6]])
    assert np.allclose(box.to_image(box.to_network(points)), points)
    # the image's outer pixel edges land on the resized block's edges
    assert np.allclose(box.to_network([[-0.5, -0.5]]), [[15.5, -0.5]])


def test_letterboxed_input_is_normalised_and_zero_padded():
    pixels = np.tile(np.linspace(0, 1000, 40, dtype=np.float32), (80, 1))
    canvas, box = letterbox_image(pixels, 32)
    assert canvas.shape == (32, 32) and canvas.min() >= 0.0 and canvas.max() <= 1.0
    assert np.all(canvas[:, :box.left] == 0.0) and canvas[:, box.left:].max() > 0.9


def test_keypoint_model_maps_peaks_to_input_pixels_and_decides_presence(tmp_path):
    maps = [gaussian(SIZE, 10.2, 20.6, peak=0.2), gaussian(SIZE, 18.4, 7.3, peak=0.9)]
    model = KeypointModel(constant_heatmap_model(tmp_path, maps))
    pixels = np.random.default_rng(0).random((120, 60)).astype(np.float32)
    result = model.predict(pixels)
    expected = Letterbox.fit(120, 60, SIZE).to_image(np.array([18.4, 7.3]))
    assert result["P2"].present and np.allclose(result["P2"].xy, expected, atol=0.2)
    assert result["P2"].confidence == pytest.approx(0.9, abs=0.05)   # value at the peak pixel
    assert not result["P1"].present and result["P1"].xy is None
    assert result["P1"].to_dict() == {"xy": None, "present": False,
                                      "confidence": result["P1"].confidence}


def test_tampered_model_file_is_rejected_with_sha256_mismatch(tmp_path):
    manifest = constant_heatmap_model(tmp_path, [gaussian(SIZE, 5, 5)])
    onnx_path = tmp_path / "toy.onnx"
    data = bytearray(onnx_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    onnx_path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 mismatch") as caught:
        KeypointModel(manifest)
    assert "toy.onnx" in str(caught.value)


def test_truncated_model_with_matching_hash_is_reported_as_unloadable(tmp_path):
    manifest_path = constant_heatmap_model(tmp_path, [gaussian(SIZE, 5, 5)])
    truncated = (tmp_path / "toy.onnx").read_bytes()[:100]
    (tmp_path / "toy.onnx").write_bytes(truncated)
    manifest = json.loads(manifest_path.read_text())
    manifest["sha256"] = sha256_bytes(truncated)
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="ONNX Runtime cannot load") as caught:
        KeypointModel(manifest_path)
    assert "toy.onnx" in str(caught.value)


def test_missing_model_file_and_incomplete_manifest_are_model_errors(tmp_path):
    manifest_path = constant_heatmap_model(tmp_path, [gaussian(SIZE, 5, 5)])
    (tmp_path / "toy.onnx").unlink()
    with pytest.raises(ModelError, match="cannot be read"):
        KeypointModel(manifest_path)
    (tmp_path / "bad.json").write_text(json.dumps({"id": "bad"}))
    with pytest.raises(ModelError, match="lacks version"):
        read_manifest(tmp_path / "bad.json")


def test_registry_lists_and_loads_models_by_id(tmp_path):
    constant_heatmap_model(tmp_path, [gaussian(SIZE, 5, 5)])
    registry = ModelRegistry(tmp_path)
    assert list(registry.manifests()) == ["toy"]
    assert isinstance(registry.load("toy"), KeypointModel)
    with pytest.raises(ModelError, match="no model 'other'"):
        registry.load("other")


def test_bundled_models_match_their_manifests():
    registry = ModelRegistry()
    manifests = registry.manifests()
    assert manifests, "no bundled model in Resources/Models"
    for model_id, manifest in manifests.items():
        path = registry.folder / manifest["file"]
        assert path.stat().st_size <= 5 * 2 ** 20
        assert registry.load(model_id).id == model_id


@pytest.mark.skipif(not HAND_ATLAS.is_dir(), reason="hand-atlas data not present")
def test_bundled_hand_model_finds_the_landmarks_of_a_valid_image():
    from PIL import Image

    with open(HAND_ATLAS / "landmarks.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["split"] == "valid")
    truth = np.array([[float(row[f"x{i}"]), float(row[f"y{i}"])] for i in range(37)])
    pixels = np.asarray(Image.open(HAND_ATLAS / "images" / row["image"]).convert("F"))
    model = ModelRegistry().load("hand-atlas-37")
    xy, confidence = model.locate(pixels)
    errors_mm = np.linalg.norm(xy - truth, axis=1) * payer_mm_per_px(truth)
    # fingers (21-36) are what this model version locates reliably; see its manifest's metrics
    assert np.median(errors_mm[21:]) < 1.5 and np.max(errors_mm[21:]) < 5.0
    assert confidence.min() >= 0.0 and confidence.max() <= 1.0



SAMPLES = Path(__file__).resolve().parents[2] / "Resources" / "Samples" / "wrist"
TRUTH = SAMPLES / "truth"


def _sample_errors_mm(stem, model_id):
    from radiographqc.dicom_io import read_radiograph

    radiograph = read_radiograph(SAMPLES / f"{stem}.dcm")
    found = ModelRegistry().load(model_id).predict(radiograph.pixels)
    truth = json.loads((TRUTH / f"{stem}.keypoints.json").read_text())["points"]
    mm = radiograph.spacing.col_mm
    return {name: (None if xy is None or found[name].xy is None else
                   float(np.hypot(*np.subtract(found[name].xy, xy))) * mm, found[name])
            for name, xy in truth.items()}


@pytest.mark.parametrize("stem, model_id", [("wrist_ap_routine", "wrist-ap-3"), ("wrist_lat_routine", "wrist-lat-5")])
def test_bundled_wrist_models_find_the_keypoints_of_a_routine_sample(stem, model_id):
    for name, (error_mm, landmark) in _sample_errors_mm(stem, model_id).items():
        assert landmark.present and error_mm < 4.0, (name, error_mm)


@pytest.mark.parametrize("stem, model_id", [("wrist_ap_tilted", "wrist-ap-3"), ("wrist_lat_rotated", "wrist-lat-5"),
                                            ("wrist_ap_routine", "wrist-ap-3"), ("wrist_lat_routine", "wrist-lat-5")])
def test_a_keypoint_far_from_the_truth_is_flagged_by_a_low_confidence(stem, model_id):
    from radiographqc.profile import load_profile

    low = load_profile("wrist")["keypoints"]["low_confidence"]
    for name, (error_mm, landmark) in _sample_errors_mm(stem, model_id).items():
        if error_mm is not None and error_mm > 10.0:
            assert landmark.confidence < low, (name, error_mm, landmark.confidence)


def test_wrist_pipeline_takes_keypoints_from_the_model_when_no_keypoint_file_exists(tmp_path):
    import shutil

    from radiographqc.profile import load_profile
    from radiographqc.wrist.pipeline import WristPipeline

    image = tmp_path / "wrist_ap_routine.dcm"
    shutil.copy(SAMPLES / image.name, image)
    report = WristPipeline(load_profile("wrist")).assess(image).report
    manifests = ModelRegistry().manifests()
    used = [{"id": m, "version": manifests[m]["version"], "sha256": manifests[m]["sha256"]}
            for m in ("wrist-ap-3", "wrist-artefact")]
    assert report["models"] == used
    rows, cols = report["source"]["rows"], report["source"]["cols"]
    low = load_profile("wrist")["keypoints"]["low_confidence"]
    for name in ("P1", "P2", "P3"):
        point = report["keypoints"][name]
        assert point["source"] == "model" and 0.0 <= point["confidence"] <= 1.0
        assert point["present"] == (point["xy"] is not None)
        assert point["review"] == (point["present"] and point["confidence"] < low)
    for name in ("P2", "P3"):      # never judged absent: only P1 has a presence decision
        x, y = report["keypoints"][name]["xy"]
        assert -0.5 <= x <= cols - 0.5 and -0.5 <= y <= rows - 0.5
    shutil.copy(TRUTH / "wrist_ap_routine.keypoints.json", tmp_path)   # a reviewer's file wins
    report = WristPipeline(load_profile("wrist")).assess(image).report
    truth = json.loads((TRUTH / "wrist_ap_routine.keypoints.json").read_text())["points"]
    assert report["models"] == used[1:] and report["keypoints"]["P2"]["source"] == "file"
    assert report["keypoints"]["P2"]["xy"] == truth["P2"]


def test_keypoint_detector_refuses_an_image_of_unknown_view():
    from types import SimpleNamespace

    from radiographqc.errors import InputError
    from radiographqc.wrist.pipeline import KeypointDetector

    image = SimpleNamespace(view=None, pixels=np.zeros((8, 8), np.float32))
    with pytest.raises(InputError, match="keypoint models need an AP or LAT view"):
        KeypointDetector().detect(image, Path("x.dcm"))

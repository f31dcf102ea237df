"""Bundled models: manifest, registry, sha256 check, ONNX Runtime session, heatmap decoding and
segmentation post-processing.

Running a model needs only numpy, scikit-image (resize) and onnxruntime; torch is used for
training alone (`radiographqc.train`). Each model is `<id>.onnx` beside `<id>.json`, its manifest.

Keypoint models take a letterboxed grey image: the image is scaled to fit `size`×`size` keeping its
aspect ratio, centred on a zero background, then intensities are mapped so the 1st..99th
percentile of the image becomes 0..1 (clipped). The network returns one heatmap per landmark (a
Gaussian of peak 1 at the landmark, all zero for an absent one); the peak is located to sub-pixel
precision and mapped back to pixels of the input image. Segmentation models take the same input and
return one sigmoid probability map per structure; the maps are resampled back onto the input image.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiographqc.errors import ModelError

MANIFEST_KEYS = ("id", "version", "task", "sha256", "file", "input", "outputs", "training_data",
                 "metrics", "created")
MODELS_ENV = "RADIOGRAPHQC_MODELS"


def default_models_dir():
    """`$RADIOGRAPHQC_MODELS`, else the extension's `Resources/Models` folder."""
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    return Path(__file__).resolve().parent.parent / "Resources" / "Models"


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def read_manifest(path):
    """Read and check a model manifest; raise ModelError naming the file when it is unusable."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(path, f"manifest cannot be read: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ModelError(path, "manifest is not a JSON object")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise ModelError(path, f"manifest lacks {', '.join(missing)}")
    if manifest["task"] == "keypoints" and not manifest.get("landmarks"):
        raise ModelError(path, "keypoint manifest lacks its landmark names")
    if manifest["task"] == "segmentation" and not manifest.get("channels"):
        raise ModelError(path, "segmentation manifest lacks its channel names")
    return manifest


# ---------------------------------------------------------------------------------------------
# Letterbox resize and intensity normalisation (shared with training, so both see the same input)

@dataclass(frozen=True)
class Letterbox:
    """How an image of `rows`×`cols` was placed into the `size`×`size` network input."""

    size: int
    rows: int
    cols: int
    resized_rows: int
    resized_cols: int
    top: int
    left: int

    @classmethod
    def fit(cls, rows, cols, size):
        scale = size / max(rows, cols)
        new_rows = min(size, max(1, round(rows * scale)))
        new_cols = min(size, max(1, round(cols * scale)))
        return cls(size, rows, cols, new_rows, new_cols, (size - new_rows) // 2,
                   (size - new_cols) // 2)

    def to_network(self, xy):
        """Image pixel (x, y) -> network pixel; pixel centres at integers on both sides."""
        xy = np.asarray(xy, dtype=float)
        x = (xy[..., 0] + 0.5) * self.resized_cols / self.cols - 0.5 + self.left
        y = (xy[..., 1] + 0.5) * self.resized_rows / self.rows - 0.5 + self.top
        return np.stack([x, y], axis=-1)

    def to_image(self, xy):
        """Network pixel (x, y) -> image pixel (inverse of `to_network`)."""
        xy = np.asarray(xy, dtype=float)
        x = (xy[..., 0] - self.left + 0.5) * self.cols / self.resized_cols - 0.5
        y = (xy[..., 1] - self.top + 0.5) * self.rows / self.resized_rows - 0.5
        return np.stack([x, y], axis=-1)


def normalise_intensity(pixels, low_percentile=1.0, high_percentile=99.0):
    """Map the low..high percentile of `pixels` to 0..1 and clip (float32)."""
    pixels = np.asarray(pixels, dtype=np.float32)
    low, high = np.percentile(pixels, [low_percentile, high_percentile])
    if high <= low:
        return np.zeros_like(pixels)
    return np.clip((pixels - low) / (high - low), 0.0, 1.0).astype(np.float32)


def letterbox_image(pixels, size, low_percentile=1.0, high_percentile=99.0):
    """Return (network input of shape (size, size) float32, Letterbox) for a 2-D image."""
    from skimage.transform import resize

    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {pixels.shape}")
    box = Letterbox.fit(pixels.shape[0], pixels.shape[1], size)
    scaled = resize(normalise_intensity(pixels, low_percentile, high_percentile),
                    (box.resized_rows, box.resized_cols), order=1, mode="edge",
                    anti_aliasing=box.resized_rows < box.rows, preserve_range=True)
    canvas = np.zeros((size, size), dtype=np.float32)
    canvas[box.top:box.top + box.resized_rows, box.left:box.left + box.resized_cols] = scaled
    return canvas, box


# ---------------------------------------------------------------------------------------------
# Heatmap decoding

def decode_heatmaps(heatmaps):
    """Sub-pixel peak (x, y) and peak height of each heatmap in `heatmaps` (K, H, W).

    The integer argmax is refined per axis by fitting a parabola to the logarithm of the peak and
    its two neighbours, which is exact for a Gaussian peak; the offset is limited to ±1 px.
    Returns (xy (K, 2) float, peak (K,) float).
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float64)
    count, rows, cols = heatmaps.shape
    flat = heatmaps.reshape(count, -1).argmax(axis=1)
    iy, ix = np.divmod(flat, cols)
    xy = np.empty((count, 2))
    peak = heatmaps[np.arange(count), iy, ix]
    for k in range(count):
        xy[k, 0] = ix[k] + _log_parabola_offset(heatmaps[k, iy[k], :], ix[k])
        xy[k, 1] = iy[k] + _log_parabola_offset(heatmaps[k, :, ix[k]], iy[k])
    return xy, peak


def _log_parabola_offset(profile, i):
    if i == 0 or i == profile.size - 1:
        return 0.0
    tiny = 1e-6 * max(profile[i], 1e-12)
    left, centre, right = np.log(np.maximum(profile[i - 1:i + 2], tiny))
    curvature = left - 2.0 * centre + right
    if curvature >= 0.0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -1.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Models

@dataclass(frozen=True)
class Landmark:
    """One detected landmark in input-image pixels; xy is None when judged absent."""

    name: str
    xy: tuple[float, float] | None
    present: bool
    confidence: float

    def to_dict(self):
        return {"xy": None if self.xy is None else [self.xy[0], self.xy[1]],
                "present": self.present, "confidence": self.confidence}


class OnnxModel:
    """An ONNX model checked against its manifest's sha256, run with ONNX Runtime on the CPU."""

    def __init__(self, manifest_path, threads=None):
        self.manifest_path = Path(manifest_path)
        self.manifest = read_manifest(self.manifest_path)
        self.path = self.manifest_path.parent / self.manifest["file"]
        self.session = _open_session(self.path, self.manifest["sha256"], threads)
        self.input_name = self.session.get_inputs()[0].name

    @property
    def id(self):
        return self.manifest["id"]

    @property
    def version(self):
        return self.manifest["version"]

    def run(self, batch):
        """Raw network outputs for a float32 batch shaped as the manifest's input."""
        return self.session.run(None, {self.input_name: np.asarray(batch, dtype=np.float32)})


class LetterboxedModel(OnnxModel):
    """A model whose input is one image letterboxed to a square and normalised by percentiles."""

    def __init__(self, manifest_path, threads=None):
        super().__init__(manifest_path, threads)
        spec = self.manifest["input"]
        self.size = int(spec["shape"][-1])
        self.percentiles = tuple(spec["normalisation"]["percentiles"])

    def letterbox(self, pixels):
        """(network input (size, size) float32, Letterbox) of one 2-D image."""
        return letterbox_image(pixels, self.size, *self.percentiles)


class KeypointModel(LetterboxedModel):
    """Heatmap landmark detector: image in, named landmarks with confidence out."""

    def __init__(self, manifest_path, threads=None):
        super().__init__(manifest_path, threads)
        self.landmarks = list(self.manifest["landmarks"])
        outputs = self.manifest["outputs"]
        self.presence_threshold = float(outputs["presence_threshold"])
        self.may_be_absent = set(outputs.get("may_be_absent", []))

    def heatmaps(self, pixels):
        """(heatmaps (K, size, size), Letterbox) for one 2-D image."""
        net_input, box = self.letterbox(pixels)
        return self.run(net_input[None, None])[0][0], box

    def locate(self, pixels):
        """(xy (K, 2) in image pixels, confidence (K,) = heatmap peak height clipped to 0..1)."""
        maps, box = self.heatmaps(pixels)
        xy, peak = decode_heatmaps(maps)
        return box.to_image(xy), np.clip(peak, 0.0, 1.0)

    def predict(self, pixels):
        """Landmarks of one 2-D image (rows, cols), in its pixel coordinates (x = column)."""
        xy, confidences = self.locate(pixels)
        result = {}
        for k, name in enumerate(self.landmarks):
            confidence = float(confidences[k])
            present = name not in self.may_be_absent or confidence >= self.presence_threshold
            point = (float(xy[k, 0]), float(xy[k, 1])) if present else None
            result[name] = Landmark(name, point, present, confidence)
        return result


@dataclass
class Segmentation:
    """Per-structure output of a segmentation model, at the resolution of the input image (the
    vertebral bodies are separated, counted and named by the lumbar rules, from the "vertebrae"
    and "vertebra_separation" masks)."""

    probabilities: dict[str, np.ndarray]     # name -> (rows, cols) float32 0..1
    masks: dict[str, np.ndarray]             # name -> (rows, cols) bool
    box: Letterbox


class SegmentationModel(LetterboxedModel):
    """Multi-label segmentation: one sigmoid probability map per structure (`channels`)."""

    def __init__(self, manifest_path, threads=None):
        super().__init__(manifest_path, threads)
        self.channels = list(self.manifest["channels"])
        self.view_channels = dict(self.manifest.get("view_channels", {}))
        self.threshold = float(self.manifest["outputs"]["threshold"])

    def network_probabilities(self, pixels):
        """((C, size, size) probabilities in the letterboxed frame, Letterbox) of one 2-D image."""
        net_input, box = self.letterbox(pixels)
        return self.run(net_input[None, None])[0][0], box

    def segment(self, pixels, view=None):
        """Segmentation of one 2-D image; `view` ("AP"/"LAT"/"OBL") keeps that view's channels."""
        maps, box = self.network_probabilities(pixels)
        names = self.view_channels.get(view, self.channels) if view else self.channels
        probabilities = {name: upsample_to_image(maps[self.channels.index(name)], box)
                         for name in names}
        masks = {name: prob > self.threshold for name, prob in probabilities.items()}
        return Segmentation(probabilities, masks, box)


@dataclass(frozen=True)
class ArtefactPrediction:
    """A foreign-body classifier's answer for one image."""

    probability: float          # of a foreign body
    heatmap: np.ndarray         # (rows, cols) float32 0..1: the evidence map on the image grid
    peak_xy: tuple[float, float]   # image pixel (column, row) of the strongest evidence


class ArtefactModel(LetterboxedModel):
    """Foreign-body classifier with a class-activation (evidence) map."""

    def __init__(self, manifest_path, threads=None):
        super().__init__(manifest_path, threads)
        self.threshold = float(self.manifest["outputs"]["threshold"])

    def probability(self, canvas):
        """(probability, evidence logits (g, g)) of one letterboxed (size, size) input."""
        logit, evidence = self.run(np.asarray(canvas, np.float32)[None, None])
        return float(_sigmoid(logit.item())), evidence[0, 0]

    def predict(self, pixels):
        """ArtefactPrediction of one 2-D image, the heatmap resampled onto its pixel grid."""
        from skimage.transform import resize

        canvas, box = self.letterbox(pixels)
        probability, evidence = self.probability(canvas)
        on_canvas = resize(_sigmoid(evidence), (self.size, self.size), order=1, mode="edge")
        heatmap = upsample_to_image(on_canvas, box)
        row, col = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
        return ArtefactPrediction(probability, heatmap.astype(np.float32), (float(col), float(row)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def upsample_to_image(network_map, box):
    """Bilinear resampling of one letterboxed (size, size) map back onto the input image grid."""
    rows = _axis_samples(box.rows, box.resized_rows, box.top)
    cols = _axis_samples(box.cols, box.resized_cols, box.left)
    grid = np.asarray(network_map, dtype=np.float32)
    grid = grid[rows[0]] * (1.0 - rows[2])[:, None] + grid[rows[1]] * rows[2][:, None]
    return grid[:, cols[0]] * (1.0 - cols[2]) + grid[:, cols[1]] * cols[2]


def _axis_samples(count, resized, offset):
    """(lower index, upper index, weight of the upper) in the canvas for each input pixel."""
    coords = (np.arange(count) + 0.5) * resized / count - 0.5
    coords = np.clip(coords, 0.0, resized - 1.0)
    lower = np.floor(coords).astype(int)
    upper = np.minimum(lower + 1, resized - 1)
    return lower + offset, upper + offset, (coords - lower).astype(np.float32)


class ModelRegistry:
    """The models in a folder, by id: `<id>.json` manifests beside their ONNX files."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder is not None else default_models_dir()

    def manifests(self):
        """{id: manifest} of every readable manifest in the folder."""
        found = {}
        for path in sorted(self.folder.glob("*.json")):
            manifest = read_manifest(path)
            found[manifest["id"]] = manifest
        return found

    def manifest_path(self, model_id):
        path = self.folder / f"{model_id}.json"
        if not path.is_file():
            raise ModelError(path, f"no model '{model_id}' in {self.folder}")
        return path

    def load(self, model_id, threads=None):
        """The model `model_id`, checked and ready, of the class its task needs."""
        path = self.manifest_path(model_id)
        return model_class(read_manifest(path)["task"])(path, threads)


def load_model(path_or_id, threads=None):
    """A model from a manifest path (`*.json`) or a bundled model id."""
    path = Path(path_or_id)
    if path.suffix == ".json":
        return model_class(read_manifest(path)["task"])(path, threads)
    return ModelRegistry().load(str(path_or_id), threads)


def model_class(task):
    """The class that runs a manifest's task ("keypoints", "segmentation", "artefact"; else plain
    ONNX)."""
    return {"keypoints": KeypointModel, "segmentation": SegmentationModel,
            "artefact": ArtefactModel}.get(task, OnnxModel)


def _open_session(path, expected_sha256, threads):
    # Imported here so that the package loads (in Slicer, before its dependency check) without it.
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelError(path, f"onnxruntime is not installed ({exc}): install the RadiographQC "
                               "requirements (pip install onnxruntime, or Apply in the Slicer "
                               "module)") from exc

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(path, f"model file cannot be read: {exc}") from exc
    actual = sha256_bytes(data)
    if actual != expected_sha256:
        raise ModelError(path, f"sha256 mismatch: manifest says {expected_sha256}, "
                               f"file has {actual} (file changed or damaged)")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own exception types for a broken graph
        raise ModelError(path, f"ONNX Runtime cannot load the model: {exc}") from exc

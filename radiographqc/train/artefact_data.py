"""Labelled images for the foreign-body artefact classifier (no torch needed).

A labelled folder is either
- a folder of images with `<stem>.labels.json` / `<stem>.labels.png` bit-flag masks: an artefact
  is present when a label named `artefact_*` covers a pixel, and that mask says where (the
  simulator writes these; its images without any label have only `<stem>.truth.json`); or
- a folder with `present/` and `absent/` subfolders of images (a department's own sorted cases).
Clean real images become positives by compositing a simulated foreign body onto them
(`simulate.artefacts.composite_artefact`); half of all composited images also get a lead L/R
marker, which is not a foreign body: the classifier must learn to ignore it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiographqc.errors import InputError
from radiographqc.models import letterbox_image
from radiographqc.simulate.artefacts import ARTEFACT_KINDS, MARKER, composite_artefact
from radiographqc.train.dataset import DICOM_SUFFIXES, IMAGE_SUFFIXES, Sample, load_pixels

ARTEFACT_PREFIX = "artefact"
COMPOSITE_LONG_SIDE = 512      # real images are shrunk to this before compositing (speed)
MARKER_RATE = 0.5


@dataclass
class ArtefactItem:
    """One training / evaluation example: letterboxed image, label, mask (letterboxed) or None."""

    image: np.ndarray           # (size, size) float32 in 0..1
    present: bool
    mask: np.ndarray | None     # (size, size) bool where the foreign body is, when known
    source: str


def _image_files(folder):
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.endswith(
        (".labels.png", ".vertebrae.png")) and (p.suffix.lower() in IMAGE_SUFFIXES
                                                or p.suffix.lower() in DICOM_SUFFIXES[:2]))


def read_artefact_folder(folder):
    """[(image path, present (None: from the mask), label file or None)] of a labelled folder."""
    folder = Path(folder)
    if (folder / "present").is_dir() or (folder / "absent").is_dir():
        return [(p, name == "present", None) for name in ("present", "absent")
                if (folder / name).is_dir() for p in _image_files(folder / name)]
    found = []
    for path in _image_files(folder):
        stem = path.name[: -len(path.suffix)] if path.suffix else path.name
        label, truth = folder / f"{stem}.labels.json", folder / f"{stem}.truth.json"
        if label.is_file():
            found.append((path, None, label))
        elif truth.is_file():    # a simulated image without a foreign body or marker
            found.append((path, False, None))
    if not found:
        raise InputError(folder, "no labelled images: expected present/ and absent/ subfolders, or "
                                 "images with <stem>.labels.json (bit-flag masks, labels artefact_*) "
                                 "or the simulator's <stem>.truth.json")
    return found


def artefact_mask(label_json):
    """Union of the `artefact_*` bit-flag masks of a label file, or None when there are none."""
    from PIL import Image

    label_json = Path(label_json)
    try:
        meta = json.loads(label_json.read_text(encoding="utf-8"))
        bits = [v for k, v in meta["labels"].items() if k.startswith(ARTEFACT_PREFIX)]
        if not bits:
            return None
        with Image.open(label_json.parent / meta["image"]) as image:
            flags = np.asarray(image, dtype=np.int64)
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(label_json, f"cannot read the artefact labels: {exc}") from exc
    mask = (flags & int(np.bitwise_or.reduce(bits))) != 0
    return mask if mask.any() else None


def _letterbox_mask(mask, size):
    canvas, _ = letterbox_image(mask.astype(np.float32), size, 0.0, 100.0)
    return canvas >= 0.25


def labelled_items(folder, size):
    """ArtefactItems of a labelled folder, letterboxed to `size`."""
    items = []
    for path, present, label in read_artefact_folder(folder):
        pixels, _ = load_pixels(Sample(path, {}))
        mask = artefact_mask(label) if label is not None else None
        if mask is not None and mask.shape != pixels.shape:
            raise InputError(label, f"mask {mask.shape} and image {pixels.shape} differ in size")
        present = mask is not None if present is None else present
        canvas, _ = letterbox_image(pixels, size)
        items.append(ArtefactItem(canvas, present, None if mask is None else
                                  _letterbox_mask(mask, size), str(path)))
    return items


def _shrink(pixels, long_side):
    from PIL import Image

    scale = long_side / max(pixels.shape)
    if scale >= 1.0:
        return pixels
    shape = (max(round(pixels.shape[1] * scale), 1), max(round(pixels.shape[0] * scale), 1))
    return np.asarray(Image.fromarray(pixels.astype(np.float32)).resize(shape, Image.BILINEAR))


def composited_items(samples, per_image, size, seed, positive_rate=0.5, crop_rate=0.6):
    """Clean real images, each used `per_image` times: a random distal crop (a wrist-like field)
    or the whole image, then with probability `positive_rate` one simulated foreign body, and
    with probability MARKER_RATE a lead marker; letterboxed to `size`."""
    rng = np.random.default_rng(seed)
    items = []
    for sample in samples:
        pixels = _shrink(load_pixels(sample)[0], COMPOSITE_LONG_SIDE)
        for _ in range(per_image):
            image = pixels
            if rng.random() < crop_rate:     # keep the lower (proximal) part, from a random row
                image = image[int(rng.uniform(0.2, 0.5) * image.shape[0]):]
            mask = None
            present = rng.random() < positive_rate
            if present:
                image, mask, _ = composite_artefact(image, rng, str(rng.choice(ARTEFACT_KINDS)))
                present = bool(mask.any())
            if rng.random() < MARKER_RATE:
                image, _, _ = composite_artefact(image, rng, MARKER)
            canvas, _ = letterbox_image(image, size)
            items.append(ArtefactItem(canvas, present, _letterbox_mask(mask, size) if present
                                      else None, f"{Path(sample.image_path).name} (composite)"))
    return items


def stack(items):
    """(images (N, size, size) float32, labels (N,) float32, masks (N, size, size) bool,
    has_mask (N,) bool) of a list of ArtefactItems."""
    images = np.stack([it.image for it in items]).astype(np.float32)
    labels = np.array([it.present for it in items], np.float32)
    size = images.shape[-1]
    masks = np.stack([it.mask if it.mask is not None else np.zeros((size, size), bool)
                      for it in items])
    return images, labels, masks, np.array([it.mask is not None for it in items])


def clean_samples(folder, split="train"):
    """Clean real images to composite onto: a hand-atlas split, or every image in a folder."""
    folder = Path(folder)
    if (folder / "landmarks.csv").is_file():
        from radiographqc.train.dataset import read_hand_atlas

        return read_hand_atlas(folder, split)
    samples = [Sample(path, {}) for path in _image_files(folder)]
    if not samples:
        raise InputError(folder, "no images to composite artefacts onto")
    return samples


def evaluate_artefact(probability, items, threshold):
    """Metrics of a classifier on ArtefactItems. `probability(canvas) -> (p, evidence (g, g))`.

    Pointing (the pointing game): for positives with a mask, the share whose strongest evidence
    cell has its centre within one cell of the foreign body (16 px of a 256 px input, as the game's
    usual 15 px of 224): the heatmap shows a person the right place."""
    from radiographqc.metrics import roc_auc_ci, threshold_metrics

    scores, hits = [], []
    for item in items:
        p, evidence = probability(item.image)
        scores.append(p)
        if item.present and item.mask is not None:
            cell = item.image.shape[0] / evidence.shape[0]
            row, col = np.unravel_index(int(np.argmax(evidence)), evidence.shape)
            rows, cols = np.nonzero(item.mask)
            distance = np.hypot(rows + 0.5 - (row + 0.5) * cell, cols + 0.5 - (col + 0.5) * cell).min()
            hits.append(bool(distance <= cell))
    labels = [item.present for item in items]
    auc = roc_auc_ci(labels, scores)
    return {"n": len(items), "positives": int(sum(labels)), "auc": auc["auc"],
            "auc_ci95": list(auc["ci"]), "at_threshold": threshold_metrics(labels, scores, threshold),
            "pointing": {"n": len(hits), "hits": int(sum(hits)),
                         "rate": float(np.mean(hits)) if hits else None}}


def format_artefact_report(result, title):
    t = result["at_threshold"]
    pct = lambda v: "n/a" if v is None else f"{100 * v:.1f} %"     # noqa: E731
    lines = [title,
             f"  images {result['n']} ({result['positives']} with a foreign body)",
             f"  ROC AUC {result['auc']:.3f} (95% CI {result['auc_ci95'][0]:.3f}-"
             f"{result['auc_ci95'][1]:.3f}, DeLong)",
             f"  at threshold {t['threshold']:g}: accuracy {pct(t['accuracy'])}, precision "
             f"{pct(t['precision'])}, recall {pct(t['recall'])} (tp {t['tp']}, fp {t['fp']}, "
             f"tn {t['tn']}, fn {t['fn']})"]
    if result["pointing"]["n"]:
        lines.append(f"  heatmap peak within one cell of the foreign body: {pct(result['pointing']['rate'])} "
                     f"of {result['pointing']['n']} positives with a mask")
    return "\n".join(lines)

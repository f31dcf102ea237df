"""Labelled landmark data sets: the hand-atlas CSV, keypoint JSON and Labelme JSON folders.

Reading needs no torch, so evaluation can run without it. Every sample carries its points in
input-image pixels ((x, y) = (column, row), (0, 0) = centre of the top-left pixel; None = absent)
and, where known, its pixel size in mm.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from radiographqc.errors import InputError
from radiographqc.metrics import payer_mm_per_px
from radiographqc.wrist.keypoints import read_keypoints

HAND_ATLAS_LANDMARKS = 37
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
DICOM_SUFFIXES = (".dcm", ".dicom", "")
KEYPOINTS_SUFFIX = ".keypoints.json"     # the wrist QC's (and the simulator's) label file name


@dataclass
class Sample:
    image_path: Path
    points: dict[str, tuple[float, float] | None]
    mm_per_px: float | None = None
    view: str | None = None
    meta: dict = field(default_factory=dict)
    crop: tuple[int, int] | None = None     # (first row, end row) kept of the image; points match


def hand_atlas_names():
    return [f"L{i}" for i in range(HAND_ATLAS_LANDMARKS)]


def parse_landmark_map(text):
    """'P1=18,P2=5,P3=1' -> [('P1', 18), ('P2', 5), ('P3', 1)] (hand-atlas indices)."""
    pairs = []
    for item in text.split(","):
        name, _, index = item.partition("=")
        if not name.strip() or not index.strip().isdigit():
            raise ValueError(f"landmark map item '{item}' is not NAME=INDEX")
        pairs.append((name.strip(), int(index)))
    return pairs


def read_hand_atlas(folder, split, landmark_map=None):
    """Samples of one split of the hand-atlas folder (`landmarks.csv`, `images/`).

    `landmark_map`: [(name, index)] to keep and rename some landmarks (default: all 37 as L0..L36).
    The pixel size follows the benchmark convention: ground-truth landmarks 1 and 5 are 50 mm apart.
    """
    folder = Path(folder)
    table = folder / "landmarks.csv"
    pairs = landmark_map or [(f"L{i}", i) for i in range(HAND_ATLAS_LANDMARKS)]
    try:
        with open(table, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row["split"] == split]
    except (OSError, KeyError) as exc:
        raise InputError(table, f"cannot read hand-atlas landmarks: {exc}") from exc
    if not rows:
        raise InputError(table, f"no images in split '{split}'")
    samples = []
    for row in rows:
        xy = np.array([[float(row[f"x{i}"]), float(row[f"y{i}"])]
                       for i in range(HAND_ATLAS_LANDMARKS)])
        points = {name: (float(xy[i, 0]), float(xy[i, 1])) for name, i in pairs}
        samples.append(Sample(folder / "images" / row["image"], points,
                              float(payer_mm_per_px(xy)), "PA", {"split": split}))
    return samples


def read_keypoint_folder(folder, names=None, view=None, spacing_mm=None):
    """Samples of every image in `folder` with a label file `<stem>.json` or `<stem>.keypoints.json`.

    `names`: the landmark names to keep (a name not in a label file counts as absent);
    `view`: keep only files of this view; `spacing_mm`: pixel size for images without one, unless
    the label file states its "mm_per_px".
    """
    folder = Path(folder)
    samples = []
    for label_path in sorted(folder.glob("*.json")):
        image_path = _image_beside(label_path)
        if image_path is None:
            continue
        keypoints = read_keypoints(label_path)
        file_view, points = keypoints.view, {pid: kp.xy for pid, kp in keypoints.points.items()}
        if view and file_view and file_view.upper() != view.upper():
            continue
        if names:
            points = {name: points.get(name) for name in names}
        samples.append(Sample(image_path, points, _label_mm(label_path) or spacing_mm, file_view))
    if not samples:
        raise InputError(folder, "no image with a label file <stem>.json beside it")
    return samples


def _label_mm(label_path):
    """The pixel size a label file may state ("mm_per_px", e.g. a simulator's exact value)."""
    value = json.loads(label_path.read_text(encoding="utf-8")).get("mm_per_px")
    return float(value) if value else None


def _image_beside(label_path):
    """The image `<stem>.<image suffix>` of a label file `<stem>.json` or `<stem>.keypoints.json`."""
    name = label_path.name
    stem = name[:-len(KEYPOINTS_SUFFIX)] if name.endswith(KEYPOINTS_SUFFIX) else label_path.stem
    for suffix in IMAGE_SUFFIXES + DICOM_SUFFIXES:
        candidate = label_path.with_name(stem + suffix)
        if candidate != label_path and candidate.is_file():
            return candidate
    return None


def read_dataset(folder, split="train", landmark_map=None, names=None, view=None,
                 spacing_mm=None):
    """Samples of a hand-atlas folder (one with `landmarks.csv`) or of a labelled image folder."""
    folder = Path(folder)
    if (folder / "landmarks.csv").is_file():
        return read_hand_atlas(folder, split, landmark_map)
    return read_keypoint_folder(folder, names, view, spacing_mm)


def load_pixels(sample):
    """(pixels (rows, cols) float32 bone bright, mm per pixel or None) of a sample's image."""
    path = Path(sample.image_path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from PIL import Image

        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("F"), dtype=np.float32)
        except OSError as exc:
            raise InputError(path, f"cannot read image: {exc}") from exc
        mm = sample.mm_per_px
    else:
        from radiographqc.dicom_io import read_radiograph

        radiograph = read_radiograph(path)
        pixels, spacing, mm = radiograph.pixels, radiograph.spacing, sample.mm_per_px
        if mm is None and spacing is not None:
            mm = 0.5 * (spacing.row_mm + spacing.col_mm)
    if sample.crop is not None:
        pixels = pixels[sample.crop[0]:sample.crop[1]]
    return pixels, mm


def row_crop(sample, first_row, end_row, tag):
    """The sample limited to image rows first_row..end_row-1; points outside become absent."""
    first_row = max(0, int(round(first_row)))
    points = {}
    for name, xy in sample.points.items():
        inside = xy is not None and first_row - 0.5 <= xy[1] < end_row - 0.5
        points[name] = (xy[0], xy[1] - first_row) if inside else None
    return Sample(sample.image_path, points, sample.mm_per_px, sample.view,
                  {**sample.meta, "crop": tag}, (first_row, int(end_row)))


def landmark_names(samples):
    """Landmark names in first-seen order over all samples."""
    names = []
    for sample in samples:
        names.extend(name for name in sample.points if name not in names)
    return names


def points_array(sample, names):
    """(K, 2) float array of the sample's points in `names` order; NaN for absent ones."""
    return np.array([sample.points.get(n) if sample.points.get(n) is not None else (np.nan, np.nan)
                     for n in names], dtype=float)

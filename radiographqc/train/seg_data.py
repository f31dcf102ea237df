"""Segmentation training data: simulated lumbar cases and real AASCE spine radiographs.

Numpy only (no torch), so evaluation and data preparation run without the training extras.
Every sample is letterboxed to a square canvas exactly as `models.letterbox_image` does for
inference; its labels are one bit per channel of `CHANNELS` in a uint16 image, beside a per-channel
"labelled" flag: a channel not labelled in a sample (its view or its source does not show or
annotate that structure) contributes no loss.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiographqc.errors import InputError
from radiographqc.models import letterbox_image

# Network output channels, in order. Names are the simulator's label names, plus the separation
# band between neighbouring vertebral bodies that lets touching bodies be split into instances.
CHANNELS = ("vertebrae", "vertebra_separation", "L3", "L3_double_contour", "spinous_processes",
            "foramina", "inferior_articular_processes", "pedicles", "sacrum", "pelvis")
# Channels trained (and reported) per view: the spec's labels per view, plus what every view needs
# to count and identify vertebrae, and the pedicles of the oblique pedicle-centring rule (the AP
# view shows them as clearly). The sacrum is labelled wherever the simulator shows it.
_COMMON = ("vertebrae", "vertebra_separation", "L3")
VIEW_CHANNELS = {
    "AP": _COMMON + ("L3_double_contour", "spinous_processes", "pedicles", "sacrum", "pelvis"),
    "LAT": _COMMON + ("L3_double_contour", "spinous_processes", "foramina", "sacrum"),
    "OBL": _COMMON + ("inferior_articular_processes", "pedicles", "sacrum", "pelvis"),
}
# AASCE annotates vertebral bodies only (T1..L5 corners); L3 is vertebra index 14.
AASCE_CHANNELS = _COMMON
AASCE_LEVELS = tuple([f"T{i}" for i in range(1, 13)] + [f"L{i}" for i in range(1, 6)])
AASCE_L3_INDEX = AASCE_LEVELS.index("L3")
SEPARATION_RADIUS_PX = 2      # network pixels: bodies closer than 2 r get a separation band


@dataclass
class SegSample:
    """One letterboxed training/evaluation sample."""

    image: np.ndarray          # (S, S) float32 0..1, network input
    labels: np.ndarray         # (S, S) uint16, bit c set = channel CHANNELS[c]
    labelled: np.ndarray       # (C,) bool, channel has ground truth in this sample
    view: str
    source: str                # "simulated" | "aasce"
    name: str


def channel_flags(names):
    return np.array([name in names for name in CHANNELS], dtype=bool)


def pack_channels(masks):
    """{channel name: (S, S) bool} -> uint16 bit image in CHANNELS order."""
    shape = next(iter(masks.values())).shape
    packed = np.zeros(shape, np.uint16)
    for bit, name in enumerate(CHANNELS):
        if name in masks:
            packed |= masks[name].astype(np.uint16) << bit
    return packed


def unpack_channels(packed):
    """(..., S, S) uint16 bit image -> (..., C, S, S) bool."""
    bits = np.arange(len(CHANNELS), dtype=np.uint16)
    return ((packed[..., None, :, :] >> bits[:, None, None]) & 1).astype(bool)


def separation_mask(instances, radius=SEPARATION_RADIUS_PX):
    """Pixels with two different vertebral-body ids within `radius` (a disc).

    Covers narrow disc spaces and the border of bodies that touch, so that the connected components
    of (body - separation) are single vertebrae.
    """
    from scipy import ndimage
    from skimage.morphology import disk

    ids = np.asarray(instances).astype(np.int32)
    footprint = disk(radius).astype(bool)
    highest = ndimage.maximum_filter(ids, footprint=footprint)
    lowest = ndimage.minimum_filter(np.where(ids > 0, ids, np.iinfo(np.int32).max),
                                    footprint=footprint)
    return (highest > 0) & (lowest < np.iinfo(np.int32).max) & (highest != lowest)


def letterbox_labels(labels, box):
    """Nearest-neighbour placement of an integer label image into the letterbox canvas."""
    rows = (np.arange(box.resized_rows) + 0.5) * box.rows / box.resized_rows
    cols = (np.arange(box.resized_cols) + 0.5) * box.cols / box.resized_cols
    rows = np.minimum(rows.astype(int), box.rows - 1)
    cols = np.minimum(cols.astype(int), box.cols - 1)
    canvas = np.zeros((box.size, box.size), dtype=labels.dtype)
    canvas[box.top:box.top + box.resized_rows, box.left:box.left + box.resized_cols] = \
        labels[rows][:, cols]
    return canvas


def sample_from_masks(pixels, masks, instances, view, size, source, name, labelled_names):
    """A SegSample from an image, semantic masks {name: bool} and a body instance image."""
    image, box = letterbox_image(pixels, size)
    canvas_ids = letterbox_labels(np.asarray(instances, dtype=np.int32), box)
    channels = {key: letterbox_labels(np.asarray(mask, dtype=np.uint8), box).astype(bool)
                for key, mask in masks.items() if key in CHANNELS}
    channels["vertebrae"] = canvas_ids > 0
    channels["vertebra_separation"] = separation_mask(canvas_ids)
    return SegSample(image, pack_channels(channels), channel_flags(labelled_names), view, source,
                     name)


# ---------------------------------------------------------------------------------------------
# Simulated cases

def simulated_sample(view, seed, index, size, long_side, mispositioned_every=3):
    """One simulated lumbar case as a SegSample, in memory (no files).

    Every `mispositioned_every`-th case uses the "mispositioned" preset (rotation, tilt, a field
    that is too long), so the network also sees the failures the rules must catch.
    """
    from radiographqc.simulate.generate import simulate_case

    mispositioned = mispositioned_every and index % mispositioned_every == mispositioned_every - 1
    preset = "mispositioned" if mispositioned else "routine"
    case, _ = simulate_case("lumbar", view, preset, seed, index, long_side=long_side)
    return sample_from_masks(case.image, case.masks, case.instances, view, size, "simulated",
                             f"lumbar_{view.lower()}_{seed}_{index:06d}", VIEW_CHANNELS[view])


def simulated_samples(view, count, seed, size, long_side, jobs=1):
    """`count` simulated samples of one view, in parallel over `jobs` processes."""
    import multiprocessing as mp
    from functools import partial

    work = partial(_simulated_one, view=view, seed=seed, size=size, long_side=long_side)
    if jobs > 1:
        with mp.get_context("fork").Pool(jobs) as pool:
            return pool.map(work, range(count), chunksize=4)
    return [work(i) for i in range(count)]


def _simulated_one(index, view, seed, size, long_side):
    return simulated_sample(view, seed, index, size, long_side)


def read_aasce_table(folder):
    """{image name: (17, 4, 2) corners (TL, TR, BL, BR) per vertebra} and the suspect names."""
    folder = Path(folder)
    table = folder / "landmarks.csv"
    try:
        with open(table, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        with open(folder / "suspect_labels.csv", newline="", encoding="utf-8") as handle:
            suspect = {row["image"] for row in csv.DictReader(handle)}
    except OSError as exc:
        raise InputError(table, f"cannot read AASCE landmarks: {exc}") from exc
    corners = {}
    for row in rows[1:]:
        values = np.array(row[1:], dtype=float)
        if values.size != 136:
            raise InputError(table, f"row {row[0]} has {values.size} values, expected 136")
        corners[row[0]] = values.reshape(len(AASCE_LEVELS), 4, 2)
    return corners, suspect


def aasce_split(names, suspect, valid_fraction=0.2, seed=2019):
    """(train names, validation names): suspect images dropped, a fixed random share held out."""
    usable = sorted(name for name in names if name not in suspect)
    order = np.random.default_rng(seed).permutation(len(usable))
    count = int(round(valid_fraction * len(usable)))
    valid = sorted(usable[i] for i in order[:count])
    train = sorted(usable[i] for i in order[count:])
    return train, valid


def quad_instances(corners, shape):
    """Body instance image (ids 1..17 = T1..L5, lower drawn last) from corner quadrilaterals."""
    from skimage.draw import polygon

    ids = np.zeros(shape, np.int32)
    for k, quad in enumerate(corners):
        outline = quad[[0, 1, 3, 2]]            # TL, TR, BR, BL around the body
        rr, cc = polygon(outline[:, 1], outline[:, 0], shape)
        ids[rr, cc] = k + 1
    return ids


def read_grey(path):
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("F"), dtype=np.float32)
    except OSError as exc:
        raise InputError(path, f"cannot read image: {exc}") from exc


def aasce_sample(folder, name, corners, size):
    pixels = read_grey(Path(folder) / "images" / name)
    ids = quad_instances(corners, pixels.shape)
    masks = {"L3": ids == AASCE_L3_INDEX + 1}
    return sample_from_masks(pixels, masks, ids, "AP", size, "aasce", name, AASCE_CHANNELS)


def save_samples(path, samples):
    """Compressed npz of samples (images as uint8 to keep the carried data small)."""
    np.savez_compressed(
        path, image=np.stack([np.round(s.image * 255).astype(np.uint8) for s in samples]),
        labels=np.stack([s.labels for s in samples]),
        labelled=np.stack([s.labelled for s in samples]),
        view=np.array([s.view for s in samples]), source=np.array([s.source for s in samples]),
        name=np.array([s.name for s in samples]))


def load_samples(path):
    with np.load(path) as data:      # each data[key] decompresses the whole array: read once
        arrays = {key: data[key] for key in ("image", "labels", "labelled", "view", "source",
                                             "name")}
    return [SegSample(arrays["image"][i].astype(np.float32) / 255.0, arrays["labels"][i],
                      arrays["labelled"][i], str(arrays["view"][i]), str(arrays["source"][i]),
                      str(arrays["name"][i])) for i in range(len(arrays["name"]))]


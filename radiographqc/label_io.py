"""Label files (masks): what the simulator writes, the Slicer modules export and `--masks` reads.

`<stem>.labels.png` is a 16-bit image with one bit per structure (structures overlap: L3 lies inside
the vertebral bodies), `<stem>.labels.json` maps structure name -> bit value and names the view;
an optional `<stem>.vertebrae.png` holds one id per vertebral body, named by the JSON's
`"vertebrae": {"file": ..., "ids": {"L3": 8, ...}}` when the levels are known.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import InputError
from .lumbar.masks import LumbarMasks, masks_from_channels

LABELS_SUFFIX = ".labels.json"


def find_label_file(image: Path, masks: str | Path | None) -> Path | None:
    """`<stem>.labels.json` for an image: the given file, else in the given folder or beside the image."""
    if masks is not None and Path(masks).is_file():
        return Path(masks)
    folder = Path(masks) if masks is not None else image.parent
    stem = image.name[: -len(image.suffix)] if image.suffix else image.name
    candidate = folder / f"{stem}{LABELS_SUFFIX}"
    return candidate if candidate.is_file() else None


def _read_png(path: Path, shape=None) -> np.ndarray:
    try:
        with Image.open(path) as img:
            array = np.asarray(img)
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read the label image: {exc}") from None
    if shape is not None and array.shape != tuple(shape):
        raise InputError(path, f"label image is {array.shape[1]}x{array.shape[0]} px, the radiograph "
                               f"{shape[1]}x{shape[0]} px")
    return array


def read_masks(path, view: str | None = None, shape=None) -> LumbarMasks:
    """LumbarMasks from a `<stem>.labels.json` (and the PNGs it names); `view` overrides the file's."""
    path = Path(path)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        bits = {str(name): int(value) for name, value in table["labels"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(path, f"not a label table ({type(exc).__name__}: {exc})") from None
    view = view or table.get("view")
    if view is None:
        raise InputError(path, "the view is unknown: neither the image header nor the label table names it")
    packed = _read_png(path.parent / table.get("image", path.name.replace(LABELS_SUFFIX, ".labels.png")), shape)
    channels = {name: (packed & bit) != 0 for name, bit in bits.items()}
    vertebrae = table.get("vertebrae")
    instances, names = None, {}
    if vertebrae:
        instances = _read_png(path.parent / vertebrae["file"], packed.shape)
        names = {int(i): level for level, i in vertebrae.get("ids", {}).items()}
    try:
        return masks_from_channels(view, channels, instances, names)
    except ValueError as exc:
        raise InputError(path, str(exc)) from None


def write_label_files(path, masks: dict[str, np.ndarray], view: str, instances: np.ndarray | None = None,
                instance_ids: dict[str, int] | None = None) -> Path:
    """Write `<stem>.labels.json` + PNGs; the inverse of read_masks (used for annotators' exports)."""
    path = Path(path)
    stem = path.name[: -len(LABELS_SUFFIX)]
    names = sorted(masks)
    if len(names) > 16:
        raise ValueError(f"{len(names)} structures do not fit in a 16-bit label image")
    packed = np.zeros(next(iter(masks.values())).shape, np.uint16)
    for bit, name in enumerate(names):
        packed |= masks[name].astype(np.uint16) << bit
    Image.fromarray(packed).save(path.parent / f"{stem}.labels.png")
    table = {"image": f"{stem}.labels.png", "view": view, "encoding": "bit flags: pixel & value != 0",
             "labels": {name: 1 << bit for bit, name in enumerate(names)}}
    if instances is not None:
        Image.fromarray(instances.astype(np.uint16)).save(path.parent / f"{stem}.vertebrae.png")
        table["vertebrae"] = {"file": f"{stem}.vertebrae.png", "ids": dict(instance_ids or {})}
    path.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    return path

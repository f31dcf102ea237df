"""The segmentation that the lumbar rules read: vertebral bodies plus named structure masks.

Vertebral bodies come in one of three forms (`LumbarMasks.vertebrae`):
- a list of (level name or None, bool mask), one entry per vertebra, as a reviewer edits them;
- an integer instance image, 0 = background and one id per vertebra (`vertebra_names` may name
  the ids, e.g. the simulator's {id: "L3"});
- None (or a bool image): the binary `structures["vertebrae"]` is split into bodies by
  `vertebrae.find_vertebrae` (connected components, merged bodies split, fragments dropped).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .labels import LEVELS, STRUCTURES, normalise_view


@dataclass
class LumbarMasks:
    view: str
    shape: tuple[int, int]
    vertebrae: list | np.ndarray | None = None
    structures: dict[str, np.ndarray] = field(default_factory=dict)
    vertebra_names: dict[int, str] = field(default_factory=dict)

    def __post_init__(self):
        self.view = normalise_view(self.view)
        self.shape = tuple(int(n) for n in self.shape)
        self.structures = {name: _bool_mask(mask, self.shape, name)
                           for name, mask in self.structures.items()}
        if isinstance(self.vertebrae, list):
            self.vertebrae = [(label, _bool_mask(mask, self.shape, f"vertebra {label}"))
                              for label, mask in self.vertebrae]
        elif self.vertebrae is not None:
            self.vertebrae = np.asarray(self.vertebrae)
            _check_shape(self.vertebrae, self.shape, "vertebra instance image")
        self.vertebra_names = {int(k): str(v) for k, v in self.vertebra_names.items()}

    def structure(self, name: str) -> np.ndarray | None:
        """The mask of `name`, or None when the segmentation does not provide that structure."""
        return self.structures.get(name)


def _check_shape(array, shape, what):
    if array.shape != shape:
        raise ValueError(f"{what} has shape {array.shape}, expected {shape}")


def _bool_mask(mask, shape, what) -> np.ndarray:
    mask = np.asarray(mask).astype(bool)
    _check_shape(mask, shape, what)
    return mask


def masks_from_label_image(view: str, labels: np.ndarray, table: dict[int, str]) -> LumbarMasks:
    """LumbarMasks from a multi-label integer image (one label per pixel) and {value: name}.

    Names are structure names (labels.STRUCTURES) or vertebral levels ("T12", "L3"; each one a
    vertebra). A one-label-per-pixel image cannot overlap structures, so nesting is restored:
    L3 double-contour pixels also belong to L3, and a level "L3" is also the L3 mask.
    Unknown names raise ValueError.
    """
    labels = np.asarray(labels)
    by_name = {}
    for value, name in table.items():
        if name not in STRUCTURES and name not in LEVELS:
            raise ValueError(f"label {value}: unknown structure {name!r}")
        by_name[name] = by_name.get(name, np.zeros(labels.shape, bool)) | (labels == int(value))
    if "L3_double_contour" in by_name:
        by_name["L3"] = by_name.get("L3", np.zeros(labels.shape, bool)) | by_name["L3_double_contour"]
    named = [(name, by_name[name]) for name in LEVELS if name in by_name]
    if not named:
        if "L3" in by_name and "vertebrae" in by_name:  # L3 is a vertebral body too
            by_name["vertebrae"] = by_name["vertebrae"] | by_name["L3"]
        return LumbarMasks(view, labels.shape, None, by_name)
    structures = {name: mask for name, mask in by_name.items() if name not in LEVELS or name == "L3"}
    unnamed = structures.pop("vertebrae", None)
    if unnamed is not None:  # bodies without a level beside named ones: one per connected component
        from skimage.measure import label

        parts = label(unnamed & ~np.any([mask for _, mask in named], axis=0), connectivity=1)
        named += [(None, parts == i) for i in range(1, int(parts.max()) + 1)]
    return LumbarMasks(view, labels.shape, named, structures)


def masks_from_channels(view: str, channels: dict[str, np.ndarray], instances=None,
                        vertebra_names: dict[int, str] | None = None) -> LumbarMasks:
    """LumbarMasks from overlapping per-structure masks (network channels or simulator labels)
    and optionally a vertebral-body instance image with its {id: level} table."""
    shape = next(iter(channels.values())).shape if channels else np.asarray(instances).shape
    return LumbarMasks(view, shape, instances, dict(channels), vertebra_names or {})

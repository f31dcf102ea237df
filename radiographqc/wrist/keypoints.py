"""Wrist keypoints: the in-memory type and the two file formats it is read from.

Formats, detected from the content:

* project format: ``{"view": "AP", "points": {"P1": [x, y] | null | {"xy": [x, y] | null,
  "confidence": c}, ...}}`` in the pixel convention of the package ((0, 0) = centre of the top-left
  pixel). Point ids not listed are absent.
* Labelme JSON: point shapes whose labels name the keypoints (P1..P5, English names such as
  "radial_styloid", or the Chinese labels of the source study). Labelme puts the top-left corner of
  the image at (0, 0), so its coordinates are shifted by -0.5 px to pixel centres. The view comes
  from a top-level "view" key, from flags ({"view": "AP"} or {"AP": true}), or from the labels.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

POINT_NAMES = {
    "AP": {"P1": "thumb MCP joint", "P2": "radial styloid", "P3": "ulnar styloid"},
    "LAT": {"P1": "scaphoid centre", "P2": "distal radius centre", "P3": "proximal radius centre",
            "P4": "distal ulna centre", "P5": "proximal ulna centre"},
}

VIEW_ALIASES = {"AP": "AP", "PA": "AP", "LAT": "LAT", "LATERAL": "LAT", "LL": "LAT", "ML": "LAT"}

# Labels (normalised by _normalise_label) that name one keypoint of one view.
LABELS = {
    "AP": {
        "P1": ("thumb_mcp", "thumb_mcp_joint", "thumb_metacarpophalangeal_joint", "拇指指掌关节"),
        "P2": ("radial_styloid", "radial_styloid_tip", "桡骨茎突"),
        "P3": ("ulnar_styloid", "ulnar_styloid_tip", "尺骨茎突"),
    },
    "LAT": {
        "P1": ("scaphoid", "scaphoid_centre", "舟骨中心"),
        "P2": ("distal_radius", "distal_radius_centre", "桡骨远端中心"),
        "P3": ("proximal_radius", "proximal_radius_centre", "桡骨近端中心"),
        "P4": ("distal_ulna", "distal_ulna_centre", "尺骨远端中心"),
        "P5": ("proximal_ulna", "proximal_ulna_centre", "尺骨近端中心"),
    },
}
_LABEL_TO_POINT = {view: {label: pid for pid, labels in table.items() for label in labels}
                   for view, table in LABELS.items()}
_POINT_ID = re.compile(r"^p[1-5]$")

# Labelme's origin is the top-left corner of the image, ours the centre of the top-left pixel.
LABELME_OFFSET = -0.5


@dataclass
class Keypoint:
    """One keypoint; xy None means "not present in the image"."""

    xy: tuple[float, float] | None
    confidence: float | None = None


@dataclass
class Keypoints:
    """The keypoints of one view, every point id of the view present as a key (absent ones with xy None)."""

    view: str
    points: dict[str, Keypoint] = field(default_factory=dict)

    def __post_init__(self):
        view = normalise_view(self.view)
        if view is None:
            raise ValueError(f"unknown view {self.view!r} (expected AP/PA or LAT/LATERAL)")
        unknown = sorted(set(self.points) - set(POINT_NAMES[view]))
        if unknown:
            raise ValueError(f"point ids {unknown} do not belong to the {view} view")
        self.view = view
        self.points = {pid: self.points.get(pid, Keypoint(None)) for pid in POINT_NAMES[view]}

    def xy(self, pid: str) -> tuple[float, float] | None:
        return self.points[pid].xy


def normalise_view(name) -> str | None:
    """"AP" or "LAT" for the accepted spellings of a view name, else None."""
    return VIEW_ALIASES.get(str(name).strip().upper()) if name is not None else None


def _normalise_label(label: str) -> str:
    text = re.sub(r"[\s\-]+", "_", str(label).strip().lower())
    return text.replace("center", "centre")


def _point_id(label: str, view: str) -> str | None:
    norm = _normalise_label(label)
    if _POINT_ID.match(norm) and norm.upper() in POINT_NAMES[view]:
        return norm.upper()
    return _LABEL_TO_POINT[view].get(norm)


def _coordinates(value, path, where: str, offset: float = 0.0) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError(path, f"{where}: expected 2 coordinates [x, y], got {value!r}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        raise InputError(path, f"{where}: coordinates must be finite numbers, got {value!r}")
    return (float(value[0]) + offset, float(value[1]) + offset)


def _confidence(value, path, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InputError(path, f"{where}: confidence must be a number in 0..1, got {value!r}")
    return float(value)


def _view(value, path) -> str:
    view = normalise_view(value)
    if view is None:
        raise InputError(path, f"unknown view {value!r} (expected AP/PA or LAT/LATERAL)")
    return view


def _read_project(data: dict, path) -> Keypoints:
    view = _view(data.get("view"), path)
    if not isinstance(data["points"], dict):
        raise InputError(path, '"points" must be an object mapping point ids to [x, y] or null')
    points = {}
    for label, entry in data["points"].items():
        pid = _point_id(label, view)
        if pid is None:
            raise InputError(path, f"unknown point {label!r} for the {view} view "
                                   f"(expected {', '.join(POINT_NAMES[view])})")
        if pid in points:
            raise InputError(path, f"point {pid} is given twice")
        where = f"point {label!r}"
        if isinstance(entry, dict):
            points[pid] = Keypoint(_coordinates(entry.get("xy"), path, where),
                                   _confidence(entry.get("confidence"), path, where))
        else:
            points[pid] = Keypoint(_coordinates(entry, path, where))
    return Keypoints(view, points)


def _labelme_view(data: dict, labels: list[str], path) -> str:
    flags = data["flags"] if isinstance(data.get("flags"), dict) else {}
    given = data.get("view") or flags.get("view")
    if given is None:
        chosen = [name for name, on in flags.items() if on is True and normalise_view(name)]
        given = chosen[0] if len(chosen) == 1 else None
    if given is not None:
        return _view(given, path)
    # Without a stated view: the view whose label table knows every label (P4/P5 only exist in LAT).
    fits = [v for v in ("AP", "LAT") if all(_point_id(label, v) for label in labels)]
    if len(fits) == 1:
        return fits[0]
    if not fits:
        raise InputError(path, f"labels {sorted(set(labels))} do not name the keypoints of one view")
    raise InputError(path, 'cannot tell the view from the labels (P1..P3 exist in both views, or no '
                           'point shapes): add flags {"view": "AP"} or {"view": "LAT"}')


def _read_labelme(data: dict, path) -> Keypoints:
    if not isinstance(data["shapes"], list):
        raise InputError(path, '"shapes" must be a list')
    shapes = [s for s in data["shapes"] if isinstance(s, dict) and s.get("shape_type", "point") == "point"]
    view = _labelme_view(data, [str(s.get("label", "")) for s in shapes], path)
    points = {}
    for shape in shapes:
        label = str(shape.get("label", ""))
        pid = _point_id(label, view)
        if pid is None:
            raise InputError(path, f"unknown label {label!r} for the {view} view")
        if pid in points:
            raise InputError(path, f"keypoint {pid} ({label!r}) is labelled more than once")
        coords = shape.get("points")
        if not isinstance(coords, list) or len(coords) != 1:
            raise InputError(path, f"label {label!r}: a point shape needs exactly one [x, y], got {coords!r}")
        points[pid] = Keypoint(_coordinates(coords[0], path, f"label {label!r}", LABELME_OFFSET))
    return Keypoints(view, points)


def read_keypoints(path) -> Keypoints:
    """Read a project keypoint file or a Labelme JSON file (detected from the content)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read keypoint JSON: {exc}") from exc
    if isinstance(data, dict) and "shapes" in data:
        return _read_labelme(data, path)
    if isinstance(data, dict) and "points" in data:
        return _read_project(data, path)
    raise InputError(path, 'not a keypoint file: expected a "points" object or Labelme "shapes"')


def write_keypoints(path, keypoints: Keypoints) -> Path:
    """Write keypoints in the project format (confidence kept when known)."""
    points = {}
    for pid, kp in keypoints.points.items():
        xy = None if kp.xy is None else [float(kp.xy[0]), float(kp.xy[1])]
        points[pid] = xy if kp.confidence is None else {"xy": xy, "confidence": float(kp.confidence)}
    path = Path(path)
    path.write_text(json.dumps({"view": keypoints.view, "points": points}, indent=2) + "\n", encoding="utf-8")
    return path

"""What the segments of a reviewed segmentation are to the package's lumbar rules (radiographqc.lumbar)."""
from __future__ import annotations

import numpy as np

from radiographqc.lumbar import LEVELS, STRUCTURES, LumbarMasks, normalise_view

from .labels import VERTEBRAE, vertebraNumber



def normaliseView(view) -> str | None:
    """"AP" | "LAT" | "OBL", or None for a missing or unknown view (the reviewer then chooses it)."""
    try:
        return None if view is None else normalise_view(view)
    except ValueError:
        return None


def segmentRole(segmentId: str, name: str, imported: bool = False) -> tuple[str, str | None] | None:
    """What a segment is to the rules: ("vertebra", None) or ("structure", name), or None for a
    segment the rules do not know. Imported segments keep their label names as ids (also labels the
    rules do not score, e.g. superior articular processes: they are bone for the exposure rules);
    a segment a reviewer adds in the Segment Editor is recognised by its name (a level such as "L5",
    "vertebra ...", or a structure's name or display name)."""
    if vertebraNumber(segmentId) is not None:
        return "vertebra", None
    if segmentId in STRUCTURES or imported:
        return "structure", segmentId
    if name.lower().startswith("vertebra ") or name in LEVELS:
        return "vertebra", None
    byDisplay = {s.display: key for key, s in STRUCTURES.items()}
    key = name if name in STRUCTURES else byDisplay.get(name)
    return ("structure", key) if key else None


def lumbarMasks(view: str, shape, segments: list[tuple]) -> LumbarMasks:
    """LumbarMasks from [(segment id, name, level set by the reviewer or None, mask, imported)]: every vertebra
    segment is one body (with its level when the reviewer named it); structures by their names (a
    structure split over several segments is their union)."""
    vertebrae, structures = [], {}
    for segmentId, name, level, mask, imported in segments:
        role = segmentRole(segmentId, name, imported)
        if role is None:
            continue
        if role[0] == "vertebra":
            vertebrae.append((level, mask))
        else:
            structures[role[1]] = structures[role[1]] | mask if role[1] in structures else mask
    if vertebrae:   # the bodies' union is the "vertebrae" structure, as label files and models give it
        structures[VERTEBRAE] = np.logical_or.reduce([mask for _, mask in vertebrae] +
                                                     ([structures[VERTEBRAE]] if VERTEBRAE in structures else []))
    return LumbarMasks(view, shape, vertebrae if vertebrae else None, structures)

"""The result of one QC item, shared by the header, marker, artefact and layout rules."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ItemResult:
    """One scored item of the report.

    `value`: what was measured (a number, a text such as "present", or for the two-part tasks a
    dict of the two values). `passed` and `rating` are None when the item is not assessable.
    `geometry`: how a layout task measured, in input pixels, for the report picture and the Slicer
    markups to draw (empty when nothing was measured):
    {"kind": "line", "points": [[x, y], [x, y]], "label"} a distance to an image edge;
    {"kind": "angle", "points": [a, vertex, b], "label"} the angle at the vertex between two lines;
    {"kind": "angle_to_vertical", "points": [a, vertex, foot], "label"} the line vertex-a against
    the image vertical (vertex-foot, as long as the line's larger extent, opening towards a).
    """

    id: str
    label: str
    value: float | str | dict | None
    unit: str | None
    score: int
    max: int
    rating: str | None
    passed: bool | None
    assessable: bool
    band: str | None
    explanation: str
    advice: str | None
    geometry: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def not_assessable(item_id: str, label: str, points: int, explanation: str) -> ItemResult:
    """An item that cannot be checked for this image: no points, and left out of max_assessable."""
    return ItemResult(item_id, label, None, None, 0, points, None, None, False, None, explanation, None)


def pass_fail(item_id: str, label: str, points: int, ok: bool, value, band: str, explanation: str,
              advice: str | None) -> ItemResult:
    """An all-or-nothing item."""
    return ItemResult(item_id, label, value, None, points if ok else 0, points, "pass" if ok else "fail", ok,
                      True, band, explanation, None if ok else advice)

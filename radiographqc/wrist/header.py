"""Basic examination information: the DICOM header items (2 points each in the default profile)."""
from __future__ import annotations

import math
import re

from ..image import Spacing
from .items import ItemResult, not_assessable, pass_fail

SPACING_KEYWORD = "spacing"  # the scale-ruler item: satisfied by a usable pixel spacing
# Characters that carry no information: whitespace, DICOM padding, PN component (^) and group (=)
# separators, and the multi-value separator (a value of "^^" or "\\" is empty).
_FILLER = re.compile(r"[\s\x00^=\\]")


def is_empty(value) -> bool:
    """True when a header value holds nothing but filler (spaces, "^^" of an empty person name, ...)."""
    return value is None or not _FILLER.sub("", str(value))


def usable_spacing(spacing: Spacing | None) -> bool:
    return (spacing is not None
            and all(math.isfinite(v) and v > 0 for v in (spacing.row_mm, spacing.col_mm)))


def _spacing_item(item_id: str, item: dict, spacing: Spacing | None) -> ItemResult:
    ok = usable_spacing(spacing)
    value = f"{spacing.row_mm:g} x {spacing.col_mm:g} mm" if ok else None
    explanation = (f"pixel spacing {value} from {spacing.source}" if ok else
                   "no usable pixel spacing (Pixel Spacing or Imager Pixel Spacing) in the header")
    return pass_fail(item_id, item["label"], item["points"], ok, value, "usable pixel spacing present",
                     explanation, "calibrate the detector / export with Pixel Spacing (0028,0030) so "
                                  "distances can be measured")


def _keyword_item(item_id: str, item: dict, header: dict[str, str]) -> ItemResult:
    keyword = item["keyword"]
    raw = header.get(keyword)
    ok = not is_empty(raw)
    shown = str(raw).strip() if ok and item["show_value"] else None
    if raw is None:
        value, explanation = "missing", f"{keyword} is missing from the header"
    elif not ok:
        value, explanation = "empty", f"{keyword} is present but empty ({raw!r})"
    else:  # identifying values (show_value false) stay out of the report
        value = shown if shown is not None else "present"
        explanation = f"{keyword} = {shown!r}" if shown is not None else f"{keyword} is present (value not shown)"
    return pass_fail(item_id, item["label"], item["points"], ok, value, f"{keyword} present and non-empty",
                     explanation, f"record the {item['label']} ({keyword}) in the DICOM header "
                                  "(device or worklist settings)")


def header_items(radiograph_header: dict[str, str] | None, spacing: Spacing | None, profile: dict,
                 is_dicom: bool = True) -> list[ItemResult]:
    """The header items of the profile, in profile order.

    Non-DICOM input (PNG/JPEG teaching images) or no header at all: every item is not assessable.
    """
    items = profile["header"]["items"]
    if not is_dicom or radiograph_header is None:
        why = "not assessable: the input is not a DICOM file, so it has no header"
        return [not_assessable(i, it["label"], it["points"], why) for i, it in items.items()]
    return [_spacing_item(i, it, spacing) if it["keyword"] == SPACING_KEYWORD
            else _keyword_item(i, it, radiograph_header) for i, it in items.items()]

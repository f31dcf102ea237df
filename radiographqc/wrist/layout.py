"""Display and layout tasks (AP1-AP5, LAT1-LAT3): measures from keypoints, scored by profile bands.

A task of the profile names a `measure` (the geometry below), the points it uses (a list of point
ids means their midpoint), an optional `target` (the banded quantity is then x = |value - target|)
and a list of bands. The first band containing x gives the score: a constant, or
floor(a*(x-b)/d)+c / floor(a*(b-x)/d)+c. An x in no band scores 0. Two-part measures (centring
offsets, side-edge distances) score each part with the same bands and sum the parts.

Each measure also returns the geometry it measured (`ItemResult.geometry`: edge distances, angles,
the vertical it is measured against), so the report picture and the Slicer markups only draw it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from .. import geometry
from ..image import Spacing
from .items import ItemResult, not_assessable
from .keypoints import POINT_NAMES, Keypoints

FORMULAS = {
    "floor(a*(x-b)/d)+c": lambda x, s: s["a"] * (x - s["b"]) / s["d"],
    "floor(a*(b-x)/d)+c": lambda x, s: s["a"] * (s["b"] - x) / s["d"],
}
GRADE_BASES = ("percent_of_assessable", "total")
BAND_KEYS = {"lo", "lo_incl", "hi", "hi_incl", "score"}
# A formula argument that is an integer on paper (5*(2-1.8) = 1) can come out of binary arithmetic
# as 0.9999999999999998; rounding it first keeps floor() on the paper side.
_FLOOR_DECIMALS = 9


def _num(v) -> str:
    return f"{v:g}"


# ---------------------------------------------------------------- bands

def _in_band(x: float, band: dict) -> bool:
    lo, hi = band["lo"], band["hi"]
    above = lo is None or x > lo or (band["lo_incl"] and x == lo)
    below = hi is None or x < hi or (band["hi_incl"] and x == hi)
    return above and below


def band_score(bands: list[dict], x: float) -> tuple[int, dict | None]:
    """Score of x and the band that gave it (None: x is in no band, score 0)."""
    for band in bands:
        if _in_band(x, band):
            score = band["score"]
            if isinstance(score, dict):
                score = math.floor(round(FORMULAS[score["formula"]](x, score), _FLOOR_DECIMALS)) + score["c"]
            return int(score), band
    return 0, None


def _formula_text(score: dict, symbol: str) -> str:
    a = "" if score["a"] == 1 else _num(score["a"])
    inner = f"{symbol}−{_num(score['b'])}" if "x-b" in score["formula"] else f"{_num(score['b'])}−{symbol}"
    div = "" if score["d"] == 1 else f"/{_num(score['d'])}"
    c = score["c"]
    return f"[{a}({inner}){div}]" + ("" if c == 0 else f"{'+' if c > 0 else '−'}{_num(abs(c))}")


def band_text(band: dict | None, symbol: str, score: int) -> str:
    """E.g. "3 ≤ D ≤ 5 → 5" or "2 < D < 3 → [4(D−2)]+1 = 4"."""
    if band is None:
        return f"{symbol} outside every scoring band → 0"
    if "text" in band:
        return f"{band['text']} → {score}"
    lo = "" if band["lo"] is None else f"{_num(band['lo'])} {'≤' if band['lo_incl'] else '<'} "
    hi = "" if band["hi"] is None else f" {'≤' if band['hi_incl'] else '<'} {_num(band['hi'])}"
    rule = _formula_text(band["score"], symbol) + f" = {score}" if isinstance(band["score"], dict) else str(score)
    return f"{lo}{symbol}{hi} → {rule}"


def full_range(bands: list[dict], part_max: int) -> tuple[float | None, float | None] | None:
    """(lo, hi) of the first band giving full points (constant score), for the advice."""
    band = next((b for b in bands if b["score"] == part_max), None)
    return None if band is None else (band["lo"], band["hi"])


def rating_for(score: int, table: dict) -> str | None:
    return next((name for name, rng in table.items() if rng and rng[0] <= score <= rng[1]), None)


# ---------------------------------------------------------------- measures

@dataclass
class Context:
    rows: int
    cols: int
    spacing: Spacing | None
    view: str

    def name(self, ref) -> str:
        names = POINT_NAMES[self.view]
        if isinstance(ref, str):
            return f"{ref} ({names[ref]})"
        return "midpoint of " + " and ".join(f"{p} ({names[p]})" for p in ref)

    def short(self, ref) -> str:
        """A reference as the report picture labels it: "P2", or "mid(P3,P5)"."""
        return ref if isinstance(ref, str) else f"mid({','.join(ref)})"

    def edges(self, p) -> dict[str, float]:
        return geometry.edge_distances_cm(p, self.rows, self.cols, self.spacing)

    def space_note(self) -> str:
        return "" if self.spacing else " (computed in pixel space: no pixel spacing, square pixels assumed)"


@dataclass
class Measured:
    value: float | str | dict[str, float]
    x: dict[str, float]  # the quantity (per part) before the target is applied and banded
    explanation: str
    advise: Callable[[dict[str, float], tuple | None], list[str]]  # (x per failing part, full range)
    geometry: list[dict] = field(default_factory=list)  # see ItemResult


def _range_text(full, unit) -> str:
    lo, hi = full
    unit = unit if unit == "°" else f" {unit}"
    if lo is None:
        return f"≤ {_num(hi)}{unit}"
    return f"{_num(lo)}–{_num(hi)}{unit}" if hi is not None else f"≥ {_num(lo)}{unit}"


def _amount(v: float, unit: str) -> str:
    """A correction for the advice: whole degrees or tenths of a cm, with more digits rather than "0"."""
    digits = 0 if unit == "°" else 1
    while digits < 3 and round(v, digits) == 0:
        digits += 1
    return f"{v:.{digits}f}" + (unit if unit == "°" else f" {unit}")


def _shape(kind: str, label: str, *points) -> dict:
    return {"kind": kind, "points": [[float(p[0]), float(p[1])] for p in points], "label": label}


def _vertical_foot(origin, towards) -> tuple[float, float]:
    """A point straight below/above `origin`, as far as the larger extent of the line to `towards`
    (never 0, so a horizontal line still has an angle) and on its side: the angle between the line
    and origin-foot is then the folded 0-90 angle with the vertical that the rule measures."""
    length = max(abs(towards[0] - origin[0]), abs(towards[1] - origin[1]), 1.0)
    return (origin[0], origin[1] + (length if towards[1] >= origin[1] else -length))


def _point_present(ctx: Context, refs, pts, target) -> Measured:
    ref, p = refs[0], pts[0]
    present = p is not None
    where = f" at ({p[0]:.1f}, {p[1]:.1f})" if present else " not present in the image"
    return Measured("present" if present else "absent", {"": 1.0 if present else 0.0}, f"{ctx.name(ref)}{where}",
                    lambda xs, full: [f"include the {POINT_NAMES[ctx.view][ref]} in the field of view"])


def _lower_edge_distance(ctx: Context, refs, pts, target) -> Measured:
    p, d = pts[0], ctx.edges(pts[0])["bottom"]
    name = ctx.name(refs[0])

    def advise(xs, full):
        lo, hi = full
        if lo is not None and d < lo:
            return [f"include more of the distal forearm: the {name} is only {d:.1f} cm from the lower edge "
                    f"(target {_range_text(full, 'cm')}); move the field about {_amount(lo - d, 'cm')} down"]
        return [f"the {name} is {d:.1f} cm from the lower edge (target {_range_text(full, 'cm')}); "
                f"move the field about {_amount(d - hi, 'cm')} up"]

    edge = _shape("line", f"{ctx.short(refs[0])} {d:.2f} cm to lower edge", p, (p[0], ctx.rows - 0.5))
    return Measured(d, {"": d}, f"distance from the {name} to the lower image edge: D = {d:.2f} cm", advise,
                    [edge])


def _angle_to_vertical(ctx: Context, refs, pts, target) -> Measured:
    alpha = geometry.angle_to_vertical_deg(pts[0], pts[1], ctx.spacing)
    line = f"line {ctx.name(refs[0])} – {ctx.name(refs[1])}"

    def advise(xs, full):
        tilt = xs[""]
        if target == 90:
            turn, aim = geometry.turn_to_horizontal(pts[0], pts[1], ctx.spacing), "horizontal"
        elif not target:
            turn, aim = geometry.turn_to_vertical(pts[0], pts[1], ctx.spacing), "vertical"
        else:
            turn, aim = "", f"{_num(target)}° to the vertical"
        how = f" {turn} (as seen on the image)" if turn else ""
        return [f"rotate the forearm in the image plane about {_amount(tilt, '°')}{how} so the {line} is {aim} "
                f"(now {tilt:.1f}° off; full points at {_range_text(full, '°')})"]

    angle = _shape("angle_to_vertical", f"{ctx.short(refs[0])}-{ctx.short(refs[1])} {alpha:.1f}° to vertical",
                   pts[1], pts[0], _vertical_foot(pts[0], pts[1]))
    return Measured(alpha, {"": alpha}, f"angle between the {line} and the image vertical axis: "
                                        f"{alpha:.2f}°{ctx.space_note()}", advise, [angle])


def _centring_offsets(ctx: Context, refs, pts, target) -> Measured:
    e = ctx.edges(pts[0])
    name = ctx.name(refs[0])
    offsets = {"vertical": abs(e["top"] - e["bottom"]), "horizontal": abs(e["left"] - e["right"])}
    moves = {"vertical": "up" if e["top"] < e["bottom"] else "down",
             "horizontal": "left" if e["left"] < e["right"] else "right"}

    def advise(xs, full):
        return [f"move the field about {_amount(xs[part] / 2, 'cm')} {moves[part]} so the {name} is centred "
                f"{'vertically' if part == 'vertical' else 'horizontally'} (|difference of the edge distances| "
                f"= {xs[part]:.1f} cm; full points at {_range_text(full, 'cm')})" for part in xs]

    return Measured(offsets, dict(offsets),
                    f"{name}: Δ1 = |top − bottom| = {offsets['vertical']:.2f} cm, "
                    f"Δ2 = |left − right| = {offsets['horizontal']:.2f} cm", advise)


def _side_edge_distances(ctx: Context, refs, pts, target) -> Measured:
    nearest = {}
    for ref, p in zip(refs, pts):
        e = ctx.edges(p)
        nearest[ref] = min(("left", e["left"]), ("right", e["right"]), key=lambda s: s[1])
    dists = {ref: d for ref, (_, d) in nearest.items()}

    def advise(xs, full):
        lo, hi = full
        out = []
        for ref, d in xs.items():
            side, name = nearest[ref][0], POINT_NAMES[ctx.view][ref]
            if lo is not None and d < lo:
                out.append(f"leave about {_amount(lo - d, 'cm')} more room between the {name} and the {side} edge "
                           f"(now {d:.1f} cm; target {_range_text(full, 'cm')})")
            else:
                out.append(f"collimate about {_amount(d - hi, 'cm')} tighter on the {side} side of the {name} "
                           f"(now {d:.1f} cm from the edge; target {_range_text(full, 'cm')})")
        return out

    text = ", ".join(f"{ctx.name(ref)} {d:.2f} cm from the {side} edge" for ref, (side, d) in nearest.items())
    edge_x = {"left": -0.5, "right": ctx.cols - 0.5}
    lines = [_shape("line", f"{ctx.short(ref)} {d:.2f} cm to {side} edge", p, (edge_x[side], p[1]))
             for (ref, (side, d)), p in zip(nearest.items(), pts)]
    return Measured(dists, dict(dists), f"distance to the nearest side edge: {text}", advise, lines)


def _vertex_angle(ctx: Context, refs, pts, target) -> Measured:
    alpha = geometry.vertex_angle_deg(pts[0], pts[1], pts[2], ctx.spacing)
    a, v, b = (POINT_NAMES[ctx.view][r].removesuffix(" centre") for r in refs)

    def advise(xs, full):
        return [f"adjust the forearm rotation towards a true lateral so the {a} and {b} superimpose: the "
                f"angle at the {v} centre is {alpha:.0f}° (full points at {_range_text(full, '°')}, "
                f"about {_amount(alpha - full[1], '°')} less)"]

    angle = _shape("angle", f"{'-'.join(ctx.short(r) for r in refs)} {alpha:.1f}°", *pts)
    return Measured(alpha, {"": alpha}, f"angle {ctx.name(refs[0])} – {ctx.name(refs[1])} – {ctx.name(refs[2])}: "
                                        f"α = {alpha:.2f}°{ctx.space_note()}", advise, [angle])


# name -> (function(ctx, refs, points, target), number of point references, unit, needs every point)
MEASURES = {
    "point_present": (_point_present, 1, None, False),
    "lower_edge_distance_cm": (_lower_edge_distance, 1, "cm", True),
    "angle_to_vertical_deg": (_angle_to_vertical, 2, "deg", True),
    "centring_offsets_cm": (_centring_offsets, 1, "cm", True),
    "side_edge_distances_cm": (_side_edge_distances, 2, "cm", True),
    "vertex_angle_deg": (_vertex_angle, 3, "deg", True),
}
TWO_PART = {"centring_offsets_cm": 2, "side_edge_distances_cm": 2}


# ---------------------------------------------------------------- tasks

def _resolve(ref, keypoints: Keypoints):
    ids = [ref] if isinstance(ref, str) else list(ref)
    xys = [keypoints.xy(pid) for pid in ids]
    return None if any(p is None for p in xys) else geometry.midpoint(*xys)


def _missing(task_id, task, refs, keypoints, fail_ratings) -> ItemResult | None:
    ids = [pid for ref in refs for pid in ([ref] if isinstance(ref, str) else ref)]
    missing = [pid for pid in dict.fromkeys(ids) if keypoints.xy(pid) is None]
    if not missing:
        return None
    names = ", ".join(f"{pid} ({POINT_NAMES[keypoints.view][pid]})" for pid in missing)
    return _scored(task_id, task, None, 0, None, fail_ratings,
                   f"keypoint {names} missing, so this cannot be measured",
                   f"mark {names}, or include it in the field of view")


def _scored(task_id, task, value, score, band, fail_ratings, explanation, advice, geometry=()) -> ItemResult:
    rating = rating_for(score, task["rating"])
    unit = MEASURES[task["measure"]][2]
    return ItemResult(task_id, task["label"], value, unit if value is not None else None, score, task["max"],
                      rating, rating not in fail_ratings, True, band, explanation, advice, list(geometry))


def _rounded(value, decimals):
    if isinstance(value, dict):
        return {k: round(v, decimals) for k, v in value.items()}
    return round(value, decimals) if isinstance(value, float) else value


def evaluate_task(task_id: str, task: dict, keypoints: Keypoints, ctx: Context, profile: dict) -> ItemResult:
    """Score one layout task of the profile."""
    measure, _, unit, needs_all = MEASURES[task["measure"]]
    fail_ratings = profile["fail_ratings"]
    if unit == "cm" and ctx.spacing is None:
        return not_assessable(task_id, task["label"], task["max"],
                              "not assessable: no pixel spacing, so distances in cm cannot be measured")
    refs = task["points"]
    if needs_all and (missing := _missing(task_id, task, refs, keypoints, fail_ratings)):
        return missing
    try:
        measured = measure(ctx, refs, [_resolve(r, keypoints) for r in refs], task["target"])
    except ValueError as exc:  # coincident points: the angle has no defined value
        return _scored(task_id, task, None, 0, None, fail_ratings, f"cannot be measured: {exc}",
                       "check the keypoints: two of them coincide")
    decimals = profile["measurement_decimals"]
    target = task["target"]
    xs = {part: round(abs(v - target) if target is not None else v, decimals) for part, v in measured.x.items()}
    part_max = task["max"] // len(xs)
    scores, texts = {}, []
    for part, x in xs.items():
        scores[part], band = band_score(task["bands"], x)
        texts.append((f"{part}: " if part else "") + band_text(band, task["symbol"], scores[part]))
    score = sum(scores.values())
    short = {part: x for part, x in xs.items() if scores[part] < part_max}
    full = full_range(task["bands"], part_max)
    advice = "; ".join(measured.advise(short, full)) if short and full else None
    return _scored(task_id, task, _rounded(measured.value, decimals), score, "; ".join(texts), fail_ratings,
                   measured.explanation, advice, measured.geometry)


def layout_items(keypoints: Keypoints, rows: int, cols: int, spacing: Spacing | None,
                 profile: dict) -> list[ItemResult]:
    """The layout tasks of the keypoints' view, in profile order."""
    ctx = Context(rows, cols, spacing, keypoints.view)
    tasks = profile["layout"][keypoints.view]
    return [evaluate_task(tid, task, keypoints, ctx, profile) for tid, task in tasks.items()]


# ---------------------------------------------------------------- profile checks

def _band_problems(key: str, band, part_max: int) -> list[tuple[str, str]]:
    if not isinstance(band, dict):
        return [(key, "a band must be an object")]
    missing, unknown = BAND_KEYS - set(band), set(band) - BAND_KEYS - {"text"}
    if missing or unknown:
        return [(key, f"missing keys {sorted(missing)}" if missing else f"unknown keys {sorted(unknown)}")]
    for edge in ("lo", "hi"):
        if band[edge] is not None and not _is_number(band[edge]):
            return [(f"{key}.{edge}", "must be a number or null")]
        if not isinstance(band[f"{edge}_incl"], bool):
            return [(f"{key}.{edge}_incl", "must be true or false")]
    if band["lo"] is not None and band["hi"] is not None and band["lo"] > band["hi"]:
        return [(key, "lo is above hi")]
    score = band["score"]
    if isinstance(score, dict):
        return _formula_problems(f"{key}.score", score, band, part_max)
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= part_max:
        return [(f"{key}.score", f"must be a whole number of points 0..{part_max}")]
    return []


def _formula_problems(key: str, score: dict, band: dict, part_max: int) -> list[tuple[str, str]]:
    if set(score) != {"formula", "a", "b", "c", "d"}:
        return [(key, "a formula needs exactly the keys formula, a, b, c, d")]
    if score["formula"] not in FORMULAS:
        return [(f"{key}.formula", f"must be one of {list(FORMULAS)}")]
    if not all(_is_number(score[k]) for k in "abcd") or score["d"] == 0 or not isinstance(score["c"], int):
        return [(key, "a, b, d must be numbers (d not 0) and c a whole number")]
    if band["lo"] is None or band["hi"] is None:
        return [(key, "a formula band needs finite lo and hi")]
    ends = [math.floor(FORMULAS[score["formula"]](band[e], score)) + score["c"] for e in ("lo", "hi")]
    if min(ends) < 0 or max(ends) > part_max:
        return [(key, f"gives {min(ends)}..{max(ends)} points over the band, outside 0..{part_max}")]
    return []


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _rating_problems(key: str, table, top: int) -> list[tuple[str, str]]:
    if not isinstance(table, dict) or not all(
            isinstance(r, list) and (r == [] or (len(r) == 2 and all(isinstance(v, int) for v in r)))
            for r in table.values()):
        return [(key, "must map rating names to [lowest, highest] score or []")]
    for score in range(top + 1):
        hits = [name for name, r in table.items() if r and r[0] <= score <= r[1]]
        if len(hits) != 1:
            return [(key, f"score {score} falls in {len(hits)} ratings {hits}; it must fall in exactly one")]
    return []


def _ref_problems(key: str, refs, view: str, arity: int) -> list[tuple[str, str]]:
    def valid(ref) -> bool:
        ids = [ref] if isinstance(ref, str) else ref
        return isinstance(ids, list) and bool(ids) and all(isinstance(p, str) and p in POINT_NAMES[view] for p in ids)

    if not isinstance(refs, list) or len(refs) != arity or not all(valid(r) for r in refs):
        return [(key, f"needs {arity} point reference(s): ids of the {view} view "
                      f"({', '.join(POINT_NAMES[view])}) or lists of them (their midpoint)")]
    return []


def _task_problems(key: str, task: dict, view: str) -> list[tuple[str, str]]:
    if task["measure"] not in MEASURES:
        return [(f"{key}.measure", f"unknown measure; known: {', '.join(MEASURES)}")]
    parts = TWO_PART.get(task["measure"], 1)
    if not isinstance(task["max"], int) or task["max"] <= 0 or task["max"] % parts:
        return [(f"{key}.max", f"must be a positive whole number divisible by {parts}")]
    part_max = task["max"] // parts
    problems = _ref_problems(f"{key}.points", task["points"], view, MEASURES[task["measure"]][1])
    for i, band in enumerate(task["bands"]):
        problems += _band_problems(f"{key}.bands[{i}]", band, part_max)
    if not problems and full_range(task["bands"], part_max) is None:
        problems.append((f"{key}.bands", f"no band gives full points ({part_max})"))
    return problems + _rating_problems(f"{key}.rating", task["rating"], task["max"])


def profile_problems(profile: dict) -> list[tuple[str, str]]:
    """(key, reason) for every inconsistency of a wrist profile; empty when it can be used."""
    problems = []
    if profile["grade_basis"] not in GRADE_BASES:
        problems.append(("grade_basis", f"must be one of {list(GRADE_BASES)}"))
    if not all(_is_number(v) for v in profile["grade_thresholds"].values()):
        problems.append(("grade_thresholds", "thresholds must be numbers"))
    if not all(isinstance(r, str) for r in profile["fail_ratings"]):
        problems.append(("fail_ratings", "must be a list of rating names"))
    if not isinstance(profile["measurement_decimals"], int) or not 0 <= profile["measurement_decimals"] <= 12:
        problems.append(("measurement_decimals", "must be a whole number 0..12"))
    for view in POINT_NAMES:
        for tid, task in profile["layout"][view].items():
            problems += _task_problems(f"layout.{view}.{tid}", task, view)
    return problems

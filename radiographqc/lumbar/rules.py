"""LumbarQC: the source's quantitative rules on a segmentation, plus three interpretations.

Pure: the same masks, image and profile give the same result, so a reviewer's corrected
segmentation re-runs exactly. Every threshold comes from the profile (lumbar-default.json).

Interpretations (the source is not explicit):
- vertebra count: the expected bodies are `expected` levels ending at `bottom` (T11-L5). With
  levels identified, a count of 7 at the wrong levels (T10-L4) fails too: the field is shifted.
- presence rules: "segmented" = area of the structure at least `min_area_fraction` of the image.
- L3 double contour: only double-contour pixels inside the L3 body count.
- Scottie dog: a line x = a*y + b is fitted through the centres of the inferior articular
  processes, weighted by their areas so that small fragments count little (through the row means
  of the mask when the processes form one part); its mean column over those centres (which the
  area weighting makes the processes' mean pixel column) is taken as a fraction of the spine's
  left-right extent, measured from the side of the posterior elements (the nearer edge) so that
  left and right obliques compare alike. Smaller means more rotation.
- pedicles centred: in each body the pedicle pixels inside it are the dog's eye (at 45 degrees
  the far pedicle projects mostly outside the body); their centre as a fraction of the body's
  width, averaged over the bodies.
- exposure: the image is normalised (profile percentiles -> 0..1, bone bright); bone detail =
  p95 - p5 inside the bodies, bone contrast = median inside the bodies - median in the disc
  spaces between consecutive bodies (the soft tissue next to the bone that every view shows
  clear of other bone).
- verdict: qualified when every assessable rule passed and no required rule (the source's rules)
  is unassessable; the interpretation rules count when assessable but do not block otherwise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

from .labels import LEVELS, STRUCTURES, VIEWS, level_span
from .masks import LumbarMasks
from .vertebrae import Identification, Vertebra, body_regions, bounding_box, identify, window

RULE_LABELS = {
    "vertebra_count": "vertebra count",
    "spinous_centred": "spinous processes centred",
    "l3_double_contour": "no L3 double contour",
    "scottie_dog": "Scottie dog visible",
    "pelvis_present": "pelvis present",
    "foramina_present": "intervertebral foramina present",
    "sacrum_present": "sacrum present",
    "exposure_spread": "exposure: bone detail",
    "exposure_contrast": "exposure: bone against soft tissue",
    "pedicles_centred": "pedicles centred",
}
PRESENCE_ADVICE = {
    "pelvis": "extend the field down to include the pelvis (iliac crests and sacroiliac joints)",
    "sacrum": "extend the field down to include the sacrum (to S2)",
    "foramina": "make the view truly lateral (superimpose the posterior borders of the bodies) "
                "so that the intervertebral foramina open",
}


@dataclass
class RuleResult:
    id: str
    label: str
    value: float | int | None
    threshold: dict
    passed: bool | None          # None = not assessable
    structures: list[str]
    explanation: str
    advice: str | None
    # how it was measured, to draw: [{"kind": "line" | "point", "points": [[x, y], ...], "label"}]
    geometry: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LumbarResult:
    view: str
    qualified: bool
    summary: str
    rules: list[RuleResult]
    vertebrae: list[Vertebra]
    identification: Identification
    shape: tuple[int, int]
    profile_name: str
    profile_version: str
    spacing: object = None

    def to_dict(self) -> dict:
        return {"module": "lumbar", "view": self.view, "qualified": self.qualified,
                "summary": self.summary, "rules": [r.to_dict() for r in self.rules],
                "vertebrae": [v.to_dict(self.spacing) for v in self.vertebrae],
                "identification": self.identification.to_dict(),
                "profile": {"name": self.profile_name, "version": self.profile_version}}

    def instance_image(self) -> np.ndarray:
        """Vertebral bodies as used by the rules: id 1.. top to bottom, 0 = background."""
        image = np.zeros(self.shape, np.uint8)
        for i, v in enumerate(self.vertebrae, start=1):
            image[v.mask] = i
        return image


class LumbarImage:
    """The radiograph as the rules read it, made once per image and passed to every
    `evaluate_lumbar` of that image: a reviewer's edit re-runs the rules on new masks, and the
    image-only work (the exposure rules' normalisation of the whole image) is then done once.
    It keeps the pixels it is given, which must not change while it is in use."""

    def __init__(self, pixels):
        self.pixels = np.asarray(pixels, np.float32)
        self._normalised = {}

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape

    def normalised(self, low_percentile, high_percentile) -> np.ndarray:
        """The image with these percentiles mapped to 0..1 (kept per pair: a profile may change)."""
        from ..models import normalise_intensity

        key = (low_percentile, high_percentile)
        if key not in self._normalised:
            image = normalise_intensity(self.pixels, low_percentile, high_percentile)
            image.flags.writeable = False      # shared by the later runs
            self._normalised[key] = image
        return self._normalised[key]


@dataclass
class _Context:
    masks: LumbarMasks
    image: LumbarImage | None
    vertebrae: list[Vertebra]
    provided: bool               # a vertebral-body segmentation was given (maybe empty)
    profile: dict
    side: str | None = None      # side of the posterior elements (oblique), set by scottie_dog

    @cached_property
    def extent(self) -> tuple[int, int, int, int]:
        """(x_min, y_min, x_max, y_max) of the vertebral bodies together (some bodies needed)."""
        boxes = np.array([v.bbox for v in self.vertebrae])
        return (int(boxes[:, 0].min()), int(boxes[:, 1].min()),
                int(boxes[:, 2].max()), int(boxes[:, 3].max()))

    @cached_property
    def box(self) -> tuple[slice, slice]:
        """The bodies' bounding box: the rules on the bodies read the image and masks only there."""
        return window(self.extent)

    @cached_property
    def spine(self) -> np.ndarray:
        """The vertebral bodies together, within `box`, built from each body's own box."""
        x0, y0 = self.extent[:2]
        spine = np.zeros((self.extent[3] - y0 + 1, self.extent[2] - x0 + 1), bool)
        for v in self.vertebrae:
            spine[window(v.bbox, (x0, y0))] |= v.mask[window(v.bbox)]
        return spine


def load_lumbar_profile(path=None) -> dict:
    """The lumbar criteria profile (default, or a department file merged over it), checked."""
    from ..profile import load_profile

    return load_profile("lumbar", path)


def profile_problems(profile: dict) -> list[tuple[str, str]]:
    """(key, reason) for every inconsistency of a lumbar profile; empty when it can be used."""
    problems = []
    for view, entry in profile["views"].items():
        if view not in VIEWS:
            problems.append((f"views.{view}", f"unknown view; expected one of {list(VIEWS)}"))
        unknown = [r for r in entry["rules"] if r not in RULES]
        if unknown:
            problems.append((f"views.{view}.rules", f"unknown rules {unknown}"))
        if not set(entry["required"]) <= set(entry["rules"]):
            problems.append((f"views.{view}.required", "must be a subset of its rules"))
    for rule_id, cfg in profile["rules"].items():
        lo, hi = cfg.get("lo"), cfg.get("hi")
        if lo is not None and hi is not None and lo > hi:
            problems.append((f"rules.{rule_id}", f"lo {lo} is above hi {hi}"))
        if "structure" in cfg and cfg["structure"] not in STRUCTURES:
            problems.append((f"rules.{rule_id}.structure", f"unknown structure {cfg['structure']!r}"))
    count = profile["rules"]["vertebra_count"]
    if count["bottom"] not in LEVELS or not 1 <= count["expected"] <= LEVELS.index(count["bottom"]) + 1:
        problems.append(("rules.vertebra_count", "bottom must be a level T1..L5 with at least "
                                                 "'expected' levels above and including it"))
    return problems


def evaluate_lumbar(masks: LumbarMasks, image: np.ndarray | LumbarImage | None = None,
                    profile: dict | None = None, spacing=None) -> LumbarResult:
    """Run the rules of the masks' view; `image` (bone bright, masks' shape) for the exposure rules,
    as pixels or as the LumbarImage that the runs on one image share."""
    profile = profile if profile is not None else load_lumbar_profile()
    if image is not None and not isinstance(image, LumbarImage):
        image = LumbarImage(image)
    if image is not None and image.shape != masks.shape:
        raise ValueError(f"image shape {image.shape} differs from the masks' {masks.shape}")
    regions, partial = body_regions(masks, profile["vertebrae"])
    anchors = {name: profile["rules"][f"{name}_present"]["min_area_fraction"]
               for name in ("sacrum", "pelvis")}
    vertebrae, identification = identify(regions, masks, anchors, partial)
    ctx = _Context(masks, image, vertebrae, regions is not None, profile)
    view = profile["views"][masks.view]
    # the Scottie-dog rule finds the posterior-element side that the pedicle rule reads
    order = sorted(view["rules"], key=lambda r: r != "scottie_dog")
    done = {rule_id: RULES[rule_id](ctx, profile["rules"][rule_id]) for rule_id in order}
    rules = [done[rule_id] for rule_id in view["rules"]]
    qualified, summary = _verdict(rules, view["required"])
    return LumbarResult(masks.view, qualified, summary, rules, vertebrae, identification,
                        masks.shape, profile["name"], profile["version"], spacing)


def _verdict(rules, required) -> tuple[bool, str]:
    failed = [r.label for r in rules if r.passed is False]
    blocked = [r.label for r in rules if r.passed is None and r.id in required]
    qualified = not failed and not blocked
    if qualified:
        return True, "qualified: every assessable rule passed"
    parts = ([f"failed: {', '.join(failed)}"] if failed else []) + \
            ([f"not assessable: {', '.join(blocked)}"] if blocked else [])
    return False, "unqualified; " + "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# result helpers

def _result(rule_id, value, threshold, passed, structures, explanation, advice=None, geometry=()):
    return RuleResult(rule_id, RULE_LABELS[rule_id], value, threshold, passed, list(structures),
                      explanation, None if passed else advice, list(geometry))


def _line(label, *points):
    return {"kind": "line", "label": label,
            "points": [[round(float(x), 2), round(float(y), 2)] for x, y in points]}


def _spine_edges(ctx, left, right):
    """The spine's left and right edges (the width the centring fractions refer to), drawn over
    the rows of the vertebral bodies."""
    top, bottom = ctx.extent[1], ctx.extent[3]
    return [_line("spine left edge", (left, top), (left, bottom)),
            _line("spine right edge", (right, top), (right, bottom))]


def _range(cfg) -> dict:
    return {"lo": cfg["lo"], "hi": cfg["hi"]}


def _within(ctx, value, lo, hi):
    """(value rounded to the profile's decimals, lo <= value <= hi with None = unbounded)."""
    value = round(float(value), ctx.profile["measurement_decimals"])
    return value, (lo is None or value >= lo) and (hi is None or value <= hi)


def _missing(ctx, names) -> str | None:
    """Why the rule cannot run when a structure it needs is not given (None when all are)."""
    if "vertebrae" in names:
        if not ctx.provided:
            return "no vertebral-body segmentation given"
        if not ctx.vertebrae:
            return "no vertebral body found in the segmentation"
    for name in names:
        if name != "vertebrae" and ctx.masks.structure(name) is None:
            return f"no {STRUCTURES[name].display} segmentation given"
    return None


def _parts(mask, min_px):
    """Connected parts of `mask` with at least min_px pixels, each as (rows, cols), in the order
    of their first pixel (labelled within the mask's bounding box, where all of them lie)."""
    from scipy.ndimage import find_objects
    from skimage.measure import label

    if not mask.any():
        return []
    x0, y0, _, _ = extent = bounding_box(mask)
    ids = label(mask[window(extent)], connectivity=2)
    parts = []
    for i, (rows, cols) in enumerate(find_objects(ids), start=1):
        r, c = np.nonzero(ids[rows, cols] == i)
        parts.append((r + (y0 + rows.start), c + (x0 + cols.start)))
    return [p for p in parts if p[0].size >= min_px]


def _fraction(x, vertebra):
    """Column x as a fraction of the vertebra's left-right extent (None for a one-column body)."""
    left, right = vertebra.bbox[0], vertebra.bbox[2]
    return (x - left) / (right - left) if right > left else None


# ---------------------------------------------------------------------------------------------
# rules

def vertebra_count(ctx, cfg):
    expected, bottom = cfg["expected"], cfg["bottom"]
    top = LEVELS[LEVELS.index(bottom) - expected + 1]
    threshold = {"equals": expected, "levels": level_span(top, bottom)}
    if not ctx.provided:
        return _result("vertebra_count", None, threshold, None, ["vertebrae"],
                       "no vertebral-body segmentation given")
    n = len(ctx.vertebrae)
    labels = [v.label for v in ctx.vertebrae]
    if n and labels[0] and labels[-1]:
        shown = f"{level_span(labels[0], labels[-1])} visible: {n} vertebrae"
        advice = _coverage_advice(labels[0], labels[-1], top, bottom)
    else:
        shown = f"{n} vertebrae visible (levels unknown)"
        advice = [] if n == expected else [
            f"collimate to {level_span(top, bottom)}" if n > expected else
            f"field too short: include {level_span(top, bottom)}, down to the sacrum"]
    passed = n == expected and not advice
    explanation = f"{shown}, expected {expected} ({level_span(top, bottom)})"
    return _result("vertebra_count", n, threshold, passed, ["vertebrae"], explanation,
                   "; ".join(advice) or "the expected levels are not the ones in the field")


def _coverage_advice(first, last, top, bottom) -> list[str]:
    """What to change so that the field runs from `top` to `bottom` (empty when it does)."""
    above = LEVELS.index(top) - LEVELS.index(first)     # > 0: levels above `top` in the field
    below = LEVELS.index(last) - LEVELS.index(bottom)   # < 0: field ends above `bottom`
    advice = []
    if above > 0:
        advice.append(f"field too long: collimate from {top}")
    elif above < 0:
        advice.append(f"field too short at the top: include up to {top}")
    if below < 0:
        advice.append("field too short: include down to the sacrum" if bottom == "L5"
                      else f"field too short: include down to {bottom}")
    elif below > 0:
        advice.append(f"field too long: collimate to {bottom}")
    return advice


def spinous_centred(ctx, cfg):
    names = ["vertebrae", "spinous_processes"]
    why = _missing(ctx, names)
    parts = [] if why else _parts(ctx.masks.structure("spinous_processes"), ctx.profile["min_fragment_px"])
    if not why and not parts:
        why = "no spinous process found in the segmentation"
    if not why and ctx.extent[2] == ctx.extent[0]:
        why = "the vertebral bodies have no left-right extent"
    if why:
        return _result("spinous_centred", None, _range(cfg), None, names, why)
    left, right = ctx.extent[0], ctx.extent[2]
    centre = float(np.mean([c.mean() for _, c in parts]))
    value, passed = _within(ctx, (centre - left) / (right - left), cfg["lo"], cfg["hi"])
    explanation = (f"mean centre of {len(parts)} spinous processes at {value:.3f} of the spine's "
                   f"width (columns {left}-{right})")
    side = "left" if value < 0.5 else "right"
    advice = (f"rotation: the spinous processes project towards the image {side}, so the side of "
              f"the patient shown on the image {side} is raised - lower it until the spinous "
              "processes lie in the midline")
    rows = np.concatenate([r for r, _ in parts])
    geometry = _spine_edges(ctx, left, right) + [
        _line(f"spinous processes {value:.2f}", (centre, rows.min()), (centre, rows.max()))]
    return _result("spinous_centred", value, _range(cfg), passed, names, explanation, advice, geometry)


def _l3_mask(ctx):
    """(L3 mask, where it came from) or (None, why not)."""
    given = ctx.masks.structure("L3")
    if given is not None and given.any():
        return given, "L3 mask"
    by_level = [v for v in ctx.vertebrae if v.label == "L3"]
    if by_level:
        return by_level[0].mask, "vertebra identified as L3"
    return None, "L3 not identified (no L3 mask and the levels are unknown or exclude L3)"


def l3_double_contour(ctx, cfg):
    names = ["L3", "L3_double_contour"]
    double = ctx.masks.structure("L3_double_contour")
    l3, source = _l3_mask(ctx)
    if double is None:
        return _result("l3_double_contour", None, _range(cfg), None, names,
                       "no L3 double contour segmentation given")
    if l3 is None:
        return _result("l3_double_contour", None, _range(cfg), None, names, source)
    area_dc, area_l3 = np.count_nonzero(double & l3), np.count_nonzero(l3)
    value, passed = _within(ctx, area_dc / area_l3, cfg["lo"], cfg["hi"])
    explanation = (f"double contour {area_dc} px of L3 {area_l3} px ({source}): ratio {value:.4f}")
    advice = ("the L3 endplates project twice: centre the beam on L3 and correct the patient's "
              "tilt (AP) or lateral bending (lateral) so the beam runs along the endplates")
    return _result("l3_double_contour", value, _range(cfg), passed, names, explanation, advice)


def scottie_dog(ctx, cfg):
    names = ["vertebrae", "inferior_articular_processes"]
    why = _missing(ctx, names)
    line = None if why else _iap_line(ctx)
    if not why and line is None:
        why = "fewer than two rows of inferior articular processes found: no line to fit"
    if not why and ctx.extent[2] == ctx.extent[0]:
        why = "the vertebral bodies have no left-right extent"
    if why:
        return _result("scottie_dog", None, _range(cfg), None, names, why)
    slope, intercept, ys, weights = line
    line_x = float(np.average(slope * ys + intercept, weights=weights))
    left, right = ctx.extent[0], ctx.extent[2]
    raw = (line_x - left) / (right - left)
    ctx.side = "left" if raw <= 0.5 else "right"
    value, passed = _within(ctx, min(raw, 1.0 - raw), cfg["lo"], cfg["hi"])
    explanation = (f"line of the inferior articular processes ({len(ys)} points, "
                   f"{np.degrees(np.arctan(slope)):.1f} deg from vertical) at {value:.3f} of the "
                   f"spine's width from the posterior elements' side (image {ctx.side})")
    advice = ("rotate the patient less (towards AP)" if value < cfg["lo"] else
              "rotate the patient more (towards lateral)")
    y0, y1 = float(ys.min()), float(ys.max())
    geometry = _spine_edges(ctx, left, right) + [
        _line(f"inferior articular processes {value:.3f}", (slope * y0 + intercept, y0),
              (slope * y1 + intercept, y1))]
    return _result("scottie_dog", value, _range(cfg), passed, names, explanation, advice, geometry)


def _iap_line(ctx):
    """(slope, intercept, ys, weights) of x = slope*y + intercept fitted through the centres of
    the inferior articular processes weighted by their area, or None."""
    parts = _parts(ctx.masks.structure("inferior_articular_processes"), ctx.profile["min_fragment_px"])
    if len(parts) >= 2:
        ys = np.array([r.mean() for r, _ in parts])
        xs = np.array([c.mean() for _, c in parts])
        weights = np.array([r.size for r, _ in parts], float)
    elif parts:
        rows, cols = parts[0]
        ys = np.unique(rows).astype(float)
        xs = np.array([cols[rows == y].mean() for y in ys])
        weights = np.array([(rows == y).sum() for y in ys], float)
    else:
        return None
    if np.ptp(ys) == 0:
        return None
    # np.polyfit weights multiply the residuals: sqrt(area) gives an area-weighted least squares
    slope, intercept = np.polyfit(ys, xs, 1, w=np.sqrt(weights))
    return slope, intercept, ys, weights


def pedicles_centred(ctx, cfg):
    names = ["vertebrae", "pedicles"]
    why = _missing(ctx, names)
    found = [] if why else _eyes(ctx)
    if not why and not found:
        why = "no pedicle found inside a vertebral body"
    if why:
        return _result("pedicles_centred", None, _range(cfg), None, names, why)
    raw = float(np.mean([f for _, f in found]))
    from_right = ctx.side == "right"
    value, passed = _within(ctx, 1.0 - raw if from_right else raw, cfg["lo"], cfg["hi"])
    basis = (f"from the posterior elements' side (image {ctx.side})" if ctx.side
             else "from the image left")
    explanation = (f"pedicle centre at {value:.3f} of the body width {basis}, mean over "
                   f"{len(found)} bodies")
    if ctx.side:
        advice = ("rotate the patient less (towards AP)" if value < cfg["lo"] else
                  "rotate the patient more (towards lateral)")
    else:
        advice = (f"the pedicles project towards the image {'left' if value < 0.5 else 'right'} "
                  "of the body centres: adjust the obliquity")
    geometry = [{"kind": "point", "label": f"pedicles {v.label or ''}".strip(),
                 "points": [[round(v.bbox[0] + f * (v.bbox[2] - v.bbox[0]), 2),
                             round(v.centroid[1], 2)]]} for v, f in found]
    return _result("pedicles_centred", value, _range(cfg), passed, names, explanation, advice, geometry)


def _eyes(ctx):
    """(vertebra, fraction of its width) of the centre of the pedicle pixels inside each body."""
    pedicles = ctx.masks.structure("pedicles")
    out = []
    for v in ctx.vertebrae:
        body = window(v.bbox)
        cols = np.nonzero(pedicles[body] & v.mask[body])[1] + v.bbox[0]
        fraction = _fraction(cols.mean(), v) if cols.size >= ctx.profile["min_fragment_px"] else None
        if fraction is not None:
            out.append((v, fraction))
    return out


def _presence(rule_id):
    def rule(ctx, cfg):
        name = cfg["structure"]
        threshold = {"lo": cfg["min_area_fraction"], "hi": None}
        mask = ctx.masks.structure(name)
        if mask is None:
            return _result(rule_id, None, threshold, None, [name],
                           f"no {STRUCTURES[name].display} segmentation given")
        area = np.count_nonzero(mask)
        value, passed = _within(ctx, area / mask.size, cfg["min_area_fraction"], None)
        explanation = (f"{STRUCTURES[name].display}: {area} px = {value:.5f} of the image "
                       f"(minimum {cfg['min_area_fraction']})")
        return _result(rule_id, value, threshold, passed, [name], explanation, PRESENCE_ADVICE[name])
    return rule


def _normalised(ctx):
    """The normalised image within the bodies' box."""
    return ctx.image.normalised(*ctx.profile["exposure_normalise_percentiles"])[ctx.box]


def exposure_spread(ctx, cfg):
    names = ["vertebrae"]
    why = "no image given" if ctx.image is None else _missing(ctx, ["vertebrae"])
    if why:
        return _result("exposure_spread", None, _range(cfg), None, names, why)
    inside = _normalised(ctx)[ctx.spine]
    low, high = np.percentile(inside, cfg["percentiles"])
    value, passed = _within(ctx, high - low, cfg["lo"], cfg["hi"])
    explanation = (f"p{cfg['percentiles'][1]:g} - p{cfg['percentiles'][0]:g} of the normalised "
                   f"intensities inside the vertebral bodies: {value:.3f}")
    advice = ("too little bone detail in the vertebral bodies: check the penetration (kV) and dose "
              "(mAs)" if cfg["lo"] is not None and value < cfg["lo"] else
              "the vertebral bodies are noisy or unevenly exposed: check the dose (mAs)")
    return _result("exposure_spread", value, _range(cfg), passed, names, explanation, advice)


def exposure_contrast(ctx, cfg):
    names = ["vertebrae"]
    why = "no image given" if ctx.image is None else _missing(ctx, names)
    gaps = None if why else _disc_spaces(ctx)
    if not why and not gaps.any():
        why = "no disc space between two vertebral bodies"
    if why:
        return _result("exposure_contrast", None, _range(cfg), None, names, why)
    image = _normalised(ctx)      # gaps lie in the bodies' box too
    bone, soft = float(np.median(image[ctx.spine])), float(np.median(image[gaps]))
    value, passed = _within(ctx, bone - soft, cfg["lo"], cfg["hi"])
    explanation = (f"median normalised intensity: vertebral bodies {bone:.3f}, disc spaces "
                   f"{soft:.3f}; contrast {value:.3f}")
    advice = ("the vertebral bodies barely stand out from the disc spaces: lower the kV or cut "
              "scatter (collimate, grid)")
    return _result("exposure_contrast", value, _range(cfg), passed, names, explanation, advice)


def _disc_spaces(ctx):
    """Pixels between consecutive bodies, within the bodies' box: the convex hull of each pair
    less the bodies and any other segmented structure (the soft tissue next to the bone, seen
    through the same body)."""
    origin = ctx.extent[:2]
    gaps = np.zeros(ctx.spine.shape, bool)
    for upper, lower in zip(ctx.vertebrae, ctx.vertebrae[1:]):
        extent = (min(upper.bbox[0], lower.bbox[0]), upper.bbox[1],
                  max(upper.bbox[2], lower.bbox[2]), max(upper.bbox[3], lower.bbox[3]))
        pair = upper.mask[window(extent)] | lower.mask[window(extent)]
        gaps[window(extent, origin)] |= _convex_hull(pair) & ~pair
    for mask in ctx.masks.structures.values():
        gaps &= ~mask[ctx.box]
    return gaps & ~ctx.spine


def _convex_hull(mask):
    """skimage's convex_hull_image(mask): the pixels whose centre lies in the closed convex hull of
    the midpoints of the mask's pixel edges. Computed row by row, as each row of a convex polygon
    is one run bounded where the polygon's edges cross it: skimage tests every pixel against every
    edge (~40 ms for a pair of bodies of a 2,000 x 2,500 px image). Doubled, every vertex and pixel
    centre is an integer, so the bounds are exact."""
    top, bottom = _hull_edges(mask)
    y = 2 * np.arange(mask.shape[0])[:, None]
    crosses = (top[:, 0] <= y) & (y <= bottom[:, 0])
    rise = bottom[:, 0] - top[:, 0]
    # 2 x rise x the crossing's column, so that the crossing column is x / (2 rise)
    x = top[:, 1] * rise + (y - top[:, 0]) * (bottom[:, 1] - top[:, 1])
    first = np.where(crosses, -(-x // (2 * rise)), mask.shape[1]).min(axis=1)
    last = np.where(crosses, x // (2 * rise), -1).max(axis=1)
    cols = np.arange(mask.shape[1])
    return (cols >= first[:, None]) & (cols <= last[:, None])


def _hull_edges(mask):
    """(upper ends, lower ends) of the edges of the hull of `_convex_hull` that are not level, in
    doubled (row, column) coordinates: a level edge's ends are also ends of the edges beside it."""
    from scipy.spatial import ConvexHull

    rows = np.flatnonzero(mask.any(axis=1))
    ends = np.stack([mask[rows].argmax(axis=1),
                     mask.shape[1] - 1 - mask[rows, ::-1].argmax(axis=1)], axis=1)
    # each row's end pixels: the pixels between them lie inside their hull
    centres = 2 * np.stack([np.repeat(rows, 2), ends.ravel()], axis=1)
    points = np.concatenate([centres + step for step in ((-1, 0), (1, 0), (0, -1), (0, 1))])
    # repeated points can trouble Qhull (as skimage notes); sorted, they are neighbours
    points = points[np.lexsort(points.T)]
    points = points[np.r_[True, np.diff(points, axis=0).any(axis=1)]]
    start = points[ConvexHull(points).vertices]
    end = np.roll(start, -1, axis=0)
    down = (start[:, 0] < end[:, 0])[:, None]
    slanted = start[:, 0] != end[:, 0]
    return np.where(down, start, end)[slanted], np.where(down, end, start)[slanted]

RULES = {
    "vertebra_count": vertebra_count,
    "spinous_centred": spinous_centred,
    "l3_double_contour": l3_double_contour,
    "scottie_dog": scottie_dog,
    "pelvis_present": _presence("pelvis_present"),
    "foramina_present": _presence("foramina_present"),
    "sacrum_present": _presence("sacrum_present"),
    "exposure_spread": exposure_spread,
    "exposure_contrast": exposure_contrast,
    "pedicles_centred": pedicles_centred,
}

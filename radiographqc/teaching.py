"""Teaching mode: positioning controls over the simulator, the live QC of the image they give,
and a "what is wrong?" quiz scored against the exact truth.

Qt-free and trame-free: a browser app calls these functions and only displays their results.

* `controls(body, view)`: one slider per positioning parameter of the simulator, with its range,
  the textbook position and what it does to the picture.
* `render(...)`: the simulated radiograph of a fixed person (the seed) positioned by the slider
  values, as a `Radiograph` with the spacing and header a DICOM of it would give, plus its exact
  truth (wrist keypoints, lumbar masks).
* `score(image)`: the QC of that image on its truth, by the core functions the command line uses
  (`score_wrist`, `evaluate_lumbar`), as a JSON-able dict.
* `make_quiz` / `score_quiz`: an image from the simulator's "mispositioned" preset and the
  marking of a student's answer.

Choices (see also the functions):
- The person (anatomy, size, side, exposure, lead marker) comes from the seed alone: the
  simulator draws the anatomy first and in a fixed number of draws, whatever the positioning, so
  a slider cannot change it; the same seed is the same person in every view of a body.
- Wrist marker and foreign body are taken from the simulator's truth, as the keypoints are: the
  image is scored on what was drawn, not on what a detector finds (the classical marker search
  misses about one simulated letter in ten at 512 px, which would make the score flicker as a
  slider moves; no foreign body is drawn, and no model is needed to know that).
- Wrist AP cannot score full layout marks: AP2 wants the styloid midpoint 3-5 cm above the lower
  edge, AP4 wants it vertically centred, AP1 wants the thumb MCP joint (7-9 cm distal) inside.
  The spec notes the conflict; the ideal here passes every task and gives up AP4's vertical half.
- Centring sliders say where the reference point (wrist AP: styloid midpoint, lateral: scaphoid,
  lumbar: L3) lies in the field, in % of it, as the simulator places it; collimation keeps that
  fraction.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .image import Radiograph

if TYPE_CHECKING:
    from .lumbar import LumbarMasks
    from .wrist.keypoints import Keypoints

BODIES = {"wrist": ("AP", "LAT"), "lumbar": ("AP", "LAT", "OBL")}
NOTHING_WRONG = "NONE"
# Controls whose slider value is a percentage of the field and the simulator's field a fraction.
PERCENT_OF_FIELD = ("target_u", "target_v")
PROBE_LONG_SIDE = 64        # pixels of the low-resolution image that checks a seed's marker
MAX_MARKER_ATTEMPTS = 16


@dataclass(frozen=True)
class Control:
    """One slider: the simulator parameter it sets and what it teaches."""

    name: str            # the WristParams / LumbarParams field it sets
    label: str
    unit: str
    minimum: float
    maximum: float
    step: float
    ideal: float         # the textbook position
    explanation: str     # what it does to the picture and which criteria it affects
    # the criteria this slider alone, at an end of its range, takes points from for every person:
    # a single-part one then fails, a two-part centring task (AP4, AP5, LAT3) loses that part
    criteria: tuple[str, ...] = ()


# ---------------------------------------------------------------- controls
# Ranges, ideals and the criteria named were measured on the simulator (seeds 0-7): each named
# criterion loses its points at one end of the range or both, for every person.

# Wrist AP ideal: the styloids 4 cm inside each side edge (AP5) and 4 cm above the lower edge
# (AP2), with room above for the thumb MCP joint (7-9 cm distal of them, by hand size; AP1).
AP_IDEAL_FIELD_MM = (130.0, 150.0)
AP_IDEAL_TARGET_V = round(100.0 * (1.0 - 40.0 / AP_IDEAL_FIELD_MM[1]))
LAT_IDEAL_FIELD_MM = (130.0, 180.0)

_WRIST_TEXT = {
    ("supination_deg", "AP"): (
        "Turns the forearm about its own axis: far from a true PA the styloid line foreshortens "
        "and tilts away from the horizontal (AP3)."),
    ("supination_deg", "LAT"): (
        "Turns the forearm about its own axis: away from a true lateral the ulna comes out from "
        "behind the radius and the angle at the scaphoid opens (LAT1)."),
    ("inplane_deg", "AP"): (
        "Lines the forearm up with the long side of the image: turned, the styloid line is no "
        "longer horizontal (AP3) and the thumb may swing out of a tight field (AP1)."),
    ("inplane_deg", "LAT"): (
        "Lines the forearm up with the long side of the image: turned, the wrist axis leaves the "
        "image vertical (LAT2)."),
    ("deviation_deg", "AP"): (
        "Tilts the hand towards the thumb (+) or the little finger (-); the forearm and the "
        "styloid line stay put, but radial deviation swings the thumb MCP joint out of a tight "
        "field (AP1)."),
    ("deviation_deg", "LAT"): (
        "Tilts the hand towards the thumb (+) or the little finger (-): the scaphoid moves on the "
        "radius and the angle at it grows a little; no lateral task fails from it alone."),
    ("flexion_deg", "AP"): (
        "Bends the wrist towards the palm (+) or the back of the hand (-): the hand foreshortens; "
        "no PA task fails from it alone."),
    ("flexion_deg", "LAT"): (
        "Bends the wrist towards the palm (+) or the back of the hand (-): the hand swings in the "
        "image; no lateral task fails from it alone."),
    ("target_u", "AP"): (
        "Where the styloid midpoint lies across the field: off the middle it is not centred "
        "(AP4 fails) and one styloid comes too close to its side edge (AP5 loses its points)."),
    ("target_u", "LAT"): (
        "Where the scaphoid lies across the field: off the middle it is not centred across "
        "(LAT3 loses its horizontal half; off along as well, it fails)."),
    ("target_v", "AP"): (
        "Where the styloid midpoint lies along the field (0 % = top): high leaves too much "
        "forearm below it (AP2: D grows) and cuts off the thumb MCP joint (AP1); low cuts off "
        "the forearm (AP2: D shrinks)."),
    ("target_v", "LAT"): (
        "Where the scaphoid lies along the field (0 % = top): off the middle it is not centred "
        "along (LAT3 loses its vertical half); very low, little forearm shaft is left in the "
        "field and the measured wrist axis swings off the vertical (LAT2: β grows)."),
    ("field_w_mm", "AP"): (
        "Collimation across the wrist: the styloids should lie 3-5 cm inside the side edges "
        "(AP5: D grows with the width); too narrow also cuts off the thumb MCP joint (AP1)."),
    ("field_w_mm", "LAT"): (
        "Collimation across the wrist: no lateral task measures the field width."),
    ("field_h_mm", "AP"): (
        "Collimation along the forearm, with the styloid midpoint kept at the same place in the "
        "field: short cuts off the thumb MCP joint (AP1) and leaves too little forearm (AP2: D "
        "shrinks); long leaves too much (AP2: D grows)."),
    ("field_h_mm", "LAT"): (
        "Collimation along the forearm: no lateral task measures the field height."),
}

_WRIST_SLIDERS = (   # name, label, unit, AP range, LAT range, step
    ("supination_deg", "Forearm pronation (-) / supination (+)", "°", (-90, 90), (-90, 90), 1),
    ("inplane_deg", "Forearm turned in the image plane", "°", (-30, 30), (-30, 30), 1),
    ("deviation_deg", "Wrist ulnar (-) / radial (+) deviation", "°", (-30, 30), (-30, 30), 1),
    ("flexion_deg", "Wrist extension (-) / flexion (+)", "°", (-30, 30), (-30, 30), 1),
    ("target_u", "Centring across the field", "% of field", (20, 80), (10, 90), 1),
    ("target_v", "Centring along the field", "% of field", (5, 95), (10, 90), 1),
    ("field_w_mm", "Field width (collimation)", "mm", (60, 240), (60, 240), 5),
    ("field_h_mm", "Field height (collimation)", "mm", (60, 300), (60, 300), 5),
)
_WRIST_IDEAL = {
    "AP": {"target_u": 50.0, "target_v": AP_IDEAL_TARGET_V, "field_w_mm": AP_IDEAL_FIELD_MM[0],
           "field_h_mm": AP_IDEAL_FIELD_MM[1]},
    "LAT": {"target_u": 50.0, "target_v": 50.0, "field_w_mm": LAT_IDEAL_FIELD_MM[0],
            "field_h_mm": LAT_IDEAL_FIELD_MM[1]},
}
_WRIST_CRITERIA = {
    "AP": {"supination_deg": ("AP3",), "inplane_deg": ("AP3",), "deviation_deg": ("AP1",),
           "target_u": ("AP4", "AP5"), "target_v": ("AP1", "AP2"),
           "field_w_mm": ("AP1", "AP5"), "field_h_mm": ("AP1", "AP2")},
    "LAT": {"supination_deg": ("LAT1",), "inplane_deg": ("LAT2",), "target_u": ("LAT3",),
            "target_v": ("LAT2", "LAT3")},
}

_LUMBAR_TEXT = {
    ("rotation_deg", "AP"): (
        "Turns the patient about the long axis: the spinous processes move off the middle of "
        "the spine (spinous processes centred: the position moves away from 0.5)."),
    ("rotation_deg", "LAT"): (
        "Turns the patient about the long axis: the endplates stay edge-on to the beam, so no "
        "rule here fails (the doubled posterior borders of a rotated lateral are not a rule)."),
    ("rotation_deg", "OBL"): (
        "Turns the patient further from (+) or back towards (-) the AP than 45°: the Scottie "
        "dog's front leg moves towards the posterior side (+) or away from it (-) (Scottie dog) "
        "and its eye leaves the middle of the body (pedicles centred)."),
    ("tilt_deg", "AP"): (
        "Tilts the spine head-to-feet against the beam: the L3 endplates are no longer seen "
        "edge-on and show two rims (L3 double contour: the ratio grows)."),
    ("tilt_deg", "LAT"): (
        "In the lateral this turns the spine within the image plane: the endplates stay edge-on "
        "and no rule fails from it alone."),
    ("tilt_deg", "OBL"): (
        "Tilts the oblique spine head-to-feet: the articular processes are seen from another "
        "angle and the Scottie dog's front leg moves; far tilted, the Scottie-dog rule fails for "
        "most patients."),
    ("bend_deg", "AP"): (
        "Bends the spine sideways: in the AP this lies in the image plane; no rule fails from "
        "it alone."),
    ("bend_deg", "LAT"): (
        "Bends the spine sideways: in the lateral the L3 endplates tilt against the beam and "
        "show two rims (L3 double contour: the ratio grows)."),
    ("bend_deg", "OBL"): (
        "Bends the spine sideways: the Scottie dog may change shape, but no rule fails from it "
        "alone for every patient."),
    ("top_gap_mm", None): (
        "Upper field edge, above (+) or below (-) the disc over T11: raised, T10 comes in "
        "(8 vertebrae); lowered, T11 is cut off (6): vertebra count."),
    ("target_u", "AP"): (
        "Where L3 lies across the field: the rules judge the spine against its own width, not "
        "the field's, so nothing fails within this range."),
    ("target_u", "LAT"): (
        "Where L3 lies across the field: far towards one side the lordotic curve carries the "
        "upper and lower levels out of the field (vertebra count)."),
    ("target_u", "OBL"): (
        "Where L3 lies across the field: off the central ray the divergent beam adds to or takes "
        "from the obliquity (Scottie dog)."),
    ("target_v", "AP"): (
        "Where L3 lies along the field (0 % = top). The simulator keeps the upper edge at the "
        "disc over T11 and lengthens or shortens the field below: high (a long field) puts L3 "
        "far from the central ray and the divergent beam shows its endplates twice (L3 double "
        "contour); low (a short field) cuts off L5 and the pelvis (vertebra count, pelvis)."),
    ("target_v", "LAT"): (
        "Where L3 lies along the field (0 % = top). The simulator keeps the upper edge at the "
        "disc over T11 and lengthens or shortens the field below: high (a long field) puts L3 "
        "far from the central ray and the divergent beam shows its endplates twice (L3 double "
        "contour); low (a short field) cuts off L5 (vertebra count)."),
    ("target_v", "OBL"): (
        "Where L3 lies along the field (0 % = top). The simulator keeps the upper edge at the "
        "disc over T11 and lengthens or shortens the field below: low (a short field) cuts off "
        "L5 and the pelvis (vertebra count, pelvis)."),
}
_LUMBAR_SLIDERS = (   # name, label, unit, range, step
    ("rotation_deg", "Patient rotation about the long axis", "°", (-25, 25), 1),
    ("tilt_deg", "Spine tilted head-to-feet", "°", (-25, 25), 1),
    ("bend_deg", "Spine bent sideways", "°", (-20, 20), 1),
    ("top_gap_mm", "Upper field edge", "mm", (-40, 40), 1),
    ("target_u", "Centring across the field", "% of field", (10, 90), 1),
    ("target_v", "Centring along the field", "% of field", (20, 75), 1),
)
_LUMBAR_IDEAL = {"target_u": 50.0, "target_v": 50.0}
_LUMBAR_CRITERIA = {
    "AP": {"rotation_deg": ("spinous_centred",), "tilt_deg": ("l3_double_contour",),
           "top_gap_mm": ("vertebra_count",),
           "target_v": ("l3_double_contour", "vertebra_count", "pelvis_present")},
    "LAT": {"bend_deg": ("l3_double_contour",), "top_gap_mm": ("vertebra_count",),
            "target_u": ("vertebra_count",), "target_v": ("l3_double_contour", "vertebra_count")},
    "OBL": {"rotation_deg": ("scottie_dog", "pedicles_centred"),
            "top_gap_mm": ("vertebra_count",), "target_u": ("scottie_dog",),
            "target_v": ("vertebra_count", "pelvis_present")},
}


def _wrist_controls(view: str) -> list[Control]:
    out = []
    for name, label, unit, ap_range, lat_range, step in _WRIST_SLIDERS:
        low, high = ap_range if view == "AP" else lat_range
        out.append(Control(name, label, unit, float(low), float(high), float(step),
                           float(_WRIST_IDEAL[view].get(name, 0.0)), _WRIST_TEXT[name, view],
                           _WRIST_CRITERIA[view].get(name, ())))
    return out


def _lumbar_controls(view: str) -> list[Control]:
    out = []
    for name, label, unit, (low, high), step in _LUMBAR_SLIDERS:
        text = _LUMBAR_TEXT.get((name, view)) or _LUMBAR_TEXT[name, None]
        out.append(Control(name, label, unit, float(low), float(high), float(step),
                           float(_LUMBAR_IDEAL.get(name, 0.0)), text,
                           _LUMBAR_CRITERIA[view].get(name, ())))
    return out


def _check(body: str, view: str) -> None:
    if body not in BODIES:
        raise ValueError(f"unknown body {body!r}; choose one of {', '.join(BODIES)}")
    if view not in BODIES[body]:
        raise ValueError(f"{body} has views {', '.join(BODIES[body])}, not {view!r}")


def controls(body: str, view: str) -> list[Control]:
    """The sliders of a body and view, in display order."""
    _check(body, view)
    return _wrist_controls(view) if body == "wrist" else _lumbar_controls(view)


def control_values(body: str, view: str, values: dict | None = None) -> dict[str, float]:
    """Every control's value: given ones clipped to the slider's range, missing ones ideal.
    Unknown names are a ValueError naming them (a typo must not pass as "ideal")."""
    sliders = {c.name: c for c in controls(body, view)}
    values = dict(values or {})
    unknown = sorted(set(values) - set(sliders))
    if unknown:
        raise ValueError(f"unknown {body} {view} controls {unknown}; "
                         f"choose from {', '.join(sliders)}")
    return {name: float(np.clip(float(values.get(name, c.ideal)), c.minimum, c.maximum))
            for name, c in sliders.items()}


# ---------------------------------------------------------------- render

@dataclass
class TeachingImage:
    body: str
    view: str
    values: dict[str, float]           # the control values used (clipped, completed)
    radiograph: Radiograph
    keypoints: Keypoints | None        # wrist: exact truth keypoints (confidence None)
    masks: LumbarMasks | None          # lumbar: exact truth masks, as the label files give them
    truth: dict                        # the simulator's truth dict
    seed: int = 0


def _person_rng(body: str, seed: int, attempt: int = 0) -> np.random.Generator:
    """The one generator of a teaching case. Not tagged by view: the simulator's draws are the
    same in number for every view, so one seed is one person in the AP and the lateral."""
    tag = zlib.crc32(f"teaching/{body}".encode())
    return np.random.default_rng(np.random.SeedSequence([seed, tag, attempt]))


def _set_params(params, values: dict[str, float]) -> None:
    for name, value in values.items():
        setattr(params, name, value / 100.0 if name in PERCENT_OF_FIELD else value)


def _wrist_case(view: str, values: dict, seed: int, long_side: int, attempt: int):
    from .simulate.presets import sample_wrist
    from .simulate.truth import wrist_measures
    from .simulate.wrist import simulate_wrist

    rng = _person_rng("wrist", seed, attempt)
    # the simulator's teaching preset: the person and the exposure, everything else ideal
    params, intent = sample_wrist(view, "teaching", rng, long_side=long_side, marker_rate=1.0)
    _set_params(params, values)
    params.pixel_mm = max(params.field_w_mm, params.field_h_mm) / long_side
    case = simulate_wrist(params, rng)
    proj = case.projection
    # as simulate_case records it: the layout measures on the exact keypoints
    case.truth["qc"] = wrist_measures(view, case.keypoints, proj.rows, proj.cols,
                                      proj.pixel_mm / case.truth["magnification"])
    case.truth["intent"] = {"preset": intent["preset"], "values": dict(values)}
    return case, rng


@lru_cache(maxsize=256)
def _wrist_attempt(seed: int) -> int:
    """The first generator of this seed whose lead marker lies wholly in the field.

    The simulator cuts a marker by the field edge in about one case in seven, a draw that comes
    after the anatomy and does not depend on the positioning: a low-resolution image at the
    textbook position tells it once per seed (the truth of every image still says what was drawn)."""
    ideal = control_values("wrist", "AP")
    for attempt in range(MAX_MARKER_ATTEMPTS):
        case, _ = _wrist_case("AP", ideal, seed, PROBE_LONG_SIDE, attempt)
        if case.truth["marker"]["complete"]:
            return attempt
    return 0


def _lumbar_case(view: str, values: dict, seed: int, long_side: int):
    from .simulate.lumbar import simulate_lumbar
    from .simulate.presets import sample_lumbar

    rng = _person_rng("lumbar", seed)
    params, intent = sample_lumbar(view, "teaching", rng, long_side=long_side)
    # the field's upper edge is a slider (top_gap_mm) over T11 always: the number of levels
    # modelled above it sets how many anatomy draws there are, so top_level would change the person
    params.top_level = "T11"
    _set_params(params, values)
    if view == "OBL" and params.oblique_side == "R":
        # the rotation adds to a signed 45° turn: + means "turned further" for either side
        params.rotation_deg = -params.rotation_deg
    case = simulate_lumbar(params, rng)
    case.truth["intent"] = {"preset": intent["preset"], "values": dict(values)}
    return case, rng


def render(body: str, view: str, values: dict | None = None, *, seed: int = 0,
           long_side: int = 512) -> TeachingImage:
    """The radiograph of person `seed` positioned by `values` (missing: ideal; out of range:
    clipped; unknown name: ValueError). Same arguments, same pixels."""
    chosen = control_values(body, view, values)
    if body == "wrist":
        case, rng = _wrist_case(view, chosen, seed, long_side, _wrist_attempt(seed))
    else:
        case, rng = _lumbar_case(view, chosen, seed, long_side)
    case.truth.update(seed=seed, keypoints=case.keypoints)   # as the written truth file has them
    radiograph = _radiograph(case, body, view, seed, rng)
    keypoints = masks = None
    if body == "wrist":
        from .wrist.keypoints import Keypoint, Keypoints

        keypoints = Keypoints(view, {pid: Keypoint(_in_image(xy, radiograph))
                                     for pid, xy in case.keypoints.items()})
    else:
        masks = _label_file_masks(case, view)
    return TeachingImage(body, view, chosen, radiograph, keypoints, masks, case.truth, seed)


def _in_image(xy, radiograph: Radiograph) -> tuple[float, float] | None:
    """A truth keypoint as a reader could mark it: absent when the field cuts it off. The
    simulator does so for the thumb MCP joint only; a styloid projected outside the image would
    otherwise be measured to an edge it lies beyond."""
    if xy is None:
        return None
    x, y = float(xy[0]), float(xy[1])
    inside = -0.5 <= x <= radiograph.cols - 0.5 and -0.5 <= y <= radiograph.rows - 0.5
    return (x, y) if inside else None


def _label_file_masks(case, view: str):
    """The masks as `label_io.read_masks` gives them from the simulator's label files: every
    structure channel, and the vertebral-body instance image with its {id: level} table."""
    from .lumbar import masks_from_channels

    names = {v["id"]: level for level, v in case.truth["vertebrae"].items()}
    return masks_from_channels(view, dict(case.masks), case.instances.astype(np.uint16), names)


def _ds(value):
    """A number as write_dx stores a decimal string: at most 16 characters, no needless ".0"."""
    from pydicom.valuerep import DSfloat, format_number_as_ds

    text = format_number_as_ds(float(value))
    return DSfloat(text[:-2] if text.endswith(".0") else text)


def _dataset(attributes: dict):
    """The attributes `write_dx` stores for these arguments (pixel data aside)."""
    from pydicom import datadict
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.Modality = "DX"
    ds.PhotometricInterpretation = attributes["photometric"]
    ds.WindowCenter, ds.WindowWidth = (_ds(v) for v in attributes["window"])
    for keyword, mm in (("PixelSpacing", attributes["spacing_mm"]),
                        ("ImagerPixelSpacing", attributes["imager_spacing_mm"])):
        if mm is not None:
            setattr(ds, keyword, [_ds(mm), _ds(mm)])
    if attributes["magnification"] is not None:
        ds.EstimatedRadiographicMagnificationFactor = _ds(attributes["magnification"])
    named = {"ViewPosition": attributes["view_position"],
             "ImageLaterality": attributes["laterality"],
             "BodyPartExamined": attributes["body_part"]}
    for keyword, value in {**named, **attributes["header"]}.items():
        if value is not None:
            is_ds = datadict.dictionary_VR(keyword) == "DS" and not isinstance(value, str)
            setattr(ds, keyword, _ds(value) if is_ds else value)
    return ds


def _radiograph(case, body: str, view: str, seed: int, rng) -> Radiograph:
    """The Radiograph that reading a DICOM of the case would give: attributes as
    simulate/output.write_case makes them (complete header, MONOCHROME2), read by the reader's
    own rules (dicom_io), without writing a file. Pixels are the simulator's (bone bright)."""
    from .dicom_io import (body_part_from_header, dicom_spacing, header_values,
                           laterality_from_header, view_from_header)
    from .simulate.output import dicom_attributes

    attributes, _ = dicom_attributes(case, 0, seed, rng, incomplete_rate=0.0, monochrome1_rate=0.0)
    ds = _dataset(attributes)
    header = header_values(ds)
    spacing, _ = dicom_spacing(ds)
    return Radiograph(path=f"teaching/{body}_{view.lower()}.dcm", pixels=case.image,
                      spacing=spacing, header=header, view=view_from_header(header),
                      laterality=laterality_from_header(header),
                      body_part=body_part_from_header(header), photometric="MONOCHROME2",
                      transfer_syntax="Explicit VR Little Endian",
                      window=tuple(float(v) for v in attributes["window"]))


# ---------------------------------------------------------------- score

def truth_analysis(image: TeachingImage, profile: dict):
    """Wrist stage 1 (`ImageAnalysis`) from the simulator's truth: the lead letter it drew (found
    when it lies wholly in the field) and the foreign bodies it drew (probability 1 when one is
    visible, else 0), as the keypoints come from the truth too."""
    from .wrist.marker import MarkerResult
    from .wrist.pipeline import ImageAnalysis
    from .wrist.scoring import ArtefactResult

    drawn = image.truth.get("marker")
    if drawn:
        x0, y0, x1, y1 = drawn["bbox"] if drawn["bbox"] else (None,) * 4
        box = None if x0 is None else (x0, y0, x1, y1)
        centre = None if box is None else ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
        complete = bool(drawn["complete"])
        marker = MarkerResult(complete, drawn["letter"], 1.0 if complete else 0.0, box, centre, 1,
                              height_mm=drawn["height_mm"])
    else:
        marker = MarkerResult(False, None, 0.0, None, None, 0)
    visible = any(a["visible"] for a in image.truth.get("artefacts", []))
    artefact = ArtefactResult(1.0 if visible else 0.0, "simulator truth")
    return ImageAnalysis(image.radiograph.view, marker, artefact, []).for_profile(profile)


def core_result(image: TeachingImage, profile: dict | None = None):
    """The core's own result on the exact truth: `score_wrist` (WristResult) on the truth
    keypoints, or `evaluate_lumbar` (LumbarResult) on the truth masks and the image."""
    if image.body == "wrist":
        from .profile import load_profile
        from .wrist.pipeline import score_wrist

        profile = profile if profile is not None else load_profile("wrist")
        return score_wrist(image.keypoints, image.radiograph, truth_analysis(image, profile),
                           profile)
    from .lumbar import evaluate_lumbar, load_lumbar_profile

    profile = profile if profile is not None else load_lumbar_profile()
    return evaluate_lumbar(image.masks, image.radiograph.pixels, profile, image.radiograph.spacing)


def score(image: TeachingImage, profile: dict | None = None) -> dict:
    """The QC of a teaching image on its exact truth, JSON-able: every item of the core's result
    with its value, verdict, points, explanation, advice and the target it is judged against."""
    if image.body == "wrist":
        from .profile import load_profile

        profile = profile if profile is not None else load_profile("wrist")
        result = core_result(image, profile)
        targets = _wrist_targets(profile, image.view)
        return {"body": "wrist", "view": image.view, "grade": result.grade,
                "total": result.total, "max": result.max_assessable,
                "items": [_wrist_item(item, targets.get(item.id)) for item in result.items]}
    from .lumbar import load_lumbar_profile

    profile = profile if profile is not None else load_lumbar_profile()
    result = core_result(image, profile)
    required = set(profile["views"][image.view]["required"])
    return {"body": "lumbar", "view": image.view, "qualified": result.qualified,
            "summary": result.summary,
            "items": [_lumbar_item(rule, rule.id in required) for rule in result.rules]}


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _wrist_targets(profile: dict, view: str) -> dict[str, str]:
    """Per layout task, its full-marks band as the core writes bands (e.g. "3 ≤ D ≤ 5 → 5")."""
    from .wrist.layout import TWO_PART, band_text

    targets = {}
    for task_id, task in profile["layout"][view].items():
        part_max = task["max"] // TWO_PART.get(task["measure"], 1)
        full = next((b for b in task["bands"] if b["score"] == part_max), None)
        text = band_text(full, task["symbol"], part_max) if full else None
        if text and task["measure"] in TWO_PART:
            text += " for each part"
        targets[task_id] = text
    for item_id in ("MARKER", "ARTEFACT"):
        targets[item_id] = profile[item_id.lower()]["label"]
    return targets


def _wrist_item(item, target: str | None) -> dict:
    return {"id": item.id, "label": item.label, "value": _plain(item.value), "unit": item.unit,
            "passed": item.passed, "score": item.score, "max": item.max,
            "assessable": item.assessable, "rating": item.rating, "band": item.band,
            "target": target if target is not None else item.band,
            "explanation": item.explanation, "advice": item.advice}


def _threshold_text(threshold: dict) -> str:
    if "equals" in threshold:
        return f"= {threshold['equals']} ({threshold['levels']})"
    lo, hi = threshold.get("lo"), threshold.get("hi")
    if hi is None:
        return f"≥ {lo:g}"
    return f"≤ {hi:g}" if lo is None else f"{lo:g} – {hi:g}"


def _lumbar_item(rule, required: bool) -> dict:
    assessable = rule.passed is not None
    return {"id": rule.id, "label": rule.label, "value": _plain(rule.value), "unit": None,
            "passed": rule.passed, "score": int(bool(rule.passed)) if assessable else 0,
            "max": 1, "assessable": assessable, "required": required,
            "threshold": _plain(rule.threshold), "target": _threshold_text(rule.threshold),
            "explanation": rule.explanation, "advice": rule.advice}


def ideal_comparison(body: str, view: str, values: dict | None = None, *,
                     seed: int = 0) -> list[dict]:
    """Per control: the actual value (as `render` uses it) beside the textbook one. `seed` names
    the person; the ideals of this simulator are the same for everyone, so it changes nothing."""
    chosen = control_values(body, view, values)
    return [{"name": c.name, "label": c.label, "unit": c.unit, "actual": chosen[c.name],
             "ideal": c.ideal, "off_by": round(chosen[c.name] - c.ideal, 6),
             "criteria": list(c.criteria), "explanation": c.explanation}
            for c in controls(body, view)]


# ---------------------------------------------------------------- quiz

# What a student would say is wrong, per criterion (the core's labels are questions).
OPTION_LABELS = {
    "AP1": "Thumb MCP joint cut off",
    "AP2": "Wrong amount of forearm: styloids not 3-5 cm above the lower edge",
    "AP3": "Forearm not straight: styloid line tilted",
    "AP4": "Styloid midpoint not centred in the field",
    "AP5": "Side collimation wrong: styloids not 3-5 cm from the side edges",
    "LAT1": "Not a true lateral: radius and ulna do not overlap",
    "LAT2": "Forearm not parallel to the long side of the image",
    "LAT3": "Scaphoid not centred in the field",
    "vertebra_count": "Field too long or too short: not the 7 vertebrae T11-L5",
    "spinous_centred": "Patient rotated: spinous processes off the midline",
    "l3_double_contour": "L3 endplates seen twice (double contour)",
    "scottie_dog": "Obliquity wrong: no proper Scottie dog",
    "pedicles_centred": "Pedicles (the dog's eye) not in the middle of the bodies",
    "pelvis_present": "Pelvis cut off",
    "sacrum_present": "Sacrum cut off",
    "foramina_present": "Intervertebral foramina not shown open",
    "exposure_spread": "Exposure: too little bone detail",
    "exposure_contrast": "Exposure: bones do not stand out from the soft tissue",
    NOTHING_WRONG: "Nothing wrong: every criterion is met",
}
# The controls that the "mispositioned" lumbar preset moves for each rule it breaks
# (simulate/presets.py sample_lumbar writes them as code, not as a table).
LUMBAR_PRESET_CONTROLS = {"rotation": {"AP": "rotation_deg", "OBL": "rotation_deg"},
                          "double_contour": {"AP": "tilt_deg", "LAT": "bend_deg"}}


@dataclass(frozen=True)
class Quiz:
    body: str
    view: str
    seed: int
    image: TeachingImage
    options: list[dict]          # [{"id", "label", "criterion"}], "nothing wrong" last
    faults: frozenset[str]       # the options that are right answers, from the exact truth
    intent: str = ""             # the task/rule the preset meant to break
    report: dict = field(default_factory=dict, compare=False)   # score(image)


def quiz_options(body: str, view: str) -> list[dict]:
    """Every criterion a reader could name for the view (wrist layout tasks, lumbar rules of
    the view, in profile order), in a student's words, and "nothing wrong"."""
    _check(body, view)
    if body == "wrist":
        from .profile import load_profile

        criteria = {tid: task["label"] for tid, task in load_profile("wrist")["layout"][view].items()}
    else:
        from .lumbar import load_lumbar_profile
        from .lumbar.rules import RULE_LABELS

        criteria = {rid: RULE_LABELS[rid] for rid in load_lumbar_profile()["views"][view]["rules"]}
    options = [{"id": cid, "label": OPTION_LABELS.get(cid, label), "criterion": label}
               for cid, label in criteria.items()]
    return options + [{"id": NOTHING_WRONG, "label": OPTION_LABELS[NOTHING_WRONG],
                       "criterion": "every criterion passed"}]


def _quiz_values(body: str, view: str, rng) -> tuple[dict, str]:
    """The controls the simulator's "mispositioned" preset moves for the fault it draws (the
    rest stays ideal, so the picture shows that fault, not the preset's routine spread)."""
    if body == "wrist":
        from .simulate.presets import MISPOSITIONS, sample_wrist

        params, intent = sample_wrist(view, "mispositioned", rng)
        task = intent["failed_task"]
        # LAT1 also keeps the carpus palmar (carpal_offset_mm): no slider, the teaching default
        # (-1.5 mm) lies in the preset's range
        names = list(MISPOSITIONS[view][task])
    else:
        from .simulate.presets import sample_lumbar

        params, intent = sample_lumbar(view, "mispositioned", rng)
        task = intent["failed_rule"]
        if task == "field_too_long":
            # the preset raises the top level to T10/T9; here the upper edge goes up instead,
            # as far as the slider goes (T10 in the field): the anatomy stays the seed's
            top = next(c for c in controls(body, view) if c.name == "top_gap_mm")
            return {"top_gap_mm": top.maximum}, task
        names = [LUMBAR_PRESET_CONTROLS[task][view]]
    sliders = {c.name for c in controls(body, view)}
    values = {n: getattr(params, n) * (100.0 if n in PERCENT_OF_FIELD else 1.0)
              for n in names if n in sliders}
    return values, task


def make_quiz(body: str, view: str, seed: int, *, long_side: int = 512) -> Quiz:
    """A mispositioned image of person `seed` and its right answers.

    The faults are the criteria that fail when the image is scored on its truth, whatever the
    preset meant; when none fails (possible, rare) the right answer is "nothing wrong", which is
    always offered so that a fault is never given away."""
    _check(body, view)
    tag = zlib.crc32(f"quiz/{body}/{view}".encode())
    values, intent = _quiz_values(body, view, np.random.default_rng(np.random.SeedSequence([seed, tag])))
    image = render(body, view, values, seed=seed, long_side=long_side)
    report = score(image)
    options = quiz_options(body, view)
    ids = {o["id"] for o in options}
    failed = frozenset(i["id"] for i in report["items"] if i["passed"] is False and i["id"] in ids)
    return Quiz(body, view, seed, image, options, failed or frozenset({NOTHING_WRONG}), intent,
                report)


def _verdict_text(item: dict, points: bool) -> str:
    """E.g. "…: NOT met (0 of 10 points). <the core's explanation>; target <band>. Advice: …"."""
    if item["passed"] is None:
        verdict = "not assessable"
    else:
        verdict = "met" if item["passed"] else "NOT met"
        verdict += f" ({item['score']} of {item['max']} points)" if points else ""
    text = f"{item['label']}: {verdict}. {item['explanation']}; target {item['target']}."
    return text + (f" Advice: {item['advice']}." if item["advice"] and not item["passed"] else "")


def score_quiz(quiz: Quiz, answer: set[str]) -> dict:
    """Mark an answer (a set of option ids): right when it names exactly the faults. Points: one
    per fault named, less one per option named that is not a fault (never below 0), out of the
    number of faults."""
    answer = set(answer)
    ids = {o["id"] for o in quiz.options}
    unknown = sorted(answer - ids)
    if unknown:
        raise ValueError(f"unknown quiz options {unknown}; choose from {', '.join(sorted(ids))}")
    hits, missed = answer & quiz.faults, quiz.faults - answer
    false_alarms = answer - quiz.faults
    report = quiz.report or score(quiz.image)
    items = {i["id"]: i for i in report["items"]}
    explanations = {o["id"]: _verdict_text(items[o["id"]], quiz.body == "wrist")
                    for o in quiz.options if o["id"] in items}
    failed = sorted(ids & {i for i, it in items.items() if it["passed"] is False})
    explanations[NOTHING_WRONG] = ("every criterion is met" if not failed else
                                   f"not the case: {', '.join(failed)} failed")
    return {"correct": answer == set(quiz.faults), "hits": sorted(hits), "missed": sorted(missed),
            "false_alarms": sorted(false_alarms),
            "points": max(len(hits) - len(false_alarms), 0), "max": len(quiz.faults),
            "explanations": explanations}

"""The Teaching and Quiz tabs of the browser app: positioning sliders over the simulator with the live
QC of the image they give, beside the textbook position, and a "what is wrong?" quiz marked against
the exact truth.

A thin layer, as the review tab is. The images, their truth, the score, the ideal position and the
marking are `radiographqc.teaching`'s. What the view shows (lines, angles, the marker, segments) and
the results table are the WristQC / LumbarQC logics': their `process`, on the image's truth keypoints
or masks and, for the wrist, on the image analysis of the truth (`teaching.truth_analysis`), so the
logic's result is the teaching core's (`teaching.core_result`). The ideal position's picture is the
report picture (`report.overlay`) of the ideal image's core result, from the rules' geometry.

Each tab has logics of its own on the page's scene, so it never disturbs the review tab's case, and
holds one radiograph in the scene at a time: a new render replaces the previous volume and its nodes.

`TeachingSession` and `QuizSession` know no trame (tests drive them directly); `TeachingPanel` and
`QuizPanel` are their tabs on the `ReviewPage` (see app.py for the panel contract).
"""
from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import logging
import random

from trame.widgets import html
from trame.widgets import vuetify3 as v
from trame_server.utils import asynchronous

from radiographqc import teaching
from RadiographQCLib import mrml

from .app import data_attributes, testid
from .review import case_model

log = logging.getLogger(__name__)

LONG_SIDE = 512                # pixels on the long side of a teaching image (as the simulator's samples)
IDEAL_PICTURE_SIDE = 420       # the ideal position's picture, long side in pixels
SETTLE_S = 0.02                # after a render: time for the slider values sent meanwhile to arrive
SEED_RANGE = 1_000_000         # a "new person" is a seed drawn from [0, SEED_RANGE)
DEFAULT_CASE = ("wrist", "AP")  # what a tab shows when it is first opened


# ---------------------------------------------------------------------- the scene

def case_nodes(volume) -> list:
    """The nodes a case volume references under the logics' roles (keypoints, measurements, marker,
    heatmap, table, segmentation and the nodes it references in turn), depth first, each once."""
    found = []

    def visit(node):
        for index in range(node.GetNumberOfNodeReferenceRoles()):
            role = node.GetNthNodeReferenceRole(index)
            if not role.startswith(mrml.ATTR):
                continue
            for n in range(node.GetNumberOfNodeReferences(role)):
                child = node.GetNthNodeReference(role, n)
                if child is not None and all(child is not f for f in found):
                    found.append(child)
                    visit(child)

    visit(volume)
    return found


def _display_nodes_of(node) -> list:
    if not hasattr(node, "GetNumberOfDisplayNodes"):
        return []
    return [d for d in (node.GetNthDisplayNode(i) for i in range(node.GetNumberOfDisplayNodes())) if d is not None]


def remove_case(scene, volume) -> None:
    """Remove a case volume and every node of its case, with their display and storage nodes (a
    Slicer application removes those with their node; a bare scene does not)."""
    for node in [*case_nodes(volume), volume]:
        storage = node.GetStorageNode() if hasattr(node, "GetStorageNode") else None
        for helper in [*_display_nodes_of(node), storage]:
            if helper is not None and scene.IsNodePresent(helper):
                scene.RemoveNode(helper)
        scene.RemoveNode(node)


def _display_nodes(volume) -> list:
    """The display nodes that draw a case over its radiograph (markups, segmentation, heatmap)."""
    return [display for node in case_nodes(volume) for display in _display_nodes_of(node)]


def _png_data_url(png: bytes, side: int = IDEAL_PICTURE_SIDE) -> str:
    """A report picture, reduced to `side` pixels on its long side, as a data URL for an <img>."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.thumbnail((side, side), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class ImageOnly:
    """A radiograph shown with nothing over it and no result (a quiz before the answer): what the page
    needs of a logic to show a volume. Its results table is empty and outside the scene."""

    def __init__(self, volumeNode, tableNode):
        self.volumeNode, self.tableNode = volumeNode, tableNode
        self.result = None

    def canUndo(self) -> bool:
        return False

    def canRedo(self) -> bool:
        return False

    def undo(self) -> bool:
        return False

    def redo(self) -> bool:
        return False


# ---------------------------------------------------------------------- sessions

class _SimulatorTab:
    """One simulated radiograph of a tab in the page's scene, on the tab's own logics."""

    name = ""

    def __init__(self, scene, profiles: dict | None = None, rng: random.Random | None = None,
                 long_side: int = LONG_SIDE):
        import RadiographQCWeb  # noqa: F401 - the module folders on sys.path
        from LumbarQCLib.logic import LumbarQCLogic
        from WristQCLib.logic import WristQCLogic

        self.scene = scene
        self.logics = {"wrist": WristQCLogic(scene), "lumbar": LumbarQCLogic(scene)}
        for module, path in (profiles or {}).items():
            if path is not None:
                self.logics[module].setProfile(path)
        self.rng = rng if rng is not None else random.Random()
        self.long_side = long_side
        self.image: teaching.TeachingImage | None = None   # the image shown
        self.volume = None                                   # its volume node
        self.processed = False                               # the logic holds the image's case
        self.visible = True
        self._hidden = []        # display nodes hidden while the tab is not shown
        self.renders = 0         # images put in the scene so far

    @property
    def module(self) -> str | None:
        return None if self.image is None else self.image.body

    @property
    def body(self) -> str | None:
        return self.module

    @property
    def view(self) -> str | None:
        return None if self.image is None else self.image.view

    @property
    def seed(self) -> int | None:
        return None if self.image is None else self.image.seed

    def new_seed(self) -> int:
        return self.rng.randrange(SEED_RANGE)

    def note_change(self):
        """After a rescore: nothing to keep (a simulated case has no review status)."""

    def _put(self, image: teaching.TeachingImage, process: bool = True) -> bool:
        """Show `image` instead of the tab's current one: a new volume, processed by the logic of its
        body (or not yet), then the previous volume and its case removed, so the scene holds one image
        of this tab whatever the number of renders. True when the image's extent changed (the view
        should fit it again)."""
        old, oldImage = self.volume, self.image
        oldLogic = self.logics[oldImage.body] if oldImage is not None and self.processed else None
        # one name for every image of the tab: it begins the names of the measurements in the view
        volume = mrml.addRadiographVolume(self.scene, image.radiograph, self.name)
        try:
            if process:
                self._process(image, volume)
            elif oldLogic is not None:
                oldLogic.cleanup()
        except Exception:
            remove_case(self.scene, volume)
            if oldLogic is not None and oldLogic.volumeNode is None and oldLogic.hasCase(old):
                oldLogic.restoreCase(old)       # the logic let the old case go when it started the new one
            raise
        if oldLogic is not None and oldLogic is not self.logics[image.body]:
            oldLogic.cleanup()
        self.volume, self.image, self.processed = volume, image, process
        self.renders += 1
        if old is not None:
            remove_case(self.scene, old)
        self._hidden = []
        if not self.visible:
            self._hide()
        return oldImage is None or not _same_extent(oldImage, image)

    def _process(self, image: teaching.TeachingImage, volume):
        """The module's own QC of the image on its exact truth (keypoints and marker/foreign body, or
        masks): the logic's result is `teaching.core_result(image, logic.profile)`. The keypoints are
        locked: they are the truth the score is about, not a reader's guess to correct."""
        logic = self.logics[image.body]
        if image.body == "wrist":
            logic.process(volume, keypoints=image.keypoints, analysis=teaching.truth_analysis(image, logic.profile))
            logic.pointsNode.SetLocked(True)
        else:
            logic.process(volume, masks=image.masks)

    def set_visible(self, visible: bool):
        """Hide the tab's drawings (markups, segments) while another tab's radiograph is shown in the
        same views, and show them again when the tab comes back."""
        if visible == self.visible:
            return
        self.visible = visible
        if visible:
            for display in self._hidden:
                display.SetVisibility(True)
            self._hidden = []
        else:
            self._hide()

    def _hide(self):
        if self.volume is None:
            return
        self._hidden = [d for d in _display_nodes(self.volume) if d.GetVisibility()]
        for display in self._hidden:
            display.SetVisibility(False)

    def close(self):
        """Remove the tab's image and its case from the scene."""
        if self.image is not None and self.processed:
            self.logics[self.image.body].cleanup()
        if self.volume is not None:
            remove_case(self.scene, self.volume)
        self.volume = self.image = None
        self.processed = False
        self._hidden = []

    def _case_model(self) -> dict:
        return case_model(self.image.body, self.logics[self.image.body])


def _same_extent(a: teaching.TeachingImage, b: teaching.TeachingImage, tolerance: float = 0.01) -> bool:
    """Whether the view can keep its zoom: the same pixels, and the same size in millimetres to 1 %
    (the magnification, so the pixel spacing, moves a little with the positioning; the field's size
    only with the collimation)."""
    ra, rb = a.radiograph, b.radiograph
    if ra.pixels.shape != rb.pixels.shape or (ra.spacing is None) != (rb.spacing is None):
        return False
    if ra.spacing is None:
        return True
    return all(abs(x / y - 1.0) <= tolerance for x, y in ((ra.spacing.row_mm, rb.spacing.row_mm),
                                                          (ra.spacing.col_mm, rb.spacing.col_mm)))


class TeachingSession(_SimulatorTab):
    """The Teaching tab: one simulated person (the seed) positioned by the sliders of a body and view,
    re-rendered and rescored on every change, beside the textbook position."""

    name = "teaching"

    def __init__(self, scene, profiles: dict | None = None, rng: random.Random | None = None,
                 long_side: int = LONG_SIDE):
        super().__init__(scene, profiles, rng, long_side)
        self.ideal: teaching.TeachingImage | None = None    # the same person at the textbook position
        self.ideal_picture = ""                             # its report picture (data URL)
        self.ideal_summary = ""

    @property
    def logic(self):
        return None if self.image is None else self.logics[self.image.body]

    @property
    def values(self) -> dict:
        return {} if self.image is None else dict(self.image.values)

    def controls(self) -> list[teaching.Control]:
        return [] if self.image is None else teaching.controls(self.image.body, self.image.view)

    def start(self, body: str, view: str, seed: int | None = None) -> bool:
        """Person `seed` (None: a new one) of a body and view at the textbook position. True (the view
        should fit the image): a new case always."""
        teaching.controls(body, view)      # an unknown body or view: ValueError before anything changes
        seed = self.new_seed() if seed is None else int(seed)
        image = teaching.render(body, view, {}, seed=seed, long_side=self.long_side)
        self._put(image)
        self.ideal = image
        self._draw_ideal()
        return True

    def set_value(self, name: str, value: float) -> bool:
        """Move one slider: the image re-rendered and rescored. True when its extent changed."""
        return self.set_values({name: value})

    def set_values(self, values: dict) -> bool:
        """Move several sliders at once (unknown names: ValueError). True when the extent changed."""
        if self.image is None:
            raise ValueError("start a teaching case first")
        chosen = {**self.image.values, **{name: float(value) for name, value in values.items()}}
        image = teaching.render(self.image.body, self.image.view, chosen, seed=self.image.seed,
                                long_side=self.long_side)
        return self._put(image)

    def reset(self) -> bool:
        """Back to the textbook position."""
        if self.image is None:
            raise ValueError("start a teaching case first")
        return self.set_values({c.name: c.ideal for c in self.controls()})

    def set_profile(self, module: str, path: str | None):
        """A department's criteria (None: the published ones): the image rescored by the logic, the
        ideal position's picture redrawn."""
        self.logics[module].setProfile(path)
        if self.image is not None and self.image.body == module:
            self._draw_ideal()

    def _draw_ideal(self):
        """The report picture of the ideal image (the rules' geometry, drawn by report.overlay as the
        HTML report draws it) and its result in a line."""
        from radiographqc.report.overlay import draw_lumbar, draw_wrist

        image, logic = self.ideal, self.logics[self.ideal.body]
        result = teaching.core_result(image, logic.profile)
        radiograph = image.radiograph
        if image.body == "wrist":
            from radiographqc.wrist.pipeline import find_keypoints, wrist_report

            analysis = teaching.truth_analysis(image, logic.profile)
            found = find_keypoints(radiograph, analysis, logic.detector, given=image.keypoints)
            report = wrist_report(result, radiograph, analysis, found, logic.profile)
            png = draw_wrist(radiograph.pixels, report, radiograph.window)
            self.ideal_summary = f"grade {result.grade}, {result.total}/{result.max_assessable} points"
        else:
            png = draw_lumbar(radiograph.pixels, image.masks, result, radiograph.window)
            failed = [rule.id for rule in result.rules if rule.passed is False]
            self.ideal_summary = "qualified" if result.qualified else f"unqualified ({', '.join(failed)})"
        self.ideal_picture = _png_data_url(png)

    def view_model(self) -> dict:
        model = {"teach_body": self.body or DEFAULT_CASE[0], "teach_view": self.view or DEFAULT_CASE[1],
                 "teach_views": list(teaching.BODIES[self.body or DEFAULT_CASE[0]]),
                 "teach_seed": self.seed, "teach_renders": self.renders, "teach_controls": [], "teach_comparison": [],
                 "teach_ideal_png": self.ideal_picture, "teach_ideal_summary": self.ideal_summary}
        if self.image is None:
            return model
        values = self.image.values
        model.update(self._case_model(), file=f"simulated person #{self.image.seed}", status="teaching",
                     teach_controls=[{**dataclasses.asdict(c), "criteria": list(c.criteria),
                                      "value": values[c.name], "at_ideal": values[c.name] == c.ideal}
                                     for c in self.controls()],
                     teach_comparison=teaching.ideal_comparison(self.image.body, self.image.view, values,
                                                                seed=self.image.seed))
        return model


class QuizSession(_SimulatorTab):
    """The Quiz tab: a mispositioned image shown bare (no overlay, no score) until the student has
    answered; the answer marked against the exact truth, then the QC shown, to say why."""

    name = "quiz"

    def __init__(self, scene, profiles: dict | None = None, rng: random.Random | None = None,
                 long_side: int = LONG_SIDE):
        from slicer import vtkMRMLTableNode

        super().__init__(scene, None, rng, long_side)
        if any(path is not None for path in (profiles or {}).values()):
            raise ValueError("quizzes are marked on the published criteria")
        self.quiz: teaching.Quiz | None = None
        self.result: dict | None = None      # score_quiz's marking, once answered
        self.answer: list[str] = []
        self._emptyTable = vtkMRMLTableNode()   # the results table of an unanswered quiz: outside the scene

    @property
    def logic(self):
        if self.image is None:
            return None
        if self.processed:
            return self.logics[self.image.body]
        return ImageOnly(self.volume, self._emptyTable)

    @property
    def answered(self) -> bool:
        return self.result is not None

    def new(self, body: str, view: str, seed: int | None = None) -> teaching.Quiz:
        """A quiz on person `seed` (None: a new one): its image in the view, nothing else."""
        seed = self.new_seed() if seed is None else int(seed)
        quiz = teaching.make_quiz(body, view, seed, long_side=self.long_side)
        self._put(quiz.image, process=False)
        self.quiz, self.result, self.answer = quiz, None, []
        return quiz

    def check(self, answer) -> dict:
        """Mark an answer (option ids) with `teaching.score_quiz`, then reveal: the image processed by
        the logic on its truth, so the view and the table show why."""
        if self.quiz is None:
            raise ValueError("start a quiz first")
        if self.answered:
            raise ValueError("this quiz is answered: take the next one")
        answer = sorted(set(answer))
        if not answer:
            raise ValueError("tick what is wrong (or \"nothing wrong\") first")
        result = teaching.score_quiz(self.quiz, set(answer))
        self._process(self.quiz.image, self.volume)
        self.processed = True
        if not self.visible:
            self._hide()
        self.result, self.answer = result, answer
        return result

    def set_profile(self, module: str, path: str | None):
        """The quiz's faults are those of the published criteria: another profile would mark an answer
        against criteria the picture was not chosen for."""
        if path is not None:
            raise ValueError("quizzes are marked on the published criteria; choose them in the Review or "
                             "Teaching tab")

    def view_model(self) -> dict:
        body = self.body or DEFAULT_CASE[0]
        model = {"quiz_body": body, "quiz_view": self.view or DEFAULT_CASE[1],
                 "quiz_views": list(teaching.BODIES[body]), "quiz_seed": self.seed,
                 "quiz_options": [] if self.quiz is None else list(self.quiz.options),
                 "quiz_answered": self.answered, "quiz_result": self._marking()}
        if self.quiz is None:
            return model
        status = "answered" if self.answered else "what is wrong?"
        if self.processed:
            model.update(self._case_model())
        else:   # the answer must not show: no rows, no score, no geometry
            model.update(module=body, view=self.view, rows=[], header_rows=[], header_summary="", grade="",
                         total="", max="", verdict="", points=[], segments=[], can_undo=False, can_redo=False)
        model.update(file=f"quiz: simulated person #{self.seed}", status=status)
        return model

    def _marking(self) -> dict | None:
        """score_quiz's marking with each option's words, for the page."""
        if self.result is None:
            return None
        labels = {o["id"]: o["label"] for o in self.quiz.options}
        named = {key: [{"id": i, "label": labels[i]} for i in self.result[key]]
                 for key in ("hits", "missed", "false_alarms")}
        explanations = [{"id": o["id"], "label": o["label"], "fault": o["id"] in self.quiz.faults,
                         "ticked": o["id"] in self.answer, "text": self.result["explanations"].get(o["id"], "")}
                        for o in self.quiz.options]
        return {"correct": self.result["correct"], "points": self.result["points"], "max": self.result["max"],
                **named, "explanations": explanations}


# ---------------------------------------------------------------------- the tabs on the page

def _body_view_choice(prefix: str, trigger: str):
    """Body and view toggles: a new body keeps the view when it has it, else takes its first."""
    views = {body: list(views) for body, views in teaching.BODIES.items()}
    with html.Div(classes="d-flex flex-row flex-wrap align-center", style="gap: 6px;"):
        with v.VBtnToggle(v_model=(f"{prefix}_body",), mandatory=True, density="compact", color="primary",
                          update_modelValue=f"trigger('{trigger}', [$event, {prefix}_view])",
                          **testid(f"{prefix}-body")):
            for body in views:
                v.VBtn(body, value=body, size="small", **testid(f"{prefix}-body-{body}"))
        with v.VBtnToggle(v_model=(f"{prefix}_view",), mandatory=True, density="compact", color="primary",
                          update_modelValue=f"trigger('{trigger}', [{prefix}_body, $event])",
                          **testid(f"{prefix}-view")):
            v.VBtn("{{ w }}", v_for=f"w in {prefix}_views", key="w", value=("w",), size="small",
                   **testid(f"'{prefix}-view-' + w", dynamic=True))


class _Panel:
    """What both tabs do on the page: their defaults, starting when first shown, hiding their
    drawings while another tab is shown."""

    name = title = ""

    def __init__(self, session):
        self.session = session
        self.page = None

    def _defaults(self, page):
        page.state.change("tab")(self._on_tab)
        for key, value in self.session.view_model().items():
            page.state.setdefault(key, value)

    def _on_tab(self, tab, **_):
        mine = tab == self.name
        self.session.set_visible(mine)
        if mine and self.session.image is None:
            self.page._guarded(self._first)

    def _first(self):
        raise NotImplementedError

    def _choice(self, body: str, view: str, seed):
        """(view, seed) asked for from the page, the view one the body has and the seed an int or
        None; None for the view when nothing changes (the toggle already shows it)."""
        if view not in teaching.BODIES.get(body, (view,)):
            view = teaching.BODIES[body][0]
        seed = None if seed in (None, "") else int(seed)
        if seed is None and (body, view) == (self.session.body, self.session.view):
            return None, None
        return view, seed

    def _show(self, fit: bool = True):
        """The tab's case changed: the page shows it when this tab is the one on screen (otherwise it
        does when the tab is chosen)."""
        if self.page.active == self.name:
            self.page.show_active(fit=fit)


class TeachingPanel(_Panel):
    name, title = "teaching", "Teaching"

    def __init__(self, session: TeachingSession):
        super().__init__(session)
        self._pending = {}       # slider values sent since the last render
        self._task = None        # the render loop while it runs
        self._revision = 0       # of the slider positions sent to the page

    # ------------------------------------------------------------------ actions

    def start(self, body: str, view: str, seed=None):
        """Another body or view of the same person (a seed given: that person)."""
        view, seed = self._choice(body, view, seed)
        if view is None:
            return
        self._pending = {}
        self.session.start(body, view, self.session.seed if seed is None else seed)
        self._publish_values()
        self._show(fit=True)

    def new_person(self, seed=None):
        self.start(self.session.body or DEFAULT_CASE[0], self.session.view or DEFAULT_CASE[1],
                   self.session.new_seed() if seed in (None, "") else seed)

    def reset(self):
        self._pending = {}
        fit = self.session.reset()
        self._publish_values()
        self._show(fit=fit)

    def move(self, name: str, value):
        """A slider moved (sent on every step of a drag): rendered at once when idle; while a render
        runs, the values sent meanwhile wait, and only the latest of each slider is rendered next."""
        if name not in {c.name for c in self.session.controls()}:
            return       # sent for the case shown before the last start
        self._pending[name] = float(value)
        if self._task is None or self._task.done():
            self._task = asynchronous.create_task(self._render_pending())

    async def _render_pending(self):
        while self._pending:
            values, self._pending = self._pending, {}
            self.page._guarded(self._render, values)
            await asyncio.sleep(SETTLE_S)

    def _render(self, values: dict):
        fit = self.session.set_values(values)
        self._show(fit=fit)     # the view keeps its zoom unless the field's extent changed

    def _publish_values(self):
        """The sliders' positions, sent only when the server moves them (start, reset): while a slider
        is dragged its thumb is the browser's, and the page shows the values rendered beside it."""
        self._revision += 1     # a new object every time: the page's copy may have moved meanwhile
        with self.page.state:
            self.page.state.teach_values = {**self.session.values, "_revision": self._revision}

    def _first(self):
        self.start(*DEFAULT_CASE)

    # ------------------------------------------------------------------ layout

    def build_left(self, page):
        self.page = page
        self._defaults(page)
        page.state.setdefault("teach_values", {})
        page.state.client_only("teach_values")    # the thumbs' positions: the server sends them, never reads them
        server = page.server
        server.trigger("teach_start")(lambda body, view, seed=None: page._guarded(self.start, body, view, seed))
        server.trigger("teach_seed")(lambda seed=None: page._guarded(self.new_person, seed))
        server.trigger("teach_reset")(lambda: page._guarded(self.reset))
        server.trigger("teach_set")(lambda name, value: page._guarded(self.move, name, value))

        html.Div("Teaching: position the patient", classes="text-subtitle-1")
        html.Div("Each slider moves the simulated patient or the beam; the image is taken again and scored "
                 "by the module's own QC.", classes="text-caption text-medium-emphasis mb-2")
        _body_view_choice("teach", "teach_start")
        with html.Div(classes="d-flex flex-row align-center my-2", style="gap: 6px;"):
            v.VBtn("new person", size="small", click="trigger('teach_seed')",
                   **data_attributes(testid="teach-seed", seed=("teach_seed",)))
            v.VBtn("ideal position", size="small", click="trigger('teach_reset')", **testid("teach-reset"))
            html.Span("person #{{ teach_seed }}", classes="text-caption",
                      **data_attributes(testid="teach-person", renders=("teach_renders",)))
        with html.Div(v_for="c in teach_controls", key="c.name", classes="mb-3",
                      **testid("'teach-control-' + c.name", dynamic=True)):
            with html.Div(classes="d-flex flex-row justify-space-between align-baseline"):
                html.Span("{{ c.label }}", classes="font-weight-medium")
                html.Span("{{ c.value }} {{ c.unit }}", style=("{color: c.at_ideal ? '' : '#e65100'}",),
                          **data_attributes(testid=("'teach-value-' + c.name",), value=("c.value",)))
            # the position is a new object on every step (page state is reactive at the top level)
            v.VSlider(model_value=("teach_values[c.name]",), min=("c.minimum",), max=("c.maximum",),
                      step=("c.step",), density="compact", hide_details=True, thumb_label=True,
                      color=("c.at_ideal ? 'primary' : 'orange-darken-3'",),
                      update_modelValue="teach_values = {...teach_values, [c.name]: $event}; "
                                        "trigger('teach_set', [c.name, $event])",
                      **testid("'teach-slider-' + c.name", dynamic=True))
            html.Div("ideal {{ c.ideal }} {{ c.unit }}{{ c.criteria.length ? ' · affects ' + "
                     "c.criteria.join(', ') : '' }}", classes="text-caption")
            html.Div("{{ c.explanation }}", classes="text-caption text-medium-emphasis")

    def build_right(self, page):
        with html.Div(v_if="teach_controls.length"):
            html.Div("The textbook position of this patient", classes="text-subtitle-2")
            with html.Div(classes="d-flex flex-row align-start my-1", style="gap: 8px;"):
                html.Img(src=("teach_ideal_png",), style="max-width: 240px; max-height: 300px;",
                         alt="the ideal position, with what each criterion measured",
                         **testid("teach-ideal-picture"))
                with html.Div(classes="text-caption"):
                    html.Div("{{ teach_ideal_summary }}", classes="font-weight-bold", **testid("teach-ideal-summary"))
                    html.Div("The same patient positioned by the book, scored by the same rules. Yours is in "
                             "the view.")
            with v.VTable(density="compact", **testid("teach-comparison")):
                with html.Thead():
                    with html.Tr():
                        for title in ("control", "yours", "ideal", "off by"):
                            html.Th(title)
                with html.Tbody():
                    with html.Tr(v_for="c in teach_comparison", key="c.name",
                                 style=("{color: c.off_by ? '#e65100' : ''}",),
                                 **testid("'teach-comparison-' + c.name", dynamic=True)):
                        html.Td("{{ c.label }}", classes="text-caption")
                        html.Td("{{ c.actual }}", style="white-space: nowrap;")
                        html.Td("{{ c.ideal }}", style="white-space: nowrap;")
                        html.Td("{{ c.off_by ? (c.off_by > 0 ? '+' : '') + c.off_by + ' ' + c.unit : '–' }}",
                                style="white-space: nowrap;")
            html.Div("Why each criterion scores as it does", classes="text-subtitle-2 mt-2")
            with html.Div(v_for="r in rows", key="r.id", classes="mb-1",
                          **testid("'teach-why-' + r.id", dynamic=True)):
                html.Span("{{ r.id }} {{ r.label }}: ", classes="font-weight-medium")
                html.Span("{{ r.score !== undefined ? r.score + '/' + r.max : r.result }}")
                html.Div("{{ r.explanation }}", classes="text-caption")
                html.Div("Advice: {{ r.advice }}", v_if="r.advice", classes="text-caption",
                         style="color: #e65100;")


class QuizPanel(_Panel):
    name, title = "quiz", "Quiz"

    def new(self, body: str, view: str, seed=None):
        """A quiz of another body or view (a seed given: on that person; else a new one)."""
        view, seed = self._choice(body, view, seed)
        if view is None:
            return
        self.session.new(body, view, seed)
        with self.page.state:   # the page's ticks, which the server never saw (a new list: always sent)
            self.page.state.quiz_answer = []
            self.page.state.dirty("quiz_answer")
        self._show(fit=True)

    def next(self, seed=None):
        self.new(self.session.body or DEFAULT_CASE[0], self.session.view or DEFAULT_CASE[1],
                 self.session.new_seed() if seed in (None, "") else seed)

    def check(self, answer):
        self.session.check(answer or [])
        self._show(fit=False)      # the same image, now with the QC over it

    def _first(self):
        self.new(*DEFAULT_CASE)

    def build_left(self, page):
        self.page = page
        self._defaults(page)
        page.state.setdefault("quiz_answer", [])
        server = page.server
        server.trigger("quiz_new")(lambda body, view, seed=None: page._guarded(self.new, body, view, seed))
        server.trigger("quiz_next")(lambda seed=None: page._guarded(self.next, seed))
        server.trigger("quiz_check")(lambda answer: page._guarded(self.check, answer))

        html.Div("Quiz: what is wrong with this radiograph?", classes="text-subtitle-1")
        html.Div("Tick every fault you see (or \"nothing wrong\"), then check your answer.",
                 classes="text-caption text-medium-emphasis mb-2")
        _body_view_choice("quiz", "quiz_new")
        with html.Div(classes="my-2"):
            v.VCheckbox(v_for="o in quiz_options", key="o.id", v_model=("quiz_answer",), value=("o.id",),
                        label=("o.label",), density="compact", hide_details=True, disabled=("quiz_answered",),
                        color=("quiz_result ? (quiz_result.explanations.find(e => e.id === o.id).fault ? "
                               "'success' : 'error') : 'primary'",),
                        **testid("'quiz-option-' + o.id", dynamic=True))
        with html.Div(classes="d-flex flex-row", style="gap: 6px;"):
            v.VBtn("check answer", size="small", color="primary", click="trigger('quiz_check', [quiz_answer])",
                   disabled=("quiz_answered || !quiz_answer.length",), **testid("quiz-check"))
            v.VBtn("next quiz", size="small", click="trigger('quiz_next')", **testid("quiz-next"))
            html.Span("person #{{ quiz_seed }}", classes="text-caption align-self-center", **testid("quiz-person"))

    def build_right(self, page):
        with html.Div(v_if="quiz_result", classes="mb-2",
                      **data_attributes(testid="quiz-result", correct=("quiz_result && quiz_result.correct",))):
            html.Div("{{ quiz_result.correct ? 'Correct!' : 'Not quite.' }}", classes="text-h5",
                     style=("{color: quiz_result.correct ? '#2e7d32' : '#c62828'}",), **testid("quiz-verdict"))
            html.Div("{{ quiz_result.points }} of {{ quiz_result.max }} points", classes="text-subtitle-1",
                     **testid("quiz-points"))
            for key, title in (("hits", "Found"), ("missed", "Missed"), ("false_alarms", "Not wrong here")):
                with html.Div(v_if=f"quiz_result.{key}.length", **testid(f"quiz-{key.replace('_', '-')}")):
                    html.Span(f"{title}: ", classes="font-weight-medium")
                    html.Span("{{ quiz_result.%s.map(o => o.label).join('; ') }}" % key)
            html.Div("Each criterion on the exact truth", classes="text-subtitle-2 mt-2")
            with html.Div(v_for="e in quiz_result.explanations", key="e.id", classes="text-caption mb-1",
                          style=("{fontWeight: e.fault || e.ticked ? 'bold' : 'normal'}",),
                          **testid("'quiz-why-' + e.id", dynamic=True)):
                html.Span("{{ e.fault ? (e.ticked ? '✓ ' : '✗ missed: ') : (e.ticked ? '✗ not wrong: ' : '') }}")
                html.Span("{{ e.text }}")
        html.Div("Look at the picture: no lines, no score until you answer.", v_if="!quiz_result && quiz_options.length",
                 classes="text-caption text-medium-emphasis")

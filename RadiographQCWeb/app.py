"""The review page of one browser tab: trame-slicer's 2D view of the tab's MRML scene, with the
WristQC / LumbarQC logics on that scene. Drawing is MRML's: the logics create the keypoint list,
the lines and angles each rule measured, the marker ROI, the heatmap and the segments, and
trame-slicer's displayable managers draw and move them, as in Slicer's own views. This file only
binds page controls to `ReviewSession` and the logics, and copies their state into the page.

Elements that tests (and screen readers of the page) rely on carry `data-testid`.
"""
from __future__ import annotations

import logging
import traceback

from trame.widgets import html
from trame.widgets import vuetify3 as v
from trame_slicer.core import LayoutManager
from trame_slicer.rca_view import register_rca_factories
from trame_vuetify.ui.vuetify3 import SinglePageLayout

from RadiographQCLib import mrml

from .review import ExportError, ReviewSession

log = logging.getLogger(__name__)
HEATMAP_OPACITY = 0.4          # as the WristQC widget shows the foreign-body evidence
HEATMAP_COLORS = "vtkMRMLColorTableNodeRed"
LAYOUT = "Axial Only"          # one 2D view: a radiograph is a single slice
# What every tab's session gives of the case it shows (ReviewSession.view_model)
CASE_KEYS = ("module", "view", "file", "status", "rows", "header_rows", "header_summary", "grade", "total", "max",
             "verdict", "points", "segments", "can_undo", "can_redo")


def data_attributes(**attributes) -> dict:
    """Keyword arguments that give a trame element `data-<name>` attributes: a string is static
    text, a one-element tuple a JS expression of the page state."""
    return {"__properties": [(f"data_{name}", f"data-{name}") for name in attributes],
            **{f"data_{name}": value for name, value in attributes.items()}}


def testid(value: str, dynamic: bool = False) -> dict:
    """A `data-testid` (static text, or with dynamic=True a JS expression)."""
    return data_attributes(testid=(value,) if dynamic else value)


class ReviewPage:
    """Page <-> session glue. `slicer_app` is a trame_slicer SlicerApp whose scene the logics use."""

    def __init__(self, server, slicer_app, review: ReviewSession, profiles: dict, brush=None, panels=()):
        self.server, self.app, self.review = server, slicer_app, review
        self.state, self.ctrl = server.state, server.controller
        self.profiles = profiles          # module -> {choice label: path or None}
        self.brush = brush                # LumbarBrush (paint/erase of the review's lumbar case), or None
        # The page's tabs besides "review" (teaching, quiz): each a panel object with `name`, `title`,
        # `session` (logic, module, view_model(), note_change(), set_profile()) and `build(page)`.
        self.panels = list(panels)
        self.sessions = {"review": review, **{panel.name: panel.session for panel in self.panels}}
        self.active = "review"
        self._observations = []      # (node, tag) of the case on screen
        register_rca_factories(slicer_app.view_manager, server, slice_view_ui_f=lambda *_: None)
        self.layout_manager = LayoutManager(slicer_app.scene, slicer_app.view_manager, server)
        self.layout_manager.register_layout_dict(LayoutManager.default_grid_configuration())
        if brush is not None:
            brush.observeHistory(self.publish)
        self._init_state()
        self._build_ui()
        self.layout_manager.set_layout(LAYOUT)
        self._observe_view()

    # ------------------------------------------------------------------ state

    def _init_state(self):
        self.state.update({
            "cases": [], "current": None, "module": None, "view": "", "file": "", "status": "",
            "rows": [], "header_rows": [], "header_summary": "", "grade": "", "total": "", "max": "", "verdict": "", "points": [], "segments": [],
            "can_undo": False, "can_redo": False, "message": "", "show_message": False,
            "reviewer": "", "reviewer_input": "", "ask_reviewer": True, "exported": "",
            "window": 0.0, "level": 0.0, "profile_choices": [], "profile": "",
            "place_point": "", "brush_mode": "none", "brush_segment": "", "brush_radius": 5.0,
            "view_map": None, "tab": "review"})
        self.state.profile_choices = []
        self.publish()

    def publish(self):
        """Copy the active tab's view model (and what the view shows) into the page state."""
        review = self.review.view_model()
        model = review if self.active == "review" else self.active_session.view_model()
        with self.state:
            for key in ("cases", "current", "reviewer"):
                self.state[key] = review[key]
            for key in CASE_KEYS:
                self.state[key] = model.get(key, _empty(key))
            for key, value in model.items():   # what a tab shows besides the case (teaching controls...)
                if key not in CASE_KEYS and key not in review:
                    self.state[key] = value
            if self.active == "review" and model.get("module") == "lumbar" and self.brush is not None:
                self.state.can_undo, self.state.can_redo = self.brush.canUndo(), self.brush.canRedo()
            self.state.view_map = self._view_map()

    @property
    def active_session(self):
        return self.sessions[self.active]

    def activate(self, tab: str):
        """Show another tab's case (each tab keeps its own: the review's case is resumed on return)."""
        if tab not in self.sessions or tab == self.active:
            return
        if self.brush is not None:
            self.brush.deactivate()
        self.active = tab
        self.show_active()

    def show_active(self, fit: bool = True):
        """After the active tab's case changed (opened, re-rendered): show it, observe it, publish."""
        self._unobserve_case()
        logic = self.active_session.logic
        if logic is not None and logic.volumeNode is not None:
            self._show_case(fit)
            self._observe_case()
        else:
            self.app.display_manager.show_volume_in_slice_background(None)
            self.app.display_manager.show_volume_in_slice_foreground(None)
        self.publish()

    def _view_map(self):
        """The pixel -> view mapping the page needs to place things on the picture: view pixels
        (origin top left, CSS pixels at device ratio 1) = origin + pixel * scale, per axis."""
        view = self._slice_view()
        logic = self.active_session.logic
        if view is None or logic is None or logic.volumeNode is None:
            return None
        xyToRas = view._view_node.GetXYToRAS()
        rasToXy = _inverted(xyToRas)
        width, height = view.render_window().GetSize()
        corners = [rasToXy.MultiplyPoint((*mrml.pixelToRas(logic.volumeNode, xy), 1.0)) for xy in ((0, 0), (1, 1))]
        (x0, y0), (x1, y1) = [(c[0], height - c[1]) for c in corners]
        return {"origin": [x0, y0], "scale": [x1 - x0, y1 - y0], "size": [width, height]}

    def _slice_view(self):
        views = self.app.view_manager.get_slice_views()
        return views[0] if views else None

    # ------------------------------------------------------------------ actions (page -> session)

    def _guarded(self, action, *args):
        """Run an action; a failure is one line in the page (the trace goes to the server log)."""
        try:
            return action(*args)
        except (ExportError, ValueError, KeyError, OSError) as exc:
            self.say(str(exc))
        except Exception as exc:   # noqa: BLE001 - the page must stay usable; the log keeps the trace
            log.error("%s", traceback.format_exc())
            self.say(f"{type(exc).__name__}: {exc}")
        return None

    def say(self, text: str):
        with self.state:
            self.state.message, self.state.show_message = text, bool(text)

    def open_case(self, case_id: str, module: str | None = None):
        def run():
            self._unobserve_case()
            if self.brush is not None:
                self.brush.deactivate()
            self.review.open(case_id, module)
            self.show_active()
            self.say("")
        self._guarded(run)

    def _show_case(self, fit: bool = True):
        """The case's radiograph in the view with its window, the wrist heatmap over it, fitted."""
        logic = self.active_session.logic
        display = self.app.display_manager
        display.show_volume_in_slice_background(logic.volumeNode)
        heatmap = logic.heatmapNode() if hasattr(logic, "heatmapNode") else None
        if heatmap is not None:
            heatmap.GetDisplayNode().SetAndObserveColorNodeID(HEATMAP_COLORS)
        display.show_volume_in_slice_foreground(heatmap)
        for view in self.app.view_manager.get_slice_views():
            view.set_foreground_opacity(HEATMAP_OPACITY if heatmap is not None else 0.0)
        if fit:
            display.reset_views()
        with self.state:
            self.state.profile_choices = list(self.profiles.get(self.active_session.module, {}))
        self._publish_window()

    def _publish_window(self, *_):
        """The window/level fields follow the display (a mouse drag in the view changes it too; an
        automatic window is known only once the display has computed it)."""
        display = self.active_session.logic.volumeNode.GetDisplayNode()
        with self.state:
            self.state.window, self.state.level = round(display.GetWindow(), 1), round(display.GetLevel(), 1)

    def _observe_case(self):
        """The results table, which the logic rewrites after every rescore (a drag, a stroke, an
        undo, a profile change), and the radiograph's display (window/level)."""
        table = self.active_session.logic.tableNode
        display = self.active_session.logic.volumeNode.GetDisplayNode()
        self._observations = [(table, table.AddObserver("ModifiedEvent", self._on_rescored)),
                              (display, display.AddObserver("ModifiedEvent", self._publish_window))]

    def _unobserve_case(self):
        for node, tag in self._observations:
            node.RemoveObserver(tag)
        self._observations = []

    def _on_rescored(self, *_):
        self.active_session.note_change()
        self.publish()

    def _observe_view(self):
        view = self._slice_view()
        if view is not None:
            view._view_node.AddObserver("ModifiedEvent", lambda *_: self._publish_view_map())

    def _publish_view_map(self):
        with self.state:
            self.state.view_map = self._view_map()

    def undo(self):
        self._guarded(self._history, "undo")

    def redo(self):
        self._guarded(self._history, "redo")

    def _history(self, step):
        reviewing_lumbar = self.active == "review" and self.review.module == "lumbar"
        target = self.brush if reviewing_lumbar else self.active_session.logic
        getattr(target, step)()
        self.publish()

    def place(self, point_id: str):
        """Click-to-place a keypoint the detector did not find (or place one again elsewhere)."""
        def run():
            logic = self.active_session.logic
            index = [p["id"] for p in self.state.points].index(point_id)
            logic.pointsNode.SetControlPointPlacementStartIndex(index)
            self.app.markups_logic.place_node(logic.pointsNode, persistent=False)
            self.say(f"click on the picture to place {point_id}")
        self._guarded(run)

    def unplace(self, point_id: str):
        self._guarded(lambda: (self.active_session.logic.setPointPixel(point_id, None), self.publish()))

    def set_window(self, window, level):
        def run():
            display = self.active_session.logic.volumeNode.GetDisplayNode()
            display.AutoWindowLevelOff()
            display.SetWindowLevel(float(window), float(level))
        self._guarded(run)

    def zoom(self, factor: float):
        for view in self.app.view_manager.get_slice_views():
            view.zoom(factor)

    def fit(self):
        self.app.display_manager.reset_views()

    def centre_on(self, xy):
        """Centre the view on an image pixel (a structure's centre, from its chip)."""
        def run():
            if xy is None:
                return
            ras = mrml.pixelToRas(self.active_session.logic.volumeNode, xy)
            for view in self.app.view_manager.get_slice_views():
                view._view_node.JumpSliceByCentering(*ras)   # in-plane: the slice stays
        self._guarded(run)

    def set_profile(self, label: str):
        def run():
            module = self.active_session.module
            self.active_session.set_profile(module, self.profiles[module][label])
            self.publish()
            self.say(f"criteria: {label}")
        self._guarded(run)

    def set_reviewer(self, name: str):
        def run():
            self.review.set_reviewer(name)
            with self.state:
                self.state.ask_reviewer = False
            self.publish()
        self._guarded(run)

    def export(self):
        def run():
            written = self.review.export()
            self.publish()
            with self.state:
                self.state.exported = ", ".join(str(p.relative_to(self.review.export_dir)) for p in written.values())
            self.say(f"exported to {self.review.export_dir}")
        self._guarded(run)

    def mark_reviewed(self):
        self.review.mark_reviewed()
        self.publish()

    def set_brush(self, mode: str, segment_id: str, radius: float):
        def run():
            if mode == "none" or not segment_id:
                self.brush.deactivate()
                return
            self.brush.setRadiusMm(float(radius))
            self.brush.activate(segment_id, mode)
        self._guarded(run)

    # ------------------------------------------------------------------ layout

    def _build_ui(self):
        for name in ("open_case", "undo", "redo", "place", "unplace", "set_window", "zoom", "fit", "set_profile",
                     "export", "set_reviewer", "mark_reviewed", "set_brush", "centre_on"):
            self.server.trigger(name)(getattr(self, name))
        self.state.change("tab")(lambda tab, **_: self._guarded(self.activate, tab))
        with SinglePageLayout(self.server, full_height=True) as ui:
            ui.title.set_text("RadiographQC")
            self.ui = ui
            with ui.toolbar:
                v.VSpacer()
                with v.VTabs(v_model=("tab",), density="compact"):
                    v.VTab("Review", value="review", **testid("tab-review"))
                    for panel in self.panels:
                        v.VTab(panel.title, value=panel.name, **testid(f"tab-{panel.name}"))
                v.VSpacer()
                html.Span("{{ reviewer ? 'Reviewer: ' + reviewer : '' }}", classes="mr-4", **testid("reviewer"))
            with ui.content:
                with html.Div(classes="d-flex flex-row", style="height: calc(100vh - 64px);"):
                    with html.Div(style="width: 320px; overflow-y: auto;", classes="pa-2 text-body-2"):
                        with html.Div(v_show="tab === 'review'"):
                            self._case_list()
                        for panel in self.panels:
                            with html.Div(v_show=f"tab === '{panel.name}'"):
                                panel.build_left(self)
                    with html.Div(classes="d-flex flex-column flex-grow-1", style="min-width: 0;"):
                        self._view_toolbar()
                        with html.Div(style="position: relative; flex: 1 1 auto;", **testid("view")):
                            self.layout_manager.initialize_layout_grid(ui)
                        # where image pixels are on the view, for scripts driving the page (tests)
                        html.Div(v_show=False, **data_attributes(testid="view-map", map=("JSON.stringify(view_map)",)))
                    with html.Div(style="width: 520px; overflow-y: auto;", classes="pa-2 text-body-2"):
                        for panel in self.panels:
                            with html.Div(v_show=f"tab === '{panel.name}'"):
                                panel.build_right(self)
                        self._results_panel()
            self._reviewer_dialog()
            with v.VSnackbar(v_model=("show_message",), timeout=6000, location="bottom"):
                html.Span("{{ message }}", **testid("message"))

    def _case_list(self):
        html.Div("Cases", classes="text-subtitle-1")
        with v.VTable(density="compact", hover=True):
            with html.Thead():
                with html.Tr():
                    for title in ("file", "result", "status"):
                        html.Th(title)
            with html.Tbody():
                with html.Tr(v_for="c in cases", key="c.id", click="trigger('open_case', [c.id])",
                             style=("{cursor: 'pointer', fontWeight: c.id === current ? 'bold' : 'normal'}",),
                             **testid("'case-' + c.file", dynamic=True)):
                    with html.Td():
                        html.Div("{{ c.file }}", style="word-break: break-all;")
                        html.Div("{{ c.module }} {{ c.view }}", classes="text-caption text-medium-emphasis")
                    html.Td("{{ c.result }}", **testid("'case-result-' + c.file", dynamic=True))
                    html.Td("{{ c.status }}", **testid("'case-status-' + c.file", dynamic=True))

    def _view_toolbar(self):
        # v_if, not v_show, on "d-flex" blocks: Vuetify's d-flex is display:flex !important
        with html.Div(classes="d-flex flex-row align-center pa-1", style="gap: 6px; min-height: 56px;", v_if="module"):
            v.VTextField(label="window", v_model=("window",), type="number", density="compact", hide_details=True,
                         style="max-width: 130px;", change="trigger('set_window', [window, level])",
                         **testid("window"))
            v.VTextField(label="level", v_model=("level",), type="number", density="compact", hide_details=True,
                         style="max-width: 130px;", change="trigger('set_window', [window, level])",
                         **testid("level"))
            v.VBtn("zoom in", size="small", click="trigger('zoom', [1.25])", **testid("zoom-in"))
            v.VBtn("zoom out", size="small", click="trigger('zoom', [0.8])", **testid("zoom-out"))
            v.VBtn("fit", size="small", click="trigger('fit')", **testid("fit"))
            v.VBtn("undo", size="small", disabled=("!can_undo",), click="trigger('undo')", **testid("undo"))
            v.VBtn("redo", size="small", disabled=("!can_redo",), click="trigger('redo')", **testid("redo"))
            with html.Div(v_if="module === 'lumbar' && tab === 'review'", classes="d-flex flex-row align-center",
                          style="gap: 6px;"):
                v.VSelect(label="segment", v_model=("brush_segment",), items=("segments",), item_title="name",
                          item_value="id", density="compact", hide_details=True, style="min-width: 170px;",
                          update_modelValue="trigger('set_brush', [brush_mode, $event, brush_radius])",
                          **testid("brush-segment"))
                with v.VBtnToggle(v_model=("brush_mode",), density="compact", mandatory=True,
                                  update_modelValue="trigger('set_brush', [$event, brush_segment, brush_radius])"):
                    v.VBtn("view", value="none", size="small", **testid("brush-none"))
                    v.VBtn("paint", value="paint", size="small", **testid("brush-paint"))
                    v.VBtn("erase", value="erase", size="small", **testid("brush-erase"))
                v.VTextField(label="radius mm", v_model=("brush_radius",), type="number", density="compact",
                             hide_details=True, style="max-width: 90px;",
                             change="trigger('set_brush', [brush_mode, brush_segment, brush_radius])",
                             **testid("brush-radius"))

    def _results_panel(self):
        """The case of the active tab: its result, the results table, its keypoints or structures."""
        with html.Div(v_show="module"):
            html.Div("{{ file }} · {{ module }} {{ view }} · {{ status }}", classes="text-caption",
                     **testid("case-title"))
            with html.Div(v_if="module === 'wrist'", classes="d-flex flex-row align-baseline", style="gap: 12px;"):
                html.Span("{{ grade }}", classes="text-h3", **testid("grade"))
                html.Span("{{ total }}", classes="text-h5", **testid("total"))
                html.Span("/ {{ max }} points", classes="text-body-1")
            with html.Div(v_show="module === 'lumbar'"):
                html.Span("{{ verdict }}", classes="text-h4", **testid("verdict"))
            with html.Div(classes="d-flex flex-row align-center my-2", style="gap: 6px;"):
                v.VSelect(label="criteria profile", v_model=("profile",), items=("profile_choices",),
                          density="compact", hide_details=True,
                          update_modelValue="trigger('set_profile', [$event])", **testid("profile"))
                v.VBtn("reviewed", size="small", click="trigger('mark_reviewed')", v_if="tab === 'review'",
                       **testid("mark-reviewed"))
                v.VBtn("export", size="small", color="primary", click="trigger('export')", v_if="tab === 'review'",
                       **testid("export"))
            html.Div("{{ exported }}", v_show="tab === 'review'", classes="text-caption", **testid("exported"))
            self._result_rows("rows")
            with v.VExpansionPanels(v_show="header_rows.length", classes="my-1"):
                with v.VExpansionPanel(**testid("header-items")):
                    v.VExpansionPanelTitle("DICOM header: {{ header_summary }}")
                    with v.VExpansionPanelText(eager=True):
                        self._result_rows("header_rows")
            with html.Div(v_show="module === 'wrist'"):
                html.Div("Keypoints (drag on the picture; orange = please check)", classes="text-subtitle-2 mt-2")
                with v.VTable(density="compact"):
                    with html.Tbody():
                        with html.Tr(v_for="p in points", key="p.id",
                                     **data_attributes(testid=("'point-' + p.id",), x=("p.x",), y=("p.y",),
                                                       confidence=("p.confidence",))):
                            html.Td("{{ p.label }}")
                            html.Td("{{ p.placed ? '(' + p.x.toFixed(1) + ', ' + p.y.toFixed(1) + ')' : 'not placed' }}")
                            html.Td("{{ p.confidence === null ? 'moved' : 'conf ' + p.confidence }}")
                            html.Td("{{ p.review ? 'check' : '' }}", style="color: orange;")
                            with html.Td():
                                v.VBtn("place", size="x-small", click="trigger('place', [p.id])",
                                       **testid("'place-' + p.id", dynamic=True))
                                v.VBtn("remove", size="x-small", variant="text", disabled=("!p.placed",),
                                       click="trigger('unplace', [p.id])", **testid("'unplace-' + p.id", dynamic=True))
            with html.Div(v_show="module === 'lumbar'"):
                html.Div("Structures", classes="text-subtitle-2 mt-2")
                with html.Div(classes="d-flex flex-wrap", style="gap: 4px;"):
                    v.VChip("{{ s.name }}", v_for="s in segments", key="s.id", size="small",
                            style=("{backgroundColor: s.color}",), click="trigger('centre_on', [s.centre])",
                            **data_attributes(testid=("'segment-' + s.name",), xy=("JSON.stringify(s.centre)",)))

    @staticmethod
    def _result_rows(rows: str):
        """One row per item of the results table (the table the Slicer module shows); the tooltip
        holds the item's explanation and advice."""
        with v.VTable(density="compact"):
            with html.Tbody():
                with html.Tr(v_for=f"r in {rows}", key="r.id", **testid("'item-' + r.id", dynamic=True),
                             title=("r.explanation + (r.advice ? ' — ' + r.advice : '')",)):
                    with html.Td():
                        html.Span("{{ r.id }} ", classes="font-weight-bold")
                        html.Span("{{ r.label }}", classes="text-caption")
                        html.Div("{{ r.advice || '' }}", v_if="r.advice", classes="text-caption text-warning",
                                 **testid("'advice-' + r.id", dynamic=True))
                    html.Td("{{ r.value }} {{ r.unit || '' }}", style="white-space: nowrap;",
                            **testid("'value-' + r.id", dynamic=True))
                    html.Td("{{ r.score !== undefined ? r.score + '/' + r.max : r.result }}",
                            style="white-space: nowrap;", **testid("'score-' + r.id", dynamic=True))
                    html.Td("{{ r.rating || '' }}", classes="text-caption")

    def _reviewer_dialog(self):
        with v.VDialog(v_model=("ask_reviewer",), persistent=True, max_width=420):
            with v.VCard(title="Who is reviewing?"):
                with v.VCardText():
                    html.Div("Your name goes into every export (who corrected what, and when). "
                             "It is asked once for this session.", classes="text-body-2 mb-2")
                    v.VTextField(label="reviewer name", v_model=("reviewer_input",), autofocus=True,
                                 keyup_enter="trigger('set_reviewer', [reviewer_input])", **testid("reviewer-name"))
                with v.VCardActions():
                    v.VBtn("start", color="primary", click="trigger('set_reviewer', [reviewer_input])",
                           **testid("reviewer-ok"))


def _inverted(matrix):
    import vtk

    inverse = vtk.vtkMatrix4x4()
    vtk.vtkMatrix4x4.Invert(matrix, inverse)
    return inverse


def _empty(key):
    return {"rows": [], "header_rows": [], "points": [], "segments": [], "can_undo": False, "can_redo": False}.get(key, "")

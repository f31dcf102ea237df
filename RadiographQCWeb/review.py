"""One browser tab's review: the case list, the open case on the WristQC or LumbarQC logic, the
reviewer's name and the exports. No trame: the page is drawn from `view_model()`, and everything the
QC does happens in the modules' Logic classes (the same calls the Slicer widgets make), so the
browser cannot score or draw anything the Slicer modules do not.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from RadiographQCLib import mrml

from .cases import REPORTS, TRAINING, Case, find_cases, inside, refresh_status


HEADER_PREFIX = "HDR_"   # the wrist's DICOM header items: shown folded, below the layout tasks


class ExportError(Exception):
    """An export that was refused (no reviewer name, a path outside the export folder)."""


class ReviewSession:
    """The cases of one tab and the one being reviewed. `logics` maps a module ("wrist", "lumbar")
    to its Logic on the tab's scene; a case keeps its volume in the scene, so going back to it
    resumes the review (restoreCase) with its corrections and undo history."""

    def __init__(self, scene, logics: dict, inputs, export_dir):
        self.scene = scene
        self.logics = logics
        self.export_dir = Path(export_dir).resolve()
        self.cases = find_cases(inputs, self.export_dir)
        self.current: Case | None = None
        self.reviewer = ""
        self._volumes: dict[str, object] = {}   # case id -> its volume node in the scene
        self._exported: dict[str, tuple] = {}   # case id -> the review's content when it was exported

    # ------------------------------------------------------------------ cases

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)

    @property
    def logic(self):
        return None if self.current is None else self.logics[self.current.module]

    @property
    def module(self) -> str | None:
        return None if self.current is None else self.current.module

    def open(self, case_id: str, module: str | None = None) -> Case:
        """Show a case: scored on first opening (the command line's stages, through the Logic),
        resumed afterwards. `module` chooses the QC for a file whose header does not say."""
        case = self.case(case_id)
        if module:
            case.module = module
        if case.module not in self.logics:
            raise ValueError(f"{case.path.name}: choose wrist or lumbar QC for this image")
        self._leave()
        logic = self.logics[case.module]
        volume = self._volumes.get(case.id)
        if volume is not None and logic.hasCase(volume):
            logic.restoreCase(volume)
        else:
            volume = logic.loadRadiograph(str(case.path))
            self._volumes[case.id] = volume
            logic.process(volume)
        self.current = case
        case.error = ""
        self.note_change()
        return case

    def _leave(self):
        """Stop observing the case on screen (its nodes stay in the scene for a later resume)."""
        if self.current is not None:
            self.logics[self.current.module].cleanup()
            self.current = None

    def note_change(self):
        """After a score: the case's result in the list, and its status (a correction after an
        export makes it "reviewed" again: the exported files no longer hold the review)."""
        case, logic = self.current, self.logic
        case.result = summary(case.module, logic.result)
        if logic.hasReviewerChanges():
            case.status = "exported" if self._exported.get(case.id) == self._review_state() else "reviewed"

    def _review_state(self):
        """What identifies the review's content now (to tell if it changed since its export)."""
        logic = self.logic
        if self.current.module == "wrist":
            return tuple(sorted((k, v) for k, v in logic.pointPixels().items()))
        return tuple((c["segment"], c["pixels_added"], c["pixels_removed"]) for c in logic.changes())

    def mark_reviewed(self):
        """The reviewer checked the case and agrees with it (no correction needed)."""
        if self.current is not None and self.current.status == "new":
            self.current.status = "reviewed"

    # ------------------------------------------------------------------ profile

    def set_profile(self, module: str, path: str | None):
        """A department's criteria file (None: the published defaults); the open case is rescored."""
        self.logics[module].setProfile(path)
        if self.current is not None and self.current.module == module:
            self.note_change()

    # ------------------------------------------------------------------ export

    def set_reviewer(self, name: str):
        name = " ".join(name.split())
        if not name:
            raise ExportError("enter your name: exports record who reviewed")
        self.reviewer = name
        for logic in self.logics.values():
            logic.userName = name

    def export(self) -> dict:
        """The report (<export>/reports/<stem>.json and .html) and the training data (<export>/training/
        <module>/: image, corrected keypoints or label files, provenance), written by the Logic's own
        export methods, as the Slicer module writes them."""
        if self.current is None:
            raise ExportError("open a case first")
        if not self.reviewer:
            raise ExportError("enter your name first: exports record who reviewed")
        case, logic = self.current, self.logic
        reports, training = self.export_dir / REPORTS, self.export_dir / TRAINING / case.module
        for target in (reports / f"{case.stem}.json", training / case.path.name):
            if not inside(self.export_dir, target):
                raise ExportError(f"{case.path.name}: its export name would leave the export folder")
        reports.mkdir(parents=True, exist_ok=True)
        json_path, html_path = logic.exportReport(reports)
        written = logic.exportTrainingData(training, self.reviewer)
        case.status = "exported"
        self._exported[case.id] = self._review_state()
        refresh_status(self.cases, self.export_dir)
        return {"report": json_path, "html": html_path, **written}

    # ------------------------------------------------------------------ what the page shows

    def view_model(self) -> dict:
        """Everything the page shows of the open case, read from the Logic's nodes (the results table
        is the one the Slicer module shows)."""
        model = {"cases": [c.row() for c in self.cases], "reviewer": self.reviewer,
                 "current": None if self.current is None else self.current.id}
        if self.current is None:
            return model
        model.update(case_model(self.current.module, self.logic), file=self.current.path.name,
                     status=self.current.status)
        return model


def case_model(module: str, logic) -> dict:
    """What the page shows of the case a Logic holds, read from its nodes: the view, the rows of the
    results table the Slicer module shows (the DICOM header items apart), and the module's own
    model (wrist_model, lumbar_model). Every tab that shows a case on a Logic reads it so."""
    rows = [r for r in mrml.readTable(logic.tableNode) if r["id"] not in ("total", "grade", "verdict")]
    header = [r for r in rows if r["id"].startswith(HEADER_PREFIX)]
    model = {"module": module, "view": logic.result.view if module == "wrist" else (logic.view or ""),
             "rows": [r for r in rows if r not in header], "header_rows": header,
             "header_summary": f"{sum(int(r['score']) for r in header)}/{sum(int(r['max']) for r in header)} "
                               f"points, {len(header)} items" if header else ""}
    model.update(wrist_model(logic) if module == "wrist" else lumbar_model(logic))
    return model


def summary(module: str, result) -> str:
    """The case list's result column: the grade and total, or the verdict."""
    if module == "wrist":
        return f"{result.grade} {result.total}/{result.max_assessable}"
    return "qualified" if result.qualified else "unqualified"


def wrist_model(logic) -> dict:
    """Grade, total and the keypoints with the confidence and review flag the Slicer markups show."""
    result = logic.result
    low = set(logic.lowConfidencePoints())
    points = []
    for index, (pid, point) in enumerate(logic.currentKeypoints().points.items()):
        xy = point.xy
        points.append({"id": pid, "label": logic.pointsNode.GetNthControlPointLabel(index),
                       "x": None if xy is None else float(xy[0]),
                       "y": None if xy is None else float(xy[1]),
                       "placed": xy is not None, "review": pid in low,
                       # a point the reviewer moved has no detector confidence any more
                       "confidence": None if point.confidence is None else round(float(point.confidence), 2)})
    marker = logic.analysis.marker
    return {"grade": result.grade, "total": result.total, "max": result.max_assessable,
            "max_total": result.max_total, "points": points, "can_undo": logic.canUndo(),
            "can_redo": logic.canRedo(), "corrections": len(logic.corrections()),
            "marker": f"{marker.letter} ({marker.similarity:.2f})" if marker.found else "none found",
            "artefact": round(float(logic.analysis.artefact.probability), 3)}


def lumbar_model(logic) -> dict:
    """Verdict and the segments (name, colour) of the case."""
    segmentation = logic.segmentationNode.GetSegmentation()
    segments = []
    for sid, mask in logic.currentMasks().items():
        segment = segmentation.GetSegment(sid)
        r, g, b = segment.GetColor()
        rows, cols = np.nonzero(mask)
        segments.append({"id": sid, "name": segment.GetName(),
                         "color": f"rgb({int(r * 255)}, {int(g * 255)}, {int(b * 255)})",
                         "centre": [float(cols.mean()), float(rows.mean())] if rows.size else None})
    result = logic.result
    return {"verdict": "qualified" if result.qualified else "unqualified", "segments": segments,
            "changes": len(logic.changes())}

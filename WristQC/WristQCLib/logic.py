"""WristQC logic: a wrist radiograph in the scene, its keypoints as a markups point list, the
measurements as markups lines/angles, the score as a table, rescored live while a reviewer corrects
points. No Qt and no global scene: the scene is given to the constructor. The QC is the stages of
`radiographqc.wrist.pipeline` that the command line runs (the rules, with the criteria profile, also
give the geometry each measurement is drawn with); this file only maps them onto MRML nodes.
"""
from __future__ import annotations

import getpass
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import vtk

from radiographqc import __version__
from RadiographQCLib import mrml
from RadiographQCLib.dependencies import DependencyMixin
from radiographqc.batch import BatchRunner, expand_inputs
from radiographqc.dicom_io import read_radiograph
from radiographqc.errors import InputError
from radiographqc.profile import load_profile
from radiographqc.report.html_report import write_html
from radiographqc.report.json_report import write_json
from radiographqc.report.overlay import draw_wrist
from radiographqc.wrist.keypoints import POINT_NAMES, Keypoint, Keypoints, write_keypoints
from radiographqc.wrist.pipeline import (ArtefactDetector, FoundKeypoints, ImageAnalysis, KeypointDetector,
                                         WristPipeline, analyse_image, find_keypoints,
                                         keypoints_report, score_wrist, wrist_report)

ROLE_POINTS = mrml.ATTR + "keypoints"
ROLE_TABLE = mrml.ATTR + "results"
ROLE_MEASURE = mrml.ATTR + "measurement"
ROLE_MARKER = mrml.ATTR + "marker"
ROLE_HEATMAP = mrml.ATTR + "artefactHeatmap"

TABLE_COLUMNS = [("id", "string"), ("label", "string"), ("value", "string"), ("unit", "string"),
                 ("band", "string"), ("score", "int"), ("max", "int"), ("rating", "string"),
                 ("explanation", "string"), ("advice", "string")]
POINT_COLOR = (0.1, 0.85, 1.0)      # a reviewed or confident keypoint
REVIEW_COLOR = (1.0, 0.45, 0.0)     # a low-confidence keypoint that nobody has checked yet
MEASURE_COLOR = (1.0, 0.9, 0.0)
MARKER_COLOR = (1.0, 0.5, 0.0)
# The markups that draw each kind of shape of a layout item's geometry (see ItemResult).
GEOMETRY_CLASSES = {"line": "vtkMRMLMarkupsLineNode", "angle": "vtkMRMLMarkupsAngleNode",
                    "angle_to_vertical": "vtkMRMLMarkupsAngleNode"}


def pointLabel(view: str, pid: str) -> str:
    """Control point label shown in the views, e.g. "P1 thumb MCP joint"."""
    return f"{pid} {POINT_NAMES[view][pid]}"


def formatValue(value) -> str:
    """A measured value as table text (two-part tasks give a dict of values)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k} {formatValue(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def resultRows(result) -> list[tuple]:
    """Table rows of a WristResult: one per item, then the total and the grade."""
    rows = [(it.id, it.label, formatValue(it.value), it.unit or "", it.band or "", it.score, it.max,
             it.rating or ("not assessable" if not it.assessable else ""), it.explanation, it.advice or "")
            for it in result.items]
    missing = result.max_total - result.max_assessable
    rows.append(("total", "total score", f"{result.total}/{result.max_assessable}", "points", "", result.total,
                 result.max_assessable, "", f"{missing} of {result.max_total} points not assessable"
                 if missing else "every item assessed", ""))
    rows.append(("grade", "overall grade", result.grade, "", "", result.total, result.max_assessable, result.grade,
                 f"grade basis: {result.grade_basis}", ""))
    return rows


class WristQCLogic(DependencyMixin):
    """Loads, scores and lets a reviewer correct one wrist radiograph at a time, with the stages of
    `radiographqc.wrist.pipeline` that the command line runs (so both give the same report).

    The case lives in the scene: the volume references its keypoint list, measurement nodes, marker ROI,
    heatmap and results table (node references) and keeps what the stages found as attributes; the
    keypoint list keeps the original points and the undo and redo history. So `restoreCase` picks a
    saved review up again.
    """

    def __init__(self, scene, profilePath=None, userName=None):
        self.scene = scene
        self.userName = userName or getpass.getuser()
        self.detector = KeypointDetector()   # the bundled keypoint models, loaded on first use
        self.artefacts = ArtefactDetector(self.detector.registry)
        self.profilePath = None
        self.profile = None
        self.lowConfidenceThreshold = None
        self._clearCase()
        self.setProfile(profilePath)

    # ------------------------------------------------------------------ profile

    def setProfile(self, path=None):
        """Use the default criteria profile (None) or a department file; rescore the current case."""
        self.profile = load_profile("wrist", path)
        self.profilePath = None if path is None else str(path)
        self.lowConfidenceThreshold = float(self.profile["keypoints"]["low_confidence"])
        if self.volumeNode is not None:
            self.analysis = self.analysis.for_profile(self.profile)
            self.updateHighlights()
            self.computeScore()

    # ------------------------------------------------------------------ loading

    def loadRadiograph(self, path, spacingMm=None):
        """Read a DICOM (or PNG/JPEG with spacingMm) with the package reader: the spacing rules of the
        QC (Pixel Spacing, else Imager Pixel Spacing corrected by the magnification factor) and
        MONOCHROME1 shown bone-bright, which Slicer's default reader does not give."""
        radiograph = read_radiograph(path, spacingMm)
        name = Path(path).name.split(".")[0] or Path(path).name
        return mrml.addRadiographVolume(self.scene, radiograph, self.scene.GenerateUniqueName(name))

    # ------------------------------------------------------------------ running

    def process(self, volumeNode, keypoints: Keypoints | None = None, analysis: ImageAnalysis | None = None):
        """Score a radiograph volume with the stages of the command line: the image analysed once
        (view, marker, foreign body), the keypoints given, else from the file beside the image, else
        from the bundled model of the view. A model that is missing or broken (ModelError) or an image
        with neither a view nor keypoints (InputError) raises before the scene changes. Returns the
        WristResult.

        `analysis` given (stage 1 known otherwise, e.g. a teaching image's marker and foreign body
        from the simulator's truth) is used as the image analysis would be: no image search, no
        foreign-body model; without a heatmap, the case has no heatmap volume."""
        self.cleanup()
        radiograph = mrml.radiographFromVolume(volumeNode)
        if analysis is None:
            analysis = analyse_image(radiograph, self.profile, self.artefacts)
        found = find_keypoints(radiograph, analysis, self.detector, given=keypoints)
        self._removeCaseNodes(volumeNode)
        self._storeFindings(volumeNode, analysis, found)
        self._startCase(volumeNode, radiograph, analysis)
        self.pointsNode = self.createKeypointNodes(found.keypoints)
        volumeNode.SetAndObserveNodeReferenceID(ROLE_POINTS, self.pointsNode.GetID())
        self._createMarkerNode()
        self.tableNode = self.scene.AddNewNodeByClass("vtkMRMLTableNode",
                                                      self.scene.GenerateUniqueName(f"{volumeNode.GetName()} WristQC"))
        volumeNode.SetAndObserveNodeReferenceID(ROLE_TABLE, self.tableNode.GetID())
        self._observe()
        return self.computeScore()

    def _storeFindings(self, volumeNode, analysis: ImageAnalysis, found: FoundKeypoints):
        """What the stages found, as volume attributes saved with the scene (a restored case is
        rescored from them), and the foreign-body heatmap, when the analysis has one, as a volume on
        the radiograph's grid (shown semi-transparent by the widget)."""
        volumeNode.SetAttribute(mrml.ATTR + "analysis", json.dumps(analysis.to_dict()))
        volumeNode.SetAttribute(mrml.ATTR + "keypointSource", found.source)
        volumeNode.SetAttribute(mrml.ATTR + "viewSource", found.view_source)
        volumeNode.SetAttribute(mrml.ATTR + "keypointModels", json.dumps(found.models))
        if analysis.artefact.heatmap is None:
            return
        heatmap = mrml.addOverlayVolume(self.scene, volumeNode, analysis.artefact.heatmap,
                                        self.scene.GenerateUniqueName(f"{volumeNode.GetName()} foreign body"))
        volumeNode.SetAndObserveNodeReferenceID(ROLE_HEATMAP, heatmap.GetID())

    def heatmapNode(self):
        return None if self.volumeNode is None else self.volumeNode.GetNodeReference(ROLE_HEATMAP)

    def hasCase(self, volumeNode) -> bool:
        """True when the volume carries a WristQC review (its keypoint list) that restoreCase can resume."""
        return volumeNode is not None and volumeNode.GetNodeReference(ROLE_POINTS) is not None

    def restoreCase(self, volumeNode):
        """Continue the review of a volume processed before (e.g. after loading a saved scene): points,
        corrections, score and undo/redo history as they were saved."""
        self.cleanup()
        if not self.hasCase(volumeNode):
            raise ValueError(f"{volumeNode.GetName()} has no WristQC review to restore (run process first)")
        analysis = ImageAnalysis.from_dict(json.loads(volumeNode.GetAttribute(mrml.ATTR + "analysis")))
        self._startCase(volumeNode, mrml.radiographFromVolume(volumeNode), analysis.for_profile(self.profile))
        self.pointsNode = volumeNode.GetNodeReference(ROLE_POINTS)
        self.tableNode = volumeNode.GetNodeReference(ROLE_TABLE)
        self.markerNode = volumeNode.GetNodeReference(ROLE_MARKER)
        for index in range(volumeNode.GetNumberOfNodeReferences(ROLE_MEASURE)):   # in the order of their shapes
            node = volumeNode.GetNthNodeReference(ROLE_MEASURE, index)
            self.measurementNodes.setdefault(node.GetAttribute(mrml.ATTR + "task"), []).append(node)
        self._original = json.loads(self.pointsNode.GetAttribute(mrml.ATTR + "original"))
        self._undoStack = self._loadHistory("undo")
        self._redoStack = self._loadHistory("redo")
        self._committed = self.pointPixels()
        self._observe()
        return self.computeScore()

    def _clearCase(self):
        self.volumeNode = self.pointsNode = self.tableNode = self.markerNode = None
        self.radiograph = self.analysis = self.result = None
        self.measurementNodes = {}
        self._observations = []
        self._undoStack = []
        self._redoStack = []
        self._committed = {}
        self._original = {}
        self._interacting = False
        self._applying = False

    def _startCase(self, volumeNode, radiograph, analysis: ImageAnalysis):
        self.volumeNode, self.radiograph, self.analysis = volumeNode, radiograph, analysis
        self._undoStack = []
        self._redoStack = []

    def _removeCaseNodes(self, volumeNode):
        """Processing a volume again replaces its earlier review nodes."""
        roles = (ROLE_POINTS, ROLE_TABLE, ROLE_MEASURE, ROLE_MARKER, ROLE_HEATMAP)
        nodes = [volumeNode.GetNthNodeReference(role, i) for role in roles
                 for i in range(volumeNode.GetNumberOfNodeReferences(role))]
        for role in roles:
            volumeNode.RemoveNodeReferenceIDs(role)
        for node in nodes:
            if node is not None:
                self.scene.RemoveNode(node)

    # ------------------------------------------------------------------ nodes

    def createKeypointNodes(self, keypoints: Keypoints):
        """A point list with one control point per keypoint of the view, in P1.. order, labelled
        "P1 thumb MCP joint" etc.; absent points are left unplaced so the reviewer can place them.
        The list has a fixed number of points: a reviewer moves, places or unplaces, never adds."""
        name = self.scene.GenerateUniqueName(f"{self.volumeNode.GetName()} keypoints")
        node = mrml.addMarkups(self.scene, "vtkMRMLMarkupsFiducialNode", name, POINT_COLOR, locked=False)
        node.GetDisplayNode().SetColor(*REVIEW_COLOR)   # the colour of unselected = flagged points
        node.SetAttribute(mrml.ATTR + "view", keypoints.view)
        for pid, kp in keypoints.points.items():
            index = node.AddControlPoint(vtk.vtkVector3d(0, 0, 0), pointLabel(keypoints.view, pid))
            node.SetNthControlPointDescription(index, POINT_NAMES[keypoints.view][pid])
            if kp.xy is None:
                node.UnsetNthControlPointPosition(index)
            else:
                node.SetNthControlPointPosition(index, *mrml.pixelToRas(self.volumeNode, kp.xy))
        node.SetFixedNumberOfControlPoints(True)
        self._original = {pid: {"xy": None if kp.xy is None else list(kp.xy), "confidence": kp.confidence}
                          for pid, kp in keypoints.points.items()}
        node.SetAttribute(mrml.ATTR + "original", json.dumps(self._original))
        self.pointsNode = node
        self._committed = self.pointPixels()
        self.updateHighlights()
        return node

    def _addMeasurementNode(self, taskId: str, kind: str):
        # named by the task alone: the name is the label drawn beside the measurement, and the
        # volume's reference already says whose it is
        node = mrml.addMarkups(self.scene, GEOMETRY_CLASSES[kind], taskId, MEASURE_COLOR)
        node.SetAttribute(mrml.ATTR + "task", taskId)
        self.volumeNode.AddNodeReferenceID(ROLE_MEASURE, node.GetID())
        return node

    def _createMarkerNode(self):
        """The L/R lead marker found in the image, as an ROI around the letter."""
        marker = self.analysis.marker
        if not marker.found:
            return
        name = f"marker {marker.letter} ({marker.similarity:.2f})"       # drawn: kept short
        self.markerNode = mrml.addMarkups(self.scene, "vtkMRMLMarkupsROINode", name, MARKER_COLOR)
        mrml.setRoiPixels(self.markerNode, self.volumeNode, marker.bbox)
        self.volumeNode.SetAndObserveNodeReferenceID(ROLE_MARKER, self.markerNode.GetID())

    # ------------------------------------------------------------------ pixel <-> markups

    def pointPixels(self) -> dict:
        """{pid: (x, y) | None} of the point list, in pixels of the volume."""
        view = self.pointsNode.GetAttribute(mrml.ATTR + "view")
        result = {}
        for index, pid in enumerate(POINT_NAMES[view]):
            defined = self.pointsNode.GetNthControlPointPositionStatus(index) == self.pointsNode.PositionDefined
            result[pid] = (mrml.rasToPixel(self.volumeNode, self.pointsNode.GetNthControlPointPosition(index))
                           if defined else None)
        return result

    def currentKeypoints(self) -> Keypoints:
        """The keypoints as they are now; a point the reviewer moved has no detector confidence."""
        points = {}
        for pid, xy in self.pointPixels().items():
            original = self._original.get(pid, {})
            untouched = _samePoint(xy, original.get("xy"))
            points[pid] = Keypoint(xy, original.get("confidence") if untouched else None)
        return Keypoints(self.pointsNode.GetAttribute(mrml.ATTR + "view"), points)

    def setPointPixel(self, pid: str, xy):
        """Move (or place, or with xy None unplace) one keypoint as a committed correction."""
        view = self.pointsNode.GetAttribute(mrml.ATTR + "view")
        index = list(POINT_NAMES[view]).index(pid)
        if xy is None:
            self.pointsNode.UnsetNthControlPointPosition(index)
        else:
            self.pointsNode.SetNthControlPointPosition(index, *mrml.pixelToRas(self.volumeNode, xy))

    # ------------------------------------------------------------------ scoring

    def computeScore(self):
        """Score the keypoints as they are now and update measurements and table (cheap: the image
        analysis is kept, only the rules run)."""
        self.result = score_wrist(self.currentKeypoints(), self.radiograph, self.analysis, self.profile)
        self._updateMeasurements()
        mrml.writeTable(self.tableNode, TABLE_COLUMNS, resultRows(self.result))
        return self.result

    def _updateMeasurements(self):
        """Draw the geometry each layout item measured, one line or angle per shape (made when the
        shape first appears); hidden while the item measures nothing (a point it needs is absent)."""
        for item in self.result.items:
            nodes = self.measurementNodes.get(item.id, [])
            for shape in item.geometry[len(nodes):]:
                nodes.append(self._addMeasurementNode(item.id, shape["kind"]))
                self.measurementNodes[item.id] = nodes
            for index, node in enumerate(nodes):
                points = item.geometry[index]["points"] if index < len(item.geometry) else None
                mrml.setMarkupsPixels(node, self.volumeNode, points)

    def report(self) -> dict:
        """The QC report of the current state, as the command line writes it, plus the review record."""
        detected = self.volumeNode.GetAttribute(mrml.ATTR + "keypointSource")
        corrections = self.corrections()
        found = FoundKeypoints(self.currentKeypoints(), f"reviewed ({detected})" if corrections else detected,
                               self.volumeNode.GetAttribute(mrml.ATTR + "viewSource"),
                               json.loads(self.volumeNode.GetAttribute(mrml.ATTR + "keypointModels")))
        report = wrist_report(self.result, self.radiograph, self.analysis, found, self.profile)
        report["software"]["module"] = "WristQC"
        report["review"] = {"by": self.userName, "corrections": corrections}
        return report

    # ------------------------------------------------------------------ review: observation, undo, redo

    def _observe(self):
        """One observer per event on the keypoint list (MRML custom events carry no name)."""
        node = self.pointsNode
        handlers = ((node.PointModifiedEvent, self._onPointModified),
                    (node.PointStartInteractionEvent, self._onInteractionStart),
                    (node.PointEndInteractionEvent, self._onInteractionEnd),
                    (node.PointPositionDefinedEvent, self._onPlacementChanged),
                    (node.PointPositionUndefinedEvent, self._onPlacementChanged))
        self._observations = [node.AddObserver(event, handler) for event, handler in handlers]

    def cleanup(self):
        """Stop observing (call before the scene closes or another case starts)."""
        if self.pointsNode is not None:
            for tag in self._observations:
                self.pointsNode.RemoveObserver(tag)
        self._clearCase()

    def _onPointModified(self, caller, event):
        if self._applying:
            return
        self.computeScore()
        if not self._interacting:   # a move without drag (typed coordinates, scripted): one correction
            self.commitCorrection()

    def _onInteractionStart(self, caller, event):
        self._interacting = True

    def _onInteractionEnd(self, caller, event):
        self._interacting = False
        self.commitCorrection()

    def _onPlacementChanged(self, caller, event):
        if not self._applying:
            self.computeScore()
            self.commitCorrection()

    def commitCorrection(self) -> bool:
        """Record the current positions as one correction (undoable) when they differ from the last
        recorded ones; the heavier bookkeeping runs here, at the end of a drag, not on every move. A new
        correction ends what could be redone."""
        current = self.pointPixels()
        if _samePoints(current, self._committed):
            return False
        self._undoStack.append(self._committed)
        self._redoStack = []
        self._storeUndo()
        self._committed = current
        self.updateHighlights()
        self.tableNode.SetAttribute(mrml.ATTR + "report", json.dumps(self.result.to_dict()))
        return True

    def canUndo(self) -> bool:
        return bool(self._undoStack)

    def canRedo(self) -> bool:
        return bool(self._redoStack)

    def undo(self) -> bool:
        """Put the keypoints back where they were before the last correction and rescore; the
        correction can be redone until a new one is made."""
        if not self._undoStack:
            return False
        self._redoStack.append(self._committed)
        self._moveTo(self._undoStack.pop())
        return True

    def redo(self) -> bool:
        """Make the last undone correction again and rescore."""
        if not self._redoStack:
            return False
        self._undoStack.append(self._committed)
        self._moveTo(self._redoStack.pop())
        return True

    def _moveTo(self, pixels: dict):
        """Undo/redo: the points to a recorded state (no new correction), the history saved, rescored."""
        self._storeUndo()
        self._applyPixels(pixels)
        self._committed = pixels
        self.updateHighlights()
        self.computeScore()

    def _storeUndo(self):
        """The undo and redo history as attributes of the keypoint list, so a saved scene keeps them."""
        for key, stack in (("undo", self._undoStack), ("redo", self._redoStack)):
            self.pointsNode.SetAttribute(mrml.ATTR + key, json.dumps([_pixelsToJson(p) for p in stack]))

    def _loadHistory(self, key: str) -> list[dict]:
        return [_pixelsFromJson(pixels) for pixels in json.loads(self.pointsNode.GetAttribute(mrml.ATTR + key) or "[]")]

    def _applyPixels(self, pixels: dict):
        self._applying = True
        try:
            wasModifying = self.pointsNode.StartModify()
            for pid, xy in pixels.items():
                self.setPointPixel(pid, xy)
            self.pointsNode.EndModify(wasModifying)
        finally:
            self._applying = False

    def lowConfidencePoints(self) -> list[str]:
        """Ids of the points a detector placed with low confidence and nobody has corrected since."""
        points = keypoints_report(self.currentKeypoints(), "", self.lowConfidenceThreshold)
        return [pid for pid, point in points.items() if point["review"]]

    def updateHighlights(self):
        """Flag low-confidence points: drawn unselected (review colour) with a note in the description."""
        low = set(self.lowConfidencePoints())
        view = self.pointsNode.GetAttribute(mrml.ATTR + "view")
        self._applying = True
        try:
            for index, pid in enumerate(POINT_NAMES[view]):
                self.pointsNode.SetNthControlPointSelected(index, pid not in low)
                confidence = self._original[pid]["confidence"]
                note = f" - low confidence {confidence:.2f}, please check" if pid in low else ""
                self.pointsNode.SetNthControlPointDescription(index, POINT_NAMES[view][pid] + note)
        finally:
            self._applying = False

    def hasReviewerChanges(self) -> bool:
        """True when the current case has corrections (see corrections)."""
        return self.pointsNode is not None and bool(self.corrections())

    def corrections(self) -> list[dict]:
        """Per point that differs from what was loaded/detected: old and new pixel positions."""
        view = self.pointsNode.GetAttribute(mrml.ATTR + "view")
        changes = []
        for pid, xy in self.pointPixels().items():
            old = self._original[pid]["xy"]
            if not _samePoint(xy, old):
                changes.append({"point": pid, "name": POINT_NAMES[view][pid],
                                "old": old, "new": None if xy is None else [float(xy[0]), float(xy[1])],
                                "old_confidence": self._original[pid]["confidence"]})
        return changes

    # ------------------------------------------------------------------ export

    def exportReport(self, folder) -> tuple[Path, Path]:
        """<stem>.json and <stem>.html with the same writers as the command line."""
        report = self.report()
        stem = Path(self.radiograph.path).name.split(".")[0] or self.volumeNode.GetName()
        heatmap = self.heatmapNode()
        png = draw_wrist(self.radiograph.pixels, report, self.radiograph.window,
                         None if heatmap is None else mrml.pixelsFromVolume(heatmap))
        folder = Path(folder)
        return (write_json(report, folder / f"{stem}.json"),
                write_html(report, png, folder / f"{stem}.html"))

    def exportTrainingData(self, folder, userName=None) -> dict:
        """Image + corrected keypoints as `radiographqc train` reads them (<stem>.dcm beside <stem>.json),
        and <stem>.provenance.json: who corrected, when, and every point's old and new position."""
        source = Path(self.radiograph.path)
        if not source.is_file():
            raise InputError(source, "the image file is not available; load the radiograph with the WristQC "
                                     "loader so the training image can be copied")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = source.name.split(".")[0]
        image = folder / f"{stem}{source.suffix.lower() or '.dcm'}"
        shutil.copyfile(source, image)
        corrected = Keypoints(self.currentKeypoints().view,
                              {pid: Keypoint(xy) for pid, xy in self.pointPixels().items()})
        labels = write_keypoints(folder / f"{stem}.json", corrected)
        provenance = {"who": userName or self.userName, "when": _now(), "tool": f"WristQC (radiographqc {__version__})",
                      "image": image.name, "labels": labels.name, "source": str(source),
                      "view": corrected.view, "changes": self.corrections(),
                      "criteria_profile": {"name": self.profile.get("name"), "version": self.profile.get("version")}}
        provenancePath = write_json(provenance, folder / f"{stem}.provenance.json")
        return {"image": image, "labels": labels, "provenance": provenancePath}

    def createBatchRunner(self, inputs, outDir, keypoints=None, spacingMm=None) -> BatchRunner:
        """A batch over files and folders (searched recursively, e.g. a DICOM study) with the current
        profile; keypoints from <stem>.keypoints.json beside each image or in the `keypoints` folder."""
        pipeline = WristPipeline(self.profile, keypoints, spacingMm, detector=self.detector, artefacts=self.artefacts)
        return BatchRunner(expand_inputs(inputs), pipeline.assess, outDir)


def _pixelsToJson(pixels: dict) -> dict:
    return {pid: None if xy is None else [float(xy[0]), float(xy[1])] for pid, xy in pixels.items()}


def _pixelsFromJson(data: dict) -> dict:
    return {pid: None if xy is None else tuple(xy) for pid, xy in data.items()}


def _samePoint(a, b, tolerance=1e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance


def _samePoints(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_samePoint(a[k], b[k]) for k in a)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

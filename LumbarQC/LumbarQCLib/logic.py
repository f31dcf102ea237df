"""LumbarQC logic: a lumbar radiograph in the scene, its anatomy as a segmentation (one named,
coloured segment per structure, each vertebra its own segment named by level), the rules of the
criteria profile as a table with the verdict, re-run whenever a reviewer edits a segment. No Qt and no
global scene. The rules themselves are in `radiographqc.lumbar` (evaluate_lumbar on masks).

An edit fires several segmentation events (a Segment Editor brush stroke: the labelmap, the segment's
status tag...): the re-run is handed to a scheduler that the widget makes coalesce them, and the masks
are read again only for the segments whose labelmap changed.
"""
from __future__ import annotations

import dataclasses
import getpass
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import slicer
import vtk

from radiographqc import __version__
from RadiographQCLib import mrml
from RadiographQCLib.dependencies import DependencyMixin
from radiographqc.batch import BatchRunner, expand_inputs
from radiographqc.dicom_io import read_radiograph
from radiographqc.errors import InputError
from radiographqc.label_io import LABELS_SUFFIX, write_label_files
from radiographqc.lumbar import LEVELS, VIEWS, LumbarMasks, evaluate_lumbar, load_lumbar_profile
from radiographqc.lumbar.pipeline import LumbarPipeline, Segmenter
from radiographqc.lumbar.rules import LumbarImage
from radiographqc.report.html_report import write_html
from radiographqc.report.json_report import write_json
from radiographqc.report.overlay import draw_lumbar
from radiographqc.wrist.pipeline import source_report

from . import labels, rules

ROLE_SEGMENTATION = mrml.ATTR + "segmentation"
ROLE_TABLE = mrml.ATTR + "results"
ROLE_ORIGINAL = mrml.ATTR + "originalMasks"
ROLE_MEASURE = mrml.ATTR + "measurement"
MEASURE_COLOR = (0.0, 0.9, 0.9)
MEASURE_CLASSES = {"line": "vtkMRMLMarkupsLineNode", "point": "vtkMRMLMarkupsFiducialNode"}
AUTO_NAME_TAG = mrml.ATTR + "autoName"   # segment tag: the name the module gave (a person may rename)
MAX_SEGMENTS = 32   # the original masks are kept as bits of one uint32 volume
TABLE_COLUMNS = [("id", "string"), ("label", "string"), ("value", "string"), ("threshold", "string"),
                 ("result", "string"), ("structures", "string"), ("explanation", "string"), ("advice", "string")]
# Events after which the masks may differ (SegmentModified is filtered: see _onSegmentModified)
CONTENT_EVENTS = (slicer.vtkSegmentation.SegmentAdded, slicer.vtkSegmentation.SegmentRemoved,
                  slicer.vtkSegmentation.SourceRepresentationModified)


def formatValue(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (list, tuple)):
        return "–".join(formatValue(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {formatValue(v)}" for k, v in value.items())
    return str(value)


def runNow(callback):
    """The default scheduler: run the rules at once, inside the event (scripts, tests, batch)."""
    callback()


def resultRows(report: dict) -> list[tuple]:
    """Table rows of a lumbar report: one per rule, then the verdict."""
    verdicts = {True: "pass", False: "FAIL", None: "not assessable"}
    rows = [(r["id"], r.get("label", ""), formatValue(r.get("value")), formatValue(r.get("threshold")),
             verdicts[r.get("passed")], ", ".join(r.get("structures", [])), r.get("explanation") or "",
             r.get("advice") or "") for r in report["rules"]]
    failed = [r["id"] for r in report["rules"] if r.get("passed") is False]
    rows.append(("verdict", "overall", "qualified" if report["qualified"] else "unqualified", "every rule met",
                 "QUALIFIED" if report["qualified"] else "UNQUALIFIED", "",
                 "all rules met" if report["qualified"] else f"failed: {', '.join(failed)}", ""))
    return rows


class LumbarQCLogic(DependencyMixin):
    """Loads, segments/imports, checks and lets a reviewer correct one lumbar radiograph at a time.

    The volume references its segmentation and results table, so `restoreCase` continues a saved review.
    `schedule(callback)` runs the rules after an edit: at once by default; the widget passes one that
    runs the callback later, once for many requests in a row.
    """

    def __init__(self, scene, profilePath=None, userName=None, schedule=None):
        self.scene = scene
        self.userName = userName or getpass.getuser()
        self.schedule = schedule or runNow
        self.segmenter = Segmenter()   # the bundled segmentation model, loaded on first use
        self.profile = None
        self.profilePath = None
        self._clearCase()
        self.setProfile(profilePath)

    def setProfile(self, path=None):
        """Use the default criteria profile (None) or a department file; re-run the rules."""
        self.profile = load_lumbar_profile(path)
        self.profilePath = None if path is None else str(path)
        if self.volumeNode is not None:
            self.computeRules()

    def loadRadiograph(self, path, spacingMm=None):
        """Read with the package reader (QC spacing rules, MONOCHROME1 bone-bright)."""
        radiograph = read_radiograph(path, spacingMm)
        name = Path(path).name.split(".")[0] or Path(path).name
        return mrml.addRadiographVolume(self.scene, radiograph, self.scene.GenerateUniqueName(name))

    # ------------------------------------------------------------------ running

    def process(self, volumeNode, labelPath=None, view=None, masks: LumbarMasks | None = None):
        """Segment the radiograph (see loadCase) and run the rules. Returns the LumbarResult."""
        self.loadCase(volumeNode, labelPath, view, masks)
        self._observe()
        return self.computeRules()

    def loadCase(self, volumeNode, labelPath=None, view=None, masks: LumbarMasks | None = None):
        """The segmentation of a radiograph: the `masks` given (e.g. the simulator's exact masks of a
        teaching image, which has no label file; maskSource "given"), else found as the command line
        finds it: the label table given (<stem>.labels.json, or a folder holding it), else the one
        beside the image, else the bundled segmentation model. `view` overrides the header's, and the
        header's view the masks' (as it does a label file's). Masks of another image size or of a
        view that is not lumbar are an InputError, raised before the scene changes. Creates an empty
        results table."""
        self.cleanup()
        radiograph = mrml.radiographFromVolume(volumeNode)
        given = "given masks" if masks is not None else "label file"
        viewSource = "user" if view else "DICOM header" if radiograph.view else given
        if view:
            radiograph = dataclasses.replace(radiograph, view=rules.normaliseView(view) or view)
        if masks is not None:
            masks, maskSource, models = self._givenMasks(masks, radiograph), "given", []
        else:
            pipeline = LumbarPipeline(self.profile, masks=labelPath, segmenter=self.segmenter)
            masks, maskSource, models = pipeline.masks_for(Path(radiograph.path), radiograph)
        self._removeCaseNodes(volumeNode)
        self.volumeNode, self.radiograph, self.view, self.viewSource = volumeNode, radiograph, masks.view, viewSource
        self.rulesImage = LumbarImage(radiograph.pixels)   # the image side of every rules run of the case
        self.segmentationNode = self.createSegmentation(labels.segmentsFromMasks(masks))
        for key, value in (("viewSource", viewSource), ("maskSource", maskSource), ("models", json.dumps(models))):
            self.segmentationNode.SetAttribute(mrml.ATTR + key, value)
        self.tableNode = self.scene.AddNewNodeByClass(
            "vtkMRMLTableNode", self.scene.GenerateUniqueName(f"{volumeNode.GetName()} LumbarQC"))
        volumeNode.SetAndObserveNodeReferenceID(ROLE_TABLE, self.tableNode.GetID())
        return self.segmentationNode

    @staticmethod
    def _givenMasks(masks: LumbarMasks, radiograph) -> LumbarMasks:
        """Masks given in memory, checked as a label file is: the radiograph's size, a lumbar view
        (the radiograph's, when it has one)."""
        if tuple(masks.shape) != (radiograph.rows, radiograph.cols):
            raise InputError(radiograph.path, f"the given masks are {masks.shape[1]}x{masks.shape[0]} px, the "
                                              f"radiograph {radiograph.cols}x{radiograph.rows} px")
        if radiograph.view is not None and radiograph.view not in VIEWS:
            raise InputError(radiograph.path, f"wrong view for lumbar QC: {radiograph.view}")
        if radiograph.view is not None and radiograph.view != masks.view:
            masks = dataclasses.replace(masks, view=radiograph.view)
        return masks

    @staticmethod
    def hasCase(volumeNode) -> bool:
        """True when the volume carries a LumbarQC review that restoreCase can continue: its segmentation
        with the original masks, and its results table (all saved with the scene)."""
        segmentationNode = volumeNode.GetNodeReference(ROLE_SEGMENTATION) if volumeNode is not None else None
        return (segmentationNode is not None and segmentationNode.GetNodeReference(ROLE_ORIGINAL) is not None
                and volumeNode.GetNodeReference(ROLE_TABLE) is not None)

    def restoreCase(self, volumeNode):
        """Continue the review of a volume processed before (e.g. after loading a saved scene): the
        segmentation as the reviewer left it, the masks it started from, the table and the rules."""
        self.cleanup()
        if not self.hasCase(volumeNode):
            raise ValueError(f"{volumeNode.GetName()} has no LumbarQC review to restore (run process first)")
        segmentationNode = volumeNode.GetNodeReference(ROLE_SEGMENTATION)
        self.volumeNode, self.radiograph = volumeNode, mrml.radiographFromVolume(volumeNode)
        self.rulesImage = LumbarImage(self.radiograph.pixels)
        self.segmentationNode = segmentationNode
        self.view = segmentationNode.GetAttribute(mrml.ATTR + "view")
        self.viewSource = segmentationNode.GetAttribute(mrml.ATTR + "viewSource") or ""
        self.tableNode = volumeNode.GetNodeReference(ROLE_TABLE)
        self._original = self._loadOriginal()
        self._observe()
        return self.computeRules()

    def _clearCase(self):
        self.volumeNode = self.segmentationNode = self.tableNode = None
        self.radiograph = self.rulesImage = self.result = self.view = None
        self.viewSource = ""
        self._observations = []
        self._original = {}
        self._masks = {}            # segment id -> (mrml.segmentMaskState, mask): read again only when edited
        self._names = {}            # segment id -> name at the last rules run
        self._rulesPending = False  # an edit whose rules run is scheduled but has not run yet
        self._renaming = False

    def _removeCaseNodes(self, volumeNode):
        """Processing a volume again replaces its earlier review nodes."""
        segmentation = volumeNode.GetNodeReference(ROLE_SEGMENTATION)
        nodes = [volumeNode.GetNodeReference(ROLE_TABLE), segmentation,
                 segmentation.GetNodeReference(ROLE_ORIGINAL) if segmentation else None]
        nodes += [volumeNode.GetNthNodeReference(ROLE_MEASURE, i)
                  for i in range(volumeNode.GetNumberOfNodeReferences(ROLE_MEASURE))]
        for role in (ROLE_SEGMENTATION, ROLE_TABLE, ROLE_MEASURE):
            volumeNode.RemoveNodeReferenceIDs(role)
        for node in nodes:
            if node is not None:
                self.scene.RemoveNode(node)

    # ------------------------------------------------------------------ segmentation

    def createSegmentation(self, segments: list[tuple]):
        """One segment per structure and per vertebra, with its name, colour and (where a standard
        concept exists) terminology, from [(segment id, level or None, (rows, cols) mask)]. A vertebra
        is named by the level its masks give; the rules name the others (see _nameVertebrae)."""
        node = self.scene.AddNewNodeByClass("vtkMRMLSegmentationNode",
                                            self.scene.GenerateUniqueName(f"{self.volumeNode.GetName()} anatomy"))
        node.SetReferenceImageGeometryParameterFromVolumeNode(self.volumeNode)
        node.CreateDefaultDisplayNodes()
        node.GetDisplayNode().SetOpacity2DFill(0.35)
        node.SetAttribute(mrml.ATTR + "view", self.view)
        for sid, level, mask in segments:
            shown = labels.segmentDisplay(sid, level)
            mrml.addSegment(node, sid, shown["name"], shown["color"], mask, self.volumeNode, shown.get("terminology"))
        self.volumeNode.SetAndObserveNodeReferenceID(ROLE_SEGMENTATION, node.GetID())
        self.segmentationNode = node
        self._original = {sid: mask for sid, _, mask in segments}
        self._saveOriginal(self._original)
        return node

    def segmentIds(self) -> list[str]:
        segmentation = self.segmentationNode.GetSegmentation()
        return [segmentation.GetNthSegmentID(i) for i in range(segmentation.GetNumberOfSegments())]

    def segmentMask(self, segmentId: str) -> np.ndarray:
        """The segment's mask as it is now (read-only: it is shared with the next calls until the
        segment's labelmap changes)."""
        state = mrml.segmentMaskState(self.segmentationNode, segmentId)
        cached = self._masks.get(segmentId)
        if cached is None or cached[0] != state:
            mask = mrml.segmentMask(self.segmentationNode, segmentId, self.radiograph.pixels.shape)
            mask.flags.writeable = False
            cached = self._masks[segmentId] = (state, mask)
        return cached[1]

    def currentMasks(self) -> dict:
        """{segment id: mask} as the segmentation is now (after any Segment Editor edits)."""
        ids = self.segmentIds()
        self._masks = {sid: cached for sid, cached in self._masks.items() if sid in ids}   # removed segments
        return {sid: self.segmentMask(sid) for sid in ids}

    def currentSegments(self) -> list[tuple]:
        """[(segment id, name, level the reviewer gave or None, mask, imported)]: a vertebra's name is
        passed as its level only when a person set it (a name the rules gave is theirs to revise)."""
        segmentation = self.segmentationNode.GetSegmentation()
        result = []
        for sid, mask in self.currentMasks().items():
            segment = segmentation.GetSegment(sid)
            name = segment.GetName()
            userLevel = name if name in LEVELS and name != _autoName(segment) else None
            result.append((sid, name, userLevel, mask, sid in self._original))
        return result

    def setSegmentMask(self, segmentId: str, mask: np.ndarray):
        """Replace a segment's pixels as a Segment Editor effect does (the rules re-run from the event)."""
        mrml.setSegmentMask(self.segmentationNode, segmentId, mask, self.volumeNode)

    def _saveOriginal(self, masks: dict):
        """Keep what was imported/segmented, one bit per segment in a hidden volume saved with the scene,
        so the training export can say what the reviewer changed."""
        ids = list(masks)
        if len(ids) > MAX_SEGMENTS:
            raise ValueError(f"at most {MAX_SEGMENTS} structures can be tracked, got {len(ids)}")
        bits = np.zeros(self.radiograph.pixels.shape, np.uint32)
        for bit, sid in enumerate(ids):
            bits |= np.asarray(masks[sid], bool).astype(np.uint32) << np.uint32(bit)
        node = self.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", self.scene.GenerateUniqueName(
            f"{self.volumeNode.GetName()} original masks"))
        node.CopyOrientation(self.volumeNode)
        mrml.setVolumePixels(node, bits)
        node.SetHideFromEditors(True)
        node.SetAttribute(mrml.ATTR + "segmentIds", json.dumps(ids))
        self.segmentationNode.SetAndObserveNodeReferenceID(ROLE_ORIGINAL, node.GetID())

    def _loadOriginal(self) -> dict:
        node = self.segmentationNode.GetNodeReference(ROLE_ORIGINAL)
        bits = mrml.pixelsFromVolume(node)
        ids = json.loads(node.GetAttribute(mrml.ATTR + "segmentIds"))
        return {sid: (bits >> np.uint32(bit)) & 1 == 1 for bit, sid in enumerate(ids)}

    # ------------------------------------------------------------------ rules

    def lumbarMasks(self):
        """The segmentation as it is now, as the package's rules read it (LumbarMasks)."""
        return rules.lumbarMasks(self.view, self.radiograph.pixels.shape, self.currentSegments())

    def computeRules(self):
        """Run the rules of the profile on the segmentation as it is now; update the table and name
        the vertebra segments by the levels the rules identified."""
        self._rulesPending = False
        segments = self.currentSegments()
        masks = rules.lumbarMasks(self.view, self.radiograph.pixels.shape, segments)
        self.result = evaluate_lumbar(masks, self.rulesImage, self.profile, self.radiograph.spacing)
        report = self.result.to_dict()
        mrml.writeTable(self.tableNode, TABLE_COLUMNS, resultRows(report))
        self._nameVertebrae(report.get("vertebrae", []), segments)
        self._updateMeasurements()
        self._names = self.segmentNames()
        return self.result

    def _computePendingRules(self):
        """The scheduled run: skipped when it has run meanwhile or the case was closed."""
        if self._rulesPending:
            self.computeRules()

    def measurementNodes(self) -> list:
        return [self.volumeNode.GetNthNodeReference(ROLE_MEASURE, i)
                for i in range(self.volumeNode.GetNumberOfNodeReferences(ROLE_MEASURE))]

    def _updateMeasurements(self):
        """How each rule measured (spine edges, spinous-process centre line, the line through the
        inferior articular processes, pedicle centres) as locked markups, one node per shape: a
        node is reused while its rule draws a shape of the same kind in the same place, so an edit
        moves the lines instead of replacing them."""
        shapes = [(rule.id, shape) for rule in self.result.rules for shape in rule.geometry]
        nodes = self.measurementNodes()
        for index, (ruleId, shape) in enumerate(shapes):
            className = MEASURE_CLASSES[shape["kind"]]
            node = nodes[index] if index < len(nodes) and nodes[index].IsA(className) else None
            if node is None:
                node = mrml.addMarkups(self.scene, className, "", MEASURE_COLOR)
                if index < len(nodes):
                    self.scene.RemoveNode(nodes[index])
                    self.volumeNode.SetNthNodeReferenceID(ROLE_MEASURE, index, node.GetID())
                else:
                    self.volumeNode.AddNodeReferenceID(ROLE_MEASURE, node.GetID())
            node.SetName(shape["label"])      # the label drawn beside it: the volume's reference says whose
            node.SetAttribute(mrml.ATTR + "rule", ruleId)
            mrml.setMarkupsPixels(node, self.volumeNode, shape["points"])
        for node in nodes[len(shapes):]:
            self.scene.RemoveNode(node)
        for index in reversed(range(len(shapes), len(nodes))):
            self.volumeNode.RemoveNthNodeReferenceID(ROLE_MEASURE, index)

    def _nameVertebrae(self, vertebrae: list[dict], segments: list[tuple]):
        """Name each vertebra segment by the level the rules identified (of the vertebra whose centroid
        it holds). A level that a person or the label file gave stays; a name the rules gave earlier goes
        back to "vertebra <n>" once they no longer identify that body, so no stale level is left behind.
        The terminology, "Vertebra", is the same at every level."""
        bodies = {sid: mask for sid, _, level, mask, _ in segments if labels.vertebraNumber(sid) is not None
                  and level is None}
        levels = {}
        for entry in vertebrae:
            x, y = (int(round(v)) for v in entry["centroid"])
            levels.update({sid: entry["label"] for sid, mask in bodies.items() if mask[y, x]})
        segmentation = self.segmentationNode.GetSegmentation()
        self._renaming = True
        try:
            for sid in bodies:
                segment = segmentation.GetSegment(sid)
                if sid not in levels and segment.GetName() != _autoName(segment):
                    continue                  # a name a person gave
                name = labels.segmentDisplay(sid, levels.get(sid))["name"]
                if segment.GetName() != name:
                    segment.SetName(name)
                    segment.SetTag(AUTO_NAME_TAG, name)
        finally:
            self._renaming = False

    def segmentNames(self) -> dict:
        """{segment id: name} as the reviewer sees them."""
        segmentation = self.segmentationNode.GetSegmentation()
        return {sid: segmentation.GetSegment(sid).GetName() for sid in self.segmentIds()}

    def _observe(self):
        self._observations = [self.segmentationNode.AddObserver(event, self._onSegmentationModified)
                              for event in CONTENT_EVENTS]
        self._observations.append(self.segmentationNode.AddObserver(slicer.vtkSegmentation.SegmentModified,
                                                                    self._onSegmentModified))

    def _onSegmentationModified(self, caller, event):
        self._requestRules()

    @vtk.calldata_type(vtk.VTK_STRING)
    def _onSegmentModified(self, caller, event, segmentId):
        """A segment's name, tags, labelmap layer or label value changed. Only a new name (a level or a
        structure a reviewer names) or new pixels (an undo puts back the labelmaps, firing nothing
        else) matter to the rules. The Segment Editor's status tag (each first stroke) does not, nor
        the regrouping of the labelmap layers when the scene is saved (vtkSegmentation::
        CollapseBinaryLabelmaps): that gives each moved segment its new layer, then its label value,
        and in between it would read as another segment's pixels."""
        segment = self.segmentationNode.GetSegmentation().GetSegment(segmentId)
        if segment is None:
            return
        cached = self._masks.get(segmentId)
        if segment.GetName() != self._names.get(segmentId) or (
                cached is not None and cached[0] != mrml.segmentMaskState(self.segmentationNode, segmentId)):
            self._requestRules()

    def _requestRules(self):
        if not self._renaming:
            self._rulesPending = True
            self.schedule(self._computePendingRules)

    def configureSegmentEditor(self, segmentEditorNode):
        """Point a Segment Editor parameter node (vtkMRMLSegmentEditorNode) at this case, set up for
        structures that overlap: pedicles lie inside the vertebrae and the L3 double contour over L3,
        and the editor's default overwrite mode (OverwriteAllSegments) would erase a stroke's pixels
        from every other segment. Painting is allowed everywhere, whatever the intensity."""
        wasModifying = segmentEditorNode.StartModify()
        segmentEditorNode.SetAndObserveSegmentationNode(self.segmentationNode)
        segmentEditorNode.SetAndObserveSourceVolumeNode(self.volumeNode)
        segmentEditorNode.SetOverwriteMode(slicer.vtkMRMLSegmentEditorNode.OverwriteNone)
        segmentEditorNode.SetMaskMode(slicer.vtkMRMLSegmentationNode.EditAllowedEverywhere)
        segmentEditorNode.SourceVolumeIntensityMaskOff()
        segmentEditorNode.EndModify(wasModifying)

    def cleanup(self):
        if self.segmentationNode is not None:
            for tag in self._observations:
                self.segmentationNode.RemoveObserver(tag)
        self._clearCase()

    def hasReviewerChanges(self) -> bool:
        """True when the segmentation differs from what was imported/segmented (pixels, or segments
        added or removed): the review holds work that only the scene or an export keeps. False without a case."""
        return self.segmentationNode is not None and bool(self.changes())

    def changes(self) -> list[dict]:
        """Per segment that differs from what was imported/segmented: pixels added and removed."""
        current = self.currentMasks()
        names = self.segmentNames()
        empty = np.zeros(self.radiograph.pixels.shape, bool)
        result = []
        for sid in sorted(set(current) | set(self._original)):
            now, before = current.get(sid, empty), self._original.get(sid, empty)
            added, removed = int((now & ~before).sum()), int((before & ~now).sum())
            if added or removed or (sid in current) != (sid in self._original):
                result.append({"segment": sid, "name": names.get(sid, sid), "pixels_added": added,
                               "pixels_removed": removed, "pixels_before": int(before.sum()),
                               "pixels_after": int(now.sum())})
        return result

    # ------------------------------------------------------------------ export

    def report(self) -> dict:
        self._computePendingRules()   # an edit made just before the export is in the report
        report = self.result.to_dict()
        node = self.segmentationNode
        maskSource = node.GetAttribute(mrml.ATTR + "maskSource") or "file"
        changes = self.changes()
        report.update(source=source_report(self.radiograph, Path(self.radiograph.path), self.viewSource),
                      masks={"source": f"reviewed ({maskSource})" if changes else maskSource,
                             "structures": sorted(self.lumbarMasks().structures)},
                      models=json.loads(node.GetAttribute(mrml.ATTR + "models") or "[]"),
                      software={"name": "radiographqc", "version": __version__, "module": "LumbarQC"},
                      created=_now(), review={"by": self.userName, "changes": changes})
        return report

    def exportReport(self, folder) -> tuple[Path, Path]:
        """<stem>.json and <stem>.html (with the segmentation picture) with the same writers as the
        command line."""
        report = self.report()
        stem = Path(self.radiograph.path).name.split(".")[0] or self.volumeNode.GetName()
        png = draw_lumbar(self.radiograph.pixels, self.lumbarMasks(), self.result, self.radiograph.window)
        folder = Path(folder)
        return (write_json(report, folder / f"{stem}.json"), write_html(report, png, folder / f"{stem}.html"))

    def exportTrainingData(self, folder, userName=None) -> dict:
        """Image + corrected label files (label_io's format, which `--masks` and `radiographqc train`
        read) and <stem>.provenance.json: who corrected, when, and per segment the pixels added and
        removed. The label files hold what the rules read: the structures and one body per vertebra
        segment, with the levels the label file or the reviewer gave."""
        source = Path(self.radiograph.path)
        if not source.is_file():
            raise InputError(source, "the image file is not available; load the radiograph with the LumbarQC "
                                     "loader so the training image can be copied")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = source.name.split(".")[0]
        image = folder / f"{stem}{source.suffix.lower() or '.dcm'}"
        shutil.copyfile(source, image)
        structures, instances, levels = labels.labelFileContent(self.lumbarMasks())
        labelPath = write_label_files(folder / f"{stem}{LABELS_SUFFIX}", structures, self.view, instances, levels)
        provenance = {"who": userName or self.userName, "when": _now(),
                      "tool": f"LumbarQC (radiographqc {__version__})", "image": image.name, "labels": labelPath.name,
                      "source": str(source), "view": self.view, "changes": self.changes(),
                      "criteria_profile": {"name": self.profile.get("name"), "version": self.profile.get("version")}}
        return {"image": image, "labels": labelPath,
                "provenance": write_json(provenance, folder / f"{stem}.provenance.json")}

    def createBatchRunner(self, inputs, outDir, labelFolder=None, spacingMm=None) -> BatchRunner:
        """A batch over files and folders (searched recursively, e.g. a DICOM study) with the current
        profile: the command line's pipeline, label tables beside each image or in `labelFolder`."""
        pipeline = LumbarPipeline(self.profile, masks=labelFolder, spacing_mm=spacingMm, segmenter=self.segmenter)
        return BatchRunner(expand_inputs(inputs), pipeline.assess, outDir)


def _autoName(segment) -> str | None:
    """The name the module last gave a segment (None if it gave none); a person renamed it if it differs."""
    autoName = vtk.reference("")
    return str(autoName) if segment.GetTag(AUTO_NAME_TAG, autoName) else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

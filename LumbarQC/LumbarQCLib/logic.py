"""LumbarQC logic: a lumbar radiograph in the scene, its anatomy as a segmentation (one named,
coloured segment per structure, each vertebra its own segment named by level), the rules of the
criteria profile as a table with the verdict, re-run whenever a reviewer edits a segment. No Qt and no
global scene. The rules themselves are in `radiographqc.lumbar` (evaluate_lumbar on masks).
"""
from __future__ import annotations

import getpass
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import slicer

from radiographqc import __version__
from radiographqc.batch import expand_inputs
from radiographqc.dicom_io import read_radiograph
from radiographqc.errors import InputError
from radiographqc.profile import load_profile
from radiographqc.report.html_report import write_html
from radiographqc.report.json_report import write_json
from WristQCLib import mrml
from WristQCLib.batch import BatchRunner

from . import core

ROLE_SEGMENTATION = mrml.ATTR + "segmentation"
ROLE_TABLE = mrml.ATTR + "results"
ROLE_ORIGINAL = mrml.ATTR + "originalMasks"
MAX_SEGMENTS = 32   # the original masks are kept as bits of one uint32 volume
TABLE_COLUMNS = [("id", "string"), ("label", "string"), ("value", "string"), ("threshold", "string"),
                 ("result", "string"), ("structures", "string"), ("explanation", "string"), ("advice", "string")]
SEGMENT_EVENTS = (slicer.vtkSegmentation.SegmentAdded, slicer.vtkSegmentation.SegmentRemoved,
                  slicer.vtkSegmentation.SegmentModified, slicer.vtkSegmentation.SourceRepresentationModified)


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


class LumbarQCLogic:
    """Loads, segments/imports, checks and lets a reviewer correct one lumbar radiograph at a time.

    The volume references its segmentation and results table, so `restoreCase` continues a saved review.
    """

    def __init__(self, scene, profilePath=None, userName=None):
        self.scene = scene
        self.userName = userName or getpass.getuser()
        self.profile = None
        self.profilePath = None
        self._clearCase()
        self.setProfile(profilePath)

    def setProfile(self, path=None):
        """Use the default criteria profile (None) or a department file; re-run the rules."""
        self.profile = load_profile("lumbar", path)
        self.profilePath = None if path is None else str(path)
        if self.volumeNode is not None:
            self.computeRules()

    def loadRadiograph(self, path, spacingMm=None):
        """Read with the package reader (QC spacing rules, MONOCHROME1 bone-bright)."""
        radiograph = read_radiograph(path, spacingMm)
        name = Path(path).name.split(".")[0] or Path(path).name
        return mrml.addRadiographVolume(self.scene, radiograph, self.scene.GenerateUniqueName(name))

    # ------------------------------------------------------------------ running

    def process(self, volumeNode, labelPath=None, view=None):
        """Segment (import the label file given or found beside the image, else run the bundled model)
        and run the rules. Returns the LumbarResult."""
        self.cleanup()
        radiograph = mrml.radiographFromVolume(volumeNode)
        view = core.view_of(radiograph, view)
        masks = core.masks_for(radiograph, view, labelPath)
        self._removeCaseNodes(volumeNode)
        self.volumeNode, self.radiograph, self.view = volumeNode, radiograph, view
        self.segmentationNode = self.createSegmentation(masks)
        self.tableNode = self.scene.AddNewNodeByClass(
            "vtkMRMLTableNode", self.scene.GenerateUniqueName(f"{volumeNode.GetName()} LumbarQC"))
        volumeNode.SetAndObserveNodeReferenceID(ROLE_TABLE, self.tableNode.GetID())
        self._observe()
        return self.computeRules()

    def restoreCase(self, volumeNode):
        """Continue the review of a volume processed before (e.g. after loading a saved scene)."""
        self.cleanup()
        segmentationNode = volumeNode.GetNodeReference(ROLE_SEGMENTATION)
        if segmentationNode is None:
            raise ValueError(f"{volumeNode.GetName()} has no LumbarQC review to restore (run process first)")
        self.volumeNode, self.radiograph = volumeNode, mrml.radiographFromVolume(volumeNode)
        self.segmentationNode = segmentationNode
        self.view = segmentationNode.GetAttribute(mrml.ATTR + "view")
        self.tableNode = volumeNode.GetNodeReference(ROLE_TABLE)
        self._original = self._loadOriginal()
        self._observe()
        return self.computeRules()

    def _clearCase(self):
        self.volumeNode = self.segmentationNode = self.tableNode = None
        self.radiograph = self.result = self.view = None
        self._observations = []
        self._original = {}

    def _removeCaseNodes(self, volumeNode):
        """Processing a volume again replaces its earlier review nodes."""
        segmentation = volumeNode.GetNodeReference(ROLE_SEGMENTATION)
        nodes = [volumeNode.GetNodeReference(ROLE_TABLE), segmentation,
                 segmentation.GetNodeReference(ROLE_ORIGINAL) if segmentation else None]
        for role in (ROLE_SEGMENTATION, ROLE_TABLE):
            volumeNode.RemoveNodeReferenceIDs(role)
        for node in nodes:
            if node is not None:
                self.scene.RemoveNode(node)

    # ------------------------------------------------------------------ segmentation

    def createSegmentation(self, masks: dict):
        """One segment per structure of the view's label catalogue, in catalogue order, with its name,
        colour and terminology; `masks` maps segment ids to (rows, cols) masks."""
        node = self.scene.AddNewNodeByClass("vtkMRMLSegmentationNode",
                                            self.scene.GenerateUniqueName(f"{self.volumeNode.GetName()} anatomy"))
        node.SetReferenceImageGeometryParameterFromVolumeNode(self.volumeNode)
        node.CreateDefaultDisplayNodes()
        node.GetDisplayNode().SetOpacity2DFill(0.35)
        node.SetAttribute(mrml.ATTR + "view", self.view)
        for entry in core.catalogue(self.view, masks):
            mrml.addSegment(node, entry["id"], entry["name"], entry["color"], masks[entry["id"]], self.volumeNode,
                            entry.get("terminology"))
        self.volumeNode.SetAndObserveNodeReferenceID(ROLE_SEGMENTATION, node.GetID())
        self.segmentationNode = node
        self._original = masks
        self._saveOriginal(masks)
        return node

    def segmentIds(self) -> list[str]:
        segmentation = self.segmentationNode.GetSegmentation()
        return [segmentation.GetNthSegmentID(i) for i in range(segmentation.GetNumberOfSegments())]

    def segmentMask(self, segmentId: str) -> np.ndarray:
        return mrml.segmentMask(self.segmentationNode, segmentId, self.radiograph.pixels.shape)

    def currentMasks(self) -> dict:
        """{segment id: mask} as the segmentation is now (after any Segment Editor edits)."""
        return {sid: self.segmentMask(sid) for sid in self.segmentIds()}

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

    def computeRules(self):
        """Run the rules of the profile on the segmentation as it is now; update the table."""
        self.result = core.evaluate(self.currentMasks(), self.radiograph, self.view, self.profile)
        mrml.writeTable(self.tableNode, TABLE_COLUMNS, resultRows(self.result.to_dict()))
        return self.result

    def _observe(self):
        self._observations = [self.segmentationNode.AddObserver(event, self._onSegmentationModified)
                              for event in SEGMENT_EVENTS]

    def _onSegmentationModified(self, caller, event):
        self.computeRules()

    def cleanup(self):
        if self.segmentationNode is not None:
            for tag in self._observations:
                self.segmentationNode.RemoveObserver(tag)
        self._clearCase()

    def changes(self) -> list[dict]:
        """Per segment that differs from what was imported/segmented: pixels added and removed."""
        current = self.currentMasks()
        names = {sid: self.segmentationNode.GetSegmentation().GetSegment(sid).GetName() for sid in current}
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
        report = self.result.to_dict()
        report.update(core.source_report(self.radiograph, self.view), models=[],
                      software={"name": "radiographqc", "version": __version__, "module": "LumbarQC"},
                      created=_now(), review={"by": self.userName, "changes": self.changes()})
        return report

    def exportReport(self, folder) -> tuple[Path, Path]:
        """<stem>.json and <stem>.html with the same writers as the command line."""
        report = self.report()
        stem = Path(self.radiograph.path).name.split(".")[0] or self.volumeNode.GetName()
        png = core.overlay(self.radiograph, self.currentMasks(), report)
        folder = Path(folder)
        return (write_json(report, folder / f"{stem}.json"), write_html(report, png, folder / f"{stem}.html"))

    def exportTrainingData(self, folder, userName=None) -> dict:
        """Image + corrected label map as `radiographqc train` reads them, and <stem>.provenance.json:
        who corrected, when, and per segment the pixels added and removed."""
        source = Path(self.radiograph.path)
        if not source.is_file():
            raise InputError(source, "the image file is not available; load the radiograph with the LumbarQC "
                                     "loader so the training image can be copied")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = source.name.split(".")[0]
        image = folder / f"{stem}{source.suffix.lower() or '.dcm'}"
        shutil.copyfile(source, image)
        labels = core.write_labels(folder, stem, self.currentMasks(), self.view)
        provenance = {"who": userName or self.userName, "when": _now(),
                      "tool": f"LumbarQC (radiographqc {__version__})", "image": image.name, "labels": labels.name,
                      "source": str(source), "view": self.view, "changes": self.changes(),
                      "criteria_profile": {"name": self.profile.get("name"), "version": self.profile.get("version")}}
        return {"image": image, "labels": labels,
                "provenance": write_json(provenance, folder / f"{stem}.provenance.json")}

    def createBatchRunner(self, inputs, outDir, labels=None, spacingMm=None) -> BatchRunner:
        """A batch over files and folders (searched recursively) with the current profile."""
        process = core.batch_process(self.profile, labels, spacingMm)
        return BatchRunner(expand_inputs(inputs, core.LABEL_SUFFIX), process, outDir)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

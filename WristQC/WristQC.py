"""WristQC: quality control of wrist AP/lateral radiographs with review and correction of the keypoints.

Module, parameter node, widget and self-test. The widget only wires the .ui to WristQCLogic
(WristQCLib/logic.py), which forwards to the pure `radiographqc` package.
"""
import getpass
import os
from pathlib import Path

import qt
import slicer
import vtk
from slicer import vtkMRMLMarkupsFiducialNode, vtkMRMLScalarVolumeNode, vtkMRMLTableNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin

from radiographqc import mrml
from WristQCLib.logic import WristQCLogic

SAMPLE_CATEGORY = "RadiographQC"


class WristQC(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("WristQC")
        self.parent.categories = ["Quality Control"]
        self.parent.dependencies = []
        self.parent.contributors = ["RadiographQC developers"]
        self.parent.helpText = _(
            "Quality control of wrist radiographs (AP/PA and lateral): DICOM header completeness, L/R lead "
            "marker, foreign-body artefact and positioning, scored out of 100 points with grade A-D by the "
            "rules of the selected criteria profile.<br><br>"
            "Load a DICOM with <b>Load radiograph</b> (correct DX/CR pixel spacing, MONOCHROME1 shown "
            "bone-bright), then <b>Apply</b>. Drag a keypoint to correct it: lines, angles, table, total and "
            "grade update at once. Place a missing point from the Markups module. <b>Undo</b> reverts the "
            "last correction. Points flagged in orange had a low detector confidence.<br>"
            "<b>Export report</b> writes the same JSON/HTML as the command line; <b>Export training data</b> "
            "writes the image, the corrected keypoints and who/when/what changed for `radiographqc train`.")
        self.parent.acknowledgementText = _(
            "The criteria follow a published fully automatic wrist radiograph QC system (keypoint detection, "
            "header check, marker and artefact detection into a 100-point score). Built on 3D Slicer.")
        slicer.app.connect("startupCompleted()", registerSampleData)


def samplesDir():
    """The repository's sample folder: beside the module when installed, one level up in the source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "Resources" / "Samples", here.parent / "Resources" / "Samples"):
        if candidate.is_dir():
            return candidate
    return None


def registerSampleData():
    """Each wrist sample (Resources/Samples/wrist/*.dcm with <stem>.keypoints.json beside it) is loaded
    through the WristQC loader, which gives the correct spacing and display."""
    import SampleData

    folder = samplesDir()
    if folder is None:
        return
    icon = os.path.join(os.path.dirname(__file__), "Resources", "Icons", "WristQC.png")
    for dicom in sorted((folder / "wrist").glob("*.dcm")):
        SampleData.SampleDataLogic.registerCustomSampleDataSource(
            category=SAMPLE_CATEGORY, sampleName=f"Wrist {dicom.stem}", uris=dicom.as_uri(),
            fileNames=dicom.name, nodeNames=dicom.stem, thumbnailFileName=icon, loadFiles=False,
            customDownloader=lambda source, path=dicom: WristQCLogic(slicer.mrmlScene).loadRadiograph(path))


@parameterNodeWrapper
class WristQCParameterNode:
    """inputVolume: the radiograph; keypoints/results: the review nodes of the last Apply;
    profilePath: department criteria file ("" = default); exportFolder: where exports go."""

    inputVolume: vtkMRMLScalarVolumeNode
    keypoints: vtkMRMLMarkupsFiducialNode
    results: vtkMRMLTableNode
    profilePath: str = ""
    exportFolder: str = ""


class WristQCWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self.batchRunner = None
        self.batchTimer = None

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/WristQC.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = WristQCLogic(slicer.mrmlScene, userName=getpass.getuser())

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.loadButton.clicked.connect(self.onLoad)
        self.ui.applyButton.clicked.connect(self.onApply)
        self.ui.undoButton.clicked.connect(self.onUndo)
        self.ui.profilePathLineEdit.currentPathChanged.connect(self.onProfileChanged)
        self.ui.exportReportButton.clicked.connect(self.onExportReport)
        self.ui.exportTrainingButton.clicked.connect(self.onExportTraining)
        self.ui.batchStartButton.clicked.connect(self.onBatchStart)
        self.ui.batchCancelButton.clicked.connect(self.onBatchCancel)
        self.ui.userNameLineEdit.text = getpass.getuser()
        self.initializeParameterNode()

    def cleanup(self):
        self.removeObservers()
        if self.logic:
            self.logic.cleanup()

    def enter(self):
        self.initializeParameterNode()

    def exit(self):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None

    def onSceneStartClose(self, caller, event):
        self.logic.cleanup()
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event):
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self):
        self.setParameterNode(WristQCParameterNode(ScriptedLoadableModuleLogic().getParameterNode()))
        if not self._parameterNode.inputVolume:
            volume = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if volume:
                self._parameterNode.inputVolume = volume

    def setParameterNode(self, parameterNode):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.updateButtons)
        self._parameterNode = parameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.updateButtons)
        self.updateButtons()

    # ------------------------------------------------------------------ actions (all work is in the logic)

    def onLoad(self):
        with slicer.util.tryWithErrorDisplay(_("Cannot load the radiograph."), waitCursor=True):
            volume = self.logic.loadRadiograph(self.ui.dicomPathLineEdit.currentPath)
            slicer.util.setSliceViewerLayers(background=volume, fit=True)
            self._parameterNode.inputVolume = volume

    def onApply(self):
        volume = self._parameterNode.inputVolume
        with slicer.util.tryWithErrorDisplay(_("Wrist QC failed."), waitCursor=True):
            if not mrml.isRadiographVolume(volume):
                volume = self._reloadWithModuleReader(volume)
            self.logic.process(volume)
            self._parameterNode.keypoints = self.logic.pointsNode
            self._parameterNode.results = self.logic.tableNode
            self.ui.resultsTableView.setMRMLTableNode(self.logic.tableNode)
            self.addObserver(self.logic.tableNode, vtk.vtkCommand.ModifiedEvent, self.onResultsModified)
            self.onResultsModified()

    def _reloadWithModuleReader(self, volume):
        """A volume from Slicer's DICOM reader lacks the QC spacing and header: read its file again."""
        uids = (volume.GetAttribute("DICOM.instanceUIDs") or "").split()
        if not uids:
            raise ValueError(_("Load the radiograph with 'Load radiograph' (or from the DICOM database)."))
        reloaded = self.logic.loadRadiograph(slicer.dicomDatabase.fileForInstance(uids[0]))
        self._parameterNode.inputVolume = reloaded
        return reloaded

    def onResultsModified(self, caller=None, event=None):
        result = self.logic.result
        if result is not None:
            self.ui.gradeLabel.text = _("Grade {grade}: {total} / {max} assessable points").format(
                grade=result.grade, total=result.total, max=result.max_assessable)
        self.updateButtons()

    def onUndo(self):
        self.logic.undo()
        self.updateButtons()

    def onProfileChanged(self, path):
        with slicer.util.tryWithErrorDisplay(_("Cannot use this criteria profile."), waitCursor=True):
            self.logic.setProfile(path or None)
            self._parameterNode.profilePath = path
        self.onResultsModified()

    def onExportReport(self):
        with slicer.util.tryWithErrorDisplay(_("Report export failed."), waitCursor=True):
            jsonPath, htmlPath = self.logic.exportReport(self.ui.exportFolderLineEdit.currentPath)
            self.ui.statusLabel.text = _("Report written: {path}").format(path=htmlPath)

    def onExportTraining(self):
        with slicer.util.tryWithErrorDisplay(_("Training data export failed."), waitCursor=True):
            paths = self.logic.exportTrainingData(Path(self.ui.exportFolderLineEdit.currentPath) / "training",
                                                  userName=self.ui.userNameLineEdit.text)
            self.ui.statusLabel.text = _("Training data written: {path}").format(path=paths["labels"])

    def onBatchStart(self):
        with slicer.util.tryWithErrorDisplay(_("Cannot start the batch."), waitCursor=True):
            self.batchRunner = self.logic.createBatchRunner([self.ui.batchInputLineEdit.currentPath],
                                                            self.ui.batchOutputLineEdit.currentPath)
            self.ui.batchProgressBar.value = 0
            self.batchTimer = qt.QTimer()
            self.batchTimer.setInterval(0)          # one file per event-loop turn: the GUI stays live
            self.batchTimer.timeout.connect(self.onBatchStep)
            self.batchTimer.start()
        self.updateButtons()

    def onBatchStep(self):
        step = self.batchRunner.step()
        if step is None:
            self.batchTimer.stop()
            result = self.batchRunner.result
            self.ui.statusLabel.text = _("Batch finished: {n} files, {failed} failed; summary {path}").format(
                n=len(result.rows), failed=result.failed, path=result.summary_path)
            self.batchRunner = None
        else:
            self.ui.batchProgressBar.value = int(round(100 * step.progress))
            self.ui.statusLabel.text = step.error or str(step.path)
        self.updateButtons()

    def onBatchCancel(self):
        if self.batchRunner:
            self.batchRunner.cancel()

    def updateButtons(self, caller=None, event=None):
        hasVolume = bool(self._parameterNode and self._parameterNode.inputVolume)
        hasCase = self.logic is not None and self.logic.result is not None
        self.ui.applyButton.enabled = hasVolume
        self.ui.undoButton.enabled = hasCase and self.logic.canUndo()
        self.ui.exportReportButton.enabled = hasCase
        self.ui.exportTrainingButton.enabled = hasCase
        running = self.batchRunner is not None
        self.ui.batchStartButton.enabled = not running
        self.ui.batchCancelButton.enabled = running


class WristQCTest(ScriptedLoadableModuleTest):
    """The review workflow in Slicer: load, score, drag a point, undo, place a missing point, export."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_WristQC_review_workflow()

    def test_WristQC_review_workflow(self):
        import numpy as np
        from radiographqc.dicom_write import write_dx
        from radiographqc.wrist.keypoints import Keypoint, Keypoints

        self.delayDisplay("Writing a synthetic DX radiograph")
        folder = Path(slicer.util.tempDirectory())
        yy, xx = np.mgrid[0:500, 0:480]
        pixels = (100 + 800 * np.exp(-((xx - 240) / 60.0) ** 2) + 0.3 * yy).astype(np.float32)
        path = write_dx(folder / "wrist.dcm", pixels, spacing_mm=(0.2, 0.25), view_position="PA")

        logic = WristQCLogic(slicer.mrmlScene, userName="selftest")
        volume = logic.loadRadiograph(path)
        self.assertEqual(volume.GetSpacing(), (0.25, 0.2, 1.0))
        keypoints = Keypoints("AP", {"P1": Keypoint(None), "P2": Keypoint((159.5, 299.5), 0.3),
                                     "P3": Keypoint((319.5, 299.5), 0.9)})
        result = logic.process(volume, keypoints)
        self.assertEqual(logic.lowConfidencePoints(), ["P2"])
        before = result.total
        self.delayDisplay("Tilting the styloid line by 8 degrees")
        dy = 160 * 0.25 * np.tan(np.radians(8)) / 0.2
        logic.setPointPixel("P3", (319.5, 299.5 + dy))
        ap3 = {item.id: item.score for item in logic.result.items}["AP3"]
        self.assertEqual(ap3, 4)
        self.assertEqual(logic.result.total, before - 6)
        self.assertTrue(logic.undo())
        self.assertEqual(logic.result.total, before)
        self.delayDisplay("Placing the missing thumb MCP joint")
        logic.setPointPixel("P1", (60.0, 100.0))
        self.assertEqual(logic.result.total, before + 5)
        jsonPath, htmlPath = logic.exportReport(folder / "report")
        self.assertTrue(htmlPath.is_file())
        paths = logic.exportTrainingData(folder / "training")
        self.assertTrue(paths["provenance"].is_file())
        logic.cleanup()
        self.delayDisplay("Test passed")

"""LumbarQC: quality control of lumbar spine radiographs (AP, lateral, oblique) from a segmentation.

Module, parameter node, widget and self-test. The widget only wires the .ui to LumbarQCLogic
(LumbarQCLib/logic.py), which forwards to the pure `radiographqc` package.
"""
import getpass
import os
from pathlib import Path

import qt
import slicer
import vtk
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin

from LumbarQCLib.logic import LumbarQCLogic
from radiographqc import mrml

SAMPLE_CATEGORY = "RadiographQC"


class LumbarQC(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("LumbarQC")
        self.parent.categories = ["Quality Control"]
        self.parent.dependencies = []
        self.parent.contributors = ["RadiographQC developers"]
        self.parent.helpText = _(
            "Quality control of lumbar spine radiographs (AP, lateral, oblique): anatomy is segmented "
            "(each vertebra its own segment, named by level), and rules on the segmentation decide whether "
            "each criterion is met - vertebra count, spinous processes centred, no L3 double contour, "
            "Scottie dog, pelvis/foramina/sacrum present, exposure - with the overall verdict.<br><br>"
            "Load a DICOM with <b>Load radiograph</b>, then <b>Apply</b>: the masks come from the label table "
            "chosen (<i>stem</i>.labels.json), else the one beside the image, else the bundled segmentation "
            "model. "
            "Correct the masks with the Segment Editor: the rules re-run after every edit. "
            "<b>Export report</b> writes the same JSON/HTML as the command line; <b>Export training data</b> "
            "writes the image, the corrected label files (read by <tt>--masks</tt> and <tt>radiographqc train</tt>) "
            "and who/when/what changed.")
        self.parent.acknowledgementText = _(
            "The rules follow a published lumbar spine radiograph QC framework (scSE U-Net segmentation and "
            "quantitative rules). Built on 3D Slicer.")
        slicer.app.connect("startupCompleted()", registerSampleData)


def samplesDir():
    """The repository's sample folder: beside the module when installed, one level up in the source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "Resources" / "Samples", here.parent / "Resources" / "Samples"):
        if candidate.is_dir():
            return candidate
    return None


def registerSampleData():
    """Each lumbar sample (Resources/Samples/lumbar/*.dcm) is loaded through the LumbarQC loader."""
    import SampleData

    folder = samplesDir()
    if folder is None:
        return
    icon = os.path.join(os.path.dirname(__file__), "Resources", "Icons", "LumbarQC.png")
    for dicom in sorted((folder / "lumbar").glob("*.dcm")):
        SampleData.SampleDataLogic.registerCustomSampleDataSource(
            category=SAMPLE_CATEGORY, sampleName=f"Lumbar {dicom.stem}", uris=dicom.as_uri(),
            fileNames=dicom.name, nodeNames=dicom.stem, thumbnailFileName=icon, loadFiles=False,
            customDownloader=lambda source, path=dicom: LumbarQCLogic(slicer.mrmlScene).loadRadiograph(path))


@parameterNodeWrapper
class LumbarQCParameterNode:
    """inputVolume: the radiograph; segmentation/results: the review nodes of the last Apply;
    profilePath: department criteria file ("" = default)."""

    inputVolume: vtkMRMLScalarVolumeNode
    segmentation: vtkMRMLSegmentationNode
    results: vtkMRMLTableNode
    profilePath: str = ""


class LumbarQCWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
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
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/LumbarQC.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = LumbarQCLogic(slicer.mrmlScene, userName=getpass.getuser())

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.loadButton.clicked.connect(self.onLoad)
        self.ui.applyButton.clicked.connect(self.onApply)
        self.ui.undoButton.visible = False    # the Segment Editor has its own undo
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
        self.setParameterNode(LumbarQCParameterNode(ScriptedLoadableModuleLogic().getParameterNode()))
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
        with slicer.util.tryWithErrorDisplay(_("Lumbar QC failed."), waitCursor=True):
            if not mrml.isRadiographVolume(volume):
                raise ValueError(_("Load the radiograph with 'Load radiograph' so its spacing and header are "
                                   "read as the QC needs them."))
            labelPath = self.ui.labelPathLineEdit.currentPath or None
            self.logic.process(volume, labelPath=labelPath)
            self._parameterNode.segmentation = self.logic.segmentationNode
            self._parameterNode.results = self.logic.tableNode
            self.ui.resultsTableView.setMRMLTableNode(self.logic.tableNode)
            self.addObserver(self.logic.tableNode, vtk.vtkCommand.ModifiedEvent, self.onResultsModified)
            self.onResultsModified()

    def onResultsModified(self, caller=None, event=None):
        result = self.logic.result
        if result is not None:
            failed = [rule.id for rule in result.rules if rule.passed is False]
            self.ui.gradeLabel.text = (_("QUALIFIED") if result.qualified else
                                       _("UNQUALIFIED: {rules}").format(rules=", ".join(failed)))
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
        self.ui.exportReportButton.enabled = hasCase
        self.ui.exportTrainingButton.enabled = hasCase
        running = self.batchRunner is not None
        self.ui.batchStartButton.enabled = not running
        self.ui.batchCancelButton.enabled = running


class LumbarQCTest(ScriptedLoadableModuleTest):
    """The review workflow in Slicer: load, import masks, run the rules, edit L3's double contour, export."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_LumbarQC_review_workflow()

    def test_LumbarQC_review_workflow(self):
        import shutil

        import numpy as np

        samples = samplesDir()
        self.assertIsNotNone(samples, "the repository samples (Resources/Samples/lumbar) are needed")
        folder = Path(slicer.util.tempDirectory())
        for name in ("lumbar_ap_routine.dcm", "lumbar_ap_routine.labels.png", "lumbar_ap_routine.labels.json",
                     "lumbar_ap_routine.vertebrae.png"):
            shutil.copyfile(samples / "lumbar" / name, folder / name)
        self.delayDisplay("Loading an AP lumbar sample with its label files")
        logic = LumbarQCLogic(slicer.mrmlScene, userName="selftest")
        volume = logic.loadRadiograph(folder / "lumbar_ap_routine.dcm")
        result = logic.process(volume)
        self.assertTrue({r.id: r for r in result.rules}["l3_double_contour"].passed)
        self.delayDisplay("Painting all of L3 into the double contour, as the Segment Editor would")
        l3 = logic.segmentMask("L3")
        logic.setSegmentMask("L3_double_contour", np.logical_or(logic.segmentMask("L3_double_contour"), l3))
        rule = {r.id: r for r in logic.result.rules}["l3_double_contour"]
        self.assertFalse(rule.passed)
        self.assertFalse(logic.result.qualified)
        jsonPath, htmlPath = logic.exportReport(folder / "report")
        self.assertIn("data:image/png;base64,", htmlPath.read_text())
        paths = logic.exportTrainingData(folder / "training")
        self.assertTrue(paths["provenance"].is_file())
        logic.cleanup()
        self.delayDisplay("Test passed")

"""LumbarQC: quality control of lumbar spine radiographs (AP, lateral, oblique) from a segmentation.

Module, parameter node, widget and self-test. The widget only wires the .ui to LumbarQCLogic
(LumbarQCLib/logic.py), which forwards to the pure `radiographqc` package.
"""
import getpass
import os
import sys
from pathlib import Path

# Slicer puts the folder of a module it loads on sys.path, nothing more. Installed, the shared packages
# (radiographqc, RadiographQCLib) sit beside this file; in a source checkout (module paths set to
# WristQC/ and LumbarQC/) they sit one folder up.
_HERE = os.path.dirname(os.path.abspath(__file__))
for _folder in (_HERE, os.path.dirname(_HERE)):
    if os.path.isdir(os.path.join(_folder, "RadiographQCLib")):
        if _folder not in sys.path:
            sys.path.append(_folder)
        break

import qt
import slicer
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin

from LumbarQCLib.logic import LumbarQCLogic
from RadiographQCLib import mrml
from RadiographQCLib.qcwidget import QCWidgetMixin, shownErrors
from RadiographQCLib.paths import optionalFile
from RadiographQCLib.samples import registerSamples, samplesFolder, showRadiograph

DOCUMENTATION_URL = "https://github.com/RadiographQC/SlicerRadiographQC#in-3d-slicer"
RULES_DELAY_MS = 300   # the events of one brush stroke come within milliseconds, the next stroke much later


class LumbarQC(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("LumbarQC")
        self.parent.categories = ["Quality Control"]
        self.parent.dependencies = []
        self.parent.contributors = ["RadiographQC developers (RadiographQC project)"]
        self.parent.helpText = _(
            "Quality control of lumbar spine radiographs (AP, lateral, oblique): anatomy is segmented "
            "(each vertebra its own segment, named by level), and rules on the segmentation decide whether "
            "each criterion is met - vertebra count, spinous processes centred, no L3 double contour, "
            "Scottie dog, pelvis/foramina/sacrum present, exposure - with the overall verdict.<br><br>"
            "Load a DICOM with <b>Load radiograph</b>, then <b>Apply</b>: the masks come from the label table "
            "chosen (<i>stem</i>.labels.json), else the one beside the image, else the bundled segmentation "
            "model. "
            "<b>Edit segments</b> opens the Segment Editor on the case with overlap allowed (pedicles lie inside "
            "the vertebrae, the L3 double contour over L3): the rules re-run after every edit. "
            "<b>Export report</b> writes the same JSON/HTML as the command line; <b>Export training data</b> "
            "writes the image, the corrected label files (read by <tt>--masks</tt> and <tt>radiographqc train</tt>) "
            "and who/when/what changed.<br>"
            "On first Apply the module offers to install the Python packages it needs.<br>"
            'See the <a href="{url}">documentation</a>.').format(url=DOCUMENTATION_URL)
        self.parent.acknowledgementText = _(
            "The rules follow a published lumbar spine radiograph QC framework (scSE U-Net segmentation and "
            "quantitative rules). Built on 3D Slicer.")
        slicer.app.connect("startupCompleted()", lambda: registerSamples(
            __file__, "lumbar", "Lumbar", LumbarQCLogic, Path(__file__).parent / "Resources" / "Icons" / "LumbarQC.png"))


class SingleShotScheduler:
    """The logic's scheduler in the GUI: runs the last requested callback once, `delayMs` after the
    last request, so the several segmentation events of one edit give one rules run."""

    def __init__(self, delayMs=RULES_DELAY_MS):
        self.callback = None
        self.timer = qt.QTimer()
        self.timer.setSingleShot(True)
        self.timer.setInterval(delayMs)
        self.timer.timeout.connect(self.onTimeout)

    def __call__(self, callback):
        self.callback = callback
        self.timer.start()                   # restarts a running timer

    def onTimeout(self):
        callback, self.callback = self.callback, None
        if callback is not None:
            callback()


@parameterNodeWrapper
class LumbarQCParameterNode:
    """inputVolume: the radiograph; segmentation/results: the review nodes of the last Apply;
    profilePath: department criteria file ("" = default); exportFolder: where exports go."""

    inputVolume: vtkMRMLScalarVolumeNode
    segmentation: vtkMRMLSegmentationNode
    results: vtkMRMLTableNode
    profilePath: str = ""
    exportFolder: str = ""


class LumbarQCWidget(QCWidgetMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    logicClass = LumbarQCLogic
    parameterNodeClass = LumbarQCParameterNode
    uiFileName = "LumbarQC.ui"

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        self.setupQC()
        self.ui.editSegmentsButton.clicked.connect(self.onEditSegments)
        self.initializeParameterNode()

    def createLogic(self):
        return LumbarQCLogic(slicer.mrmlScene, userName=getpass.getuser(), schedule=SingleShotScheduler())

    def runQC(self, volume):
        if not mrml.isRadiographVolume(volume):
            raise ValueError(_("Load the radiograph with 'Load radiograph' so its spacing and header are "
                               "read as the QC needs them."))
        labelPath = optionalFile(self.ui.labelPathLineEdit.currentPath, ".labels.json", _("label table"),
                                 allowFolder=True)
        self.logic.process(volume, labelPath=labelPath)
        self._parameterNode.segmentation = self.logic.segmentationNode

    def showCase(self, volume):
        showRadiograph(volume)

    def onResultsModified(self, caller=None, event=None):
        result = self.logic.result
        if result is not None:
            failed = [rule.id for rule in result.rules if rule.passed is False]
            self.ui.gradeLabel.text = (_("QUALIFIED") if result.qualified else
                                       _("UNQUALIFIED: {rules}").format(rules=", ".join(failed)))
        self.updateButtons()

    def onEditSegments(self):
        """The Segment Editor module on this case, overlaps allowed (LumbarQCLogic.configureSegmentEditor).
        Entering the module makes its widget take the scene's "SegmentEditor" parameter node and, when it
        has no segmentation yet, pick one itself (SegmentEditor.py, Slicer 5.10-5.12): the case is set after."""
        with shownErrors(_("Cannot open the Segment Editor.")):
            slicer.util.selectModule("SegmentEditor")
            editor = slicer.util.getModuleWidget("SegmentEditor").editor
            self.logic.configureSegmentEditor(editor.mrmlSegmentEditorNode())

    def updateCaseButtons(self, hasCase):
        self.ui.editSegmentsButton.enabled = hasCase


class LumbarQCTest(ScriptedLoadableModuleTest):
    """The review workflow in Slicer: load, import masks, run the rules, edit L3's double contour, export."""

    def setUp(self):
        slicer.mrmlScene.Clear()
        LumbarQCLogic(slicer.mrmlScene).installDependencies()   # a fresh Slicer has not got them yet

    def runTest(self):
        self.setUp()
        self.test_LumbarQC_review_workflow()

    def test_LumbarQC_review_workflow(self):
        import shutil

        import numpy as np

        samples = samplesFolder(__file__)
        self.assertIsNotNone(samples, "the repository samples (Resources/Samples/lumbar) are needed")
        folder = Path(slicer.util.tempDirectory())
        shutil.copyfile(samples / "lumbar" / "lumbar_ap_routine.dcm", folder / "lumbar_ap_routine.dcm")
        for name in ("lumbar_ap_routine.labels.png", "lumbar_ap_routine.labels.json", "lumbar_ap_routine.vertebrae.png"):
            shutil.copyfile(samples / "lumbar" / "truth" / name, folder / name)
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

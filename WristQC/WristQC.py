"""WristQC: quality control of wrist AP/lateral radiographs with review and correction of the keypoints.

Module, parameter node, widget and self-test. The widget only wires the .ui to WristQCLogic
(WristQCLib/logic.py), which forwards to the pure `radiographqc` package.
"""
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

import slicer
from slicer import vtkMRMLMarkupsFiducialNode, vtkMRMLScalarVolumeNode, vtkMRMLTableNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin

from RadiographQCLib import mrml
from RadiographQCLib.qcwidget import QCWidgetMixin
from RadiographQCLib.samples import registerSamples, showRadiograph
from WristQCLib.logic import WristQCLogic

DOCUMENTATION_URL = "https://github.com/RadiographQC/SlicerRadiographQC#in-3d-slicer"


class WristQC(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("WristQC")
        self.parent.categories = ["Quality Control"]
        self.parent.dependencies = []
        self.parent.contributors = ["RadiographQC developers (RadiographQC project)"]
        self.parent.helpText = _(
            "Quality control of wrist radiographs (AP/PA and lateral): DICOM header completeness, L/R lead "
            "marker, foreign-body artefact and positioning, scored out of 100 points with grade A-D by the "
            "rules of the selected criteria profile.<br><br>"
            "Load a DICOM with <b>Load radiograph</b> (correct DX/CR pixel spacing, MONOCHROME1 shown "
            "bone-bright), then <b>Apply</b>. Drag a keypoint to correct it: lines, angles, table, total and "
            "grade update at once. Place a missing point from the Markups module. <b>Undo</b> reverts the "
            "last correction, <b>Redo</b> makes an undone one again. Points flagged in orange had a low "
            "detector confidence.<br>"
            "<b>Export report</b> writes the same JSON/HTML as the command line; <b>Export training data</b> "
            "writes the image, the corrected keypoints and who/when/what changed for `radiographqc train`.<br>"
            "On first Apply the module offers to install the Python packages it needs.<br>"
            'See the <a href="{url}">documentation</a>.').format(url=DOCUMENTATION_URL)
        self.parent.acknowledgementText = _(
            "The criteria follow a published fully automatic wrist radiograph QC system (keypoint detection, "
            "header check, marker and artefact detection into a 100-point score). Built on 3D Slicer.")
        slicer.app.connect("startupCompleted()", lambda: registerSamples(
            __file__, "wrist", "Wrist", WristQCLogic, Path(__file__).parent / "Resources" / "Icons" / "WristQC.png"))


@parameterNodeWrapper
class WristQCParameterNode:
    """inputVolume: the radiograph; keypoints/results: the review nodes of the last Apply;
    profilePath: department criteria file ("" = default); exportFolder: where exports go."""

    inputVolume: vtkMRMLScalarVolumeNode
    keypoints: vtkMRMLMarkupsFiducialNode
    results: vtkMRMLTableNode
    profilePath: str = ""
    exportFolder: str = ""


class WristQCWidget(QCWidgetMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    logicClass = WristQCLogic
    parameterNodeClass = WristQCParameterNode
    uiFileName = "WristQC.ui"

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        self.setupQC()
        self.ui.undoButton.clicked.connect(self.onUndo)
        self.ui.redoButton.clicked.connect(self.onRedo)
        self.initializeParameterNode()

    def runQC(self, volume):
        if not mrml.isRadiographVolume(volume):
            volume = self._reloadWithModuleReader(volume)
        self.logic.process(volume)
        self._parameterNode.keypoints = self.logic.pointsNode

    def showCase(self, volume):
        """The radiograph with the foreign-body heatmap over it, only where the evidence is above one half."""
        heatmap = self.logic.heatmapNode()
        if heatmap is None:
            showRadiograph(volume)
            return
        display = heatmap.GetDisplayNode()
        display.SetAndObserveColorNodeID("vtkMRMLColorTableNodeRed")
        display.SetThreshold(0.5, 1.0)
        display.ApplyThresholdOn()
        showRadiograph(volume, foreground=heatmap, foregroundOpacity=0.4)

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

    def onRedo(self):
        self.logic.redo()
        self.updateButtons()

    def updateCaseButtons(self, hasCase):
        self.ui.undoButton.enabled = hasCase and self.logic.canUndo()
        self.ui.redoButton.enabled = hasCase and self.logic.canRedo()


class WristQCTest(ScriptedLoadableModuleTest):
    """The review workflow in Slicer: load, score, drag a point, undo, place a missing point, export."""

    def setUp(self):
        slicer.mrmlScene.Clear()
        WristQCLogic(slicer.mrmlScene).installDependencies()   # a fresh Slicer has not got them yet

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

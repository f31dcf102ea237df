"""The Qt side shared by the WristQC and LumbarQC widgets: parameter node wiring, loading, the
criteria profile, the exports and the background batch. Imported only inside Slicer (it needs qt
and slicer.util); the logics it drives are Qt-free and tested with slicer-core.
"""
from __future__ import annotations

import getpass
from pathlib import Path

import qt
import slicer
import vtk
from slicer.i18n import tr as _
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleLogic


class QCWidgetMixin:
    """Mixed into a ScriptedLoadableModuleWidget + VTKObservationMixin that sets `logicClass`,
    `parameterNodeClass` and `uiFileName`, and defines onApply, onResultsModified and
    updateCaseButtons(hasCase)."""

    logicClass = None
    parameterNodeClass = None
    uiFileName = ""
    logic = None
    batchRunner = None
    batchTimer = None
    _parameterNode = None
    _parameterNodeGuiTag = None

    def setupQC(self):
        """Load the .ui, make the logic, connect the shared buttons; returns the ui namespace."""
        uiWidget = slicer.util.loadUI(self.resourcePath(f"UI/{self.uiFileName}"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = self.logicClass(slicer.mrmlScene, userName=getpass.getuser())
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.loadButton.clicked.connect(self.onLoad)
        self.ui.applyButton.clicked.connect(self.onApply)
        self.ui.profilePathLineEdit.currentPathChanged.connect(self.onProfileChanged)
        self.ui.exportReportButton.clicked.connect(self.onExportReport)
        self.ui.exportTrainingButton.clicked.connect(self.onExportTraining)
        self.ui.batchStartButton.clicked.connect(self.onBatchStart)
        self.ui.batchCancelButton.clicked.connect(self.onBatchCancel)
        self.ui.userNameLineEdit.text = getpass.getuser()
        return self.ui

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
        self.setParameterNode(self.parameterNodeClass(ScriptedLoadableModuleLogic().getParameterNode()))
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

    # ------------------------------------------------------------------ actions (the work is in the logic)

    def onLoad(self):
        with slicer.util.tryWithErrorDisplay(_("Cannot load the radiograph."), waitCursor=True):
            volume = self.logic.loadRadiograph(self.ui.dicomPathLineEdit.currentPath)
            slicer.util.setSliceViewerLayers(background=volume, fit=True)
            self._parameterNode.inputVolume = volume

    def showResults(self):
        """After Apply: the results table in the module panel, kept current by its Modified event."""
        self._parameterNode.results = self.logic.tableNode
        self.ui.resultsTableView.setMRMLTableNode(self.logic.tableNode)
        self.addObserver(self.logic.tableNode, vtk.vtkCommand.ModifiedEvent, self.onResultsModified)
        self.onResultsModified()

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
        self.updateCaseButtons(hasCase)

"""The Qt side shared by the WristQC and LumbarQC widgets: the module's own parameter node, loading,
resuming a saved review, the dependency install, the criteria profile, the exports and the
background batch. Imported only inside Slicer (it needs qt and slicer.util); the logics it drives are
Qt-free and tested with slicer-core.
"""
from __future__ import annotations

import getpass
import logging
from contextlib import contextmanager

import qt
import slicer
import vtk
from slicer.i18n import tr as _
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleLogic

from .paths import profileChoice, requiredFolder
from .samples import showRadiograph

PROFILE_SETTLE_MS = 500   # act on the profile field once the user stops typing


class Attempt:
    succeeded = False


@contextmanager
def shownErrors(message):
    """An action of a slot: its error is shown (with a wait cursor meanwhile) and logged, and the
    panel goes on. Slicer's tryWithErrorDisplay shows the error and raises it again (util.py,
    v5.10.0), which would end the slot before the panel says what happened."""
    attempt = Attempt()
    try:
        with slicer.util.tryWithErrorDisplay(message, waitCursor=True):
            yield attempt
        attempt.succeeded = True
    except Exception:   # noqa: BLE001 -- already shown to the user; a slot must not raise
        logging.exception(message)


class QCWidgetMixin:
    """Mixed into a ScriptedLoadableModuleWidget + VTKObservationMixin that sets `logicClass`,
    `parameterNodeClass` and `uiFileName`, and defines runQC(volume), showCase(volume),
    onResultsModified and updateCaseButtons(hasCase)."""

    logicClass = None
    parameterNodeClass = None
    uiFileName = ""
    logic = None
    batchRunner = None
    batchTimer = None
    profileTimer = None
    _parameterNode = None
    _parameterNodeGuiTag = None
    _observedTable = None

    def setupQC(self):
        """Load the .ui, make the logic, connect the shared buttons; returns the ui namespace."""
        uiWidget = slicer.util.loadUI(self.resourcePath(f"UI/{self.uiFileName}"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = self.createLogic()
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndImportEvent, self.onSceneEndImport)
        self.ui.loadButton.clicked.connect(self.onLoad)
        self.ui.applyButton.clicked.connect(self.onApply)
        self.profileTimer = qt.QTimer()
        self.profileTimer.setSingleShot(True)
        self.profileTimer.setInterval(PROFILE_SETTLE_MS)
        self.profileTimer.timeout.connect(self.onProfileSettled)
        # Not currentPathChanged: CTK emits it only for text its name-filter validator accepts, so
        # never when the field is cleared. The field's combo box reports every edit.
        self.ui.profilePathLineEdit.comboBox().editTextChanged.connect(lambda text: self.profileTimer.start())
        self.ui.exportReportButton.clicked.connect(self.onExportReport)
        self.ui.exportTrainingButton.clicked.connect(self.onExportTraining)
        self.ui.batchStartButton.clicked.connect(self.onBatchStart)
        self.ui.batchCancelButton.clicked.connect(self.onBatchCancel)
        self.ui.userNameLineEdit.text = getpass.getuser()
        return self.ui

    def createLogic(self):
        return self.logicClass(slicer.mrmlScene, userName=getpass.getuser())

    def cleanup(self):
        self.stopBatch()
        if self.profileTimer:
            self.profileTimer.stop()
        self.removeObservers()
        if self.logic:
            self.logic.cleanup()

    def enter(self):
        self.initializeParameterNode()

    def exit(self):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.onParameterNodeModified)

    def onSceneStartClose(self, caller, event):
        self.stopBatch()
        self.logic.cleanup()
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event):
        if self.parent.isEntered:
            self.initializeParameterNode()

    def onSceneEndImport(self, caller, event):
        """A saved scene was loaded: its parameter node names the case to resume."""
        if self.parent.isEntered:
            self.initializeParameterNode()

    # ------------------------------------------------------------------ parameter node

    def moduleParameterNode(self):
        """This module's own parameter node. A ScriptedLoadableModuleLogic names the node after its
        class (ScriptedLoadableModule.py, v5.10.0: `moduleName` is the class name less "Logic"), so a
        plain one would give every module the same node; it gets the widget's module name instead."""
        logic = ScriptedLoadableModuleLogic()
        logic.moduleName = self.moduleName
        return logic.getParameterNode()

    def initializeParameterNode(self):
        self.setParameterNode(self.parameterNodeClass(self.moduleParameterNode()))
        if not self._parameterNode.inputVolume:
            volume = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if volume:
                self._parameterNode.inputVolume = volume
        self.resumeSelectedCase()

    def setParameterNode(self, parameterNode):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.onParameterNodeModified)
        self._parameterNode = parameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.onParameterNodeModified)
            if self.ui.profilePathLineEdit.currentPath != self._parameterNode.profilePath:
                self.ui.profilePathLineEdit.currentPath = self._parameterNode.profilePath
        self.updateButtons()

    def onParameterNodeModified(self, caller=None, event=None):
        self.resumeSelectedCase()
        self.updateButtons()

    # ------------------------------------------------------------------ the case

    def resumeSelectedCase(self):
        """Selecting a volume that was reviewed before (in this session or a saved scene) resumes its
        review: points or segments with the corrections, the table, the undo history."""
        volume = self._parameterNode.inputVolume if self._parameterNode else None
        if volume is None or self.isCurrentCase(volume) or not self.logic.hasCase(volume):
            return
        with shownErrors(_("Cannot resume the saved review.")):
            self.logic.restoreCase(volume)
            self.showResults()

    def isCurrentCase(self, volume) -> bool:
        current = self.logic.volumeNode
        return current is not None and current.GetID() == volume.GetID()

    def onApply(self):
        volume = self._parameterNode.inputVolume
        if not self.ensureDependencies():
            return
        with shownErrors(_("{module} failed.").format(module=self.moduleName)):
            if self.confirmReplacingReview(volume):
                self.runQC(volume)
                self.showResults()

    def ensureDependencies(self) -> bool:
        """On first use, install the Python packages the QC needs into Slicer's Python, after asking."""
        missing = self.logic.missingDependencies()
        if not missing:
            return True
        listed = "\n".join(f"  {requirement}" for requirement in missing)
        if not slicer.util.confirmOkCancelDisplay(
                _("RadiographQC needs these Python packages, which this Slicer does not have yet:\n\n{packages}\n\n"
                  "Install them now? This downloads them once and takes a few minutes.").format(packages=listed),
                windowTitle=_("Install RadiographQC requirements")):
            self.ui.statusLabel.text = _("Nothing was installed and nothing was run: Apply needs {packages}.").format(
                packages=", ".join(missing))
            return False
        with shownErrors(_("Installing the RadiographQC requirements failed.")) as install:
            self.logic.installDependencies()
        self.ui.statusLabel.text = (_("Installed: {packages}").format(packages=", ".join(missing))
                                    if install.succeeded else
                                    _("The requirements were not installed and nothing was run; see the error."))
        return install.succeeded

    def confirmReplacingReview(self, volume) -> bool:
        """Apply runs the QC afresh: where a reviewer corrected this case, ask before replacing it."""
        if volume is None or not self.logic.hasCase(volume):
            return True
        if not self.isCurrentCase(volume):
            self.logic.restoreCase(volume)
        if not self.logic.hasReviewerChanges():
            return True
        return slicer.util.confirmOkCancelDisplay(
            _("{name} has corrections made by a reviewer. Apply runs the QC again and replaces them "
              "(Export training data keeps them). Replace the corrections?").format(name=volume.GetName()),
            windowTitle=_("Replace the review?"))

    def onLoad(self):
        with shownErrors(_("Cannot load the radiograph.")):
            volume = self.logic.loadRadiograph(self.ui.dicomPathLineEdit.currentPath)
            showRadiograph(volume)
            self._parameterNode.inputVolume = volume

    def showResults(self):
        """After Apply or a resumed review: the case in the views and the results table in the panel,
        kept current by the table's Modified event (one observation, whatever the number of Applies)."""
        table = self.logic.tableNode
        if self._observedTable is not None:
            self.removeObserver(self._observedTable, vtk.vtkCommand.ModifiedEvent, self.onResultsModified)
        self._observedTable = table
        self.addObserver(table, vtk.vtkCommand.ModifiedEvent, self.onResultsModified)
        self._parameterNode.results = table
        self.ui.resultsTableView.setMRMLTableNode(table)
        self.showCase(self.logic.volumeNode)
        self.onResultsModified()

    # ------------------------------------------------------------------ profile

    def onProfileSettled(self):
        """The profile field stopped changing: an empty field is the default profile, an existing
        JSON/YAML file is loaded (its errors shown), anything else is a path still being typed."""
        text = self.ui.profilePathLineEdit.currentPath
        choice = profileChoice(text)
        if choice.kind == "wait":
            self.ui.statusLabel.text = _("Criteria profile: {path} is not a JSON or YAML file yet.").format(path=text)
            return
        path = str(choice.path) if choice.path else ""
        if path == (self.logic.profilePath or ""):
            return
        with shownErrors(_("Cannot use this criteria profile.")):
            self.logic.setProfile(path or None)
            self._parameterNode.profilePath = path
            self.ui.statusLabel.text = (_("Criteria profile: {path}").format(path=path) if path else
                                        _("Criteria profile: the default"))
        self.onResultsModified()

    # ------------------------------------------------------------------ exports

    def exportFolder(self):
        folder = requiredFolder(self.ui.exportFolderLineEdit.currentPath, _("export"))
        self._parameterNode.exportFolder = str(folder)
        return folder

    def onExportReport(self):
        with shownErrors(_("Report export failed.")):
            jsonPath, htmlPath = self.logic.exportReport(self.exportFolder())
            self.ui.statusLabel.text = _("Report written: {path}").format(path=htmlPath)

    def onExportTraining(self):
        with shownErrors(_("Training data export failed.")):
            paths = self.logic.exportTrainingData(self.exportFolder() / "training",
                                                  userName=self.ui.userNameLineEdit.text)
            self.ui.statusLabel.text = _("Training data written: {path}").format(path=paths["labels"])

    # ------------------------------------------------------------------ batch

    def onBatchStart(self):
        if not self.ensureDependencies():
            return
        with shownErrors(_("Cannot start the batch.")):
            inputs = requiredFolder(self.ui.batchInputLineEdit.currentPath, _("batch input"))
            output = requiredFolder(self.ui.batchOutputLineEdit.currentPath, _("batch output"))
            self.batchRunner = self.logic.createBatchRunner([inputs], output)
            self.ui.batchProgressBar.value = 0
            self.batchTimer = qt.QTimer()
            self.batchTimer.setInterval(0)          # one file per event-loop turn: the GUI stays live
            self.batchTimer.timeout.connect(self.onBatchStep)
            self.batchTimer.start()
        self.updateButtons()

    def onBatchStep(self):
        """One file. A bad file, or one whose report cannot be written, is a row of the summary (the
        runner goes on); anything else that escapes, such as a full disk while writing the summary,
        ends the batch with its message here, not in Qt's slot machinery."""
        try:
            step = self.batchRunner.step()
        except Exception as error:   # noqa: BLE001 -- a timer slot must not raise; the error is shown
            self.stopBatch()
            self.ui.statusLabel.text = _("Batch stopped: {error}").format(error=error)
            slicer.util.errorDisplay(_("The batch stopped: {error}").format(error=error))
            self.updateButtons()
            return
        if step is None:
            result = self.batchRunner.result
            self.stopBatch()
            self.ui.statusLabel.text = _("Batch finished: {n} files, {failed} failed; summary {path}").format(
                n=len(result.rows), failed=result.failed, path=result.summary_path)
        else:
            self.ui.batchProgressBar.value = int(round(100 * step.progress))
            self.ui.statusLabel.text = step.error or str(step.path)
        self.updateButtons()

    def stopBatch(self):
        if self.batchTimer is not None:
            self.batchTimer.stop()
            self.batchTimer = None
        self.batchRunner = None

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

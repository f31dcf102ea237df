"""Stock 3D Slicer's Python side over slicer-core: Slicer's own ScriptedLoadableModule,
parameterNodeWrapper and i18n (vendored from v5.10.0 into ./slicer, unmodified) imported as
`slicer.<name>`, with the Qt stand-ins of qtstandins.py and stand-ins for the application objects
only Slicer's C++ side provides. Module files are loaded the way Slicer's scripted-module factory
loads them (`load_module`), widgets are made the way qSlicerScriptedLoadableModuleWidget makes them
(`create_widget`).

The stand-ins here, each for the real thing named, read at v5.10.0:
- `SlicerApp` for `slicer.app` (qSlicerApplication, set by Base/Python/slicer/slicerqt.py):
  testingEnabled() is True as in a self-test run (`Slicer --testing`), so slicer.util's message
  boxes only log and its confirmations return what its code returns there (confirmOkCancelDisplay:
  False, since it compares the testing answer True with qt.QMessageBox.Ok, util.py line 3093; a
  test that needs the user's answer sets it); no layout manager, as with `--no-main-window`;
  translate() returns the text (an English Slicer).
- `ScriptedModule` for qSlicerScriptedLoadableModule (Base/QTGUI/qSlicerScriptedLoadableModule.h):
  the `parent` a module's `__init__` fills in (title, categories, helpText...; `path`, `name`).
- `ScriptedModuleWidget` for qSlicerScriptedLoadableModuleWidget (Base/QTGUI/...Widget.cxx): a
  qSlicerWidget with a QVBoxLayout and `isEntered` (qSlicerAbstractModuleWidget.h).
- `slicer.modules` as Base/Python/slicer/__init__.py creates it (a module in sys.modules), filled as
  slicerqt.py and the factory fill it: `<name lower>` the module, `<Name>Instance`, `<Name>Widget`.
- `tempDirectory` for slicer.util.tempDirectory, which builds its path with QDir and QDateTime.
Everything else of `slicer.util` is slicer-core's real one.
"""
import importlib.util
import sys
import types
from datetime import datetime
from pathlib import Path

from . import qtstandins
from .qtstandins import QObject, QVBoxLayout, qSlicerWidget

VENDORED = Path(__file__).resolve().parent / "slicer"
VENDORED_MODULES = ("slicer.ScriptedLoadableModule", "slicer.parameterNodeWrapper", "slicer.i18n")
# Slicer-side project code that imports qt: imported afresh under each harness, so that it never
# keeps classes of an earlier one.
QT_SIDE_MODULES = ("WristQC", "LumbarQC", "RadiographQCLib.qcwidget")


class SlicerApp(QObject):
    signals = ("startupCompleted",)
    applicationName = "Slicer"

    def __init__(self, scene, temporary_path):
        super().__init__()
        self._scene = scene
        self.temporaryPath = str(temporary_path)
        self.overrideCursors = []
        self._moduleManager = ModuleManager()

    def testingEnabled(self):
        return True

    def translate(self, context, text):
        return text

    def processEvents(self):
        pass

    def setOverrideCursor(self, cursor):
        self.overrideCursors.append(cursor)

    def restoreOverrideCursor(self):
        self.overrideCursors.pop()

    def mrmlScene(self):
        return self._scene

    def moduleManager(self):
        return self._moduleManager

    def layoutManager(self):
        return None

    def settings(self):
        return qtstandins.QSettings()

    userSettings = settings


class ModuleManager(QObject):
    """qSlicerModuleManager: the loaded modules by name, and moduleAboutToBeUnloaded(QString)."""

    signals = ("moduleAboutToBeUnloaded",)

    def __init__(self):
        super().__init__()
        self.modules = {}

    def module(self, name):
        return self.modules.get(name)


class ScriptedModule(QObject):
    """qSlicerScriptedLoadableModule, as the factory makes it: `path` set, then `name` (the file's
    base name) by setPythonSource."""

    def __init__(self, path):
        super().__init__()
        self.path = str(path)
        self.name = Path(path).stem
        self.title = self.helpText = self.acknowledgementText = ""
        self.categories, self.contributors, self.dependencies, self.associatedNodeTypes = [], [], [], []
        self.icon = None
        self.hidden = False
        self.index = -1


class ScriptedModuleWidget(qSlicerWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self)
        self.isEntered = False


def tempDirectory(key="__SlicerTemp__", tempDir=None, includeDateTime=True):
    """slicer.util.tempDirectory: a new folder `key` + date and time in Slicer's temporary folder."""
    import slicer

    name = key + (datetime.now().strftime("%Y-%m-%d_%H+%M+%S.%f")[:-3] if includeDateTime else "")
    path = Path(tempDir or slicer.app.temporaryPath) / name
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


class StockSlicer:
    """Installs the stand-ins on slicer-core's `slicer` for one test (through pytest's monkeypatch)
    and loads module files and widgets as Slicer does. `close()` removes what it imported."""

    def __init__(self, slicer, scene, logics, temporary_path, monkeypatch):
        self.slicer, self.scene, self.monkeypatch = slicer, scene, monkeypatch
        self.app = SlicerApp(scene, temporary_path)
        Path(temporary_path).mkdir(parents=True, exist_ok=True)
        qtstandins.SLOT_ERRORS.clear()
        qtstandins.QSettings.store = {}
        self._forget()
        monkeypatch.setitem(sys.modules, "qt", qtstandins.qt)
        monkeypatch.setitem(sys.modules, "ctk", qtstandins.ctk)
        monkeypatch.setattr(slicer, "__path__", [*slicer.__path__, str(VENDORED)])
        for name in qtstandins.SLICER_QT_CLASSES:
            monkeypatch.setattr(slicer, name, getattr(qtstandins, name), raising=False)
        monkeypatch.setattr(slicer, "app", self.app, raising=False)
        monkeypatch.setattr(slicer, "mrmlScene", scene, raising=False)
        monkeypatch.setattr(slicer, "selfTests", {}, raising=False)   # ScriptedLoadableModule registers here
        self.modules = types.ModuleType("slicer.modules")
        for name in ("volumes", "segmentations", "markups"):
            setattr(self.modules, name, types.SimpleNamespace(logic=lambda name=name: logics[name.capitalize()]))
        monkeypatch.setitem(sys.modules, "slicer.modules", self.modules)
        monkeypatch.setattr(slicer, "modules", self.modules, raising=False)
        monkeypatch.setattr(slicer.util, "tempDirectory", tempDirectory)
        # The factory appends module folders to sys.path and module files add their own: undone after.
        monkeypatch.setattr(sys, "path", list(sys.path))

    def load_module(self, module_file):
        """What Slicer does with a scripted module file at startup: its folder on sys.path
        (ctkFactoryScriptedItem::load), the file imported under its base name
        (qSlicerScriptedUtils::loadSourceAsModule), the class of that name instantiated with the
        qSlicerScriptedLoadableModule as parent (setPythonSource), slicer.modules filled in."""
        path = Path(module_file).resolve()
        name = path.stem
        if str(path.parent) not in sys.path:
            sys.path.append(str(path.parent))
        spec = importlib.util.spec_from_file_location(name, str(path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent = ScriptedModule(path)
        instance = getattr(module, name)(parent)
        self.app.moduleManager().modules[name] = parent
        setattr(self.modules, f"{name}Instance", instance)
        setattr(self.modules, name.lower(), parent)
        return instance

    def create_widget(self, module_name):
        """qSlicerScriptedLoadableModuleWidget: `<Name>Widget(parent)` with the C++ widget as parent,
        then setup() (what showing the module the first time does)."""
        widget_class = getattr(sys.modules[module_name], f"{module_name}Widget")
        parent = ScriptedModuleWidget()
        widget = widget_class(parent)
        setattr(self.modules, f"{module_name}Widget", widget)
        widget.setup()
        return widget

    def enter(self, widget):
        """qSlicerAbstractModuleWidget::enter then the Python enter(), as selecting the module does."""
        widget.parent.isEntered = True
        widget.enter()

    def take_slot_errors(self):
        """The (signal, exception) of each slot that raised since the last call."""
        errors = list(qtstandins.SLOT_ERRORS)
        qtstandins.SLOT_ERRORS.clear()
        return errors

    def close(self):
        self._forget()

    def _forget(self):
        for name in list(sys.modules):
            if name in QT_SIDE_MODULES or name.startswith(VENDORED_MODULES):
                del sys.modules[name]
        for name in VENDORED_MODULES:
            self.slicer.__dict__.pop(name.split(".")[1], None)

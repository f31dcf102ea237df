"""Stand-ins for the Qt side of 3D Slicer (PythonQt's `qt`, CTK's `ctk`, the Qt-wrapped `slicer.q*`
widgets), only as much as the vendored Slicer code (slicer/ScriptedLoadableModule.py,
slicer/parameterNodeWrapper/) and the real `slicer.util` of slicer-core need to run a module's
Widget over a real MRML scene. There is no event loop: nothing happens unless a test calls it (a
timer fires when the test emits its `timeout`).

Each class says which real thing it replaces; the behaviour copied is the one read in:
- PythonQt (MeVisLab/pythonqt src/PythonQtSignalReceiver.cpp): a Python slot gets only as many of
  the signal's arguments as it declares; an exception in a slot is printed, not raised to the
  emitter (here it is recorded in `SLOT_ERRORS`, which the harness turns into a test failure).
- Qt's QUiLoader: a .ui file becomes the widget tree, each `<widget class name>` an object named
  `name` with the `<property>` values set, `stdset="0"` ones as dynamic properties
  (`property()`), and `<connections>` connected.
- guiConnectors.py (v5.10.0): the connectors compare `type(widget)` with qt/ctk/slicer classes and
  use `nodeTypes`, `currentNode()`, `setCurrentNode()`, `currentNodeChanged`, `text`/`textChanged`,
  `currentPath`/`currentPathChanged`, `checked`/`toggled`, `value`/`valueChanged`.
"""
import inspect
import logging
import re
import types
import xml.etree.ElementTree as ET
from pathlib import Path

SLOT_ERRORS = []


class Signal:
    """A bound Qt signal as PythonQt shows it: `connect`, `disconnect`, and `emit` for the tests."""

    def __init__(self, name):
        self.name = name
        self._slots = []

    def connect(self, slot):
        self._slots.append(slot)

    def disconnect(self, slot=None):
        """PythonQt: without a slot, every connection of the signal goes; an unknown slot is ignored."""
        if slot is None:
            self._slots.clear()
        elif slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args):
        for slot in list(self._slots):
            try:
                slot(*args[:_declared_argument_count(slot, len(args))])
            except Exception as error:  # noqa: BLE001 -- PythonQt prints a slot's error, the emitter goes on
                logging.exception("Error in slot connected to %s", self.name)
                SLOT_ERRORS.append((self.name, error))


def _declared_argument_count(slot, available):
    """PythonQtSignalTarget::call: a function or method without *args gets its declared number of
    arguments (less `self`), anything else all of them."""
    function = getattr(slot, "__func__", slot)
    code = getattr(function, "__code__", None)
    if code is None or code.co_flags & inspect.CO_VARARGS:
        return available
    return code.co_argcount - (1 if inspect.ismethod(slot) else 0)


class _Notifying:
    """A Qt property whose setter emits a signal when the value changes (QLineEdit.text and
    textChanged, QCheckBox.checked and toggled, ...)."""

    def __init__(self, signal, default, also_emit=None):
        """`also_emit`: (signal, its argument from the value) of a second signal, as QCheckBox's
        stateChanged(int) beside toggled(bool)."""
        self.signal, self.default, self.also_emit = signal, default, also_emit

    def __set_name__(self, owner, name):
        self.attribute = "_" + name

    def __get__(self, obj, owner=None):
        return self if obj is None else obj.__dict__.get(self.attribute, self.default)

    def __set__(self, obj, value):
        changed = value != self.__get__(obj)
        obj.__dict__[self.attribute] = value
        if changed:
            getattr(obj, self.signal).emit(value)
            if self.also_emit is not None:
                getattr(obj, self.also_emit[0]).emit(self.also_emit[1](value))


class QObject:
    """QObject: a name (PythonQt shows objectName also as `name`), parent and children, dynamic
    properties, the signals named in `signals` of the class and its bases."""

    signals = ("destroyed",)

    def __init__(self, parent=None):
        self._children = []
        self._parent = None
        self._dynamic_properties = {}
        self.objectName = ""
        for cls in type(self).__mro__:
            for name in getattr(cls, "signals", ()):
                self.__dict__.setdefault(name, Signal(name))
        if parent is not None:
            self.setParent(parent)

    @property
    def name(self):
        return self.objectName

    @name.setter
    def name(self, value):
        self.objectName = value

    def parent(self):
        return self._parent

    def setParent(self, parent):
        if self._parent is not None:
            self._parent._children.remove(self)
        self._parent = parent
        if parent is not None:
            parent._children.append(self)

    def children(self):
        return list(self._children)

    def findChildren(self, cls=None):
        found = []
        for child in self._children:
            if cls is None or isinstance(child, cls):
                found.append(child)
            found += child.findChildren(cls)
        return found

    def property(self, name):
        """QObject::property: a Qt property (here a plain attribute) or a dynamic one; None, what
        PythonQt gives for an invalid QVariant, when there is neither."""
        if name in self._dynamic_properties:
            return self._dynamic_properties[name]
        value = getattr(self, name, None)
        return None if name.startswith("_") or callable(value) or isinstance(value, Signal) else value

    def setProperty(self, name, value):
        """QObject::setProperty: a Qt property is set, any other name becomes a dynamic property."""
        if self.property(name) is not None and name not in self._dynamic_properties:
            setattr(self, name, value)
        else:
            self._dynamic_properties[name] = value

    def connect(self, signature, slot):
        """PythonQt's string form, `obj.connect("clicked()", slot)`."""
        getattr(self, signature.split("(")[0]).connect(slot)

    def disconnect(self, signature, slot=None):
        getattr(self, signature.split("(")[0]).disconnect(slot)

    def deleteLater(self):
        pass


class QWidget(QObject):
    enabled = True
    visible = True
    toolTip = ""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = None

    def isWidgetType(self):
        return True

    def layout(self):
        return self._layout

    def setLayout(self, layout):
        self._layout = layout
        layout.setParent(self)

    def show(self):
        self.visible = True

    def hide(self):
        self.visible = False

    def setEnabled(self, enabled):
        self.enabled = enabled


class QLayout(QObject):
    """QLayout: a widget added to it becomes a child of the layout's widget, as in Qt."""

    def __init__(self, parent=None):
        super().__init__()
        if isinstance(parent, QWidget):
            parent.setLayout(self)

    def _widget(self):
        owner = self.parent()
        while owner is not None and not isinstance(owner, QWidget):
            owner = owner.parent()
        return owner

    def addWidget(self, widget, *position):
        owner = self._widget()
        if owner is not None:
            widget.setParent(owner)

    def addRow(self, *items):
        for item in items:
            if isinstance(item, QWidget):
                self.addWidget(item)

    def addLayout(self, layout, *position):
        layout.setParent(self)


class QVBoxLayout(QLayout):
    pass


class QHBoxLayout(QLayout):
    pass


class QGridLayout(QLayout):
    pass


class QFormLayout(QLayout):
    pass


class QLabel(QWidget):
    text = ""
    wordWrap = False


class QAbstractButton(QWidget):
    signals = ("clicked", "toggled", "pressed", "released")
    text = ""
    checkable = False
    checked = _Notifying("toggled", False)

    def click(self):
        """QAbstractButton::click: nothing on a disabled button; a checkable one toggles first."""
        if not self.enabled:
            return
        if self.checkable:
            self.checked = not self.checked
        self.clicked.emit(self.checked)


class QPushButton(QAbstractButton):
    pass


class QToolButton(QAbstractButton):
    pass


class QCheckBox(QAbstractButton):
    signals = ("stateChanged",)
    checkable = True
    checked = _Notifying("toggled", False, also_emit=("stateChanged", lambda checked: 2 if checked else 0))


class QLineEdit(QWidget):
    signals = ("textChanged", "editingFinished", "returnPressed")
    text = _Notifying("textChanged", "")
    placeholderText = ""


class QTextEdit(QWidget):
    signals = ("textChanged",)


class QProgressBar(QWidget):
    signals = ("valueChanged",)
    value = _Notifying("valueChanged", 0)
    minimum = 0
    maximum = 100


class QSpinBox(QWidget):
    signals = ("valueChanged",)
    value = _Notifying("valueChanged", 0)


class QDoubleSpinBox(QSpinBox):
    pass


class QSlider(QSpinBox):
    pass


class QComboBox(QWidget):
    signals = ("currentIndexChanged", "currentTextChanged", "editTextChanged")
    currentIndex = _Notifying("currentIndexChanged", -1)


class QDialog(QWidget):
    signals = ("accepted", "rejected", "finished")


class QMenu(QWidget):
    pass


class QAction(QObject):
    signals = ("triggered", "toggled")


class QColor:
    """QColor, only as a type: the QColor serializer of parameterNodeWrapper subclasses it."""

    def __init__(self, *args):
        self._value = args[0] if args else "#000000"

    def name(self, format=0):
        return self._value


class QIcon:
    def __init__(self, path=""):
        self.path = str(path)


class QTimer(QObject):
    """QTimer: `start` marks it active, nothing fires by itself; a test emits `timeout`. A single-shot
    timer stops when it fires, as in Qt."""

    signals = ("timeout",)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.singleShot = False
        self.interval = 0
        self.active = False
        self.timeout.connect(self._fired)

    def _fired(self):
        if self.singleShot:
            self.active = False

    def setSingleShot(self, singleShot):
        self.singleShot = singleShot

    def setInterval(self, msec):
        self.interval = msec

    def start(self, msec=None):
        if msec is not None:
            self.interval = msec
        self.active = True

    def stop(self):
        self.active = False

    def isActive(self):
        return self.active


class QSettings:
    """QSettings, in memory and shared by all instances (one application's settings)."""

    store = {}

    def value(self, key, default=None):
        return self.store.get(key, default)

    def setValue(self, key, value):
        self.store[key] = value

    def contains(self, key):
        return key in self.store

    def remove(self, key):
        self.store.pop(key, None)


class QFile:
    ReadOnly = 1

    def __init__(self, path):
        self.path = str(path)

    def exists(self):
        return Path(self.path).is_file()

    def open(self, mode):
        return self.exists()

    def fileName(self):
        return self.path


# Values of Qt 5's enums, for code that compares with them.
Qt = types.SimpleNamespace(WaitCursor=16, ArrowCursor=0, ShiftModifier=0x02000000, NoModifier=0)
QMessageBox = type("QMessageBox", (QDialog,), dict(
    NoButton=0, Ok=0x400, Cancel=0x400000, Yes=0x4000, No=0x10000, Retry=0x80000, Close=0x200000,
    NoIcon=0, Information=1, Warning=2, Critical=3, Question=4))


# ---------------------------------------------------------------------------------- ctk

class ctkCollapsibleButton(QAbstractButton):
    signals = ("contentsCollapsed",)
    collapsed = _Notifying("contentsCollapsed", False)


def ctk_validator(name_filters):
    """The validator ctkPathLineEdit builds from its name filters (CTK dd4caeae, the commit Slicer
    5.10 pins, Libs/Core/ctkUtils.cpp): nameFilterToExtensions, then extensionToRegExp
    `.*\\.<word>?$` per extension, joined by |; `.+` without any. QRegularExpressionValidator
    accepts a whole match only."""
    extensions = []
    for name_filter in name_filters:
        inside = re.search(r"\(([^)]*)\)", name_filter)
        extensions += (inside.group(1) if inside else name_filter).split()
    parts = [r".*\." + m.group(1) + "?$" for e in extensions if (m := re.search(r"\*\.(\w+)", e))]
    return re.compile("(" + "|".join(parts) + ")" if parts else ".+")


class ctkPathLineEdit(QWidget):
    """ctkPathLineEdit (Libs/Widgets/ctkPathLineEdit.cpp at dd4caeae): the text lives in an editable
    combo box whose editTextChanged fires on every change; updateHasValidInput then emits
    currentPathChanged only for text the name-filter validator accepts, and validInputChanged only
    when acceptability flips (so clearing the field emits no currentPathChanged)."""

    signals = ("currentPathChanged", "validInputChanged")
    filters = ""
    nameFilters = ()
    Files, Dirs, Readable, Writable = 0x02, 0x01, 0x40, 0x80

    def __init__(self, parent=None):
        super().__init__(parent)
        self._comboBox = QComboBox(self)
        self._text = ""
        self._valid = False

    def comboBox(self):
        return self._comboBox

    @property
    def currentPath(self):
        return self._text

    @currentPath.setter
    def currentPath(self, text):
        if text == self._text:
            return
        self._text = text
        self._comboBox.editTextChanged.emit(text)
        valid = ctk_validator(self.nameFilters).fullmatch(text) is not None
        if valid:
            self.currentPathChanged.emit(text)
        if valid != self._valid:
            self._valid = valid
            self.validInputChanged.emit(valid)


class ctkDirectoryButton(QWidget):
    signals = ("directoryChanged",)
    directory = _Notifying("directoryChanged", "")


class ctkCheckBox(QCheckBox):
    pass


class ctkCheckablePushButton(QPushButton):
    checkBoxControlsButtonToggleState = False


class ctkComboBox(QComboBox):
    pass


class ctkSliderWidget(QSpinBox):
    pass


class ctkDoubleSlider(QSpinBox):
    pass


class ctkDoubleSpinBox(QSpinBox):
    pass


class ctkRangeWidget(QWidget):
    signals = ("valuesChanged",)


class ctkDoubleRangeSlider(ctkRangeWidget):
    pass


class ctkColorPickerButton(QWidget):
    signals = ("colorChanged",)


# ---------------------------------------------------------------------------------- slicer.q*

class qMRMLWidget(QWidget):
    """qMRMLWidget: setMRMLScene emits mrmlSceneChanged(vtkMRMLScene*), which a .ui connects to its
    MRML widgets' setMRMLScene."""

    signals = ("mrmlSceneChanged",)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._scene = None

    def mrmlScene(self):
        return self._scene

    def setMRMLScene(self, scene):
        if scene is not self._scene:
            self._scene = scene
            self.mrmlSceneChanged.emit(scene)


class qSlicerWidget(qMRMLWidget):
    pass


class qMRMLNodeComboBox(qMRMLWidget):
    """qMRMLNodeComboBox: the current node is one of the scene's nodes of `nodeTypes`; selecting
    another (or None) emits currentNodeChanged(vtkMRMLNode*) and currentNodeIDChanged(QString)."""

    signals = ("currentNodeChanged", "currentNodeIDChanged", "nodeAdded")
    noneEnabled = False
    addEnabled = True
    removeEnabled = True

    def __init__(self, parent=None):
        super().__init__(parent)
        self.nodeTypes = ()
        self._current = None

    def currentNode(self):
        return self._current

    def currentNodeID(self):
        return self._current.GetID() if self._current is not None else ""

    def setCurrentNode(self, node):
        """A node not in the scene, or not of the combo box's types, selects nothing (Qt: it is not in
        the model)."""
        if node is not None and not (self.mrmlScene() is not None
                                     and self.mrmlScene().IsNodePresent(node)
                                     and any(node.IsA(t) for t in self.nodeTypes)):
            node = None
        if node is not self._current:
            self._current = node
            self.currentNodeChanged.emit(node)
            self.currentNodeIDChanged.emit(self.currentNodeID())


class qMRMLTableView(qMRMLWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._table = None

    def setMRMLTableNode(self, node):
        self._table = node

    def mrmlTableNode(self):
        return self._table


class qMRMLSubjectHierarchyComboBox(qMRMLWidget):
    """Only a name: Slicer's parameterNodeWrapper GUI test imports it (its tests of it are not run)."""


class qMRMLSubjectHierarchyTreeView(qMRMLWidget):
    """Only a name, as qMRMLSubjectHierarchyComboBox."""


class qMRMLSliderWidget(QSpinBox):
    pass


class qMRMLSpinBox(QSpinBox):
    pass


class qMRMLRangeWidget(ctkRangeWidget):
    pass


# ---------------------------------------------------------------------------------- the .ui loader

def _property_value(element):
    """The Python value of a .ui `<property>`'s child (string, bool, number, stringlist, set...)."""
    kind = element.tag
    if kind == "bool":
        return element.text == "true"
    if kind == "number":
        return int(element.text)
    if kind == "double":
        return float(element.text)
    if kind == "stringlist":   # PythonQt gives a QStringList as a tuple
        return tuple(s.text or "" for s in element.findall("string"))
    if kind in ("string", "set", "enum", "cstring"):
        return element.text or ""
    return {child.tag: child.text for child in element}


class QUiLoader:
    """QUiLoader: builds the widget tree of a .ui file from the classes of `qt`, `ctk` and `slicer`
    (`classes`, set by the harness); an unknown class is an error (Qt would show an empty widget)."""

    classes = {}

    def load(self, qfile):
        root = ET.parse(qfile.fileName()).getroot()
        widgets = {}
        top = self._build(root.find("widget"), None, widgets)
        for connection in root.iter("connection"):
            sender = widgets[connection.findtext("sender")]
            receiver = widgets[connection.findtext("receiver")]
            signal = getattr(sender, connection.findtext("signal").split("(")[0])
            signal.connect(getattr(receiver, connection.findtext("slot").split("(")[0]))
        return top

    def _build(self, element, parent, widgets):
        class_name, name = element.get("class"), element.get("name")
        if class_name not in self.classes:
            raise RuntimeError(f"QUiLoader stand-in: no class {class_name} for widget {name}")
        widget = self.classes[class_name](parent)
        widget.objectName = name
        widgets[name] = widget
        for prop in element.findall("property"):
            value = _property_value(prop[0])
            if prop.get("stdset") == "0":
                widget.setProperty(prop.get("name"), value)
            else:
                setattr(widget, prop.get("name"), value)
        self._build_children(element, widget, widgets)
        return widget

    def _build_children(self, element, widget, widgets):
        for child in element:
            if child.tag == "widget":
                self._build(child, widget, widgets)
            elif child.tag in ("layout", "item"):
                self._build_children(child, widget, widgets)


def _module(name, namespace, class_names):
    module = types.ModuleType(name, f"Stand-in for {name} (Testing/Python/slicer_stock/qtstandins.py)")
    for class_name in class_names:
        setattr(module, class_name, namespace[class_name])
    return module


QT_CLASSES = ("QObject", "QWidget", "QLayout", "QVBoxLayout", "QHBoxLayout", "QGridLayout", "QFormLayout",
              "QLabel", "QAbstractButton", "QPushButton", "QToolButton", "QCheckBox", "QLineEdit", "QTextEdit",
              "QProgressBar", "QSpinBox", "QDoubleSpinBox", "QSlider", "QComboBox", "QDialog", "QMenu", "QAction",
              "QColor", "QIcon", "QTimer", "QSettings", "QFile", "QUiLoader", "Qt", "QMessageBox")
CTK_CLASSES = ("ctkCollapsibleButton", "ctkPathLineEdit", "ctkDirectoryButton", "ctkCheckBox",
               "ctkCheckablePushButton", "ctkComboBox", "ctkSliderWidget", "ctkDoubleSlider", "ctkDoubleSpinBox",
               "ctkRangeWidget", "ctkDoubleRangeSlider", "ctkColorPickerButton")
SLICER_QT_CLASSES = ("qMRMLWidget", "qSlicerWidget", "qMRMLNodeComboBox", "qMRMLTableView",
                     "qMRMLSubjectHierarchyComboBox", "qMRMLSubjectHierarchyTreeView",
                     "qMRMLSliderWidget", "qMRMLSpinBox", "qMRMLRangeWidget")

qt = _module("qt", globals(), QT_CLASSES)
ctk = _module("ctk", globals(), CTK_CLASSES)
QUiLoader.classes = {name: globals()[name] for name in QT_CLASSES + CTK_CLASSES + SLICER_QT_CLASSES
                     if isinstance(globals()[name], type) and issubclass(globals()[name], QWidget)}

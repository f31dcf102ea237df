"""The modules as stock 3D Slicer runs them: Slicer's own ScriptedLoadableModule and
parameterNodeWrapper (v5.10.0, vendored in slicer_stock/) over slicer-core's MRML, only Qt stood in
for (slicer_stock/qtstandins.py). Module files are loaded as Slicer's scripted-module factory does.

Marked `stock_slicer`: Testing/stock_slicer.sh runs them again in a Python with only what Slicer 5.10
bundles, where the packages of RadiographQCLib/requirements.txt are missing."""
import importlib.metadata
import os
from pathlib import Path

import pytest

from conftest_slicer import a_scene, slicer_module, stock_slicer  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("WristQC", "LumbarQC")
SAMPLES = {"WristQC": "wrist/wrist_ap_routine.dcm", "LumbarQC": "lumbar/lumbar_ap_routine.dcm"}
PROFILES = {"WristQC": "wrist-default.json", "LumbarQC": "lumbar-default.json"}
# Set by Testing/stock_slicer.sh: this Python has only what stock Slicer 5.10 bundles.
IN_STOCK_SLICER = os.environ.get("RADIOGRAPHQC_STOCK_SLICER") == "1"
VENDORED = ROOT / "Testing" / "Python" / "slicer_stock" / "slicer"

pytestmark = pytest.mark.stock_slicer


def write_ui(path, body):
    path.write_text('<?xml version="1.0"?>\n<ui version="4.0">\n<widget class="qMRMLWidget" name="top">\n'
                    f'<layout class="QVBoxLayout" name="layout">{body}</layout>\n</widget>\n'
                    '<connections><connection><sender>top</sender><signal>mrmlSceneChanged(vtkMRMLScene*)</signal>'
                    '<receiver>volumeSelector</receiver><slot>setMRMLScene(vtkMRMLScene*)</slot></connection>'
                    '</connections>\n</ui>\n')
    return path


VOLUME_SELECTOR = ('<item><widget class="qMRMLNodeComboBox" name="volumeSelector">'
                   '<property name="noneEnabled"><bool>true</bool></property>'
                   '<property name="SlicerParameterName" stdset="0"><string>volume</string></property>'
                   '</widget></item>'
                   '<item><widget class="QLineEdit" name="nameLineEdit">'
                   '<property name="SlicerParameterName" stdset="0"><string>title</string></property>'
                   '</widget></item>')


# ------------------------------------------------------------------ the stand-ins run Slicer's code

def test_the_slicer_modules_imported_are_slicers_own_code(stock_slicer):
    import slicer.i18n
    import slicer.parameterNodeWrapper
    import slicer.ScriptedLoadableModule

    for module in (slicer.ScriptedLoadableModule, slicer.parameterNodeWrapper, slicer.i18n):
        assert Path(module.__file__).is_relative_to(VENDORED)


def test_a_scripted_logic_gets_the_singleton_parameter_node_of_its_module_name(stock_slicer):
    from slicer.ScriptedLoadableModule import ScriptedLoadableModuleLogic

    class SampleLogic(ScriptedLoadableModuleLogic):
        pass

    node = SampleLogic().getParameterNode()
    assert (node.GetClassName(), node.GetSingletonTag(), node.GetAttribute("ModuleName")) == (
        "vtkMRMLScriptedModuleNode", "Sample", "Sample")
    assert stock_slicer.scene.GetNodeByID(node.GetID()) is node
    assert SampleLogic().getParameterNode() is node
    # Why a shared widget must not use the base class as is: its node belongs to no module.
    assert ScriptedLoadableModuleLogic().getParameterNode().GetSingletonTag() == "ScriptedLoadableModule"


def test_the_parameter_node_wrapper_stores_typed_parameters_in_the_scene_node(stock_slicer):
    import slicer
    from slicer.parameterNodeWrapper import parameterNodeWrapper

    @parameterNodeWrapper
    class Parameters:
        volume: slicer.vtkMRMLScalarVolumeNode
        title: str = "none"
        count: int = 3
        strict: bool = False
        folder: Path = Path("/tmp")

    node = stock_slicer.scene.AddNewNodeByClass("vtkMRMLScriptedModuleNode")
    volume = stock_slicer.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
    parameters = Parameters(node)
    assert (parameters.title, parameters.count, parameters.volume) == ("none", 3, None)
    parameters.title, parameters.count, parameters.strict = "wrist", 7, True
    parameters.folder = Path("/data/out")
    parameters.volume = volume
    assert node.GetNodeReferenceID("volume") == volume.GetID()
    assert {name: node.GetParameter(name) for name in ("title", "count", "strict", "folder")} == {
        "title": "wrist", "count": "7", "strict": "True", "folder": str(Path("/data/out"))}
    assert Parameters(node).count == 7 and Parameters(node).volume is volume


def test_the_gui_connectors_bind_ui_widgets_named_by_slicer_parameter_name(stock_slicer, tmp_path):
    import slicer
    from slicer.parameterNodeWrapper import parameterNodeWrapper

    @parameterNodeWrapper
    class Parameters:
        volume: slicer.vtkMRMLScalarVolumeNode
        title: str = ""

    ui_widget = slicer.util.loadUI(str(write_ui(tmp_path / "Sample.ui", VOLUME_SELECTOR)))
    ui = slicer.util.childWidgetVariables(ui_widget)
    ui_widget.setMRMLScene(stock_slicer.scene)
    parameters = Parameters(stock_slicer.scene.AddNewNodeByClass("vtkMRMLScriptedModuleNode"))
    parameters.connectGui(ui)
    assert list(ui.volumeSelector.nodeTypes) == ["vtkMRMLScalarVolumeNode"]   # set by the connector
    volume = stock_slicer.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
    ui.volumeSelector.setCurrentNode(volume)
    ui.nameLineEdit.text = "typed"
    assert (parameters.volume, parameters.title) == (volume, "typed")
    parameters.title = "from the node"
    assert ui.nameLineEdit.text == "from the node"


# ------------------------------------------------------------------ the modules as Slicer loads them

@pytest.mark.parametrize("name", MODULES)
def test_slicer_loads_the_module_file_and_fills_in_the_module(stock_slicer, name):
    import slicer

    module = stock_slicer.load_module(ROOT / name / f"{name}.py")
    parent = module.parent
    assert (parent.title, parent.categories) == (name, ["Quality Control"])
    assert Path(parent.icon.path) == ROOT / name / "Resources" / "Icons" / f"{name}.png"
    assert slicer.modules.__dict__[f"{name}Instance"] is module
    assert slicer.selfTests[name] == module.runTest


@pytest.mark.parametrize("name", MODULES)
def test_the_module_widget_sets_up_from_its_ui_file_with_its_own_parameter_node(stock_slicer, name):
    stock_slicer.load_module(ROOT / name / f"{name}.py")
    widget = stock_slicer.create_widget(name)
    node = widget._parameterNode.parameterNode
    assert (node.GetSingletonTag(), node.GetAttribute("ModuleName")) == (name, name)
    assert widget.ui.inputVolumeSelector.mrmlScene() is stock_slicer.scene   # the .ui's connections
    assert widget.ui.applyButton.enabled is False


@pytest.mark.parametrize("name", MODULES)
def test_selecting_a_radiograph_in_the_widget_sets_the_parameter_node_and_enables_apply(stock_slicer, name):
    stock_slicer.load_module(ROOT / name / f"{name}.py")
    widget = stock_slicer.create_widget(name)
    stock_slicer.enter(widget)
    volume = stock_slicer.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
    widget.ui.inputVolumeSelector.setCurrentNode(volume)
    assert widget._parameterNode.parameterNode.GetNodeReferenceID("inputVolume") == volume.GetID()
    assert widget.ui.applyButton.enabled is True


@pytest.mark.parametrize("name", MODULES)
def test_load_radiograph_reads_the_file_into_the_scene_and_selects_it(stock_slicer, name):
    stock_slicer.load_module(ROOT / name / f"{name}.py")
    widget = stock_slicer.create_widget(name)
    sample = ROOT / "Resources" / "Samples" / SAMPLES[name]
    widget.ui.dicomPathLineEdit.currentPath = str(sample)
    widget.ui.loadButton.click()
    volume = widget._parameterNode.inputVolume
    assert volume is not None and volume.GetName() == sample.stem
    assert widget.ui.inputVolumeSelector.currentNode() is volume
    assert widget.ui.applyButton.enabled is True


@pytest.mark.parametrize("name", MODULES)
def test_a_criteria_profile_typed_in_is_used_once_the_field_settles(stock_slicer, name):
    stock_slicer.load_module(ROOT / name / f"{name}.py")
    widget = stock_slicer.create_widget(name)
    profile = ROOT / "radiographqc" / "profiles" / PROFILES[name]
    widget.ui.profilePathLineEdit.currentPath = str(profile)
    assert widget.profileTimer.isActive() and widget.logic.profilePath is None
    widget.profileTimer.timeout.emit()
    assert widget.logic.profilePath == str(profile) == widget._parameterNode.profilePath


def test_the_two_modules_keep_their_own_parameter_nodes(stock_slicer):
    widgets = {}
    for name in MODULES:
        stock_slicer.load_module(ROOT / name / f"{name}.py")
        widgets[name] = stock_slicer.create_widget(name)
    nodes = {name: widget._parameterNode.parameterNode for name, widget in widgets.items()}
    assert {name: node.GetSingletonTag() for name, node in nodes.items()} == {"WristQC": "WristQC",
                                                                             "LumbarQC": "LumbarQC"}
    widgets["WristQC"]._parameterNode.exportFolder = "/wrist/exports"
    assert widgets["LumbarQC"]._parameterNode.exportFolder == ""


# ------------------------------------------------------------------ the dependency install

def installed(requirement):
    from packaging.requirements import Requirement

    try:
        importlib.metadata.distribution(Requirement(requirement).name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.parametrize("name", MODULES)
def test_the_logic_lists_the_requirements_not_installed_here(stock_slicer, name):
    stock_slicer.load_module(ROOT / name / f"{name}.py")   # puts RadiographQCLib on sys.path, as in Slicer
    from RadiographQCLib.dependencies import readRequirements

    logic = stock_slicer.create_widget(name).logic
    assert logic.missingDependencies() == [r for r in readRequirements() if not installed(r)]


@pytest.mark.skipif(not IN_STOCK_SLICER, reason="only in the stock-Slicer Python (Testing/stock_slicer.sh)")
@pytest.mark.parametrize("name", MODULES)
def test_in_stock_slicer_every_requirement_is_missing_before_the_install(stock_slicer, name):
    stock_slicer.load_module(ROOT / name / f"{name}.py")
    from RadiographQCLib.dependencies import readRequirements

    assert stock_slicer.create_widget(name).logic.missingDependencies() == readRequirements()


@pytest.mark.parametrize("name", MODULES)
def test_installing_passes_exactly_the_missing_requirements_to_slicers_pip_install(stock_slicer, monkeypatch,
                                                                                    name):
    import slicer

    stock_slicer.load_module(ROOT / name / f"{name}.py")
    from RadiographQCLib.dependencies import DependencyError

    logic = stock_slicer.create_widget(name).logic
    missing = logic.missingDependencies()
    calls = []
    monkeypatch.setattr(slicer.util, "pip_install",
                        lambda args: calls.append((list(args), Path(args[1]).read_text().split())))
    if missing:
        with pytest.raises(DependencyError, match="still missing"):   # the recorder installs nothing
            logic.installDependencies()
        (args, constraints), = calls
        assert args[0] == "-c" and args[2:] == missing
        assert f"numpy=={importlib.metadata.version('numpy')}" in constraints
    else:
        assert logic.installDependencies() == [] and calls == []


def widget_missing_a_requirement(stock_slicer, name, tmp_path, monkeypatch):
    """The module's widget with a radiograph selected and a requirement that is never installed;
    Slicer's pip_install replaced by a recorder (returned)."""
    import slicer

    stock_slicer.load_module(ROOT / name / f"{name}.py")
    widget = stock_slicer.create_widget(name)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("radiographqc-absent-package==1.0\n")
    widget.logic.requirementsFile = requirements
    widget.ui.inputVolumeSelector.setCurrentNode(stock_slicer.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode"))
    installs = []
    monkeypatch.setattr(slicer.util, "pip_install", lambda args: installs.append(list(args)))
    return widget, installs


@pytest.mark.parametrize("name", MODULES)
def test_declining_the_install_on_apply_installs_and_runs_nothing(stock_slicer, tmp_path, monkeypatch, name):
    import slicer

    widget, installs = widget_missing_a_requirement(stock_slicer, name, tmp_path, monkeypatch)
    monkeypatch.setattr(slicer.util, "confirmOkCancelDisplay", lambda text, **kwargs: False)   # Cancel
    widget.ui.applyButton.click()
    assert installs == [] and widget.logic.result is None
    assert "Nothing was installed" in widget.ui.statusLabel.text
    assert "radiographqc-absent-package==1.0" in widget.ui.statusLabel.text


@pytest.mark.parametrize("name", MODULES)
def test_an_install_that_fails_on_apply_is_reported_in_the_panel_and_runs_nothing(stock_slicer, tmp_path,
                                                                                   monkeypatch, name):
    """slicer.util.tryWithErrorDisplay shows the error and raises it again (util.py, v5.10.0): the
    widget must catch it, or it escapes the Apply slot and the panel never says what happened."""
    import slicer

    widget, installs = widget_missing_a_requirement(stock_slicer, name, tmp_path, monkeypatch)
    monkeypatch.setattr(slicer.util, "confirmOkCancelDisplay", lambda text, **kwargs: True)   # OK
    widget.ui.applyButton.click()
    assert stock_slicer.take_slot_errors() == []
    assert [args[2:] for args in installs] == [["radiographqc-absent-package==1.0"]]
    assert widget.logic.result is None
    assert "not installed" in widget.ui.statusLabel.text

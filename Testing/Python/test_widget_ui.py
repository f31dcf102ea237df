"""The Qt widget code cannot run without Slicer here; what it can get wrong without running is the
names it uses: every `self.ui.<name>` of a widget (and of the shared QCWidgetMixin) must be a widget
of that module's .ui file, and every method the mixin expects must be defined by the widget."""
import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MIXIN = REPO / "RadiographQCLib" / "qcwidget.py"


def ui_names(path):
    return {w.get("name") for w in ET.parse(path).iter("widget")}


def used_ui_names(path):
    tree = ast.parse(path.read_text())
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute) and node.value.attr == "ui"
            and isinstance(node.value.value, ast.Name) and node.value.value.id == "self"}


def methods(path, class_name):
    tree = ast.parse(path.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    return {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("module", ["WristQC", "LumbarQC"])
def test_every_ui_name_the_widget_code_uses_is_in_the_module_ui_file(module):
    names = ui_names(REPO / module / "Resources" / "UI" / f"{module}.ui")
    used = used_ui_names(REPO / module / f"{module}.py") | used_ui_names(MIXIN)
    assert used - names == set()


@pytest.mark.parametrize("module", ["WristQC", "LumbarQC"])
def test_the_widget_defines_what_the_shared_mixin_calls(module):
    defined = methods(REPO / module / f"{module}.py", f"{module}Widget")
    assert {"runQC", "showCase", "onResultsModified", "updateCaseButtons", "setup"} <= defined

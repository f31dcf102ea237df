"""The extension's CMake metadata and each module's registration text, as the Slicer extension index
and the module panel read them (Utilities/Templates/Extensions/Default/CMakeLists.txt and
Modules/Scripted/TemplateKey.py at v5.10.0)."""
import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["WristQC", "LumbarQC"]


def cmake_value(name: str) -> str:
    match = re.search(rf'set\({name} "([^"]*)"\)', (REPO / "CMakeLists.txt").read_text())
    assert match, name
    return match.group(1)


def test_the_extension_icon_url_names_a_file_of_the_repository():
    url = cmake_value("EXTENSION_ICONURL")
    homepage = cmake_value("EXTENSION_HOMEPAGE")
    repo_path = url.split("/main/", 1)[1]
    assert (REPO / repo_path).is_file()
    assert homepage.rstrip("/").split("/")[-2:] == url.split("/")[3:5]


def test_contributors_are_written_as_name_and_organisation():
    for contributor in cmake_value("EXTENSION_CONTRIBUTORS").split(","):
        assert re.fullmatch(r"[^()]+ \([^()]+\)", contributor.strip()), contributor


@pytest.mark.parametrize("module", MODULES)
def test_every_file_a_module_cmake_installs_exists(module):
    text = (REPO / module / "CMakeLists.txt").read_text()
    listed = re.findall(r"^\s+(\S+\.(?:py|png|ui))\s*$", text.replace("${MODULE_NAME}", module), re.M)
    assert listed
    assert [path for path in listed if not (REPO / module / path).is_file()] == []


def module_assignment(module: str, attribute: str):
    tree = ast.parse((REPO / module / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute)
                and node.targets[0].attr == attribute):
            return node.value
    raise AssertionError(f"{module} sets no parent.{attribute}")


@pytest.mark.parametrize("module", MODULES)
def test_the_module_help_links_to_the_documentation_and_contributors_name_an_organisation(module):
    assert "documentation" in ast.unparse(module_assignment(module, "helpText"))
    contributors = ast.literal_eval(module_assignment(module, "contributors"))
    assert all(re.fullmatch(r"[^()]+ \([^()]+\)", name) for name in contributors)


@pytest.mark.parametrize("module", MODULES)
def test_the_parameter_name_of_a_ui_widget_is_a_dynamic_property(module):
    """`SlicerParameterName` is no Qt property of any widget class: the .ui format marks such a
    property stdset="0" (a dynamic property), as Slicer's module template (TemplateKey.ui) does."""
    text = (REPO / module / "Resources" / "UI" / f"{module}.ui").read_text()
    assert re.findall(r'<property name="SlicerParameterName"[^>]*>', text) == [
        '<property name="SlicerParameterName" stdset="0">'] * text.count('name="SlicerParameterName"')

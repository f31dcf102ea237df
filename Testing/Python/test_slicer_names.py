"""Every name the Slicer-side code takes from `slicer` exists in stock Slicer 5.10.0 and 5.12.3:
`slicer.X`, `slicer.util.Y`, `from slicer import Z`, `from slicer.<submodule> import W`. The names
each version provides are data (slicer_stock/names.json, made from Slicer's sources by
slicer_stock/make_stock_data.py); slicer-core is newer than 5.10 and would accept names 5.10 lacks.
Static (AST): nothing is imported."""
import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMES = json.loads((ROOT / "Testing" / "Python" / "slicer_stock" / "names.json").read_text("utf-8"))
FOLDERS = ("WristQC", "LumbarQC", "RadiographQCLib")


def slicer_files():
    """The Python files Slicer loads: module files and their libraries, not the tests."""
    return sorted(f for folder in FOLDERS for f in (ROOT / folder).rglob("*.py") if "Testing" not in f.parts)


def used_names(source):
    """(line, namespace, name) of each name taken from slicer: namespace "slicer", "slicer.util",
    or "slicer.<submodule>" for `from slicer.<submodule> import name`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "slicer":
            yield node.lineno, "slicer", node.attr
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
              and node.value.attr == "util" and isinstance(node.value.value, ast.Name)
              and node.value.value.id == "slicer"):
            yield node.lineno, "slicer.util", node.attr
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "slicer":
            yield from ((node.lineno, "slicer", alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("slicer."):
            submodule = node.module.split(".")[1]
            yield node.lineno, "slicer", submodule
            yield from ((node.lineno, f"slicer.{submodule}", alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, "slicer", alias.name.split(".")[1]) for alias in node.names
                        if alias.name.startswith("slicer."))


def provides(tag, namespace, name):
    names = NAMES["tags"][tag]
    if namespace == "slicer.util":
        return name in names["util"]
    if namespace != "slicer":
        return name in names["submoduleNames"].get(namespace.split(".")[1], ())
    if name.startswith("vtk"):
        # Wrapped for real (slicer-core) and built at that tag (a header of its sources).
        return name in names["classes"] and name in NAMES["slicerCoreClasses"]
    return name in names["classes"] or name in names["submodules"] or name in names["attributes"]


def missing_names(files):
    return sorted({f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{line} "
                   f"{namespace}.{name} (not in {tag})"
                   for path in files for line, namespace, name in used_names(path.read_text("utf-8"))
                   for tag in NAMES["tags"] if not provides(tag, namespace, name)})


def test_the_slicer_side_code_uses_only_names_slicer_5_10_and_5_12_provide():
    assert missing_names(slicer_files()) == []


def test_the_check_reads_every_kind_of_use_and_reports_what_a_version_lacks(tmp_path):
    sample = tmp_path / "Sample.py"
    sample.write_text(
        "import slicer\nimport slicer.util\nfrom slicer import vtkMRMLScalarVolumeNode, vtkNoSuchNode\n"
        "from slicer.ScriptedLoadableModule import ScriptedLoadableModuleLogic, NoSuchLogic\n"
        "from slicer.util import VTKObservationMixin\n"
        "slicer.app.processEvents()\nslicer.util.tryWithErrorDisplay('x')\nslicer.util.noSuchHelper()\n"
        "slicer.packaging.pip_install('x')\n")
    assert missing_names([sample]) == [
        "Sample.py:3 slicer.vtkNoSuchNode (not in v5.10.0)", "Sample.py:3 slicer.vtkNoSuchNode (not in v5.12.3)",
        "Sample.py:4 slicer.ScriptedLoadableModule.NoSuchLogic (not in v5.10.0)",
        "Sample.py:4 slicer.ScriptedLoadableModule.NoSuchLogic (not in v5.12.3)",
        "Sample.py:8 slicer.util.noSuchHelper (not in v5.10.0)",
        "Sample.py:8 slicer.util.noSuchHelper (not in v5.12.3)",
        # slicer.packaging came with 5.12: code for 5.10 cannot use it.
        "Sample.py:9 slicer.packaging (not in v5.10.0)"]


def test_the_names_come_from_both_slicer_versions_sources():
    for tag, names in NAMES["tags"].items():
        assert {"tryWithErrorDisplay", "pip_install", "VTKObservationMixin", "loadUI"} <= set(names["util"]), tag
        assert {"vtkMRMLScalarVolumeNode", "qMRMLNodeComboBox", "vtkSlicerSegmentationsModuleLogic"} <= set(
            names["classes"]), tag
        assert {"app", "mrmlScene", "dicomDatabase"} <= set(names["attributes"]), tag
        assert "ScriptedLoadableModuleWidget" in names["submoduleNames"]["ScriptedLoadableModule"], tag
        assert "parameterNodeWrapper" in names["submoduleNames"]["parameterNodeWrapper"], tag

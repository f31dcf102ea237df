"""What Slicer imports when it loads the modules: only what a stock Slicer 5.10 bundles, so a module
opens (and can offer to install the rest) without the packages of RadiographQCLib/requirements.txt.
Static (AST): nothing is imported, so the check holds whatever this Python has installed."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("WristQC", "LumbarQC")
# RadiographQCWeb: the browser app (the "web" extra), which only `radiographqc web` imports, inside its function
PROJECT = {"radiographqc", "RadiographQCLib", "WristQCLib", "LumbarQCLib", "RadiographQCWeb"}
# Stock Slicer 5.10 (and 5.12): its Python packages (SuperBuild/External_python-numpy, -scipy,
# -dicom-requirements, -pythonqt-requirements .cmake) and its application modules.
SLICER_BUNDLE = {"numpy", "scipy", "PIL", "pydicom", "packaging",
                 "slicer", "qt", "ctk", "vtk", "SampleData"}
# Slicer 5.10 bundles pydicom 2.4.4, which has none of these (pydicom 3 only).
PYDICOM_3_ONLY = ("pydicom.pixels",)
# Import names of the requirements file's distributions, where they differ from the name.
IMPORT_NAMES = {"scikit-image": "skimage", "PyYAML": "yaml", "pylibjpeg-libjpeg": "libjpeg",
                "pylibjpeg-openjpeg": "openjpeg", "pylibjpeg-rle": "rle"}


def module_level_imports(path):
    """(line, module, level, names) of the imports that run when `path` is imported: not those in
    functions, nor those guarded by `except ImportError`."""
    stack = list(ast.parse(path.read_text("utf-8"), str(path)).body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, 0, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or "", node.level, [a.name for a in node.names]
        elif isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            stack.extend(node.orelse + node.finalbody)
        else:
            stack.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt))


def _catches_import_error(handler):
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
               for n in names)


def project_files(here, module, level, names):
    """The project's files an import loads (a package's __init__.py, and submodules named in a
    from-import); [] for anything outside the project."""
    if level:
        base = here.parents[level - 1]
    else:
        # Slicer puts the repository root (installed: qt-scripted-modules) and the module's own
        # folder on sys.path.
        base = next((d for d in (ROOT, here.parent)
                     if (d / module.split(".")[0]).exists()
                     or (d / f"{module.split('.')[0]}.py").exists()), None)
        if base is None:
            return []
    target = base.joinpath(*module.split(".")) if module else base
    found = [f for f in (target.with_suffix(".py"), target / "__init__.py") if f.is_file()]
    return found + [target / f"{n}.py" for n in names if (target / f"{n}.py").is_file()]


def chain_imports(start):
    """(file, line, module) of every outside import on the chain Slicer follows from `start`."""
    seen, queue, outside = set(), [start], []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for line, module, level, names in module_level_imports(path):
            files = project_files(path, module, level, names)
            if files:
                queue += files
            elif not level:
                outside.append((path.relative_to(ROOT), line, module))
    return seen, outside


@pytest.mark.parametrize("name", MODULES)
def test_loading_a_module_imports_only_what_a_stock_slicer_bundles(name):
    files, outside = chain_imports(ROOT / name / f"{name}.py")
    allowed = set(sys.stdlib_module_names) | PROJECT | SLICER_BUNDLE
    assert [f"{path}:{line} imports {module}" for path, line, module in outside
            if module.split(".")[0] not in allowed or module.startswith(PYDICOM_3_ONLY)] == []
    # The walk did follow the chain into the shared package.
    assert any(f.is_relative_to(ROOT / "radiographqc") for f in files)


def test_the_chain_check_catches_a_module_level_import_and_ignores_one_inside_a_function(tmp_path):
    module = tmp_path / "Sample.py"
    module.write_text("import os\nimport tqdm\n\ndef run():\n    import onnxruntime\n"
                      "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n")
    assert sorted((line, name) for line, name, _, _ in module_level_imports(module)) == [
        (1, "os"), (2, "tqdm")]


def requirement_import_names():
    from RadiographQCLib.dependencies import readRequirements
    from packaging.requirements import Requirement

    names = (Requirement(r).name for r in readRequirements())
    return {IMPORT_NAMES.get(n, n.replace("-", "_")) for n in names}


def all_imports(path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_the_package_imports_nothing_at_run_time_beyond_the_requirements_and_slicer():
    # radiographqc.train is for developers (the [train] extra: torch, monai, onnx).
    files = [f for f in (ROOT / "radiographqc").rglob("*.py")
             if not f.is_relative_to(ROOT / "radiographqc" / "train")]
    files += list((ROOT / "RadiographQCLib").rglob("*.py"))
    for name in MODULES:
        files += [ROOT / name / f"{name}.py", *(ROOT / name / f"{name}Lib").rglob("*.py")]
    allowed = (set(sys.stdlib_module_names) | PROJECT | SLICER_BUNDLE
               | requirement_import_names())
    unknown = sorted({f"{f.relative_to(ROOT)} imports {top}" for f in files
                      for top in all_imports(f) if top not in allowed})
    assert unknown == []


def test_the_pure_core_never_imports_slicer_vtk_qt_or_the_slicer_side_library():
    """radiographqc is shared by the command line, the modules and the web app: the Slicer side
    (RadiographQCLib, the module Libs) may import it, never the other way round."""
    slicer_side = {"slicer", "vtk", "qt", "ctk", "SampleData", "RadiographQCLib", "WristQCLib", "LumbarQCLib"}
    found = sorted({f"{f.relative_to(ROOT)} imports {top}" for f in (ROOT / "radiographqc").rglob("*.py")
                    for top in all_imports(f) if top in slicer_side})
    assert found == []

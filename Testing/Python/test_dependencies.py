"""RadiographQCLib/requirements.txt, the dependency check and install the module logics mix in, and
the error a missing onnxruntime gives."""
import importlib.metadata
import re
import sys
import tomllib
import types
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from RadiographQCLib import dependencies
from RadiographQCLib.dependencies import (
    DependencyError, DependencyMixin, installedPins, isSatisfied, readRequirements,
)
from radiographqc import dicom_io
from radiographqc.errors import ModelError
from radiographqc.models import load_model

ROOT = Path(__file__).resolve().parents[2]
# Distributions a stock Slicer 5.10 bundles (SuperBuild/External_python-*.cmake at v5.10.0, as
# make_stock_data.py read them into slicer_stock/stock-requirements.txt); 5.12 bundles these too, newer.
STOCK_REQUIREMENTS = ROOT / "Testing" / "Python" / "slicer_stock" / "stock-requirements.txt"
SLICER_BUNDLE = {canonicalize_name(Requirement(line).name) for line in readRequirements(STOCK_REQUIREMENTS)}
RANGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*>=\d+(\.\d+)*,<\d+(\.\d+)*$")


class Logic(DependencyMixin):
    """A module logic as the modules make it, reading `requirements`."""

    def __init__(self, requirements):
        self.requirementsFile = requirements


@pytest.fixture
def environment(monkeypatch):
    """A fake set of installed distributions (name -> version) that the check reads."""
    installed = {"numpy": "2.0.2", "tqdm": "4.70.1"}

    def version(name):
        try:
            return installed[canonicalize_name(name)]
        except KeyError:
            raise importlib.metadata.PackageNotFoundError(name) from None

    monkeypatch.setattr(dependencies.importlib.metadata, "version", version)
    return installed


@pytest.fixture(autouse=True)
def refreshes(monkeypatch):
    """The calls of refresh_decoders, which installDependencies makes: recorded, so that this
    session's pydicom is not reloaded (Testing/Python/test_decoders_installed_later.py tests it)."""
    calls = []
    monkeypatch.setattr(dicom_io, "refresh_decoders", lambda: calls.append("refresh"))
    return calls


def requirements_file(tmp_path, *lines):
    path = tmp_path / "requirements.txt"
    path.write_text("# a comment\n\n" + "\n".join(lines) + "\n")
    return path


def lower_bound(requirement):
    return next(s.version for s in Requirement(requirement).specifier if s.operator == ">=")


# --- the requirements file -------------------------------------------------------------------

def test_every_requirement_has_a_tested_lower_bound_and_a_capped_upper_bound():
    requirements = readRequirements()
    assert requirements, "no requirement read"
    for line in requirements:
        assert RANGE.match(line), line
        specifier = Requirement(line).specifier
        assert not specifier.contains(next(s.version for s in specifier if s.operator == "<"))
        assert specifier.contains(lower_bound(line))


def test_the_requirements_name_each_package_once_and_none_that_slicer_bundles():
    names = [canonicalize_name(Requirement(line).name) for line in readRequirements()]
    assert len(names) == len(set(names))
    assert set(names) & SLICER_BUNDLE == set()


def test_each_requirement_lies_within_the_range_pyproject_gives_that_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ranges = {canonicalize_name(Requirement(d).name): Requirement(d).specifier for d in project}
    file_names = set()
    for line in readRequirements():
        name = canonicalize_name(Requirement(line).name)
        file_names.add(name)
        assert name in ranges, f"{line} is not a dependency in pyproject.toml"
        assert ranges[name].contains(lower_bound(line)), f"{line} outside {ranges[name]}"
    assert set(ranges) - SLICER_BUNDLE == file_names, "pyproject and requirements.txt differ"


def test_the_requirements_file_is_installed_beside_the_dependency_check():
    cmake = (ROOT / "CMakeLists.txt").read_text()
    resources = cmake.split("RADIOGRAPHQC_PYTHON_RESOURCES RELATIVE", 1)[1].split(")", 1)[0]
    assert "${CMAKE_CURRENT_SOURCE_DIR}/RadiographQCLib/requirements.txt" in resources
    assert dependencies.REQUIREMENTS_FILE == ROOT / "RadiographQCLib" / "requirements.txt"


# --- missingDependencies ------------------------------------------------------------------------

def test_a_requirement_on_a_package_that_does_not_exist_is_reported_as_written(tmp_path):
    path = requirements_file(tmp_path, "radiographqc-no-such-package>=1.0,<2", "pytest>=1")
    assert Logic(path).missingDependencies() == ["radiographqc-no-such-package>=1.0,<2"]


def test_a_package_installed_at_a_version_outside_the_range_is_missing(tmp_path, environment):
    path = requirements_file(tmp_path, "tqdm>=4.66.0,<5", "numpy>=2.1,<3")
    assert Logic(path).missingDependencies() == ["numpy>=2.1,<3"]


def test_nothing_is_missing_when_every_requirement_is_satisfied(tmp_path, environment):
    logic = Logic(requirements_file(tmp_path, "tqdm>=4.66.0,<5", "numpy>=2.0"))
    assert logic.missingDependencies() == []


def test_a_requirement_whose_marker_excludes_this_python_is_never_missing():
    assert isSatisfied('radiographqc-no-such-package>=1; python_version < "3"')
    assert not isSatisfied('radiographqc-no-such-package>=1; python_version >= "3"')


# --- installDependencies ------------------------------------------------------------------------

def test_install_passes_exactly_the_missing_requirements_and_holds_the_installed_ones(
        tmp_path, environment):
    path = requirements_file(tmp_path, "tqdm>=4.66.0,<5", "PyYAML>=6.0.1,<7", "numpy>=2.1,<3")
    calls = []

    def install(args):
        constraints = Path(args[1]).read_text().split()
        calls.append((args[0], args[2:], constraints))
        environment.update(pyyaml="6.0.3", numpy="2.2.0")

    logic = Logic(path)
    logic.pipInstall = install
    assert logic.installDependencies() == ["PyYAML>=6.0.1,<7", "numpy>=2.1,<3"]
    [(option, requirements, constraints)] = calls
    assert (option, requirements) == ("-c", ["PyYAML>=6.0.1,<7", "numpy>=2.1,<3"])
    names = {canonicalize_name(c.split("==")[0]) for c in constraints}
    assert "pytest" in names and "numpy" not in names and "pyyaml" not in names
    assert f"pytest=={importlib.metadata.distribution('pytest').version}" in constraints


def test_pydicom_decoders_are_refreshed_after_the_install(tmp_path, environment, refreshes):
    logic = Logic(requirements_file(tmp_path, "PyYAML>=6.0.1,<7"))
    logic.pipInstall = lambda args: refreshes.append("install") or environment.update(
        pyyaml="6.0.3")
    logic.installDependencies()
    assert refreshes == ["install", "refresh"]


def test_install_calls_no_installer_when_nothing_is_missing(tmp_path, environment):
    logic = Logic(requirements_file(tmp_path, "tqdm>=4.66.0,<5"))
    logic.pipInstall = lambda args: pytest.fail("installer called")
    assert logic.installDependencies() == []


def test_a_requirement_still_missing_after_the_install_is_a_clear_error(tmp_path, environment):
    logic = Logic(requirements_file(tmp_path, "tqdm>=4.66.0,<5", "PyYAML>=6.0.1,<7"))
    logic.pipInstall = lambda args: None
    with pytest.raises(DependencyError, match=r"still missing after installing: PyYAML>=6.0.1,<7"):
        logic.installDependencies()


def test_the_default_installer_is_slicers_pip_install(tmp_path, environment, monkeypatch):
    calls = []
    util = types.ModuleType("slicer.util")
    util.pip_install = lambda args: calls.append(args) or environment.update(pyyaml="6.0.3")
    slicer = types.ModuleType("slicer")
    slicer.util = util
    monkeypatch.setitem(sys.modules, "slicer", slicer)
    monkeypatch.setitem(sys.modules, "slicer.util", util)
    Logic(requirements_file(tmp_path, "PyYAML>=6.0.1,<7")).installDependencies()
    assert [args[2:] for args in calls] == [["PyYAML>=6.0.1,<7"]]


def test_the_constraints_hold_every_installed_distribution_but_the_excluded_ones():
    pins = installedPins(exclude=["PyTest"])
    assert f"numpy=={importlib.metadata.version('numpy')}" in pins
    assert not [p for p in pins if canonicalize_name(p.split("==")[0]) == "pytest"]


# --- defect 3: a missing onnxruntime ------------------------------------------------------------

def test_a_missing_onnxruntime_is_a_model_error_naming_the_model_file(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(ModelError, match="onnxruntime is not installed") as raised:
        load_model(ROOT / "Resources" / "Models" / "wrist-ap-3.json")
    assert raised.value.path == str(ROOT / "Resources" / "Models" / "wrist-ap-3.onnx")

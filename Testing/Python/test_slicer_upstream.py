"""Slicer's own tests of the parameterNodeWrapper (Base/Python/slicer/tests at v5.10.0, vendored
unmodified in slicer_stock/slicer_tests/) pass here, over slicer-core with the Qt stand-ins: the
two suites without widgets whole, and of the GUI suite the tests of the widget kinds the modules'
.ui files use. Evidence that the stand-ins do what Qt does where the modules rely on it."""
import importlib.util
import sys
import unittest
from pathlib import Path

import pytest

from conftest_slicer import a_scene, slicer_module, stock_slicer  # noqa: F401  (fixtures)

SLICER_TESTS = Path(__file__).resolve().parent / "slicer_stock" / "slicer_tests"
GUI_TESTS = ("test_QCheckBoxToBool", "test_CtkCheckBoxToBool", "test_QPushButtonToBool", "test_QLineEditToStr",
             "test_QLabelToStr", "test_ctkPathLineEditToPath", "test_qMRMLNodeComboBoxToNode")

pytestmark = pytest.mark.stock_slicer


def slicer_test_module(name, monkeypatch):
    """Import one of Slicer's test files; registered in sys.modules because the wrapper's
    serializers import a parameter's class by its module name."""
    spec = importlib.util.spec_from_file_location(f"slicer_tests_{name}", SLICER_TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def run(suite):
    result = unittest.TestResult()
    suite.run(result)
    return result.testsRun, [f"{test.id()}\n{trace}" for test, trace in result.errors + result.failures]


@pytest.mark.parametrize("name", ["test_slicer_parameter_node_wrapper", "test_slicer_parameter_pack"])
def test_slicers_own_parameter_node_wrapper_tests_pass_here(stock_slicer, monkeypatch, name):
    tests_run, problems = run(unittest.defaultTestLoader.loadTestsFromModule(slicer_test_module(name, monkeypatch)))
    assert tests_run > 10 and problems == []


def test_slicers_own_gui_tests_of_the_widgets_the_modules_use_pass_with_the_stand_ins(stock_slicer, monkeypatch):
    module = slicer_test_module("test_slicer_parameter_node_wrapper_guis", monkeypatch)
    tests_run, problems = run(unittest.TestSuite(module.ParameterNodeWrapperGuiTest(name) for name in GUI_TESTS))
    assert tests_run == len(GUI_TESTS) and problems == []

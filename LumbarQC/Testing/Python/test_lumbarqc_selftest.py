"""The in-Slicer self-test of LumbarQC.py (what `slicer_add_python_unittest` runs in a Slicer build),
run here against slicer-core with stand-ins for the Qt-only imports."""
from conftest_slicer import run_self_test


def test_the_module_file_imports_and_its_slicer_self_test_passes(slicer_gui_stand_ins):
    result = run_self_test("LumbarQC")
    assert result.testsRun == 1 and not result.errors and not result.failures, result.errors + result.failures

"""Fixtures for the LumbarQC logic tests: a Slicer scene (slicer-core) and a lumbar sample case."""
from pathlib import Path

import pytest

MODULE_DIR = Path(__file__).resolve().parents[2]
REPO = MODULE_DIR.parent

from conftest_slicer import (  # noqa: E402,F401  (shared fixtures)
    a_scene, slicer_gui_stand_ins, slicer_module, stock_slicer)

from lumbarqc_testdata import copy_case  # noqa: E402


@pytest.fixture
def lumbar_ap(tmp_path):
    return copy_case("lumbar_ap_routine", tmp_path / "case")


@pytest.fixture
def lumbar_logic(a_scene):
    from LumbarQCLib.logic import LumbarQCLogic

    logic = LumbarQCLogic(a_scene, userName="tester")
    yield logic
    logic.cleanup()

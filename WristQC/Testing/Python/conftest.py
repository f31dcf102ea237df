"""Fixtures for the WristQC logic tests: a Slicer scene (slicer-core) and a small synthetic DX file."""
from pathlib import Path

import pytest

MODULE_DIR = Path(__file__).resolve().parents[2]

from conftest_slicer import (  # noqa: E402,F401  (shared fixtures)
    a_scene, slicer_gui_stand_ins, slicer_module, stock_slicer)
from test_wrist_pipeline import StandInArtefactDetector  # noqa: E402  (a classifier with a defined answer)
from wristqc_testdata import write_wrist_dicom  # noqa: E402


@pytest.fixture
def wrist_dicom(tmp_path):
    return write_wrist_dicom(tmp_path / "wrist.dcm")


@pytest.fixture
def wrist_logic(a_scene):
    from WristQCLib.logic import WristQCLogic

    logic = WristQCLogic(a_scene, userName="tester")
    logic.artefacts = StandInArtefactDetector()
    yield logic
    logic.cleanup()


@pytest.fixture
def wrist_logic_with_models(a_scene):
    """The logic with every bundled model, as a user gets it."""
    from WristQCLib.logic import WristQCLogic

    logic = WristQCLogic(a_scene, userName="tester")
    yield logic
    logic.cleanup()


@pytest.fixture
def a_wrist_volume(wrist_logic, wrist_dicom):
    return wrist_logic.loadRadiograph(wrist_dicom)

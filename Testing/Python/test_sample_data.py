"""The Sample Data entries of both modules: each sample is read by the module's loader and shown."""
from pathlib import Path

import pytest

from conftest_slicer import a_scene, slicer_module  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module, subfolder", [("WristQC", "wrist"), ("LumbarQC", "lumbar")])
def test_the_sample_folder_is_found_from_the_module_file_in_a_source_checkout(module, subfolder):
    from RadiographQCLib.samples import samplesFolder

    folder = samplesFolder(REPO / module / f"{module}.py")
    assert folder == REPO / "Resources" / "Samples"
    assert sorted((folder / subfolder).glob("*.dcm"))


def test_a_sample_is_loaded_with_the_module_reader_and_shown(a_scene):
    from RadiographQCLib import mrml
    from RadiographQCLib.samples import sampleDownloader
    from WristQCLib.logic import WristQCLogic

    shown = []
    path = REPO / "Resources" / "Samples" / "wrist" / "wrist_ap_routine.dcm"
    volume = sampleDownloader(path, WristQCLogic, show=shown.append)(source=None)
    assert shown == [volume]
    assert mrml.isRadiographVolume(volume)
    assert a_scene.GetNodeByID(volume.GetID()) is volume

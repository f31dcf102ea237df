"""Test data for the LumbarQC logic tests: the repository lumbar samples, copied per test."""
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "Resources" / "Samples" / "lumbar"
LABEL_FILES = (".labels.png", ".labels.json", ".vertebrae.png", ".truth.json")


def copy_case(stem, folder) -> Path:
    """A repository sample, its image and its true label files side by side in `folder`; the image path."""
    if not (SAMPLES / f"{stem}.dcm").is_file():
        pytest.skip("the repository lumbar samples are not generated yet")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLES / f"{stem}.dcm", folder / f"{stem}.dcm")
    for suffix in LABEL_FILES:
        shutil.copyfile(SAMPLES / "truth" / f"{stem}{suffix}", folder / f"{stem}{suffix}")
    return folder / f"{stem}.dcm"

"""The stages of the wrist pipeline, which the command line (WristPipeline.assess) and the Slicer
logic both call: analyse the image, find the keypoints, score, report."""
import dataclasses
import json

import numpy as np
import pytest

from radiographqc.dicom_io import read_radiograph
from radiographqc.errors import InputError
from radiographqc.profile import load_profile
from radiographqc.wrist.marker import MarkerResult
from radiographqc.wrist.pipeline import (ImageAnalysis, WristPipeline, analyse_image, find_keypoints, score_wrist,
                                         wrist_report)
from radiographqc.wrist.scoring import ArtefactResult
from test_cli_wrist import a_wrist_dicom, keypoints_file
from test_wrist_scoring import GOOD_AP

PROFILE = load_profile("wrist")
POINTS = {"P1": [170.0, 100.0], "P2": [159.5, 259.5], "P3": [79.5, 259.5]}


class StandInArtefactDetector:
    """Stands in for the foreign-body classifier where a test needs a defined answer: "no foreign
    body" (probability 0.1 against the default threshold 0.5), its evidence peak at (0, 0)."""

    probability = 0.1
    info = {"id": "stand-in-artefact", "version": "0", "sha256": "0" * 64}

    def model_info(self):
        return self.info

    def detect(self, pixels):
        return ArtefactResult(self.probability, self.info["id"], (0.0, 0.0), np.zeros(pixels.shape, np.float32))


class NoModelMayRun:
    """A keypoint and artefact detector that fails the test when it is asked for anything."""

    def detect(self, *args):
        raise AssertionError("no model should run here")

    model_info = detect


def analysis_of(rg):
    return analyse_image(rg, PROFILE, StandInArtefactDetector())


@pytest.fixture
def an_image(tmp_path):
    path = a_wrist_dicom(tmp_path / "good.dcm")
    keypoints_file(tmp_path / "good.keypoints.json", "AP", POINTS)
    return path


def test_assess_reports_what_the_stages_found_with_the_stand_in_classifier(an_image):
    report = WristPipeline(PROFILE, detector=NoModelMayRun(), artefacts=StandInArtefactDetector()).assess(
        an_image).report
    assert report["artefact"] == {"probability": 0.1, "present": False, "threshold": 0.5, "peak_xy": [0.0, 0.0]}
    assert report["models"] == [StandInArtefactDetector.info]
    assert {item["id"]: item["score"] for item in report["items"]}["ARTEFACT"] == 10
    assert report["keypoints"]["P2"]["source"] == "file" and report["source"]["view_source"] == "DICOM header"
    assert report["marker"]["found"] is False and report["software"]["name"] == "radiographqc"


def test_the_stages_by_hand_give_the_report_of_assess(an_image):
    artefacts = StandInArtefactDetector()
    by_assess = WristPipeline(PROFILE, detector=NoModelMayRun(), artefacts=artefacts).assess(an_image).report
    rg = read_radiograph(an_image)
    analysis = analyse_image(rg, PROFILE, artefacts)
    found = find_keypoints(rg, analysis, NoModelMayRun())
    by_hand = wrist_report(score_wrist(found.keypoints, rg, analysis, PROFILE), rg, analysis, found, PROFILE)
    assert {**by_hand, "created": None} == {**by_assess, "created": None}


def test_an_image_of_another_view_is_refused_before_any_model_runs(an_image):
    oblique = dataclasses.replace(read_radiograph(an_image), view="OBL")
    with pytest.raises(InputError, match="wrong view for wrist QC: the header says OBL"):
        analyse_image(oblique, PROFILE, NoModelMayRun())


def test_without_a_view_and_a_keypoint_file_the_keypoints_are_an_input_error_naming_the_image(tmp_path):
    rg = dataclasses.replace(read_radiograph(a_wrist_dicom(tmp_path / "noview.dcm")), view=None)
    analysis = analysis_of(rg)
    with pytest.raises(InputError, match=r"noview\.dcm: no keypoint file, and the keypoint models need an AP or "
                                         r"LAT view: the header gives no view"):
        find_keypoints(rg, analysis, WristPipeline(PROFILE).detector)


def test_given_keypoints_win_over_a_file_and_a_file_over_the_model(an_image):
    rg = read_radiograph(an_image)
    analysis = analysis_of(rg)
    given = find_keypoints(rg, analysis, NoModelMayRun(), given=GOOD_AP)
    assert (given.keypoints, given.source, given.models) == (GOOD_AP, "given", [])
    from_file = find_keypoints(rg, analysis, NoModelMayRun())
    assert from_file.source == "file" and from_file.keypoints.xy("P2") == tuple(POINTS["P2"])


def test_an_image_that_is_no_file_finds_no_keypoint_file_beside_it(an_image, monkeypatch):
    rg = dataclasses.replace(read_radiograph(an_image), path="a volume name")
    monkeypatch.chdir(an_image.parent)          # where a relative name would look
    (an_image.parent / "a volume name.json").write_text(json.dumps({"view": "AP", "points": POINTS}))
    with pytest.raises(AssertionError, match="no model should run here"):
        find_keypoints(rg, analysis_of(rg), NoModelMayRun())


def test_the_image_analysis_goes_through_json_exactly_and_scores_the_same():
    analysis = ImageAnalysis("AP", MarkerResult(True, "L", 0.8512345678, (10, 10, 40, 60), (25.0, 35.0), 3, 90),
                             ArtefactResult(0.4999999, "m", (1.5, 2.5), np.ones((4, 4), np.float32)),
                             [StandInArtefactDetector.info])
    back = ImageAnalysis.from_dict(json.loads(json.dumps(analysis.to_dict())))
    assert back == analysis and back.artefact.heatmap is None
    assert back.marker.similarity == 0.8512345678 and back.artefact.probability == 0.4999999


def test_another_profile_decides_the_marker_again_from_the_kept_similarity():
    analysis = ImageAnalysis("AP", MarkerResult(True, "R", 0.9, (1, 1, 5, 5), (3.0, 3.0), 1),
                             ArtefactResult(0.1, "m"))
    picky = {"marker": {"similarity_threshold": 0.95}}
    assert not analysis.for_profile(picky).marker.found
    assert analysis.for_profile(picky).for_profile(PROFILE).marker == analysis.marker
    nothing = dataclasses.replace(analysis, marker=MarkerResult(False, None, 0.99, None, None, 0))
    assert not nothing.for_profile(PROFILE).marker.found       # no letter: nothing to find

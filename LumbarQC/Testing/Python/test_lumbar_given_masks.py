"""A LumbarQC case from masks given in memory (a teaching image from the simulator has exact masks but
no label file): the same segments and rules as from the label file, maskSource "given"."""
import dataclasses
import json

import numpy as np
import pytest

from lumbarqc_testdata import SAMPLES

STEM = "lumbar_ap_routine"
TRUTH = SAMPLES / "truth"


@pytest.fixture
def a_lumbar_sample():
    if not (SAMPLES / f"{STEM}.dcm").is_file():
        pytest.skip("the repository lumbar samples are not generated yet")
    return SAMPLES / f"{STEM}.dcm"


def true_masks(view=None):
    from radiographqc.label_io import read_masks

    return read_masks(TRUTH / f"{STEM}.labels.json", view)


def rule_values(result):
    return [(r.id, r.value, r.passed) for r in result.rules]


def test_masks_given_in_memory_give_the_segments_and_rules_of_their_label_file(lumbar_logic, a_lumbar_sample):
    from RadiographQCLib import mrml

    volume = lumbar_logic.loadRadiograph(a_lumbar_sample)
    from_file = lumbar_logic.process(volume, labelPath=TRUTH / f"{STEM}.labels.json")
    file_segments = {sid: lumbar_logic.segmentMask(sid).copy() for sid in lumbar_logic.segmentIds()}
    file_names, file_table = lumbar_logic.segmentNames(), mrml.readTable(lumbar_logic.tableNode)
    assert lumbar_logic.segmentationNode.GetAttribute(mrml.ATTR + "maskSource") == "file"

    given = lumbar_logic.process(volume, masks=true_masks())
    assert lumbar_logic.segmentationNode.GetAttribute(mrml.ATTR + "maskSource") == "given"
    assert json.loads(lumbar_logic.segmentationNode.GetAttribute(mrml.ATTR + "models")) == []
    assert rule_values(given) == rule_values(from_file) and given.qualified == from_file.qualified
    assert mrml.readTable(lumbar_logic.tableNode) == file_table
    assert lumbar_logic.segmentNames() == file_names
    assert lumbar_logic.segmentIds() == list(file_segments)
    assert all(np.array_equal(lumbar_logic.segmentMask(sid), mask) for sid, mask in file_segments.items())
    assert not lumbar_logic.hasReviewerChanges()


def test_given_masks_win_over_a_label_file_and_the_report_names_them(lumbar_logic, a_lumbar_sample):
    masks = true_masks()
    emptied = dataclasses.replace(masks, structures={**masks.structures,
                                                     "L3_double_contour": np.zeros(masks.shape, bool)})
    lumbar_logic.process(lumbar_logic.loadRadiograph(a_lumbar_sample), labelPath=TRUTH, masks=emptied)
    assert not lumbar_logic.segmentMask("L3_double_contour").any()
    report = lumbar_logic.report()
    assert report["masks"]["source"] == "given" and report["models"] == []
    lumbar_logic.setSegmentMask("L3_double_contour", lumbar_logic.segmentMask("L3"))
    assert lumbar_logic.report()["masks"]["source"] == "reviewed (given)"


def test_the_header_view_overrides_the_given_masks_view_as_it_does_a_label_files(lumbar_logic, a_lumbar_sample):
    volume = lumbar_logic.loadRadiograph(a_lumbar_sample)
    masks = dataclasses.replace(true_masks(), view="LAT")
    from_file = lumbar_logic.process(volume, labelPath=TRUTH)
    assert rule_values(lumbar_logic.process(volume, masks=masks)) == rule_values(from_file)
    assert lumbar_logic.view == "AP" and lumbar_logic.viewSource == "DICOM header"


def test_given_masks_of_another_size_are_refused_before_the_scene_changes(lumbar_logic, a_lumbar_sample):
    from radiographqc.errors import InputError
    from radiographqc.lumbar import LumbarMasks

    volume = lumbar_logic.loadRadiograph(a_lumbar_sample)
    lumbar_logic.process(volume, labelPath=TRUTH)
    segmentation = lumbar_logic.segmentationNode
    rows, cols = true_masks().shape
    small = LumbarMasks("AP", (rows // 2, cols), structures={"L3": np.zeros((rows // 2, cols), bool)})
    with pytest.raises(InputError, match="the given masks are"):
        lumbar_logic.process(volume, masks=small)
    assert volume.GetNodeReference("RadiographQC.segmentation") is segmentation

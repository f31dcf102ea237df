"""The terminology entries LumbarQC gives its segments, checked against 3D Slicer's own format and lists.

Format: vtkSlicerTerminologiesModuleLogic::SerializeTerminologyEntry / DeserializeTerminologyEntry
(Modules/Loadable/Terminologies/Logic/vtkSlicerTerminologiesModuleLogic.cxx, v5.8.1 and v5.10.0): seven
fields joined by "~" (context, category, type, type modifier, anatomic context, region, region modifier),
each code "scheme^value^meaning". The deserializer splits on "~" and "^" only, so any other character
becomes part of a code; a segment's tags are saved in .seg.nrrd as "name:value|"
(vtkMRMLSegmentationStorageNode.cxx), so a "|" would also cut the entry short on save.
"""
import re
from pathlib import Path

import pytest

from LumbarQCLib import labels
from radiographqc.lumbar import LEVELS, STRUCTURES

REPO = Path(__file__).resolve().parents[3]

# Copied from Modules/Loadable/Terminologies/Resources/SegmentationCategoryTypeModifier-DICOM-Master.json
# (the same file at v5.8.1, v5.10.0 and v5.12.3): its SegmentationCategoryTypeContextName, and the
# category with the types of it that LumbarQC uses (none of them has a Modifier list).
SLICER_CONTEXT = "Segmentation category and type - DICOM master list"
SLICER_TYPES = {("SCT", "123037004", "Anatomical Structure"): {("SCT", "51282000", "Vertebra"),
                                                               ("SCT", "54735007", "Sacrum"),
                                                               ("SCT", "12921003", "Pelvis")}}
# "showAnatomy": false for that category: Slicer's selector offers (and keeps) no anatomic region for it
CATEGORIES_WITHOUT_ANATOMY = {("SCT", "123037004", "Anatomical Structure")}
# AnatomicContextName of AnatomicRegionAndModifier-DICOM-Master.json (same tags)
SLICER_ANATOMIC_CONTEXT = "Anatomic codes - DICOM master list"
EMPTY_CODE = ("", "", "")


def every_entry():
    """(segment id, level, entry) of every segment LumbarQC can create, vertebrae at every level."""
    shown = [(sid, None, labels.segmentDisplay(sid)) for sid in STRUCTURES]
    shown += [("vertebra_1", level, labels.segmentDisplay("vertebra_1", level)) for level in (None,) + LEVELS]
    return [(sid, level, entry["terminology"]) for sid, level, entry in shown if "terminology" in entry]


def parse(entry):
    """The entry split as DeserializeTerminologyEntry splits it."""
    fields = entry.split("~")
    assert len(fields) == 7, entry
    codes = [tuple(fields[i].split("^")) for i in (1, 2, 3, 5, 6)]
    assert all(len(code) == 3 for code in codes), entry
    return fields[0], fields[4], codes


ENTRIES = every_entry()


def test_every_structure_but_a_finding_and_a_space_has_an_entry():
    assert set(STRUCTURES) - {sid for sid, _, _ in ENTRIES} == {"L3_double_contour", "foramina"}
    assert len([1 for sid, _, _ in ENTRIES if sid == "vertebra_1"]) == len(LEVELS) + 1


@pytest.mark.parametrize("sid,level,entry", ENTRIES, ids=[f"{sid}-{level}" for sid, level, _ in ENTRIES])
def test_each_entry_parses_as_slicer_writes_it_and_names_codes_of_slicers_list(sid, level, entry):
    context, anatomic_context, (category, kind, modifier, region, region_modifier) = parse(entry)
    assert context == SLICER_CONTEXT and anatomic_context == SLICER_ANATOMIC_CONTEXT
    assert kind in SLICER_TYPES[category]
    assert modifier == EMPTY_CODE                      # no type in SLICER_TYPES has modifiers
    if category in CATEGORIES_WITHOUT_ANATOMY:
        assert region == region_modifier == EMPTY_CODE
    assert "|" not in entry


def test_the_slicer_side_code_sets_and_reads_terminology_only_through_the_segment_tag():
    """vtkSegment.SetTerminology/GetTerminology/HasTerminology only exist from Slicer 5.10
    (Libs/vtkSegmentationCore/vtkSegment.h); the tag GetTerminologyEntryTagName() names is in 5.8 too."""
    convenience = re.compile(r"\.(Set|Get|Has)Terminology\(")
    sources = [path for folder in ("LumbarQC", "WristQC", "RadiographQCLib") for path in (REPO / folder).rglob("*.py")]
    assert sources
    assert [str(path.relative_to(REPO)) for path in sources if convenience.search(path.read_text())] == []

"""What the module widgets do with a path field's text, and the .ui name filters as CTK turns them
into the field's validator."""
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from RadiographQCLib.paths import optionalFile, profileChoice, requiredFolder
from slicer_stock.qtstandins import ctk_validator

REPO = Path(__file__).resolve().parents[2]


def name_filters(module, field):
    tree = ET.parse(REPO / module / "Resources" / "UI" / f"{module}.ui")
    widget = next(w for w in tree.iter("widget") if w.get("name") == field)
    prop = next((p for p in widget.iter("property") if p.get("name") == "nameFilters"), None)
    return [] if prop is None else [s.text for s in prop.iter("string")]


def test_ctk_accepts_a_truncated_extension_so_the_widget_decides_on_its_own():
    validator = ctk_validator(name_filters("WristQC", "profilePathLineEdit"))
    assert validator.fullmatch("/d/profile.jso")          # CTK's quirk: the last letter is optional
    assert profileChoice("/d/profile.jso").kind == "wait"


def test_the_label_field_validates_a_label_table_name():
    validator = ctk_validator(name_filters("LumbarQC", "labelPathLineEdit"))
    assert validator.fullmatch("/data/case.labels.json")


FILE_FIELDS = [(module, field, names) for module in ("WristQC", "LumbarQC") for field, names in
               (("dicomPathLineEdit", ["a.dcm", "a.png", "a.jpeg"]),
                ("profilePathLineEdit", ["p.json", "p.yaml", "p.yml"]))]
FILE_FIELDS.append(("LumbarQC", "labelPathLineEdit", ["c.labels.json"]))


@pytest.mark.parametrize("module, field, names", FILE_FIELDS)
def test_every_name_filter_of_a_file_field_validates_the_files_it_is_for(module, field, names):
    validator = ctk_validator(name_filters(module, field))
    assert all(validator.fullmatch(f"/x/{name}") for name in names)


def test_an_empty_profile_field_means_the_default_profile():
    assert profileChoice("").kind == "default"
    assert profileChoice("   ").kind == "default"


def test_a_partial_path_while_typing_is_neither_loaded_nor_an_error(tmp_path):
    (tmp_path / "dept.yaml").write_text("name: dept\n")
    assert profileChoice(str(tmp_path / "de")).kind == "wait"
    assert profileChoice(str(tmp_path / "dept.yam")).kind == "wait"
    assert profileChoice(str(tmp_path / "missing.json")).kind == "wait"


def test_an_existing_profile_file_is_chosen(tmp_path):
    path = tmp_path / "dept.yaml"
    path.write_text("name: dept\n")
    assert profileChoice(str(path)) == profileChoice(f"  {path} ")
    assert profileChoice(str(path)).path == path


def test_an_empty_export_folder_is_an_error_not_the_working_folder():
    with pytest.raises(ValueError, match="export folder"):
        requiredFolder("", "export")
    assert requiredFolder("/tmp/out", "export") == Path("/tmp/out")


def test_an_optional_label_table_is_checked_by_its_whole_suffix(tmp_path):
    table = tmp_path / "case.labels.json"
    table.write_text("{}")
    assert optionalFile("", ".labels.json", "label table") is None
    assert optionalFile(str(table), ".labels.json", "label table") == table
    assert optionalFile(str(tmp_path), ".labels.json", "label table", allowFolder=True) == tmp_path
    with pytest.raises(ValueError, match="not a label table"):
        optionalFile(str(tmp_path / "case.json"), ".labels.json", "label table")
    with pytest.raises(ValueError, match="no such file"):
        optionalFile(str(tmp_path / "other.labels.json"), ".labels.json", "label table")

"""The Qt stand-ins (slicer_stock/qtstandins.py) behave as the parts of PythonQt and Qt they replace."""
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest_slicer import a_scene, slicer_module, stock_slicer  # noqa: F401  (fixtures)
from slicer_stock import qtstandins

ROOT = Path(__file__).resolve().parents[2]


def test_a_slot_gets_only_the_signal_arguments_it_declares_as_with_pythonqt():
    received = []

    class Receiver:
        def none(self):
            received.append(())

        def one(self, path):
            received.append((path,))

    signal = qtstandins.Signal("currentPathChanged")
    receiver = Receiver()
    for slot in (receiver.none, receiver.one, lambda: received.append("lambda"),
                 lambda *args: received.append(args)):
        signal.connect(slot)
    signal.emit("/a.json", True)
    assert received == [(), ("/a.json",), "lambda", ("/a.json", True)]


def test_an_error_in_a_slot_is_recorded_and_the_other_slots_still_run():
    qtstandins.SLOT_ERRORS.clear()
    ran = []
    signal = qtstandins.Signal("clicked")
    signal.connect(lambda: 1 / 0)
    signal.connect(lambda: ran.append(True))
    signal.emit()
    assert ran == [True] and [name for name, _ in qtstandins.SLOT_ERRORS] == ["clicked"]
    qtstandins.SLOT_ERRORS.clear()


@pytest.mark.parametrize("name", ["WristQC", "LumbarQC"])
def test_the_ui_loader_builds_every_widget_of_a_module_ui_with_its_properties(stock_slicer, name):
    import slicer

    path = ROOT / name / "Resources" / "UI" / f"{name}.ui"
    ui = slicer.util.childWidgetVariables(slicer.util.loadUI(str(path)))
    for element in ET.parse(path).iter("widget"):
        assert type(getattr(ui, element.get("name"))).__name__ == element.get("class")
    assert ui.loadButton.text == "Load radiograph" and ui.applyButton.enabled is False
    assert ui.inputVolumeSelector.property("SlicerParameterName") == "inputVolume"
    assert ui.inputVolumeSelector.noneEnabled is True and ui.loadButton.property("text") == "Load radiograph"
    assert ui.loadButton.property("SlicerParameterName") is None


def test_a_single_shot_timer_stops_when_it_fires():
    timer = qtstandins.QTimer()
    fired = []
    timer.timeout.connect(lambda: fired.append(timer.isActive()))
    timer.setSingleShot(True)
    timer.start()
    timer.timeout.emit()
    assert not timer.isActive() and fired == [False]


def test_the_path_field_stand_in_signals_as_ctk_does(stock_slicer):
    """ctkPathLineEdit::updateHasValidInput (CTK dd4caeae): currentPathChanged only for text the
    name-filter validator accepts, validInputChanged when that flips; the combo box sees every edit."""
    import ctk

    field = ctk.ctkPathLineEdit()
    field.nameFilters = ["Profiles (*.json)"]
    seen = []
    field.currentPathChanged.connect(lambda path: seen.append(("path", path)))
    field.validInputChanged.connect(lambda valid: seen.append(("valid", valid)))
    field.comboBox().editTextChanged.connect(lambda text: seen.append(("edit", text)))
    for text in ("/p.json", "/p.jso", "/p.js", ""):
        field.currentPath = text
    assert seen == [("edit", "/p.json"), ("path", "/p.json"), ("valid", True),
                    ("edit", "/p.jso"), ("path", "/p.jso"),          # CTK's optional last letter
                    ("edit", "/p.js"), ("valid", False), ("edit", "")]

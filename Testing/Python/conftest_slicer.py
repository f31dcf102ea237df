"""A Slicer scene without Slicer's GUI (PyPI slicer-core), set up the way the application does it.

Shared by the WristQC and LumbarQC logic tests: `import slicer` is slow (~1.5 s), so it happens once
per session; every test gets a fresh scene with the module logics registered.
"""
import types

import pytest


def build_scene(slicer, cache_dir):
    """An MRML scene with the application logic and the logics the QC modules use (Markups,
    Segmentations, Tables, Volumes...) registered, plus .mrb reading support."""
    scene = slicer.vtkMRMLScene()
    for cls in (slicer.vtkMRMLCrosshairNode, slicer.vtkMRMLSelectionNode):
        scene.AddNode(cls())
    app_logic = slicer.vtkSlicerApplicationLogic()
    app_logic.SetMRMLScene(scene)
    color_logic = app_logic.GetColorLogic()
    color_logic.SetMRMLScene(scene)
    color_logic.AddDefaultColorNodes()
    app_logic.SetModuleLogic("Colors", color_logic)
    logics = {}
    for name, cls in (("Volumes", slicer.vtkSlicerVolumesLogic), ("Markups", slicer.vtkSlicerMarkupsLogic),
                      ("Segmentations", slicer.vtkSlicerSegmentationsModuleLogic),
                      ("Tables", slicer.vtkSlicerTablesLogic),
                      ("SubjectHierarchy", slicer.vtkSlicerSubjectHierarchyModuleLogic),
                      ("Data", slicer.vtkSlicerDataModuleLogic), ("Units", slicer.vtkSlicerUnitsLogic)):
        logic = cls()
        logic.SetMRMLApplicationLogic(app_logic)
        logic.SetMRMLScene(scene)
        app_logic.SetModuleLogic(name, logic)
        logics[name] = logic
    remote_io = slicer.vtkMRMLRemoteIOLogic()
    remote_io.SetMRMLScene(scene)
    remote_io.GetCacheManager().SetRemoteCacheDirectory(str(cache_dir))
    data_io = slicer.vtkDataIOManagerLogic()
    data_io.SetMRMLApplicationLogic(app_logic)
    data_io.SetAndObserveDataIOManager(remote_io.GetDataIOManager())
    remote_io.AddDataIOToScene()
    scene.test_keepalive = (app_logic, logics, remote_io, data_io)
    return scene, app_logic, logics


@pytest.fixture(scope="session")
def slicer_module():
    return pytest.importorskip("slicer", reason="the PyPI package slicer-core is needed for the logic tests")


@pytest.fixture
def a_scene(slicer_module, tmp_path):
    """A fresh scene; slicer.mrmlScene and slicer.modules point to it only while the test runs, for
    slicer.util helpers the tests call (the modules' own logic takes the scene as an argument)."""
    scene, app_logic, logics = build_scene(slicer_module, tmp_path / "cache")
    saved = {name: getattr(slicer_module, name, None) for name in ("mrmlScene", "modules", "app")}
    slicer_module.mrmlScene = scene
    slicer_module.modules = types.SimpleNamespace(
        volumes=types.SimpleNamespace(logic=lambda: logics["Volumes"]),
        segmentations=types.SimpleNamespace(logic=lambda: logics["Segmentations"]),
        markups=types.SimpleNamespace(logic=lambda: logics["Markups"]))
    yield scene
    for name, value in saved.items():
        if value is None and hasattr(slicer_module, name):
            delattr(slicer_module, name)
        elif value is not None:
            setattr(slicer_module, name, value)
    scene.Clear(1)


@pytest.fixture
def stock_slicer(a_scene, slicer_module, monkeypatch, tmp_path):
    """Stock Slicer's own Python code (ScriptedLoadableModule, parameterNodeWrapper, i18n of
    v5.10.0, vendored in slicer_stock/) over slicer-core and the scene, with stand-ins only for what
    needs Qt (slicer_stock/qtstandins.py, slicer_stock/harness.py): module files, their logic and
    widgets run as in Slicer. The StockSlicer loads modules and widgets."""
    from slicer_stock.harness import StockSlicer

    harness = StockSlicer(slicer_module, a_scene, a_scene.test_keepalive[1], tmp_path / "slicer-temp",
                          monkeypatch)
    yield harness
    errors = harness.take_slot_errors()
    harness.close()
    # PythonQt only prints an exception raised in a slot; here it fails the test.
    assert errors == [], f"errors in Qt slots: {errors}"


@pytest.fixture
def slicer_gui_stand_ins(stock_slicer):
    """The same as `stock_slicer`, for the module self-tests (run_self_test)."""
    return stock_slicer


def run_self_test(module_name):
    """Import a module file (WristQC.py, LumbarQC.py) and run its <Module>Test's workflow test
    (with the stand-ins of `slicer_gui_stand_ins`)."""
    import importlib
    import sys
    import unittest

    sys.modules.pop(module_name, None)
    module = importlib.import_module(module_name)
    try:
        test = getattr(module, f"{module_name}Test")
        result = unittest.TestResult()
        unittest.TestSuite([test(f"test_{module_name}_review_workflow")]).run(result)
        return result
    finally:
        sys.modules.pop(module_name, None)

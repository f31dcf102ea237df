"""The case list of the browser app: which files, which module scores each, and how far its review
got (new / reviewed / exported). No trame and no MRML: the list is plain data the page shows.

The export folder is the one place the app writes, and "exported" is read from it, so every browser
tab (each its own worker process) sees the same status.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pydicom

from radiographqc.batch import expand_inputs
from radiographqc.dicom_io import body_part_from_header, header_values, view_from_header

MODULES = ("wrist", "lumbar")
# Body Part Examined (or the word the descriptions give, see dicom_io) -> module
_BODY_PARTS = {"WRIST": "wrist", "HAND": "wrist", "LSPINE": "lumbar", "SPINE": "lumbar", "LUMBAR": "lumbar"}
STATUSES = ("new", "reviewed", "exported")
REPORTS = "reports"      # <export>/reports/<stem>.json|.html
TRAINING = "training"    # <export>/training/<module>/<stem>.* (image, labels, provenance)


@dataclass
class Case:
    id: str                  # "c<index>": stable for the list of one app run
    path: Path
    module: str | None       # "wrist" | "lumbar" | None (the reviewer chooses)
    view: str | None
    stem: str
    status: str = "new"
    result: str = ""         # grade ("B 89/100") or verdict, once scored in this session
    error: str = ""          # one line when the file could not be opened or scored

    def row(self) -> dict:
        return {"id": self.id, "file": self.path.name, "module": self.module or "?", "view": self.view or "?",
                "result": self.result, "status": self.status, "error": self.error}


def file_stem(path: Path) -> str:
    """The report name of an image, as the Slicer modules name their exports."""
    return path.name.split(".")[0] or path.name


def _module_from_path(path: Path) -> str | None:
    words = " ".join(part.lower() for part in path.parts[-3:])
    if "lumbar" in words or "spine" in words:
        return "lumbar"
    if "wrist" in words:
        return "wrist"
    return None


def describe(path: Path) -> tuple[str | None, str | None]:
    """(module, view) of an image from its DICOM header without decoding the pixels; the folder or
    file name decides the module when the header does not (PNG/JPEG, no body part)."""
    try:
        header = header_values(pydicom.dcmread(path, stop_before_pixels=True))
    except Exception:   # not DICOM, or unreadable: opening it later says why, in one line
        return _module_from_path(path), None
    module = _BODY_PARTS.get(body_part_from_header(header) or "")
    return module or _module_from_path(path), view_from_header(header)


def find_cases(inputs, export_dir: Path) -> list[Case]:
    """Every image under the inputs (files as given, folders searched recursively), in order."""
    cases = []
    for index, path in enumerate(expand_inputs(inputs)):
        module, view = describe(path)
        cases.append(Case(f"c{index}", path, module, view, file_stem(path)))
    refresh_status(cases, export_dir)
    return cases


def report_path(export_dir: Path, case: Case) -> Path:
    return export_dir / REPORTS / f"{case.stem}.json"


def refresh_status(cases: list[Case], export_dir: Path) -> None:
    """A case whose report is in the export folder is exported (by this tab or another)."""
    for case in cases:
        if report_path(export_dir, case).is_file():
            case.status = "exported"


def inside(folder: Path, target: Path) -> bool:
    """True when `target` resolves inside `folder` (no `..` or link leads out of the export folder)."""
    folder, target = folder.resolve(), target.resolve()
    return target == folder or folder in target.parents

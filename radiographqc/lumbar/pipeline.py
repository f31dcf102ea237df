"""Lumbar QC of one image: DICOM -> masks (label file or model) -> rules -> report and overlay."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..batch import Outcome
from ..dicom_io import read_radiograph
from ..errors import InputError
from ..report.overlay import draw_lumbar
from ..wrist.pipeline import source_report
from .labels import VIEWS
from ..label_io import find_label_file, read_masks
from .rules import evaluate_lumbar


class LumbarPipeline:
    """Holds what is shared by every image of a run (profile, where the masks are, models)."""

    def __init__(self, profile: dict, masks=None, spacing_mm=None):
        self.profile = profile
        self.masks = masks
        self.spacing_mm = spacing_mm

    def masks_for(self, path: Path, rg):
        if rg.view is not None and rg.view not in VIEWS:
            raise InputError(path, f"wrong view for lumbar QC: {rg.view}")
        label_file = find_label_file(path, self.masks)
        if label_file is None:
            raise InputError(path, "no masks: no <stem>.labels.json beside the image and no --masks given")
        return read_masks(label_file, rg.view, (rg.rows, rg.cols)), "file"

    def assess(self, path: Path) -> Outcome:
        rg = read_radiograph(path, self.spacing_mm)
        masks, mask_source = self.masks_for(path, rg)
        result = evaluate_lumbar(masks, rg.pixels, self.profile, rg.spacing)
        report = result.to_dict()
        report.update(source=source_report(rg, path, "DICOM header" if rg.view else "label file"),
                      masks={"source": mask_source, "structures": sorted(masks.structures)}, models=[],
                      software={"name": "radiographqc", "version": __version__},
                      created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        return Outcome(report, draw_lumbar(rg.pixels, masks, result, rg.window))

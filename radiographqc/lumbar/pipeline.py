"""Lumbar QC of one image: DICOM -> masks (label file or model) -> rules -> report and overlay."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..batch import Outcome
from ..dicom_io import read_radiograph
from ..errors import InputError
from ..report.overlay import draw_lumbar
from ..label_io import find_label_file, read_masks
from ..models import ModelRegistry
from ..wrist.pipeline import source_report
from .labels import VIEWS
from .masks import masks_from_channels
from .rules import evaluate_lumbar
from .vertebrae import with_split_bodies

SEGMENTATION_MODEL = "lumbar-seg"


class Segmenter:
    """The bundled segmentation model, loaded on first use (a run with label files never loads it)."""

    def __init__(self, registry: ModelRegistry | None = None, model_id: str = SEGMENTATION_MODEL):
        self.registry = registry or ModelRegistry()
        self.model_id = model_id
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = self.registry.load(self.model_id)
        return self._model

    def segment(self, rg, path, vertebra_params):
        """(LumbarMasks with one mask per vertebral body, model dict); `vertebra_params`: the
        profile's "vertebrae" section (how bodies are split)."""
        if rg.view is None:
            raise InputError(path, "the view is unknown (no View Position or description in the header) and no "
                                   "label file gives it: the segmentation needs AP, LAT or OBL")
        seg = self.model.segment(rg.pixels, rg.view)
        # the rules' splitting of body mask and separation band, not the model's instances: it also
        # cuts bodies that the network merged (a missed disc space)
        masks = with_split_bodies(masks_from_channels(rg.view, seg.masks), vertebra_params)
        m = self._model.manifest
        return masks, {"id": m["id"], "version": m["version"], "sha256": m["sha256"]}


class LumbarPipeline:
    """Holds what is shared by every image of a run (profile, where the masks are, models)."""

    def __init__(self, profile: dict, masks=None, spacing_mm=None, segmenter: Segmenter | None = None):
        self.profile = profile
        self.masks = masks
        self.spacing_mm = spacing_mm
        self.segmenter = segmenter or Segmenter()

    def masks_for(self, path: Path, rg):
        """(masks, source, models): a label file (a reviewer's correction) wins over the model."""
        if rg.view is not None and rg.view not in VIEWS:
            raise InputError(path, f"wrong view for lumbar QC: {rg.view}")
        label_file = find_label_file(path, self.masks)
        if label_file is not None:
            return read_masks(label_file, rg.view, (rg.rows, rg.cols)), "file", []
        masks, model = self.segmenter.segment(rg, path, self.profile["vertebrae"])
        return masks, "model", [model]

    def assess(self, path: Path) -> Outcome:
        rg = read_radiograph(path, self.spacing_mm)
        masks, mask_source, models = self.masks_for(path, rg)
        result = evaluate_lumbar(masks, rg.pixels, self.profile, rg.spacing)
        report = result.to_dict()
        report.update(source=source_report(rg, path, "DICOM header" if rg.view else "label file"),
                      masks={"source": mask_source, "structures": sorted(masks.structures)}, models=models,
                      software={"name": "radiographqc", "version": __version__},
                      created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        return Outcome(report, draw_lumbar(rg.pixels, masks, result, rg.window))

"""LumbarQC: quality rules for AP, lateral and oblique lumbar spine radiographs on a segmentation."""
from .labels import LEVELS, STRUCTURES, VIEW_STRUCTURES, VIEWS, normalise_view
from .masks import LumbarMasks, masks_from_channels, masks_from_label_image
from .rules import (LumbarResult, RuleResult, evaluate_lumbar, load_lumbar_profile,
                    profile_problems)
from .vertebrae import Identification, Vertebra

__all__ = ["LEVELS", "STRUCTURES", "VIEW_STRUCTURES", "VIEWS", "normalise_view", "LumbarMasks",
           "masks_from_channels", "masks_from_label_image", "LumbarResult", "RuleResult",
           "evaluate_lumbar", "load_lumbar_profile", "profile_problems", "Identification",
           "Vertebra"]

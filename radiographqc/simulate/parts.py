"""Building blocks shared by the anatomy models: materials, bones with a cortex, long bones."""
from __future__ import annotations

import numpy as np

from .scene import Structure
from .shapes import Cylinder, Ellipsoid, frame_along

# Linear attenuation at the 60 kVp reference, 1/mm. Bone values are the excess over the soft
# tissue they displace (soft tissue is rendered as one union around them).
MU_SOFT = 0.021
MU_CORTEX = 0.085
MU_TRABECULAR = 0.017
MU_METAL = 0.9


def bone(name, shapes, cortex_mm, label=None, mu=MU_CORTEX, mu_inner=MU_TRABECULAR) -> Structure:
    """A bone: union of `shapes` with a trabecular core `cortex_mm` inside its surface."""
    return Structure(name, list(shapes), [s.shrunk(cortex_mm) for s in shapes], mu, mu_inner,
                     "bone", label)


def long_bone_shapes(base, tip, shaft_r, base_r, head_r, roll_deg=0.0):
    """Shaft cylinder from `base` to `tip` with an ellipsoidal base and head (tubular bones).

    shaft_r = (rx, rz); base_r, head_r = (rx, ry, rz) with y along the bone.
    """
    base, tip = np.asarray(base, float), np.asarray(tip, float)
    axis = tip - base
    frame = frame_along(axis, roll_deg)
    half = np.linalg.norm(axis) / 2
    shaft = Cylinder((base + tip) / 2, (shaft_r[0], half, shaft_r[1]), frame)
    return [Ellipsoid(base, base_r, frame), shaft, Ellipsoid(tip, head_r, frame)]


def capsule(a, b, rx, rz, roll_deg=0.0):
    """Soft-tissue capsule between points a and b (cylinder + rounded ends)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    frame = frame_along(b - a, roll_deg)
    half = np.linalg.norm(b - a) / 2
    cap = (rx, min(rx, rz), rz)
    return [Ellipsoid(a, cap, frame), Cylinder((a + b) / 2, (rx, half, rz), frame),
            Ellipsoid(b, cap, frame)]

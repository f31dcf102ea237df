"""Convex 3D primitives with closed-form ray intervals.

Every shape answers `interval(src, dx, dy, dz)`: for rays X(t) = src + t * (dx, dy, dz), with
dx a row vector (columns), dy a column vector (rows) and dz a scalar, it returns the parameters
(t0, t1) where the ray is inside the shape (t0 == t1 == 0 when it misses), broadcast to the
pixel grid. No voxels: the cost is a few numpy operations per pixel and shape.
"""
from __future__ import annotations

import numpy as np


def rot_x(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def frame_along(direction, roll_deg: float = 0.0) -> np.ndarray:
    """Orthonormal frame whose local y axis points along `direction` (bones are built along y)."""
    y = np.asarray(direction, float)
    y = y / np.linalg.norm(y)
    helper = np.array([0.0, 0.0, 1.0]) if abs(y[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(y, helper)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    frame = np.column_stack([x, y, z])
    return frame @ rot_y(roll_deg)


class Shape:
    """A convex solid placed by centre and orientation (columns of `rot` = local axes in world)."""

    def __init__(self, center, radii, rot=None):
        self.center = np.asarray(center, float)
        self.radii = np.asarray(radii, float)
        self.rot = np.eye(3) if rot is None else np.asarray(rot, float)

    def transformed(self, matrix, offset=(0.0, 0.0, 0.0)):
        """Copy moved by x -> matrix @ x + offset (matrix orthogonal; a mirror is allowed)."""
        out = self.__class__.__new__(self.__class__)
        out.__dict__.update(self.__dict__)
        out.center = matrix @ self.center + np.asarray(offset, float)
        out.rot = matrix @ self.rot
        return out

    def shrunk(self, margin: float):
        """The same shape with every semi-axis reduced by `margin` (a cortex of that thickness)."""
        out = self.__class__.__new__(self.__class__)
        out.__dict__.update(self.__dict__)
        out.radii = np.maximum(self.radii - margin, 0.2 * self.radii)
        return out

    def _local(self, src, dx, dy, dz):
        """Ray origin (3,) and direction components (grids) in the shape's unit frame."""
        o = (self.rot.T @ (src - self.center)) / self.radii
        r = self.rot
        d = [(r[0, k] * dx + r[1, k] * dy + r[2, k] * dz) / self.radii[k] for k in range(3)]
        return o, d

    def corners(self) -> np.ndarray:
        """The 8 corners of the oriented bounding box, world coordinates (8, 3)."""
        signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
        return self.center + (signs * self.radii) @ self.rot.T

def _quadratic_interval(a, b, c):
    """Roots of a t^2 + b t + c = 0 as an interval; empty (0, 0) where there is none."""
    disc = b * b - 4 * a * c
    hit = (disc > 0) & (a > 0)
    root = np.sqrt(np.where(hit, disc, 0.0))
    a2 = np.where(hit, 2 * a, 1.0)
    t0 = np.where(hit, (-b - root) / a2, 0.0)
    t1 = np.where(hit, (-b + root) / a2, 0.0)
    return t0, t1


class Ellipsoid(Shape):
    """Ellipsoid with semi-axes `radii` along the local x, y, z axes."""

    def interval(self, src, dx, dy, dz):
        o, d = self._local(src, dx, dy, dz)
        a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
        b = 2 * (d[0] * o[0] + d[1] * o[1] + d[2] * o[2])
        return _quadratic_interval(a, b, o @ o - 1.0)

    def contains(self, points):
        q = ((np.asarray(points, float) - self.center) @ self.rot) / self.radii
        return np.einsum("ij,ij->i", q, q) <= 1.0


class Cylinder(Shape):
    """Elliptic cylinder along the local y axis: radii (rx, half-length, rz), flat end caps."""

    def interval(self, src, dx, dy, dz):
        o, d = self._local(src, dx, dy, dz)
        a = d[0] * d[0] + d[2] * d[2]
        b = 2 * (d[0] * o[0] + d[2] * o[2])
        c = o[0] ** 2 + o[2] ** 2 - 1.0
        t0, t1 = _quadratic_interval(a, b, c)
        parallel = a <= 1e-12  # a ray along the axis: inside the tube everywhere or nowhere
        if np.any(parallel) and c < 0:
            t0 = np.where(parallel, -np.inf, t0)
            t1 = np.where(parallel, np.inf, t1)
        safe = np.where(np.abs(d[1]) > 1e-12, d[1], 1e-12)
        s0, s1 = (-1.0 - o[1]) / safe, (1.0 - o[1]) / safe
        lo, hi = np.minimum(s0, s1), np.maximum(s0, s1)
        t0, t1 = np.maximum(t0, lo), np.minimum(t1, hi)
        empty = t1 <= t0
        return np.where(empty, 0.0, t0), np.where(empty, 0.0, t1)

    def contains(self, points):
        q = ((np.asarray(points, float) - self.center) @ self.rot) / self.radii
        return (q[:, 0] ** 2 + q[:, 2] ** 2 <= 1.0) & (np.abs(q[:, 1]) <= 1.0)


def half_extent_along(shape: Shape, axis) -> float:
    """Exact half-width of a shape along a unit world vector (ellipsoid or capped cylinder)."""
    v = shape.rot.T @ np.asarray(axis, float) * shape.radii
    if isinstance(shape, Cylinder):
        return float(np.hypot(v[0], v[2]) + abs(v[1]))
    return float(np.linalg.norm(v))

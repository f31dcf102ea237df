"""Plane geometry on image points, in physical units when the pixel spacing is known.

Points are (x, y) = (column, row) with (0, 0) at the centre of the top-left pixel, y down. The image
covers x from -0.5 to cols - 0.5 and y from -0.5 to rows - 0.5 (each pixel is one unit wide), so an
image of `cols` pixels is exactly cols * col_mm wide.

Spacing may be anisotropic (row_mm != col_mm): points are converted to mm first and every distance
and angle is computed there. Without a spacing, angles are computed in pixel space, which treats the
pixels as square; distances in cm are not available then (callers must not guess a spacing).
"""
from __future__ import annotations

import math

from .image import Spacing

Point = tuple[float, float]


def to_mm(p: Point, spacing: Spacing | None) -> Point:
    """The point in mm from the centre of the top-left pixel; unchanged (pixel units) without spacing."""
    if spacing is None:
        return (float(p[0]), float(p[1]))
    return (p[0] * spacing.col_mm, p[1] * spacing.row_mm)


def delta_mm(a: Point, b: Point, spacing: Spacing | None) -> Point:
    """The vector a->b in mm (pixel units without spacing). Differencing in pixels before scaling keeps
    results exactly translation invariant for points on the pixel grid."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    return (dx, dy) if spacing is None else (dx * spacing.col_mm, dy * spacing.row_mm)


def midpoint(*points: Point) -> Point:
    """Mean of the points (the midpoint for two)."""
    n = len(points)
    return (sum(p[0] for p in points) / n, sum(p[1] for p in points) / n)


def image_size_cm(rows: int, cols: int, spacing: Spacing) -> tuple[float, float]:
    """(W, H) of the image in cm."""
    return (cols * spacing.col_mm / 10.0, rows * spacing.row_mm / 10.0)


def edge_distances_cm(p: Point, rows: int, cols: int, spacing: Spacing) -> dict[str, float]:
    """Distances of a point to the four image edges in cm (negative when the point lies outside)."""
    x, y = p
    return {
        "top": (y + 0.5) * spacing.row_mm / 10.0,
        "bottom": (rows - 0.5 - y) * spacing.row_mm / 10.0,
        "left": (x + 0.5) * spacing.col_mm / 10.0,
        "right": (cols - 0.5 - x) * spacing.col_mm / 10.0,
    }


def distance_cm(a: Point, b: Point, spacing: Spacing) -> float:
    """Euclidean distance between two points in cm."""
    return math.hypot(*delta_mm(a, b, spacing)) / 10.0


def angle_to_vertical_deg(a: Point, b: Point, spacing: Spacing | None = None) -> float:
    """Angle between line a-b and the image vertical axis, folded to 0..90 (line direction does not matter).

    Raises ValueError when the points coincide (the line has no direction).
    """
    dx, dy = (abs(v) for v in delta_mm(a, b, spacing))
    if dx == 0 and dy == 0:
        raise ValueError("the two points coincide, so the line has no direction")
    return math.degrees(math.atan2(dx, dy))


def vertex_angle_deg(a: Point, vertex: Point, b: Point, spacing: Spacing | None = None) -> float:
    """Angle a-vertex-b in degrees, 0..180.

    Raises ValueError when a or b coincides with the vertex (the angle is undefined).
    """
    (ux, uy), (wx, wy) = delta_mm(vertex, a, spacing), delta_mm(vertex, b, spacing)
    if (ux == 0 and uy == 0) or (wx == 0 and wy == 0):
        raise ValueError("an arm of the angle has zero length (a point coincides with the vertex)")
    # atan2 of cross and dot products is accurate near 0 and 180 degrees, unlike acos.
    return math.degrees(math.atan2(abs(ux * wy - uy * wx), ux * wx + uy * wy))


def turn_to_horizontal(a: Point, b: Point, spacing: Spacing | None = None) -> str:
    """Which way (as seen on the image) to turn line a-b to make it horizontal: "clockwise",
    "anticlockwise", or "" when it is horizontal or vertical (then either way). With y pointing down,
    a clockwise turn moves the right-hand end of a line down."""
    left, right = sorted((to_mm(a, spacing), to_mm(b, spacing)))
    rise = right[1] - left[1]
    if rise == 0 or right[0] == left[0]:
        return ""
    return "clockwise" if rise < 0 else "anticlockwise"


def turn_to_vertical(a: Point, b: Point, spacing: Spacing | None = None) -> str:
    """Which way (as seen on the image) to turn line a-b to make it vertical: "clockwise",
    "anticlockwise", or "" when it is vertical or horizontal. A clockwise turn moves the lower end left."""
    upper, lower = sorted((to_mm(a, spacing), to_mm(b, spacing)), key=lambda p: p[1])
    lean = lower[0] - upper[0]
    if lean == 0 or lower[1] == upper[1]:
        return ""
    return "clockwise" if lean > 0 else "anticlockwise"

"""Plane and solid geometry: areas, volumes, distances, polygons and lines."""

from __future__ import annotations

import math
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "geometry"


class Point(TypedDict):
    x: float
    y: float


def _r(v: float, d: int = 6) -> float:
    return round(v, d) + 0.0


@api(category=CAT, examples=[({"radius": 1}, {"area": 3.141593, "circumference": 6.283185, "diameter": 2.0}),
                             ({"radius": 2.5}, {"area": 19.634954, "circumference": 15.707963, "diameter": 5.0})],
     raises=[{"radius": -1}])
def circle_properties(radius: float) -> dict[str, float]:
    """Compute the area, circumference and diameter of a circle from its radius (6 decimals).

    Args:
        radius: The radius of the circle; must be non-negative.
    """
    if radius < 0:
        raise ValueError("radius must be non-negative")
    return {"area": _r(math.pi * radius ** 2), "circumference": _r(2 * math.pi * radius), "diameter": _r(2 * radius)}


@api(category=CAT, examples=[({"vertices": [{"x": 0, "y": 0}, {"x": 4, "y": 0}, {"x": 4, "y": 3}, {"x": 0, "y": 3}]}, 12.0),
                             ({"vertices": [{"x": 0, "y": 0}, {"x": 5, "y": 0}, {"x": 2.5, "y": 4}]}, 10.0)],
     raises=[{"vertices": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]}])
def polygon_area(vertices: list[Point]) -> float:
    """Compute the area of a simple polygon from its vertices in order, using the shoelace formula.

    Args:
        vertices: The polygon's corners in order (clockwise or counter-clockwise); at least three.
    """
    if len(vertices) < 3:
        raise ValueError("a polygon needs at least three vertices")
    s = 0.0
    for i, p in enumerate(vertices):
        q = vertices[(i + 1) % len(vertices)]
        s += p["x"] * q["y"] - q["x"] * p["y"]
    return _r(abs(s) / 2)


@api(category=CAT, examples=[({"a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4}}, 5.0),
                             ({"a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4}, "metric": "manhattan"}, 7.0),
                             ({"a": {"x": -1, "y": 2}, "b": {"x": 3, "y": 4}, "metric": "chebyshev"}, 4.0)])
def distance_between_points(a: Point, b: Point, metric: Literal["euclidean", "manhattan", "chebyshev"] = "euclidean") -> float:
    """Compute the distance between two points in the plane under the Euclidean, Manhattan or Chebyshev metric.

    Args:
        a: The first point.
        b: The second point.
        metric: Which distance to compute.
    """
    dx, dy = abs(a["x"] - b["x"]), abs(a["y"] - b["y"])
    if metric == "manhattan":
        return _r(dx + dy)
    if metric == "chebyshev":
        return _r(max(dx, dy))
    return _r(math.hypot(dx, dy))


@api(category=CAT, examples=[({"a": 3, "b": 4, "c": 5}, {"area": 6.0, "perimeter": 12.0, "kind": "right"}),
                             ({"a": 2, "b": 2, "c": 2}, {"area": 1.732051, "perimeter": 6.0, "kind": "equilateral"}),
                             ({"a": 5, "b": 5, "c": 8}, {"area": 12.0, "perimeter": 18.0, "kind": "isosceles"})],
     raises=[{"a": 1, "b": 2, "c": 10}])
def triangle_from_sides(a: float, b: float, c: float) -> dict[str, float | str]:
    """Compute a triangle's area (Heron's formula) and perimeter from its three sides and classify it.

    Args:
        a: Length of the first side.
        b: Length of the second side.
        c: Length of the third side.
    """
    x, y, z = sorted([a, b, c])
    if x <= 0 or x + y <= z:
        raise ValueError("the sides do not form a triangle")
    s = (a + b + c) / 2
    area = math.sqrt(s * (s - a) * (s - b) * (s - c))
    if a == b == c:
        kind = "equilateral"
    elif math.isclose(x * x + y * y, z * z):
        kind = "right"
    elif a == b or b == c or a == c:
        kind = "isosceles"
    else:
        kind = "scalene"
    return {"area": _r(area), "perimeter": _r(a + b + c), "kind": kind}


@api(category=CAT, examples=[({"shape": "sphere", "radius": 3}, {"volume": 113.097336, "surface_area": 113.097336}),
                             ({"shape": "cylinder", "radius": 2, "height": 5}, {"volume": 62.831853, "surface_area": 87.964594}),
                             ({"shape": "cube", "side": 3}, {"volume": 27.0, "surface_area": 54.0})],
     raises=[{"shape": "cube"}, {"shape": "cone", "radius": 2}])
def solid_volume_and_surface(shape: Literal["sphere", "cube", "cylinder", "cone"], radius: float | None = None,
                             side: float | None = None, height: float | None = None) -> dict[str, float]:
    """Compute the volume and total surface area of a sphere, cube, cylinder or cone.

    Args:
        shape: The solid: sphere (needs radius), cube (needs side), cylinder or cone (need radius and height).
        radius: The radius, for spheres, cylinders and cones.
        side: The edge length, for cubes.
        height: The height, for cylinders and cones.
    """
    need = {"sphere": ("radius",), "cube": ("side",), "cylinder": ("radius", "height"), "cone": ("radius", "height")}[shape]
    dims = {"radius": radius, "side": side, "height": height}
    for n in need:
        if dims[n] is None or dims[n] < 0:
            raise ValueError(f"{shape} requires a non-negative {n}")
    if shape == "sphere":
        v, s = 4 / 3 * math.pi * radius ** 3, 4 * math.pi * radius ** 2
    elif shape == "cube":
        v, s = side ** 3, 6 * side ** 2
    elif shape == "cylinder":
        v, s = math.pi * radius ** 2 * height, 2 * math.pi * radius * (radius + height)
    else:
        v = math.pi * radius ** 2 * height / 3
        s = math.pi * radius * (radius + math.hypot(radius, height))
    return {"volume": _r(v), "surface_area": _r(s)}


@api(category=CAT, examples=[({"sides": 6, "side_length": 2},
                              {"interior_angle": 120.0, "exterior_angle": 60.0, "perimeter": 12.0, "area": 10.392305}),
                             ({"sides": 4, "side_length": 5}, {"interior_angle": 90.0, "exterior_angle": 90.0, "perimeter": 20.0, "area": 25.0})],
     raises=[{"sides": 2, "side_length": 3}])
def regular_polygon_properties(sides: int, side_length: float = 1.0) -> dict[str, float]:
    """Compute the interior and exterior angles (degrees), perimeter and area of a regular polygon.

    Args:
        sides: The number of sides; at least 3.
        side_length: The length of each side.
    """
    if sides < 3:
        raise ValueError("a polygon has at least 3 sides")
    if side_length < 0:
        raise ValueError("side_length must be non-negative")
    area = sides * side_length ** 2 / (4 * math.tan(math.pi / sides))
    return {"interior_angle": _r((sides - 2) * 180 / sides), "exterior_angle": _r(360 / sides),
            "perimeter": _r(sides * side_length), "area": _r(area)}


@api(category=CAT, examples=[({"point": {"x": 2, "y": 2}, "polygon": [{"x": 0, "y": 0}, {"x": 4, "y": 0}, {"x": 4, "y": 4}, {"x": 0, "y": 4}]}, True),
                             ({"point": {"x": 5, "y": 1}, "polygon": [{"x": 0, "y": 0}, {"x": 4, "y": 0}, {"x": 4, "y": 4}, {"x": 0, "y": 4}]}, False)],
     raises=[{"point": {"x": 0, "y": 0}, "polygon": [{"x": 1, "y": 1}]}])
def point_in_polygon(point: Point, polygon: list[Point]) -> bool:
    """Test whether a point lies inside a simple polygon using ray casting (points on the boundary may go either way).

    Args:
        point: The point to test.
        polygon: The polygon's vertices in order; at least three.
    """
    if len(polygon) < 3:
        raise ValueError("a polygon needs at least three vertices")
    inside = False
    x, y = point["x"], point["y"]
    for i, p in enumerate(polygon):
        q = polygon[i - 1]
        if (p["y"] > y) != (q["y"] > y):
            cross = (q["x"] - p["x"]) * (y - p["y"]) / (q["y"] - p["y"]) + p["x"]
            if x < cross:
                inside = not inside
    return inside


@api(category=CAT, examples=[({"a": {"x": 0, "y": 1}, "b": {"x": 2, "y": 5}}, {"slope": 2.0, "intercept": 1.0, "angle_degrees": 63.434949}),
                             ({"a": {"x": -1, "y": 3}, "b": {"x": 3, "y": 3}}, {"slope": 0.0, "intercept": 3.0, "angle_degrees": 0.0})],
     raises=[{"a": {"x": 2, "y": 0}, "b": {"x": 2, "y": 5}}])
def line_through_points(a: Point, b: Point) -> dict[str, float]:
    """Find the slope, y-intercept and inclination angle of the straight line through two points.

    Args:
        a: The first point on the line.
        b: The second point on the line; must have a different x coordinate (vertical lines are rejected).
    """
    if a["x"] == b["x"]:
        raise ValueError("vertical line: slope is undefined")
    slope = (b["y"] - a["y"]) / (b["x"] - a["x"])
    return {"slope": _r(slope), "intercept": _r(a["y"] - slope * a["x"]), "angle_degrees": _r(math.degrees(math.atan(slope)))}


@api(category=CAT, examples=[({"vertices": [{"x": 0, "y": 0}, {"x": 4, "y": 0}, {"x": 4, "y": 4}, {"x": 0, "y": 4}]}, {"x": 2.0, "y": 2.0}),
                             ({"vertices": [{"x": 0, "y": 0}, {"x": 6, "y": 0}, {"x": 0, "y": 3}]}, {"x": 2.0, "y": 1.0})],
     raises=[{"vertices": [{"x": 0, "y": 0}, {"x": 1, "y": 1}, {"x": 2, "y": 2}]}])
def polygon_centroid(vertices: list[Point]) -> Point:
    """Compute the centroid (centre of mass) of a simple, non-degenerate polygon.

    Args:
        vertices: The polygon's corners in order; at least three and not all on one line.
    """
    if len(vertices) < 3:
        raise ValueError("a polygon needs at least three vertices")
    a = cx = cy = 0.0
    for i, p in enumerate(vertices):
        q = vertices[(i + 1) % len(vertices)]
        cross = p["x"] * q["y"] - q["x"] * p["y"]
        a += cross
        cx += (p["x"] + q["x"]) * cross
        cy += (p["y"] + q["y"]) * cross
    if abs(a) < 1e-12:
        raise ValueError("polygon has zero area")
    a /= 2
    return {"x": _r(cx / (6 * a)), "y": _r(cy / (6 * a))}

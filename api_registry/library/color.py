"""Colour conversions and design helpers: hex/RGB/HSL, WCAG contrast, blending, palettes and CSS colour names."""

from __future__ import annotations

import colorsys
import re
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "color"


class RGB(TypedDict):
    red: int
    green: int
    blue: int


class HSL(TypedDict):
    hue: float
    saturation: float
    lightness: float


_CSS = {"black": "#000000", "white": "#FFFFFF", "red": "#FF0000", "lime": "#00FF00", "green": "#008000", "blue": "#0000FF",
        "yellow": "#FFFF00", "cyan": "#00FFFF", "magenta": "#FF00FF", "silver": "#C0C0C0", "gray": "#808080", "grey": "#808080",
        "maroon": "#800000", "olive": "#808000", "purple": "#800080", "teal": "#008080", "navy": "#000080", "orange": "#FFA500",
        "pink": "#FFC0CB", "brown": "#A52A2A", "gold": "#FFD700", "indigo": "#4B0082", "violet": "#EE82EE", "coral": "#FF7F50",
        "salmon": "#FA8072", "turquoise": "#40E0D0", "tomato": "#FF6347", "crimson": "#DC143C", "khaki": "#F0E68C",
        "orchid": "#DA70D6", "chocolate": "#D2691E", "skyblue": "#87CEEB", "rebeccapurple": "#663399", "tan": "#D2B48C"}


def _parse_hex(color: str) -> tuple[int, int, int]:
    s = color.strip().lstrip("#")
    if re.fullmatch(r"[0-9A-Fa-f]{3}", s):
        s = "".join(c * 2 for c in s)
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", s):
        raise ValueError(f"invalid hex colour {color!r}; use #RRGGBB or #RGB")
    return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)


def _hex(r: float, g: float, b: float) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(max(0, min(255, int(round(v)))) for v in (r, g, b)))


@api(category=CAT, examples=[({"hex_color": "#FF5733"}, {"red": 255, "green": 87, "blue": 51}), ({"hex_color": "0f0"}, {"red": 0, "green": 255, "blue": 0})],
     raises=[{"hex_color": "#GG0000"}, {"hex_color": "#12345"}])
def hex_to_rgb(hex_color: str) -> RGB:
    """Convert a hex colour code (#RRGGBB or shorthand #RGB, # optional) to red, green and blue components 0-255.

    Args:
        hex_color: The colour code, e.g. #FF5733 or #0F0.
    """
    r, g, b = _parse_hex(hex_color)
    return {"red": r, "green": g, "blue": b}


@api(category=CAT, examples=[({"red": 255, "green": 87, "blue": 51}, "#FF5733"), ({"red": 0, "green": 128, "blue": 128, "lowercase": True}, "#008080")],
     raises=[{"red": 256, "green": 0, "blue": 0}, {"red": -1, "green": 0, "blue": 0}])
def rgb_to_hex(red: int, green: int, blue: int, lowercase: bool = False) -> str:
    """Convert red, green and blue components (0-255) to a #RRGGBB hex colour code.

    Args:
        red: The red component, 0 to 255.
        green: The green component, 0 to 255.
        blue: The blue component, 0 to 255.
        lowercase: If true, use lowercase hex digits.
    """
    if any(not 0 <= v <= 255 for v in (red, green, blue)):
        raise ValueError("components must be between 0 and 255")
    out = _hex(red, green, blue)
    return out.lower() if lowercase else out


@api(category=CAT, examples=[({"red": 255, "green": 87, "blue": 51}, {"hue": 10.6, "saturation": 100.0, "lightness": 60.0}),
                             ({"red": 128, "green": 128, "blue": 128}, {"hue": 0.0, "saturation": 0.0, "lightness": 50.2})],
     raises=[{"red": 300, "green": 0, "blue": 0}])
def rgb_to_hsl(red: int, green: int, blue: int) -> HSL:
    """Convert an RGB colour (0-255 components) to hue (degrees), saturation and lightness (percent), rounded to 1 decimal.

    Args:
        red: The red component, 0 to 255.
        green: The green component, 0 to 255.
        blue: The blue component, 0 to 255.
    """
    if any(not 0 <= v <= 255 for v in (red, green, blue)):
        raise ValueError("components must be between 0 and 255")
    h, l, s = colorsys.rgb_to_hls(red / 255, green / 255, blue / 255)
    return {"hue": round(h * 360, 1) % 360, "saturation": round(s * 100, 1), "lightness": round(l * 100, 1)}


@api(category=CAT, examples=[({"hue": 10.6, "saturation": 100, "lightness": 60}, {"red": 255, "green": 87, "blue": 51}),
                             ({"hue": 210, "saturation": 50, "lightness": 40}, {"red": 51, "green": 102, "blue": 153})],
     raises=[{"hue": 120, "saturation": 150, "lightness": 50}])
def hsl_to_rgb(hue: float, saturation: float, lightness: float) -> RGB:
    """Convert a colour given as hue (degrees), saturation and lightness (percent) to RGB components 0-255.

    Args:
        hue: The hue angle in degrees; any value, taken modulo 360.
        saturation: The saturation in percent, 0 to 100.
        lightness: The lightness in percent, 0 to 100.
    """
    if not 0 <= saturation <= 100 or not 0 <= lightness <= 100:
        raise ValueError("saturation and lightness must be between 0 and 100")
    r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lightness / 100, saturation / 100)
    return {"red": int(round(r * 255)), "green": int(round(g * 255)), "blue": int(round(b * 255))}


def _luminance(rgb: tuple[int, int, int]) -> float:
    def chan(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (chan(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@api(category=CAT, examples=[({"foreground": "#000000", "background": "#FFFFFF"}, {"ratio": 21.0, "aa_normal": True, "aa_large": True, "aaa_normal": True}),
                             ({"foreground": "#777777", "background": "#FFFFFF"}, {"ratio": 4.48, "aa_normal": False, "aa_large": True, "aaa_normal": False})],
     raises=[{"foreground": "#000", "background": "white"}])
def wcag_contrast_ratio(foreground: str, background: str) -> dict[str, float | bool]:
    """Compute the WCAG 2.x contrast ratio between text and background colours and whether it passes AA and AAA thresholds.

    Args:
        foreground: The text colour as a hex code.
        background: The background colour as a hex code.
    """
    l1, l2 = _luminance(_parse_hex(foreground)), _luminance(_parse_hex(background))
    ratio = (max(l1, l2) + 0.05) / (min(l1, l2) + 0.05)
    return {"ratio": round(ratio, 2), "aa_normal": ratio >= 4.5, "aa_large": ratio >= 3, "aaa_normal": ratio >= 7}


@api(category=CAT, examples=[({"color_a": "#FF0000", "color_b": "#0000FF"}, "#800080"), ({"color_a": "#FFFFFF", "color_b": "#000000", "ratio": 0.25}, "#BFBFBF")],
     raises=[{"color_a": "#FF0000", "color_b": "#0000FF", "ratio": 1.5}])
def blend_colors(color_a: str, color_b: str, ratio: float = 0.5) -> str:
    """Linearly mix two hex colours in RGB space; ratio 0 gives color_a, 1 gives color_b.

    Args:
        color_a: The first colour as a hex code.
        color_b: The second colour as a hex code.
        ratio: The share of color_b in the mix, 0 to 1.
    """
    if not 0 <= ratio <= 1:
        raise ValueError("ratio must be between 0 and 1")
    a, b = _parse_hex(color_a), _parse_hex(color_b)
    return _hex(*(x + (y - x) * ratio for x, y in zip(a, b)))


@api(category=CAT, examples=[({"base_color": "#FF0000", "scheme": "complementary"}, ["#FF0000", "#00FFFF"]),
                             ({"base_color": "#FF0000", "scheme": "triadic"}, ["#FF0000", "#00FF00", "#0000FF"]),
                             ({"base_color": "#3366CC", "scheme": "analogous"}, ["#3366CC", "#33B2CC", "#4D33CC"])],
     raises=[{"base_color": "blue", "scheme": "triadic"}])
def color_harmony_palette(base_color: str, scheme: Literal["complementary", "triadic", "analogous", "split_complementary", "tetradic"]) -> list[str]:
    """Generate a colour-wheel harmony palette from a base colour by rotating its hue (the base colour comes first).

    Args:
        base_color: The starting colour as a hex code.
        scheme: The harmony: complementary (180), triadic (120/240), analogous (+/-30), split_complementary (150/210) or tetradic (90/180/270).
    """
    r, g, b = _parse_hex(base_color)
    h, l, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    offsets = {"complementary": [0, 180], "triadic": [0, 120, 240], "analogous": [0, -30, 30],
               "split_complementary": [0, 150, 210], "tetradic": [0, 90, 180, 270]}[scheme]
    out = []
    for off in offsets:
        rr, gg, bb = colorsys.hls_to_rgb(((h * 360 + off) % 360) / 360, l, s)
        out.append(_hex(rr * 255, gg * 255, bb * 255))
    return out


@api(category=CAT, examples=[({"name": "rebeccapurple"}, "#663399"), ({"name": "Sky Blue"}, "#87CEEB"), ({"name": "tomato"}, "#FF6347")],
     raises=[{"name": "blurple"}])
def css_color_name_to_hex(name: str) -> str:
    """Translate a common CSS colour keyword (e.g. tomato, navy, rebeccapurple) to its hex code; spaces and case are ignored.

    Args:
        name: The CSS colour name.
    """
    key = re.sub(r"[\s_-]", "", name).lower()
    if key not in _CSS:
        raise KeyError(f"unknown colour name {name!r}")
    return _CSS[key]

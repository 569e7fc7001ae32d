"""A small bar chart of an indicator's history as a PNG, with nothing but zlib.

Mail clients show an inline `cid:` PNG but not SVG or scripts, and a plotting library would be a
heavy dependency for a 300x96 picture. Colours are mid-tones on a transparent background, so the
chart reads on a light and on a dark (or inverted) mail theme alike.

What it shows: a value axis with its top value and its floor, the first and last periods under
the bars, the latest value over its (orange) bar, and the seed baseline as a dashed line when
there is one. Bars stand where their periods fall: a missing month leaves a gap, so a year with
three values does not look like three consecutive months. Text is drawn with a 3x5 pixel font
(digits, capitals and a few signs), scaled up.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT, SCALE = 300, 96, 2  # CSS pixels; drawn at 2x for high-density phone screens
BAR = (74, 143, 217, 255)  # mid blue
LATEST = (217, 115, 13, 255)  # orange: the value this digest is about
REFERENCE = (140, 140, 140, 255)  # grey: the seed baseline
AXIS = (140, 140, 140, 200)
TEXT = (128, 128, 128, 255)
FONT_PX = 3  # device pixels per font pixel: glyphs 9x15, about a 7.5 CSS-pixel cap height
MAX_SLOTS = 60  # periods spanned; beyond this the bars are spaced evenly

# 3x5 glyphs, rows top to bottom, "#" for ink
_GLYPHS = {
    "0": "###|#.#|#.#|#.#|###", "1": ".#.|##.|.#.|.#.|###", "2": "##.|..#|.#.|#..|###",
    "3": "##.|..#|.#.|..#|##.", "4": "#.#|#.#|###|..#|..#", "5": "###|#..|##.|..#|##.",
    "6": ".##|#..|###|#.#|###", "7": "###|..#|.#.|.#.|.#.", "8": "###|#.#|###|#.#|###",
    "9": "###|#.#|###|..#|##.", "A": ".#.|#.#|###|#.#|#.#", "B": "##.|#.#|##.|#.#|##.",
    "C": ".##|#..|#..|#..|.##", "D": "##.|#.#|#.#|#.#|##.", "E": "###|#..|##.|#..|###",
    "F": "###|#..|##.|#..|#..", "G": ".##|#..|#.#|#.#|.##", "H": "#.#|#.#|###|#.#|#.#",
    "I": "###|.#.|.#.|.#.|###", "J": "..#|..#|..#|#.#|.#.", "K": "#.#|#.#|##.|#.#|#.#",
    "L": "#..|#..|#..|#..|###", "M": "#.#|###|###|#.#|#.#", "N": "##.|#.#|#.#|#.#|#.#",
    "O": ".#.|#.#|#.#|#.#|.#.", "P": "##.|#.#|##.|#..|#..", "Q": ".#.|#.#|#.#|##.|.##",
    "R": "##.|#.#|##.|#.#|#.#", "S": ".##|#..|.#.|..#|##.", "T": "###|.#.|.#.|.#.|.#.",
    "U": "#.#|#.#|#.#|#.#|###", "V": "#.#|#.#|#.#|#.#|.#.", "W": "#.#|#.#|###|###|#.#",
    "X": "#.#|#.#|.#.|#.#|#.#", "Y": "#.#|#.#|.#.|.#.|.#.", "Z": "###|..#|.#.|#..|###",
    "-": "...|...|###|...|...", ".": "...|...|...|...|.#.", "%": "#.#|..#|.#.|#..|#.#",
    "$": ".##|##.|.#.|.##|##.", ":": "...|.#.|...|.#.|...", "#": "#.#|###|#.#|###|#.#",
    "/": "..#|..#|.#.|#..|#..", " ": "...|...|...|...|...",
}
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


def encode_png(width: int, height: int, rgba: bytes | bytearray) -> bytes:
    """A truecolour-with-alpha PNG of `rgba` (row-major, 4 bytes a pixel)."""
    stride = width * 4
    raw = b"".join(b"\x00" + bytes(rgba[y * stride:(y + 1) * stride]) for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(width * height * 4)  # transparent

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int, int]) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        row = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 4
            self.pixels[start:start + len(row)] = row

    def text(self, x: int, y: int, text: str, colour: tuple[int, int, int, int] = TEXT) -> None:
        """`text` (upper-cased) with its top-left corner at (x, y)."""
        for i, char in enumerate(text.upper()):
            glyph = _GLYPHS.get(char, _GLYPHS[" "])
            for row, bits in enumerate(glyph.split("|")):
                for col, bit in enumerate(bits):
                    if bit == "#":
                        px, py = x + (i * 4 + col) * FONT_PX, y + row * FONT_PX
                        self.rect(px, py, px + FONT_PX, py + FONT_PX, colour)


def text_width(text: str) -> int:
    """Device pixels `text` takes (no trailing space)."""
    return max(0, len(text) * 4 - 1) * FONT_PX


def short(value: float, unit: str = "") -> str:
    """A value in at most about six characters: 412.6M, 3.8B, 18%, #22, 80197."""
    if unit == "rank":
        return f"#{int(round(value))}"
    sign = "-" if value < 0 else ""
    number = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if number >= size and (suffix != "K" or number >= 1e5):
            scaled = number / size
            text = f"{scaled:.1f}" if scaled < 100 else f"{scaled:.0f}"
            return sign + text.removesuffix(".0") + suffix
    text = f"{number:.1f}".removesuffix(".0") if number < 1000 else f"{number:.0f}"
    return sign + text + ("%" if unit == "percent" else "")


def period_index(period: str) -> int | None:
    """A period's place on a time line in its own kind's steps (months, years), for spacing bars."""
    if m := re.match(r"^(\d{4})-(\d{2})$", period):
        return int(m[1]) * 12 + int(m[2]) - 1
    if m := re.match(r"^FY(\d{4})-\d{2}:[A-Z][a-z]{2}-([A-Z][a-z]{2})$", period):
        month = _MONTHS.get(m[2], 6)
        return (int(m[1]) + (1 if month <= 6 else 0)) * 12 + month - 1
    if m := re.match(r"^(?:FY|GII-)?(\d{4})(?:-\d{2})?$", period):
        return int(m[1])
    return None


def label(period: str) -> str:
    """What fits under a bar: 2026-10, 2025, FY2024-25, FY26:OCT (a year-to-date span by its last month)."""
    if m := re.match(r"^FY\d{2}(\d{2})-(\d{2}):[A-Z][a-z]{2}-([A-Z][a-z]{2})$", period):
        return f"FY{m[2]}:{m[3]}"
    return period


def positions(periods: Sequence[str] | None, count: int) -> tuple[list[int], int]:
    """Each bar's slot and the number of slots: the periods' real gaps when they can be read."""
    indexes = [period_index(p) for p in periods] if periods is not None and len(periods) == count else []
    if indexes and None not in indexes and indexes == sorted(set(indexes)):  # type: ignore[type-var]
        first = indexes[0]
        span = indexes[-1] - first + 1  # type: ignore[operator]
        if span <= MAX_SLOTS:
            return [i - first for i in indexes], span  # type: ignore[operator]
    return list(range(count)), count


def bar_chart(values: Sequence[float], reference: float | None = None, periods: Sequence[str] | None = None,
              unit: str = "") -> bytes | None:
    """Bars for `values` (oldest first, the last one highlighted) at their `periods`, a dashed line at
    `reference`, an axis with its top value and floor, period labels and the latest value.

    Bars start at zero when every value is positive (so a 5% change looks like one), else at the
    lowest value. None when there is nothing to compare (fewer than two values).
    """
    if len(values) < 2:
        return None
    width, height = WIDTH * SCALE, HEIGHT * SCALE
    canvas = _Canvas(width, height)
    points = [*values, *([reference] if reference is not None else [])]
    low = 0.0 if min(points) >= 0 else min(points)
    high = max(points)
    span = (high - low) or 1.0
    glyph_h = 5 * FONT_PX
    top_label, floor_label = short(high, unit), short(low, unit)
    left = max(text_width(top_label), text_width(floor_label)) + 6 * SCALE
    top, bottom = glyph_h + 4 * SCALE, height - glyph_h - 5 * SCALE  # room for the latest value and the periods
    right = width - SCALE

    def y_of(value: float) -> int:
        return bottom - int(round((value - low) / span * (bottom - top)))

    slots_of, slots = positions(periods, len(values))
    slot = (right - left) / slots
    gap = max(SCALE, int(slot * 0.2))
    bars = []
    for value, n in zip(values, slots_of, strict=True):
        x0 = left + int(round(n * slot))
        x1 = max(x0 + SCALE, left + int(round((n + 1) * slot)) - gap)
        bars.append((x0, x1))
        y = min(y_of(value), bottom - SCALE)  # the smallest value still shows as a sliver
        canvas.rect(x0, y, x1, bottom, LATEST if n == slots_of[-1] else BAR)
    # axes: the value axis with its top and floor, the period axis along the bottom
    canvas.rect(left - 2 * SCALE, top, left - SCALE, bottom + SCALE, AXIS)
    canvas.rect(left - 2 * SCALE, bottom, right, bottom + max(1, SCALE // 2), AXIS)
    canvas.rect(left - 4 * SCALE, top, left - 2 * SCALE, top + SCALE, AXIS)
    canvas.text(left - 5 * SCALE - text_width(top_label), top, top_label)
    canvas.text(left - 5 * SCALE - text_width(floor_label), bottom - glyph_h, floor_label)
    if reference is not None:
        y = y_of(reference)
        for x in range(left, right, 6 * SCALE):  # dashed
            canvas.rect(x, y - SCALE // 2, min(x + 3 * SCALE, right), y + SCALE - SCALE // 2, REFERENCE)
    # the latest value over its bar, kept inside the picture
    latest = short(values[-1], unit)
    x0, x1 = bars[-1]
    lx = min(max(left, (x0 + x1) // 2 - text_width(latest) // 2), width - text_width(latest) - SCALE)
    canvas.text(lx, max(0, y_of(values[-1]) - glyph_h - 2 * SCALE), latest, LATEST)
    # the first and last periods under their bars (and the middle one when there is room)
    if periods is not None and len(periods) == len(values):
        y = bottom + 3 * SCALE
        first, last = label(periods[0]), label(periods[-1])
        first_x = max(0, min(bars[0][0], width - text_width(first)))
        last_x = max(0, min(bars[-1][1] - text_width(last), width - text_width(last) - SCALE))
        canvas.text(first_x, y, first)
        if last_x > first_x + text_width(first) + 4 * SCALE:
            canvas.text(last_x, y, last)
            centre = (left + right) // 2  # the bar nearest the middle of the axis
            middle = min(range(len(values)), key=lambda i: abs((bars[i][0] + bars[i][1]) // 2 - centre))
            if 0 < middle < len(values) - 1:
                mid = label(periods[middle])
                mid_x = (bars[middle][0] + bars[middle][1]) // 2 - text_width(mid) // 2
                if first_x + text_width(first) + 6 * SCALE < mid_x and mid_x + text_width(mid) + 6 * SCALE < last_x:
                    canvas.text(mid_x, y, mid)
    return encode_png(width, height, canvas.pixels)

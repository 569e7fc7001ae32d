"""A small bar chart of an indicator's history as a PNG, with nothing but zlib.

Mail clients show an inline `cid:` PNG but not SVG or scripts, and a plotting library would be a
heavy dependency for a 240x56 picture. Colours are mid-tones on a transparent background, so the
chart reads on a light and on a dark (or inverted) mail theme alike.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT, SCALE = 240, 56, 2  # CSS pixels; drawn at 2x for high-density phone screens
BAR = (74, 143, 217, 255)  # mid blue
LATEST = (217, 115, 13, 255)  # orange: the value this digest is about
REFERENCE = (140, 140, 140, 255)  # grey: the seed baseline
AXIS = (140, 140, 140, 160)


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


def bar_chart(values: Sequence[float], reference: float | None = None) -> bytes | None:
    """Bars for `values` (oldest first, the last one highlighted), a line at `reference`.

    Bars start at zero when every value is positive (so a 5% change looks like one), else at the
    lowest value. None when there is nothing to compare (fewer than two values).
    """
    if len(values) < 2:
        return None
    width, height, pad = WIDTH * SCALE, HEIGHT * SCALE, 2 * SCALE
    canvas = _Canvas(width, height)
    points = [*values, *([reference] if reference is not None else [])]
    low = 0.0 if min(points) >= 0 else min(points)
    span = (max(points) - low) or 1.0
    slot = (width - 2 * pad) / len(values)
    gap = max(SCALE, int(slot * 0.2))

    def y_of(value: float) -> int:
        return height - pad - int(round((value - low) / span * (height - 2 * pad)))

    for i, value in enumerate(values):
        x0 = pad + int(round(i * slot))
        x1 = pad + int(round((i + 1) * slot)) - gap
        top = min(y_of(value), height - pad - SCALE)  # the smallest value still shows as a sliver
        canvas.rect(x0, top, x1, height - pad, LATEST if i == len(values) - 1 else BAR)
    canvas.rect(0, height - pad, width, height - pad + max(1, SCALE // 2), AXIS)
    if reference is not None:
        y = y_of(reference)
        for x in range(0, width, 6 * SCALE):  # dashed
            canvas.rect(x, y - SCALE // 2, x + 3 * SCALE, y + SCALE - SCALE // 2, REFERENCE)
    return encode_png(width, height, canvas.pixels)

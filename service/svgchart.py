"""An indicator's history as inline SVG, the seed value marked: the fact sheet's chart.

Inline SVG because a browser draws it with no script, no request and no image file to ship, it scales
to a phone's width, and its text stays text (selectable, read by screen readers through <title>).
The digest keeps its PNG (service/chart.py): mail clients show an inline PNG, not SVG. The layout
follows that chart: bars where their periods fall (a missing month leaves a gap), the newest in
orange, the seed baseline as a dashed line and its period's bar outlined, first and last periods under
the axis. Every piece of text is XML-escaped: periods and units may come from a user's config.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from service import humanize
from service.chart import label, positions, short
from service.factsheet import order_key

WIDTH, HEIGHT = 320, 120
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 18, 96  # plot area; below BOTTOM the period labels
MAX_SLOT = 48
BAR, NEWEST, SEED, AXIS, TEXT = "#4a8fd9", "#d9730d", "#555", "#999", "#666"


def svg(history: Sequence[tuple[str, float]], unit: str, seed_period: str, seed_value: float,
        title: str = "") -> str:
    """The chart: `history` (period, value) in time order, the seed (period, value) marked.

    With no history the seed alone is drawn (a hollow bar), so every indicator has its picture.
    """
    points = list(history)
    periods = [p for p, _ in points]
    if seed_period not in periods:  # an unverified seed still shows where it stands
        points.append((seed_period, float("nan")))
        points.sort(key=lambda pv: order_key(pv[0]))
        periods = [p for p, _ in points]
    values = [v for _, v in points if v == v]  # NaN is the seed's empty slot
    low = min(0.0, *values, seed_value)
    high = max(*values, seed_value) if values else seed_value
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return BOTTOM - (value - low) / span * (BOTTOM - TOP)

    slots_of, slots = positions(periods, len(periods))
    slot = min((WIDTH - LEFT - RIGHT) / slots, MAX_SLOT)  # one or two bars stay bars, not slabs
    gap = min(slot * 0.2, 4)
    name = title or "history"
    desc = (f"{name}: " + ", ".join(f"{p} {humanize.amount(v, unit)}" for p, v in points if v == v)
            + f"; seed {seed_period} {humanize.amount(seed_value, unit)}")
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(desc)}"><title>{escape(desc)}</title>']
    newest = max((n for n, (_, v) in zip(slots_of, points, strict=True) if v == v), default=None)
    for n, (period, value) in zip(slots_of, points, strict=True):
        x0, width = LEFT + n * slot, max(1.0, slot - gap)
        is_seed = period == seed_period
        if value != value:  # the seed's period with no value stated: a dashed outline at the seed value
            top = y(seed_value)
            parts.append(f'<rect class="seed-slot" x="{x0:.1f}" y="{top:.1f}" width="{width:.1f}" '
                         f'height="{max(1.0, BOTTOM - top):.1f}" fill="none" stroke="{SEED}" '
                         f'stroke-dasharray="3 2"/>')
            continue
        top = min(y(value), BOTTOM - 1)
        colour = NEWEST if n == newest else BAR
        outline = f' stroke="{SEED}" stroke-width="2"' if is_seed else ""
        parts.append(f'<rect class="bar{" seed-bar" if is_seed else ""}" x="{x0:.1f}" y="{top:.1f}" '
                     f'width="{width:.1f}" height="{BOTTOM - top:.1f}" fill="{colour}"{outline}>'
                     f'<title>{escape(period)}: {escape(humanize.amount(value, unit))}</title></rect>')
    # axes, the top value and the floor
    parts.append(f'<path d="M{LEFT - 2} {TOP}V{BOTTOM}H{WIDTH - RIGHT}" stroke="{AXIS}" fill="none"/>')
    parts.append(_text(LEFT - 5, TOP + 4, short(high, unit), "end"))
    if unit != "rank":  # "#0" is no rank
        parts.append(_text(LEFT - 5, BOTTOM, short(low, unit), "end"))
    # the seed: a dashed line across, labelled
    sy = y(seed_value)
    parts.append(f'<line class="seed" x1="{LEFT - 2}" x2="{WIDTH - RIGHT}" y1="{sy:.1f}" y2="{sy:.1f}" '
                 f'stroke="{SEED}" stroke-dasharray="5 3"/>')
    seed_x = LEFT + slots_of[periods.index(seed_period)] * slot
    anchor = "start" if seed_x < WIDTH / 2 else "end"
    label_x = seed_x if anchor == "start" else min(seed_x + slot, WIDTH - RIGHT)
    parts.append(_text(label_x, max(10.0, sy - 4), f"seed {short(seed_value, unit)}", anchor, SEED, "seed-label"))
    # the newest value over its bar
    if newest is not None:
        value = next(v for n, (_, v) in zip(slots_of, points, strict=True) if n == newest)
        nx = min(max(LEFT + newest * slot + slot / 2, LEFT + 14), WIDTH - RIGHT - 14)
        ny = y(value) - 4
        same = points[slots_of.index(newest)][0] == seed_period and abs(value - seed_value) <= 1e-9 * abs(seed_value)
        if not same and (abs(ny - (sy - 4)) >= 10 or abs(nx - label_x) > 60):  # not over the seed's label
            parts.append(_text(nx, max(10.0, ny), short(value, unit), "middle", NEWEST))
    # the first and last periods under the axis
    parts.append(_text(LEFT, HEIGHT - 8, label(periods[0]), "start"))
    if len(periods) > 1:
        end = LEFT + slots * slot
        parts.append(_text(max(end, LEFT + 110), HEIGHT - 8, label(periods[-1]), "end"))
    parts.append("</svg>")
    return "".join(parts)


def _text(x: float, y: float, text: str, anchor: str, colour: str = TEXT, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<text{klass} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="10" '
            f'font-family="system-ui, sans-serif" fill="{colour}">{escape(text)}</text>')

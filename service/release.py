"""A source's release rhythm, declared as data (`release = {…}` in a [[sources]] entry): how often it
publishes, which periods its releases add, and when in the calendar the next one is expected.

Why windows measured from the end of the period: that is how publishers state their rhythm (SBP
puts out a month's services trade in the third week of the month after; the World Bank's annual
figures land some months after the year). The window is [end + after, end + after + window]; a
release not seen by the window's end plus `grace` is overdue. An edition (GII-2025) is measured
from 1 January of its year, because an edition is named for the year it is published in.

Parsing raises ValueError with the problem; service/config.py turns it into a ConfigError that says
where (this module does not import the config, which imports it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.schedule import parse_duration

EVERY = ("month", "year")
PERIODS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "year": re.compile(r"^(\d{4})$"),
    "edition": re.compile(r"^([A-Za-z][\w]*-)(\d{4})$"),
}


@dataclass(frozen=True, slots=True)
class Rhythm:
    """When a source's next period is expected. Durations are seconds."""

    every: str  # how often the source publishes: month | year
    period: str  # the periods a release adds: month | year | edition
    after: float  # from the end of a period to the start of its release window
    window: float  # how long the window lasts
    grace: float | None = None  # after the window, before overdue; None: [settings] release_grace_days
    note: str = ""

    def matches(self, period: str) -> bool:
        return bool(PERIODS[self.period].match(period))

    def next_period(self, period: str) -> str:
        """The period after `period` (2026-10 -> 2026-11, 2025 -> 2026, GII-2025 -> GII-2026)."""
        if self.period == "month":
            year, month = (int(x) for x in period.split("-"))
            return f"{year + month // 12}-{month % 12 + 1:02d}"
        if self.period == "year":
            return str(int(period) + 1)
        found = PERIODS["edition"].match(period)
        assert found is not None
        return f"{found.group(1)}{int(found.group(2)) + 1}"

    def period_end(self, period: str) -> datetime:
        """The moment the window is measured from (UTC midnight)."""
        if self.period == "month":
            year, month = (int(x) for x in period.split("-"))
            return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        if self.period == "year":
            return datetime(int(period) + 1, 1, 1, tzinfo=UTC)
        found = PERIODS["edition"].match(period)
        assert found is not None
        return datetime(int(found.group(2)), 1, 1, tzinfo=UTC)

    def window_of(self, period: str) -> tuple[datetime, datetime]:
        start = self.period_end(period) + timedelta(seconds=self.after)
        return start, start + timedelta(seconds=self.window)

    def describe(self) -> str:
        days = f"{self.after / 86400:g}–{(self.after + self.window) / 86400:g} days after the period"
        return self.note or f"{'monthly' if self.every == 'month' else 'yearly'}, {days}"


def parse_rhythm(raw: Any) -> Rhythm:
    """A `release` table (keys already checked against RELEASE_KEYS) as a Rhythm."""
    if not isinstance(raw, Mapping):
        raise ValueError("release must be a table, like release = { every = \"month\", after = \"14d\" }")
    every = raw.get("every")
    if every not in EVERY:
        raise ValueError(f"release.every must be one of {', '.join(EVERY)}, got {every!r}")
    period = raw.get("period", every)
    if period not in PERIODS:
        raise ValueError(f"release.period must be one of {', '.join(PERIODS)}, got {period!r}")
    if "after" not in raw:
        raise ValueError('release.after is required: from the end of a period to its release window ("14d")')
    values: dict[str, float | None] = {}
    for key, default in (("after", None), ("window", "7d"), ("grace", None)):
        text = raw.get(key, default)
        if text is None:
            values[key] = None
            continue
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise ValueError(f'release.{key} must be a duration like "14d", got {text!r}')
        values[key] = parse_duration(text)
        if values[key] < 0 or (key == "window" and values[key] == 0):  # type: ignore[operator]
            raise ValueError(f"release.{key} must be a positive duration, got {text!r}")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise ValueError(f"release.note must be a string, got {note!r}")
    return Rhythm(every, period, float(values["after"] or 0.0), float(values["window"] or 0.0),
                  values["grace"], note)

"""Observe: judge each extracted figure (sane or suspect) and record it as a snapshot.

A snapshot row is one value a source stated for one figure; seeing it again only moves its
`last_seen`. A different value from the same source becomes a new row and retires the old one
(that is a revision). A value failing a sanity check is stored as `suspect` with the reason and
never replaces a sane one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from scrapers.base import Observation
from scrapers.figures import find_periods
from service.config import PERIOD_PATTERNS, Indicator, Settings, canonical_unit
from store.queries import Store, StoredObservation

_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}


@dataclass(frozen=True, slots=True)
class Change:
    """What observing one figure did: new value, same as before, or a replacement of `previous`."""

    observation: Observation
    observation_id: int
    status: str  # ok | suspect
    reason: str | None
    previous: StoredObservation | None
    is_new: bool
    seen_at: str = ""  # when this refresh observed it: earlier snapshots are what it is compared with
    url: str = ""  # the document it was read from


def period_start(period: str) -> date | None:
    """First day of the last month a period covers (for 'is it in the future?')."""
    if m := re.match(r"^(\d{4})-(\d{2})$", period):
        return date(int(m[1]), int(m[2]), 1)
    if m := re.match(r"^(\d{4})$", period):
        return date(int(m[1]), 1, 1)
    if m := re.match(r"^FY(\d{4})-\d{2}:[A-Z][a-z]{2}-([A-Z][a-z]{2})$", period):
        month = _MONTHS.get(m[2], 6)
        year = int(m[1]) + (1 if month <= 6 else 0)
        return date(year, month, 1)
    if m := re.match(r"^FY(\d{4})-\d{2}$", period):
        return date(int(m[1]), 7, 1)
    if m := re.match(r"^GII-(\d{4})$", period):
        return date(int(m[1]), 1, 1)
    return None


def sanity(obs: Observation, indicator: Indicator | None, settings: Settings, today: date,
           reference: float | None) -> str | None:
    """Why `obs` cannot be trusted as it stands, or None when it passes every check."""
    if indicator is None:
        return f"unknown indicator {obs.indicator!r}"
    if obs.unit not in indicator.units:
        return f"unit {obs.unit} is not one of {', '.join(indicator.units)}"
    if not PERIOD_PATTERNS[indicator.period].match(obs.period):
        return f"period {obs.period!r} is not a {indicator.period} period"
    start = period_start(obs.period)
    if indicator.kind != "target" and start is not None and start > today:
        return f"period {obs.period} is in the future"
    if obs.unit == "rank" and not (1 <= obs.value <= 300 and float(obs.value).is_integer()):
        return f"rank {obs.value:g} is not a whole number from 1 to 300"
    if obs.unit == "percent" and not (-100 <= obs.value <= 1000):
        return f"{obs.value:g}% is outside -100..1000"
    if obs.unit not in ("percent", "rank"):
        if obs.value <= 0:
            return f"{obs.value:g} {obs.unit} is not positive"
        if reference:
            ratio = obs.value / reference
            if ratio > settings.suspect_factor or ratio < 1 / settings.suspect_factor:
                return f"{obs.value:g} {obs.unit} is {ratio:.3g}x the reference value {reference:g}"
    return None


def normalized(obs: Observation, indicator: Indicator | None) -> Observation:
    """The observation with its unit and period written as bridgewatch writes them: `usd` -> `USD`, and a
    period stated in words ("October 2026", "Oct 2026", "FY25") read by the same period reader as news text.
    A period that is not one period of the indicator's kind is left as it is (and judged suspect)."""
    if indicator is None:
        return obs
    unit = canonical_unit(obs.unit, indicator.units)
    period = obs.period
    pattern = PERIOD_PATTERNS[indicator.period]
    if not pattern.match(period):
        text = " ".join(period.split())
        found = [p for p in find_periods(text, None) if p.label and not p.relative]
        if len(found) == 1 and pattern.match(found[0].label) and len(text) - (found[0].end - found[0].start) <= 2:
            period = found[0].label
    if (unit, period) == (obs.unit, obs.period):
        return obs
    return replace(obs, unit=unit, period=period)


def reference_value(store: Store, indicator: Indicator, obs: Observation) -> float | None:
    """What a sane value is compared against: the seed baseline, else the median of sane values."""
    baseline = indicator.baseline(obs.period, obs.unit)
    if baseline is not None:
        return baseline.value
    return store.median_value(indicator.id, obs.unit, obs.variant)


def observe(store: Store, source_id: str, fetch_id: int, url: str, observations: list[Observation],
            indicators: dict[str, Indicator], settings: Settings, today: date, now: str) -> list[Change]:
    """Store `observations` from one fetch and say what each one changed. Caller holds the transaction."""
    changes: list[Change] = []
    for obs in observations:
        indicator = indicators.get(obs.indicator)
        obs = normalized(obs, indicator)
        reason = sanity(obs, indicator, settings, today,
                        reference_value(store, indicator, obs) if indicator else None)
        status = "suspect" if reason else "ok"
        key = (source_id, obs.indicator, obs.period, obs.unit, obs.variant)
        existing = store.find_observation(*key, float(obs.value))
        current = store.current_values(obs.indicator, obs.period, obs.unit, obs.variant, source_id)
        previous = next((o for o in current if existing is None or o.id != existing["id"]), None)
        if existing is not None:
            if existing["status"] != "ok":  # a suspect value seen again: reported once already
                store.db.execute("UPDATE observations SET last_seen = ?, fetch_id = ? WHERE id = ?",
                                 [now, fetch_id, existing["id"]])
                changes.append(Change(obs, existing["id"], "suspect", existing["reason"], None, False, now, url))
                continue
            was_current = bool(existing["current"])  # not current: the source went back to it
            store.touch_observation(existing["id"], fetch_id, now)
            store.retire_observations(*key, keep=existing["id"])
            changes.append(Change(obs, existing["id"], "ok", None, None if was_current else previous,
                                  not was_current, now, url))
            continue
        obs_id = store.insert_observation(
            indicator=obs.indicator, period=obs.period, value=float(obs.value), unit=obs.unit,
            variant=obs.variant, source_id=source_id, fetch_id=fetch_id, url=url, evidence=obs.evidence[:1000],
            confidence=obs.confidence, status=status, reason=reason, meta=dict(obs.meta),
            first_seen=now, last_seen=now, current=0 if reason else 1,
        )
        if not reason:
            store.retire_observations(*key, keep=obs_id)
        changes.append(Change(obs, obs_id, status, reason, previous if not reason else None, True, now, url))
    return changes

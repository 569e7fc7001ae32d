"""Diff: turn what observing changed into the events of SPEC.md, each recorded exactly once.

Every event carries a dedupe key built from what makes it news (kind, figure, values); the store
refuses a second event with the same key, so re-running a refresh, or two processes racing,
never alerts twice. Each value event also carries its comparison with the seed baseline
(vs_baseline), so a digest can show it without re-deriving anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from service.config import Config, Indicator, Source
from service.observe import Change, period_start
from store.queries import Store

EVENT_KINDS = (
    "new_period", "revision", "record", "target_progress", "sources_disagree", "suspect",
    "source_broken", "source_recovered", "source_stale", "citation_changed",
)
COMPARABLE_PERIODS = ("month", "year", "fiscal_year")  # periods whose predecessor is the one before in order
RECORD_UNITS_EXCLUDED = {"percent", "rank"}


def _period_order(period: str) -> tuple[date, str]:
    """Periods in time order (a year-to-date span by its last month: Jul-Oct after Jul-Sep)."""
    return (period_start(period) or date.min, period)


def rounding(value: float) -> float:
    """Half a unit of the last significant digit `value` is stated to (413e6 -> 5e5, 12.3 -> 0.05)."""
    if value == 0:
        return 0.0
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return 0.5 * 10.0 ** int(exponent)


@dataclass(frozen=True, slots=True)
class Differ:
    store: Store
    config: Config

    def differs(self, a: float, b: float) -> bool:
        tolerance = self.config.settings.revision_tolerance
        return abs(a - b) > tolerance * max(abs(a), abs(b), 1e-12)

    def disagree(self, a: float, b: float) -> bool:
        """Different beyond the rounding either value is stated with: a news report's $413 million
        agrees with the statistics' 412.6 million; $1.5 billion does not."""
        return self.differs(a, b) and abs(a - b) > max(rounding(a), rounding(b))

    def events_for(self, source: Source, changes: list[Change], backfill: bool = False) -> list[int]:
        """Record the events `changes` from `source` amount to; returns the new event ids.

        `backfill`: the source's first successful read, which brings its whole history at once.
        Only the latest period of each figure is news then; older ones are stored without an event.
        """
        latest: dict[tuple[str, str, str], str] = {}
        for change in changes:
            obs = change.observation
            key = (obs.indicator, obs.unit, obs.variant)
            if change.status == "ok" and (key not in latest or _period_order(obs.period) > _period_order(latest[key])):
                latest[key] = obs.period
        ids: list[int] = []
        for change in changes:
            obs = change.observation
            if change.is_new:
                old_news = backfill and obs.period != latest.get((obs.indicator, obs.unit, obs.variant))
                ids += self._value_events(source, change, announce_new=not old_news)
        return ids

    def _value_events(self, source: Source, change: Change, announce_new: bool = True) -> list[int]:
        obs = change.observation
        indicator = self.config.indicators.get(obs.indicator)
        figure = f"{obs.indicator}|{obs.period}|{obs.unit}|{obs.variant}"
        common = self._common(source, change, indicator)
        if change.status == "suspect":
            return self._add("suspect", f"suspect|{figure}|{source.id}|{obs.value!r}", common,
                             detail={"reason": change.reason})
        ids: list[int] = []
        if change.previous is not None and self.differs(change.previous.value, obs.value):
            ids += self._add("revision", f"revision|{figure}|{source.id}|{change.previous.value!r}->{obs.value!r}",
                             common, old_value=change.previous.value,
                             detail={"previous_first_seen": change.previous.first_seen})
        # The value that stands for this figure in other sources: official first, then the longest-standing.
        # A new value is compared with it alone, so a figure quoted by fifty outlets makes one alert, not fifty.
        standing = self.store.standing_value(obs.indicator, obs.period, obs.unit, obs.variant, exclude=source.id)
        if announce_new and change.previous is None and standing is None:
            before = {}
            if indicator is not None and indicator.period in COMPARABLE_PERIODS:
                prior = self.store.previous_period_value(obs.indicator, obs.unit, obs.variant, obs.period)
                if prior is not None:  # what min_change_pct compares a new period with
                    before = {"previous_period": prior[0], "previous_value": prior[1]}
            ids += self._add("new_period", f"new_period|{figure}", common, detail=before)
        if standing is not None and self.disagree(standing.value, obs.value):
            pair = sorted([(source.id, obs.value), (standing.source_id, standing.value)])
            official = sorted(s for s, _ in pair if self._official(s))
            ids += self._add("sources_disagree", f"disagree|{figure}|{pair!r}", common, old_value=standing.value,
                             detail={"other_source": standing.source_id, "other_value": standing.value,
                                     "other_url": standing.url, "official_sources": official})
        # an old period read for the first time is neither a record nor progress toward a target
        if indicator is not None and announce_new:
            ids += self._record(indicator, change, common, figure)
            ids += self._target(indicator, change, common)
        return ids

    def _official(self, source_id: str) -> bool:
        source = self.config.sources.get(source_id)
        return source is not None and source.official

    def _record(self, indicator: Indicator, change: Change, common: dict[str, Any], figure: str) -> list[int]:
        obs = change.observation
        if obs.unit in RECORD_UNITS_EXCLUDED or indicator.kind == "target" or indicator.period not in (
                "month", "year", "fiscal_year"):  # year-to-date totals grow by construction: no records
            return []
        highest, earliest, latest = self.store.highest_other_period(obs.indicator, obs.unit, obs.variant, obs.period)
        if latest is not None and latest > obs.period:  # a record is set by the newest period, not a restated one
            return []
        baselines = [b.value for b in indicator.baselines if b.unit == obs.unit and b.period != obs.period]
        # A record needs a history known before this refresh: a source's first backfill is not news.
        if not baselines and not (earliest and earliest < change.seen_at):
            return []
        # a record once announced stays the mark to beat, even if the value that set it was revised down since
        announced = self.store.highest_record(obs.indicator, obs.unit, obs.variant)
        previous = max([v for v in (highest, *baselines, announced) if v is not None], default=None)
        if previous is None or obs.value <= previous:
            return []
        # one record per period, whichever source states it first
        return self._add("record", f"record|{figure}", common, old_value=previous,
                         detail={"previous_record": previous})

    def _target(self, indicator: Indicator, change: Change, common: dict[str, Any]) -> list[int]:
        target_ind = self.config.indicators.get(indicator.target or "")
        obs = change.observation
        if target_ind is None:
            return []
        stated = [o for o in self.store.current_observations(target_ind.id) if o.status == "ok" and o.unit == obs.unit]
        target = (
            (stated[-1].period, stated[-1].value) if stated
            else next(((b.period, b.value) for b in reversed(target_ind.baselines) if b.unit == obs.unit), None)
        )
        if target is None or not target[1]:
            return []
        progress = 100.0 * obs.value / target[1]
        return self._add(
            "target_progress", f"target|{obs.indicator}|{obs.period}|{obs.value!r}|{target!r}", common,
            detail={"target_indicator": target_ind.id, "target_period": target[0], "target_value": target[1],
                    "progress_pct": round(progress, 2)},
        )

    def _common(self, source: Source, change: Change, indicator: Indicator | None) -> dict[str, Any]:
        obs = change.observation
        baseline = indicator.baseline(obs.period, obs.unit) if indicator else None
        detail: dict[str, Any] = {"evidence": obs.evidence[:500], "url": change.url or source.url,
                                  "official": source.official,
                                  "confidence": obs.confidence}
        if obs.meta:
            detail["meta"] = dict(obs.meta)
        if baseline is not None:
            detail["baseline"] = {"period": baseline.period, "value": baseline.value, "unit": baseline.unit,
                                  "seed": baseline.seed, "ref": baseline.ref, "note": baseline.note}
        return {
            "indicator": obs.indicator, "period": obs.period, "unit": obs.unit, "variant": obs.variant,
            "source_id": source.id, "new_value": float(obs.value), "observation_id": change.observation_id,
            "baseline_value": baseline.value if baseline else None, "detail": detail,
        }

    def _add(self, kind: str, key: str, common: Mapping[str, Any], *, detail: Mapping[str, Any] | None = None,
             **fields: Any) -> list[int]:
        merged = {**common, **fields, "kind": kind, "dedupe_key": key,
                  "detail": {**common.get("detail", {}), **(detail or {})}}
        event_id = self.store.add_event(**merged)
        return [event_id] if event_id else []

    # --- source-level events --------------------------------------------------------------------

    def source_event(self, kind: str, source: Source, key: str, detail: Mapping[str, Any], **fields: Any) -> list[int]:
        """source_broken / source_recovered / citation_changed, deduplicated on `key`."""
        base = {"source_id": source.id, "detail": {"url": source.url, **detail}, **fields}
        return self._add(kind, f"{kind}|{source.id}|{key}", base)

    def check_citations(self, source: Source, changes: list[Change], fetch_ok_before: bool) -> list[int]:
        """A cited page must still state the figure its seed baseline quotes."""
        ids: list[int] = []
        read = {(c.observation.indicator, c.observation.period, c.observation.unit): c for c in changes}
        for indicator in self.config.indicators.values():
            for baseline in indicator.baselines:
                if baseline.source != source.id:
                    continue
                found = read.get((indicator.id, baseline.period, baseline.unit))
                figure = {"indicator": indicator.id, "period": baseline.period, "unit": baseline.unit,
                          "baseline_value": baseline.value}
                cited = {"period": baseline.period, "value": baseline.value, "unit": baseline.unit,
                         "seed": baseline.seed, "ref": baseline.ref, "note": baseline.note}
                if found is not None and self.differs(found.observation.value, baseline.value):
                    ids += self.source_event(
                        "citation_changed", source, f"{indicator.id}|{baseline.period}|{found.observation.value!r}",
                        {"change": "figure", "evidence": found.observation.evidence[:500], "baseline": cited},
                        indicator=indicator.id, period=baseline.period, unit=baseline.unit,
                        old_value=baseline.value, new_value=found.observation.value, baseline_value=baseline.value,
                    )
                elif found is None and fetch_ok_before and self._was_read(source.id, indicator.id, baseline.period):
                    ids += self.source_event(
                        "citation_changed", source, f"{indicator.id}|{baseline.period}|missing",
                        {"change": "missing", "baseline": cited},
                        **{k: v for k, v in figure.items() if k != "baseline_value"},
                        old_value=baseline.value, baseline_value=baseline.value,
                    )
        return ids

    def _was_read(self, source_id: str, indicator: str, period: str) -> bool:
        return any(o.source_id == source_id for o in self.store.current_observations(indicator, period))

"""The fact sheet's view model: each seed baseline beside what the sources state now.

Pure on purpose: rows of plain data in (the indicators with their baselines, the current observations,
each source's health, the citation notices), `FactRow`s out. Nothing here opens the database, so the
status rules are tested with literal rows, and the CLI, the daemon's `/`, the demo and the SQL view's
snapshot all judge a figure the same way. `service.factsheet_render` gathers the inputs and renders.

A row's status, the first that applies:
- `contradicted`: a source states another value for the seed's period (official sources first: when one
  states the period, only official sources are judged), or the cited page states another figure, no
  longer states it, or is gone;
- `updated`: a newer period of the indicator exists;
- `confirmed`: a source states the seed's value, within the rounding either states;
- `unverified`: no source states it yet;
- `stale` replaces `confirmed` or `unverified` when every source it rests on is broken or overdue
  (a confirmation by a source that no longer answers is not a confirmation today).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service import humanize
from service.config import Indicator
from service.diff import rounding
from service.observe import period_start

STATUSES = ("confirmed", "updated", "contradicted", "unverified", "stale")
UNHEALTHY = {"broken", "stale", "overdue"}  # source states under which nothing it says is current
ROLE_RANK = {"official": 0, "cited": 1, "news": 2}
TOLERANCE = 1e-6  # relative float noise, as [settings] revision_tolerance


@dataclass(frozen=True, slots=True)
class Statement:
    """One value one source states now."""

    source_id: str
    source_name: str
    role: str
    period: str
    value: float
    unit: str
    variant: str = ""
    evidence: str = ""
    url: str = ""
    agrees: bool | None = None  # with the seed value, for a statement of the seed's period
    seen: str = ""  # when the source last read it from a document (ISO UTC; not a mere re-confirmation)

    @property
    def shown(self) -> str:
        return humanize.amount(self.value, self.unit)


@dataclass(frozen=True, slots=True)
class FactRow:
    indicator: str
    name: str
    period: str
    value: float
    unit: str
    seed: str
    ref: str
    source: str  # the cited source id
    note: str
    status: str
    why: str
    stated: tuple[Statement, ...] = ()  # the seed's period, official first
    latest: Statement | None = None  # the newest period's standing value
    history: tuple[tuple[str, float], ...] = field(default=())  # standing value per period, time order

    @property
    def shown(self) -> str:
        return humanize.amount(self.value, self.unit)

    @property
    def standing(self) -> Statement | None:
        return self.stated[0] if self.stated else None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: flat facts first, then the statements with their evidence."""
        def statement(s: Statement | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {"source": s.source_id, "role": s.role, "period": s.period, "value": s.value,
                    "unit": s.unit, "variant": s.variant, "text": s.shown, "evidence": s.evidence,
                    "url": s.url, "agrees": s.agrees}

        return {"indicator": self.indicator, "name": self.name, "period": self.period, "value": self.value,
                "unit": self.unit, "text": self.shown, "seed": self.seed, "ref": self.ref,
                "cited_source": self.source, "note": self.note, "status": self.status, "why": self.why,
                "stated": [statement(s) for s in self.stated], "latest": statement(self.latest),
                "history": [{"period": p, "value": v} for p, v in self.history]}


def order_key(period: str) -> tuple[date, str]:
    """Periods in time order (a year-to-date span by its last month); unreadable ones first."""
    return (period_start(period) or date.min, period)


def agrees(a: float, b: float, tolerance: float = TOLERANCE) -> bool:
    """The same figure to the rounding either states (US$413 million is 412.6 million), as the diff judges."""
    diff = abs(a - b)
    return diff <= tolerance * max(abs(a), abs(b), 1e-12) or diff <= max(rounding(a), rounding(b))


def _statement(obs: Mapping[str, Any], names: Mapping[str, str], seed: float | None = None) -> Statement:
    return Statement(
        source_id=obs["source_id"], source_name=names.get(obs["source_id"], obs["source_id"]),
        role=obs.get("role") or "news", period=obs["period"], value=float(obs["value"]), unit=obs["unit"],
        variant=obs.get("variant") or "", evidence=obs.get("evidence") or "", url=obs.get("url") or "",
        seen=obs.get("read_at") or obs.get("first_seen") or "",
        agrees=None if seed is None else agrees(float(obs["value"]), seed))


def _ranked(observations: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Official first, then the longest-standing; the plain figure before its variants (a mirror)."""
    return sorted(observations, key=lambda o: (bool(o.get("variant")), ROLE_RANK.get(o.get("role") or "news", 3),
                                               o.get("first_seen") or "", o.get("id") or 0))


def build_rows(indicators: Iterable[Indicator], observations: Iterable[Mapping[str, Any]],
               health: Mapping[str, str], citations: Iterable[Mapping[str, Any]] = (),
               feeds: Mapping[str, Sequence[str]] | None = None, names: Mapping[str, str] | None = None,
               tolerance: float = TOLERANCE) -> list[FactRow]:
    """One row per seed baseline, in the seeds' order.

    `observations`: current values (dicts with indicator, period, value, unit, variant, source_id, role,
    status, evidence, url, first_seen, read_at: when a document last stated it); `health`: each source's
    state (ok, failing, broken, stale, overdue, ...); `citations`: citation_changed notices (source_id,
    indicator, period, change,
    created_at); `feeds`: the enabled sources configured for each indicator; `names`: source names.
    """
    names, feeds = names or {}, feeds or {}
    by_indicator: dict[str, list[Mapping[str, Any]]] = {}
    for obs in observations:
        if obs.get("status", "ok") == "ok":
            by_indicator.setdefault(obs["indicator"], []).append(obs)
    notices = list(citations)
    rows = []
    for indicator in indicators:
        mine = by_indicator.get(indicator.id, [])
        for baseline in indicator.baselines:
            in_unit = [o for o in mine if o["unit"] == baseline.unit]
            stated = [_statement(o, names, baseline.value)
                      for o in _ranked(o for o in in_unit if o["period"] == baseline.period)]
            plain = [o for o in in_unit if not o.get("variant")]
            history = _history(plain)
            newest = max((p for p, _ in history), key=order_key, default=None)
            latest = None
            if newest is not None:
                latest = _statement(_ranked(o for o in plain if o["period"] == newest)[0], names)
            status, why = _judge(indicator.id, baseline, stated, history, notices, health,
                                 [baseline.source, *feeds.get(indicator.id, ())], tolerance)
            rows.append(FactRow(
                indicator=indicator.id, name=indicator.name, period=baseline.period, value=baseline.value,
                unit=baseline.unit, seed=baseline.seed, ref=baseline.ref, source=baseline.source,
                note=baseline.note, status=status, why=why, stated=tuple(stated), latest=latest,
                history=tuple(history)))
    return rows


def _history(plain: list[Mapping[str, Any]]) -> list[tuple[str, float]]:
    """The standing value of each period (official first), in time order."""
    periods: dict[str, list[Mapping[str, Any]]] = {}
    for obs in plain:
        periods.setdefault(obs["period"], []).append(obs)
    return [(p, float(_ranked(periods[p])[0]["value"])) for p in sorted(periods, key=order_key)]


def _judge(indicator_id: str, baseline: Any, stated: list[Statement], history: list[tuple[str, float]],
           notices: list[Mapping[str, Any]], health: Mapping[str, str], relevant: Sequence[str],
           tolerance: float) -> tuple[str, str]:
    """(status, why) of one baseline; see the module's docstring for the rules."""
    seed_text = humanize.amount(baseline.value, baseline.unit)
    plain = [s for s in stated if not s.variant] or stated
    cited = [s for s in plain if s.source_id == baseline.source]
    against: list[str] = []  # every reason the seed no longer stands for its own period
    for s in cited:
        if not agrees(s.value, baseline.value, tolerance):
            shown = humanize.distinct([baseline.value, s.value], baseline.unit)[1]
            against.append(f"the cited page ({s.source_name}) now states {shown}")
    for notice in notices:
        if notice.get("source_id") != baseline.source:
            continue
        change, when = notice.get("change"), notice.get("created_at") or ""
        if (change == "missing" and notice.get("indicator") == indicator_id and notice.get("period") == baseline.period
                and not any(s.seen > when for s in cited)):  # unless the page states it again since
            against.append(f"the cited page ({baseline.source}) no longer states it")
        if change == "gone" and health.get(baseline.source) not in ("ok", "suspect"):
            against.append(f"the cited page ({baseline.source}) is gone (HTTP {notice.get('status', '?')})")
    official = [s for s in plain if s.role == "official"]
    judged = official or plain
    for s in judged:
        if not agrees(s.value, baseline.value, tolerance) and s not in cited:
            shown = humanize.distinct([baseline.value, s.value], baseline.unit)[1]  # 361.4, not "361" beside 348
            against.append(f"{s.source_name} ({s.role}) states {shown}")
    if against:
        return "contradicted", f"seed {seed_text}; " + "; ".join(dict.fromkeys(against))
    newer = [(p, v) for p, v in history if order_key(p) > order_key(baseline.period)]
    if newer and baseline.period != "stated":
        period, value = newer[-1]
        return "updated", f"a newer period exists: {period}, {humanize.amount(value, baseline.unit)}"
    if judged:
        confirmers = sorted({s.source_id for s in judged})
        sick = [sid for sid in confirmers if health.get(sid) in UNHEALTHY]
        if len(sick) == len(confirmers):
            return "stale", "stated only by " + ", ".join(f"{sid} ({health[sid]})" for sid in sick)
        who = ", ".join(dict.fromkeys(s.source_name for s in judged))
        when = "" if baseline.period == "stated" else f" for {baseline.period}"
        return "confirmed", f"{who} state{'s' if len(confirmers) == 1 else ''} {judged[0].shown}{when}"
    sources = [sid for sid in dict.fromkeys(relevant) if sid]
    sick = [sid for sid in sources if health.get(sid) in UNHEALTHY]
    if sources and len(sick) == len(sources):
        return "stale", "its sources are " + ", ".join(f"{sid} ({health[sid]})" for sid in sick)
    return "unverified", "no source states it yet"


def counts(rows: Sequence[FactRow]) -> dict[str, int]:
    """How many rows have each status, in STATUSES order (zeros kept, so a summary reads the same)."""
    return {s: sum(1 for r in rows if r.status == s) for s in STATUSES}

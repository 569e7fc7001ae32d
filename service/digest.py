"""Digest: events -> a readable report (text and HTML, rendered by Jinja2 from templates/).

Events are grouped by indicator: each value is shown old -> new with its delta, against its seed
baseline, with the period, the source and the evidence sentence. Suspect values get their own
section (kept, never alerted as changes), and source health closes the digest. Scraped text is
untrusted: the HTML environment autoescapes everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service import humanize
from service.config import Config
from store.queries import Store

VALUE_KINDS = ("new_period", "revision", "record", "target_progress", "sources_disagree")
HEALTH_KINDS = ("source_broken", "source_recovered")
KIND_LABELS = {
    "new_period": "new period",
    "revision": "revised",
    "record": "record high",
    "target_progress": "progress to target",
    "sources_disagree": "sources disagree",
    "citation_changed": "citation changed",
    "suspect": "suspect value",
    "source_broken": "source broken",
    "source_recovered": "source recovered",
}
_SPARK = "▁▂▃▄▅▆▇█"


@dataclass(slots=True)
class Item:
    """One event, ready to print."""

    id: int
    kind: str
    label: str
    indicator: str | None
    period: str | None
    unit: str
    source_id: str | None
    source_name: str
    url: str
    old: str
    new: str
    change: str
    change_pct: str
    baseline: str
    vs_baseline: str
    vs_baseline_pct: str
    baseline_ref: str
    evidence: str
    note: str
    official: bool


@dataclass(slots=True)
class Group:
    indicator: str
    name: str
    sparkline: str
    items: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Digest:
    subject: str
    text: str
    html: str
    event_ids: list[int]
    created_at: str
    context: dict[str, Any]

    @property
    def empty(self) -> bool:
        return not self.event_ids


@cache
def environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(files("templates"))),
        autoescape=select_autoescape(["html", "xml"], default=False) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = humanize.amount
    return env


def render(template: str, **context: Any) -> str:
    """Render a template; HTML and Atom templates are autoescaped, text and Markdown are not."""
    return environment(template.endswith((".html.j2", ".xml.j2", ".atom.j2"))).get_template(template).render(**context)


def sparkline(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(_SPARK[min(len(_SPARK) - 1, int((v - low) / span * (len(_SPARK) - 1) + 0.5))] for v in values)


def _item(event: dict[str, Any], config: Config) -> Item:
    detail = event.get("detail") or {}
    unit = event.get("unit") or ""
    source = config.sources.get(event.get("source_id") or "")
    baseline = detail.get("baseline") or {}
    new, old, base = event.get("new_value"), event.get("old_value"), event.get("baseline_value")
    note = ""
    kind = event["kind"]
    if kind == "target_progress":
        note = (f"{detail.get('progress_pct', 0):.1f}% of the {detail.get('target_period')} target of "
                f"{humanize.amount(detail.get('target_value'), unit)}")
    elif kind == "sources_disagree":
        note = f"{detail.get('other_source')} states {humanize.amount(detail.get('other_value'), unit)}"
    elif kind == "record":
        note = f"previous high {humanize.amount(detail.get('previous_record'), unit)}"
    elif kind == "suspect":
        note = detail.get("reason", "")
    elif kind == "citation_changed":
        change = detail.get("change")
        note = {
            "gone": f"the cited page is gone (HTTP {detail.get('status')})",
            "moved": f"the cited page moved to {detail.get('moved_to')}",
            "missing": "the cited page no longer states this figure",
            "figure": "the cited page now states a different figure",
        }.get(change or "", change or "")
    elif kind == "source_broken":
        note = f"failing {detail.get('failures')} times in a row: {detail.get('error', '')}"
    elif kind == "source_recovered":
        note = "working again"
    return Item(
        id=event["id"],
        kind=kind,
        label=KIND_LABELS.get(kind, kind),
        indicator=event.get("indicator"),
        period=event.get("period"),
        unit=unit,
        source_id=event.get("source_id"),
        source_name=source.name if source else (event.get("source_id") or ""),
        url=detail.get("moved_to") or detail.get("url") or (source.url if source else ""),
        old=humanize.amount(old, unit) if old is not None else "",
        new=humanize.amount(new, unit) if new is not None else "",
        change=humanize.delta(old, new, unit) if kind == "revision" else "",
        change_pct=humanize.percent_change(old, new) if kind == "revision" else "",
        baseline=humanize.amount(base, unit) if base is not None else "",
        vs_baseline=humanize.delta(base, new, unit) if base is not None and new is not None else "",
        vs_baseline_pct=humanize.percent_change(base, new) if base is not None and new is not None else "",
        baseline_ref=(f"{baseline.get('period')}, seed {baseline.get('seed')} {baseline.get('ref')}".strip()
                      if baseline else ""),
        evidence=(detail.get("evidence") or "")[:400],
        note=note,
        official=bool(detail.get("official")),
    )


def _history(store: Store, indicator: str, unit: str) -> list[float]:
    rows = store.current_observations(indicator)
    by_period: dict[str, float] = {}
    for row in rows:
        if row.status == "ok" and row.unit == unit and row.variant == "":
            by_period.setdefault(row.period, row.value)
    return [by_period[p] for p in sorted(by_period)][-12:]


def health(store: Store, config: Config, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Broken sources and stale ones (no new data for longer than their expected rhythm)."""
    broken, stale = [], []
    for row in store.sources():
        source = config.sources.get(row["id"])
        if source is None:
            continue
        if row["broken"]:
            broken.append({"id": row["id"], "name": source.name, "error": row["last_error"] or "",
                           "since": row["last_success"] or "never"})
        elif source.stale_after and row["last_new_data"]:
            age = (now - datetime.fromisoformat(row["last_new_data"])).total_seconds()
            if age > source.stale_after:
                stale.append({"id": row["id"], "name": source.name, "last_new_data": row["last_new_data"],
                              "days": int(age // 86400)})
    return {"broken": broken, "stale": stale}


def build(store: Store, config: Config, events: Iterable[dict[str, Any]], now: datetime | None = None,
          title: str = "bridgewatch digest") -> Digest:
    """Render the digest for `events` (rows from Store.events)."""
    now = now or datetime.now(UTC)
    events = list(events)
    groups: dict[str, Group] = {}
    suspects, sources_news = [], []
    for event in events:
        item = _item(event, config)
        if event["kind"] == "suspect":
            suspects.append(item)
        elif event["kind"] in HEALTH_KINDS or (event["kind"] == "citation_changed" and not event.get("indicator")):
            sources_news.append(item)
        else:
            key = event.get("indicator") or ""
            if key not in groups:
                indicator = config.indicators.get(key)
                groups[key] = Group(key, indicator.name if indicator else key,
                                    sparkline(_history(store, key, event.get("unit") or "")))
            groups[key].items.append(item)
    value_events = sum(len(g.items) for g in groups.values())
    parts = []
    if value_events:
        parts.append(f"{value_events} change{'s' if value_events != 1 else ''} in {len(groups)} indicator"
                     f"{'s' if len(groups) != 1 else ''}")
    if suspects:
        parts.append(f"{len(suspects)} suspect")
    if sources_news:
        parts.append(f"{len(sources_news)} source notice{'s' if len(sources_news) != 1 else ''}")
    subject = f"{title}: " + (", ".join(parts) if parts else "no changes")
    context = {
        "title": title,
        "subject": subject,
        "generated_at": now.strftime("%Y-%m-%d %H:%M UTC"),
        "groups": sorted(groups.values(), key=lambda g: g.indicator),
        "suspects": suspects,
        "source_news": sources_news,
        "health": health(store, config, now),
    }
    return Digest(
        subject=subject,
        text=render("digest.txt.j2", **context),
        html=render("digest.html.j2", **context),
        event_ids=[e["id"] for e in events],
        created_at=now.isoformat(timespec="seconds"),
        context=context,
    )


def record(store: Store, digest: Digest) -> int:
    """Keep the rendered digest (the record of what was said, and when)."""
    return store.save_digest(
        created_at=digest.created_at,
        first_event_id=min(digest.event_ids) if digest.event_ids else None,
        last_event_id=max(digest.event_ids) if digest.event_ids else None,
        events=len(digest.event_ids),
        subject=digest.subject,
        text=digest.text,
        html=digest.html,
    )

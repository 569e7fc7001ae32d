"""Digest: events -> a readable report in four forms (text, HTML, Markdown, JSON) for one reader.

Events are grouped by indicator: each value is shown old -> new with its delta and percent, against
its seed baseline, with the period, the source and the evidence sentence, under a chart of the
indicator's history (an inline PNG in HTML, a Unicode sparkline elsewhere). One figure and period
is one item however many events it raised (service/digest_group.py): the other events become its
tags, and it lists the value each source states. A change of a percentage is shown in percentage
points only. Suspect values get their own section (kept, never alerted as changes), and source
health closes the digest. Times are in the reader's time zone.

Scraped text is untrusted: control characters are stripped, HTML and Atom are autoescaped,
Markdown is backslash-escaped (and @mentions defused), and only http(s) links are kept.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from service import chart, digest_group, humanize
from service.config import Config
from store.queries import Store

VALUE_KINDS = ("new_period", "revision", "record", "target_progress", "sources_disagree")
HEALTH_KINDS = ("source_broken", "source_recovered", "source_stale", "release_overdue", "release_arrived")
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
    "source_stale": "source stale",
    "release_overdue": "release overdue",
    "release_arrived": "release arrived",
}
_SPARK = "▁▂▃▄▅▆▇█"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~])")
COMPARABLE_PERIODS = ("month", "year", "fiscal_year")  # periods whose predecessor is the one before in order


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
    seen: str = ""  # when it was recorded, in the reader's time zone
    old_period: str = ""  # for a new period: the period `old` belongs to
    badges: list[str] = field(default_factory=list)
    stated: list[dict[str, Any]] = field(default_factory=list)  # what each source states now for the figure
    raw: dict[str, Any] = field(default_factory=dict)  # numbers for the JSON document


@dataclass(slots=True)
class Group:
    indicator: str
    name: str
    sparkline: str
    items: list[Item] = field(default_factory=list)
    chart_cid: str = ""  # the inline image of its history, if there is enough of it
    chart_alt: str = ""
    chart_caption: str = ""


@dataclass(slots=True)
class Digest:
    subject: str
    text: str
    html: str  # charts referenced as cid: images (see `images`; standalone_html for a browser)
    event_ids: list[int]
    created_at: str
    context: dict[str, Any]
    markdown: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)  # cid -> PNG

    @property
    def empty(self) -> bool:
        return not self.event_ids

    def standalone_html(self) -> str:
        """The HTML with its charts as data: URIs, for a file opened in a browser."""
        return inline_images(self.html, self.images)


def inline_images(html: str, images: Mapping[str, bytes]) -> str:
    for cid, png in images.items():
        html = html.replace(f'src="cid:{cid}"', f'src="data:image/png;base64,{base64.b64encode(png).decode()}"')
    return html


def clean(text: str | None, limit: int = 400) -> str:
    """Scraped text made printable: no control characters, single spaces, at most `limit` chars."""
    text = " ".join(_CONTROL.sub(" ", text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def markdown_escape(text: Any) -> str:
    """Text that Markdown (and chat services) will print as is: no links, emphasis or @mentions."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("@", "@\u200b")


def markdown_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def safe_url(url: Any) -> str:
    """Only http(s) links reach a digest: a scraped `javascript:` or `data:` URL is dropped."""
    url = clean(str(url or ""), 2000)
    return url if re.match(r"^https?://", url, re.I) else ""


@cache
def environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(files("templates"))),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = humanize.amount
    env.filters["md"] = markdown_escape
    env.filters["mdurl"] = markdown_url
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


def local_time(iso: str | None, tz: ZoneInfo) -> str:
    """An ISO timestamp as '2026-01-15 12:58 PKT' in the reader's zone ('' if absent or unreadable)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return clean(iso, 40)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _note(kind: str, detail: Mapping[str, Any], unit: str, new: float | None = None) -> str:
    if kind == "target_progress":
        return (f"{detail.get('progress_pct', 0):.1f}% of the {detail.get('target_period')} target of "
                f"{humanize.amount(detail.get('target_value'), unit)}")
    if kind == "sources_disagree":
        other = humanize.distinct([detail.get("other_value"), new], unit)[0]
        return f"{detail.get('other_source')} states {other}"
    if kind == "record":
        return f"previous high {humanize.distinct([detail.get('previous_record'), new], unit)[0]}"
    if kind == "source_stale":
        return str(detail.get("reason", "no successful refresh for a while"))
    if kind == "suspect":
        return str(detail.get("reason", ""))
    if kind == "citation_changed":
        change = detail.get("change")
        return {
            "gone": f"the cited page is gone (HTTP {detail.get('status')})",
            "moved": f"the cited page moved to {detail.get('moved_to')}",
            "missing": "the cited page no longer states this figure",
            "figure": "the cited page now states a different figure",
            "document_changed": "the cited document changed and no figure could be read from it: review it",
        }.get(change or "", change or "")
    if kind == "source_broken":
        failures = int(detail.get("failures") or 1)
        times = "once" if failures == 1 else f"{failures} times in a row"
        return f"failed {times}: {detail.get('error', '')}"
    if kind == "source_recovered":
        return "working again"
    if kind in ("release_overdue", "release_arrived"):
        from service.calendar import release_note

        return release_note(kind, detail)
    return ""


def _pct(old: float | None, new: float | None) -> float | None:
    return round(100.0 * (new - old) / abs(old), 2) if old not in (None, 0) and new is not None else None  # type: ignore[operator]


def _item(event: dict[str, Any], config: Config, tz: ZoneInfo) -> Item:
    detail = event.get("detail") or {}
    unit = event.get("unit") or ""
    source = config.sources.get(event.get("source_id") or "")
    baseline = detail.get("baseline") or {}
    new, old, base = event.get("new_value"), event.get("old_value"), event.get("baseline_value")
    kind = event["kind"]
    url = safe_url(detail.get("moved_to") or detail.get("url") or (source.url if source else ""))
    # progress to a target is about the target: the same figure's other item compares it with the baseline
    shown = None if kind == "target_progress" else base
    old_text, new_text = humanize.distinct([old if kind == "revision" else None, new], unit)
    base_text = humanize.distinct([shown, new], unit)[0] if shown is not None else ""
    relative = unit != "percent"  # a change of a percentage is told in points, never as a percent of it
    return Item(
        id=event["id"],
        kind=kind,
        label=KIND_LABELS.get(kind, kind),
        indicator=event.get("indicator"),
        period=clean(event.get("period"), 40),
        unit=unit,
        source_id=event.get("source_id"),
        source_name=clean(source.name if source else (event.get("source_id") or ""), 120),
        url=url,
        old=old_text if old is not None and kind == "revision" else "",
        new=new_text if new is not None else "",
        change=humanize.delta(old, new, unit) if kind == "revision" else "",
        change_pct=humanize.percent_change(old, new) if kind == "revision" and relative else "",
        baseline=base_text,
        vs_baseline=humanize.delta(shown, new, unit) if shown is not None and new is not None else "",
        vs_baseline_pct=humanize.percent_change(shown, new) if relative and shown is not None and new is not None
        else "",
        baseline_ref=(f"{baseline.get('period')}, seed {baseline.get('seed')} {baseline.get('ref')}".strip()
                      if baseline else ""),
        evidence=clean(detail.get("evidence")),
        note=clean(_note(kind, detail, unit, new)),
        official=bool(detail.get("official")),
        seen=local_time(event.get("created_at"), tz),
        raw={"old_value": old if kind == "revision" else None, "new_value": new, "baseline_value": base,
             "change_pct": _pct(old, new) if kind == "revision" and relative else None,
             "vs_baseline_pct": _pct(base, new) if relative else None,
             "created_at": event.get("created_at"), "previous_record": old if kind == "record" else None},
    )


def _history(store: Store, indicator: str, unit: str) -> dict[str, float]:
    """period -> value of the indicator's current, sane, headline values in `unit`, in period order."""
    by_period: dict[str, float] = {}
    for row in store.current_observations(indicator):
        if row.status == "ok" and row.unit == unit and row.variant == "":
            by_period.setdefault(row.period, row.value)
    # in time order: a year-to-date span by its last month (Jul-Sep before Jul-Oct), not alphabetically
    return dict(sorted(by_period.items(), key=lambda pv: (chart.period_index(pv[0]) or 0, pv[0])))


def _with_previous_period(item: Item, history: Mapping[str, float]) -> None:
    """A new period is shown against the period before it (December -> January), with delta and %."""
    earlier = [p for p in history if item.period and p < item.period]
    new = item.raw["new_value"]
    if item.kind != "new_period" or not earlier or new is None:
        return
    old = history[earlier[-1]]
    item.old, item.new = humanize.distinct([old, new], item.unit)
    item.old_period = earlier[-1]
    relative = item.unit != "percent"  # 0.8% -> 12.3% is +11.5 pts, not "+1478.2%"
    item.change = humanize.delta(old, new, item.unit)
    item.change_pct = humanize.percent_change(old, new) if relative else ""
    item.raw.update(old_value=old, old_period=earlier[-1], change_pct=_pct(old, new) if relative else None)


def health(store: Store, config: Config, now: datetime, tz: ZoneInfo | None = None) -> dict[str, list[dict[str, Any]]]:
    """Broken sources, stale ones (no successful refresh for `stale_after`, by default three schedule
    intervals) and quiet ones (working, but no new data for their `quiet_after`)."""
    from service.health import staleness

    tz = tz or ZoneInfo("UTC")
    broken, stale, quiet = [], [], []
    for row in store.sources():
        source = config.sources.get(row["id"])
        if source is None:
            continue
        reason = staleness(source, row, config.settings, now)
        if row["broken"]:
            broken.append({"id": row["id"], "name": clean(source.name, 120), "error": clean(row["last_error"], 200),
                           "since": local_time(row["last_success"], tz) or "never"})
        elif reason:
            age = (now - _aware(row["last_success"])).total_seconds()
            stale.append({"id": row["id"], "name": clean(source.name, 120), "reason": clean(reason, 200),
                          "last_success": local_time(row["last_success"], tz),
                          "last_new_data": local_time(row["last_new_data"], tz), "days": int(age // 86400)})
        elif source.quiet_after and row["last_new_data"]:
            age = (now - _aware(row["last_new_data"])).total_seconds()
            if age > source.quiet_after:
                quiet.append({"id": row["id"], "name": clean(source.name, 120),
                              "last_new_data": local_time(row["last_new_data"], tz), "days": int(age // 86400)})
    return {"broken": broken, "stale": stale, "quiet": quiet}


def _aware(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _subject(title: str, groups: Mapping[str, Group], suspects: list[Item], news: list[Item],
             health_: Mapping[str, list[Any]], quiet: str) -> str:
    changes = sum(len(g.items) for g in groups.values())
    parts = []
    if changes:
        parts.append(f"{changes} change{'s' if changes != 1 else ''} in {len(groups)} indicator"
                     f"{'s' if len(groups) != 1 else ''}")
    if suspects:
        parts.append(f"{len(suspects)} suspect")
    if news:
        parts.append(f"{len(news)} source notice{'s' if len(news) != 1 else ''}")
    if not parts:
        problems = len(health_["broken"]) + len(health_["stale"])
        parts.append(quiet + (", all sources healthy" if not problems else
                              f", {problems} source{'s' if problems != 1 else ''} need{'s' if problems == 1 else ''}"
                              " attention"))
    return f"{title}: " + ", ".join(parts)


def build(store: Store, config: Config, events: Iterable[dict[str, Any]], now: datetime | None = None,
          title: str = "bridgewatch digest", timezone_name: str = "UTC", quiet: str = "no changes") -> Digest:
    """Render the digest of `events` (rows from Store.events) for a reader in `timezone_name`.

    `quiet` words the subject when nothing changed (e.g. "no changes this week").
    """
    now = now or datetime.now(UTC)
    tz = ZoneInfo(timezone_name)
    events = list(events)
    groups: dict[str, Group] = {}
    histories: dict[tuple[str, str], dict[str, float]] = {}
    suspects, sources_news = [], []
    for event in events:
        item = _item(event, config, tz)
        if event["kind"] == "revision":  # "first reported X on DATE, revised to Y"
            from service.vintages import first_reported_note

            item.note = "; ".join(n for n in (first_reported_note(store.db, event, tz), item.note) if n)
        if event["kind"] == "suspect":
            suspects.append(item)
        elif event["kind"] in HEALTH_KINDS or (event["kind"] == "citation_changed" and not event.get("indicator")):
            sources_news.append(item)
        else:
            key = event.get("indicator") or ""
            history = histories.setdefault((key, item.unit), _history(store, key, item.unit))
            indicator = config.indicators.get(key)
            if indicator is not None and indicator.period in COMPARABLE_PERIODS:
                _with_previous_period(item, history)
            if key not in groups:
                groups[key] = Group(key, clean(indicator.name if indicator else key, 160),
                                    sparkline(list(history.values())[-12:]))
            groups[key].items.append(item)
    images: dict[str, bytes] = {}
    roles = {s.id: s.role for s in config.sources.values()}
    names = {s.id: clean(s.name or s.id, 120) for s in config.sources.values()}
    for key, group in groups.items():
        # one item per figure and period, with every tag its events gave it and what each source states
        group.items = sorted(digest_group.fold(group.items), key=lambda i: (i.period or "", i.id))
        for item in group.items:
            item.stated = digest_group.stated_values(
                store.current_observations(key, item.period) if item.period else [], roles, names, item.unit)
        unit = group.items[0].unit if group.items else ""
        history = histories.get((key, unit), {})
        recent = list(history.items())[-12:]
        base = next((i.raw["baseline_value"] for i in group.items if i.raw["baseline_value"] is not None), None)
        png = chart.bar_chart([v for _, v in recent], base, [p for p, _ in recent], unit)
        if png is not None:
            group.chart_cid = f"chart-{re.sub(r'[^A-Za-z0-9_.-]', '-', key)}@bridgewatch"
            group.chart_alt = (f"{group.name}, {recent[0][0]} to {recent[-1][0]}: "
                               + ", ".join(f"{p} {humanize.amount(v, unit)}" for p, v in recent))
            # the caption names only what is drawn
            group.chart_caption = f"{recent[0][0]} to {recent[-1][0]}, latest in orange" + (
                f"; dashed line: seed baseline {humanize.amount(base, unit)}" if base is not None else "")
            images[group.chart_cid] = png
    health_ = health(store, config, now, tz)
    subject = _subject(title, groups, suspects, sources_news, health_, quiet)
    context = {
        "title": title,
        "subject": subject,
        "generated_at": now.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"),
        "groups": sorted(groups.values(), key=lambda g: g.indicator),
        "suspects": suspects,
        "source_news": sources_news,
        "health": health_,
        "quiet": quiet,
    }
    return Digest(
        subject=subject,
        text=render("digest.txt.j2", **context),
        html=render("digest.html.j2", **context),
        event_ids=[e["id"] for e in events],
        created_at=now.isoformat(timespec="seconds"),
        context=context,
        markdown=render("digest.md.j2", **context),
        payload=payload(context, now, timezone_name),
        images=images,
    )


def payload(context: Mapping[str, Any], now: datetime, timezone_name: str) -> dict[str, Any]:
    """The JSON webhook document (its shape is documented in service/delivery/webhook.py)."""
    def event(item: Item, group: Group | None) -> dict[str, Any]:
        return {
            "id": item.id, "kind": item.kind, "badges": item.badges, "indicator": item.indicator,
            "indicator_name": group.name if group else None, "period": item.period, "unit": item.unit,
            "old_value": item.raw["old_value"], "old_period": item.raw.get("old_period"),
            "new_value": item.raw["new_value"], "change_pct": item.raw["change_pct"],
            "baseline_value": item.raw["baseline_value"], "vs_baseline_pct": item.raw["vs_baseline_pct"],
            "source_id": item.source_id, "source_name": item.source_name, "url": item.url or None,
            "official": item.official, "evidence": item.evidence, "note": item.note,
            "merged_event_ids": item.raw.get("merged_event_ids", []), "created_at": item.raw["created_at"],
            "stated": [{k: v for k, v in s.items() if k != "text"} for s in item.stated],
        }

    events = [event(i, g) for g in context["groups"] for i in g.items]
    events += [event(i, None) for i in [*context["suspects"], *context["source_news"]]]
    return {
        "version": 1,
        "type": "bridgewatch.digest",
        "subject": context["subject"],
        "generated_at": now.isoformat(timespec="seconds"),
        "timezone": timezone_name,
        "events": sorted(events, key=lambda e: e["id"]),
        "health": context["health"],
    }


def record(store: Store, digest: Digest, subscriber: str | None = None) -> int:
    """Keep the rendered digest (the record of what was said, to whom, and when)."""
    return store.save_digest(
        created_at=digest.created_at,
        first_event_id=min(digest.event_ids) if digest.event_ids else None,
        last_event_id=max(digest.event_ids) if digest.event_ids else None,
        events=len(digest.event_ids),
        subject=digest.subject,
        text=digest.text,
        html=digest.html,
        subscriber=subscriber,
        markdown=digest.markdown,
        payload=json.dumps({**digest.payload, "markdown": digest.markdown}, ensure_ascii=False),
        images=json.dumps({cid: base64.b64encode(png).decode() for cid, png in digest.images.items()}),
    )

"""The fact sheet as people and tools read it: HTML (the daemon's `/`), Markdown, JSON, CSV.

`gather` is the one place the fact sheet touches the database and the config: it reads the current
values, the citation notices and each source's health, and hands plain rows to the pure model
(service.factsheet). `record` copies the judged rows into `seed_baselines`, which the `factsheet` SQL
view reads, so `sqlite3` and Datasette users see the status bridgewatch last judged.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from service import __version__, humanize, svgchart
from service.config import Config
from service.digest import markdown_escape, markdown_url, safe_url
from service.factsheet import STATUSES, FactRow, build_rows, counts
from store import factsheet as queries
from store.queries import Store

log = logging.getLogger("bridgewatch.factsheet")
FORMATS = ("html", "md", "json", "csv")
CSV_COLUMNS = ("indicator", "name", "period", "seed_value", "unit", "seed", "ref", "cited_source", "status",
               "why", "value_now", "source_now", "evidence_now", "url_now", "latest_period", "latest_value",
               "latest_source")


def source_states(config: Config, store: Store, now: datetime | None = None) -> dict[str, str]:
    """Each configured source's state as `status` shows it; a source whose release the calendar
    (service.calendar: its window plus grace has passed) says is overdue counts as `overdue`."""
    from service.health import all_health

    states = {sid: h.state for sid, h in all_health(config, store, now=now).items()}
    try:
        from service.calendar import OVERDUE, calendar
    except ImportError:  # no release calendar: source health alone
        return states
    for entry in calendar(config, store, now=now):
        if entry.state == OVERDUE and states.get(entry.source_id) not in ("broken", "stale"):
            states[entry.source_id] = "overdue"
    return states


def gather(config: Config, store: Store, now: datetime | None = None) -> list[FactRow]:
    """The fact sheet's rows from the database as it stands."""
    enabled = [s for s in config.sources.values() if s.enabled]
    feeds: dict[str, list[str]] = {}
    for source in enabled:
        for indicator in source.indicators:
            feeds.setdefault(indicator, []).append(source.id)
    return build_rows(
        config.indicators.values(), queries.current_values(store), source_states(config, store, now),
        queries.citation_notices(store), feeds, {s.id: s.name or s.id for s in config.sources.values()},
        tolerance=config.settings.revision_tolerance)


def record(store: Store, rows: Sequence[FactRow]) -> None:
    """Keep the `factsheet` view's snapshot current; a read-only database only loses the snapshot."""
    try:
        queries.save_snapshot(store, (
            {"indicator": r.indicator, "period": r.period, "unit": r.unit, "value": r.value, "seed": r.seed,
             "ref": r.ref, "cited_source": r.source, "note": r.note, "name": r.name, "status": r.status,
             "why": r.why} for r in rows))
    except Exception as exc:  # noqa: BLE001 - the fact sheet itself was still computed
        log.warning("could not save the fact sheet to the database: %s", exc)


def environment(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(files("templates"))), autoescape=autoescape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["amount"] = humanize.amount
    env.filters["md"] = markdown_escape
    env.filters["mdurl"] = markdown_url
    env.filters["safe_url"] = safe_url
    return env


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def html(rows: Sequence[FactRow], generated: datetime | None = None,
         links: Sequence[tuple[str, str]] = ()) -> str:
    """A page that reads on a phone and a desktop; one inline SVG chart per row, no script."""
    generated = generated or datetime.now(UTC)
    charts = [svgchart.svg(r.history, r.unit, r.period, r.value, r.name) for r in rows]
    return environment(True).get_template("factsheet.html.j2").render(
        items=list(zip(rows, charts, strict=True)), counts=counts(rows), statuses=STATUSES,
        generated=_when(generated), version=__version__, links=list(links))


def markdown(rows: Sequence[FactRow], generated: datetime | None = None) -> str:
    """A table that pastes into a report, then each row's sources with their evidence."""
    generated = generated or datetime.now(UTC)
    return environment(False).get_template("factsheet.md.j2").render(
        rows=list(rows), counts=counts(rows), generated=_when(generated))


def as_json(rows: Sequence[FactRow]) -> str:
    return json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2) + "\n"


def as_csv(rows: Sequence[FactRow]) -> str:
    """One line per row, the standing value of the seed's period and the newest period's beside it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        now, latest = r.standing, r.latest
        writer.writerow([r.indicator, r.name, r.period, r.value, r.unit, r.seed, r.ref, r.source, r.status, r.why,
                         now.value if now else "", now.source_id if now else "", _cell(now.evidence) if now else "",
                         now.url if now else "", latest.period if latest else "", latest.value if latest else "",
                         latest.source_id if latest else ""])
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet must not run scraped text as a formula (=, +, -, @ first)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def render(rows: Sequence[FactRow], fmt: str, generated: datetime | None = None, **options: Any) -> str:
    if fmt == "html":
        return html(rows, generated, **options)
    if fmt == "md":
        return markdown(rows, generated)
    if fmt == "json":
        return as_json(rows)
    if fmt == "csv":
        return as_csv(rows)
    raise ValueError(f"unknown fact sheet format {fmt!r} (one of {', '.join(FORMATS)})")

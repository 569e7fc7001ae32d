"""The release calendar: per source with a declared rhythm (service/release.py), the last release
seen, the next period expected and its window, and whether it is `on time`, `due` or `overdue`.

Why it is judged from the stored observations and nothing else: the latest period a source has
stated, and when bridgewatch first read it, are facts the store already keeps (first_seen). The
calendar is therefore the same whether the daemon, `bridgewatch calendar` or /calendar asks, and a
restart loses nothing.

`check_releases` turns the calendar into events: one `release_overdue` per source and expected
period (its dedupe key names both, so it is never alerted twice), and one `release_arrived` when a
period that was alerted as overdue appears after all (or a later one does). It takes `now`, so tests
move the clock instead of sleeping, and the daemon calls it on its own schedule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.config import Config, Settings, Source
from store.queries import Store

ON_TIME, DUE, OVERDUE, UNSEEN = "on time", "due", "overdue", "no release seen"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the calendar. Times are UTC ISO; dates of the window are days (YYYY-MM-DD)."""

    source_id: str
    name: str
    every: str
    rhythm: str
    last_period: str | None
    last_seen: str | None  # when bridgewatch first read that period
    stated: str | None  # the release date the source itself states (World Bank `lastupdated`), if any
    next_period: str | None
    window_start: str | None
    window_end: str | None
    overdue_after: str | None  # window end plus grace
    state: str


def grace_seconds(source: Source, settings: Settings) -> float:
    rhythm = source.release
    assert rhythm is not None
    return rhythm.grace if rhythm.grace is not None else settings.release_grace_days * 86400.0


def _last_release(store: Store, source: Source) -> tuple[str | None, str | None, str | None]:
    """(period, first seen, stated date) of the latest period of the rhythm's kind the source has stated."""
    rhythm = source.release
    assert rhythm is not None
    rows = store.db.execute(
        "SELECT period, min(first_seen), max(meta) FROM observations WHERE source_id = ? AND status = 'ok' "
        "GROUP BY period", [source.id]).fetchall()
    periods = [r for r in rows if rhythm.matches(r[0])]
    if not periods:
        return None, None, None
    period, first, meta = max(periods, key=lambda r: (len(r[0]), r[0]))
    stated = None
    try:
        parsed = json.loads(meta) if meta else {}
        stated = parsed.get("lastupdated") or parsed.get("published") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    return period, first, stated


def entry(store: Store, source: Source, settings: Settings, now: datetime) -> Entry:
    """The calendar line of one source with a rhythm."""
    rhythm = source.release
    assert rhythm is not None
    last, seen, stated = _last_release(store, source)
    if last is None:
        return Entry(source.id, source.name, rhythm.every, rhythm.describe(), None, None, None, None, None, None,
                     None, UNSEEN)
    following = rhythm.next_period(last)
    start, end = rhythm.window_of(following)
    late = end + timedelta(seconds=grace_seconds(source, settings))
    state = ON_TIME if now < start else DUE if now <= late else OVERDUE
    return Entry(source.id, source.name, rhythm.every, rhythm.describe(), last, seen, stated, following,
                 start.date().isoformat(), (end - timedelta(seconds=1)).date().isoformat(),
                 late.isoformat(timespec="seconds"), state)


def calendar(config: Config, store: Store, now: datetime | None = None) -> list[Entry]:
    """Every enabled source that declares a rhythm, in id order."""
    now = now or datetime.now(UTC)
    return [entry(store, s, config.settings, now) for s in sorted(config.sources.values(), key=lambda s: s.id)
            if s.release is not None]


def release_state(config: Config, store: Store, source_id: str, now: datetime | None = None) -> str | None:
    """on time | due | overdue | no release seen for one source, or None when it declares no rhythm: the
    rule anything else calling a source's data late (a fact sheet's `stale`) should share."""
    source = config.sources.get(source_id)
    if source is None or source.release is None:
        return None
    return entry(store, source, config.settings, now or datetime.now(UTC)).state


def check_releases(config: Config, store: Store, now: datetime | None = None,
                   skip: Iterable[str] = ()) -> list[int]:
    """Record `release_overdue` for each source past its window plus grace and `release_arrived` for
    each overdue period that has since appeared; returns the new event ids (deduplicated: none twice).
    Sources in `skip` (about to be refreshed: the release may be waiting on the server) are left alone."""
    from service.diff import Differ

    now = now or datetime.now(UTC)
    differ = Differ(store, config)
    ids: list[int] = []
    skipped = set(skip)
    for line in calendar(config, store, now):
        if line.source_id in skipped:
            continue
        source = config.sources[line.source_id]
        with store.transaction():
            if line.state == OVERDUE:
                ids += differ.source_event(
                    "release_overdue", source, str(line.next_period),
                    {"expected_period": line.next_period, "window_start": line.window_start,
                     "window_end": line.window_end, "overdue_after": line.overdue_after,
                     "last_period": line.last_period, "last_seen": line.last_seen, "rhythm": line.rhythm},
                    period=line.next_period)
            for alerted in _open_overdue(store, source.id):
                if line.last_period is not None and _not_before(line.last_period, alerted["period"]):
                    ids += differ.source_event(
                        "release_arrived", source, alerted["period"],
                        {"expected_period": alerted["period"], "arrived_period": line.last_period,
                         "first_seen": line.last_seen, "overdue_since": alerted["created_at"]},
                        period=line.last_period)
    return ids


def _not_before(period: str, expected: str) -> bool:
    return (len(period), period) >= (len(expected), expected)


def _open_overdue(store: Store, source_id: str) -> list[dict[str, Any]]:
    """The release_overdue events of a source no release_arrived has answered yet."""
    return list(store.db.query(
        "SELECT * FROM events e WHERE e.kind = 'release_overdue' AND e.source_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM events a WHERE a.kind = 'release_arrived' AND a.dedupe_key = "
        "'release_arrived|' || e.source_id || '|' || e.period)", [source_id]))


# --- rendering ------------------------------------------------------------------------------------


def as_json(entries: list[Entry]) -> str:
    return json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=2)


def as_markdown(entries: list[Entry], now: datetime) -> str:
    """A Markdown table, one row per source (what `bridgewatch calendar --format md` prints)."""
    out = [f"# Release calendar ({now.astimezone(UTC):%Y-%m-%d %H:%M} UTC)", "",
           "| source | rhythm | last release | first seen | next expected | window | state |",
           "|---|---|---|---|---|---|---|"]
    for e in entries:
        cells = [e.source_id, e.rhythm, e.last_period or "-", (e.last_seen or "-")[:16].replace("T", " "),
                 e.next_period or "-", f"{e.window_start} to {e.window_end}" if e.window_start else "-",
                 f"**{e.state}**" if e.state == OVERDUE else e.state]
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def as_text(entries: list[Entry]) -> str:
    table = [["source", "last release", "first seen", "next", "window", "state"]]
    for e in entries:
        table.append([e.source_id, e.last_period or "-", (e.last_seen or "-")[:16].replace("T", " "),
                      e.next_period or "-", f"{e.window_start}..{e.window_end}" if e.window_start else "-", e.state])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table) + "\n"


def calendar_page(config: Config, store: Store, now: datetime | None = None) -> str:
    """The daemon's /calendar: the same table as `bridgewatch calendar`, every value HTML-escaped."""
    from html import escape

    now = now or datetime.now(UTC)
    rows = []
    for e in calendar(config, store, now):
        cells = [e.source_id, e.rhythm, e.last_period or "-", (e.last_seen or "-")[:16].replace("T", " "),
                 e.next_period or "-", f"{e.window_start} to {e.window_end}" if e.window_start else "-", e.state]
        rows.append(f"<tr class='{escape(e.state.replace(' ', '-'))}'>"
                    + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>bridgewatch: release calendar"
            "</title><style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}"
            "td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}.overdue td{color:#b00020}"
            ".due td{color:#8a5a00}</style></head><body><h1>Release calendar</h1>"
            f"<p>As of {escape(now.astimezone(UTC).strftime('%Y-%m-%d %H:%M'))} UTC. "
            "<a href='/'>Status</a></p><table><thead><tr><th>source</th><th>rhythm</th><th>last release</th>"
            "<th>first seen</th><th>next expected</th><th>window</th><th>state</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></body></html>\n")


def release_note(kind: str, detail: dict[str, Any]) -> str:
    """What a digest says of a release_overdue / release_arrived event."""
    if kind == "release_overdue":
        return (f"{detail.get('expected_period')} was expected {detail.get('window_start')} to "
                f"{detail.get('window_end')} and has not appeared (last release {detail.get('last_period')})")
    return (f"{detail.get('arrived_period')} has appeared (expected {detail.get('expected_period')}, overdue since "
            f"{str(detail.get('overdue_since') or '')[:10]})")

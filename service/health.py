"""Source health as people read it: ok, failing, broken, stale, suspect, never run.

One function decides a source's state for `status`, the daemon's `/` page, `/metrics` and digests,
so they never disagree. Staleness is judged from the last *successful* refresh: by default a source
is stale when it has not succeeded for `[settings] stale_intervals` (3) of its schedule intervals,
or for its own `stale_after`. A stale source gets one `source_stale` event per episode (its dedupe
key names the last success), so the next success clears it and a later lapse is news again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.config import Config, Settings, Source
from service.schedule import expected_interval
from store.queries import Store

STATES = ("ok", "failing", "broken", "stale", "suspect", "never run")


@dataclass(frozen=True, slots=True)
class Health:
    source_id: str
    state: str  # one of STATES
    reason: str = ""  # why, for every state but ok and never run


def stale_after(source: Source, settings: Settings) -> float:
    """Seconds without a successful refresh after which `source` is stale."""
    if source.stale_after:
        return source.stale_after
    return settings.stale_intervals * expected_interval(source.schedule).total_seconds()


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 60:.0f} minutes"


def staleness(source: Source, row: dict[str, Any] | None, settings: Settings, now: datetime) -> str | None:
    """Why `source` is stale, or None. A source that never succeeded is failing or never run, not stale."""
    last = (row or {}).get("last_success")
    if not last:
        return None
    moment = datetime.fromisoformat(last)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    age = (now - moment).total_seconds()
    limit = stale_after(source, settings)
    if age <= limit:
        return None
    when = last[:16].replace("T", " ")
    return f"no successful refresh for {_duration(age)} (last {when}Z; stale after {_duration(limit)})"


def suspect_reason(store: Store, source: Source) -> str | None:
    """'3 values suspect: unit usd is not …' when the latest read of the source stored suspect values."""
    rows = store.suspect_reasons(source.id, (source.url, *source.also, *source.mirrors))
    if not rows:
        return None
    total = sum(n for _, n in rows)
    return f"{total} value{'s' if total != 1 else ''} stored as suspect: {rows[0][0]}"


def source_health(source: Source, row: dict[str, Any] | None, settings: Settings, now: datetime,
                  store: Store | None = None) -> Health:
    row = row or {}
    if row.get("broken"):
        return Health(source.id, "broken", row.get("last_error") or "")
    stale = staleness(source, row, settings, now)
    if stale:
        return Health(source.id, "stale", stale)
    if row.get("consecutive_failures"):
        return Health(source.id, "failing", row.get("last_error") or "")
    if not row.get("last_success"):
        return Health(source.id, "never run")
    suspect = suspect_reason(store, source) if store is not None else None
    if suspect:
        return Health(source.id, "suspect", suspect)
    return Health(source.id, "ok")


def all_health(config: Config, store: Store, now: datetime | None = None,
               sources: list[Source] | None = None) -> dict[str, Health]:
    now = now or datetime.now(UTC)
    rows = {r["id"]: r for r in store.sources()}
    chosen = list(config.sources.values()) if sources is None else sources
    return {s.id: source_health(s, rows.get(s.id), config.settings, now, store) for s in chosen}


def record_stale_events(config: Config, store: Store, now: datetime | None = None,
                        skip: Iterable[str] = (), sources: Iterable[Source] | None = None) -> list[int]:
    """One `source_stale` event per stale episode of each configured source (but those in `skip`, about to
    be refreshed); returns the new event ids."""
    from service.diff import Differ

    now = now or datetime.now(UTC)
    differ = Differ(store, config)
    ids: list[int] = []
    rows = {r["id"]: r for r in store.sources()}
    skipped = set(skip)
    for source in config.sources.values() if sources is None else sources:
        if source.id in skipped:
            continue
        row = rows.get(source.id)
        reason = staleness(source, row, config.settings, now)
        if reason is None or row is None:
            continue
        with store.transaction():
            ids += differ.source_event("source_stale", source, f"since|{row['last_success']}",
                                       {"reason": reason, "last_success": row["last_success"],
                                        "stale_after_s": stale_after(source, config.settings)})
    return ids

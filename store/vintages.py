"""What bridgewatch knew when: every stored value with its known-from / known-to period (ALFRED's
`realtime_start` / `realtime_end`), read from the observations table as it already is.

Why a query and not a table: each observation row is one value one source stated for one figure,
with `first_seen` (the fetch that first read it) and `current`. A revision inserts a new row and
retires the old one, so a value's known-to is the first_seen of the value that replaced it. Nothing
needs to be written twice, and databases from before this module get their vintages for free.

"Known" means *fetched by bridgewatch*: known_from is the time of the fetch that first read the
value, not the date the source published it (that is shown as `stated` when the source states one,
like the World Bank's `lastupdated`). A value no longer current with no later value of its own
(a source that went back to an earlier value) is known until it was last seen.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

_SQL = """
SELECT o.id, o.indicator, o.period, o.value, o.unit, o.variant, o.source_id, o.status,
       o.first_seen AS known_from,
       CASE WHEN o.current = 1 THEN NULL ELSE coalesce(
           (SELECT min(n.first_seen) FROM observations n
             WHERE n.source_id = o.source_id AND n.indicator = o.indicator AND n.period = o.period
               AND n.unit = o.unit AND n.variant = o.variant AND n.first_seen > o.first_seen
               AND n.status = 'ok'),
           o.last_seen) END AS known_to,
       o.last_seen, o.current, o.url, o.evidence, o.meta,
       coalesce(s.role = 'official', 0) AS official
FROM observations o LEFT JOIN sources s ON s.id = o.source_id
WHERE o.indicator = :indicator AND (:period IS NULL OR o.period = :period)
ORDER BY o.period, o.unit, o.variant, o.first_seen, o.source_id, o.id
"""

COLUMNS = ("indicator", "period", "value", "unit", "variant", "source_id", "status", "known_from", "known_to",
           "current", "stated", "url", "evidence")


def normalize_time(text: str) -> str:
    """A user's timestamp (2026-11-01, 2026-11-01T08:00, …+05:00, …Z) as the UTC ISO form stored, so
    string comparison with first_seen is time comparison. A naive time is UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def vintages(db: sqlite_utils.Database, indicator: str, period: str | None = None) -> list[dict[str, Any]]:
    """Every value each period of `indicator` has had, from every source, oldest first."""
    rows = []
    for row in db.query(_SQL, {"indicator": indicator, "period": period}):
        meta = json.loads(row.pop("meta") or "{}") if row.get("meta") else {}
        row["stated"] = meta.get("published") or meta.get("lastupdated") if isinstance(meta, dict) else None
        row["current"] = bool(row["current"])
        row["official"] = bool(row["official"])
        rows.append(row)
    return rows


def _known_at(row: dict[str, Any], moment: str) -> bool:
    return row["known_from"] <= moment and (row["known_to"] is None or moment < row["known_to"])


def as_of(db: sqlite_utils.Database, indicator: str, moment: str, period: str | None = None) -> list[dict[str, Any]]:
    """The sane values each source stated at `moment` (UTC ISO), one per source and figure: the one
    first read latest among those then known."""
    best: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in vintages(db, indicator, period):
        if row["status"] != "ok" or not _known_at(row, moment):
            continue
        key = (row["period"], row["unit"], row["variant"], row["source_id"])
        if key not in best or row["known_from"] >= best[key]["known_from"]:
            best[key] = row
    return sorted(best.values(), key=lambda r: (r["period"], r["unit"], r["variant"], not r["official"],
                                                 r["source_id"]))


def first_releases(db: sqlite_utils.Database, indicator: str, period: str | None = None) -> list[dict[str, Any]]:
    """Each period's first sane value (its "first print"), whichever source stated it first; an
    official source wins a tie."""
    first: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in vintages(db, indicator, period):
        if row["status"] != "ok":
            continue
        key = (row["period"], row["unit"], row["variant"])
        held = first.get(key)
        if held is None or (row["known_from"], not row["official"]) < (held["known_from"], not held["official"]):
            first[key] = row
    return sorted(first.values(), key=lambda r: (r["period"], r["unit"], r["variant"]))


def first_release(db: sqlite_utils.Database, indicator: str, period: str, unit: str,
                  variant: str, source_id: str | None = None) -> dict[str, Any] | None:
    """The first sane value one figure had (from one source when given): what a revision revises."""
    rows = [r for r in vintages(db, indicator, period) if r["status"] == "ok" and r["unit"] == unit
            and r["variant"] == variant and (source_id is None or r["source_id"] == source_id)]
    return min(rows, key=lambda r: (r["known_from"], r["id"]), default=None)

"""The reads the fact sheet needs, and the snapshot of it the `factsheet` SQL view shows.

Kept apart from store/queries.py (the pipeline's queries) because the fact sheet only reads, across
every indicator at once: one query for the current values, one for the citation notices.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from store.queries import Store, utcnow
from store.schema import write_transaction


def current_values(store: Store) -> list[dict[str, Any]]:
    """Every current value with its source's role and when a document last stated it (`read_at`)."""
    return list(store.db.query(
        "SELECT o.id, o.indicator, o.period, o.value, o.unit, o.variant, o.source_id, o.status, o.url, "
        "o.evidence, o.first_seen, o.last_seen, coalesce(s.role, 'news') AS role, "
        "coalesce(f.started_at, o.first_seen) AS read_at FROM observations o "
        "LEFT JOIN sources s ON s.id = o.source_id LEFT JOIN fetches f ON f.id = o.fetch_id "
        "WHERE o.current = 1 ORDER BY o.indicator, o.period, o.id"))


def citation_notices(store: Store) -> list[dict[str, Any]]:
    """citation_changed events, flattened: source_id, indicator, period, change, status, created_at."""
    out = []
    for row in store.db.query(
            "SELECT source_id, indicator, period, detail, created_at FROM events "
            "WHERE kind = 'citation_changed' ORDER BY id"):
        detail = json.loads(row["detail"]) if row["detail"] else {}
        out.append({"source_id": row["source_id"], "indicator": row["indicator"], "period": row["period"],
                    "change": detail.get("change"), "status": detail.get("status"),
                    "created_at": row["created_at"]})
    return out


SNAPSHOT_COLUMNS = ("indicator", "period", "unit", "value", "seed", "ref", "cited_source", "note", "name",
                    "status", "why")


def save_snapshot(store: Store, rows: Iterable[Mapping[str, Any]]) -> None:
    """Replace the `seed_baselines` table (what the `factsheet` view reads) with these rows, at once."""
    now = utcnow()
    with write_transaction(store.db):
        store.db.execute("DELETE FROM seed_baselines")
        for i, row in enumerate(rows):
            values = [row.get(c) for c in SNAPSHOT_COLUMNS]
            store.db.execute(
                f"INSERT INTO seed_baselines (position, {', '.join(SNAPSHOT_COLUMNS)}, judged_at) "
                f"VALUES (?, {', '.join('?' * len(SNAPSHOT_COLUMNS))}, ?)", [i, *values, now])

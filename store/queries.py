"""The queries bridgewatch runs, as methods of `Store`: the pipeline writes, everything else reads.

The store knows nothing of fetching or diffing; it keeps facts (fetches, documents, observations)
and what was derived from them (events, digests) with their provenance.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from store.schema import connect, write_transaction

# Characters XML 1.0 forbids (C0 controls but tab and newlines, lone surrogates, U+FFFE, U+FFFF): scraped
# text carrying them would make /feed.atom unreadable, so they are dropped where text enters the store.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """`value` with the characters XML forbids removed (non-strings unchanged)."""
    return _XML_FORBIDDEN.sub("", value) if isinstance(value, str) else value


def _safe_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: xml_safe(v) for k, v in fields.items()}


def _safe_tree(value: Any) -> Any:
    """xml_safe through dicts and lists (before JSON, which would escape the controls and keep them)."""
    if isinstance(value, dict):
        return {xml_safe(k): _safe_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe_tree(v) for v in value]
    return xml_safe(value)


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class StoredObservation:
    id: int
    indicator: str
    period: str
    value: float
    unit: str
    variant: str
    source_id: str
    status: str
    url: str | None
    evidence: str | None
    first_seen: str
    last_seen: str
    current: bool


class Store:
    """A bridgewatch database. `Store("bw.db")` creates and migrates it as needed."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.db: sqlite_utils.Database = connect(path)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One atomic unit of work (a source's refresh): all of it lands or none of it does."""
        with write_transaction(self.db):
            yield self

    def _one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        # the raw connection: sqlite-utils' query() wraps every read in a savepoint, which the
        # refresh's hot path (several reads per source, inside our own transaction) does not need
        cursor = self.db.conn.execute(sql, params)  # type: ignore[arg-type]
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    # --- sources --------------------------------------------------------------------------------

    def ensure_source(self, source_id: str, kind: str, url: str, role: str) -> None:
        self.db.execute(
            "INSERT INTO sources (id, kind, url, role) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, url = excluded.url, role = excluded.role",
            [source_id, kind, url, role],
        )

    def source_state(self, source_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM sources WHERE id = ?", [source_id])

    def update_source(self, source_id: str, **fields: Any) -> None:
        fields = _safe_fields(fields)
        if fields:
            assignments = ", ".join(f"{k} = :{k}" for k in fields)
            self.db.execute(f"UPDATE sources SET {assignments} WHERE id = :id", {**fields, "id": source_id})

    def sources(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM sources ORDER BY id"))

    def suspect_reasons(self, source_id: str, urls: Iterable[str]) -> list[tuple[str, int]]:
        """(reason, how many) of the suspect values the latest read of each of `urls` stored, commonest first."""
        urls = list(urls)
        marks = ", ".join("?" * len(urls))
        rows = self.db.execute(
            "SELECT coalesce(reason, 'suspect'), count(*) AS n FROM observations WHERE source_id = ? "
            "AND status = 'suspect' AND fetch_id IN (SELECT max(id) FROM fetches WHERE source_id = ? "
            f"AND url IN ({marks}) AND unchanged = 0 AND error IS NULL GROUP BY url) "
            "GROUP BY reason ORDER BY n DESC, reason",
            [source_id, source_id, *urls],
        ).fetchall()
        return [(r[0], int(r[1])) for r in rows]

    def reread_if_changed(self, source_id: str, reading: str, urls: Iterable[str]) -> bool:
        """When how a source is read changed since its last refresh (its config), forget the stored state
        of its own URLs, so the next refresh reads them again even if their bodies did not change (a fixed
        `unit` must not wait for the page to change). True if state was forgotten."""
        key = f"source_reading:{source_id}"
        row = self._one("SELECT value FROM meta WHERE key = ?", [key])
        if row is not None and row["value"] == reading:
            return False
        urls = list(urls)
        with self.transaction():
            if row is not None:
                self.db.execute(f"DELETE FROM url_state WHERE url IN ({', '.join('?' * len(urls))})", urls)
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, reading])
        return row is not None

    def record_failure(self, source_id: str, kind: str, url: str, role: str, error: str, now: str) -> dict[str, Any]:
        """One more failure in a row for a source (a refresh the daemon abandoned); returns its row after."""
        self.ensure_source(source_id, kind, url, role)
        self.db.execute(
            "UPDATE sources SET last_attempt = ?, consecutive_failures = consecutive_failures + 1, last_error = ? "
            "WHERE id = ?", [now, error, source_id])
        return self.source_state(source_id) or {}

    # --- fetches and documents ------------------------------------------------------------------

    def save_document(self, sha256: str, body: bytes, content_type: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO documents (sha256, content_type, bytes, body, first_seen) VALUES (?, ?, ?, ?, ?)",
            [sha256, content_type, len(body), zlib.compress(body, 6), utcnow()],
        )

    def record_fetch(self, *, refresh_state: bool = True, **fields: Any) -> int:
        """Append a fetch to the history and keep `url_state` (what the next fetch starts from) current.

        `refresh_state=False`: the URL's state is as stored (an unchanged body with the same validators)."""
        fields = _safe_fields(fields)
        cursor = self.db.execute(
            f"INSERT INTO fetches ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        if fields.get("error") is None and fields.get("sha256") and refresh_state:
            self.db.execute(
                "INSERT INTO url_state (url, etag, last_modified, sha256, fingerprint, observations, gone, updated_at) "
                "VALUES (:url, :etag, :last_modified, :sha256, :fingerprint, :observations, 0, :started_at) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "sha256 = excluded.sha256, fingerprint = excluded.fingerprint, observations = excluded.observations, "
                "gone = 0, updated_at = excluded.updated_at",
                {k: fields.get(k) for k in ("url", "etag", "last_modified", "sha256", "fingerprint", "started_at")}
                | {"observations": fields.get("observations", 0)},
            )
        elif fields.get("status") in (404, 410):
            self.db.execute(
                "INSERT INTO url_state (url, gone, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT(url) DO UPDATE SET gone = 1, updated_at = excluded.updated_at",
                [fields["url"], fields.get("started_at")],
            )
        return int(cursor.lastrowid or 0)

    def current_observations(self, indicator: str, period: str | None = None) -> list[StoredObservation]:
        """The values each source currently states for an indicator (optionally one period)."""
        sql = "SELECT * FROM observations WHERE indicator = ? AND current = 1"
        params: list[Any] = [indicator]
        if period is not None:
            sql += " AND period = ?"
            params.append(period)
        return [_observation(r) for r in self.db.query(sql + " ORDER BY period, id", params)]

    def current_values(self, indicator: str, period: str, unit: str, variant: str,
                       source_id: str | None = None) -> list[StoredObservation]:
        """Sane-or-suspect current values for one figure (optionally from one source only)."""
        sql = ("SELECT * FROM observations WHERE indicator = ? AND period = ? AND current = 1 "
               "AND unit = ? AND variant = ?")
        params: list[Any] = [indicator, period, unit, variant]
        if source_id is not None:
            sql += " AND source_id = ?"
            params.append(source_id)
        cursor = self.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [_observation(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    def standing_value(self, indicator: str, period: str, unit: str, variant: str,
                       exclude: str) -> StoredObservation | None:
        """The sane current value other sources give for a figure: an official source's first, then
        the longest-standing one (what a new value is judged against)."""
        cursor = self.db.execute(
            "SELECT o.* FROM observations o LEFT JOIN sources s ON s.id = o.source_id WHERE o.indicator = ? "
            "AND o.period = ? AND o.current = 1 AND o.status = 'ok' AND o.unit = ? AND o.variant = ? "
            "AND o.source_id != ? ORDER BY coalesce(s.role = 'official', 0) DESC, o.first_seen, o.id LIMIT 1",
            [indicator, period, unit, variant, exclude],
        )
        row = cursor.fetchone()
        return _observation(dict(zip([d[0] for d in cursor.description], row, strict=True))) if row else None

    def highest_other_period(
        self, indicator: str, unit: str, variant: str, period: str
    ) -> tuple[float | None, str | None, str | None]:
        """The highest sane current value of the indicator in any other period, the earliest
        first_seen and the latest period among those (what a record is judged against), in one query."""
        row = self.db.execute(
            "SELECT max(value), min(first_seen), max(period) FROM observations WHERE indicator = ? AND current = 1 "
            "AND status = 'ok' AND unit = ? AND variant = ? AND period != ?",
            [indicator, unit, variant, period],
        ).fetchone()
        return row[0], row[1], row[2]

    def previous_period_value(self, indicator: str, unit: str, variant: str, period: str) -> tuple[str, float] | None:
        """(period, value) of the latest period before `period` with a sane current value (official first)."""
        row = self.db.execute(
            "SELECT o.period, o.value FROM observations o LEFT JOIN sources s ON s.id = o.source_id "
            "WHERE o.indicator = ? AND o.unit = ? AND o.variant = ? AND o.current = 1 AND o.status = 'ok' "
            "AND o.period < ? ORDER BY o.period DESC, coalesce(s.role = 'official', 0) DESC, o.first_seen, o.id "
            "LIMIT 1", [indicator, unit, variant, period],
        ).fetchone()
        return (row[0], float(row[1])) if row else None

    def highest_record(self, indicator: str, unit: str, variant: str) -> float | None:
        """The highest value a `record` event has announced for this figure."""
        row = self.db.execute(
            "SELECT max(new_value) FROM events WHERE kind = 'record' AND indicator = ? AND unit = ? "
            "AND coalesce(variant, '') = ?", [indicator, unit, variant]).fetchone()
        return row[0] if row else None

    def median_value(self, indicator: str, unit: str, variant: str) -> float | None:
        """The median of the indicator's sane current values: a reference when no baseline exists."""
        count = self.db.execute(
            "SELECT count(*) FROM observations WHERE indicator = ? AND current = 1 AND status = 'ok' "
            "AND unit = ? AND variant = ?", [indicator, unit, variant],
        ).fetchone()[0]
        if not count:
            return None
        row = self.db.execute(
            "SELECT value FROM observations WHERE indicator = ? AND current = 1 AND status = 'ok' "
            "AND unit = ? AND variant = ? ORDER BY value LIMIT 1 OFFSET ?", [indicator, unit, variant, count // 2],
        ).fetchone()
        return row[0]

    def find_observation(
        self, source_id: str, indicator: str, period: str, unit: str, variant: str, value: float
    ) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM observations WHERE source_id = ? AND indicator = ? AND period = ? AND unit = ? "
            "AND variant = ? AND value = ?",
            [source_id, indicator, period, unit, variant, value],
        )

    def insert_observation(self, **fields: Any) -> int:
        if isinstance(fields.get("meta"), dict):
            fields["meta"] = json.dumps(_safe_tree(fields["meta"]), ensure_ascii=False) if fields["meta"] else None
        fields = _safe_fields(fields)
        cursor = self.db.execute(
            f"INSERT INTO observations ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        return int(cursor.lastrowid or 0)

    def touch_observation(self, obs_id: int, fetch_id: int, seen: str) -> None:
        self.db.execute(
            "UPDATE observations SET last_seen = ?, fetch_id = ?, current = 1 WHERE id = ?", [seen, fetch_id, obs_id]
        )

    def retire_observations(
        self, source_id: str, indicator: str, period: str, unit: str, variant: str, keep: int
    ) -> None:
        """Mark a source's earlier values for the same figure as no longer current (a revision)."""
        self.db.execute(
            "UPDATE observations SET current = 0 WHERE source_id = ? AND indicator = ? AND period = ? "
            "AND unit = ? AND variant = ? AND id != ? AND current = 1",
            [source_id, indicator, period, unit, variant, keep],
        )

    def history(self, indicator: str) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT period, value, unit, variant, source_id, status, current, first_seen, last_seen, url, evidence "
                "FROM observations WHERE indicator = ? ORDER BY period, first_seen, id",
                [indicator],
            )
        )

    # --- events and digests ---------------------------------------------------------------------

    def add_event(self, **fields: Any) -> int | None:
        """Insert an event unless one with the same dedupe_key exists; returns its id or None."""
        if isinstance(fields.get("detail"), dict):
            fields["detail"] = json.dumps(_safe_tree(fields["detail"]), ensure_ascii=False, sort_keys=True)
        fields = _safe_fields(fields)
        fields.setdefault("created_at", utcnow())
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO events ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        return int(cursor.lastrowid) if cursor.rowcount else None

    def events(self, after_id: int = 0, since: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM events WHERE id > ?"
        params: list[Any] = [after_id]
        if since:
            sql += " AND created_at >= ?"
            params.append(since)
        sql += " ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = list(self.db.query(sql, params))
        for row in rows:
            row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        return rows

    def recent_events(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = list(self.db.query("SELECT * FROM events ORDER BY id DESC LIMIT ?", [limit]))
        for row in rows:
            row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        return rows

    def last_digest(self) -> dict[str, Any] | None:
        return self._one("SELECT * FROM digests ORDER BY id DESC LIMIT 1")

    def save_digest(self, **fields: Any) -> int:
        cursor = self.db.execute(
            f"INSERT INTO digests ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        return int(cursor.lastrowid or 0)

    def digest(self, digest_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM digests WHERE id = ?", [digest_id])

    def max_event_id(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    # --- subscribers and the outbox (written by service.notify and service.outbox) --------------

    def subscriber_state(self, name: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM subscriber_state WHERE name = ?", [name])

    def save_subscriber_state(self, name: str, **fields: Any) -> None:
        columns = ["name", *fields]
        updates = ", ".join(f"{k} = excluded.{k}" for k in fields) or "name = name"
        self.db.execute(
            f"INSERT INTO subscriber_state ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT(name) DO UPDATE SET {updates}",
            [name, *fields.values()],
        )

    def enqueue(self, **fields: Any) -> bool:
        """Add an outbox row unless its id exists; True if added."""
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO outbox ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        return bool(cursor.rowcount)

    def outbox_due(self, now: str, stale_before: str) -> list[dict[str, Any]]:
        """Pending rows whose time has come, and sends interrupted before they were recorded."""
        return list(self.db.query(
            "SELECT * FROM outbox WHERE (status = 'pending' AND next_attempt <= ?) "
            "OR (status = 'sending' AND claimed_at <= ?) ORDER BY next_attempt, id",
            [now, stale_before],
        ))

    def update_outbox(self, outbox_id: str, expect: dict[str, Any] | None = None, **fields: Any) -> bool:
        """Update one row, only if its columns still equal `expect` (a compare-and-set claim)."""
        sql = f"UPDATE outbox SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?"
        params = [*fields.values(), outbox_id]
        for key, value in (expect or {}).items():
            sql += f" AND {key} IS ?"
            params.append(value)
        return bool(self.db.execute(sql, params).rowcount)

    def outbox(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = "SELECT * FROM outbox" + (" WHERE status = ?" if status else "") + " ORDER BY created_at DESC, id LIMIT ?"
        return list(self.db.query(sql, [status, limit] if status else [limit]))

    def outbox_row(self, outbox_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM outbox WHERE id = ?", [outbox_id])

    def outbox_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
        return {"pending": 0, "sending": 0, "sent": 0, "dead": 0, **{s: n for s, n in rows}}

    def prune(self, before: str) -> dict[str, int]:
        """Forget history older than `before` (ISO UTC) that nothing stands on: fetches no observation
        was read from, the bodies only they pointed to, and sent deliveries. Observations, events and
        digests (the record of what was said) are kept, and so is the latest state of every URL."""
        with self.transaction():
            fetches = self.db.execute(
                "DELETE FROM fetches WHERE started_at < ? AND id NOT IN "
                "(SELECT fetch_id FROM observations WHERE fetch_id IS NOT NULL)", [before]).rowcount
            documents = self.db.execute(
                "DELETE FROM documents WHERE first_seen < ? AND sha256 NOT IN "
                "(SELECT sha256 FROM fetches WHERE sha256 IS NOT NULL) "
                "AND sha256 NOT IN (SELECT sha256 FROM url_state WHERE sha256 IS NOT NULL)", [before]).rowcount
            deliveries = self.db.execute(
                "DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?", [before]).rowcount
        return {"fetches": fetches, "documents": documents, "deliveries": deliveries}

    def counts(self) -> dict[str, int]:
        tables = ("sources", "fetches", "documents", "observations", "events", "digests")
        return {t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _observation(row: dict[str, Any]) -> StoredObservation:
    return StoredObservation(
        id=row["id"],
        indicator=row["indicator"],
        period=row["period"],
        value=row["value"],
        unit=row["unit"],
        variant=row["variant"],
        source_id=row["source_id"],
        status=row["status"],
        url=row["url"],
        evidence=row["evidence"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        current=bool(row["current"]),
    )

"""Tables, indexes and forward-only migrations, versioned with SQLite's `user_version`.

A migration is a SQL script appended to MIGRATIONS; never edit one that has shipped. Opening a
database applies whatever it lacks, inside one transaction, so a crash mid-migration leaves the
previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

MIGRATIONS: tuple[str, ...] = (
    # 1: snapshots with provenance, events, digests
    """
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        url TEXT NOT NULL,
        role TEXT NOT NULL,
        last_attempt TEXT,
        last_success TEXT,
        last_new_data TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        broken INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE TABLE documents (
        sha256 TEXT PRIMARY KEY,
        content_type TEXT,
        bytes INTEGER NOT NULL,
        body BLOB NOT NULL,  -- zlib-compressed; stored once however often it is fetched
        first_seen TEXT NOT NULL
    );
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL REFERENCES sources(id),
        url TEXT NOT NULL,
        final_url TEXT,
        started_at TEXT NOT NULL,
        status INTEGER,
        etag TEXT,
        last_modified TEXT,
        sha256 TEXT REFERENCES documents(sha256),
        fingerprint TEXT,
        bytes INTEGER,
        elapsed_ms REAL,
        not_modified INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        observations INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX fetches_by_url ON fetches(url, id);
    CREATE INDEX fetches_by_source ON fetches(source_id, id);
    CREATE TABLE observations (
        id INTEGER PRIMARY KEY,
        indicator TEXT NOT NULL,
        period TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT NOT NULL,
        variant TEXT NOT NULL DEFAULT '',
        source_id TEXT NOT NULL REFERENCES sources(id),
        fetch_id INTEGER REFERENCES fetches(id),
        url TEXT,
        evidence TEXT,
        confidence REAL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'suspect')),
        reason TEXT,
        meta TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        current INTEGER NOT NULL DEFAULT 1
    );
    CREATE UNIQUE INDEX observations_identity
        ON observations(source_id, indicator, period, unit, variant, value);
    CREATE INDEX observations_by_indicator ON observations(indicator, period, current);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        indicator TEXT,
        period TEXT,
        unit TEXT,
        variant TEXT,
        source_id TEXT,
        old_value REAL,
        new_value REAL,
        baseline_value REAL,
        observation_id INTEGER REFERENCES observations(id),
        detail TEXT,
        created_at TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE  -- nothing is alerted twice
    );
    CREATE INDEX events_by_indicator ON events(indicator, period);
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        first_event_id INTEGER,
        last_event_id INTEGER,
        events INTEGER NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL
    );
    """,
    # 2: leases, so the daemon and a one-off refresh never refresh the same source at once
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,  -- "source:<id>", or "daemon:<owner>" for the daemon's heartbeat
        owner TEXT NOT NULL,    -- host:pid:token of the holder
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at REAL NOT NULL,  -- unix seconds
        expires_at REAL NOT NULL
    );
    """,
    # 3: per-subscriber digests in every format, the delivery outbox, each subscriber's progress
    """
    ALTER TABLE digests ADD COLUMN subscriber TEXT;
    ALTER TABLE digests ADD COLUMN markdown TEXT;
    ALTER TABLE digests ADD COLUMN payload TEXT;  -- the JSON webhook document
    ALTER TABLE digests ADD COLUMN images TEXT;  -- JSON {cid: base64 PNG}: the charts of the HTML
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,  -- stable: Message-ID of the email, Idempotency-Key of the webhook
        digest_id INTEGER NOT NULL REFERENCES digests(id),
        subscriber TEXT NOT NULL,
        channel TEXT NOT NULL,  -- redacted URL; the full one is resolved from the config at send time
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT NOT NULL,
        claimed_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_due ON outbox(status, next_attempt);
    CREATE TABLE subscriber_state (
        name TEXT PRIMARY KEY,
        last_event_id INTEGER NOT NULL DEFAULT 0,  -- the next digest batches every event after it
        last_slot TEXT,  -- the daily/weekly slot last handled (UTC ISO)
        last_digest_at TEXT,
        last_all_clear TEXT
    );
    """,
    # 4: the latest state of every URL, kept as fetches land, so a refresh starts without scanning
    # the whole (ever-growing) fetch history
    """
    CREATE TABLE url_state (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        sha256 TEXT,  -- NULL while the URL has never answered with a usable body
        fingerprint TEXT,
        observations INTEGER NOT NULL DEFAULT 0,
        gone INTEGER NOT NULL DEFAULT 0,  -- answered 404/410: an article not to fetch again
        updated_at TEXT NOT NULL
    );
    INSERT INTO url_state (url, etag, last_modified, sha256, fingerprint, observations, gone, updated_at)
        SELECT f.url, f.etag, f.last_modified, f.sha256, f.fingerprint, f.observations, 0, f.started_at
        FROM fetches f JOIN (SELECT url, max(id) AS id FROM fetches WHERE error IS NULL AND sha256 IS NOT NULL
                             GROUP BY url) last ON last.id = f.id;
    INSERT OR IGNORE INTO url_state (url, gone, updated_at)
        SELECT url, 1, max(started_at) FROM fetches WHERE status IN (404, 410) GROUP BY url;
    """,
    # 5: a source's current values, confirmed (last_seen) on every successful refresh of it
    """
    CREATE INDEX observations_by_source ON observations(source_id, current);
    """,
    # 6: the outbox keyed by the real channel, not by its redacted form: two webhooks that differ
    # only in a masked token are two rows. `channel_key` is an HMAC-SHA256 of the channel URL
    # (service.outbox.channel_identity) under a random per-database secret kept in `meta`. Rows
    # written before have no key and are matched by their redacted form, when that is unambiguous.
    """
    CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT OR IGNORE INTO meta (key, value) VALUES ('channel_key_secret', lower(hex(randomblob(32))));
    ALTER TABLE outbox ADD COLUMN channel_key TEXT;
    """,
    # 7: the fact sheet in SQL, for sqlite3 and Datasette users: `current_values` (each source's current
    # sane value, `standing` = 1 on the one that stands for its figure: official first, then the
    # longest-standing) and `factsheet` (each seed baseline beside the value standing now for its period
    # and the newest period's). The seed baselines live in TOML, so bridgewatch copies them here with the
    # status it judged (`judged_at`) after every refresh and `bridgewatch factsheet`; the values are live.
    # Periods of one indicator are of one kind, whose text sorts in time order (2024-12, FY2024-25, GII-2024).
    """
    CREATE TABLE seed_baselines (
        position INTEGER PRIMARY KEY,  -- the seeds' order
        indicator TEXT NOT NULL,
        period TEXT NOT NULL,
        unit TEXT NOT NULL,
        value REAL NOT NULL,
        seed TEXT,
        ref TEXT,
        cited_source TEXT,
        note TEXT,
        name TEXT,
        status TEXT,  -- confirmed | updated | contradicted | unverified | stale
        why TEXT,
        judged_at TEXT
    );
    CREATE VIEW current_values AS
        SELECT o.id, o.indicator, o.period, o.value, o.unit, o.variant, o.source_id,
            coalesce(s.role, 'news') AS role, o.evidence, o.url, o.first_seen, o.last_seen,
            row_number() OVER (PARTITION BY o.indicator, o.period, o.unit, o.variant
                               ORDER BY CASE s.role WHEN 'official' THEN 0 WHEN 'cited' THEN 1 ELSE 2 END,
                                        o.first_seen, o.id) = 1 AS standing
        FROM observations o LEFT JOIN sources s ON s.id = o.source_id
        WHERE o.current = 1 AND o.status = 'ok';
    CREATE VIEW factsheet AS
        WITH standing AS (SELECT * FROM current_values WHERE standing = 1 AND variant = ''),
        newest AS (SELECT indicator, unit, max(period) AS period FROM standing GROUP BY indicator, unit)
        SELECT b.indicator, b.name, b.period, b.value AS seed_value, b.unit, b.seed, b.ref, b.cited_source,
            b.status, b.why, now.value AS value_now, now.source_id AS source_now, now.evidence AS evidence_now,
            now.url AS url_now, n.period AS latest_period, latest.value AS latest_value,
            latest.source_id AS latest_source, b.judged_at
        FROM seed_baselines b
        LEFT JOIN standing now ON now.indicator = b.indicator AND now.period = b.period AND now.unit = b.unit
        LEFT JOIN newest n ON n.indicator = b.indicator AND n.unit = b.unit
        LEFT JOIN standing latest ON latest.indicator = n.indicator AND latest.unit = n.unit
            AND latest.period = n.period
        ORDER BY b.position;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if need be) and migrate the database at `path`."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> int:
    """Apply missing migrations in one transaction; returns the resulting version."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {current} is newer than this bridgewatch ({SCHEMA_VERSION}); upgrade bridgewatch"
        )
    if current == SCHEMA_VERSION:
        return current
    with write_transaction(db):
        # re-read under the write lock: another process may have migrated meanwhile
        current = db.execute("PRAGMA user_version").fetchone()[0]
        for version in range(current, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[version]):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return SCHEMA_VERSION


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front, so two processes (the daemon and a
    one-off refresh) queue on busy_timeout instead of deadlocking on a read-then-write upgrade."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line.split("--", 1)[0])
        candidate = "\n".join(buf).strip()
        if candidate.endswith(";") and sqlite3.complete_statement(candidate):
            out.append(candidate)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        out.append(tail)
    return out

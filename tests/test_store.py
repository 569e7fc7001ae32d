"""The SQLite store: forward migrations from an older database, WAL, foreign keys, integrity."""

from __future__ import annotations

import sqlite3

import pytest

from store.queries import Store
from store.schema import MIGRATIONS, SCHEMA_VERSION, _statements, connect


def old_database(path, version: int) -> None:
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_an_older_database_is_migrated_forward_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    old_database(path, 3)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO sources (id, kind, url, role) VALUES ('s', 'html', 'https://a.org/x', 'news')")
    conn.execute("INSERT INTO documents VALUES ('abc', 'text/html', 1, x'00', '2026-01-01')")
    conn.execute("INSERT INTO fetches (source_id, url, started_at, status, etag, sha256, observations) "
                 "VALUES ('s', 'https://a.org/x', '2026-01-01', 200, '\"e1\"', 'abc', 2)")
    conn.execute("INSERT INTO fetches (source_id, url, started_at, status, error) "
                 "VALUES ('s', 'https://a.org/gone', '2026-01-02', 404, 'HTTP 404')")
    conn.commit()
    conn.close()

    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    state = {r["url"]: r for r in store.db.query("SELECT * FROM url_state")}
    assert state["https://a.org/x"]["etag"] == '"e1"' and state["https://a.org/x"]["observations"] == 2
    assert state["https://a.org/gone"]["gone"] == 1
    assert store.counts()["fetches"] == 2  # history kept


def test_database_settings_and_a_newer_schema_is_refused(tmp_path):
    db = connect(tmp_path / "bw.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer than this bridgewatch"):
        connect(tmp_path / "bw.db")


def test_prune_forgets_old_history_nothing_stands_on(tmp_path):
    store = Store(tmp_path / "bw.db")
    with store.transaction():
        store.ensure_source("s", "html", "https://a.org/x", "news")
        store.save_document("old", b"old body", "text/html")
        store.save_document("kept", b"body with a figure", "text/html")
        store.db.execute("UPDATE documents SET first_seen = '2020-01-01'")
        old = store.record_fetch(source_id="s", url="https://a.org/x", started_at="2020-01-01", status=200,
                                 sha256="old", refresh_state=False)
        read = store.record_fetch(source_id="s", url="https://a.org/x", started_at="2020-01-02", status=200,
                                  sha256="kept", observations=1)
        store.insert_observation(indicator="pk_it_exports_monthly", period="2019-12", value=1e8, unit="USD",
                                 source_id="s", fetch_id=read, status="ok", first_seen="2020-01-02",
                                 last_seen="2020-01-02")
    removed = store.prune("2021-01-01")
    assert removed == {"fetches": 1, "documents": 1, "deliveries": 0}
    assert [r["id"] for r in store.db.query("SELECT id FROM fetches")] == [read] != [old]
    assert [r["sha256"] for r in store.db.query("SELECT sha256 FROM documents")] == ["kept"]
    assert store.counts()["observations"] == 1

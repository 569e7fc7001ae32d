"""The fact sheet: the status rules on literal rows (the model is pure), the renderers, the SQL views
(migration 7 over an older database), and the `factsheet` command on a refreshed database."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from service.config import Baseline, Indicator
from service.factsheet import build_rows, counts
from service.factsheet_render import render
from service.svgchart import svg
from store.factsheet import save_snapshot
from store.queries import Store
from store.schema import MIGRATIONS, SCHEMA_VERSION, _statements

MONTHLY = Indicator("pk_it_exports_monthly", "IT exports in one month", "USD", "month", ("USD",),
                    (Baseline("2024-12", 348e6, "USD", "001", "[4] Arab News", "arabnews"),))
RANK = Indicator("gii_rank", "GII rank", "rank", "edition", ("rank",),
                 (Baseline("GII-2024", 22, "rank", "001", "[5] WIPO", "wipo_results"),))


def obs(period, value, source, role="news", indicator="pk_it_exports_monthly", unit="USD", **extra):
    return {"indicator": indicator, "period": period, "value": value, "unit": unit, "variant": "",
            "source_id": source, "role": role, "status": "ok", "evidence": f"{source} says {value}",
            "url": f"https://{source}.example/x", "first_seen": "2026-11-01T00:00:00+00:00",
            "read_at": "2026-11-01T00:00:00+00:00", **extra}


def one(observations, health=None, citations=(), indicator=MONTHLY, feeds=None):
    rows = build_rows([indicator], observations, health or {}, citations, feeds)
    assert len(rows) == 1
    return rows[0]


def test_confirmed_within_the_rounding_either_states():
    row = one([obs("2024-12", 348.2e6, "sbp", "official"), obs("2024-12", 350e6, "dawn")])
    assert row.status == "confirmed" and "sbp" in row.why
    assert [s.source_id for s in row.stated] == ["sbp", "dawn"]  # official first
    assert row.stated[0].agrees


def test_an_official_value_outranks_news_and_contradicts_the_seed():
    row = one([obs("2024-12", 348e6, "dawn"), obs("2024-12", 361.4e6, "sbp", "official")])
    assert row.status == "contradicted" and "sbp (official) states US$361 million" in row.why


def test_the_cited_page_stating_another_figure_or_no_longer_stating_it_contradicts():
    assert one([obs("2024-12", 352e6, "arabnews", "cited")]).status == "contradicted"
    missing = {"source_id": "arabnews", "indicator": "pk_it_exports_monthly", "period": "2024-12",
               "change": "missing", "created_at": "2026-11-20T00:00:00+00:00"}
    row = one([obs("2024-12", 348e6, "arabnews", "cited")], citations=[missing])
    assert row.status == "contradicted" and "no longer states" in row.why
    # the page states it again after the notice: the notice no longer stands
    again = obs("2024-12", 348e6, "arabnews", "cited", read_at="2026-11-25T00:00:00+00:00")
    assert one([again], citations=[missing]).status == "confirmed"


def test_updated_when_a_newer_period_exists_with_its_value_as_latest():
    row = one([obs("2024-12", 348e6, "sbp", "official"), obs("2026-10", 412.6e6, "sbp", "official"),
               obs("2026-10", 413e6, "dawn")])
    assert row.status == "updated" and row.latest.period == "2026-10" and row.latest.source_id == "sbp"
    assert [p for p, _ in row.history] == ["2024-12", "2026-10"]


def test_unverified_and_stale():
    assert one([]).status == "unverified"
    assert one([], health={"arabnews": "broken"}).status == "stale"
    assert one([], health={"arabnews": "broken", "sbp": "ok"}, feeds={MONTHLY.id: ["sbp"]}).status == "unverified"
    confirmed_by_broken = one([obs("2024-12", 348e6, "reuters")], health={"reuters": "broken"})
    assert confirmed_by_broken.status == "stale" and "reuters (broken)" in confirmed_by_broken.why
    assert one([obs("2024-12", 348e6, "sbp", "official")], health={"sbp": "overdue"}).status == "stale"


def test_counts_and_json_csv_markdown_escape_scraped_text():
    hostile = obs("2024-12", 348e6, "dawn", evidence="<script>alert(1)</script> | =cmd() [x](javascript:y)",
                  url="javascript:alert(1)")
    rows = build_rows([MONTHLY, RANK], [hostile], {})
    assert counts(rows) == {"confirmed": 1, "updated": 0, "contradicted": 0, "unverified": 1, "stale": 0}
    page = render(rows, "html")
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "href=\"javascript" not in page
    assert page.count("<svg") == 2 and "<script" not in page
    data = json.loads(render(rows, "json"))
    assert {d["indicator"]: d["status"] for d in data} == {"pk_it_exports_monthly": "confirmed",
                                                           "gii_rank": "unverified"}
    table = list(csv.DictReader(io.StringIO(render(rows, "csv"))))
    assert table[0]["status"] == "confirmed" and table[0]["value_now"] == "348000000.0"
    md = render(rows, "md")
    assert "| IT exports in one month | 2024-12 | US$348 million | **confirmed** |" in md
    assert "[x](javascript" not in md and "javascript:alert" not in md


def test_svg_marks_the_seed_and_escapes():
    picture = svg([("2024-12", 348e6), ("2026-10", 412.6e6)], "USD", "2024-12", 348e6, "a <b> title")
    assert picture.startswith("<svg") and 'class="seed"' in picture and "seed-bar" in picture
    assert "a &lt;b&gt; title" in picture
    empty = svg([], "rank", "GII-2024", 22)  # no history: the seed alone, as a hollow bar
    assert "seed-slot" in empty and "seed #22" in empty


def old_database(path, version):
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_migration_adds_the_factsheet_and_current_values_views_over_existing_data(tmp_path):
    version = next(i for i, m in enumerate(MIGRATIONS) if "CREATE VIEW factsheet" in m)
    path = tmp_path / "old.db"
    old_database(path, version)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO sources (id, kind, url, role) VALUES ('sbp', 'sbp_ebops', 'https://sbp.org', "
                 "'official'), ('dawn', 'feed', 'https://dawn.com', 'news')")
    for source, period, value in (("dawn", "2024-12", 350e6), ("sbp", "2024-12", 348.2e6),
                                  ("sbp", "2026-10", 412.6e6)):
        conn.execute("INSERT INTO observations (indicator, period, value, unit, source_id, status, first_seen, "
                     "last_seen) VALUES ('pk_it_exports_monthly', ?, ?, 'USD', ?, 'ok', '2026-11-01', '2026-11-01')",
                     [period, value, source])
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    standing = [r for r in store.db.query("SELECT * FROM current_values WHERE standing")]
    assert {(r["period"], r["source_id"]) for r in standing} == {("2024-12", "sbp"), ("2026-10", "sbp")}
    save_snapshot(store, [{"indicator": "pk_it_exports_monthly", "period": "2024-12", "unit": "USD",
                           "value": 348e6, "status": "updated", "why": "a newer period exists"}])
    (row,) = store.db.query("SELECT * FROM factsheet")
    assert (row["seed_value"], row["value_now"], row["source_now"]) == (348e6, 348.2e6, "sbp")
    assert (row["latest_period"], row["latest_value"], row["status"]) == ("2026-10", 412.6e6, "updated")


def test_factsheet_command_in_every_format_and_the_view_follows(tmp_path, capsys):
    from service.cli import main

    db = tmp_path / "bw.db"
    store = Store(db)
    store.ensure_source("arabnews_2586784", "html", "https://www.arabnews.pk/x", "cited")
    store.insert_observation(indicator="pk_it_exports_monthly", period="2024-12", value=348e6, unit="USD",
                             source_id="arabnews_2586784", status="ok", evidence="$348 million in December",
                             first_seen="2026-11-01T00:00:00+00:00", last_seen="2026-11-01T00:00:00+00:00")
    store.close()
    assert main(["--db", str(db), "factsheet", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    monthly = next(d for d in data if d["indicator"] == "pk_it_exports_monthly")
    assert (monthly["period"], monthly["status"], monthly["stated"][0]["source"]) == (
        "2024-12", "confirmed", "arabnews_2586784")
    for name, marker in (("fs.html", "<svg"), ("fs.csv", "indicator,name,period"), ("fs.md", "| figure |")):
        assert main(["--db", str(db), "factsheet", "--out", str(tmp_path / name)]) == 0
        assert marker in (tmp_path / name).read_text(encoding="utf-8")
    assert "24 seed figures (1 confirmed" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        view = dict(conn.execute("SELECT indicator || ' ' || period, status FROM factsheet").fetchall())
    assert view["pk_it_exports_monthly 2024-12"] == "confirmed" and len(view) == 24


def test_datasette_metadata_describes_every_table_and_view():
    from pathlib import Path

    metadata = json.loads((Path(__file__).parent.parent / "datasette" / "metadata.json").read_text(encoding="utf-8"))
    described = metadata["databases"]["bridgewatch"]["tables"]
    store = Store(":memory:")
    names = {n: t for n, t in store.db.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                                                "AND name NOT LIKE 'sqlite_%'").fetchall()}
    assert set(names) == set(described), "a new table or view needs its line in datasette/metadata.json"
    for name, entry in described.items():
        assert entry["description"]
        columns = {r[1] for r in store.db.execute(f"PRAGMA table_info({name})").fetchall()}
        assert set(entry.get("columns", {})) <= columns, name
    assert described["meta"]["allow"] is False  # the channel-key secret is not served
    for query in metadata["databases"]["bridgewatch"]["queries"].values():
        store.db.execute("EXPLAIN " + query["sql"], {"indicator": "x"})


def test_a_refresh_rejudges_the_seed_baselines_for_the_sql_view(tmp_path, server):
    from service.config import load
    from service.pipeline import Pipeline
    from tests.conftest import write_config

    page = server.add("/news/it-exports", "<html><head><title>IT exports</title><meta property="
                      '"article:published_time" content="2025-01-17"></head><body><article><p>Pakistan\'s IT '
                      "exports rose to $348 million in December 2024, State Bank of Pakistan data showed.</p>"
                      "</article></body></html>")
    config = load(write_config(tmp_path, f'[[sources]]\nid = "dec_news"\nurl = "{page}"\nkind = "html"\n'), env={})
    store = Store(tmp_path / "bw.db")
    assert store.db.execute("SELECT count(*) FROM factsheet").fetchone()[0] == 0
    Pipeline(config, store).refresh([config.sources["dec_news"]])
    view = {r["indicator"] + " " + r["period"]: r for r in store.db.query("SELECT * FROM factsheet")}
    assert len(view) == 24 and all(r["judged_at"] for r in view.values())
    monthly = view["pk_it_exports_monthly 2024-12"]
    assert (monthly["status"], monthly["value_now"], monthly["source_now"]) == ("confirmed", 348e6, "dec_news")

"""The refresh pipeline end to end: loopback HTTP -> extract -> SQLite -> events, on a real file."""

from __future__ import annotations

import json
from datetime import date

from service.config import load
from service.diff import Differ
from service.pipeline import Pipeline
from store.queries import Store
from tests.conftest import write_config

TODAY = date(2026, 11, 22)


def article(title: str, *paragraphs: str, published: str = "2025-01-17") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<html><head><title>{title}</title><meta property="article:published_time" content="{published}">'
            f"</head><body><nav>Home | Business</nav><article><h1>{title}</h1>{body}</article>"
            "<footer>(c) News</footer></body></html>")


def worldbank(values: dict[str, float | None], lastupdated: str = "2026-10-28") -> str:
    rows = [{"indicator": {"id": "BX.GSR.CCIS.CD", "value": "ICT service exports (BoP, current US$)"},
             "country": {"id": "PK", "value": "Pakistan"}, "countryiso3code": "PAK", "date": year, "value": value,
             "unit": "", "obs_status": "", "decimal": 0} for year, value in values.items()]
    meta = {"page": 1, "pages": 1, "per_page": "50", "total": len(rows), "sourceid": "2",
            "sourcename": "WDI", "lastupdated": lastupdated}
    return json.dumps([meta, rows])


DEC_ARTICLE = article(
    "Pakistan posts record IT exports in December",
    "Pakistan's IT exports rose to $348 million in December 2024, up 28 percent year-on-year, "
    "State Bank of Pakistan data showed.",
)


def setup(tmp_path, server, sources: str, settings: str = "") -> tuple[Pipeline, Store]:
    path = write_config(tmp_path, sources + ("\n[settings]\n" + settings if settings else ""))
    config = load(path, env={})
    store = Store(tmp_path / "bw.db")
    return Pipeline(config, store, today=lambda: TODAY), store


def source_entry(ident: str, url: str, kind: str = "html", indicators: str = "", role: str = "news") -> str:
    extra = f"indicators = [{indicators}]\n" if indicators else ""
    return f'[[sources]]\nid = "{ident}"\nurl = "{url}"\nkind = "{kind}"\nrole = "{role}"\n{extra}\n'


def kinds(store: Store) -> list[tuple[str, str | None, str | None]]:
    return [(e["kind"], e["indicator"], e["period"]) for e in store.events()]


def test_refresh_stores_snapshots_and_events_once(tmp_path, server):
    page = server.add("/news/it-exports", DEC_ARTICLE)
    api = server.add("/wb", worldbank({"2024": 4.32e9, "2023": 3.74e9, "2025": None}), content_type="application/json")
    entries = source_entry("dec_news", page) + source_entry("wb", api, "worldbank", role="official")
    pipeline, store = setup(tmp_path, server, entries)
    report = pipeline.refresh(pipeline.config.only(["dec_news", "wb"]))
    assert not report.failed
    history = store.history("pk_it_exports_monthly")
    assert [(r["period"], r["value"], r["source_id"], r["status"]) for r in history] == [
        ("2024-12", 348e6, "dec_news", "ok")]
    assert "348 million" in history[0]["evidence"]
    events = kinds(store)
    assert ("new_period", "pk_it_exports_monthly", "2024-12") in events
    assert ("new_period", "pk_it_exports_monthly_yoy_pct", "2024-12") in events
    # first read of a source's history: only the latest period is news
    assert ("new_period", "pk_ict_service_exports_cy", "2024") in events
    assert ("new_period", "pk_ict_service_exports_cy", "2023") not in events
    assert [r["period"] for r in store.history("pk_ict_service_exports_cy")] == ["2023", "2024"]
    monthly = next(e for e in store.events() if e["indicator"] == "pk_it_exports_monthly")
    assert monthly["baseline_value"] == 348e6 and monthly["detail"]["baseline"]["seed"] == "001"

    before = store.counts()
    again = pipeline.refresh(pipeline.config.only(["dec_news", "wb"]))
    assert again.events == [] and not again.failed
    assert sum(s.unchanged for s in again.sources) == 2  # 304s: no body, no parse
    after = store.counts()
    assert after["events"] == before["events"] and after["observations"] == before["observations"]
    assert after["documents"] == before["documents"]  # bodies are stored once per sha256


def test_revision_record_and_sources_disagree(tmp_path, server):
    api = server.add("/wb", worldbank({"2023": 3.74e9, "2022": 3.61e9}), content_type="application/json")
    pipeline, store = setup(tmp_path, server, source_entry("wb", api, "worldbank", role="official")
                            + source_entry("wb_copy", server.url("/wb2"), "worldbank"))
    pipeline.refresh(pipeline.config.only(["wb"]))
    server.add("/wb", worldbank({"2024": 4.32e9, "2023": 3.80e9, "2022": 3.61e9}, "2026-11-20"),
               content_type="application/json")
    pipeline.refresh(pipeline.config.only(["wb"]))
    events = {(e["kind"], e["period"]): e for e in store.events() if e["indicator"] == "pk_ict_service_exports_cy"}
    revision = events[("revision", "2023")]
    assert (revision["old_value"], revision["new_value"]) == (3.74e9, 3.80e9)
    assert ("new_period", "2024") in events
    assert events[("record", "2024")]["old_value"] == 3.80e9
    current = [r for r in store.history("pk_ict_service_exports_cy") if r["period"] == "2023"]
    assert [(r["value"], r["current"]) for r in current] == [(3.74e9, 0), (3.80e9, 1)]

    server.add("/wb2", worldbank({"2024": 4.10e9}), content_type="application/json")
    pipeline.refresh(pipeline.config.only(["wb_copy"]))
    disagree = [e for e in store.events() if e["kind"] == "sources_disagree"]
    assert len(disagree) == 1 and disagree[0]["detail"]["other_source"] == "wb"
    assert disagree[0]["detail"]["official_sources"] == ["wb"]


def test_suspect_value_is_stored_as_suspect_not_alerted(tmp_path, server):
    api = server.add("/wb", worldbank({"2023": 3.74e9}), content_type="application/json")
    pipeline, store = setup(tmp_path, server, source_entry("wb", api, "worldbank"))
    pipeline.refresh(pipeline.config.only(["wb"]))
    # a slipped decimal (x1000) and a year that has not happened yet
    server.add("/wb", worldbank({"2031": 4.5e9, "2024": 4.32e12, "2023": 3.74e9}, "2026-11-20"),
               content_type="application/json")
    pipeline.refresh(pipeline.config.only(["wb"]))
    rows = {r["period"]: r for r in store.history("pk_ict_service_exports_cy")}
    assert rows["2024"]["status"] == "suspect" and rows["2031"]["status"] == "suspect"
    assert rows["2023"]["status"] == "ok"
    events = [e for e in store.events() if e["period"] in ("2024", "2031")]
    assert sorted((e["kind"], e["period"]) for e in events) == [("suspect", "2024"), ("suspect", "2031")]
    reasons = {e["period"]: e["detail"]["reason"] for e in events}
    assert "reference" in reasons["2024"] and "future" in reasons["2031"]
    assert [o.period for o in store.current_observations("pk_ict_service_exports_cy")] == ["2023"]
    pipeline.refresh(pipeline.config.only(["wb"]))  # seen again: not reported again
    assert len([e for e in store.events() if e["kind"] == "suspect"]) == 2


def test_failing_source_never_stops_the_others_and_breaks_after_n(tmp_path, server):
    good = server.add("/good", DEC_ARTICLE)
    bad = server.add("/bad", "oops", status=500)
    pipeline, store = setup(tmp_path, server, source_entry("good", good) + source_entry("bad", bad),
                            settings="broken_after = 2\nretries = 0")
    first = pipeline.refresh(pipeline.config.only(["bad", "good"]))
    assert [s.source_id for s in first.failed] == ["bad"] and "HTTP 500" in first.failed[0].error
    assert store.history("pk_it_exports_monthly")  # the good source still landed
    assert not [e for e in store.events() if e["kind"] == "source_broken"]
    pipeline.refresh(pipeline.config.only(["bad"]))
    broken = [e for e in store.events() if e["kind"] == "source_broken"]
    assert len(broken) == 1 and "HTTP 500" in broken[0]["detail"]["error"]
    pipeline.refresh(pipeline.config.only(["bad"]))  # still broken: not reported again
    assert len([e for e in store.events() if e["kind"] == "source_broken"]) == 1
    fetches = list(store.db.query("SELECT status, error FROM fetches WHERE source_id = 'bad'"))
    assert len(fetches) == 3 and all(f["status"] == 500 and f["error"] for f in fetches)

    server.add("/bad", DEC_ARTICLE)
    pipeline.refresh(pipeline.config.only(["bad"]))
    assert [e["kind"] for e in store.events()][-1] == "source_recovered"
    assert store.source_state("bad")["broken"] == 0


def test_layout_change_counts_as_failure_until_the_source_is_broken(tmp_path, server):
    page = server.add("/page", DEC_ARTICLE)
    pipeline, store = setup(tmp_path, server, source_entry("page", page), settings="broken_after = 2")
    pipeline.refresh(pipeline.config.only(["page"]))
    assert pipeline.refresh(pipeline.config.only(["page"])).sources[0].unchanged == 1  # 304: still fine
    server.add("/page", article("Site redesign", "Our new look is here."))
    report = pipeline.refresh(pipeline.config.only(["page"]))
    assert report.failed and "nothing extracted" in report.failed[0].error
    again = pipeline.refresh(pipeline.config.only(["page"]))  # the same redesigned page: still a failure
    assert again.failed and "nothing extracted" in again.failed[0].error
    assert [e["kind"] for e in store.events()][-1] == "source_broken"


def test_cited_page_gone_or_changed_raises_citation_changed(tmp_path, server):
    page = server.add("/cited", DEC_ARTICLE)
    entry = source_entry("arabnews_2586784", page, role="cited")  # override the seed source's URL only
    pipeline, store = setup(tmp_path, server, entry)
    pipeline.refresh(pipeline.config.only(["arabnews_2586784"]))
    assert not [e for e in store.events() if e["kind"] == "citation_changed"]  # still states $348M
    server.add("/cited", article("Pakistan posts record IT exports in December",
                                 "Pakistan's IT exports rose to $351 million in December 2024, revised data showed."))
    pipeline.refresh(pipeline.config.only(["arabnews_2586784"]))
    changed = {e["indicator"]: e for e in store.events() if e["kind"] == "citation_changed"}
    assert (changed["pk_it_exports_monthly"]["old_value"], changed["pk_it_exports_monthly"]["new_value"]) == (
        348e6, 351e6)
    # the new text no longer states the 28% growth the seed cites
    assert changed["pk_it_exports_monthly_yoy_pct"]["detail"]["change"] == "missing"
    server.routes.pop("/cited")
    pipeline.refresh(pipeline.config.only(["arabnews_2586784"]))
    gone = [e for e in store.events() if e["kind"] == "citation_changed" and e["detail"].get("change") == "gone"]
    assert len(gone) == 1 and gone[0]["detail"]["status"] == 404


def test_a_crash_while_storing_one_source_rolls_it_back_and_spares_the_others(tmp_path, server, monkeypatch):
    api = server.add("/wb", worldbank({"2024": 4.32e9}), content_type="application/json")
    page = server.add("/news", DEC_ARTICLE)
    pipeline, store = setup(tmp_path, server, source_entry("wb", api, "worldbank") + source_entry("news", page))
    real = Differ.events_for

    def crash(self, source, changes, backfill=False):
        if source.id == "wb":
            raise RuntimeError("power cut")
        return real(self, source, changes, backfill)

    monkeypatch.setattr(Differ, "events_for", crash)
    report = pipeline.refresh(pipeline.config.only(["wb", "news"]))
    failed = {s.source_id: s.error for s in report.failed}
    assert list(failed) == ["wb"] and "power cut" in failed["wb"]
    assert store.db.execute("SELECT count(*) FROM fetches WHERE source_id = 'wb'").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM observations WHERE source_id = 'wb'").fetchone()[0] == 0
    assert store.history("pk_it_exports_monthly")  # the other source landed
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.db.execute("SELECT count(*) FROM leases").fetchone()[0] == 0  # nothing left locked
    monkeypatch.undo()
    pipeline.refresh(pipeline.config.only(["wb"]))
    assert store.history("pk_ict_service_exports_cy")


def test_unchanged_fingerprint_skips_extraction(tmp_path, server):
    api = server.add("/wb", worldbank({"2024": 4.32e9}), content_type="application/json")
    pipeline, store = setup(tmp_path, server, source_entry("wb", api, "worldbank"))
    pipeline.refresh(pipeline.config.only(["wb"]))
    # same lastupdated stamp, bytes differ (key order): not re-read
    reordered = json.dumps(json.loads(worldbank({"2024": 4.32e9})), indent=2)
    server.add("/wb", reordered, content_type="application/json")
    report = pipeline.refresh(pipeline.config.only(["wb"]))
    assert report.sources[0].unchanged == 1 and report.sources[0].observations == 0


def test_rounded_news_figure_agrees_with_the_official_value(tmp_path, server):
    official = server.add("/stats", article("Monthly data", "Pakistan's IT exports were $412.6 million in "
                                            "October 2026, State Bank of Pakistan data showed.",
                                            published="2026-11-18"))
    rounded = server.add("/news", article("IT exports", "Pakistan's IT exports rose to $413 million in October "
                                          "2026, data showed.", published="2026-11-19"))
    wrong = server.add("/wrong", article("IT exports", "Pakistan's IT exports rose to $431 million in October "
                                         "2026, data showed.", published="2026-11-19"))
    pipeline, store = setup(tmp_path, server, source_entry("stats", official, role="official")
                            + source_entry("news", rounded) + source_entry("wrong", wrong))
    pipeline.refresh(pipeline.config.only(["stats", "news", "wrong"]))
    disagree = [e for e in store.events() if e["kind"] == "sources_disagree"]
    assert [(e["source_id"], e["detail"]["other_source"]) for e in disagree] == [("wrong", "stats")]


def test_cited_document_that_changes_without_readable_figures_is_flagged(tmp_path, server):
    page = server.add("/report", article("Annual report", "Our members grew in number this year."))
    pipeline, store = setup(tmp_path, server, source_entry("pseb_annual_report", page, kind="html", role="cited"))
    pipeline.refresh(pipeline.config.only(["pseb_annual_report"]))
    assert not store.events()
    server.add("/report", article("Annual report", "A new edition with new charts."))
    pipeline.refresh(pipeline.config.only(["pseb_annual_report"]))
    flagged = [e["detail"] for e in store.events() if e["kind"] == "citation_changed"]
    assert len(flagged) == 1 and flagged[0]["change"] == "document_changed"
    assert flagged[0]["previous_sha256"] != flagged[0]["sha256"]


def test_two_way_trade_is_derived_from_an_official_sources_parts(tmp_path, server):
    def comtrade(flow: str, value: float) -> str:
        return json.dumps({"elapsedTime": "0.1 secs", "count": 1, "error": "", "data": [{
            "typeCode": "C", "freqCode": "A", "refPeriodId": 20240101, "refYear": 2024, "refMonth": 52,
            "period": "2024", "reporterCode": 124, "reporterISO": "CAN", "flowCode": flow, "partnerCode": 586,
            "partnerISO": "PAK", "partner2Code": 0, "cmdCode": "TOTAL", "customsCode": "C00", "motCode": 0,
            "primaryValue": value, "fobvalue": value, "cifvalue": None, "isAggregate": True}]})

    x = server.add("/x", comtrade("X", 240e6), content_type="application/json")
    m = server.add("/m", comtrade("M", 410e6), content_type="application/json")
    sources = (f'[[sources]]\nid = "trade"\nurl = "{x}"\nalso = ["{m}"]\nkind = "comtrade"\nrole = "official"\n'
               'indicators = ["ca_exports_to_pk", "ca_imports_from_pk", "ca_pk_trade_total"]\n')
    pipeline, store = setup(tmp_path, server, sources)
    pipeline.refresh(pipeline.config.only(["trade"]))
    totals = store.history("ca_pk_trade_total")
    assert [(r["period"], r["value"], r["unit"]) for r in totals] == [("2024", 650e6, "USD")]


def test_first_read_of_a_history_raises_no_record_for_old_periods(tmp_path, server):
    rows = "".join(f"<tr><td>{p}</td><td>{v} million</td></tr>" for p, v in
                   (("2026-08", 420), ("2026-09", 400), ("2026-10", 410)))
    page = server.add("/table", f"<html><body><table>{rows}</table></body></html>")
    sources = (f'[[sources]]\nid = "table"\nurl = "{page}"\nkind = "html"\nunit = "USD"\n'
               'indicators = ["pk_it_exports_monthly"]\n'
               "pattern = '(?P<period>\\d{4}-\\d{2})\\s+(?P<value>\\d+ million)'\n")
    pipeline, store = setup(tmp_path, server, sources)
    pipeline.refresh(pipeline.config.only(["table"]))
    assert len(store.history("pk_it_exports_monthly")) == 3
    # only the latest period is news; August, the highest, is history and no "record"
    assert kinds(store) == [("new_period", "pk_it_exports_monthly", "2026-10")]
    rows += "<tr><td>2026-11</td><td>455 million</td></tr>"
    server.add("/table", f"<html><body><table>{rows}</table></body></html>")
    pipeline.refresh(pipeline.config.only(["table"]))
    record = [e for e in store.events() if e["kind"] == "record"]
    assert [(e["period"], e["old_value"]) for e in record] == [("2026-11", 420e6)]


def test_feed_links_to_private_addresses_are_not_followed():
    from service.pipeline import may_follow

    feed = "https://www.dawn.com/feeds/business"
    assert may_follow("https://www.dawn.com/news/1", feed)
    assert may_follow("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/feed.xml")  # the feed's own host
    for bad in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8477/metrics", "http://10.0.0.5/",
                "http://[::1]/", "file:///etc/passwd", "ftp://example.org/x"):
        assert not may_follow(bad, feed), bad

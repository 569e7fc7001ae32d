"""Issue 14 (min_change_pct on new periods, stale sources, chat formats) and issue 10 items 5, 9, 11
(cursors before a refresh, XML-forbidden characters, the status server's timeout and quiet logs)."""

from __future__ import annotations

import logging
import socket
import sqlite3
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import apprise
import pytest

from service import health, notify, web
from service.cli import main
from service.config import load
from service.delivery import apprise_channel
from service.delivery.base import Message
from service.metrics import Metrics
from store.queries import Store
from tests.conftest import write_config
from tests.receivers import webhook

PAGE = """<html><head><title>IT exports</title></head><body><article>
<p class="figure">IT exports of ${value} million in {period}{tail}</p></article></body></html>"""


def page(value: str, period: str, tail: str = "") -> str:
    return PAGE.format(value=value, period=period, tail=tail)


def config_text(url: str, channel: str, extra_sub: str = "", extra_src: str = "") -> str:
    return f"""
[settings]
seed_sources = false

[[sources]]
id = "my_page"
url = "{url}"
kind = "html"
indicators = ["pk_it_exports_monthly"]
selector = ".figure"
pattern = 'IT exports of \\$(?P<value>[\\d.]+ million) in (?P<period>\\w+ \\d{{4}})'
unit = "USD"
schedule = "every 1d"
{extra_src}

[[subscribers]]
name = "analyst"
channels = ["{channel}"]
{extra_sub}
"""


def refresh(capsys, db: str, config: str, *extra: str) -> tuple[int, str, str]:
    code = main(["--db", db, "--config", config, "refresh", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def sent_events(hook) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e for r in hook.requests for e in r.json()["events"]]


# --- issue 14.4: min_change_pct applies to a new period against the previous period ---------------


def test_min_change_pct_drops_a_new_month_barely_above_the_previous_one(capsys, tmp_path, server):
    url = server.add("/p", page("400.0", "September 2026"))
    with webhook() as hook:
        config = str(write_config(tmp_path, config_text(url, hook.url(), "min_change_pct = 1.0")))
        db = str(tmp_path / "bw.db")
        refresh(capsys, db, config)
        assert [e["period"] for e in sent_events(hook)] == ["2026-09"]  # +14.9% on the seed baseline: sent
        server.add("/p", page("400.56", "October 2026"))  # +0.14% on September
        refresh(capsys, db, config)
        assert [e["period"] for e in sent_events(hook)] == ["2026-09"], sent_events(hook)
        server.add("/p", page("412.6", "November 2026"))  # +3% on October: sent
        refresh(capsys, db, config)
        assert [e["period"] for e in sent_events(hook)][-1] == "2026-11"
    kinds = {e["kind"] for e in Store(db).events()}
    assert "new_period" in kinds


def test_a_new_period_event_carries_the_previous_period_it_is_judged_against(tmp_path, server):
    from service.config import Subscriber

    sub = Subscriber("a", ("json://h/x",), min_change_pct=1.0)
    event = {"kind": "new_period", "indicator": "pk_it_exports_monthly", "new_value": 400.56e6, "old_value": None,
             "baseline_value": 348e6, "detail": {"previous_period": "2026-09", "previous_value": 400e6}}
    assert not notify.wanted(sub, event)
    assert notify.wanted(sub, {**event, "detail": {}})  # no previous period: against the baseline (+15%)


# --- issue 10.5: a subscriber's cursor exists before the refresh ---------------------------------


def test_events_of_a_refresh_killed_before_sending_are_sent_by_the_next_run(capsys, tmp_path, server, monkeypatch):
    url = server.add("/p", page("412.6", "October 2026"))
    with webhook() as hook:
        config = str(write_config(tmp_path, config_text(url, hook.url())))
        db = str(tmp_path / "bw.db")

        def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt  # the process dies after the refresh committed, before any digest

        monkeypatch.setattr(notify, "after_refresh", killed)
        code, _, _ = refresh(capsys, db, config)
        assert code == 130 and Store(db).max_event_id() > 0 and not hook.requests
        monkeypatch.undo()
        refresh(capsys, db, config)  # nothing new this time (unchanged page)
        assert [e["period"] for e in sent_events(hook)] == ["2026-10"]


# --- issue 14.5: staleness ---------------------------------------------------------------------


def _age(db: str, days: float) -> None:
    moment = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sources SET last_success = ?, last_attempt = ?", [moment, moment])


def test_one_source_stale_event_per_lapse_cleared_by_the_next_success(capsys, tmp_path, server):
    url = server.add("/p", page("412.6", "October 2026"))
    with webhook() as hook:
        config = str(write_config(tmp_path, config_text(url, hook.url(), "events = ['source_stale']")))
        db = str(tmp_path / "bw.db")
        refresh(capsys, db, config)
        cfg, store = load(config, env={}), Store(db)
        assert health.record_stale_events(cfg, store) == []
        _age(db, 40)
        first = health.record_stale_events(cfg, store)
        assert len(first) == 1 and health.record_stale_events(cfg, store) == []  # once per lapse
        notify.after_refresh(cfg, store, first)
        stale = [e for e in sent_events(hook) if e["kind"] == "source_stale"]
        assert len(stale) == 1 and "no successful refresh for 40 days" in stale[0]["note"]
        refresh(capsys, db, config)  # a success clears it
        assert health.all_health(cfg, store)["my_page"].state == "ok"
        assert health.record_stale_events(cfg, store) == []
        _age(db, 5)  # a new lapse is news again
        assert len(health.record_stale_events(cfg, store)) == 1


def test_stale_after_per_source_and_stale_intervals_in_settings(tmp_path):
    path = write_config(tmp_path, """
[settings]
stale_intervals = 5

[[sources]]
id = "sbp_ebops"
stale_after = "40d"
""")
    config = load(path, env={})
    assert health.stale_after(config.sources["sbp_ebops"], config.settings) == 40 * 86400
    samena = config.sources["samena_news"]  # every 6h
    assert health.stale_after(samena, config.settings) == 5 * 6 * 3600


def test_status_page_and_metrics_show_a_stale_source(capsys, tmp_path, server):
    url = server.add("/p", page("412.6", "October 2026"))
    config = str(write_config(tmp_path, config_text(url, "json://127.0.0.1:9/x")))
    db = str(tmp_path / "bw.db")
    refresh(capsys, db, config, "--no-notify")
    _age(db, 40)
    cfg, store = load(config, env={}), Store(db)
    site = web.Site(cfg, list(cfg.sources.values()), db, lambda: [], lambda s: "", lambda: {})
    html = web.status_page(site, store)
    assert "<tr class='stale'>" in html and "no successful refresh for 40 days" in html
    text = Metrics().render(store.db, {}, health.all_health(cfg, store))
    assert 'bridgewatch_source_stale{source="my_page"} 1' in text
    assert 'bridgewatch_source_state{source="my_page",state="stale"} 1' in text


def test_a_refresh_exceeding_the_job_timeout_counts_toward_source_broken(tmp_path):
    from service.scheduler import Daemon

    path = write_config(tmp_path, "[settings]\nbroken_after = 2\n")
    config = load(path, env={})
    db = str(tmp_path / "bw.db")
    daemon = Daemon(config, db, job_timeout=1.0)
    source = config.sources["sbp_ebops"]
    daemon._timed_out(source)
    row = Store(db).source_state("sbp_ebops")
    assert row["consecutive_failures"] == 1 and not row["broken"] and "job timeout" in row["last_error"]
    daemon._timed_out(source)
    store = Store(db)
    assert store.source_state("sbp_ebops")["broken"] == 1
    assert [e["kind"] for e in store.events()] == ["source_broken"]
    daemon.store.close()


# --- issue 10.9: characters XML forbids never reach the store or the feed -------------------------


def test_xml_forbidden_characters_in_scraped_text_are_stripped_and_the_feed_stays_valid(capsys, tmp_path, server):
    url = server.add("/p", page("412.6", "October 2026", tail=" \ufffe\uffff record\x0b high"))
    config = str(write_config(tmp_path, config_text(url, "json://127.0.0.1:9/x")))
    db = str(tmp_path / "bw.db")
    refresh(capsys, db, config, "--no-notify")
    evidence = sqlite3.connect(db).execute("SELECT evidence FROM observations").fetchone()[0]
    assert "record" in evidence and not {"\ufffe", "\uffff", "\x0b"} & set(evidence)
    store = Store(db)
    store.add_event(kind="citation_changed", source_id="my_page", dedupe_key="x",
                    detail={"evidence": "bad \ufffe text \x01", "url": url, "change": "figure"})
    main(["--db", db, "--config", config, "feed"])
    feed = capsys.readouterr().out
    ET.fromstring(feed.encode())  # parses: no forbidden character made it through
    assert "\ufffe" not in feed


# --- issue 14.8: each chat channel gets the format it renders -------------------------------------


def _message() -> Message:
    return Message("subject", "US$437 million (plain)\n", "<p>html</p>", "**US$437 million** \\(markdown\\)\n", {})


def test_ntfy_gets_plain_text_and_slack_markdown():
    ntfy = apprise.Apprise.instantiate("ntfy://127.0.0.1:9/topic")
    slack = apprise.Apprise.instantiate("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general")
    assert apprise_channel.body_for(ntfy, _message()) == ("US$437 million (plain)\n", apprise.NotifyFormat.TEXT)
    assert apprise_channel.body_for(slack, _message())[1] == apprise.NotifyFormat.MARKDOWN


def test_an_ntfy_post_carries_no_markdown_escapes():
    with webhook() as hook:
        apprise_channel.deliver(f"ntfy://127.0.0.1:{hook.port}/bridgewatch", _message(), "row-1", timeout=5)
    body = hook.requests[0].body.decode()
    assert "US$437 million (plain)" in body and "**" not in body and "\\(" not in body


# --- issue 10.11: the status server drops idle clients and logs no tracebacks ------------------------


@pytest.mark.slow
def test_status_server_closes_idle_connections_and_stays_quiet_on_disconnects(tmp_path, monkeypatch, caplog,
                                                                             capsys):
    monkeypatch.setattr(web._Handler, "timeout", 0.5)
    root = logging.getLogger()  # earlier tests' `main()` left a handler on a stream pytest has closed since
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if type(h) is not logging.StreamHandler])
    config = load(env={})
    site = web.Site(config, [], str(tmp_path / "bw.db"), lambda: [], lambda s: "", lambda: {})
    Store(tmp_path / "bw.db").close()
    server = web.serve(site, "127.0.0.1", 0)
    port = server.server_address[1]
    try:
        with caplog.at_level(logging.DEBUG, logger="bridgewatch.web"):
            idle = socket.create_connection(("127.0.0.1", port))
            idle.settimeout(5)
            started = time.monotonic()
            assert idle.recv(100) == b""  # closed by the server, not held open
            assert time.monotonic() - started < 4
            idle.close()
            for _ in range(3):  # clients that hang up half-way through a request or before the answer
                rude = socket.create_connection(("127.0.0.1", port))
                rude.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                rude.close()
            time.sleep(0.5)
            ok = socket.create_connection(("127.0.0.1", port))
            ok.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            assert ok.recv(100).startswith(b"HTTP/1.0 200")
            ok.close()
    finally:
        server.shutdown()
        server.server_close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "Traceback" not in capsys.readouterr().err

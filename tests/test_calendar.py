"""The release calendar: rhythms declared as data, states judged from what is stored, and a release that
never arrives alerted once (the clock moved, not slept), delivered once to a real loopback webhook."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from service.calendar import DUE, ON_TIME, OVERDUE, UNSEEN, calendar, check_releases, release_state
from service.cli import main
from service.config import ConfigError, load
from service.scheduler import Daemon
from service.web import Site, serve
from store.queries import Store
from tests.conftest import write_config
from tests.receivers import webhook

PAGE = "<html><body><p class='figure'>IT exports of $300 million in {period}</p></body></html>"


def source_toml(url: str, release: str = 'release = { every = "month", after = "14d", window = "7d", grace = "2d" }',
                subscriber: str = "") -> str:
    return f"""
[settings]
seed_sources = false

[[sources]]
id = "loop_sbp"
url = "{url}"
kind = "html"
role = "official"
indicators = ["pk_it_exports_monthly"]
selector = ".figure"
pattern = 'IT exports of \\$(?P<value>[\\d.]+ million) in (?P<period>\\d{{4}}-\\d{{2}})'
unit = "USD"
{release}
{subscriber}
"""


def test_the_official_seed_sources_declare_their_rhythm():
    config = load(env={})
    rhythms = {sid: config.sources[sid].release for sid in
               ("sbp_ebops", "worldbank_ict", "statcan_cimt", "comtrade_ca_pk", "wipo_gii")}
    assert all(rhythms.values())
    assert rhythms["sbp_ebops"].every == "month" and rhythms["sbp_ebops"].period == "month"
    # SBP: November's figure in the third week of December
    start, end = rhythms["sbp_ebops"].window_of("2026-11")
    assert (start.date().isoformat(), end.date().isoformat()) == ("2026-12-15", "2026-12-22")
    assert rhythms["statcan_cimt"].every == "month" and rhythms["statcan_cimt"].period == "year"
    assert rhythms["wipo_gii"].period == "edition" and rhythms["wipo_gii"].next_period("GII-2025") == "GII-2026"
    assert rhythms["wipo_gii"].window_of("GII-2026")[0].month == 9


@pytest.mark.parametrize(("release", "message"), [
    ('release = { evry = "month", after = "14d" }', "unknown key 'evry' in release (did you mean `every`?)"),
    ('release = { every = "week", after = "14d" }', "release.every must be one of month, year"),
    ('release = { every = "month" }', "release.after is required"),
    ('release = { every = "month", after = "soon" }', "not a duration"),
    ('release = { every = "year", period = "quarter", after = "9d" }', "release.period must be one of"),
    ('release = "monthly"', "release must be a table"),
])
def test_a_users_release_rhythm_is_validated(tmp_path, release, message):
    with pytest.raises(ConfigError) as caught:
        load(write_config(tmp_path, source_toml("http://127.0.0.1:1/x", release)), env={})
    assert message in str(caught.value) and "loop_sbp" in str(caught.value)


def test_states_follow_the_window_and_the_grace(tmp_path):
    config = load(write_config(tmp_path, source_toml("http://127.0.0.1:1/x")), env={})
    store = Store(tmp_path / "bw.db")
    assert [e.state for e in calendar(config, store, datetime(2026, 12, 1, tzinfo=UTC))] == [UNSEEN]
    store.ensure_source("loop_sbp", "html", "http://127.0.0.1:1/x", "official")
    store.insert_observation(indicator="pk_it_exports_monthly", period="2026-10", value=3e8, unit="USD", variant="",
                             source_id="loop_sbp", status="ok", first_seen="2026-11-18T09:00:00+00:00",
                             last_seen="2026-11-18T09:00:00+00:00", current=1)
    at = {day: calendar(config, store, datetime(2026, 12, day, tzinfo=UTC))[0] for day in (1, 15, 23, 24, 25)}
    line = at[1]
    assert (line.last_period, line.next_period, line.window_start, line.window_end) == (
        "2026-10", "2026-11", "2026-12-15", "2026-12-21")
    assert line.last_seen.startswith("2026-11-18")
    assert [at[d].state for d in (1, 15, 23, 24, 25)] == [ON_TIME, DUE, DUE, DUE, OVERDUE]
    assert release_state(config, store, "loop_sbp", datetime(2026, 12, 25, tzinfo=UTC)) == OVERDUE
    assert release_state(config, store, "no_such_source") is None
    late = datetime(2026, 12, 25, tzinfo=UTC)
    assert check_releases(config, store, late, skip={"loop_sbp"}) == []  # about to be refreshed: wait for it
    assert len(check_releases(config, store, late)) == 1 and check_releases(config, store, late) == []


def test_a_release_that_never_arrives_is_alerted_once_and_cleared_when_it_does(capsys, tmp_path, server):
    url = server.add("/sbp", PAGE.format(period="2026-10"))
    with webhook() as hook:
        subscriber = f'[[subscribers]]\nname = "desk"\nchannels = ["{hook.url()}"]\ncadence = "immediate"\n'
        path = write_config(tmp_path, source_toml(url, subscriber=subscriber))
        db = str(tmp_path / "bw.db")
        assert main(["--db", db, "--config", str(path), "refresh"]) == 0  # today (2026-12-01): on time
        sent_before = len(hook.requests)
        config = load(path, env={})
        clock = [datetime(2026, 12, 20, tzinfo=UTC)]
        daemon = Daemon(config, db, clock=lambda: clock[0])
        try:
            assert daemon._releases() == []  # in the window: due, not overdue
            clock[0] = datetime(2026, 12, 24, 0, 0, 1, tzinfo=UTC)  # window (to the 21st) + 2 days' grace, passed
            first = daemon._releases()
            assert len(first) == 1
            clock[0] += timedelta(days=3)
            assert daemon._releases() == []  # the same late period is never alerted twice
        finally:
            daemon.store.close()
        overdue = [r for r in hook.requests[sent_before:] if b"release_overdue" in r.body]
        assert len(hook.requests) - sent_before == 1 and len(overdue) == 1
        assert b"2026-11 was expected 2026-12-15 to 2026-12-21 and has not appeared" in overdue[0].body
        store = Store(db)
        (event,) = [e for e in store.events() if e["kind"] == "release_overdue"]
        assert (event["source_id"], event["period"]) == ("loop_sbp", "2026-11")
        assert event["detail"]["window_end"] == "2026-12-21"

        server.add("/sbp", PAGE.format(period="2026-11"))
        capsys.readouterr()
        assert main(["--db", db, "--config", str(path), "refresh", "--no-notify"]) == 0
        kinds = [e["kind"] for e in store.events()]
        assert kinds.count("release_arrived") == 1 and kinds.count("release_overdue") == 1
        assert check_releases(config, store, datetime(2027, 1, 2, tzinfo=UTC)) == []
        assert calendar(config, store, datetime(2027, 1, 2, tzinfo=UTC))[0].next_period == "2026-12"
        store.close()


def test_calendar_command_and_the_daemons_calendar_page(capsys, tmp_path, server):
    url = server.add("/sbp", PAGE.format(period="2026-10"))
    path = write_config(tmp_path, source_toml(url))
    db = str(tmp_path / "bw.db")
    assert main(["--db", db, "--config", str(path), "refresh"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "--config", str(path), "calendar", "--format", "json"]) == 0
    (line,) = json.loads(capsys.readouterr().out)
    assert line["source_id"] == "loop_sbp" and line["last_period"] == "2026-10" and line["next_period"] == "2026-11"
    assert line["state"] in (ON_TIME, DUE, OVERDUE) and line["window_start"] == "2026-12-15"
    assert main(["--db", db, "--config", str(path), "calendar", "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "| loop_sbp |" in out and "2026-12-15 to 2026-12-21" in out
    assert main(["--db", db, "--config", str(path), "calendar"]) == 0
    assert "loop_sbp" in capsys.readouterr().out

    config = load(path, env={})
    site = Site(config, list(config.sources.values()), db, lambda: [], lambda store: "", lambda: {})
    http = serve(site, "127.0.0.1", 0)
    try:
        port = http.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/calendar", timeout=10) as answer:
            page = answer.read().decode()
        assert answer.status == 200 and "Release calendar" in page and "loop_sbp" in page and "2026-11" in page
    finally:
        http.shutdown()
        http.server_close()


def test_the_readme_lists_the_release_keys():
    from service import docs
    from service.config import RELEASE_KEYS

    section = docs.README.read_text(encoding="utf-8").split(docs.START, 1)[1].split(docs.END, 1)[0]
    assert all(f"| `{key.name}` | {key.type} |" in section for key in RELEASE_KEYS)

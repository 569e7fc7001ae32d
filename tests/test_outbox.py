"""The outbox and the cadences, over real sockets: delivered once, retried with backoff, never lost."""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service import notify, outbox
from service.cli import main
from service.config import Config, Settings, load
from store.queries import Store
from tests.conftest import RECORDED, write_config
from tests.events import event
from tests.receivers import free_port, smtp_server, webhook

NOW = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)  # a Thursday


def configure(tmp_path, channels: list[str], settings: str = "", **subscriber: object) -> Config:
    lines = ["[settings]", "delivery_backoff = 60.0", settings, "", "[[subscribers]]", 'name = "analyst"',
             f"channels = {json.dumps(channels)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in subscriber.items()]
    return load(write_config(tmp_path, "\n".join(lines) + "\n"), env={})


@pytest.fixture
def store(db_path):
    db = Store(db_path)
    yield db
    db.close()


def test_events_reach_each_channel_once_with_a_stable_id(tmp_path, store):
    with webhook() as one, webhook() as two:
        config = configure(tmp_path, [one.url("/a"), two.url("/b")])
        first = event(store, "new_period")
        attempts = notify.after_refresh(config, store, [first], now=NOW)
        assert [a.status for a in attempts] == ["sent", "sent"]
        assert notify.after_refresh(config, store, [], now=NOW + timedelta(minutes=5)) == []
    assert len(one.requests) == len(two.requests) == 1
    keys = {one.requests[0].headers["Idempotency-Key"], two.requests[0].headers["Idempotency-Key"]}
    assert keys == {a.id for a in attempts} and len(keys) == 2
    body = one.requests[0].json()
    assert body["id"] in keys and body["subscriber"] == "analyst" and [e["id"] for e in body["events"]] == [first]
    assert store.outbox_counts() == {"pending": 0, "sending": 0, "sent": 2, "dead": 0}


@pytest.mark.slow
def test_one_failing_channel_never_blocks_the_others(tmp_path, store):
    with webhook(hang=True) as stuck, webhook() as good:
        config = configure(tmp_path, [stuck.url(), f"json://127.0.0.1:{free_port()}/nobody", good.url()],
                           settings="delivery_timeout = 1.0")
        started = time.monotonic()
        attempts = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        assert time.monotonic() - started < 10
    by_channel = {a.channel.split("/")[2]: a for a in attempts}
    assert by_channel[f"127.0.0.1:{good.port}"].ok and len(good.requests) == 1
    failed = [a for a in attempts if not a.ok]
    assert {a.status for a in failed} == {"pending"} and len(failed) == 2
    assert any("no answer within 1s" in a.error for a in failed)
    assert any("cannot connect" in a.error for a in failed)


def test_failed_sends_retry_with_backoff_until_they_succeed(tmp_path, store):
    with webhook(fail_first=2) as hook:
        config = configure(tmp_path, [hook.url()])
        [attempt] = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        assert attempt.status == "pending" and "HTTP 503" in attempt.error
        row = store.outbox_row(attempt.id)
        first_wait = datetime.fromisoformat(row["next_attempt"]) - NOW
        assert timedelta(seconds=30) <= first_wait <= timedelta(seconds=90)  # 60s ± 50% jitter
        assert outbox.deliver_due(config, store, NOW + timedelta(seconds=10)) == []  # not due yet
        [second] = outbox.deliver_due(config, store, NOW + timedelta(minutes=2))
        assert second.status == "pending" and second.attempts == 2
        [third] = outbox.deliver_due(config, store, NOW + timedelta(hours=1))
        assert third.ok and third.attempts == 3
    assert [r.headers["Idempotency-Key"] for r in hook.requests] == [attempt.id] * 3
    assert len({r.body for r in hook.requests}) == 1  # the very same document each time


def test_backoff_doubles_with_jitter_and_a_cap():
    settings = Settings(delivery_backoff=10.0, delivery_backoff_max=100.0)
    assert outbox.backoff(settings, 1, rng=lambda: 0.5) == 10.0
    assert outbox.backoff(settings, 3, rng=lambda: 0.5) == 40.0
    assert outbox.backoff(settings, 3, rng=lambda: 0.0) == 20.0 and outbox.backoff(settings, 3, rng=lambda: 1.0) == 60.0
    assert outbox.backoff(settings, 30, rng=random.random) <= 100.0


def test_dead_after_the_limit_visible_and_retried_by_hand(tmp_path, store, capsys):
    with webhook(status=500) as hook:
        config = configure(tmp_path, [hook.url()], settings="delivery_attempts = 2")
        [first] = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        [last] = outbox.deliver_due(config, store, NOW + timedelta(hours=1))
        assert (first.status, last.status, last.attempts) == ("pending", "dead", 2)
        assert outbox.deliver_due(config, store, NOW + timedelta(days=1)) == []  # dead stays dead
        db = ["--db", store.path, "--config", str(config.path)]
        assert main([*db, "status"]) == 0
        assert "outbox: 0 pending, 0 sent, 1 dead" in capsys.readouterr().out
        assert main([*db, "outbox"]) == 0
        out = capsys.readouterr().out
        assert last.id in out and "dead" in out and "HTTP 500" in out
        hook.status = 200
        assert main([*db, "outbox", "--retry", last.id]) == 0
        assert main([*db, "outbox", "--retry", "no-such-id"]) == 1
        [again] = outbox.deliver_due(config, store, datetime.now(UTC))
        assert again.ok and again.id == last.id
    assert [r.headers["Idempotency-Key"] for r in hook.requests] == [last.id] * 3


def test_retry_dead_and_permanent_errors(tmp_path, store):
    with webhook(status=404) as hook:
        config = configure(tmp_path, [hook.url()])
        [attempt] = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        assert attempt.status == "dead" and attempt.attempts == 1 and "HTTP 404" in attempt.error
        hook.status = 200
        assert outbox.retry_dead(store, NOW) == 1
        assert [a.status for a in outbox.deliver_due(config, store, NOW)] == ["sent"]


@pytest.mark.parametrize("channel", ["webhook", "email"])
def test_a_crash_between_send_and_record_is_followed_by_one_resend_with_the_same_id(
        tmp_path, store, monkeypatch, channel):
    with webhook() as hook, smtp_server() as box:
        url = hook.url() if channel == "webhook" else f"mailto://127.0.0.1:{box.port}?to=a@example.org"
        config = configure(tmp_path, [url])
        real_record = outbox.record

        def crash(*args, **kwargs):
            raise SystemExit("killed after sending, before recording")

        monkeypatch.setattr(outbox, "record", crash)
        with pytest.raises(SystemExit):
            notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        monkeypatch.setattr(outbox, "record", real_record)
        [row] = store.outbox()
        assert row["status"] == "sending"
        assert outbox.deliver_due(config, store, NOW + timedelta(minutes=1)) == []  # still leased: no double send
        [resent] = outbox.deliver_due(config, store, NOW + timedelta(seconds=config.settings.delivery_lease + 1))
        assert resent.ok and resent.id == row["id"]
        assert outbox.deliver_due(config, store, NOW + timedelta(days=1)) == []
    if channel == "webhook":
        assert [r.headers["Idempotency-Key"] for r in hook.requests] == [row["id"], row["id"]]
    else:
        assert [m["Message-ID"] for m in box.messages] == [f"<{row['id']}@bridgewatch>"] * 2


def test_secrets_never_reach_the_database_or_the_logs(tmp_path, store, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    with webhook(status=503) as hook:
        url = f"json://bw:pw-1234567@127.0.0.1:{hook.port}/hook?+X-Token=tok-7654321"
        config = configure(tmp_path, [url, "mailto://bw:smtp-9876543@127.0.0.1:9?to=a@example.org"])
        attempts = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        assert {a.status for a in attempts} == {"pending"}
        dump = "\n".join(store.db.conn.iterdump())
        for secret in ("pw-1234567", "tok-7654321", "smtp-9876543"):
            assert secret not in dump and secret not in caplog.text
            assert all(secret not in (a.error or "") for a in attempts)
        # a rotated password keeps the channel's identity: the pending row is sent with the new one
        hook.status = 200
        rotated = configure(tmp_path, [url.replace("pw-1234567", "pw-rotated"),
                                       "mailto://bw:smtp-9876543@127.0.0.1:9?to=a@example.org"])
        done = outbox.deliver_due(rotated, store, NOW + timedelta(hours=1))
        assert [a.status for a in done if a.channel.startswith("json")] == ["sent"]
    assert hook.requests[-1].headers["Authorization"] != hook.requests[0].headers["Authorization"]


def test_a_channel_removed_from_the_config_is_reported_not_guessed(tmp_path, store):
    with webhook(status=503) as hook:
        config = configure(tmp_path, [hook.url()])
        notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
    other = configure(tmp_path, ["json://127.0.0.1:9/elsewhere"])
    [attempt] = outbox.deliver_due(other, store, NOW + timedelta(hours=1))
    assert attempt.status == "dead" and "no longer configured" in attempt.error


# --- cadence and filters -----------------------------------------------------------------------


def test_cadence_slots_in_the_subscribers_time_zone():
    karachi = ZoneInfo("Asia/Karachi")  # UTC+5
    daily = notify.parse_cadence("daily 07:30")
    assert daily.last_slot(datetime(2026, 1, 15, 3, 0, tzinfo=UTC), karachi) == datetime(2026, 1, 15, 2, 30, tzinfo=UTC)
    assert daily.last_slot(datetime(2026, 1, 15, 2, 0, tzinfo=UTC), karachi) == datetime(2026, 1, 14, 2, 30, tzinfo=UTC)
    weekly = notify.parse_cadence("weekly Monday 09:00")
    toronto = ZoneInfo("America/Toronto")  # UTC-5 in January
    assert weekly.last_slot(NOW, toronto) == datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
    assert notify.parse_cadence("immediate").last_slot(NOW, toronto) is None
    with pytest.raises(ValueError):
        notify.parse_cadence("hourly")


def test_daily_digest_batches_everything_since_the_last_one(tmp_path, store):
    with webhook() as hook:
        config = configure(tmp_path, [hook.url()], cadence="daily 07:30", timezone="Asia/Karachi")
        event(store, "new_period", period="2024-11", new=330e6)  # before the subscriber existed
        assert notify.run_due(config, store, NOW) == []  # first sight: no backlog
        a = event(store, "new_period", period="2025-01", new=437e6)
        b = event(store, "revision", period="2024-12", new=350e6, old=348e6)
        assert notify.run_due(config, store, datetime(2026, 1, 16, 2, 0, tzinfo=UTC)) == []  # 07:00 in Karachi
        due = datetime(2026, 1, 16, 2, 31, tzinfo=UTC)
        [queued] = notify.run_due(config, store, due)
        assert [x.ok for x in outbox.deliver_due(config, store, due)] == [True]
        assert notify.run_due(config, store, due + timedelta(hours=3)) == []  # this slot is done
        assert notify.run_due(config, store, due + timedelta(days=1)) == []  # nothing changed: nothing sent
    body = hook.requests[0].json()
    assert [e["id"] for e in body["events"]] == [a, b] and body["timezone"] == "Asia/Karachi"
    assert body["subject"].startswith("bridgewatch daily digest: 2 changes")
    assert "07:31 PKT" in body["markdown"]


def test_filters_globs_kinds_and_thresholds(tmp_path, store):
    config = configure(tmp_path, ["json://127.0.0.1:9/x"], indicators=["pk_it_*"], min_change_pct=5.0,
                       min_change_abs=1e6, events=["new_period", "revision", "source_broken"])
    sub = config.subscribers[0]

    def row(kind: str, **fields: object) -> dict:
        return {"kind": kind, "indicator": "pk_it_exports_monthly", "new_value": 437e6, "old_value": None,
                "baseline_value": 348e6, **fields}

    assert notify.wanted(sub, row("new_period"))  # +25.6% vs baseline
    assert not notify.wanted(sub, row("revision", new_value=438e6, old_value=437e6))  # +0.2%
    assert not notify.wanted(sub, row("revision", new_value=40.5, old_value=38.0, indicator="pk_it_exports_fy_yoy_pct"))
    assert not notify.wanted(sub, row("new_period", indicator="ca_tech_workers"))  # glob
    assert not notify.wanted(sub, row("sources_disagree"))  # kind not listed
    assert notify.wanted(sub, row("source_broken", indicator=None, new_value=None))
    assert notify.wanted(sub, row("new_period", baseline_value=None))  # nothing to compare with


def test_weekly_all_clear_note_only_after_a_quiet_week(tmp_path, store):
    with webhook() as hook:
        config = configure(tmp_path, [hook.url()], cadence="weekly mon 08:00", weekly_all_clear=True)
        assert notify.run_due(config, store, NOW) == []  # Thursday: first sight
        assert notify.run_due(config, store, datetime(2026, 1, 19, 8, 5, tzinfo=UTC)) == []  # 4 quiet days
        assert len(notify.run_due(config, store, datetime(2026, 1, 26, 8, 5, tzinfo=UTC))) == 1
        outbox.deliver_due(config, store, datetime(2026, 1, 26, 8, 5, tzinfo=UTC))
        event(store, "new_period")
        assert len(notify.run_due(config, store, datetime(2026, 2, 2, 8, 5, tzinfo=UTC))) == 1
        outbox.deliver_due(config, store, datetime(2026, 2, 2, 8, 5, tzinfo=UTC))
    quiet, news = (r.json() for r in hook.requests)
    assert quiet["subject"] == "bridgewatch weekly digest: no changes this week, all sources healthy"
    assert quiet["events"] == [] and "No changes this week since the last digest" in quiet["markdown"]
    assert news["subject"].startswith("bridgewatch weekly digest: 1 change")


def test_bridgewatch_notify_and_refresh_end_to_end(tmp_path, server, capsys, monkeypatch):
    page = server.add("/a", (RECORDED / "arabnews_2586784.html").read_bytes())
    config = write_config(tmp_path, f'[[sources]]\nid = "arabnews_2586784"\nurl = "{page}"\n')
    db = ["--db", str(tmp_path / "bw.db"), "--config", str(config)]
    with webhook() as hook:
        monkeypatch.setenv("BRIDGEWATCH_NOTIFY", hook.url())
        assert main([*db, "refresh", "--source", "arabnews_2586784"]) == 0
        out = capsys.readouterr().out
        assert f"digest to BRIDGEWATCH_NOTIFY via {hook.url()}: sent" in out
        assert main([*db, "refresh", "--source", "arabnews_2586784"]) == 0  # unchanged: nothing new to send
        assert main([*db, "status"]) == 0
        assert "outbox: 0 pending, 1 sent, 0 dead" in capsys.readouterr().out
    [request] = hook.requests
    events = request.json()["events"]
    assert any(e["indicator"] == "pk_it_exports_monthly" and e["new_value"] == 348e6 for e in events)


@pytest.mark.parametrize(("entry", "message"), [
    ('cadence = "daily 25:00"', "not a time of day"),
    ('timezone = "Mars/Olympus"', "unknown timezone"),
    ('events = ["new_period", "gossip"]', "unknown event kind"),
    ("min_change_pct = -1", "non-negative number"),
])
def test_subscriber_mistakes_are_config_errors(tmp_path, entry, message):
    from service.config import ConfigError

    text = f'[[subscribers]]\nname = "a"\nchannels = ["json://127.0.0.1/x"]\n{entry}\n'
    with pytest.raises(ConfigError, match=message):
        load(write_config(tmp_path, text), env={})


# --- the outbox keyed by the real channel; every wait capped -----------------------------------


def test_two_channels_alike_once_masked_get_a_row_each(tmp_path, store):
    with webhook() as hook:
        one, two = hook.url("/hook/AAAA1111"), hook.url("/hook/BBBB2222")
        config = configure(tmp_path, [one, two])
        attempts = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
    assert [a.status for a in attempts] == ["sent", "sent"] and len({a.id for a in attempts}) == 2
    assert sorted(r.path for r in hook.requests) == ["/hook/AAAA1111", "/hook/BBBB2222"]
    rows = store.outbox()
    assert len(rows) == 2 and {r["channel"] for r in rows} == {f"json://127.0.0.1:{hook.port}/hook/***"}
    assert len({r["channel_key"] for r in rows}) == 2
    dump = "\n".join(store.db.conn.iterdump())
    assert "AAAA1111" not in dump and "BBBB2222" not in dump


def test_a_changed_token_is_another_channel_not_a_guess(tmp_path, store):
    with webhook(status=503) as hook:
        notify.after_refresh(configure(tmp_path, [hook.url("/hook/AAAA1111")]), store,
                             [event(store, "new_period")], now=NOW)
        other = configure(tmp_path, [hook.url("/hook/CCCC3333")])  # looks the same once masked
        [attempt] = outbox.deliver_due(other, store, NOW + timedelta(hours=1))
    assert attempt.status == "dead" and "no longer configured" in attempt.error
    assert [r.path for r in hook.requests] == ["/hook/AAAA1111"]


def test_outbox_rows_from_before_channel_keys_are_still_sent(tmp_path):
    """Migration 6 adds the key; a row queued by an older bridgewatch (no key) is matched by its
    redacted form when exactly one configured channel has it."""
    import sqlite3

    from store.schema import SCHEMA_VERSION
    from tests.test_store import old_database

    path = tmp_path / "old.db"
    old_database(path, 5)
    with webhook() as hook:
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO digests (id, created_at, events, subject, text, html, subscriber) "
                     "VALUES (1, '2026-01-15T06:00:00+00:00', 1, 's', 't', '<p>h</p>', 'analyst')")
        conn.execute("INSERT INTO outbox (id, digest_id, subscriber, channel, status, attempts, next_attempt, "
                     "created_at) VALUES ('legacy', 1, 'analyst', ?, 'pending', 0, ?, ?)",
                     [hook.url(), outbox.iso(NOW), outbox.iso(NOW)])
        conn.commit()
        conn.close()
        store = Store(path)
        try:
            assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            secret = store.db.execute("SELECT value FROM meta WHERE key = 'channel_key_secret'").fetchone()[0]
            assert len(bytes.fromhex(secret)) == 32
            [attempt] = outbox.deliver_due(configure(tmp_path, [hook.url()]), store, NOW)
            assert attempt.status == "sent" and len(hook.requests) == 1
        finally:
            store.close()
    other = Store(tmp_path / "other.db")
    try:  # a secret per database
        assert other.db.execute("SELECT value FROM meta").fetchone()[0] != secret
    finally:
        other.close()


def test_an_absurd_retry_after_is_capped_and_the_batch_goes_on(tmp_path, store):
    """A webhook answering `Retry-After: 99999999999999` used to raise OverflowError while the
    batch was recorded, leaving an email already sent in `sending`, to be sent again."""
    from tests.chaos.servers import http_server

    with smtp_server() as box, http_server(status=503, headers={"Retry-After": "99999999999999"}) as hook:
        mail = f"mailto://127.0.0.1:{box.port}?to=a@example.org"
        config = configure(tmp_path, [f"json://127.0.0.1:{hook.port}/hook", mail],
                           settings="delivery_backoff_max = 3600.0")
        attempts = notify.after_refresh(config, store, [event(store, "new_period")], now=NOW)
        assert sorted(a.status for a in attempts) == ["pending", "sent"]
        pending = store.outbox("pending")[0]
        assert pending["next_attempt"] <= outbox.iso(NOW + timedelta(seconds=3600))
        # long after the delivery lease: nothing is left in `sending`, the email is not sent again
        later = outbox.deliver_due(config, store, NOW + timedelta(hours=2))
        assert all(a.channel.startswith("json") for a in later)
    assert len(box.messages) == 1
    assert store.outbox_counts()["sending"] == 0


def test_every_retry_after_form_becomes_a_bounded_wait():
    from service.delivery.webhook import MAX_RETRY_AFTER, retry_after

    assert retry_after("120") == 120.0
    assert retry_after("99999999999999") == MAX_RETRY_AFTER
    assert retry_after("9" * 400) == MAX_RETRY_AFTER
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412000.0) == 480.0
    assert retry_after("Fri, 31 Dec 9999 23:59:59 GMT") == MAX_RETRY_AFTER
    assert retry_after("soon") is None and retry_after("") is None and retry_after("-5") is None
    assert outbox._wait(float("inf")) == outbox.MAX_WAIT and outbox._wait(float("nan")) == 0.0

"""`bridgewatch run` as a real process against loopback sources and a loopback SMTP server.

Each test starts the daemon with a fast schedule, watches what it does from the outside (HTTP
endpoints, the SMTP server, the database, its log) and stops it with a signal or with kill -9.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from service.config import load
from service.scheduler import jitter_for, overdue, plan
from tests.conftest import LoopbackServer, write_config
from tests.test_lease import WB_BODY

ROOT = Path(__file__).parent.parent
ENV = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWATCH_")}


# --- what the daemon plans, without running it -----------------------------------------------------


def _sources(tmp_path: Path, **schedules: str):  # type: ignore[no-untyped-def]
    entries = "".join(f'[[sources]]\nid = "{i}"\nurl = "http://127.0.0.1/{i}"\nkind = "worldbank"\nschedule = "{s}"\n'
                      for i, s in schedules.items())
    config = load(write_config(tmp_path, entries), env={})
    return config.only(list(schedules))


def test_start_up_runs_what_the_database_says_is_due(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    sources = _sources(tmp_path, never="every 6h", recent="every 6h", late="every 6h", cron_missed="0 9 * * *",
                       cron_fine="0 9 * * *")
    rows = {
        "recent": {"last_attempt": (now - timedelta(hours=1)).isoformat()},
        "late": {"last_attempt": (now - timedelta(hours=7)).isoformat()},
        "cron_missed": {"last_attempt": (now - timedelta(days=1, hours=4)).isoformat()},  # yesterday 08:00
        "cron_fine": {"last_attempt": (now - timedelta(hours=3)).isoformat()},  # today 09:00, after the fire
    }
    planned = {p.source.id: p for p in plan(sources, rows, now)}
    assert {i for i, p in planned.items() if p.run_now} == {"never", "late", "cron_missed"}
    assert planned["never"].why == "never refreshed: runs at start"
    assert planned["late"].why == "overdue: runs at start" and planned["late"].next_run == now
    assert planned["recent"].next_run == now + timedelta(hours=5), "the rhythm survives a restart"
    assert planned["cron_fine"].next_run is not None and planned["cron_fine"].next_run.date() == now.date() + \
        timedelta(days=1)
    assert jitter_for("every 6h") == 300 and jitter_for("every 2s") == 0 and jitter_for("every 10m") == 60


def test_healthz_calls_a_source_overdue_only_beyond_its_grace(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    planned = plan(_sources(tmp_path, hourly="every 1h"), {}, now)
    started = now - timedelta(hours=3)
    assert overdue(planned, {"hourly": {"last_attempt": (now - timedelta(minutes=80)).isoformat()}}, now, started,
                   job_timeout=600) == []
    late = overdue(planned, {"hourly": {"last_attempt": (now - timedelta(hours=2)).isoformat()}}, now, started, 600)
    assert len(late) == 1 and late[0].startswith("hourly overdue by 3600s")
    assert overdue(planned, {}, now, started, 600), "never attempted since a start long ago is overdue too"


# --- the daemon as a process ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, box
    controller.stop()


class Daemon:
    """One `bridgewatch run` process, its port and its log."""

    def __init__(self, tmp_path: Path, config: Path, *args: str, log_format: str = "text") -> None:
        self.port = free_port()
        self.db = tmp_path / "bw.db"
        self.log_path = tmp_path / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        cmd = [sys.executable, "-m", "service", "--db", str(self.db), "--config", str(config),
               "--log-format", log_format, "run", "--http-port", str(self.port), *args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=self._log, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, str] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return None  # not listening yet

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=15)
        self._log.close()
        return code, time.monotonic() - started

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)
        self._log.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for d in started:
        if d.proc.poll() is None:
            d.kill()


def wait_for(condition: Callable[[], object], timeout: float, what: str, daemon: Daemon | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if daemon is not None and daemon.proc.poll() is not None:
            pytest.fail(f"the daemon exited ({daemon.proc.returncode}) waiting for {what}:\n{daemon.log}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}" + (f":\n{daemon.log}" if daemon else ""))


def requests_to(server: LoopbackServer, path: str) -> int:
    return sum(1 for p, _ in server.requests if p == path)


def query(db: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def source_config(tmp_path: Path, server: LoopbackServer, schedule: str, extra: str = "", delay: float = 0.0) -> Path:
    url = server.add("/wb.json", WB_BODY, content_type="application/json", delay=delay)
    return write_config(tmp_path, f"""
[settings]
retries = 0
read_timeout = 60.0
[[sources]]
id = "wb_test"
url = "{url}"
kind = "worldbank"
role = "official"
schedule = "{schedule}"
{extra}""")


def assert_clean(db: Path) -> None:
    """Intact, and nothing stored or reported twice."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT count(*) FROM observations") == [(1,)]
    assert query(db, "SELECT indicator, period, count(*) FROM observations GROUP BY 1, 2 HAVING count(*) > 1") == []
    assert query(db, "SELECT kind, indicator, period, count(*) FROM events GROUP BY 1, 2, 3 HAVING count(*) > 1") == []


@pytest.mark.slow
def test_daemon_refreshes_sends_the_digest_serves_and_stops_on_sigterm(
        tmp_path: Path, server: LoopbackServer, smtp: tuple[int, Mailbox], daemons: list[Daemon]) -> None:
    smtp_port, mailbox = smtp
    config = source_config(tmp_path, server, "every 2s", f"""
[[subscribers]]
name = "analyst"
channels = ["mailto://127.0.0.1:{smtp_port}?to=a@example.org"]
""")
    d = Daemon(tmp_path, config, "--source", "wb_test", log_format="json")
    daemons.append(d)
    wait_for(lambda: (d.get("/healthz") or (0,))[0] == 200, 15, "/healthz 200", d)
    wait_for(lambda: mailbox.messages, 10, "a digest by email", d)
    _, recipients, content = mailbox.messages[0]
    assert recipients == ["a@example.org"] and b"Subject:" in content
    wait_for(lambda: requests_to(server, "/wb.json") >= 2, 10, "a second scheduled refresh", d)
    status, metrics = d.get("/metrics") or (0, "")
    assert status == 200
    assert 'bridgewatch_refresh_total{source="wb_test",outcome="ok"}' in metrics
    assert 'bridgewatch_events{kind="new_period"} 1' in metrics
    assert 'bridgewatch_deliveries_total{outcome="sent"} 1' in metrics
    assert "bridgewatch_outbox_depth" in metrics
    assert 'bridgewatch_source_state{source="wb_test",state="ok"} 1' in metrics
    assert 'bridgewatch_source_stale{source="wb_test"} 0' in metrics
    page = d.get("/status")
    assert page is not None and page[0] == 200 and "wb_test" in page[1]
    page = d.get("/")  # the fact sheet
    assert page is not None and page[0] == 200 and "The seed figures, kept current" in page[1]
    code, elapsed = d.stop(signal.SIGTERM)
    assert code == 0, d.log
    assert elapsed < 10
    records = [json.loads(line) for line in d.log.splitlines() if line.strip()]
    assert any(r["message"].startswith("refreshed wb_test") for r in records)
    assert records[-1]["message"].startswith("stopped in")
    assert len(mailbox.messages) == 1, "nothing is sent twice"
    assert query(d.db, "SELECT count(*) FROM leases") == [(0,)], "every lease is given back on a clean stop"
    assert_clean(d.db)


@pytest.mark.slow
def test_kill_9_during_a_refresh_then_restart_leaves_a_sound_database(
        tmp_path: Path, server: LoopbackServer, daemons: list[Daemon]) -> None:
    config = source_config(tmp_path, server, "every 2s", delay=5.0)
    first = Daemon(tmp_path, config, "--source", "wb_test")
    daemons.append(first)
    wait_for(lambda: requests_to(server, "/wb.json") >= 1, 15, "the slow fetch to begin", first)
    time.sleep(0.3)
    first.kill()  # SIGKILL in the middle of the refresh: nothing of it was committed
    assert query(first.db, "SELECT name FROM leases WHERE name LIKE 'source:%'") == [("source:wb_test",)]
    server.routes["/wb.json"].delay = 0.0
    second = Daemon(tmp_path, config, "--source", "wb_test")
    daemons.append(second)
    # the dead holder's lease is taken over at once (same host, process gone), not after its TTL
    wait_for(lambda: query(second.db, "SELECT count(*) FROM fetches") >= [(2,)], 15, "two refreshes after restart",
             second)
    code, elapsed = second.stop(signal.SIGTERM)
    assert code == 0 and elapsed < 10, second.log
    assert "skipped" not in second.log
    assert_clean(second.db)


@pytest.mark.slow
def test_a_hung_refresh_is_cut_and_the_others_go_on(
        tmp_path: Path, server: LoopbackServer, daemons: list[Daemon]) -> None:
    slow = server.add("/slow.json", WB_BODY, content_type="application/json", delay=30.0)
    config = source_config(tmp_path, server, "every 1s", f"""
[[sources]]
id = "slow_test"
url = "{slow}"
kind = "worldbank"
schedule = "every 1h"
""")
    d = Daemon(tmp_path, config, "--source", "wb_test", "--source", "slow_test", "--job-timeout", "1.5")
    daemons.append(d)
    wait_for(lambda: "refresh of slow_test exceeded" in d.log, 10, "the watchdog to cut slow_test", d)
    before = requests_to(server, "/wb.json")
    wait_for(lambda: requests_to(server, "/wb.json") >= before + 2, 10, "wb_test to go on", d)
    _, metrics = d.get("/metrics") or (0, "")
    assert 'bridgewatch_refresh_total{source="slow_test",outcome="timeout"} 1' in metrics
    # the abandoned refresh counts as a failure of its source, toward source_broken
    assert 'bridgewatch_source_state{source="slow_test",state="failing"} 1' in metrics
    failures, error = query(d.db, "SELECT consecutive_failures, last_error FROM sources WHERE id = 'slow_test'")[0]
    assert failures == 1 and "job timeout" in error
    assert (d.get("/healthz") or (0,))[0] == 200
    code, elapsed = d.stop(signal.SIGINT)  # the hung fetch is still sleeping on the server
    assert code == 0 and elapsed < 10, d.log
    assert query(d.db, "SELECT count(*) FROM fetches WHERE source_id = 'slow_test'") == [(0,)]
    assert query(d.db, "SELECT count(*) FROM leases") == [(0,)], "an exiting daemon gives back even abandoned leases"
    assert_clean(d.db)


@pytest.mark.slow
def test_a_one_off_refresh_while_the_daemon_refreshes_skips_that_source(
        tmp_path: Path, server: LoopbackServer, daemons: list[Daemon]) -> None:
    config = source_config(tmp_path, server, "every 1h", delay=3.0)
    d = Daemon(tmp_path, config, "--source", "wb_test")
    daemons.append(d)
    wait_for(lambda: requests_to(server, "/wb.json") >= 1, 15, "the daemon's fetch to begin", d)
    cmd = [sys.executable, "-m", "service", "--db", str(d.db), "--config", str(config), "refresh",
           "--source", "wb_test"]
    one_off = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert one_off.returncode == 0, one_off.stderr
    assert "skipped: wb_test: being refreshed elsewhere" in one_off.stderr
    wait_for(lambda: query(d.db, "SELECT last_success FROM sources")[:1] not in ([], [(None,)]), 10,
             "the daemon's refresh to finish", d)
    server.routes["/wb.json"].delay = 0.0
    again = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "skipped" not in again.stderr, again.stderr
    code, _ = d.stop()
    assert code == 0
    assert query(d.db, "SELECT count(*) FROM fetches") == [(2,)], "one fetch each, never both at once"
    assert_clean(d.db)


@pytest.mark.slow
def test_a_digest_queued_before_start_is_delivered_by_the_cadence_job(
        tmp_path: Path, server: LoopbackServer, daemons: list[Daemon]) -> None:
    smtp_port = free_port()  # nothing listens yet: the one-off refresh cannot send
    config = source_config(tmp_path, server, "every 1h", f"""
[[subscribers]]
name = "analyst"
channels = ["mailto://127.0.0.1:{smtp_port}?to=a@example.org"]
""").read_text(encoding="utf-8").replace("retries = 0", "retries = 0\ndelivery_backoff = 0.0")
    config_path = write_config(tmp_path, config)
    db = tmp_path / "bw.db"
    cmd = [sys.executable, "-m", "service", "--db", str(db), "--config", str(config_path), "refresh",
           "--source", "wb_test"]
    subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60, check=True)
    assert query(db, "SELECT status FROM outbox") == [("pending",)]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        d = Daemon(tmp_path, config_path, "--source", "wb_test")
        daemons.append(d)
        wait_for(lambda: box.messages, 10, "the queued digest", d)
        assert requests_to(server, "/wb.json") == 1, "refreshed an hour ago by the one-off: not due at start"
        code, _ = d.stop()
    finally:
        controller.stop()
    assert code == 0
    assert query(db, "SELECT status FROM outbox") == [("sent",)] and len(box.messages) == 1

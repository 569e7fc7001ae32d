"""Leases: one refresh of a source at a time, across processes; a dead holder never blocks for long."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from service.config import load
from service.lease import Leases, active, release_process, source_lease
from service.pipeline import Pipeline
from store.queries import Store
from tests.conftest import LoopbackServer, write_config

ROOT = Path(__file__).parent.parent

WB_BODY = json.dumps([
    {"page": 1, "pages": 1, "per_page": 50, "total": 1, "lastupdated": "2025-07-01"},
    [{"indicator": {"id": "BX.GSR.CCIS.CD", "value": "ICT service exports (BoP, current US$)"},
      "country": {"id": "PK", "value": "Pakistan"}, "countryiso3code": "PAK", "date": "2024", "value": 3.5e9}],
])


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _config(tmp_path: Path, server: LoopbackServer, delay: float = 0.0):  # type: ignore[no-untyped-def]
    url = server.add("/wb.json", WB_BODY, content_type="application/json", delay=delay)
    path = write_config(tmp_path, f"""
[settings]
retries = 0
[[sources]]
id = "wb_test"
url = "{url}"
kind = "worldbank"
role = "official"
schedule = "every 1h"
""")
    return load(path, env={}), path


def test_one_holder_at_a_time(db_path: Path) -> None:
    store = Store(db_path)
    clock = Clock()
    a, b = Leases(store.db, ttl=60, clock=clock), Leases(store.db, ttl=60, clock=clock)
    assert a.acquire("source:x")
    assert a.acquire("source:x"), "taking a lease one already holds is fine"
    assert not b.acquire("source:x")
    holder = b.holder("source:x")
    assert holder is not None and holder.pid == os.getpid() and "held by" in holder.describe()
    assert not b.release_within("source:x"), "only the holder's release (the gate before writing) goes through"
    assert a.holder("source:x").owner == a.owner
    a.release("source:x")
    assert b.acquire("source:x")
    a.release("source:x")  # not a's any more: left alone
    assert b.holder("source:x").owner == b.owner


def test_expired_lease_is_taken_over(db_path: Path) -> None:
    store = Store(db_path)
    clock = Clock()
    a, b = Leases(store.db, ttl=60, clock=clock), Leases(store.db, ttl=60, clock=clock)
    assert a.acquire("source:x")
    clock.now += 61
    assert b.acquire("source:x")
    assert not a.release_within("source:x"), "a holder that lost its lease must not write"
    assert a.holder("source:x").owner == b.owner


def test_renewal_keeps_the_lease(db_path: Path) -> None:
    store = Store(db_path)
    clock = Clock()
    a, b = Leases(store.db, ttl=60, clock=clock), Leases(store.db, ttl=60, clock=clock)
    assert a.acquire("source:x")
    first = a.holder("source:x")
    clock.now += 10
    a.renew_due()  # not yet a third of the TTL: no write
    assert a.holder("source:x") == first
    clock.now += 15
    a.renew_due()
    renewed = a.holder("source:x")
    assert renewed is not None and renewed.expires_at == clock.now + 60
    clock.now += 50  # past the first expiry, not the renewed one
    assert not b.acquire("source:x")


def test_dead_holder_on_this_host_is_taken_over_at_once(db_path: Path) -> None:
    store = Store(db_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ghost = Leases(store.db, ttl=3600)
    ghost.pid = dead.pid  # as if a daemon killed with -9 had taken it
    assert ghost.acquire("source:x")
    assert Leases(store.db, ttl=3600).acquire("source:x")


def test_abandoned_holder_stops_renewing_and_never_writes(db_path: Path) -> None:
    store = Store(db_path)
    clock = Clock()
    a = Leases(store.db, ttl=60, clock=clock)
    assert a.acquire("source:x")
    a.abandon()
    assert not a.release_within("source:x")
    clock.now += 30
    a.renew_due()
    holder = a.holder("source:x")
    assert holder is not None and holder.expires_at == 1_000_060.0, "an abandoned lease runs out on its own"
    assert not a.acquire("source:y")
    assert [h.name for h in active(store.db, now=clock.now)] == ["source:x"]
    assert active(store.db, now=clock.now + 31) == []


def test_an_exiting_process_gives_back_all_its_leases(db_path: Path) -> None:
    store = Store(db_path)
    mine, abandoned = Leases(store.db), Leases(store.db)
    assert mine.acquire("daemon:x") and abandoned.acquire("source:y")
    abandoned.abandon()
    other = Leases(store.db)
    other.pid = os.getppid()  # another live process
    assert other.acquire("source:z")
    assert release_process(store.db) == 2
    assert [h.name for h in active(store.db)] == ["source:z"]


def test_pipeline_skips_a_source_leased_elsewhere(tmp_path: Path, server: LoopbackServer, db_path: Path) -> None:
    config, _ = _config(tmp_path, server)
    store = Store(db_path)
    other = Leases(Store(db_path).db)  # another process, as far as the database can tell
    assert other.acquire(source_lease("wb_test"))
    report = Pipeline(config, store).refresh(config.only(["wb_test"]))
    assert report.sources == [] and not report.failed
    assert "held by" in report.skipped["wb_test"]
    assert not [p for p, _ in server.requests if p == "/wb.json"], "a skipped source is not fetched"
    other.release(source_lease("wb_test"))
    report = Pipeline(config, store).refresh(config.only(["wb_test"]))
    assert [s.source_id for s in report.sources] == ["wb_test"] and report.sources[0].ok
    assert store.counts()["observations"] == 1
    assert active(store.db) == [], "released after the refresh"


def test_abandoned_refresh_writes_nothing(tmp_path: Path, server: LoopbackServer, db_path: Path) -> None:
    config, _ = _config(tmp_path, server, delay=0.5)
    store = Store(db_path)
    pipeline = Pipeline(config, store)
    threading.Timer(0.2, pipeline.leases.abandon).start()  # what the daemon's watchdog does
    report = pipeline.refresh(config.only(["wb_test"]))
    assert report.skipped == {"wb_test": "lease lost before writing"} and report.sources == []
    assert store.counts()["fetches"] == 0 and store.counts()["observations"] == 0


@pytest.mark.slow
def test_one_off_refresh_process_skips_a_leased_source(tmp_path: Path, server: LoopbackServer,
                                                       db_path: Path) -> None:
    _, config_path = _config(tmp_path, server)
    holder = Leases(Store(db_path).db)  # this test process plays the daemon in the middle of a refresh
    assert holder.acquire(source_lease("wb_test"))
    cmd = [sys.executable, "-m", "service", "--db", str(db_path), "--config", str(config_path),
           "refresh", "--source", "wb_test", "--no-notify"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWATCH_")}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "skipped: wb_test: being refreshed elsewhere" in done.stderr
    assert Store(db_path).counts()["fetches"] == 0
    holder.release(source_lease("wb_test"))
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert Store(db_path).counts()["observations"] == 1


def test_a_lease_left_by_an_earlier_process_with_our_pid_is_taken_over(db_path: Path) -> None:
    """A container restarted after kill -9 runs the daemon as pid 1 on the same host again."""
    store = Store(db_path)
    mine = Leases(store.db)
    ghost = Leases(store.db)
    ghost.owner = f"{ghost.host}:{ghost.pid}:earlier-incarnation:abcd"  # same host and pid, another life
    assert ghost.acquire("source:x")
    assert mine.acquire("source:x")
    other = Leases(store.db)  # a second holder of this same process still contends normally
    assert not other.acquire("source:x")

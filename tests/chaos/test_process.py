"""Chaos: the process itself. `bridgewatch refresh` as a real subprocess, killed with SIGKILL while it
fetches or while it sends, two of them at once, and a database it cannot write (read-only, full)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.chaos.harness import Run, Site, World, assert_ok, judge, ok
from tests.chaos.test_sources import BODY, article_control, page_source
from tests.receivers import Webhook

pytestmark = pytest.mark.slow


def slow_then(body: bytes, seconds: float):
    def mode(conn, request):  # type: ignore[no-untyped-def]
        time.sleep(seconds)
        ok(body)(conn, request)
    return mode


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def site():
    srv = Site()
    yield srv
    srv.close()


def test_kill_9_mid_refresh(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", slow_then(BODY, 5.0))), settings="read_timeout = 10.0")
    try:
        world.refresh()  # a first good read, so the killed run had something to lose
        site.set("/article", slow_then(BODY.replace(b"$348", b"$349"), 5.0))
        proc = world.spawn("refresh", "--source", world.source_id)
        wait_for(lambda: site.requests.count("/article") >= 2)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        site.set("/article", ok(BODY))
        after = world.refresh_process()
        verdict = judge(world, "kill -9 mid-refresh (while fetching)", "process",
                        "the killed run wrote nothing (one transaction per source); its lease, held by a dead "
                        "pid, is taken over at once; the next run reads the source", expected, started=started,
                        allowed_codes=(0, 2, -9))
        assert after.code == 0, after.err
        assert_ok(verdict, world)
    finally:
        world.close()


def test_kill_9_mid_delivery(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    hook = Webhook(hang=True)
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", ok(BODY))), hook=hook,
                  settings="delivery_timeout = 30.0")
    try:
        proc = world.spawn("refresh", "--source", world.source_id)
        wait_for(lambda: len(hook.requests) >= 1)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert world.query("SELECT status FROM outbox") == [("sending",)]
        hook.hang = False
        hook.released.set()
        time.sleep(2.1)  # delivery_lease = 2 s: the claim of the dead process expires
        after = world.refresh_process()
        world.refresh_process()
        verdict = judge(world, "kill -9 mid-delivery (webhook request in flight)", "process",
                        "the row stays 'sending' until its delivery lease expires, then is resent once with the "
                        "same Idempotency-Key (at-least-once: the receiver can drop the repeat)", expected,
                        started=started, allowed_codes=(0, -9), idempotent_resends=True)
        assert after.code == 0, after.err
        assert verdict.resent_same_key == 1
        assert_ok(verdict, world)
    finally:
        hook.close()
        world.close()


def test_two_refreshes_at_once(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", slow_then(BODY, 1.0))), settings="read_timeout = 5.0")
    try:
        procs = [world.spawn("refresh", "--source", world.source_id) for _ in range(2)]
        outputs = [p.communicate(timeout=60) for p in procs]
        for p, (out, err) in zip(procs, outputs, strict=True):
            world.runs.append(Run(p.returncode, out, err, 0.0))
        verdict = judge(world, "two refreshes at once", "process",
                        "one refreshes the source under its lease, the other skips it (not a failure); "
                        "the digest is queued and sent once", expected, started=started)
        assert sum("skipped: chaos_page" in err for _, err in outputs) + site.requests.count("/article") >= 2
        assert_ok(verdict, world)
    finally:
        world.close()


@contextlib.contextmanager
def tmpfs(size: str):
    """A small tmpfs of its own (needs CAP_SYS_ADMIN, as root in this container): a disk that fills
    up for real, and that can be remounted read-only under a running test."""
    where = Path(tempfile.mkdtemp(prefix="bw-fs-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        shutil.rmtree(where, ignore_errors=True)


def remount(where: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True, capture_output=True)


def test_a_read_only_database(tmp_path_factory, site):
    """The database's file system turns read-only under it (a remount): one clear line, exit 1."""
    expected = article_control(tmp_path_factory)
    with tmpfs("64m") as base:
        started = time.monotonic()
        world = World(base, page_source(site.set("/article", ok(BODY))))
        try:
            world.refresh()
            site.set("/article", ok(BODY.replace(b"$348", b"$351")))
            remount(base, "ro")
            try:
                locked = world.refresh_process()
            finally:
                remount(base, "rw")
            site.set("/article", ok(BODY))
            world.refresh()
            verdict = judge(world, "read-only database (its file system remounted read-only)", "database",
                            "exits 1 with one line naming the problem; nothing half-written; the next "
                            "writable run goes on", expected, started=started, allowed_codes=(0, 1, 2),
                            one_line_errors=True, notes=[f"stderr: {locked.err.strip()[:160]}"])
            assert locked.code == 1 and "Traceback" not in locked.err, locked.err
            assert_ok(verdict, world)
        finally:
            world.close()


def test_a_full_database(tmp_path_factory, site):
    """A changed page whose body no longer fits on the database's (tmpfs) disk."""
    expected = article_control(tmp_path_factory)
    with tmpfs("1200k") as base:
        started = time.monotonic()
        world = World(base, page_source(site.set("/article", ok(BODY))))
        try:
            world.refresh()
            noise = os.urandom(1_000_000)  # incompressible: storing it needs more room than is left
            site.set("/article", ok(BODY.replace(b"</article>", b"<p>" + noise + b"</p></article>"),
                                    "text/html; charset=iso-8859-1"))
            full = world.refresh_process()
            site.set("/article", ok(BODY))
            world.refresh()
            lines = [line for line in full.err.splitlines() if "full" in line]
            verdict = judge(world, "full database (disk full while storing)", "database",
                            "the source's transaction rolls back ('database or disk is full'), one line; earlier "
                            "figures intact; the next run with room goes on", expected, started=started,
                            allowed_codes=(0, 1, 2),
                            notes=[f"stderr: {lines[-1][:160]}" if lines else "no 'full' line"])
            assert full.code in (1, 2) and lines and "Traceback" not in full.err, full.err
            assert_ok(verdict, world)
        finally:
            world.close()

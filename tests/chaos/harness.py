"""The chaos suite's harness: one misbehaving loopback server, real `bridgewatch` runs, and the checks
every fault must pass.

A scenario is a list of phases. Each phase sets how the server behaves and runs `bridgewatch
refresh --source …` (which refreshes, then queues and delivers digests) in-process, or as a
subprocess where the fault is the process itself (kill -9, two at once, a read-only or full
database). After the last phase (the server healthy again) the database and what the receivers
got are compared with a *control*: the same source served healthily once, into a fresh database.

Checks (Verdict): the process survived (exit 0 or 2; 1 only with one clear line, where the fault is
the database itself), `PRAGMA integrity_check` is ok, no observation of the control is missing and
none is stored twice, no digest id reached a receiver twice and none is left unsent, no event was
delivered in two digests, and the alerts delivered are the control's (plus those a person wants
from the fault: source_broken after `broken_after` failures, then source_recovered).

Each verdict is appended to LEDGER; with BRIDGEWATCH_CHAOS_REPORT=path set, the session writes
them there as JSON (tests/chaos/conftest.py), and tests/chaos/report.py turns that into
docs/RELIABILITY.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.receivers import Webhook

ROOT = Path(__file__).resolve().parents[2]
LEDGER: list[Verdict] = []
Mode = Callable[[socket.socket, bytes], None]


# --- the misbehaving server -----------------------------------------------------------------------


def http(status: int = 200, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} {'OK' if status < 300 else 'Fault'}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body) if length is None else length}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def ok(body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> Mode:
    return lambda conn, _: conn.sendall(http(200, body, content_type, headers))


def status(code: int, **headers: str) -> Mode:
    return lambda conn, _: conn.sendall(http(code, b"<h1>fault</h1>", "text/html", headers))


def redirect(location: str, code: int = 302) -> Mode:
    return lambda conn, _: conn.sendall(http(code, b"", "text/html", {"Location": location}))


def silent(seconds: float) -> Mode:
    def mode(conn: socket.socket, _: bytes) -> None:
        time.sleep(seconds)
    return mode


def trickle(body: bytes, every: float) -> Mode:
    def mode(conn: socket.socket, _: bytes) -> None:
        conn.sendall(http(200, b"", length=len(body)))
        for i in range(len(body)):
            conn.sendall(body[i:i + 1])
            time.sleep(every)
    return mode


def truncated(body: bytes) -> Mode:
    """Promises the whole body, sends a tenth, closes."""
    return lambda conn, _: conn.sendall(http(200, body[: len(body) // 10], length=len(body)))


def reset(body: bytes) -> Mode:
    """Sends part of the body, then a TCP reset (SO_LINGER 0)."""
    def mode(conn: socket.socket, _: bytes) -> None:
        conn.sendall(http(200, body[: len(body) // 3], length=len(body)))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return mode


def script(*modes: Mode) -> Mode:
    """The modes in turn, one per request; the last one for ever after."""
    queue = list(modes)

    def mode(conn: socket.socket, request: bytes) -> None:
        (queue.pop(0) if len(queue) > 1 else queue[0])(conn, request)
    return mode


class Site:
    """A raw-socket HTTP server on loopback: each path answers with its current Mode."""

    def __init__(self) -> None:
        self.modes: dict[str, Mode] = {}
        self.requests: list[str] = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, mode: Mode) -> str:
        self.modes[path] = mode
        return self.url(path)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                request = conn.recv(65536)
                path = request.split(b" ", 2)[1].decode("latin-1") if request.count(b" ") >= 2 else "/"
                self.requests.append(path)
                mode = self.modes.get(path)
                if mode is None:
                    conn.sendall(http(404, b"not here", "text/plain"))
                else:
                    mode(conn, request)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@contextlib.contextmanager
def unaccepting_port() -> Iterator[int]:
    """A port whose listener never accepts and whose backlog is full: connecting to it times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(8):  # fill the accept queue; further SYNs are dropped, so connect() waits
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError, OSError):
            s.connect(listener.getsockname())
        fillers.append(s)
    time.sleep(0.05)
    try:
        yield listener.getsockname()[1]
    finally:
        for s in fillers:
            s.close()
        listener.close()


# --- one world: a database, a config, a receiver, runs -------------------------------------------


SETTINGS = """
connect_timeout = 0.5
read_timeout = 0.5
retries = 1
broken_after = 3
delivery_backoff = 0.0
delivery_timeout = 1.0
delivery_lease = 2.0
"""


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def tracebacks(self) -> int:
        return self.err.count("Traceback (most recent call last)")


class World:
    """A temp database and config with one source under test and one immediate subscriber."""

    def __init__(self, tmp: Path, source: str, channels: list[str] | None = None, settings: str = "",
                 hook: Any = None) -> None:
        self.tmp = tmp
        self.db = tmp / "bw.db"
        self.hook = hook or Webhook()
        self.own_hook = hook is None
        channels = channels if channels is not None else [self.hook.url("/digest")]
        self.source_id = source.split('id = "', 1)[1].split('"', 1)[0]
        self.config = tmp / "config.toml"
        merged = dict(line.split(" = ", 1) for line in (SETTINGS + "\n" + settings).splitlines() if " = " in line)
        text = ("[settings]\n" + "".join(f"{k} = {v}\n" for k, v in merged.items()) + "\n" + source
                + "\n[[subscribers]]\nname = \"chaos\"\n"
                f"channels = {json.dumps(channels)}\ncadence = \"immediate\"\n")
        self.config.write_text(text, encoding="utf-8")
        self.runs: list[Run] = []

    def close(self) -> None:
        if self.own_hook:
            self.hook.close()

    def refresh(self, *extra: str) -> Run:
        """`bridgewatch refresh --source ID` in this process; what it printed and returned."""
        from service.cli import main

        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--db", str(self.db), "--config", str(self.config), "refresh", "--source", self.source_id,
                         *extra])
        run = Run(code, out.getvalue(), err.getvalue(), time.monotonic() - started)
        self.runs.append(run)
        return run

    def command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "service", "--db", str(self.db), "--config", str(self.config), *extra]

    def spawn(self, *extra: str, **kwargs: Any) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWATCH_")}
        return subprocess.Popen(self.command(*extra), cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kwargs)

    def refresh_process(self, timeout: float = 60, **kwargs: Any) -> Run:
        started = time.monotonic()
        proc = self.spawn("refresh", "--source", self.source_id, **kwargs)
        out, err = proc.communicate(timeout=timeout)
        run = Run(proc.returncode, out, err, time.monotonic() - started)
        self.runs.append(run)
        return run

    # --- what the world holds -------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def observations(self) -> Counter[tuple[Any, ...]]:
        return Counter(self.query("SELECT indicator, period, value, unit, variant, status FROM observations "
                                  "WHERE source_id = ?", (self.source_id,)))

    def deliveries(self) -> list[tuple[str, list[tuple[Any, ...]], list[int]]]:
        """(Idempotency-Key, alerts (kind, indicator, period), event ids) of each digest received."""
        out = []
        for request in list(self.hook.requests):
            try:
                payload = request.json()
            except ValueError:
                continue
            events = payload.get("events", [])
            out.append((request.headers.get("Idempotency-Key", ""),
                        [_alert(e) for e in events],
                        [e.get("id") for e in events]))
        return out


HEALTH = ("source_broken", "source_recovered", "source_stale", "citation_changed")


def _alert(event: dict[str, Any]) -> tuple[Any, ...]:
    """What an alert is about: (kind, indicator, period); a source's health by its kind alone."""
    if event.get("kind") in HEALTH:
        return (event.get("kind"), None, None)
    return (event.get("kind"), event.get("indicator"), event.get("period"))


@dataclass
class Control:
    observations: Counter[tuple[Any, ...]]
    alerts: Counter[tuple[Any, ...]]


_CONTROLS: dict[str, Control] = {}


def control(name: str, tmp: Path, source: str, settings: str = "") -> Control:
    """What one healthy refresh of `source` stores and alerts (cached per name)."""
    if name not in _CONTROLS:
        tmp.mkdir(parents=True, exist_ok=True)
        world = World(tmp, source, settings=settings)
        try:
            run = world.refresh()
            assert run.code == 0, run.err
            alerts = Counter(a for _, alerts, _ in world.deliveries() for a in alerts)
            _CONTROLS[name] = Control(world.observations(), alerts)
        finally:
            world.close()
    return _CONTROLS[name]


@dataclass
class Verdict:
    fault: str
    group: str
    behaviour: str
    survived: bool
    integrity: str
    runs: int
    exit_codes: list[int]
    observations: int
    observations_lost: int
    observations_duplicated: int
    digests_delivered: int
    duplicate_deliveries: int
    resent_same_key: int
    events_delivered_twice: int
    unsent_digests: int
    alerts: dict[str, int]
    unwanted_alerts: list[str]
    missing_alerts: list[str]
    tracebacks: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.survived and self.integrity == "ok" and not self.observations_lost
                and not self.observations_duplicated and not self.duplicate_deliveries
                and not self.events_delivered_twice and not self.unsent_digests
                and not self.unwanted_alerts and not self.missing_alerts)


def judge(world: World, fault: str, group: str, behaviour: str, expected: Control | None, *,
          wanted: Counter[tuple[Any, ...]] | None = None, allowed_codes: tuple[int, ...] = (0, 2),
          one_line_errors: bool = False, idempotent_resends: bool = False, started: float | None = None,
          notes: list[str] | None = None, check_alerts: bool = True, refused: int = 0) -> Verdict:
    """Check the world after its last run against the control; record and return the verdict.

    `refused`: requests the receiver answered with an error (not deliveries, though they carry the
    digest's id); `idempotent_resends`: a repeat under the same id is the fault's expected outcome
    (the first send was interrupted), counted apart from duplicate deliveries."""
    integrity = world.query("PRAGMA integrity_check")[0][0]
    survived = all(r.code in allowed_codes for r in world.runs)
    if one_line_errors:
        survived = survived and all(r.code != 1 or len(r.err.strip().splitlines()) == 1 for r in world.runs)
    stored = world.observations()
    lost = duplicated = 0
    if expected is not None:
        lost = sum((expected.observations - stored).values())
    duplicated = sum(n - 1 for n in stored.values() if n > 1)
    rows = world.query("SELECT count(*) - count(DISTINCT source_id || indicator || period || unit || variant || value) "
                       "FROM observations")
    duplicated += rows[0][0]
    deliveries = world.deliveries()
    keys = Counter(key for key, _, _ in deliveries)
    # an interrupted send is sent again under the same id (Idempotency-Key, Message-ID): a receiver
    # recognises it. Where the fault is exactly that, such resends are counted apart.
    resent = max(0, sum(n - 1 for n in keys.values() if n > 1) - refused)
    duplicate_deliveries = 0 if idempotent_resends else resent
    unique = {key: (alerts, ids) for key, alerts, ids in deliveries}
    events = Counter(e for _, ids in unique.values() for e in set(ids))
    twice = sum(1 for n in events.values() if n > 1)
    unsent = world.query("SELECT count(*) FROM outbox WHERE status != 'sent'")[0][0]
    got = Counter(a for alerts, _ in unique.values() for a in alerts)
    want = Counter(expected.alerts if expected else {}) + Counter(wanted or {})
    unwanted = sorted(f"{k} {i or ''} {p or ''}".strip() for k, i, p in (got - want).elements()) if check_alerts else []
    missing = sorted(f"{k} {i or ''} {p or ''}".strip() for k, i, p in (want - got).elements()) if check_alerts else []
    verdict = Verdict(
        fault=fault, group=group, behaviour=behaviour, survived=survived, integrity=integrity,
        runs=len(world.runs), exit_codes=[r.code for r in world.runs], observations=sum(stored.values()),
        observations_lost=lost, observations_duplicated=duplicated, digests_delivered=len(keys),
        duplicate_deliveries=duplicate_deliveries, resent_same_key=resent if idempotent_resends else 0,
        events_delivered_twice=twice, unsent_digests=unsent,
        alerts={f"{k}": n for k, n in Counter(k for k, _, _ in got.elements()).items()},
        unwanted_alerts=unwanted, missing_alerts=missing, tracebacks=sum(r.tracebacks for r in world.runs),
        seconds=round(time.monotonic() - started, 2) if started else round(sum(r.seconds for r in world.runs), 2),
        notes=notes or [],
    )
    LEDGER.append(verdict)
    return verdict


def ledger() -> list[dict[str, Any]]:
    return [asdict(v) | {"ok": v.ok} for v in LEDGER]


def assert_ok(verdict: Verdict, world: World | None = None) -> None:
    detail = ""
    if world is not None:
        detail = "\n".join(f"--- run {i}: exit {r.code}\n{r.out}\n{r.err[-3000:]}" for i, r in enumerate(world.runs))
    assert verdict.ok, f"{verdict}\n{detail}"

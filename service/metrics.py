"""Prometheus metrics of the daemon, in the text exposition format (version 0.0.4), written by hand.

Two kinds of numbers: counters the daemon keeps in memory since it started (refreshes, their
durations, deliveries), and gauges read from the database at scrape time (what is stored), so a
restart resets the counters, as Prometheus expects, but never the picture of the store.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
OUTCOMES = ("ok", "failed", "skipped", "timeout")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _Family:
    """One metric family: HELP and TYPE lines, then its samples."""

    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        self.name = name

    def add(self, value: float, suffix: str = "", **labels: str) -> None:
        self.lines.append(f"{self.name}{suffix}{_labels(labels)} {_number(value)}")


class Metrics:
    """The daemon's counters; every method may be called from any job thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.refreshes: Counter[tuple[str, str]] = Counter()
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(DURATION_BUCKETS))
        self.duration_sum: Counter[str] = Counter()
        self.duration_count: Counter[str] = Counter()
        self.observations: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.deliveries: Counter[str] = Counter()

    def refreshed(self, source_id: str, outcome: str, seconds: float, observations: int = 0, events: int = 0) -> None:
        """One refresh of one source ended: ok, failed, skipped (lease held elsewhere) or timeout."""
        with self._lock:
            self.refreshes[(source_id, outcome)] += 1
            if outcome == "skipped":
                return
            for i, bound in enumerate(DURATION_BUCKETS):
                if seconds <= bound:
                    self.buckets[source_id][i] += 1
            self.duration_sum[source_id] += seconds
            self.duration_count[source_id] += 1
            self.observations[source_id] += observations
            self.events[source_id] += events

    def delivered(self, ok: bool) -> None:
        with self._lock:
            self.deliveries["sent" if ok else "failed"] += 1

    def render(self, db: sqlite_utils.Database, gauges: Mapping[str, tuple[str, float]],
               health: Mapping[str, Any] | None = None) -> str:
        """The whole exposition: these counters, the daemon's `gauges` (name -> (help, value)), the store's,
        and each source's state (`health`: source id -> service.health.Health)."""
        with self._lock:
            families = list(self._counters())
        for name, (help_text, value) in gauges.items():
            family = _Family(name, "gauge", help_text)
            family.add(value)
            families.append(family)
        families += _store_gauges(db)
        if health is not None:
            families += _health_gauges(health)
        return "\n".join(line for f in families for line in f.lines) + "\n"

    def _counters(self) -> Iterable[_Family]:
        total = _Family("bridgewatch_refresh_total", "counter", "Refreshes of a source since start, by outcome.")
        for (source, outcome), n in sorted(self.refreshes.items()):
            total.add(n, source=source, outcome=outcome)
        yield total
        failures = _Family("bridgewatch_refresh_failures_total", "counter",
                           "Refreshes that failed or timed out since start.")
        for source in sorted({s for s, _ in self.refreshes}):
            failures.add(self.refreshes[(source, "failed")] + self.refreshes[(source, "timeout")], source=source)
        yield failures
        hist = _Family("bridgewatch_refresh_duration_seconds", "histogram", "Wall time of one source's refresh.")
        for source in sorted(self.duration_count):
            for bound, n in zip(DURATION_BUCKETS, self.buckets[source], strict=True):
                hist.add(n, "_bucket", source=source, le=_number(bound))
            hist.add(self.duration_count[source], "_bucket", source=source, le="+Inf")
            hist.add(self.duration_sum[source], "_sum", source=source)
            hist.add(self.duration_count[source], "_count", source=source)
        yield hist
        for name, counter, help_text in (
            ("bridgewatch_observations_read_total", self.observations, "Figures read from fetched documents."),
            ("bridgewatch_events_recorded_total", self.events, "New events recorded by refreshes."),
        ):
            family = _Family(name, "counter", help_text + " Since start, per source.")
            for source, n in sorted(counter.items()):
                family.add(n, source=source)
            yield family
        deliveries = _Family("bridgewatch_deliveries_total", "counter", "Digest deliveries since start, by outcome.")
        for outcome in ("sent", "failed"):
            deliveries.add(self.deliveries[outcome], outcome=outcome)
        yield deliveries


def _store_gauges(db: sqlite_utils.Database) -> list[_Family]:
    observations = _Family("bridgewatch_observations", "gauge", "Observations stored, by status.")
    for row in db.query("SELECT status, count(*) AS n FROM observations GROUP BY status ORDER BY status"):
        observations.add(row["n"], status=row["status"])
    events = _Family("bridgewatch_events", "gauge", "Events stored, by kind.")
    for row in db.query("SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind"):
        events.add(row["n"], kind=row["kind"])
    failing = _Family("bridgewatch_source_consecutive_failures", "gauge", "Failed refreshes in a row, per source.")
    broken = _Family("bridgewatch_source_broken", "gauge", "1 when a source is reported broken.")
    success = _Family("bridgewatch_source_last_success_timestamp_seconds", "gauge",
                      "Unix time of a source's last successful refresh.")
    for row in db.query(
        "SELECT id, consecutive_failures, broken, CAST(strftime('%s', last_success) AS REAL) AS ts "
        "FROM sources ORDER BY id"
    ):
        failing.add(row["consecutive_failures"], source=row["id"])
        broken.add(row["broken"], source=row["id"])
        if row["ts"] is not None:
            success.add(row["ts"], source=row["id"])
    return [observations, events, failing, broken, success, *_outbox_gauges(db)]


def _health_gauges(health: Mapping[str, Any]) -> list[_Family]:
    """Per source: 1 when stale (no success for its stale_after), and its state as a label (one 1 per source)."""
    stale = _Family("bridgewatch_source_stale", "gauge",
                    "1 when a source has not refreshed successfully for its stale_after (3 schedule intervals).")
    state = _Family("bridgewatch_source_state", "gauge",
                    "1 for the state a source is in: ok, failing, broken, stale, suspect or never run.")
    for source_id in sorted(health):
        stale.add(1.0 if health[source_id].state == "stale" else 0.0, source=source_id)
        state.add(1.0, source=source_id, state=health[source_id].state)
    return [stale, state]


def _outbox_gauges(db: sqlite_utils.Database) -> list[_Family]:
    """The delivery outbox: rows by status, how many wait (depth), how many gave up (dead)."""
    counts = {r["status"]: r["n"] for r in db.query("SELECT status, count(*) AS n FROM outbox GROUP BY status")}
    by_status = _Family("bridgewatch_outbox_messages", "gauge", "Outbox rows, by status.")
    for status in ("pending", "sending", "sent", "dead"):
        by_status.add(counts.get(status, 0), status=status)
    depth = _Family("bridgewatch_outbox_depth", "gauge", "Messages waiting to be delivered (pending or sending).")
    depth.add(counts.get("pending", 0) + counts.get("sending", 0))
    failures = _Family("bridgewatch_outbox_failures", "gauge", "Messages given up on (dead) until retried by hand.")
    failures.add(counts.get("dead", 0))
    retrying = _Family("bridgewatch_outbox_retrying", "gauge", "Pending messages whose last attempt failed.")
    retrying.add(db.execute("SELECT count(*) FROM outbox WHERE status = 'pending' AND last_error IS NOT NULL")
                 .fetchone()[0])
    return [by_status, depth, failures, retrying]

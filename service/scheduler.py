"""The daemon (`bridgewatch run`): every source on its own schedule, observable over HTTP, gentle to stop.

Choices made on purpose:

- One APScheduler job per source, with the source's trigger and a jitter, so that sources sharing a
  schedule do not all hit the network in the same second. `coalesce=True` and
  `misfire_grace_time=None`: after any gap (a suspended laptop, a saturated pool) a source runs
  once, late, rather than never or once per missed tick. `max_instances=1`: a slow source is never
  run twice at once by this process; leases (service/lease.py) extend that across processes.
- Whether a source is overdue at start-up is read from the database (`sources.last_attempt`), not
  from memory, so a restart or a crash never skips a release: overdue sources run at once.
- Each refresh runs in its own thread under a watchdog. One that exceeds the job timeout is logged,
  counted, and abandoned: it stops renewing its lease and will write nothing; the others go on.
- SIGTERM/SIGINT: no new jobs; running refreshes get until the stop deadline to commit (each
  source is one transaction, so an abandoned one leaves nothing half-written); then exit 0.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from service.config import Config, Source
from service.health import all_health, record_stale_events
from service.lease import Leases, release_process
from service.metrics import Metrics
from service.notify import after_refresh, run_due
from service.outbox import Attempt, deliver_due
from service.pipeline import Pipeline
from service.schedule import expected_interval, parse_schedule
from store.queries import Store, utcnow

log = logging.getLogger("bridgewatch.daemon")

DIGEST_EVERY = 60  # seconds between two looks at the subscribers' cadences and the outbox
RELEASE_CHECK_EVERY = 3600  # seconds between two looks at the release calendar
JOB_TIMEOUT = 600.0  # seconds one source's refresh may take before the watchdog abandons it
STOP_TIMEOUT = 7.0  # seconds running refreshes get to commit after SIGTERM (the whole stop stays < 10 s)
MAX_JITTER = 300  # seconds


def jitter_for(schedule: str) -> int:
    """A tenth of the schedule's interval, at most five minutes: spreads load, never shifts a day."""
    return int(min(expected_interval(schedule).total_seconds() / 10, MAX_JITTER))


def overdue_grace(interval: timedelta, job_timeout: float) -> timedelta:
    """How late a source may be before /healthz calls it overdue: half an interval, a job timeout, or a
    minute, whichever is longest, so that jitter and a slow run are never mistaken for a stuck daemon."""
    return max(interval / 2, timedelta(seconds=job_timeout), timedelta(minutes=1))


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Planned:
    """What the daemon will do with one source when it starts."""

    source: Source
    trigger: BaseTrigger
    interval: timedelta
    last_attempt: datetime | None
    run_now: bool
    next_run: datetime | None

    @property
    def why(self) -> str:
        if not self.run_now:
            return "on schedule"
        return "never refreshed: runs at start" if self.last_attempt is None else "overdue: runs at start"


def plan(sources: Iterable[Source], rows: Mapping[str, Mapping[str, Any]], now: datetime) -> list[Planned]:
    """Each source's trigger and first run, judged from the `sources` rows of the database."""
    out = []
    for source in sources:
        trigger = parse_schedule(source.schedule, jitter=jitter_for(source.schedule))
        interval = expected_interval(source.schedule)
        last = _parse_time((rows.get(source.id) or {}).get("last_attempt"))
        if last is None:
            run_now = True
        elif isinstance(trigger, CronTrigger):  # a fire time passed since the last attempt: it was missed
            missed = parse_schedule(source.schedule).get_next_fire_time(None, last + timedelta(seconds=1))
            run_now = missed is not None and missed <= now
        else:
            run_now = last + interval <= now
        if run_now or last is None:
            next_run: datetime | None = now
        elif isinstance(trigger, CronTrigger):
            next_run = trigger.get_next_fire_time(None, now)
        else:  # keep the rhythm across restarts: the next run is one interval after the last attempt
            next_run = last + interval
        out.append(Planned(source, trigger, interval, last, run_now, next_run))
    return out


def overdue(planned: list[Planned], rows: Mapping[str, Mapping[str, Any]], now: datetime, started: datetime,
            job_timeout: float) -> list[str]:
    """Sources whose last attempt (or the daemon's start, if none) is older than interval + grace."""
    reasons = []
    for p in planned:
        last = _parse_time((rows.get(p.source.id) or {}).get("last_attempt")) or started
        late = now - last - p.interval
        if late > overdue_grace(p.interval, job_timeout):
            reasons.append(f"{p.source.id} overdue by {int(late.total_seconds())}s "
                           f"(last attempt {last:%Y-%m-%d %H:%M}Z, expected every {int(p.interval.total_seconds())}s)")
    return reasons


@dataclass(slots=True)
class _Run:
    """One refresh in flight: its source, the pipeline it runs in, and when it ended."""

    source: Source
    pipeline: Pipeline
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)


class Daemon:
    """Schedules refreshes, serves the status endpoints, and stops within the stop timeout."""

    def __init__(self, config: Config, db_path: str, http_host: str = "127.0.0.1", http_port: int = 8477,
                 job_timeout: float = JOB_TIMEOUT, stop_timeout: float = STOP_TIMEOUT,
                 sources: list[Source] | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))  # the release check's time: tests move it
        self.sources = list(config.sources.values()) if sources is None else sources
        self.db_path = db_path
        self.http_host, self.http_port = http_host, http_port
        self.job_timeout = job_timeout
        self.stop_timeout = stop_timeout
        self.metrics = Metrics()
        self.started = datetime.now(UTC)
        self.planned: list[Planned] = []
        self._stop = threading.Event()
        self._stop_deadline: float | None = None
        self._running: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self.store = Store(db_path)  # creates and migrates the database before anything runs
        # this connection answers /healthz and the stop: it waits 5 s for a busy database, not 30 s,
        # so a health probe answers within its timeout and a SIGTERM never queues behind a writer
        self.store.db.execute("PRAGMA busy_timeout = 5000")
        self._fetcher = Pipeline(config, self.store).fetcher  # one HTTP client (pool, robots cache) for all jobs
        self._beat = Leases(self.store.db)  # the daemon's heartbeat: proof the database takes writes
        self._beat_lock = threading.Lock()  # the main connection serves the web threads one at a time
        workers = max(1, config.settings.workers)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    # --- life cycle -----------------------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until SIGTERM/SIGINT, stop. Returns the exit code."""
        from service.web import Site, serve

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.planned = plan(self.sources, {r["id"]: r for r in self.store.sources()}, self.started)
        # every subscriber gets its cursor before any refresh runs: a new subscriber's first look must not
        # race a refresh (it would start after that refresh's events and never be sent them)
        run_due(self.config, self.store, self.started)
        try:
            site = Site(self.config, self.sources, self.db_path, self.health, self.render_metrics, self.next_runs)
            server = serve(site, self.http_host, self.http_port)
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", self.http_host, self.http_port, exc)
            return 1
        host, port = server.server_address[:2]
        log.info("serving /healthz /metrics /feed.atom / on http://%s:%s", host, port)
        for p in self.planned:
            extra = {"next_run_time": p.next_run} if p.next_run else {}
            self.scheduler.add_job(self._job, p.trigger, args=[p.source.id], id=p.source.id, name=p.source.id, **extra)
        # digests on their cadences (daily, weekly) and outbox retries; first run at once, so a restart
        # sends what was queued before it
        self.scheduler.add_job(self._digests, IntervalTrigger(seconds=DIGEST_EVERY), id="digests", name="digests",
                               next_run_time=self.started)
        self.scheduler.add_job(self._prune, IntervalTrigger(days=1), id="prune", name="prune")
        # late releases are noticed on their own schedule, not only when a fetch happens
        self.scheduler.add_job(self._releases, IntervalTrigger(seconds=RELEASE_CHECK_EVERY), id="releases",
                               name="releases", next_run_time=self.started)
        self.scheduler.start()
        due = [p.source.id for p in self.planned if p.run_now]
        log.info("scheduled %d sources; %d due now%s", len(self.planned), len(due),
                 f" ({', '.join(due[:10])}{', …' if len(due) > 10 else ''})" if due else "")
        while not self._stop.wait(0.2):  # a signal handler runs only between waits
            pass
        started = time.monotonic()
        self._shutdown()
        server.shutdown()
        server.server_close()
        with self._beat_lock:
            self.store.db.execute("PRAGMA busy_timeout = 2000")  # a stop must not queue for long
            try:
                release_process(self.store.db)
            except sqlite3.Error as exc:
                log.warning("leases not released (they expire on their own): %s", exc)
            self.store.close()
        log.info("stopped in %.1fs", time.monotonic() - started)
        return 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        self._stop.set()

    def _shutdown(self) -> None:
        """No new jobs; give running refreshes until the deadline; abandon the rest (they roll back)."""
        self._stop_deadline = time.monotonic() + self.stop_timeout
        self.scheduler.shutdown(wait=False)
        while self._running_now() and time.monotonic() < self._stop_deadline:
            time.sleep(0.05)
        for run in self._running_now():
            run.pipeline.leases.abandon()
            log.warning("refresh of %s abandoned at shutdown after %.1fs; whatever it had not committed is "
                        "rolled back", run.source.id, time.monotonic() - run.started)

    def _running_now(self) -> list[_Run]:
        """Refreshes in flight that the watchdog has not given up on."""
        with self._lock:
            return [r for r in self._running.values() if not r.done.is_set() and not r.pipeline.leases.abandoned]

    # --- jobs -----------------------------------------------------------------------------------

    def _job(self, source_id: str) -> None:
        """An APScheduler job: run one source's refresh in a worker thread, under the watchdog."""
        if self._stop.is_set():
            return
        source = self.config.sources[source_id]
        store = Store(self.db_path)  # a connection per refresh: SQLite transactions are per connection
        try:
            if store.reread_if_changed(source.id, source.reading, (source.url, *source.also, *source.mirrors)):
                log.info("%s: its configuration changed: its documents are read anew", source_id)
        except sqlite3.Error as exc:
            log.warning("%s: could not compare its configuration with the last refresh: %s", source_id, exc)
        run = _Run(source, Pipeline(self.config, store, fetcher=self._fetcher))
        with self._lock:
            self._running[source_id] = run
        threading.Thread(target=self._refresh, args=(run, store), name=f"refresh-{source_id}", daemon=True).start()
        deadline = run.started + self.job_timeout
        while not run.done.wait(0.1):
            if time.monotonic() > deadline:
                run.pipeline.leases.abandon()
                self.metrics.refreshed(source_id, "timeout", time.monotonic() - run.started)
                log.error("refresh of %s exceeded %.0fs: abandoned (its lease expires; nothing of it is written)",
                          source_id, self.job_timeout)
                self._timed_out(source)
                break
            if self._stop_deadline is not None and time.monotonic() > self._stop_deadline:
                break  # _shutdown abandons it; this executor thread must end so the process can exit
        with self._lock:
            if self._running.get(source_id) is run and (run.done.is_set() or run.pipeline.leases.abandoned):
                del self._running[source_id]

    def _refresh(self, run: _Run, store: Store) -> None:
        source_id = run.source.id
        outcome, observations, events = "failed", 0, 0
        try:
            report = run.pipeline.refresh([run.source])
            if source_id in report.skipped:
                outcome = "skipped"
                log.info("skipped %s: %s", source_id, report.skipped[source_id])
            else:
                result = report.sources[0]
                outcome = "ok" if result.ok else "failed"
                observations, events = result.observations, len(result.events)
                log_fn = log.info if result.ok else log.warning
                log_fn("refreshed %s in %.1fs: %d documents (%d unchanged), %d figures, %d new events%s", source_id,
                       result.elapsed_ms / 1000, result.documents, result.unchanged, result.observations,
                       len(result.events), f"; failed: {result.error}" if result.error else "")
            if report.events:
                self._notify(store, report.events)
        except Exception:
            log.exception("refresh of %s crashed", source_id)
        finally:
            if not run.pipeline.leases.abandoned:
                self.metrics.refreshed(source_id, outcome, time.monotonic() - run.started, observations, events)
            store.close()
            run.done.set()

    def _timed_out(self, source: Source) -> None:
        """A refresh abandoned for exceeding the job timeout is a failure of its source: counted toward
        `broken_after` like an HTTP error, so a source that always hangs ends up broken, not quietly ok."""
        from service.diff import Differ

        store = Store(self.db_path)
        try:
            now = utcnow()
            error = f"refresh exceeded the job timeout of {self.job_timeout:.0f}s and was abandoned"
            events: list[int] = []
            with store.transaction():
                row = store.record_failure(source.id, source.kind, source.url, source.role, error, now)
                if row.get("consecutive_failures", 0) >= self.config.settings.broken_after and not row.get("broken"):
                    store.update_source(source.id, broken=1)
                    events = Differ(store, self.config).source_event(
                        "source_broken", source, f"since|{row.get('last_success')}|{now}",
                        {"error": error, "failures": row.get("consecutive_failures")})
            if events:
                self._notify(store, events)
        except Exception:
            log.exception("could not record the timeout of %s", source.id)
        finally:
            store.close()

    def _notify(self, store: Store, events: list[int]) -> None:
        """New events: queue the digests of immediate subscribers and send them now, not at the next tick."""
        self._count(after_refresh(self.config, store, events))

    def _digests(self) -> None:
        """The cadence job: queue the digests now due (daily, weekly) and send what the outbox holds,
        retries included. Both are cheap when nothing is due."""
        if self._stop.is_set():
            return
        store = Store(self.db_path)
        try:
            now = datetime.now(UTC)
            # one source_stale per lapse; not for a source this start-up is about to run (the daemon was down)
            warming = (now - self.started).total_seconds() < self.job_timeout + DIGEST_EVERY
            due = {p.source.id for p in self.planned if p.run_now} if warming else set()
            with self._lock:
                running = set(self._running)
            record_stale_events(self.config, store, now, skip=due | running, sources=self.sources)
            run_due(self.config, store, now)
            self._count(deliver_due(self.config, store, now))
        except Exception:
            log.exception("the digest run failed; the next one retries")
        finally:
            store.close()

    def _releases(self) -> list[int]:
        """The calendar job: record release_overdue / release_arrived as of the clock and send them to
        immediate subscribers at once (the events' dedupe keys keep a second run from alerting again)."""
        if self._stop.is_set():
            return []
        from service.calendar import check_releases

        # not for a source this start-up is about to run, nor one running: its release may be on the server
        warming = (datetime.now(UTC) - self.started).total_seconds() < self.job_timeout + DIGEST_EVERY
        due = {p.source.id for p in self.planned if p.run_now} if warming else set()
        with self._lock:
            busy = due | set(self._running)
        store = Store(self.db_path)
        try:
            ids = check_releases(self.config, store, self.clock(), skip=busy)
            if ids:
                self._notify(store, ids)
            return ids
        except Exception:
            log.exception("the release check failed; the next one retries")
            return []
        finally:
            store.close()

    def _prune(self) -> None:
        """Daily: forget fetch history older than keep_history_days that nothing depends on."""
        store = Store(self.db_path)
        try:
            before = datetime.now(UTC) - timedelta(days=self.config.settings.keep_history_days)
            removed = store.prune(before.isoformat(timespec="microseconds"))
            log.info("pruned history before %s: %s", before.date(), removed)
        except Exception:
            log.exception("pruning failed; tomorrow's run retries")
        finally:
            store.close()

    def _count(self, attempts: list[Attempt]) -> None:
        for attempt in attempts:  # the outbox logs each one
            self.metrics.delivered(attempt.ok)

    # --- what the web endpoints ask -------------------------------------------------------------

    def health(self) -> list[str]:
        """Why the daemon is unhealthy; empty when the scheduler runs, the database takes a write and
        no source is overdue beyond its grace."""
        reasons = []
        if not self.scheduler.running or self._stop.is_set():
            reasons.append("scheduler not running")
        try:
            with self._beat_lock:
                self._beat.acquire(f"daemon:{self._beat.host}:{self._beat.pid}")  # a real, committed write
                rows = {r["id"]: r for r in self._beat.db.query("SELECT id, last_attempt FROM sources")}
        except Exception as exc:
            return [*reasons, f"database not writable: {type(exc).__name__}: {exc}"]
        return reasons + overdue(self.planned, rows, datetime.now(UTC), self.started, self.job_timeout)

    def render_metrics(self, store: Store) -> str:
        gauges = {
            "bridgewatch_up": ("1 while the daemon runs.", 1.0),
            "bridgewatch_scheduler_running": ("1 when the scheduler takes jobs.", float(self.scheduler.running)),
            "bridgewatch_start_time_seconds": ("Unix time the daemon started.", self.started.timestamp()),
            "bridgewatch_scheduled_sources": ("Sources with a scheduled job.", float(len(self.planned))),
            "bridgewatch_refreshes_in_progress": ("Refreshes running now.", float(len(self._running_now()))),
        }
        return self.metrics.render(store.db, gauges, all_health(self.config, store, sources=self.sources))

    def next_runs(self) -> dict[str, datetime | None]:
        if not self.scheduler.running:
            return {}
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

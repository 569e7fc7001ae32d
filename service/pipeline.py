"""One refresh: fetch -> extract -> observe -> diff, source by source.

Network and parsing run in a thread pool (`collect`, no database access); everything a source
produced is then written by the calling thread in one transaction (`record`), so a crash leaves
each source either fully refreshed or untouched, and a failing source never stops the others.

Unchanged content costs nothing beyond the request: a 304, an identical sha256 or an identical
kind-specific fingerprint (an API's `lastupdated`) skips extraction and the links it would find.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from scrapers import load_all
from scrapers.base import EXTRACTORS, FINGERPRINTERS, FOLLOWERS, Document, ExtractError, Observation, SourceSpec
from scrapers.fetch import Fetcher, FetchResult, Refused, Unresolvable, Validators, vet_link, wait_budget
from service.config import Config, Source
from service.derive import derived
from service.diff import Differ
from service.lease import Leases, source_lease
from service.observe import observe
from store.queries import Store, utcnow

log = logging.getLogger("bridgewatch.refresh")
MAX_FOLLOW_UPS = 30  # per source and refresh: a listing that suddenly links 10,000 pages is cut


@dataclass(slots=True)
class Fetched:
    """One document of a source: what came back, and what was read from it if it changed."""

    result: FetchResult
    kind: str
    fingerprint: str | None = None
    unchanged: bool = False
    observations: list[Observation] = field(default_factory=list)
    error: str | None = None  # fetch or extraction error, worded for a person
    superseded: bool = False  # a failed attempt that a mirror then answered
    follow_up: bool = False  # an article a feed or listing linked to (its failure is not the source's)
    read_before: int = 0  # figures the previous good fetch of this URL yielded
    previous_sha256: str | None = None  # the body the previous good fetch of this URL got
    same_state: bool = False  # unchanged body and the same validators: the URL's stored state stands
    read: bool = False  # _read has judged this body already


@dataclass(slots=True)
class SourceReport:
    source_id: str
    ok: bool
    error: str | None = None
    documents: int = 0
    unchanged: int = 0
    observations: int = 0
    events: list[int] = field(default_factory=list)
    elapsed_ms: float = 0.0


@dataclass(slots=True)
class RefreshReport:
    started_at: str
    sources: list[SourceReport] = field(default_factory=list)
    elapsed_s: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)  # source id -> why (its lease is held elsewhere)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if not s.ok]

    @property
    def events(self) -> list[int]:
        return [e for s in self.sources for e in s.events]


@dataclass(slots=True)
class Snapshot:
    """What the store knew before this refresh, loaded once so workers never touch the database."""

    validators: dict[str, Validators]
    fingerprints: dict[str, str | None]
    observed_before: dict[str, int]
    seen_urls: set[str]

    @classmethod
    def load(cls, store: Store) -> Snapshot:
        validators, fingerprints, observed, seen = {}, {}, {}, set()
        for r in store.db.query("SELECT * FROM url_state"):
            seen.add(r["url"])  # articles fetched once (or found gone) are not fetched again
            if r["sha256"] and not r["gone"]:
                validators[r["url"]] = Validators(r["etag"], r["last_modified"], r["sha256"])
                fingerprints[r["url"]] = r["fingerprint"]
                observed[r["url"]] = r["observations"]
        return cls(validators, fingerprints, observed, seen)


def collect(source: Source, fetcher: Fetcher, snapshot: Snapshot) -> list[Fetched]:
    """Fetch and read every document of `source`. Pure of the database; never raises.

    One wait budget covers the whole source: Retry-After and backoff sleeps of all its URLs
    together stay under a minute (scrapers.fetch.wait_budget)."""
    with wait_budget():
        return _collect(source, fetcher, snapshot)


def _collect(source: Source, fetcher: Fetcher, snapshot: Snapshot) -> list[Fetched]:
    spec = source.spec()
    out: list[Fetched] = []
    for primary in (source.url, *source.also):
        mirrors = source.mirrors if primary == source.url else ()
        fetched = _fetch_with_mirrors(primary, mirrors, fetcher, snapshot, source.params.get("max_bytes"),
                                      spec, source.kind)
        out += fetched
        last = fetched[-1]
        last.kind = source.kind
        if last.error:
            continue
        if not last.read:
            _read(last, spec, source.kind, snapshot, None)
        follow = FOLLOWERS.get(source.kind)
        if follow is None or last.error or last.unchanged:
            continue
        try:
            links = follow(Document(last.result.body or b"", last.result.final_url, spec, last.result.content_type))
        except ExtractError as exc:
            last.error = f"reading links: {exc}"
            continue
        except Exception as exc:  # a hostile body must not stop the source's other URLs
            last.error = f"reading links failed: {type(exc).__name__}: {str(exc)[:200]}"
            continue
        links = [link for link in links if not (link.once and link.url in snapshot.seen_urls)]
        links = [link for link in links if may_follow(link.url, last.result.final_url)][:MAX_FOLLOW_UPS]
        for link in links:
            # Scraped links are untrusted: the fetcher vets every redirect hop and pins the address.
            result = fetcher.get(link.url, None if link.once else snapshot.validators.get(link.url),
                                 linked_from=last.result.final_url)
            item = Fetched(result, link.kind, error=result.error, follow_up=True)
            out.append(item)
            if not item.error:
                _read(item, spec, link.kind, snapshot, link.published)
    return out


def may_follow(url: str, linked_from: str) -> bool:
    """A link found in a feed or listing may be fetched: http(s), no userinfo or backslashes, and on
    the feed's own host and port or on public addresses only. Scraped links are untrusted: one
    pointing at this machine, the local network or a cloud metadata service (169.254.169.254) must
    not make the watcher fetch and store it. The fetch itself checks again, hop by hop, and connects
    to the address it checked (Fetcher.get with `linked_from`); this is the early, quiet filter."""
    try:
        vet_link(url, linked_from)
    except Unresolvable:
        return True  # the fetch will fail and say so
    except Refused as exc:
        log.info("not following %s: %s", url[:200], exc)
        return False
    return True


def _fetch_with_mirrors(url: str, mirrors: Iterable[str], fetcher: Fetcher, snapshot: Snapshot,
                        max_bytes: int | None, spec: SourceSpec, kind: str) -> list[Fetched]:
    """The URL, else its mirrors in turn. A mirror is tried after an HTTP failure, and also after a
    200 whose body this kind cannot read at all (SBP's `www` host answering an HTML page where the
    workbook was): the body is read here, and an unreadable one falls through like a 5xx."""
    attempts: list[Fetched] = []
    mirrors = tuple(mirrors)
    for candidate in (url, *mirrors):
        result = fetcher.get(candidate, snapshot.validators.get(candidate), max_bytes)
        item = Fetched(result, kind, error=result.error)
        if result.ok and mirrors:
            _read(item, spec, kind, snapshot, None)
        if item.error is None:
            for failed in attempts:
                failed.superseded = True
        attempts.append(item)
        if item.error is None:
            break
    return attempts


def _read(item: Fetched, spec: SourceSpec, kind: str, snapshot: Snapshot, published: date | None) -> None:
    """Extract from a fetched body unless it is the same content as last time."""
    result = item.result
    item.kind = kind
    item.read = True
    item.read_before = snapshot.observed_before.get(result.url, 0)
    previous = snapshot.validators.get(result.url)
    item.same_state = previous is not None and (previous.etag, previous.last_modified) == (
        result.etag, result.last_modified)
    if result.not_modified:
        item.unchanged = True
        item.fingerprint = snapshot.fingerprints.get(result.url)
        return
    item.previous_sha256 = previous.sha256 if previous else None
    fingerprint_fn = FINGERPRINTERS.get(kind)
    try:  # a fingerprinter reads an untrusted body too: same error handling as the extractor
        item.fingerprint = fingerprint_fn(result.body or b"") if fingerprint_fn else None
    except Exception as exc:
        log.warning("fingerprint %s failed on %s: %s: %s", kind, result.url, type(exc).__name__, str(exc)[:200])
        item.fingerprint = None
    if previous is not None and (
        previous.sha256 == result.sha256
        or (item.fingerprint is not None and item.fingerprint == snapshot.fingerprints.get(result.url))
    ):
        item.unchanged = True
        item.same_state = item.same_state and previous.sha256 == result.sha256
        return
    item.same_state = False
    extract = EXTRACTORS.get(kind)
    if extract is None:
        item.error = f"no extractor for kind {kind!r}"
        return
    try:
        doc = Document(result.body or b"", result.final_url, replace(spec, kind=kind), result.content_type, published)
        item.observations = extract(doc)
    except ExtractError as exc:
        item.error = f"layout changed or unreadable: {exc}"
    except RecursionError:
        item.error = "layout changed or unreadable: the document is nested too deeply"
    except Exception as exc:  # a bug in one extractor must not take down the refresh
        log.exception("extractor %s crashed on %s", kind, result.url)
        item.error = f"extractor {kind} failed: {type(exc).__name__}: {exc}"
    else:
        item.observations = [o for o in item.observations if math.isfinite(o.value)]  # NaN is no figure
        if not item.observations and item.read_before and kind != "feed":
            # Nothing read where figures were: the layout changed under us. Kept as an error (no
            # sha256 stored), so the next fetch of the same body fails again instead of passing
            # as unchanged, and `broken_after` failures in a row do mark the source broken.
            item.error = "nothing extracted where figures were read before (layout changed?)"


class Pipeline:
    """Refreshes sources of a Config into a Store. The only writer of observations and events."""

    def __init__(self, config: Config, store: Store, fetcher: Fetcher | None = None,
                 today: Callable[[], date] | None = None) -> None:
        load_all()
        self.config = config
        self.store = store
        s = config.settings
        self.fetcher = fetcher or Fetcher(
            connect_timeout=s.connect_timeout, read_timeout=s.read_timeout, max_bytes=s.max_bytes,
            retries=s.retries, pool_size=max(s.workers, 2), respect_robots=s.respect_robots, user_agent=s.user_agent,
        )
        self.differ = Differ(store, config)
        self.leases = Leases(store.db)
        self.today = today or (lambda: datetime.now(UTC).date())

    def refresh(self, sources: Iterable[Source] | None = None,
                progress: Callable[[SourceReport], None] | None = None) -> RefreshReport:
        """Refresh `sources` (default: all): fetched in parallel, written one by one in the order given.

        Each source is refreshed under its lease; one whose lease another process holds is skipped
        (reported in `skipped`, not as a failure), and so is one whose lease was lost meanwhile.
        """
        report = RefreshReport(started_at=utcnow())
        chosen = []
        # Official sources are written first: an official value outranks a news report for the same
        # figure, so it should be the one that announces a new period and that news is checked against.
        asked = sorted(self.config.sources.values() if sources is None else sources, key=lambda s: not s.official)
        taken = self.leases.acquire_many([source_lease(src.id) for src in asked])
        for src in asked:
            if source_lease(src.id) in taken:
                chosen.append(src)
            else:
                holder = self.leases.holder(source_lease(src.id))
                report.skipped[src.id] = holder.describe() if holder else "lease busy"
                log.info("skipping %s: its refresh is %s", src.id, report.skipped[src.id])
        started = time.perf_counter()
        try:
            snapshot = Snapshot.load(self.store)
            today = self.today()
            workers = max(1, min(self.config.settings.workers, len(chosen)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
                futures = [(pool.submit(self._timed_collect, src, snapshot), src) for src in chosen]
                # Written in the order asked for, whatever order fetches finish in: events that
                # compare sources (records, disagreements) then come out the same on every run.
                for future, source in futures:
                    fetched, elapsed = self._await(future)
                    try:
                        source_report = self.record(source, fetched, today)
                    except Exception as exc:  # a bug or a full disk: this source rolls back, the rest go on
                        if isinstance(exc, sqlite3.Error):  # the database said why (full, read-only): one line
                            log.error("storing %s failed, nothing of this refresh of it was kept: %s: %s",
                                      source.id, type(exc).__name__, exc)
                        else:
                            log.exception("storing %s failed: nothing of this refresh of it was kept", source.id)
                        source_report = SourceReport(source.id, ok=False, documents=len(fetched),
                                                     error=f"internal error while storing: {type(exc).__name__}: {exc}")
                    if source_report is None:
                        log.warning("refresh of %s abandoned or its lease lost: results discarded", source.id)
                        report.skipped[source.id] = "lease lost before writing"
                        continue
                    source_report.elapsed_ms = elapsed
                    report.sources.append(source_report)
                    if progress:
                        progress(source_report)
        finally:
            self.leases.release_all()
        report.elapsed_s = time.perf_counter() - started
        if report.sources:
            self._judge_factsheet()
        return report

    def _judge_factsheet(self) -> None:
        """Re-judge the seed baselines into `seed_baselines`, so the `factsheet` SQL view (sqlite3,
        Datasette) shows the status as of this refresh. A failure here costs the view, not the refresh."""
        from service import factsheet_render

        try:
            factsheet_render.record(self.store, factsheet_render.gather(self.config, self.store))
        except Exception:  # noqa: BLE001
            log.exception("judging the fact sheet failed (the refresh itself was stored)")

    def _await(self, future: Future[tuple[list[Fetched], float]]) -> tuple[list[Fetched], float]:
        """The result of one source's collection, renewing the leases while it is slow to come."""
        while True:
            self.leases.renew_due()
            try:
                return future.result(timeout=self.leases.ttl / 3)
            except FutureTimeout:
                continue

    def _timed_collect(self, source: Source, snapshot: Snapshot) -> tuple[list[Fetched], float]:
        started = time.perf_counter()
        try:
            fetched = collect(source, self.fetcher, snapshot)
        except Exception as exc:  # defensive: collect is written not to raise
            log.exception("collecting %s failed", source.id)
            empty = FetchResult(source.url, source.url, None, None, "", None, None, None, 0.0, str(exc))
            fetched = [Fetched(empty, source.kind, error=f"internal error: {type(exc).__name__}: {exc}")]
        return fetched, (time.perf_counter() - started) * 1000

    def record(self, source: Source, fetched: list[Fetched], today: date) -> SourceReport | None:
        """Write one source's fetches, observations and events in a single transaction, and give
        its lease back in the same one. None, and nothing written, when the lease was lost."""
        now = utcnow()
        report = SourceReport(source.id, ok=True, documents=len(fetched))
        lease = source_lease(source.id)
        with self.store.transaction():
            if not self.leases.release_within(lease):
                return None
            state = self.store.source_state(source.id)
            if state is None or (state["kind"], state["url"], state["role"]) != (source.kind, source.url, source.role):
                self.store.ensure_source(source.id, source.kind, source.url, source.role)
            state = state or {}
            changes = []
            indicators = dict(self.config.indicators)
            for item in fetched:
                fetch_id = self._record_fetch(source, item, now)
                report.unchanged += item.unchanged
                if item.observations:
                    changes += observe(self.store, source.id, fetch_id, item.result.final_url, item.observations,
                                       indicators, self.config.settings, today, now)
                report.observations += len(item.observations)
            if source.official and changes:
                sums = derived(self.store, self.config, source, changes)
                changes += observe(self.store, source.id, fetch_id, source.url, sums, indicators,
                                   self.config.settings, today, now)
            report.events += self.differ.events_for(source, changes, backfill=not state.get("last_success"))
            error = self._source_error(source, fetched)
            if source.role == "cited":
                report.events += self._citation_events(source, fetched, changes, state)
            report.events += self._health(source, state, error, fetched, now)
        report.ok = error is None
        report.error = error
        return report

    def _record_fetch(self, source: Source, item: Fetched, now: str) -> int:
        r = item.result
        if r.body is not None and r.sha256:
            self.store.save_document(r.sha256, r.body, r.content_type)
        return self.store.record_fetch(
            refresh_state=not (item.unchanged and item.same_state),
            source_id=source.id, url=r.url, final_url=r.final_url, started_at=now, status=r.status,
            etag=r.etag, last_modified=r.last_modified, sha256=r.sha256 if not item.error else None,
            fingerprint=item.fingerprint, bytes=len(r.body) if r.body is not None else None,
            elapsed_ms=round(r.elapsed_ms, 1), not_modified=int(r.not_modified), unchanged=int(item.unchanged),
            # an unchanged body still holds the figures read from it: what the next layout check needs
            observations=item.read_before if item.unchanged else len(item.observations),
            error=item.error,
        )

    def _source_error(self, source: Source, fetched: list[Fetched]) -> str | None:
        """Why this refresh of `source` counts as a failure, or None. A linked article that fails is
        recorded and logged, but is not the source's failure (one deleted story must not break a feed)."""
        for item in fetched:
            if item.error and item.follow_up:
                log.info("%s: linked article %s: %s", source.id, item.result.url, item.error)
        errors = [f"{f.result.url}: {f.error}" for f in fetched if f.error and not f.superseded and not f.follow_up]
        return "; ".join(errors)[:1000] if errors else None

    def _citation_events(self, source: Source, fetched: list[Fetched], changes, state) -> list[int]:  # type: ignore[no-untyped-def]
        first = next((f for f in fetched if not f.superseded), None)
        if first is None:
            return []
        r = first.result
        if r.status in (404, 410):
            return self.differ.source_event("citation_changed", source, f"gone|{r.status}",
                                            {"change": "gone", "status": r.status})
        if r.ok and r.moved:
            return self.differ.source_event("citation_changed", source, f"moved|{r.final_url}",
                                            {"change": "moved", "moved_to": r.final_url})
        if first.error or first.unchanged:
            return []
        if not first.observations and first.previous_sha256 and first.previous_sha256 != r.sha256:
            # A report whose figures cannot be read (a scanned PDF): its change is flagged for review.
            return self.differ.source_event(
                "citation_changed", source, f"document|{r.sha256}",
                {"change": "document_changed", "sha256": r.sha256, "previous_sha256": first.previous_sha256})
        return self.differ.check_citations(source, changes, fetch_ok_before=bool(state.get("last_success")))

    def _health(self, source: Source, state: dict, error: str | None, fetched: list[Fetched], now: str) -> list[int]:  # type: ignore[type-arg]
        failures = int(state.get("consecutive_failures") or 0)
        broken = bool(state.get("broken"))
        threshold = self.config.settings.broken_after
        events: list[int] = []
        if error:
            failures += 1
            fields = {"last_attempt": now, "consecutive_failures": failures, "last_error": error}
            if failures >= threshold and not broken:
                fields["broken"] = 1
                events += self.differ.source_event("source_broken", source, f"since|{state.get('last_success')}|{now}",
                                                   {"error": error, "failures": failures})
            self.store.update_source(source.id, **fields)
            return events
        fields = {"last_attempt": now, "last_success": now, "consecutive_failures": 0, "broken": 0, "last_error": None}
        if any(f.observations for f in fetched):
            fields["last_new_data"] = now
        if broken:
            events += self.differ.source_event("source_recovered", source, f"at|{now}",
                                               {"after_failures": failures})
        # the source still states what it stated: its current values were seen again now
        self.store.db.execute("UPDATE observations SET last_seen = ? WHERE source_id = ? AND current = 1",
                              [now, source.id])
        self.store.update_source(source.id, **fields)
        return events

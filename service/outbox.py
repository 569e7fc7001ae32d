"""Outbox: every (digest, channel) pair is a row, sent at least once and, barring a crash, once only.

Life of a row: `pending` -> claimed as `sending` (attempts + 1, committed *before* the send) ->
`sent`; or back to `pending` with an exponential, jittered delay after a failure; or `dead` after
`delivery_attempts` tries or a permanent error (a 4xx, a refused login), kept with its last error
for `bridgewatch outbox` / `status` until someone retries it by hand.

The id is stable (a hash of the digest and the redacted channel) and travels with every send as
the email Message-ID and the webhook Idempotency-Key. A process that dies after sending and before
recording leaves the row in `sending`; once its lease (`delivery_lease`) expires the next run sends
it again with the same id, so a receiver sees at most one duplicate and can recognise it.

Secrets never reach this table: a row keeps the channel's redacted URL, and the real URL is looked
up in the current configuration (same subscriber, same redacted form) when the row is sent, so a
rotated token is picked up and a removed channel is reported instead of guessed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service import delivery
from service.config import Config, Settings, Subscriber
from service.delivery import DeliveryError, Message
from store.queries import Store

log = logging.getLogger("bridgewatch.outbox")
STATUSES = ("pending", "sending", "sent", "dead")


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one send did: `status` is the row's state afterwards (sent, pending again, dead)."""

    id: str
    subscriber: str
    channel: str  # redacted
    status: str
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


def iso(moment: datetime) -> str:
    """The one timestamp format of this table (UTC, fixed width), so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def outbox_id(digest_id: int, digest_created_at: str, subscriber: str, channel: str) -> str:
    """Stable id of a (digest, channel) pair; `channel` is redacted, so no secret is hashed."""
    key = f"{digest_id}\n{digest_created_at}\n{subscriber}\n{channel}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def backoff(settings: Settings, attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `attempts`-th failure: base * 2^(n-1), ±50% jitter, capped."""
    delay = settings.delivery_backoff * 2 ** max(attempts - 1, 0)
    return min(settings.delivery_backoff_max, delay * (0.5 + rng()))


def enqueue(store: Store, digest_id: int, digest_created_at: str, subscriber: Subscriber, now: datetime) -> list[str]:
    """One pending row per channel of `subscriber` for this digest; returns their ids."""
    ids = []
    for url in subscriber.channels:
        channel = delivery.redact(url)
        row_id = outbox_id(digest_id, digest_created_at, subscriber.name, channel)
        store.enqueue(id=row_id, digest_id=digest_id, subscriber=subscriber.name, channel=channel,
                      status="pending", attempts=0, next_attempt=iso(now), created_at=iso(now))
        ids.append(row_id)
    return ids


def resolve(config: Config, subscriber: str, channel: str) -> str | None:
    """The configured URL (with its secrets) whose redacted form is `channel`, or None."""
    for sub in config.subscribers:
        if sub.name == subscriber:
            for url in sub.channels:
                if delivery.redact(url) == channel:
                    return url
    return None


def message(store: Store, digest_id: int, subscriber: str) -> Message:
    """The stored digest in every form, as channels take it."""
    row = store.digest(digest_id)
    if row is None:
        raise DeliveryError(f"digest {digest_id} is not in the database", permanent=True)
    payload: dict[str, Any] = json.loads(row["payload"]) if row.get("payload") else {"subject": row["subject"]}
    payload.update(digest_id=digest_id, subscriber=subscriber)
    images = {cid: base64.b64decode(png) for cid, png in json.loads(row.get("images") or "{}").items()}
    return Message(row["subject"], row["text"], row["html"], row.get("markdown") or row["text"], payload, images)


def deliver_due(config: Config, store: Store, now: datetime | None = None) -> list[Attempt]:
    """Attempt every row that is due at `now` (and every interrupted send); returns what happened.

    Sends run in parallel threads, so a slow or failing channel delays none of the others beyond
    its own timeout; the database is written from the calling thread only. Safe to call from the
    daemon and a one-off `refresh` at once: a row is claimed with a compare-and-set update.
    """
    now = now or datetime.now(UTC)
    settings = config.settings
    stale = iso(now - timedelta(seconds=settings.delivery_lease))
    claimed: list[tuple[dict[str, Any], str, Message]] = []
    results: list[Attempt] = []
    for row in store.outbox_due(iso(now), stale):
        expect = {"status": row["status"], "claimed_at": row["claimed_at"], "attempts": row["attempts"]}
        if row["attempts"] >= settings.delivery_attempts:  # its last attempt was interrupted
            error = "interrupted during its last attempt (it may or may not have arrived)"
            if store.update_outbox(row["id"], expect=expect, status="dead", last_error=error):
                results.append(Attempt(row["id"], row["subscriber"], row["channel"], "dead", row["attempts"], error))
            continue
        if not store.update_outbox(row["id"], expect=expect, status="sending", claimed_at=iso(now),
                                   attempts=row["attempts"] + 1):
            continue  # another process claimed it first
        row = {**row, "attempts": row["attempts"] + 1, "claimed_at": iso(now)}
        url = resolve(config, row["subscriber"], row["channel"])
        try:
            if url is None:
                raise DeliveryError(f"channel {row['channel']} of {row['subscriber']!r} is no longer configured",
                                    permanent=True)
            claimed.append((row, url, message(store, row["digest_id"], row["subscriber"])))
        except DeliveryError as exc:
            results.append(record(store, settings, row, now, exc))
    if not claimed:
        return results
    with ThreadPoolExecutor(max_workers=min(len(claimed), settings.workers), thread_name_prefix="deliver") as pool:
        futures = [(row, pool.submit(delivery.deliver, url, msg, row["id"], settings.delivery_timeout))
                   for row, url, msg in claimed]
        for row, future in futures:
            results.append(record(store, settings, row, now, _error_of(future)))
    return results


def _error_of(future: Future[None]) -> DeliveryError | None:
    try:
        future.result()
    except DeliveryError as exc:
        return exc
    except Exception as exc:  # a bug in one channel must not stop the others or lose the row
        log.exception("unexpected error while sending")
        return DeliveryError(f"unexpected {type(exc).__name__}: {exc}")
    return None


def record(store: Store, settings: Settings, row: dict[str, Any], now: datetime,
           error: DeliveryError | None) -> Attempt:
    """Write the outcome of one claimed send: sent, pending with a later retry, or dead."""
    attempts = row["attempts"]
    if error is None:
        store.update_outbox(row["id"], status="sent", sent_at=iso(now), last_error=None)
        log.info("sent %s to %s (%s)", row["id"], row["channel"], row["subscriber"])
        return Attempt(row["id"], row["subscriber"], row["channel"], "sent", attempts)
    reason = str(error)
    if error.permanent or attempts >= settings.delivery_attempts:
        store.update_outbox(row["id"], status="dead", last_error=reason)
        log.error("gave up on %s to %s after %d attempt(s): %s", row["id"], row["channel"], attempts, reason)
        return Attempt(row["id"], row["subscriber"], row["channel"], "dead", attempts, reason)
    delay = max(backoff(settings, attempts), error.retry_after or 0.0)
    store.update_outbox(row["id"], status="pending", last_error=reason,
                        next_attempt=iso(now + timedelta(seconds=delay)))
    log.warning("send %s to %s failed (attempt %d, next in %.0fs): %s", row["id"], row["channel"], attempts,
                delay, reason)
    return Attempt(row["id"], row["subscriber"], row["channel"], "pending", attempts, reason)


def retry(store: Store, row_id: str, now: datetime | None = None) -> bool:
    """Send a dead (or waiting) row again at the next run, with a fresh budget of attempts."""
    row = store.outbox_row(row_id)
    if row is None or row["status"] not in ("dead", "pending"):
        return False
    now = now or datetime.now(UTC)
    return store.update_outbox(row_id, expect={"status": row["status"]}, status="pending", attempts=0,
                               next_attempt=iso(now))


def retry_dead(store: Store, now: datetime | None = None) -> int:
    """`retry` every dead row; returns how many."""
    return sum(retry(store, row["id"], now) for row in store.outbox("dead", limit=100_000))

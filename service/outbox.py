"""Outbox: every (digest, channel) pair is a row, sent at least once and, barring a crash, once only.

Life of a row: `pending` -> claimed as `sending` (attempts + 1, committed *before* the send) ->
`sent`; or back to `pending` with an exponential, jittered delay after a failure; or `dead` after
`delivery_attempts` tries or a permanent error (a 4xx, a refused login), kept with its last error
for `bridgewatch outbox` / `status` until someone retries it by hand.

The id is stable (a hash of the digest, the subscriber and the channel's key) and travels with every
send as the email Message-ID and the webhook Idempotency-Key. A process that dies after sending and before
recording leaves the row in `sending`; once its lease (`delivery_lease`) expires the next run sends
it again with the same id, so a receiver sees at most one duplicate and can recognise it.

Secrets never reach this table: a row keeps the channel's redacted URL (for people) and its key
(for the machine): an HMAC-SHA256 of the real URL, password left out, under a random secret made
once per database (`meta.channel_key_secret`). The real URL is looked up in the current
configuration by that key when the row is sent. So two channels that look alike once masked
(`json://h/hook/AAAA…` and `json://h/hook/BBBB…`) are two rows, each sent to its own URL; a
rotated password keeps the channel (the password is not part of its identity), while a changed
token or path makes it another channel, and the old row is reported as no longer configured
rather than guessed. The hash is keyed because the id leaves the machine (Message-ID,
Idempotency-Key): an unkeyed hash of a URL would let a receiver test guesses of other channels'
tokens. The secret sits in the same database, so someone holding the database file could still
test guesses offline; they would hold every digest already, but not the tokens.

Every wait is capped: a receiver's Retry-After (however absurd) never delays a retry beyond
`delivery_backoff_max`, and a failure while recording one send never stops the others being
recorded (so a sent email is never left in `sending` to go out again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

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


SECRET_KEY = "channel_key_secret"
MAX_WAIT = 7 * 24 * 3600.0  # no delay is ever longer than this, whatever the settings say


def outbox_id(digest_id: int, digest_created_at: str, subscriber: str, channel_key: str) -> str:
    """Stable id of a (digest, channel) pair; `channel_key` is keyed, so no secret can be guessed back."""
    key = f"{digest_id}\n{digest_created_at}\n{subscriber}\n{channel_key}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def channel_identity(url: str) -> str:
    """What makes a channel itself: the whole URL but the password of its userinfo (a rotated
    password is the same mailbox or endpoint; a different token, path or header is not)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", "@", 1)).geturl()


def _secret(store: Store) -> bytes:
    row = store.db.execute("SELECT value FROM meta WHERE key = ?", [SECRET_KEY]).fetchone()
    if row is None:  # a database whose meta row was deleted by hand: make a new secret
        store.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, lower(hex(randomblob(32))))",
                         [SECRET_KEY])
        row = store.db.execute("SELECT value FROM meta WHERE key = ?", [SECRET_KEY]).fetchone()
    return bytes.fromhex(row[0])


def channel_key(store: Store, url: str) -> str:
    """The outbox's key of a channel: HMAC-SHA256 of its identity under the database's secret."""
    return hmac.new(_secret(store), channel_identity(url).encode(), hashlib.sha256).hexdigest()


def backoff(settings: Settings, attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `attempts`-th failure: base * 2^(n-1), ±50% jitter, capped."""
    delay = settings.delivery_backoff * 2 ** max(attempts - 1, 0)
    return min(settings.delivery_backoff_max, delay * (0.5 + rng()))


def enqueue(store: Store, digest_id: int, digest_created_at: str, subscriber: Subscriber, now: datetime) -> list[str]:
    """One pending row per channel of `subscriber` for this digest; returns their ids."""
    ids = []
    for url in subscriber.channels:
        key = channel_key(store, url)
        row_id = outbox_id(digest_id, digest_created_at, subscriber.name, key)
        store.enqueue(id=row_id, digest_id=digest_id, subscriber=subscriber.name, channel=delivery.redact(url),
                      channel_key=key, status="pending", attempts=0, next_attempt=iso(now), created_at=iso(now))
        ids.append(row_id)
    return list(dict.fromkeys(ids))  # a channel listed twice is one channel


def resolve(config: Config, store: Store, row: dict[str, Any]) -> str | None:
    """The configured URL (with its secrets) of the row's channel, found by its key; None when no
    channel of that subscriber has it any more. A row from before keys (channel_key NULL) is
    matched by its redacted form, and only when exactly one channel has that form."""
    urls = [url for sub in config.subscribers if sub.name == row["subscriber"] for url in sub.channels]
    if row.get("channel_key"):
        return next((url for url in urls if hmac.compare_digest(channel_key(store, url), row["channel_key"])), None)
    alike = list(dict.fromkeys(url for url in urls if delivery.redact(url) == row["channel"]))
    return alike[0] if len(alike) == 1 else None


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
        url = resolve(config, store, row)
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
            try:
                results.append(record(store, settings, row, now, _error_of(future)))
            except Exception:  # recording one send must never stop the others being recorded
                log.exception("recording the send of %s to %s failed", row["id"], row["channel"])
    return results


def _wait(seconds: float | None, cap: float = MAX_WAIT) -> float:
    """`seconds` as a delay that datetime arithmetic can take: finite, >= 0, at most `cap`."""
    if seconds is None or seconds != seconds or seconds < 0:  # None, NaN, negative
        return 0.0
    return min(float(seconds), max(0.0, min(cap, MAX_WAIT)))


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
    delay = _wait(max(backoff(settings, attempts), _wait(error.retry_after)), settings.delivery_backoff_max)
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

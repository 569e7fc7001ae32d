"""Notify: decide which subscribers are due a digest, render it for them and queue it in the outbox.

Each subscriber has a cursor in the database (`subscriber_state.last_event_id`): its next digest
batches every event after it that passes the subscriber's filter, and the cursor moves past
every event it has considered, wanted or not. Digest, outbox rows and cursor are written in one
transaction, so a digest is queued exactly once even when the daemon and a one-off refresh run
at the same time. Sending is the outbox's job (`service.outbox.deliver_due`).

Cadence: `immediate` is due whenever there are new events; `daily HH:MM` and `weekly DAY HH:MM`
are due once the latest such moment in the subscriber's time zone has passed since the last one
handled. A subscriber seen for the first time starts from "now": it is not sent the backlog.
Nothing is sent when nothing changed, except the optional weekly all-clear note
(`weekly_all_clear = true`) after seven quiet days.
"""

from __future__ import annotations

import html
import logging
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from service import __version__, delivery, outbox
from service import digest as digests
from service.config import Config, Subscriber
from service.delivery import Message
from store.queries import Store

log = logging.getLogger("bridgewatch.notify")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_PASS = {"source_broken", "source_recovered", "source_stale"}  # health is news whatever the filter says
UNFILTERED = ALWAYS_PASS | {"suspect"}  # no threshold applies: not a change of value
QUIET_WEEK = timedelta(days=7) - timedelta(hours=1)  # an hour of slack for DST and run jitter


@dataclass(frozen=True, slots=True)
class Cadence:
    kind: str  # immediate | daily | weekly
    hour: int = 0
    minute: int = 0
    weekday: int | None = None  # Monday is 0

    def last_slot(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """The latest scheduled moment at or before `now` (UTC), None for `immediate`."""
        if self.kind == "immediate":
            return None
        local = now.astimezone(tz)
        back = 0 if self.weekday is None else (local.weekday() - self.weekday) % 7
        slot = (local - timedelta(days=back)).replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if slot > local:
            slot -= timedelta(days=7 if self.weekday is not None else 1)
        return slot.astimezone(UTC)


def parse_cadence(text: str) -> Cadence:
    """'immediate', 'daily 07:30' or 'weekly mon 08:00' (as config.py validates them)."""
    words = text.lower().split()
    if words == ["immediate"]:
        return Cadence("immediate")
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", words[-1]) if len(words) in (2, 3) else None
    if match is None or words[0] not in ("daily", "weekly") or (words[0] == "weekly") != (len(words) == 3):
        raise ValueError(f"cadence must be immediate, 'daily HH:MM' or 'weekly DAY HH:MM', got {text!r}")
    weekday = WEEKDAYS.index(words[1][:3]) if words[0] == "weekly" else None
    return Cadence(words[0], int(match[1]), int(match[2]), weekday)


def wanted(subscriber: Subscriber, event: dict[str, Any]) -> bool:
    """Does this event belong in `subscriber`'s digest?

    Indicators match by id or glob and `events` lists the kinds wanted (both optional). A value
    change smaller than min_change_pct (percent) or min_change_abs (the indicator's unit) against
    the previous value, or the seed baseline when there is none, is dropped; with both set, a
    change must clear both. Source health passes the indicator filter and thresholds.
    """
    kind = event["kind"]
    if subscriber.events and kind not in subscriber.events:
        return False
    if kind in ALWAYS_PASS:
        return True
    if not subscriber.wants(event.get("indicator")):
        return False
    new = event.get("new_value")
    previous = (event.get("detail") or {}).get("previous_value") if kind == "new_period" else None
    ref = next((v for v in (event.get("old_value"), previous, event.get("baseline_value")) if v is not None), None)
    if kind in UNFILTERED or new is None or ref is None:
        return True
    if subscriber.min_change_abs is not None and abs(new - ref) < subscriber.min_change_abs:
        return False
    return not (subscriber.min_change_pct is not None and ref != 0
                and 100.0 * abs(new - ref) / abs(ref) < subscriber.min_change_pct)


def start(store: Store, subscriber: Subscriber, after_event_id: int, now: datetime) -> None:
    """Give a subscriber seen for the first time its cursor (no-op for a known one)."""
    if store.subscriber_state(subscriber.name) is None:
        slot = parse_cadence(subscriber.cadence).last_slot(now, ZoneInfo(subscriber.timezone))
        store.save_subscriber_state(subscriber.name, last_event_id=after_event_id,
                                    last_slot=outbox.iso(slot) if slot else None, last_all_clear=outbox.iso(now))


def start_all(config: Config, store: Store, now: datetime | None = None) -> None:
    """Give every subscriber seen for the first time its cursor at the current end of the event stream.

    Called before a refresh writes anything: events of a refresh that is killed half-way then lie after
    the cursor and reach the subscriber with the next run, instead of before a cursor made afterwards."""
    now = now or datetime.now(UTC)
    for subscriber in config.subscribers:
        if store.subscriber_state(subscriber.name) is None:
            with store.transaction():
                start(store, subscriber, store.max_event_id(), now)


def check_channel(url: str) -> str | None:
    """Why `url` cannot be sent to, checked the way it will be sent (our parser for mailto:// and json://,
    Apprise's for the rest), or None. No network and no secret is needed to check."""
    from urllib.parse import urlsplit

    from service.delivery import apprise_channel, email, webhook

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"{delivery.scrub_for(url, url)}: {exc}"
    scheme = parts.scheme.lower()
    try:
        if scheme in email.SCHEMES:
            email.SmtpTarget.from_url(url)
        elif scheme in webhook.SCHEMES:
            webhook.target(url)
        else:
            apprise_channel.plugin(url)
    except delivery.DeliveryError as exc:
        return str(exc)
    return None


def run_due(config: Config, store: Store, now: datetime | None = None) -> list[str]:
    """Queue a digest for every subscriber that is due at `now`; returns the new outbox ids.

    Cheap when nothing is due (a few small queries), so a scheduler may call it every minute.
    Sends nothing: call `outbox.deliver_due` next.
    """
    now = now or datetime.now(UTC)
    queued: list[str] = []
    for subscriber in config.subscribers:
        try:
            with store.transaction():
                start(store, subscriber, store.max_event_id(), now)
                queued += _run(config, store, subscriber, now)
        except Exception:  # one subscriber's broken digest must not starve the others
            log.exception("could not queue the digest for %s; will try again", subscriber.name)
    return queued


def _run(config: Config, store: Store, subscriber: Subscriber, now: datetime) -> list[str]:
    state = store.subscriber_state(subscriber.name) or {}
    cadence = parse_cadence(subscriber.cadence)
    tz = ZoneInfo(subscriber.timezone)
    slot = cadence.last_slot(now, tz)
    if slot is not None and state.get("last_slot") and state["last_slot"] >= outbox.iso(slot):
        return []  # this slot was handled
    events = store.events(after_id=state.get("last_event_id") or 0)
    chosen = [e for e in events if wanted(subscriber, e)]
    cursor = {"last_event_id": max([e["id"] for e in events], default=state.get("last_event_id") or 0),
              "last_slot": outbox.iso(slot) if slot else state.get("last_slot")}
    quiet_since = max(filter(None, [state.get("last_digest_at"), state.get("last_all_clear")]), default=None)
    all_clear = (not chosen and subscriber.weekly_all_clear and quiet_since is not None
                 and now - datetime.fromisoformat(quiet_since) >= QUIET_WEEK)
    if not chosen and not all_clear:
        store.save_subscriber_state(subscriber.name, **cursor)
        return []
    title = {"daily": "bridgewatch daily digest", "weekly": "bridgewatch weekly digest"}.get(cadence.kind,
                                                                                              "bridgewatch")
    digest = digests.build(store, config, chosen, now=now, title=title, timezone_name=subscriber.timezone,
                           quiet="no changes this week" if all_clear else "no changes")
    digest_id = digests.record(store, digest, subscriber=subscriber.name)
    ids = outbox.enqueue(store, digest_id, digest.created_at, subscriber, now)
    stamp = "last_all_clear" if all_clear else "last_digest_at"
    store.save_subscriber_state(subscriber.name, **cursor, **{stamp: outbox.iso(now)})
    log.info("queued digest %d (%d events) for %s on %d channel(s)", digest_id, len(chosen), subscriber.name,
             len(ids))
    return ids


def after_refresh(config: Config, store: Store, event_ids: list[int],
                  now: datetime | None = None) -> list[outbox.Attempt]:
    """After a refresh: queue the digests now due (the new events reach immediate subscribers,
    including ones configured since the last run), then attempt every due send."""
    now = now or datetime.now(UTC)
    if event_ids:
        for subscriber in config.subscribers:
            with store.transaction():
                start(store, subscriber, min(event_ids) - 1, now)
    run_due(config, store, now)
    return outbox.deliver_due(config, store, now)


def probe_message(url: str, now: datetime | None = None) -> Message:
    """A short message that proves a channel works, in every form a channel may take."""
    now = now or datetime.now(UTC)
    where = delivery.redact(url)
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    line = (f"This is a test message from bridgewatch {__version__} on {socket.gethostname()} at {stamp}. "
            f"If you can read it, digests will reach you through {where}.")
    subject = "bridgewatch test message"
    body = f"<!DOCTYPE html><html><body><p><strong>{subject}</strong></p><p>{html.escape(line)}</p></body></html>"
    payload = {"version": 1, "type": "bridgewatch.test", "subject": subject, "generated_at": now.isoformat(),
               "events": [], "health": {"broken": [], "stale": []}, "markdown": line}
    return Message(subject, line + "\n", body, f"**{subject}**\n\n{digests.markdown_escape(line)}\n", payload)


def send_test(config: Config, url: str) -> str:
    """Send `probe_message` to `url` now (no outbox); returns the redacted URL, raises DeliveryError."""
    now = datetime.now(UTC)
    delivery.deliver(url, probe_message(url, now), f"test-{now.strftime('%Y%m%d%H%M%S%f')}",
                     config.settings.delivery_timeout)
    return delivery.redact(url)

"""Deliver: after a refresh with events, render the digest and send it to immediate subscribers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from service import digest as digests
from service.config import Config, Subscriber
from service.delivery import email
from store.queries import Store

log = logging.getLogger("bridgewatch.notify")


@dataclass(frozen=True, slots=True)
class Sent:
    subscriber: str
    channel: str  # redacted
    ok: bool
    error: str | None = None


def _wanted(subscriber: Subscriber, events: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [e for e in events if subscriber.wants(e.get("indicator"))
            and (not subscriber.events or e["kind"] in subscriber.events)]


def after_refresh(config: Config, store: Store, event_ids: list[int]) -> list[Sent]:
    """Send each immediate subscriber the digest of the new events it wants; returns what happened."""
    if not event_ids:
        return []
    events = [e for e in store.events(after_id=min(event_ids) - 1) if e["id"] in set(event_ids)]
    results: list[Sent] = []
    for subscriber in config.subscribers:
        if subscriber.cadence != "immediate":
            continue
        wanted = _wanted(subscriber, events)
        if not wanted:
            continue
        digest = digests.build(store, config, wanted)
        digest_id = digests.record(store, digest)
        for channel in subscriber.channels:
            safe = email.redact(channel)
            try:
                email.send(channel, digest.subject, digest.text, digest.html, message_id=f"digest-{digest_id}")
            except email.DeliveryError as exc:
                log.warning("delivery to %s failed: %s", safe, exc)
                results.append(Sent(subscriber.name, safe, False, str(exc)))
            else:
                results.append(Sent(subscriber.name, safe, True))
    return results

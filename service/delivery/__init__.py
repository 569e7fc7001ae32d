"""Delivery of digests to channels: a registry of senders by URL scheme, urlwatch-reporter style.

A channel family is one module exposing `SCHEMES`, `deliver(url, message, message_id, timeout)`
(raising `DeliveryError`) and optionally its own `redact(url)`. Email and the JSON webhook are
written here for control over format, errors and idempotency; every other scheme goes to Apprise.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from urllib.parse import urlsplit

from service.delivery import apprise_channel, email, webhook
from service.delivery.base import DeliveryError, Message, scrub

__all__ = ["DeliveryError", "Message", "channel_family", "deliver", "redact", "scrub_for"]

Deliver = Callable[[str, Message, str, float], None]
FAMILIES: dict[str, ModuleType] = {scheme: module for module in (email, webhook) for scheme in module.SCHEMES}


def channel_family(url: str) -> ModuleType:
    """The module that sends to `url` (Apprise for any scheme not handled here)."""
    return FAMILIES.get(urlsplit(url).scheme.lower(), apprise_channel)


def redact(url: str) -> str:
    """The channel URL as it may be logged, stored and shown: no password, token or secret header."""
    return channel_family(url).redact(url)  # type: ignore[no-any-return]


def scrub_for(message: str, url: str) -> str:
    """An error message about `url` with the URL's secrets masked."""
    return scrub(message, url, redact(url))


def deliver(url: str, message: Message, message_id: str, timeout: float) -> None:
    """Send `message` to one channel; DeliveryError (secrets masked) says why it failed."""
    sender: Deliver = channel_family(url).deliver
    try:
        sender(url, message, message_id, timeout)
    except DeliveryError as exc:
        raise DeliveryError(scrub_for(str(exc), url), exc.permanent, exc.retry_after) from None

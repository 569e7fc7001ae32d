"""What every channel shares: the message it is handed, the error it raises, and redaction.

Channel URLs carry secrets (an SMTP password, a Slack token, a Discord webhook token). Only the
redacted form may reach a log line, the database or a person's terminal; `redact` produces it and
`scrub` removes any secret that slipped into an error message from a library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

SECRET_KEYS = ("pass", "password", "token", "secret", "key", "apikey", "auth", "sig", "signature", "access")
MASK = "***"


class DeliveryError(Exception):
    """A send that did not go through; the message says why, without secrets."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent  # retrying will not help (bad address, auth refused, 4xx)
        self.retry_after = retry_after  # seconds the receiver asked us to wait (HTTP Retry-After)


@dataclass(frozen=True, slots=True)
class Message:
    """One digest in every form a channel may want; each channel picks the one it sends."""

    subject: str
    text: str
    html: str
    markdown: str
    payload: Mapping[str, Any]  # the JSON webhook's document (see service/delivery/webhook.py)
    images: Mapping[str, bytes] = field(default_factory=dict)  # cid -> PNG, inline in the HTML


_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z._-]{0,15}|v\d{1,2}")


def looks_secret(segment: str) -> bool:
    """A path segment that may be a token: anything but a short plain word (`hook`, `api`, `v2`).
    webhook.site-style URLs carry the whole secret in the first segment (`json://host/<uuid>`), ntfy
    in the topic; a false positive only hides a harmless word from a log line."""
    return bool(segment) and not _PLAIN_WORD.fullmatch(segment)


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The query's (key, value) pairs, with `+` kept literal: Apprise marks header keys with it."""
    return parse_qsl(query.replace("+", "%2B"), keep_blank_values=True)


def _secret_key(key: str) -> bool:
    lowered = key.lower().lstrip("+-:")
    return key.startswith("+") or any(word in lowered for word in SECRET_KEYS)


def redact(url: str) -> str:
    """The URL without its password, secret-looking query values or `+Header=` values.

    Used for `mailto`, `json` and as the fallback for Apprise URLs (which redact themselves better:
    see apprise_channel.redact). The scheme, host, path and harmless options stay, so a person can
    still tell channels apart.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    query = query_pairs(parts.query)
    if any(_secret_key(k) for k, _ in query):
        masked = [(k, MASK if _secret_key(k) else v) for k, v in query]
        return parts._replace(netloc=netloc, query=urlencode(masked, safe="*+")).geturl()
    return parts._replace(netloc=netloc).geturl()


def scrub(message: str, url: str, safe: str) -> str:
    """`message` with every piece of `url` that its redacted form `safe` hides masked.

    Library errors sometimes quote the full URL, or the token inside it.
    """
    parts = urlsplit(url)
    pieces = [parts.password or "", parts.username or "", parts.hostname or "", *parts.path.split("/")]
    pieces += [v for _, v in query_pairs(parts.query)]
    for secret in sorted({p for p in pieces if len(p) >= 4 and p not in safe}, key=len, reverse=True):
        message = message.replace(secret, MASK)
    return message

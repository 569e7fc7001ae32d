"""The generic JSON webhook: `json://host[:port]/path` (HTTP) and `jsons://…` (HTTPS), Apprise syntax.

    json://[user[:password]@]host[:port]/path[?+X-Header=value&method=POST&other=query]

`user:password` becomes HTTP basic auth, each `+Name=value` an extra request header (both are
redacted everywhere), `method` may be POST (default) or PUT, and any other query parameter is
passed on in the request's query string.

Each delivery is one POST of this document (UTF-8 JSON, `Content-Type: application/json`):

    {
      "version": 1,
      "type": "bridgewatch.digest",          # "bridgewatch.test" for `bridgewatch notify-test`
      "id": "9f2c…",                          # the outbox id: identical on every retry of this send
      "digest_id": 12,
      "subscriber": "analyst",
      "subject": "bridgewatch digest: 2 changes in 1 indicator",
      "generated_at": "2026-01-15T07:00:00+00:00",
      "timezone": "Asia/Karachi",
      "events": [                             # one per reported change, oldest first
        {"id": 41, "kind": "new_period",      # new_period | revision | record | target_progress |
                                              # sources_disagree | citation_changed | suspect |
                                              # source_broken | source_recovered
         "badges": ["record high"],           # a record folded into its new_period
         "indicator": "pk_it_exports_monthly", "indicator_name": "…", "period": "2025-01",
         "unit": "USD", "old_value": null, "new_value": 437000000.0,
         "change_pct": null,                  # vs old_value, in percent
         "baseline_value": 348000000.0, "vs_baseline_pct": 25.57,
         "source_id": "sbp_ebops", "source_name": "…", "url": "https://…", "official": true,
         "evidence": "…the sentence the figure was read from…", "note": "previous high US$348 million",
         "created_at": "2026-01-15T06:58:02+00:00"}
      ],
      "health": {"broken": [{"id": "…", "name": "…", "error": "…", "since": "…"}],
                 "stale": [{"id": "…", "name": "…", "last_new_data": "…", "days": 40}]},
      "markdown": "…the digest as Markdown…"
    }

Headers: `Idempotency-Key: <id>` (a receiver that already saw it can answer 2xx and drop it: a
crash between sending and recording is followed by one resend with the same key),
`X-Bridgewatch-Event: digest|test`, and, when BRIDGEWATCH_WEBHOOK_SECRET is set,
`X-Bridgewatch-Signature: sha256=<hex HMAC-SHA256 of the exact request body under the secret>`.

A 2xx answer is success; 408, 429 and 5xx are retried (honouring Retry-After); any other 4xx is
permanent. `requests` rather than Apprise, for control over the body, the headers and the errors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import requests

from service import __version__
from service.delivery.base import MASK, DeliveryError, Message, looks_secret, query_pairs
from service.delivery.base import redact as redact_secrets

SCHEMES = ("json", "jsons")
SIGNATURE_HEADER = "X-Bridgewatch-Signature"
RETRYABLE = {408, 425, 429}
MAX_RETRY_AFTER = 24 * 3600.0



def redact(url: str) -> str:
    """As base.redact, and the path's tokens masked too: webhook services put their token in the
    path (json://hooks.example.org/hook/T0KEN, or webhook.site's json://host/<uuid>), where no key
    names it secret. Every segment after the first is masked; the first only when it looks like a
    token (base.looks_secret), so `json://127.0.0.1:9000/hook` stays readable."""
    parts = urlsplit(redact_secrets(url))
    first, *rest = parts.path.lstrip("/").split("/", 1)
    if looks_secret(unquote(first)):
        first = MASK
    path = "/" + first + (f"/{MASK}" if rest and rest[0] else "")
    return parts._replace(path=path if parts.path else "").geturl()

def target(url: str) -> tuple[str, str, dict[str, str], dict[str, str], tuple[str, str] | None]:
    """(method, http_url, headers, params, basic auth) for a json:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise DeliveryError(f"not a JSON webhook: {redact(url)} (use json://host/path)", permanent=True)
    method, headers, params = "POST", {}, {}
    for key, value in query_pairs(parts.query):
        if key.startswith("+"):
            headers[key[1:]] = value
        elif key.lower() == "method":
            method = value.upper()
        else:
            params[key] = value
    if method not in ("POST", "PUT"):
        raise DeliveryError(f"method must be POST or PUT in {redact(url)}", permanent=True)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    http_url = urlunsplit(("https" if parts.scheme == "jsons" else "http", netloc, parts.path or "/", "", ""))
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return method, http_url, headers, params, auth


def signature(secret: str, body: bytes) -> str:
    """The X-Bridgewatch-Signature value a receiver recomputes to trust the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_for(payload: dict[str, Any], message_id: str) -> bytes:
    """The exact bytes sent (and signed): the payload with this delivery's id."""
    return json.dumps({**payload, "id": message_id}, ensure_ascii=False, sort_keys=False).encode()


def deliver(url: str, message: Message, message_id: str, timeout: float) -> None:
    """POST the digest's JSON document to the webhook; raises DeliveryError with a plain reason."""
    method, http_url, extra, params, auth = target(url)
    body = body_for(dict(message.payload), message_id)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"bridgewatch/{__version__}",
        "Idempotency-Key": message_id,
        "X-Bridgewatch-Event": str(message.payload.get("type", "bridgewatch.digest")).removeprefix("bridgewatch."),
        **extra,
    }
    secret = os.environ.get("BRIDGEWATCH_WEBHOOK_SECRET")
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    where = redact(url)
    try:
        response = requests.request(method, http_url, data=body, headers=headers, params=params, auth=auth,
                                    timeout=(min(timeout, 10.0), timeout), allow_redirects=False)
    except requests.Timeout:
        raise DeliveryError(f"{where}: no answer within {timeout:g}s") from None
    except requests.ConnectionError as exc:
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        raise DeliveryError(f"{where}: cannot connect: {reason or exc}") from None
    except requests.RequestException as exc:
        raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
    if 200 <= response.status_code < 300:
        return
    snippet = " ".join(response.text[:200].split())
    status = response.status_code
    raise DeliveryError(
        f"{where} answered HTTP {status} {response.reason or ''}".rstrip() + (f": {snippet}" if snippet else ""),
        permanent=status < 500 and status not in RETRYABLE,
        retry_after=retry_after(response.headers.get("Retry-After", "")),
    )


def retry_after(value: str, now: float | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), at most a day:
    a receiver answering `99999999999999` is told no such thing by the outbox."""
    value = value.strip()
    if value.isdigit():
        return min(float(value[:12]), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, min(seconds, MAX_RETRY_AFTER))

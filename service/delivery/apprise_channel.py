"""Chat and push services through Apprise: `slack://`, `msteams://`, `discord://`, `ntfy://`, `tgram://`…

Apprise knows each service's API, its length limits and how it renders Markdown, so the body is the
Markdown digest (history as a Unicode sparkline, links to sources) and Apprise does the rest.
Apprise reports failures through its log rather than exceptions; the warnings of this one send
are gathered into the DeliveryError, with any token masked. None of these services has an
idempotency key, so a crash between sending and recording may repeat one chat message (once).
"""

from __future__ import annotations

import apprise

from service.delivery.base import DeliveryError, Message, scrub
from service.delivery.base import redact as generic_redact


def plugin(url: str) -> apprise.NotifyBase:
    """Apprise's notifier for `url`, or a permanent DeliveryError if Apprise cannot parse it."""
    found = apprise.Apprise.instantiate(url)
    if found is None:
        raise DeliveryError(f"Apprise does not understand {redact(url)} (see https://appriseit.com/services/)",
                            permanent=True)
    return found


def redact(url: str) -> str:
    """Apprise's own privacy form of the URL (it knows which path parts are tokens)."""
    found = apprise.Apprise.instantiate(url)
    if found is None:
        return generic_redact(url)
    return str(found.url(privacy=True))


def deliver(url: str, message: Message, message_id: str, timeout: float) -> None:
    """Post the Markdown digest; `message_id` is unused: chat services have no idempotency key."""
    notifier = plugin(url)
    notifier.socket_connect_timeout = min(timeout, 10.0)
    notifier.socket_read_timeout = timeout
    sender = apprise.Apprise()
    sender.add(notifier)
    result = sender.notify(body=message.markdown, title=message.subject, body_format=apprise.NotifyFormat.MARKDOWN)
    if result:
        return
    reasons = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    reason = "; ".join(dict.fromkeys(reasons)) or "Apprise reported a failure without a reason"
    raise DeliveryError(scrub(f"{redact(url)}: {reason}", url, redact(url)))

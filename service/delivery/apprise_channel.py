r"""Chat and push services through Apprise: `slack://`, `msteams://`, `discord://`, `ntfy://`, `tgram://`…

Apprise knows each service's API and its length limits. Each service gets the form it renders: the
Markdown digest (history as a Unicode sparkline, links to sources) where the service renders Markdown
(Slack, Discord, Telegram, Matrix, …), the plain-text digest where it shows text as it is (ntfy,
Gotify, …), so nobody reads raw `**` and `\(` escapes.
Apprise reports failures through its log rather than exceptions; the warnings of this one send
are gathered into the DeliveryError, with any token masked. None of these services has an
idempotency key, so a crash between sending and recording may repeat one chat message (once).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import apprise

from service.delivery.base import MASK, DeliveryError, Message, scrub
from service.delivery.base import redact as generic_redact


def plugin(url: str) -> apprise.NotifyBase:
    """Apprise's notifier for `url`, or a permanent DeliveryError if Apprise cannot parse it."""
    found = apprise.Apprise.instantiate(url)
    if found is None:
        raise DeliveryError(f"Apprise does not understand {redact(url)} (see https://appriseit.com/services/)",
                            permanent=True)
    return found


def renders(notifier: apprise.NotifyBase) -> tuple[apprise.NotifyFormat, ...]:
    """The body formats a service displays as formatted (Apprise declares one, or a tuple of them)."""
    declared = notifier.notify_format
    return tuple(declared) if isinstance(declared, tuple | list) else (declared,)


def body_for(notifier: apprise.NotifyBase, message: Message) -> tuple[str, apprise.NotifyFormat]:
    """Markdown to a service that renders it, else the plain-text digest."""
    if apprise.NotifyFormat.MARKDOWN in renders(notifier):
        return message.markdown, apprise.NotifyFormat.MARKDOWN
    return message.text, apprise.NotifyFormat.TEXT


def redact(url: str) -> str:
    """Apprise's own privacy form of the URL (it knows which path parts are tokens), with ntfy's
    topics masked too: whoever knows a topic can read and post to it, and Apprise shows them."""
    found = apprise.Apprise.instantiate(url)
    safe = generic_redact(url) if found is None else str(found.url(privacy=True))
    if urlsplit(url).scheme.lower() in ("ntfy", "ntfys"):
        safe = _mask_topics(safe, url)
    return safe


def _mask_topics(safe: str, url: str) -> str:
    parts = urlsplit(safe)
    path = "/".join(MASK if segment else "" for segment in parts.path.split("/"))
    netloc = parts.netloc
    if not urlsplit(url).path.strip("/"):  # ntfy://topic: the cloud form, where the "host" is the topic
        netloc = netloc.rsplit("@", 1)[0] + "@" + MASK if "@" in netloc else MASK
    return parts._replace(netloc=netloc, path=path).geturl()


def deliver(url: str, message: Message, message_id: str, timeout: float) -> None:
    """Post the Markdown digest; `message_id` is unused: chat services have no idempotency key."""
    notifier = plugin(url)
    notifier.socket_connect_timeout = min(timeout, 10.0)
    notifier.socket_read_timeout = timeout
    sender = apprise.Apprise()
    sender.add(notifier)
    body, body_format = body_for(notifier, message)
    result = sender.notify(body=body, title=message.subject, body_format=body_format)
    if result:
        return
    reasons = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    reason = "; ".join(dict.fromkeys(reasons)) or "Apprise reported a failure without a reason"
    raise DeliveryError(scrub(f"{redact(url)}: {reason}", url, redact(url)))

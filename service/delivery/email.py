"""Email over SMTP: one multipart text+HTML message per digest, in Apprise's `mailto://` syntax.

    mailto://[user@]smtp.host[:port]?to=a@x.org,b@y.org[&from=bw@x.org][&mode=plain|starttls|ssl]
    mailtos://… is the same with TLS: SSL on port 465, STARTTLS elsewhere.
    mailto:// on port 587 (submission) or 465 uses STARTTLS or SSL too; plain SMTP only elsewhere,
    and a password is never sent over plain SMTP unless the relay is on loopback or mode=plain is
    written out.

Credentials never need to sit in the config: the user comes from the URL or BRIDGEWATCH_SMTP_USER,
the password from BRIDGEWATCH_SMTP_PASSWORD (a password in the URL is accepted for Apprise
compatibility but never logged or stored: see `redact`); BRIDGEWATCH_SMTP_FROM sets the sender and
BRIDGEWATCH_SMTP_CAFILE a CA bundle to trust (a private relay's certificate). stdlib smtplib gives
full control over the message, its Message-ID (the outbox id) and the errors: a 5xx answer is
permanent (the outbox stops retrying), anything else is worth another try.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from service.delivery.base import DeliveryError, Message, redact

SCHEMES = ("mailto", "mailtos")
__all__ = ["SCHEMES", "DeliveryError", "SmtpTarget", "build_message", "deliver", "redact", "send"]


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    mode: str  # plain | starttls | ssl
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]

    @classmethod
    def from_url(cls, url: str, env: dict[str, str] | None = None) -> SmtpTarget:
        env = dict(os.environ) if env is None else env
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise DeliveryError(f"not an email channel: {redact(url)} (use mailto://host?to=addr)", permanent=True)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        secure = parts.scheme == "mailtos"
        port = parts.port or (465 if secure and query.get("mode") == "ssl" else 587 if secure else 25)
        mode = query.get("mode") or (
            "ssl" if port == 465 else "starttls" if secure or port == 587 else "plain")
        if mode not in ("plain", "starttls", "ssl"):
            raise DeliveryError(f"unknown mode {mode!r} in {redact(url)}", permanent=True)
        recipients = tuple(a.strip() for a in query.get("to", "").replace(";", ",").split(",") if a.strip())
        if not recipients:
            raise DeliveryError(f"no recipient in {redact(url)}: add ?to=address", permanent=True)
        user = unquote(parts.username) if parts.username else env.get("BRIDGEWATCH_SMTP_USER")
        password = unquote(parts.password) if parts.password else env.get("BRIDGEWATCH_SMTP_PASSWORD")
        sender = query.get("from") or env.get("BRIDGEWATCH_SMTP_FROM") or f"bridgewatch@{parts.hostname}"
        if mode == "plain" and password and query.get("mode") != "plain" and not _loopback(parts.hostname):
            raise DeliveryError(
                f"{redact(url)}: refusing to send the SMTP password unencrypted; use mailtos:// or port 587 "
                "(STARTTLS), or write mode=plain if you really mean it", permanent=True)
        return cls(parts.hostname, port, mode, user, password, sender, recipients)



def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"

def build_message(target: SmtpTarget, subject: str, text: str, html: str, message_id: str | None = None,
                  images: dict[str, bytes] | None = None) -> EmailMessage:
    """A multipart/alternative message; `images` (cid -> PNG) are attached inline to the HTML part."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = target.sender
    msg["To"] = ", ".join(target.recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{message_id}@bridgewatch>" if message_id else make_msgid(domain="bridgewatch")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if images:
        html_part = msg.get_payload()[1]
        for cid, png in images.items():
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    return msg


def send(url: str, subject: str, text: str, html: str, message_id: str | None = None,
         timeout: float = 20.0, images: dict[str, bytes] | None = None,
         ssl_context: ssl.SSLContext | None = None) -> None:
    """Send one message to the channel `url`; raises DeliveryError with a plain reason."""
    target = SmtpTarget.from_url(url)
    message = build_message(target, subject, text, html, message_id, images)
    context = ssl_context or ssl.create_default_context(cafile=os.environ.get("BRIDGEWATCH_SMTP_CAFILE"))
    where = f"{target.host}:{target.port}"
    try:
        if target.mode == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            if target.mode == "starttls":
                client.starttls(context=context)
            if target.user and target.password:
                client.login(target.user, target.password)
            refused = client.send_message(message)
        if refused:
            raise DeliveryError(f"{where} refused recipients: {', '.join(refused)}", permanent=True)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{where} refused the login for {target.user!r}: {exc.smtp_code}", permanent=True) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{where} refused recipients: {', '.join(exc.recipients)}", permanent=True) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
        reason = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        raise DeliveryError(f"{where} answered {exc.smtp_code} {reason}", permanent=exc.smtp_code >= 500) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"{where}: {exc} (the server offers no STARTTLS: try mode=ssl on port 465)",
                            permanent=True) from None
    except TimeoutError:
        raise DeliveryError(f"{where} timed out after {timeout:g}s") from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"{where} TLS failed: {exc.reason or exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None


def deliver(url: str, message: Message, message_id: str, timeout: float) -> None:
    """The channel interface (see service.delivery): the text and HTML digest, charts inline."""
    send(url, message.subject, message.text, message.html, message_id=message_id, timeout=timeout,
         images=dict(message.images))

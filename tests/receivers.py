"""Real receivers on loopback for delivery tests: an SMTP server (aiosmtpd) and JSON webhooks.

The webhook receiver can check the HMAC signature, fail the first N requests, answer with a fixed
status, or never answer at all (to prove the client's timeout); every request is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """aiosmtpd cannot bind port 0 itself (it self-tests the port it was given)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@contextlib.contextmanager
def smtp_server(tls_context: ssl.SSLContext | None = None, ssl_context: ssl.SSLContext | None = None,
                require_starttls: bool = False, users: dict[str, str] | None = None) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1: plain, STARTTLS (`tls_context`), implicit TLS (`ssl_context`), AUTH (`users`)."""
    box = Mailbox(free_port())

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            box.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=policy.default))  # type: ignore[arg-type]
            box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (users or {}).get(auth_data.login.decode()) == \
            auth_data.password.decode()
        if ok:
            box.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {"require_starttls": require_starttls}
    if tls_context is not None:
        kwargs["tls_context"] = tls_context
    if ssl_context is not None:
        kwargs["ssl_context"] = ssl_context
    if users is not None:
        kwargs.update(authenticator=authenticator, auth_require_tls=tls_context is not None and ssl_context is None,
                      auth_required=True)
    controller = Controller(Keep(), hostname="127.0.0.1", port=box.port, **kwargs)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Webhook:
    """A JSON webhook receiver on 127.0.0.1. `secret`: answer 401 unless the signature is right;
    `fail_first`: answer 503 (with Retry-After: 0) that many times; `status`: the answer after that;
    `hang`: read the request and never answer."""

    def __init__(self, secret: str | None = None, fail_first: int = 0, status: int = 200, hang: bool = False):
        self.secret, self.fail_first, self.status, self.hang = secret, fail_first, status, hang
        self.requests: list[Received] = []
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append(Received(self.path, dict(self.headers), body))
                if outer.hang:
                    outer.released.wait(30)
                    return
                status = outer.status
                if outer.secret is not None:
                    expected = "sha256=" + hmac.new(outer.secret.encode(), body, hashlib.sha256).hexdigest()
                    if not hmac.compare_digest(self.headers.get("X-Bridgewatch-Signature", ""), expected):
                        status = 401
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    status = 503
                payload = b'{"ok": true}' if status < 300 else b'{"error": "try again later"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def url(self, path: str = "/hook", scheme: str = "json") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def webhook(**kwargs: Any) -> Iterator[Webhook]:
    hook = Webhook(**kwargs)
    try:
        yield hook
    finally:
        hook.close()

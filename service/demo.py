"""`bridgewatch demo`: the whole pipeline, offline, against recorded captures of the sources.

It starts a loopback HTTP server that answers for the real source URLs (seeds/recorded/), a
loopback SMTP server (aiosmtpd) standing in for the mail relay, writes a config pointing every
recorded source at the loopback twin of its URL, then runs the real commands: `refresh` (fetch,
extract, observe, diff, email the digest), `digest` to files, and `refresh` again to show that
unchanged sources cost no parsing and raise no event twice. Each run starts from an empty database,
so it gives the same result every time.
"""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from service import humanize

SMTP_TO = "analyst@example.org"


@dataclass(frozen=True, slots=True)
class Capture:
    url: str
    body: bytes
    status: int
    content_type: str
    earlier: bytes | None = None  # what the URL served a month before, if it differed


def load_captures() -> list[Capture]:
    folder = files("seeds").joinpath("recorded")
    manifest = tomllib.loads(folder.joinpath("manifest.toml").read_text(encoding="utf-8"))
    captures = []
    for entry in manifest.get("capture", []):
        body = folder.joinpath(entry["file"]).read_bytes() if entry.get("file") else b""
        earlier = folder.joinpath(entry["earlier_file"]).read_bytes() if entry.get("earlier_file") else None
        captures.append(Capture(entry["url"], body, int(entry.get("status", 200)),
                                entry.get("content_type", "text/html; charset=utf-8"), earlier))
    return captures


class RecordedWeb:
    """Answers for recorded URLs at http://127.0.0.1:PORT/<host><path>?<query>.

    Absolute links to recorded hosts inside text bodies are rewritten to their loopback twins, so a
    feed or listing leads to recorded articles just as the real one leads to real ones. While
    `earlier` is set, captures answer with what they served a month before.
    """

    earlier = False

    def __init__(self, captures: list[Capture]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        hosts = sorted({urlsplit(c.url).netloc for c in captures}, key=len, reverse=True)
        self._hosts = re.compile("https?://(" + "|".join(re.escape(h) for h in hosts) + ")") if hosts else None
        self.routes = {self._path(c.url): c for c in captures}
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return f"/{parts.netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")

    def twin(self, url: str) -> str:
        return self.base + self._path(url)

    def rewrite(self, capture: Capture, body: bytes) -> bytes:
        media = capture.content_type.split(";")[0].strip().lower()
        textual = media.startswith("text/") or media in ("application/json", "application/xml") or media.endswith(
            ("+xml", "+json"))
        if not textual or self._hosts is None:
            return body
        text = body.decode("utf-8", "replace")
        return self._hosts.sub(lambda m: f"{self.base}/{m[1]}", text).encode("utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stalls

            def do_GET(self) -> None:  # noqa: N802
                capture = web.routes.get(self.path)
                if capture is None:
                    self.send_error(404)
                    return
                status, body = capture.status, capture.body
                if web.earlier and capture.earlier is not None:
                    status, body = 200, capture.earlier
                body = web.rewrite(capture, body) if status == 200 else b"Service Unavailable"
                self.send_response(status)
                self.send_header("Content-Type", capture.content_type if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def __enter__(self) -> RecordedWeb:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def mail_catcher() -> Iterator[tuple[int, list[bytes]]]:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            received.append(envelope.original_content or envelope.content)
            return "250 Message accepted for delivery"

    with socket.socket() as probe:  # aiosmtpd cannot bind port 0 itself: it self-tests the port it was given
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def demo_config(web: RecordedWeb, smtp_port: int) -> tuple[str, list[str]]:
    """A config (TOML text) pointing every recorded source at its loopback twin, and those sources' ids."""
    from service.config import load

    recorded = {c.url for c in web.routes.values()}
    ids = []
    lines = ["# written by `bridgewatch demo`: every recorded source points at the loopback server", "",
             "[settings]", "broken_after = 1  # the demo has one pass, so one failure marks a source broken",
             "retries = 0", ""]
    for source in load(env={}).sources.values():
        if source.url not in recorded:
            continue
        ids.append(source.id)
        lines += ["[[sources]]", f'id = "{source.id}"', f'url = "{web.twin(source.url)}"']
        also = [web.twin(u) for u in source.also if u in recorded]
        lines.append("also = [" + ", ".join(f'"{u}"' for u in also) + "]")
        lines += ["mirrors = []", ""]
    lines += ["[[subscribers]]", 'name = "demo analyst"',
              f'channels = ["mailto://127.0.0.1:{smtp_port}?to={SMTP_TO}&from=bridgewatch@localhost"]',
              'cadence = "immediate"', ""]
    return "\n".join(lines), ids


def run_demo(out: Path) -> int:
    from service.cli import main
    from store.queries import Store, utcnow

    out.mkdir(parents=True, exist_ok=True)
    db, config, html, text, eml, sheet = (out / n for n in ("bridgewatch.db", "config.toml", "digest.html",
                                                             "digest.txt", "digest.eml", "factsheet.html"))
    for stale in (db, out / "bridgewatch.db-wal", out / "bridgewatch.db-shm", eml):
        stale.unlink(missing_ok=True)
    captures = load_captures()
    with RecordedWeb(captures) as web, mail_catcher() as (smtp_port, received):
        text_config, ids = demo_config(web, smtp_port)
        config.write_text(text_config, encoding="utf-8")
        common = ["--db", str(db), "--config", str(config)]
        refresh = [*common, "refresh", *[arg for source_id in ids for arg in ("--source", source_id)]]
        print(f"== bridgewatch demo: {len(ids)} sources, {len(captures)} recorded documents at {web.base}")
        print("== a month ago: the first refresh records where every figure stood")
        web.earlier = True
        first = main(refresh)
        web.earlier = False
        since = utcnow()
        print("== today: the sources have moved on")
        second = main(refresh)
        print("== and again: unchanged content is neither parsed nor reported twice")
        with contextlib.redirect_stderr(io.StringIO()):
            main(refresh)
        main([*common, "digest", "--since", since, "--out", str(html)])
        main([*common, "digest", "--since", since, "--out", str(text)])
        main([*common, "factsheet", "--out", str(sheet)])  # each seed figure beside what sources state now
        if received:
            eml.write_bytes(received[-1])  # today's email
    store = Store(db)
    _summary(store.events(since=since), len(store.events()))
    store.close()
    print("== files")
    for path in (db, html, text, eml, sheet):
        print(f"  {path}" + ("" if path.exists() else "  (not written)"))
    print(f"  open {html} and {sheet} in a browser; {eml} is the email the SMTP server received")
    return 0 if first in (0, 2) and second in (0, 2) else max(first, second)


def _summary(events: list[dict], total: int) -> None:  # type: ignore[type-arg]
    """One screen: today's events, in a stable order (sources finish in any order)."""
    print(f"== what changed today ({len(events)} of the {total} events recorded)")
    for event in sorted(events, key=lambda e: (e["indicator"] or "~" + e["source_id"], e["period"] or "", e["kind"])):
        unit = event["unit"] or ""
        value = humanize.amount(event["new_value"], unit) if event["new_value"] is not None else ""
        old = humanize.amount(event["old_value"], unit) + " -> " if event["old_value"] is not None else ""
        subject = event["indicator"] or event["source_id"]
        print(f"  {event['kind']:17} {subject:34} {event['period'] or '':17} {old}{value}")
    counts = Counter(e["kind"] for e in events)
    print("   " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))

"""The daemon's HTTP side: /healthz, /metrics, /feed.atom, the fact sheet at / and a read-only
status page at /status.

The fact sheet is what most visitors want (do the seed figures still stand?); the status table is
for whoever runs the daemon, one link away.

Standard library only (ThreadingHTTPServer): a handful of GET routes need no framework. Nothing can
be changed over HTTP: every other method is refused with 405. Each request reads the database on
its own connection; every value on the page is HTML-escaped, since source ids, URLs and error texts
come from config files and remote servers.
"""

from __future__ import annotations

import html
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from service import __version__, humanize
from service.config import Config, Source
from service.lease import active
from service.metrics import CONTENT_TYPE as METRICS_TYPE
from store.queries import Store

log = logging.getLogger("bridgewatch.web")
RECENT_EVENTS = 25


@dataclass(frozen=True, slots=True)
class Site:
    """What the endpoints show; the daemon provides the live parts as callables."""

    config: Config
    sources: list[Source]  # the ones the daemon schedules
    db_path: str
    health: Callable[[], list[str]]  # reasons the daemon is unhealthy; empty when healthy
    metrics: Callable[[Store], str]
    next_runs: Callable[[], dict[str, datetime | None]]


def serve(site: Site, host: str, port: int) -> ThreadingHTTPServer:
    """Bind and serve in a background thread; `shutdown()` on the result stops it."""

    class Handler(_Handler):
        pass

    Handler.site = site
    server = _Server((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True).start()
    return server


CONNECTION_TIMEOUT = 10.0  # seconds a client may stay silent: an idle or slow client does not hold a thread


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up or times out is routine: one debug line, no traceback."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, type(exc).__name__)
            return
        log.exception("error serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    site: Site
    server_version = f"bridgewatch/{__version__}"
    timeout = CONNECTION_TIMEOUT  # socket timeout for each connection (StreamRequestHandler applies it)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as exc:  # reset, broken pipe, or silent past the timeout
            log.debug("client %s went away: %s", self.client_address, type(exc).__name__)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _refuse(self) -> None:
        self._send(405, "text/plain; charset=utf-8", "read-only: only GET and HEAD\n", False, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    def _answer(self, head: bool) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if path == "/healthz":
                reasons = self.site.health()
                body = "ok\n" if not reasons else "".join(f"{r}\n" for r in reasons)
                self._send(503 if reasons else 200, "text/plain; charset=utf-8", body, head)
            elif path == "/metrics":
                self._send(200, METRICS_TYPE, self._with_store(self.site.metrics), head)
            elif path == "/feed.atom":
                self._feed(head)
            elif path == "/calendar":
                self._send(200, "text/html; charset=utf-8", self._with_store(self._calendar), head)
            elif path in ("/", "/index.html", "/factsheet"):
                self._send(200, "text/html; charset=utf-8", self._with_store(self._factsheet), head)
            elif path == "/status":
                self._send(200, "text/html; charset=utf-8", self._with_store(self._page), head)
            else:
                self._send(404, "text/plain; charset=utf-8", "not found\n", head)
        except (ConnectionError, TimeoutError):
            raise  # the client went away: handle() notes it quietly
        except Exception:
            log.exception("GET %s failed", path)
            self._send(500, "text/plain; charset=utf-8", "internal error (see the daemon's log)\n", head)

    def _feed(self, head: bool) -> None:
        try:
            feed = importlib.import_module("service.feed")
        except ModuleNotFoundError as exc:
            if exc.name != "service.feed":
                raise
            self._send(503, "text/plain; charset=utf-8", "feed not available\n", head)
            return
        body = self._with_store(lambda store: feed.atom(self.site.config, store))
        self._send(200, "application/atom+xml; charset=utf-8", body, head)

    def _with_store(self, fn: Callable[[Store], str]) -> str:
        store = Store(self.site.db_path)
        try:
            return fn(store)
        finally:
            store.close()

    def _send(self, status: int, content_type: str, body: str, head: bool,
              headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _page(self, store: Store) -> str:
        return status_page(self.site, store)

    def _factsheet(self, store: Store) -> str:
        from service import factsheet_render

        rows = factsheet_render.gather(self.site.config, store)  # a read: the snapshot is the refresh's job
        return factsheet_render.html(rows, links=[("/status", "sources and daemon status"),
                                                  ("/calendar", "release calendar"), ("/feed.atom", "feed")])

    def _calendar(self, store: Store) -> str:
        from service.calendar import calendar_page

        return calendar_page(self.site.config, store)


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(value: object) -> str:
    text = "" if value is None else str(value)
    return _e(text[:19].replace("T", " ") + "Z") if text else "-"


def _amount(value: float | None, unit: str | None) -> str:
    return "" if value is None else _e(humanize.amount(value, unit or ""))


def status_page(site: Site, store: Store) -> str:
    """Sources with their state, last and next refresh; refreshes in flight; recent events."""
    from service.health import all_health

    rows = {r["id"]: r for r in store.sources()}
    next_runs = site.next_runs()
    health = site.health()
    states = all_health(site.config, store, sources=site.sources)
    source_rows = []
    for source in site.sources:
        row = rows.get(source.id, {})
        state = states[source.id].state
        why = states[source.id].reason if state in ("stale", "suspect") else (row.get("last_error") or "")
        nxt = next_runs.get(source.id)
        source_rows.append(
            f"<tr class='{_e(state.replace(' ', '-'))}'><td title='{_e(source.url)}'>{_e(source.id)}</td>"
            f"<td>{_e(source.kind)}</td><td>{_e(source.schedule)}</td><td>{_e(state)}</td>"
            f"<td>{_when(row.get('last_attempt'))}</td><td>{_when(row.get('last_success'))}</td>"
            f"<td>{_when(nxt.isoformat() if nxt else None)}</td>"
            f"<td class='error'>{_e(why[:300])}</td></tr>"
        )
    leases = [f"<li>{_e(h.name)}: {_e(h.describe())}</li>" for h in active(store.db)]
    event_rows = []
    for e in store.recent_events(RECENT_EVENTS):
        # as many digits as it takes for a revision's old and new values to read differently
        old, new = humanize.distinct([e["old_value"], e["new_value"]], e["unit"] or "")
        event_rows.append(
            f"<tr><td>{_when(e['created_at'])}</td><td>{_e(e['kind'])}</td>"
            f"<td>{_e(e['indicator'] or e['source_id'])}</td><td>{_e(e['period'])}</td>"
            f"<td>{_e(old) if e['old_value'] is not None else ''}</td>"
            f"<td>{_e(new) if e['new_value'] is not None else ''}</td></tr>")
    status = "healthy" if not health else "unhealthy: " + "; ".join(health)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bridgewatch status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top;
  white-space: nowrap; }}
td.error {{ white-space: normal; max-width: 40em; overflow-wrap: anywhere; color: #8a1c1c; }}
tr.broken td, tr.failing td, tr.stale td {{ background: #fdecea; }}
tr.suspect td {{ background: #fff8c5; }}
tr.never-run td {{ color: #777; }}
.unhealthy {{ color: #b00020; }}
</style></head><body>
<h1>bridgewatch {_e(__version__)}</h1>
<p class="{'healthy' if not health else 'unhealthy'}">{_e(status)} ·
<a href="/">fact sheet</a> · <a href="/metrics">metrics</a> · <a href="/feed.atom">feed</a> ·
<a href="/healthz">healthz</a></p>
<h2>Sources</h2>
<table><tr><th>source</th><th>kind</th><th>schedule</th><th>state</th><th>last attempt</th>
<th>last success</th><th>next run</th><th>why (last error)</th></tr>
{chr(10).join(source_rows)}
</table>
<h2>Leases (refreshes in flight, the daemon's heartbeat)</h2>
<ul>{''.join(leases) or '<li>nothing</li>'}</ul>
<h2>Recent events</h2>
<table><tr><th>when</th><th>event</th><th>indicator or source</th><th>period</th><th>old</th><th>new</th></tr>
{chr(10).join(event_rows) or '<tr><td colspan="6">none yet</td></tr>'}
</table>
</body></html>
"""

"""Misbehaving servers on loopback for the chaos suite (and a few regression tests)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.receivers import Received


class HttpServer:
    """Answers every request with `status`, `headers` and `body`; `script` (a list of statuses)
    overrides the status of the first requests in turn. Every request path is kept."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"{}",
                 script: list[int] | None = None, hang: float = 0.0) -> None:
        self.status, self.headers, self.body, self.script, self.hang = status, headers or {}, body, script or [], hang
        self.requests: list[Received] = []
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(Received(self.path, dict(self.headers), body))
                if outer.hang:
                    outer.released.wait(outer.hang)
                    return
                status = outer.script.pop(0) if outer.script else outer.status
                self.send_response(status)
                for key, value in outer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = do_POST = do_PUT = _answer  # noqa: N815

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
def http_server(**kwargs: object) -> Iterator[HttpServer]:
    srv = HttpServer(**kwargs)  # type: ignore[arg-type]
    try:
        yield srv
    finally:
        srv.close()


class RawServer:
    """A TCP server on loopback whose every connection is handed to `handle(conn, request_bytes)`:
    for faults an HTTP server will not commit (truncated bodies, resets, trickles, silence)."""

    def __init__(self, handle: Callable[[socket.socket, bytes], None]) -> None:
        self.handle = handle
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = conn.recv(65536)
            except OSError:
                return
            self.requests.append(request)
            if request.startswith(b"GET /robots.txt"):
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            try:
                self.handle(conn, request)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.listener.close()


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket, bytes], None]) -> Iterator[RawServer]:
    srv = RawServer(handle)
    try:
        yield srv
    finally:
        srv.close()


def trickle(conn: socket.socket, payload: bytes, every: float, stop: threading.Event | None = None) -> None:
    for byte in payload:
        if stop is not None and stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(every)

"""1000-source refresh on loopback: bridgewatch against urlwatch, the classic page watcher.

Both watch the same 1000 article pages served by one loopback HTTP server (ETag + 304 support),
each program with its defaults. Three rounds each:

  cold      first run, every page new (fetch, parse, store)
  warm      nothing changed (conditional GET: 304s)
  changed   10% of the pages changed

bridgewatch reads the figures out of every changed page (lxml + the figure reader) and writes
snapshots and events to SQLite; urlwatch (with its html2text filter, as its docs suggest for web
pages) keeps text snapshots and diffs them. urlwatch runs as its own command, bridgewatch as
`bridgewatch refresh`, both timed from the outside (start-up included).

    .venv/bin/python bench/refresh_1000.py [--sources 1000] [--repeat 3]

Prints the median wall time of each round and the ratio urlwatch/bridgewatch. The machine is
shared and noisy: quote ratios from one run, not absolute times.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FILLER = (
    "<p>Analysts said the figures reflected stronger demand from clients in North America and Europe, "
    "while freelancers and small software houses continued to add capacity in Lahore, Karachi and "
    "Islamabad. Industry bodies called for faster payment channels and lower costs of connectivity.</p>"
)


def page(n: int, version: int) -> bytes:
    month = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November"][n % 11]
    value = 300 + (n * 7 + version * 13) % 150
    body = FILLER * 12
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>IT exports update {n}</title>"
        f"<meta property='article:published_time' content='2026-11-{1 + n % 20:02d}'>"
        "<script>var analytics = {};</script><style>body{{font-family:serif}}</style></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/business'>Business</a></nav></header>"
        f"<main><article><h1>Pakistan's IT exports in {month}</h1>"
        f"<p>Pakistan's IT exports rose to ${value} million in {month} 2026, up {10 + n % 20} percent "
        "year-on-year, State Bank of Pakistan data showed.</p>"
        f"{body}</article></main><aside>Most read</aside><footer>(c) News {n}</footer></body></html>"
    ).encode()


class Site:
    """One loopback server holding every page; `bump` changes a share of them."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.version = [0] * count
        self.bodies = [page(i, 0) for i in range(count)]
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out as two writes: without this, Nagle + delayed ACK add ~40 ms
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802
                if not self.path.startswith("/p/"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = site.bodies[int(self.path[3:])]
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/p/{i}" for i in range(self.count)]

    def bump(self, share: float) -> None:
        for i in range(0, self.count, int(1 / share)):
            self.version[i] += 1
            self.bodies[i] = page(i, self.version[i])


def bridgewatch_setup(work: Path, urls: list[str]) -> list[str]:
    lines = ["[settings]", "retries = 0", ""]
    for i, url in enumerate(urls):
        lines += ["[[sources]]", f'id = "bench_{i}"', f'url = "{url}"', 'kind = "html"',
                  'indicators = ["pk_it_exports_monthly", "pk_it_exports_monthly_yoy_pct"]', ""]
    (work / "bw.toml").write_text("\n".join(lines))
    only = [arg for i in range(len(urls)) for arg in ("--source", f"bench_{i}")]
    return [str(BIN / "bridgewatch"), "--db", str(work / "bw.db"), "--config", str(work / "bw.toml"),
            "refresh", "--no-notify", *only]


def urlwatch_setup(work: Path, urls: list[str]) -> list[str]:
    jobs = "".join(f"---\nname: job {i}\nurl: {url}\nfilter:\n  - html2text\n" for i, url in enumerate(urls))
    (work / "urls.yaml").write_text(jobs.removeprefix("---\n"))
    (work / "urlwatch.yaml").write_text(
        "display:\n  new: true\n  error: true\n  unchanged: false\n"
        "report:\n  stdout:\n    enabled: true\n    color: false\n  text:\n    details: true\n"
    )
    (work / "hooks.py").write_text("")
    return [str(BIN / "urlwatch"), "--urls", str(work / "urls.yaml"), "--config", str(work / "urlwatch.yaml"),
            "--hooks", str(work / "hooks.py"), "--cache", str(work / "cache.db")]


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


def run(count: int, repeat: int) -> None:
    if shutil.which(str(BIN / "urlwatch")) is None:
        raise SystemExit("urlwatch is not installed in this environment: pip install urlwatch")
    results: dict[str, dict[str, list[float]]] = {"bridgewatch": {}, "urlwatch": {}}
    for _ in range(repeat):
        for name, setup in (("bridgewatch", bridgewatch_setup), ("urlwatch", urlwatch_setup)):
            site = Site(count)
            with tempfile.TemporaryDirectory() as tmp:
                cmd = setup(Path(tmp), site.urls())
                rounds = results[name]
                rounds.setdefault("cold", []).append(timed(cmd))
                rounds.setdefault("warm", []).append(timed(cmd))
                site.bump(0.1)
                rounds.setdefault("changed", []).append(timed(cmd))
            site.httpd.shutdown()
    print(f"{count} sources on loopback, median of {repeat} run(s), wall seconds (start-up included)")
    print(f"{'round':10} {'bridgewatch':>12} {'urlwatch':>10} {'urlwatch/bridgewatch':>22}")
    for round_name in ("cold", "warm", "changed"):
        bw = statistics.median(results["bridgewatch"][round_name])
        uw = statistics.median(results["urlwatch"][round_name])
        print(f"{round_name:10} {bw:12.2f} {uw:10.2f} {uw / bw:21.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    run(args.sources, args.repeat)

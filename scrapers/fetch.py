"""The one HTTP client every source goes through: polite, bounded and cheap when nothing changed.

- Timeouts on connect and read, and a wall-clock deadline per body, so a slow server cannot hold a
  refresh.
- Retries with exponential backoff on connection errors, 429 and 5xx, honouring Retry-After
  (capped), via urllib3's Retry rather than a hand-rolled loop.
- Conditional GET (If-None-Match / If-Modified-Since): a 304 costs no body and no parse.
- A cap on body size: a runaway download is cut and reported.
- robots.txt is read once per host and respected; a disallowed URL is an error, not a fetch.
- Links scraped from a feed or listing are untrusted (`get(url, linked_from=feed_url)`): no
  userinfo or backslashes, every redirect hop followed here and checked (public addresses only, or
  the feed's own host *and port*), and the connection made to the very address that was checked
  (resolved once, pinned, Host header and TLS name kept), so no second DNS answer slips in.
- Waits are bounded per source, not per retry: a `with wait_budget():` block (one source's
  collection) spends at most RETRY_AFTER_CAP seconds in Retry-After and backoff sleeps in total.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
import time
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from service import __version__

RETRY_STATUSES = (429, 500, 502, 503, 504)
ROBOTS_TTL = 24 * 3600.0
UNREACHABLE_TTL = 60.0


MAX_REDIRECTS = 5  # hops of an untrusted link, each one checked
RETRY_AFTER_CAP = 60.0  # seconds a source may spend waiting on Retry-After and backoff, in total
_waits = threading.local()  # the current thread's remaining wait budget (see wait_budget)


@contextmanager
def wait_budget(seconds: float = RETRY_AFTER_CAP) -> Iterator[None]:
    """Within this block (one source's collection, in one thread) every retry sleep is taken from
    one budget of `seconds`: a server answering `Retry-After: 120` twice costs a minute, not four."""
    previous = getattr(_waits, "left", None)
    _waits.left = seconds
    try:
        yield
    finally:
        _waits.left = previous


def _spend(wait: float) -> float:
    """How much of `wait` the current budget grants (the whole cap when no budget is open)."""
    wait = max(0.0, min(wait, RETRY_AFTER_CAP))
    left = getattr(_waits, "left", None)
    if left is None:
        return wait
    granted = min(wait, left)
    _waits.left = left - granted
    return granted


class _CappedRetry(Retry):
    """urllib3's Retry, but a server's Retry-After can never park a refresh for more than a minute,
    counted over every retry of a source (wait_budget), not per retry."""

    RETRY_AFTER_CAP = RETRY_AFTER_CAP

    def get_retry_after(self, response):  # type: ignore[no-untyped-def]
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.RETRY_AFTER_CAP)

    def sleep(self, response=None):  # type: ignore[no-untyped-def]
        wait = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        if wait is None:
            wait = self.get_backoff_time()
        wait = _spend(wait)
        if wait > 0:
            time.sleep(wait)


class Refused(Exception):
    """An untrusted link (or one of its redirects) that must not be fetched; the message says why."""


class Unresolvable(Refused):
    """The link's host has no address (no network, a dead domain): nothing to connect to."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower().rstrip("."), port or (443 if parts.scheme == "https" else 80)


def vet_link(url: str, linked_from: str) -> str:
    """The one address `url` (a link scraped from `linked_from`) may be fetched from, or Refused.

    http(s) only; no userinfo (`http://10.0.0.5\\@news.example.org/` is read one way by urlsplit and
    another by the HTTP stack) and no backslashes; then the host is resolved once: every address
    must be public, unless it is the feed's own host and port. The caller connects to the address
    returned, so what was checked is what is reached."""
    if "\\" in url or any(ord(c) < 32 or c == "\x7f" for c in url):
        raise Refused("backslash or control character in a scraped link")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"scheme {parts.scheme or '(none)'!r} is not http(s)")
    if "@" in parts.netloc:
        raise Refused("userinfo (@) in a scraped link")
    try:
        parts.port  # noqa: B018 -- a bad port raises here
    except ValueError:
        raise Refused("invalid port") from None
    host, port = _host_port(url)
    if not host:
        raise Refused("no host")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Unresolvable(f"cannot resolve {host}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Unresolvable(f"cannot resolve {host}")
    if (host, port) == _host_port(linked_from):
        return addresses[0]
    private = [a for a in addresses if not _is_public(a)]
    if private:
        raise Refused(f"{host} resolves to a private or local address ({private[0]})")
    return addresses[0]


def _pinned_pools(address: str) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose sockets go to `address`, whatever the URL's host says (the host stays
    the Host header, the TLS server name and the name the certificate is checked against)."""

    def connect_to_address(conn: HTTPConnection) -> socket.socket:
        saved = conn._dns_host  # the name: Host header, TLS server name and certificate check keep it
        conn._dns_host = address
        try:
            return HTTPConnection._new_conn(conn)
        finally:
            conn._dns_host = saved

    class Pinned(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return connect_to_address(self)

    class PinnedTLS(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return connect_to_address(self)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Pinned

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = PinnedTLS

    return {"http": Pool, "https": TLSPool}


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, address: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self._address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pinned_pools(self._address)


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


@dataclass(frozen=True, slots=True)
class Validators:
    """What the previous successful fetch of a URL left us to make the next one conditional."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    final_url: str
    status: int | None
    body: bytes | None
    content_type: str
    etag: str | None
    last_modified: str | None
    sha256: str | None
    elapsed_ms: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and (200 <= self.status < 300 or self.status == 304)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def moved(self) -> bool:
        """Redirected to a different page (not just http -> https or a trailing slash)."""
        a, b = urlsplit(self.url), urlsplit(self.final_url)
        return (a.netloc.removeprefix("www."), a.path.rstrip("/"), a.query) != (
            b.netloc.removeprefix("www."),
            b.path.rstrip("/"),
            b.query,
        )


class Fetcher:
    """One requests.Session shared by all sources of a refresh (connection pooling, one robots cache)."""

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        max_bytes: int = 20 * 1024 * 1024,
        retries: int = 2,
        backoff: float = 0.5,
        pool_size: int = 8,
        respect_robots: bool = True,
        user_agent: str | None = None,
    ) -> None:
        self.timeout = (connect_timeout, read_timeout)
        self.deadline = connect_timeout + 3 * read_timeout
        self.max_bytes = max_bytes
        self.respect_robots = respect_robots
        retry = self._retry = _CappedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        self.session = requests.Session()
        # requests re-reads proxy variables and ~/.netrc on every request when trust_env is on (a
        # third of a loopback fetch); pay that only when a proxy is actually configured.
        self.session.trust_env = bool(urllib.request.getproxies())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = (user_agent or "bridgewatch/{version}").format(version=__version__)
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        # origin -> (expires at, rules | None for "no robots.txt" | reason the host is unreachable)
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | str | None]] = {}
        self._robots_lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self._pinned: dict[str, requests.Session] = {}  # vetted address -> session connecting only there

    def close(self) -> None:
        self.session.close()
        for session in self._pinned.values():
            session.close()

    def get(self, url: str, validators: Validators | None = None, max_bytes: int | None = None, *,
            linked_from: str | None = None) -> FetchResult:
        """GET `url`; never raises for network or HTTP trouble: the result carries the error.

        `max_bytes` overrides the size cap for one source that is known to be large (bulk files).
        `linked_from`: `url` was scraped from that document (a feed, a listing), so it is untrusted:
        redirects are followed here, hop by hop, each one vetted (vet_link) and connected to the
        address that was vetted. Without it (a user's own configured source) redirects are followed
        where they point."""
        started = time.perf_counter()
        if linked_from is None:
            outcome = self._attempt(self.session, url, url, validators, max_bytes, started, follow=True)
            assert isinstance(outcome, FetchResult)
            return outcome
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                address = vet_link(current, linked_from)
            except Refused as exc:
                return _failed(url, started, f"not followed: {exc}", final_url=current)
            outcome = self._attempt(self._pinned_session(address), url, current, validators, max_bytes, started,
                                    follow=False)
            if isinstance(outcome, FetchResult):
                return outcome
            current = urljoin(current, outcome.location)
        return _failed(url, started, f"not followed: more than {MAX_REDIRECTS} redirects", final_url=current)

    def _pinned_session(self, address: str) -> requests.Session:
        """A session whose every connection goes to `address` (one per address, pooled)."""
        with self._robots_lock:
            session = self._pinned.get(address)
            if session is None:
                session = requests.Session()
                session.trust_env = False  # a proxy would resolve the name again: untrusted links go direct
                session.headers.update(self.session.headers)
                adapter = _PinnedAdapter(address, max_retries=self._retry, pool_connections=2, pool_maxsize=4)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                self._pinned[address] = session
        return session

    def _attempt(self, session: requests.Session, url: str, target: str, validators: Validators | None,
                 max_bytes: int | None, started: float, *, follow: bool) -> FetchResult | _Redirect:
        """One GET of `target` (for `url`); with follow=False a redirect comes back as a _Redirect."""

        def failed(error: str, status: int | None = None, final_url: str = target) -> FetchResult:
            return _failed(url, started, error, status, final_url)

        if self.respect_robots:
            verdict = self.robots_verdict(target, session)
            if verdict is not None:
                return failed(verdict)
        headers = {}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        try:
            with session.get(target, headers=headers, timeout=self.timeout, stream=True,
                             allow_redirects=follow) as response:
                final_url = response.url
                if not follow and response.is_redirect:
                    return _Redirect(response.headers["Location"])
                if response.status_code == 304:
                    response.content  # noqa: B018 -- consume the (empty) body so the connection is reused
                    elapsed = (time.perf_counter() - started) * 1000
                    v = validators or Validators()
                    return FetchResult(
                        url, final_url, 304, None, "",
                        response.headers.get("ETag", v.etag), response.headers.get("Last-Modified", v.last_modified),
                        v.sha256, elapsed,
                    )
                if response.status_code >= 400:
                    reason = f"HTTP {response.status_code} {response.reason or ''}".strip()
                    return failed(reason, response.status_code, final_url)
                body = self._read_capped(response, started, max_bytes or self.max_bytes)
        except _TooLarge as exc:
            return failed(str(exc))
        except requests.exceptions.TooManyRedirects:
            return failed("too many redirects")
        except requests.exceptions.RetryError as exc:
            return failed(f"gave up after retries: {_reason(exc)}")
        except requests.exceptions.Timeout:
            return failed(f"timed out (connect {self.timeout[0]:g}s, read {self.timeout[1]:g}s)")
        except requests.exceptions.ConnectionError as exc:
            return failed(f"connection failed: {_reason(exc)}")
        except requests.exceptions.RequestException as exc:
            return failed(f"request failed: {_reason(exc)}")
        elapsed = (time.perf_counter() - started) * 1000
        return FetchResult(
            url,
            final_url,
            response.status_code,
            body,
            response.headers.get("Content-Type", ""),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            hashlib.sha256(body).hexdigest(),
            elapsed,
        )

    def _read_capped(self, response: requests.Response, started: float, cap: int) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise _TooLarge(f"body of {int(declared)} bytes exceeds the {cap}-byte cap")
        chunks, size = [], 0
        # The read timeout bounds each socket read, not the body: a server dripping a byte every few
        # seconds would hold the fetch for ever. At the deadline the response is closed under the reader.
        remaining = max(self.deadline - (time.perf_counter() - started), 0.01)
        watchdog = threading.Timer(remaining, _abort, [response])
        watchdog.daemon = True
        watchdog.start()
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > cap:
                    raise _TooLarge(f"body exceeds the {cap}-byte cap")
                chunks.append(chunk)
        except _TooLarge:
            raise
        except Exception:
            if time.perf_counter() - started >= self.deadline:
                raise requests.exceptions.Timeout() from None
            raise
        finally:
            watchdog.cancel()
        if time.perf_counter() - started > self.deadline:
            raise requests.exceptions.Timeout()
        return b"".join(chunks)

    def robots_verdict(self, url: str, session: requests.Session | None = None) -> str | None:
        """Why robots.txt keeps us from `url` (disallowed, or its host unreachable), else None.

        An unreachable host is remembered for a minute only, so one refresh does not knock on a
        dead host twice, yet a long-running daemon retries it soon after.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:  # one lock per origin: hosts are looked up in parallel, each once
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            cached = self._robots.get(origin)
            now = time.monotonic()
            if cached is None or now > cached[0]:
                rules = self._load_robots(origin, session or self.session)
                cached = (now + (UNREACHABLE_TTL if isinstance(rules, str) else ROBOTS_TTL), rules)
                self._robots[origin] = cached
        rules = cached[1]
        if isinstance(rules, str):
            return rules
        if rules is not None and not rules.can_fetch(self.session.headers["User-Agent"], url):
            return "disallowed by robots.txt"
        return None

    def _load_robots(self, origin: str, session: requests.Session) -> urllib.robotparser.RobotFileParser | str | None:
        """The host's rules; None when it has none; a string when the host cannot be reached."""
        try:
            response = session.get(f"{origin}/robots.txt", timeout=self.timeout, stream=True)
            with response:
                status = response.status_code
                raw = self._read_capped(response, time.perf_counter(), 512 * 1024) if status == 200 else b""
                text = raw.decode("utf-8", "replace")
        except requests.exceptions.ConnectionError as exc:
            return f"connection failed: {_reason(exc)}"
        except requests.exceptions.Timeout:
            return f"timed out (connect {self.timeout[0]:g}s, read {self.timeout[1]:g}s)"
        except (requests.exceptions.RequestException, _TooLarge):
            return None  # odd robots.txt: fetch the page and let it speak for itself
        if status in (401, 403):
            parser = urllib.robotparser.RobotFileParser()
            parser.disallow_all = True
            return parser
        if status != 200:
            return None
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(text.splitlines())
        return parser


class _TooLarge(Exception):
    pass


def _failed(url: str, started: float, error: str, status: int | None = None,
            final_url: str | None = None) -> FetchResult:
    elapsed = (time.perf_counter() - started) * 1000
    return FetchResult(url, final_url or url, status, None, "", None, None, None, elapsed, error)


def _abort(response: requests.Response) -> None:
    """Wake a thread blocked reading `response`: shutting the socket down ends its recv at once,
    where closing the file object would not. urllib3 keeps the socket on its connection object,
    except after `Connection: close`, when http.client hands it to the response's file object."""
    raw = response.raw
    candidates = [getattr(getattr(raw, "_connection", None), "sock", None)]
    fp = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client.HTTPResponse -> BufferedReader
    candidates.append(getattr(getattr(fp, "raw", None), "_sock", None))  # -> SocketIO -> socket
    for sock in candidates:
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    response.close()


def _reason(exc: BaseException) -> str:
    """The innermost useful message of a requests/urllib3 exception chain, without the noise."""
    while exc.args and isinstance(exc.args[0], BaseException):
        exc = exc.args[0]
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        exc = reason
    text = str(exc)
    if "Failed to resolve" in text or "Name or service not known" in text or "nodename nor servname" in text:
        return "cannot resolve host (no network?)"
    if "Connection refused" in text:
        return "connection refused"
    return text.split(": ", 1)[-1][:200]

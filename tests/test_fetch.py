"""The fetcher: conditional GET, retries, caps, robots.txt, timeouts — over real loopback sockets,
plus `responses` where a unit test needs a server behaviour loopback cannot easily give."""

from __future__ import annotations

import pytest
import responses

from scrapers.fetch import Fetcher, Validators


def fetcher(**kwargs: object) -> Fetcher:
    options = {"connect_timeout": 2.0, "read_timeout": 2.0, "retries": 2, "backoff": 0.01}
    options.update(kwargs)
    return Fetcher(**options)  # type: ignore[arg-type]


def test_get_returns_body_hash_and_validators(server):
    url = server.add("/page", "<p>hello</p>")
    result = fetcher().get(url)
    assert result.ok and result.status == 200
    assert result.body == b"<p>hello</p>"
    assert result.etag and result.sha256 and len(result.sha256) == 64
    assert "bridgewatch/" in server.requests[-1][1]["User-Agent"]


def test_conditional_get_answers_304_without_body(server):
    url = server.add("/page", "<p>hello</p>")
    f = fetcher()
    first = f.get(url)
    second = f.get(url, Validators(first.etag, first.last_modified, first.sha256))
    assert second.not_modified and second.ok
    assert second.body is None
    assert second.sha256 == first.sha256
    assert server.requests[-1][1]["If-None-Match"] == first.etag


def test_retries_5xx_then_succeeds(server):
    url = server.add("/flaky", "ok", fail_times=2)
    result = fetcher(retries=2).get(url)
    assert result.ok and result.body == b"ok"
    assert [p for p, _ in server.requests].count("/flaky") == 3


def test_gives_up_after_retries_with_a_clear_error(server):
    url = server.add("/down", "never", fail_times=10)
    result = fetcher(retries=1).get(url)
    assert not result.ok
    assert "503" in result.error or "retries" in result.error


def test_http_error_is_reported_not_raised(server):
    result = fetcher().get(server.url("/missing"))
    assert not result.ok and result.status == 404
    assert result.error.startswith("HTTP 404")


def test_body_cap_cuts_runaway_downloads(server):
    url = server.add("/big", b"x" * 5000)
    result = fetcher(max_bytes=1000).get(url)
    assert not result.ok and "cap" in result.error


def test_read_timeout_is_an_error_not_a_hang(server):
    url = server.add("/slow", "late", delay=1.5)
    result = fetcher(read_timeout=0.3, retries=0).get(url)
    assert not result.ok and "timed out" in result.error


def test_robots_disallow_is_respected(server):
    url = server.add("/private/report.html", "secret")
    result = fetcher().get(url)
    assert not result.ok and "robots.txt" in result.error
    assert "/private/report.html" not in [p for p, _ in server.requests]
    assert fetcher(respect_robots=False).get(url).ok


def test_unreachable_host_fails_fast_and_plainly():
    result = fetcher(retries=0).get("http://127.0.0.1:9/nothing-listens-here")
    assert not result.ok
    assert "connection" in result.error and "Traceback" not in result.error


def test_redirect_to_another_page_counts_as_moved(server):
    target = server.add("/new-home", "moved here")
    server.add("/old", "", status=301, headers={"Location": target})
    result = fetcher().get(server.url("/old"))
    assert result.ok and result.moved and result.final_url == target


@responses.activate
def test_retry_after_header_is_honoured_and_capped():
    url = "https://stats.example.org/data.json"
    responses.add(responses.GET, "https://stats.example.org/robots.txt", status=404)
    responses.add(responses.GET, url, status=429, headers={"Retry-After": "0"})
    responses.add(responses.GET, url, body=b"[1]", status=200)
    result = fetcher().get(url)
    assert result.ok and result.body == b"[1]"
    assert len([c for c in responses.calls if c.request.url == url]) == 2


@pytest.mark.slow
def test_a_server_dripping_its_body_is_cut_at_the_deadline():
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def drip() -> None:
        while not stop.is_set():
            try:
                listener.settimeout(0.2)
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                request = conn.recv(65536)
                if b"robots.txt" in request:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
                for _ in range(200):  # one byte every 0.1 s: each read succeeds, the body never ends
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(b"x")
                    except OSError:
                        break
                    time.sleep(0.1)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        result = fetcher(connect_timeout=0.2, read_timeout=0.5, retries=0).get(
            f"http://127.0.0.1:{listener.getsockname()[1]}/slow")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert not result.ok and "timed out" in result.error
    assert elapsed < 5  # the deadline (connect + 3 x read = 1.7 s) ended it, not the 20 s drip


# --- untrusted (scraped) links: every hop vetted, the vetted address is the one connected to ------

def rss(*links: str) -> str:
    items = "".join(f"<item><title>Pakistan IT exports rise</title><link>{link}</link>"
                    "<description>IT exports rose</description></item>" for link in links)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'


def test_a_scraped_link_redirecting_to_a_private_address_is_not_followed(tmp_path, server):
    from tests.conftest import LoopbackServer
    from tests.test_pipeline import setup, source_entry

    inside = LoopbackServer()  # "the local network": same loopback host, another port
    try:
        secret = inside.add("/latest/meta-data/", "<p>Pakistan's IT exports were $999 million in May 2025.</p>")
        server.add("/story", "", status=302, headers={"Location": secret})
        feed = server.add("/feed.xml", rss(server.url("/story")), content_type="application/rss+xml")
        pipeline, store = setup(tmp_path, server, source_entry("news", feed, "feed"))
        pipeline.refresh([pipeline.config.sources["news"]])
        assert [p for p, _ in inside.requests] == []  # not even robots.txt
        story = store.db.execute("SELECT error, sha256 FROM fetches WHERE url = ?", [server.url("/story")]).fetchone()
        assert story[1] is None and "not followed" in story[0] and "private" in story[0]
        assert store.db.execute("SELECT count(*) FROM observations").fetchone()[0] == 0
    finally:
        inside.close()


def test_the_feeds_own_host_means_its_port_too(server):
    from service.pipeline import may_follow
    from tests.conftest import LoopbackServer

    other = LoopbackServer()
    try:
        target = other.add("/x", "hello")
        result = fetcher().get(target, linked_from=server.url("/feed.xml"))
        assert not result.ok and "not followed" in result.error and other.requests == []
        assert not may_follow(target, server.url("/feed.xml"))
        assert fetcher().get(server.add("/y", "own host"), linked_from=server.url("/feed.xml")).ok
    finally:
        other.close()


def test_scraped_links_with_userinfo_or_backslashes_are_refused(server):
    from service.pipeline import may_follow

    feed = server.url("/feed.xml")
    own = f"127.0.0.1:{server.port}"
    for bad in (f"http://10.0.0.5\\@{own}/x", f"http://user@{own}/x", f"http://10.0.0.5%5C@{own}/x",
                f"http://{own}\\@10.0.0.5/x", "http://10.0.0.5\\@www.dawn.com/x"):
        assert not may_follow(bad, feed), bad
        result = fetcher().get(bad, linked_from=feed)
        assert not result.ok and "not followed" in result.error, bad
    assert server.requests == []


def test_redirect_hops_to_other_schemes_and_loops_are_refused(server):
    feed = server.url("/feed.xml")
    server.add("/to-file", "", status=302, headers={"Location": "file:///etc/passwd"})
    server.add("/loop", "", status=302, headers={"Location": "/loop"})
    assert "scheme" in fetcher().get(server.url("/to-file"), linked_from=feed).error
    looped = fetcher().get(server.url("/loop"), linked_from=feed)
    assert not looped.ok and "redirects" in looped.error
    final = server.add("/final", "here")
    server.add("/hop", "", status=301, headers={"Location": "/final"})
    moved = fetcher().get(server.url("/hop"), linked_from=feed)
    assert moved.ok and moved.body == b"here" and moved.final_url == final


def test_the_connection_goes_to_the_address_that_was_checked(server, monkeypatch):
    """A name that answers a public-looking address when checked and a private one afterwards
    (DNS rebinding) is connected to at the first answer: the name is resolved once, then pinned."""
    import socket

    real = socket.getaddrinfo
    lookups: list[str] = []

    def fake(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "news.example.org":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "10.255.255.1"  # the second answer is a trap
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    server.add("/a", "pinned")
    feed = f"http://news.example.org:{server.port}/feed.xml"
    result = fetcher(connect_timeout=1.0, retries=0).get(f"http://news.example.org:{server.port}/a", linked_from=feed)
    assert result.ok and result.body == b"pinned"
    assert lookups == ["news.example.org"]
    assert server.requests[-1][1]["Host"] == f"news.example.org:{server.port}"


def test_configured_sources_still_follow_redirects_anywhere(server):
    from tests.conftest import LoopbackServer

    other = LoopbackServer()
    try:
        target = other.add("/moved", "over there")
        server.add("/old", "", status=302, headers={"Location": target})
        result = fetcher().get(server.url("/old"))
        assert result.ok and result.body == b"over there" and result.final_url == target
    finally:
        other.close()


def test_retry_after_is_capped_for_the_whole_source_not_per_retry(tmp_path, server, monkeypatch):
    """`Retry-After: 120` on every try: a source's refresh waits a minute in all, not a minute per retry."""
    import time

    from tests.test_pipeline import setup, source_entry

    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", lambda s: waits.append(s))
    one = server.add("/busy", "never", status=503, headers={"Retry-After": "120"})
    two = server.add("/busy2", "never", status=503, headers={"Retry-After": "120"})
    pipeline, store = setup(tmp_path, server, source_entry("busy", one) + f'also = ["{two}"]\n',
                            settings="retries = 3")
    report = pipeline.refresh([pipeline.config.sources["busy"]])
    assert not report.sources[0].ok and "503" in report.sources[0].error
    assert waits and sum(waits) <= 60.0 + 1e-6, waits
    store.close()


@pytest.mark.slow
def test_a_dripping_body_with_connection_close_is_cut_at_the_deadline_too():
    """After `Connection: close` http.client hands the socket to the response's file object, where
    the watchdog did not look: the drip held the fetch for its whole length."""
    import time

    from tests.chaos.servers import raw_server, trickle

    def drip(conn, _request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 400\r\nConnection: close\r\n\r\n")
        trickle(conn, b"x" * 400, 0.05)

    with raw_server(drip) as srv:
        started = time.monotonic()
        result = fetcher(connect_timeout=0.2, read_timeout=0.5, retries=0).get(srv.url("/slow"))
        elapsed = time.monotonic() - started
    assert not result.ok and "timed out" in result.error
    assert elapsed < 5  # the deadline (1.7 s), not the 20 s drip

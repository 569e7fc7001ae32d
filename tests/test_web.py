"""The daemon's HTTP endpoints, served for real on loopback, with the live parts faked."""

from __future__ import annotations

import re
import sys
import types
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.config import load
from service.metrics import Metrics
from service.web import Site, serve
from store.queries import Store

NEXT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


class Live:
    """Stands in for the daemon: health reasons and counters that a test can set."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.metrics = Metrics()

    def health(self) -> list[str]:
        return self.reasons

    def render(self, store: Store) -> str:
        return self.metrics.render(store.db, {"bridgewatch_up": ("1 while the daemon runs.", 1.0)})


@pytest.fixture
def site(db_path: Path) -> Iterator[tuple[str, Live, Store]]:
    store = Store(db_path)
    live = Live()
    config = load(None, env={})
    web_site = Site(config, list(config.sources.values()), str(db_path), live.health, live.render,
                lambda: {"worldbank_ict": NEXT})
    server = serve(web_site, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_address[1]}", live, store
    server.shutdown()
    server.server_close()
    store.close()


def get(url: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_healthz_is_200_when_healthy_and_503_with_the_reasons(site: tuple[str, Live, Store]) -> None:
    base, live, _ = site
    assert get(base + "/healthz")[::2] == (200, "ok\n")
    live.reasons = ["worldbank_ict overdue by 5000s", "database not writable: disk I/O error"]
    status, _, body = get(base + "/healthz")
    assert status == 503
    assert "worldbank_ict overdue by 5000s" in body and "database not writable" in body


def test_metrics_are_prometheus_text(site: tuple[str, Live, Store]) -> None:
    base, live, store = site
    live.metrics.refreshed("worldbank_ict", "ok", 0.3, observations=4, events=2)
    live.metrics.refreshed("worldbank_ict", "failed", 12.0)
    live.metrics.refreshed('odd"name', "timeout", 700.0)
    live.metrics.delivered(True)
    store.ensure_source("worldbank_ict", "worldbank", "http://127.0.0.1/", "official")
    store.update_source("worldbank_ict", last_success="2026-11-22T10:00:00+00:00", consecutive_failures=1)
    status, headers, body = get(base + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    lines = body.splitlines()
    sample = re.compile(r'^[a-z_:][a-z0-9_:]*(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf]+$')
    for line in lines:
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
    assert 'bridgewatch_refresh_total{source="worldbank_ict",outcome="ok"} 1' in lines
    assert 'bridgewatch_refresh_failures_total{source="worldbank_ict"} 1' in lines
    assert 'bridgewatch_refresh_failures_total{source="odd\\"name"} 1' in lines
    assert 'bridgewatch_refresh_duration_seconds_bucket{source="worldbank_ict",le="0.5"} 1' in lines
    assert 'bridgewatch_refresh_duration_seconds_bucket{source="worldbank_ict",le="+Inf"} 2' in lines
    assert 'bridgewatch_refresh_duration_seconds_count{source="worldbank_ict"} 2' in lines
    assert 'bridgewatch_observations_read_total{source="worldbank_ict"} 4' in lines
    assert 'bridgewatch_deliveries_total{outcome="sent"} 1' in lines
    assert 'bridgewatch_source_consecutive_failures{source="worldbank_ict"} 1' in lines
    assert "bridgewatch_outbox_depth 0" in lines and "bridgewatch_outbox_failures 0" in lines
    assert any(line.startswith('bridgewatch_source_last_success_timestamp_seconds{source="worldbank_ict"} 1')
               for line in lines)


def test_status_page_is_read_only_and_escaped(site: tuple[str, Live, Store]) -> None:
    base, _, store = site
    store.ensure_source("worldbank_ict", "worldbank", "http://127.0.0.1/", "official")
    store.update_source("worldbank_ict", last_attempt="2026-11-22T10:00:00+00:00", consecutive_failures=2,
                        last_error="<script>alert('x')</script>")
    store.add_event(kind="new_period", indicator="<img src=x onerror=alert(1)>", period="2024", new_value=3.5e9,
                    dedupe_key="k1")
    status, headers, page = get(base + "/status")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "worldbank_ict" in page and "failing" in page and "2026-11-23 07:00:00Z" in page
    assert "2026-11-22 10:00:00Z" in page
    for method in ("POST", "PUT", "DELETE"):
        status, headers, _ = get(base + "/", method=method)
        assert status == 405 and headers["Allow"] == "GET, HEAD"
    status, _, body = get(base + "/", method="HEAD")
    assert status == 200 and body == ""
    assert get(base + "/nothing-here")[0] == 404


def test_the_front_page_is_the_fact_sheet_and_escapes_what_sources_said(site: tuple[str, Live, Store]) -> None:
    base, _, store = site
    store.ensure_source("arabnews_2586784", "html", "http://127.0.0.1/", "cited")
    store.insert_observation(indicator="pk_it_exports_monthly", period="2024-12", value=348e6, unit="USD",
                             source_id="arabnews_2586784", status="ok", url="javascript:alert(1)",
                             evidence="<script>alert('x')</script> $348 million in December",
                             first_seen="2026-11-01T00:00:00+00:00", last_seen="2026-11-01T00:00:00+00:00")
    status, headers, page = get(base + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "The seed figures, kept current" in page and 'href="/status"' in page
    assert "<script>" not in page and "&lt;script&gt;" in page and 'href="javascript' not in page
    assert 'data-indicator="pk_it_exports_monthly" data-status="confirmed"' in page
    assert page.count("<svg") == page.count("<article")


def test_feed_is_503_until_the_feed_module_exists(site: tuple[str, Live, Store],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    base, _, _ = site
    monkeypatch.setitem(sys.modules, "service.feed", None)  # as before service/feed.py existed
    status, _, body = get(base + "/feed.atom")
    assert (status, body) == (503, "feed not available\n")
    fake = types.ModuleType("service.feed")
    fake.atom = lambda config, store: '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>'  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "service.feed", fake)
    status, headers, body = get(base + "/feed.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    assert "<feed" in body

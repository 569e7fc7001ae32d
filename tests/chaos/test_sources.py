"""Chaos: sources that misbehave on the wire, in their bytes, or in what their text says.

Every test: a fault phase (one or more `bridgewatch refresh` runs against the misbehaving server),
then a recovery phase against the same server behaving, then the checks of harness.judge against
a healthy control run of the same source."""

from __future__ import annotations

import gzip
import time
from collections import Counter

import pytest

from tests.chaos.harness import (
    Site,
    World,
    assert_ok,
    control,
    judge,
    ok,
    redirect,
    reset,
    script,
    silent,
    status,
    trickle,
    truncated,
    unaccepting_port,
)
from tests.conftest import FIXTURES, RECORDED

ARTICLE = (
    "<html><head><title>Pakistan posts record IT exports</title>"
    '<meta property="article:published_time" content="2025-01-17"></head><body><article>'
    "<h1>Pakistan posts record IT exports in December</h1>"
    "<p>KARACHI: Pakistan's IT exports rose to $348\u00a0million in December 2024, up 28 percent "
    "year-on-year, State Bank of Pakistan data showed.</p>"
    "<p>The sector's exports in the first half of the fiscal year were also higher.</p>"
    "</article></body></html>"
)
BODY = ARTICLE.encode("utf-8")


def page_source(url: str) -> str:
    return f'[[sources]]\nid = "chaos_page"\nurl = "{url}"\nkind = "html"\nrole = "news"\n'


@pytest.fixture
def site():
    srv = Site()
    yield srv
    srv.close()


def article_control(tmp_path_factory):
    srv = Site()
    try:
        url = srv.set("/article", ok(BODY))
        return control("article", tmp_path_factory.mktemp("control"), page_source(url))
    finally:
        srv.close()


def run_fault(tmp_path, site, name, group, behaviour, fault_mode, expected, *, settings="", fault_runs=1,
              wanted=None, healthy_mode=None, fault_exit=(2,), notes=None):
    """Fault phase(s), then recovery; judge, record, assert."""
    started = time.monotonic()
    url = site.url("/article")
    world = World(tmp_path, page_source(url), settings=settings)
    try:
        site.set("/article", fault_mode)
        for _ in range(fault_runs):
            run = world.refresh()
            assert run.code in fault_exit, run.err
        site.set("/article", healthy_mode or ok(BODY))
        recovered = world.refresh()
        verdict = judge(world, name, group, behaviour, expected, wanted=wanted, started=started, notes=notes)
        assert recovered.code == 0, recovered.err
        assert_ok(verdict, world)
        return world, verdict
    finally:
        world.close()


# --- the wire ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503])
def test_server_errors_then_recovery(tmp_path, tmp_path_factory, site, code):
    expected = article_control(tmp_path_factory)
    run_fault(tmp_path, site, f"HTTP {code} then recovery", "fetch",
              "retried once, then a failed fetch (exit 2, nothing stored, no alert); read on recovery",
              status(code), expected)


@pytest.mark.slow
def test_429_with_retry_after_is_waited_for_within_the_budget(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", script(status(429, **{"Retry-After": "1"}), ok(BODY)))))
    try:
        run = world.refresh()
        verdict = judge(world, "429 with Retry-After: 1", "fetch",
                        "waited the second asked (within the one-minute budget per source), then read it in the "
                        "same run", expected, started=started)
        assert run.code == 0 and run.seconds >= 1.0, run.err
        assert_ok(verdict, world)
    finally:
        world.close()


@pytest.mark.slow
def test_connect_timeout(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    started = time.monotonic()
    with unaccepting_port() as port:
        world = World(tmp_path, page_source(f"http://127.0.0.1:{port}/article"))
        try:
            run = world.refresh()
            assert run.code == 2 and ("timed out" in run.err or "connection" in run.err), run.err
            # the same source, now answering: its URL moves to the healthy server (a one-line override)
            world.config.write_text(world.config.read_text().replace(f"127.0.0.1:{port}", f"127.0.0.1:{site.port}"))
            site.set("/article", ok(BODY))
            world.refresh()
            verdict = judge(world, "connect timeout", "fetch",
                            "a failed fetch after the connect timeout (0.5 s) and one retry; read on recovery",
                            expected, started=started)
            assert_ok(verdict, world)
        finally:
            world.close()


@pytest.mark.slow
def test_read_timeout(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    world, _ = run_fault(tmp_path, site, "read timeout (server silent after the request)", "fetch",
                         "a failed fetch after the read timeout and one retry; read on recovery",
                         silent(3.0), expected)
    assert "timed out" in world.runs[0].err


@pytest.mark.slow
def test_trickling_body_is_cut_at_the_deadline(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    world, _ = run_fault(tmp_path, site, "trickling body (a byte every 50 ms)", "fetch",
                         "cut at the per-body deadline (connect + 3 x read timeout = 2 s): a failed fetch",
                         trickle(BODY, 0.05), expected, settings="retries = 0")
    assert world.runs[0].seconds < 10 and "timed out" in world.runs[0].err


@pytest.mark.parametrize(("name", "mode"), [("truncated body", truncated), ("connection reset mid-body", reset)])
def test_truncated_and_reset_bodies(tmp_path, tmp_path_factory, site, name, mode):
    expected = article_control(tmp_path_factory)
    world, _ = run_fault(tmp_path, site, name, "fetch", "a failed fetch (nothing half-read is stored); read on "
                         "recovery", mode(BODY), expected)
    assert world.query("SELECT count(*) FROM fetches WHERE error IS NOT NULL AND sha256 IS NOT NULL")[0][0] == 0


def test_a_body_over_the_cap(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    big = BODY.replace(b"</article>", b"<p>" + b"padding " * 40_000 + b"</p></article>")
    run_fault(tmp_path, site, "body over the size cap (320 kB, cap 200 kB)", "fetch",
              "cut and reported (Content-Length checked first); read on recovery", ok(big), expected,
              settings="max_bytes = 200000")


def test_a_gzip_bomb(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MB in ~64 kB
    started = time.monotonic()
    world, _ = run_fault(tmp_path, site, "gzip bomb (64 MB of zeros in 64 kB)", "fetch",
                         "decompressed bytes count against the cap: cut at 1 MB, never held in memory",
                         ok(bomb, **{"Content-Encoding": "gzip"}), expected, settings="max_bytes = 1000000")
    assert "cap" in world.runs[0].err and time.monotonic() - started < 30


def test_redirect_loop(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    run_fault(tmp_path, site, "redirect loop", "fetch", "'too many redirects': a failed fetch; read on recovery",
              redirect("/article"), expected)


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/article", "file:///etc/passwd", "gopher://127.0.0.1:70/"])
def test_redirect_to_another_scheme(tmp_path, tmp_path_factory, site, target):
    expected = article_control(tmp_path_factory)
    world, _ = run_fault(tmp_path, site, f"redirect to {target.split(':')[0]}://", "fetch",
                         "refused by the HTTP client: a failed fetch; nothing read from the target",
                         redirect(target), expected)
    assert "root:" not in " ".join(r.err + r.out for r in world.runs)


def test_a_feed_link_redirecting_to_a_private_address(tmp_path, site):
    """A feed's article on the feed's own host answers 302 to another local port (the metadata
    service, the LAN): the hop is vetted and refused, nothing from it is stored."""
    inside = Site()
    try:
        inside.set("/latest/meta-data/", ok(BODY))
        site.set("/article", redirect(inside.url("/latest/meta-data/")))
        feed = site.set("/feed.xml", ok(feed_xml(site.url("/article")), "application/rss+xml"))
        started = time.monotonic()
        world = World(tmp_path, f'[[sources]]\nid = "chaos_feed"\nurl = "{feed}"\nkind = "feed"\nrole = "news"\n')
        try:
            run = world.refresh()
            verdict = judge(world, "feed link redirecting to a private address", "fetch",
                            "the redirect hop is vetted like the link: refused, nothing fetched from it or stored",
                            None, started=started)
            assert run.code == 0 and inside.requests == []
            assert verdict.observations == 0 and world.query(
                "SELECT count(*) FROM fetches WHERE error LIKE 'not followed%'")[0][0] == 1
            assert_ok(verdict, world)
        finally:
            world.close()
    finally:
        inside.close()


# --- the bytes -----------------------------------------------------------------------------------

CHARSETS = {
    "charset only in the HTTP header": (BODY, "text/html; charset=utf-8"),
    "no charset anywhere (UTF-8 body)": (BODY, "text/html"),
    "wrong charset (header says ISO-8859-1, body is UTF-8)": (BODY, "text/html; charset=iso-8859-1"),
    "Windows-1252 body, no charset": (ARTICLE.encode("cp1252"), "text/html"),
    "invalid UTF-8 in the body": (BODY.replace(b"also higher", b"also \xff\xfe\xc3 higher"),
                                  "text/html; charset=utf-8"),
    "UTF-8 byte-order mark": (b"\xef\xbb\xbf" + BODY, "text/html"),
    "UTF-16 with a byte-order mark": (ARTICLE.encode("utf-16"), "text/html"),
}


@pytest.mark.parametrize("name", list(CHARSETS))
def test_charsets(tmp_path, tmp_path_factory, site, name):
    expected = article_control(tmp_path_factory)
    body, content_type = CHARSETS[name]
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", ok(body, content_type))))
    try:
        run = world.refresh()
        verdict = judge(world, name, "reading", "decoded (header, then meta, then detection): the figure beside "
                        "the non-breaking space is read", expected, started=started)
        assert run.code == 0, run.err
        assert_ok(verdict, world)
    finally:
        world.close()


def test_a_layout_change_alerts_once_then_recovers(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    changed = (b"<html><body><article><h1>Pakistan posts record IT exports</h1><p>Subscribe to read this "
               b"article.</p></article></body></html>")
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", ok(BODY))))
    try:
        assert world.refresh().code == 0
        site.set("/article", ok(changed))
        codes = [world.refresh().code for _ in range(3)]
        site.set("/article", ok(BODY))
        world.refresh()
        wanted = Counter({("source_broken", None, None): 1, ("source_recovered", None, None): 1})
        verdict = judge(world, "layout change (figures gone) x3, then back", "reading",
                        "'nothing extracted where figures were' each time; source_broken once after 3 "
                        "(broken_after), source_recovered once; old figures kept, nothing re-announced",
                        expected, wanted=wanted, started=started)
        assert codes == [2, 2, 2]
        assert_ok(verdict, world)
    finally:
        world.close()


# --- malformed official files and hostile XML ---------------------------------------------------

OFFICIAL = {
    # name: (source id, kind, good capture, malformed body, extra source lines)
    "malformed XLS (SBP workbook cut to a third)": ("sbp_ebops", RECORDED / "sbp_dt.xls", FIXTURES / "sbp_corrupt.xls",
                                                    "application/vnd.ms-excel", "mirrors = []\n"),
    "XLSX under the .xls name, no EBOPS sheet": ("sbp_ebops", RECORDED / "sbp_dt.xls", FIXTURES / "sbp_xlsx_as_xls.xls",
                                                "application/vnd.ms-excel", "mirrors = []\n"),
    "malformed XLSX (GII workbook cut in half)": ("wipo_gii", RECORDED / "wipo_gii_2024_data.xlsx",
                                                  FIXTURES / "gii_corrupt.xlsx", "application/octet-stream",
                                                  'edition = 2024\n'),
    "malformed ZIP (StatCan archive cut in half)": ("statcan_cimt", RECORDED / "statcan_tot_exp_2024.zip",
                                                    FIXTURES / "statcan_corrupt.zip", "application/zip",
                                                    'flow = "exports"\n'),
    "malformed PDF (PSEB report cut in half)": ("pseb_annual_report", RECORDED / "pseb_annual_report.pdf",
                                                FIXTURES / "truncated.pdf", "application/pdf", ""),
    "malformed JSON (World Bank, nested 200,000 deep)": ("worldbank_ict", None, b"[" * 200_000 + b"]" * 200_000,
                                                         "application/json", ""),
    "World Bank error shape {\"message\": 5}": ("worldbank_ict", None, b'[{"message": 5}]', "application/json", ""),
}


def worldbank_body() -> bytes:
    import json

    rows = [{"indicator": {"id": "BX.GSR.CCIS.CD", "value": "ICT service exports (BoP, current US$)"},
             "country": {"id": "PK", "value": "Pakistan"}, "countryiso3code": "PAK", "date": year, "value": value}
            for year, value in (("2024", 4.32e9), ("2023", 3.74e9))]
    meta = {"page": 1, "pages": 1, "per_page": 100, "total": 2, "lastupdated": "2026-10-28"}
    return json.dumps([meta, rows]).encode()


def official_source(ident: str, url: str, extra: str) -> str:
    return f'[[sources]]\nid = "{ident}"\nurl = "{url}"\nalso = []\n{extra}'


@pytest.mark.parametrize("name", list(OFFICIAL))
def test_malformed_official_files(tmp_path, tmp_path_factory, site, name):
    ident, good_path, bad, content_type, extra = OFFICIAL[name]
    good = worldbank_body() if good_path is None else good_path.read_bytes()
    bad_body = bad if isinstance(bad, bytes) else bad.read_bytes()
    path = f"/{ident}.bin"
    control_site = Site()
    try:
        expected = control(f"official:{ident}", tmp_path_factory.mktemp("control"),
                           official_source(ident, control_site.set(path, ok(good, content_type)), extra))
    finally:
        control_site.close()
    started = time.monotonic()
    world = World(tmp_path, official_source(ident, site.set(path, ok(bad_body, content_type)), extra))
    try:
        run = world.refresh()
        assert run.code == 2 and "layout changed or unreadable" in run.err, run.err
        site.set(path, ok(good, content_type))
        recovered = world.refresh()
        verdict = judge(world, name, "reading", "a clean 'unreadable' source error (no traceback), nothing stored; "
                        "read in full on recovery", expected, started=started)
        assert recovered.code == 0, recovered.err
        assert verdict.tracebacks == 0, run.err
        assert_ok(verdict, world)
    finally:
        world.close()


def feed_xml(link: str, doctype: str = "", title: str = "Pakistan's IT exports hit a record") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel><title>News</title>'
            f"<item><title>{title}</title><link>{link}</link>"
            "<description>IT exports rose to a record in December.</description></item></channel></rss>").encode()


HOSTILE_XML = {
    "billion laughs (nested entity expansion)": (
        '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
        '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
        '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>',
        "Pakistan's IT exports &h;"),
    "external entity (XXE to file:///etc/passwd)": (
        '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "Pakistan's IT exports &x;"),
}


@pytest.mark.parametrize("name", list(HOSTILE_XML))
def test_hostile_xml_feeds(tmp_path, tmp_path_factory, site, name):
    doctype, title = HOSTILE_XML[name]
    site.set("/article", ok(BODY))
    control_site = Site()
    try:
        control_site.set("/article", ok(BODY))
        feed = control_site.set("/feed.xml", ok(feed_xml(control_site.url("/article")), "application/rss+xml"))
        expected = control("feed", tmp_path_factory.mktemp("control"),
                           f'[[sources]]\nid = "chaos_feed"\nurl = "{feed}"\nkind = "feed"\nrole = "news"\n')
    finally:
        control_site.close()
    started = time.monotonic()
    feed = site.set("/feed.xml", ok(feed_xml(site.url("/article"), doctype, title), "application/rss+xml"))
    world = World(tmp_path, f'[[sources]]\nid = "chaos_feed"\nurl = "{feed}"\nkind = "feed"\nrole = "news"\n')
    try:
        run = world.refresh()
        site.set("/feed.xml", ok(feed_xml(site.url("/article")), "application/rss+xml"))
        world.refresh()
        verdict = judge(world, f"hostile XML: {name}", "reading",
                        "entities not expanded, nothing read from the file system; the feed still read", expected,
                        started=started)
        assert run.code in (0, 2) and run.seconds < 20
        dump = "\n".join(str(r) for r in world.query("SELECT * FROM fetches") + world.query("SELECT * FROM events"))
        assert "root:x:" not in dump and "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" not in dump
        assert_ok(verdict, world)
    finally:
        world.close()


# --- what the text says --------------------------------------------------------------------------

HOSTILE_TEXT = (
    b"<html><head><title>IT exports</title>"
    b'<meta property="article:published_time" content="2025-01-17"></head><body><article>'
    b"<p>KARACHI: Pakistan's IT exports rose to $348 million in December 2024 {{ 1111*3 }} {% raw %}"
    b"&lt;script&gt;alert('x')&lt;/script&gt; &lt;b onmouseover=alert(1)&gt;bold&lt;/b&gt; "
    b"**shout** [click](http://evil.example/) `code` ${7*7}, State Bank of Pakistan data showed.</p>"
    b"<script>document.title='owned'</script></article></body></html>"
)


def test_script_html_markdown_and_template_syntax_in_scraped_text(tmp_path, site):
    started = time.monotonic()
    world = World(tmp_path, page_source(site.set("/article", ok(HOSTILE_TEXT))))
    try:
        run = world.refresh()
        assert run.code == 0, run.err
        [(html, text, markdown)] = world.query("SELECT html, text, markdown FROM digests")
        evidence = world.query("SELECT evidence FROM observations WHERE indicator = 'pk_it_exports_monthly'")
        notes = []
        assert evidence and "{{ 1111*3 }}" in evidence[0][0]  # kept as data, verbatim
        assert "<script>alert" not in html and "<b onmouseover" not in html and "3333" not in html + text + markdown
        assert "&lt;script&gt;" in html or "script" not in html
        if "[click](http://evil.example/)" in markdown:
            notes.append("the Markdown digest carries the scraped [click](…) link unescaped")
        verdict = judge(world, "<script>, HTML, Markdown and {{ }} in scraped text", "content",
                        "stored verbatim as evidence; escaped in the HTML digest; templates never evaluate it",
                        None, started=started, notes=notes, check_alerts=False)
        assert_ok(verdict, world)
        assert not notes, notes
    finally:
        world.close()

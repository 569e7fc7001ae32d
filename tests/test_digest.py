"""Rendering: every template (text, HTML, Markdown, JSON, Atom), hostile scraped text, charts, time zones."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from service import chart, digest, feed
from service.cli import main
from service.config import load
from service.delivery.email import SmtpTarget, build_message
from store.queries import Store
from tests.events import MONTHLY, event, observe

NOW = datetime(2026, 1, 15, 7, 58, tzinfo=UTC)
HOSTILE = ('<script>alert("x")</script> IT exports hit $437 million & "more" [click](javascript:alert(1)) '
           "@everyone \x1b[31m`code` *bold* <!channel>")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def config():
    return load(env={})


@pytest.fixture
def store(db_path):
    db = Store(db_path)
    for period, value in [("2024-09", 300e6), ("2024-10", 320e6), ("2024-11", 330e6), ("2024-12", 348e6),
                          ("2025-01", 437e6)]:
        observe(db, MONTHLY, period, value)
    yield db
    db.close()


def january(store: Store, evidence: str = "IT exports rose to $437 million in January, SBP data showed.") -> list:
    """A new period that is also a record, plus a broken source: what a good month looks like."""
    event(store, "new_period", evidence=evidence, created_at="2026-01-15T07:58:00+00:00")
    event(store, "record", old=348e6, evidence=evidence, previous_record=348e6, created_at="2026-01-15T07:58:00+00:00")
    store.update_source("sbp_ebops", broken=1, last_error="HTTP 503 <b>down</b>", last_success="2026-01-10T00:00:00")
    event(store, "source_broken", indicator=None, period=None, new=None, baseline=None, evidence="",
          failures=3, error="HTTP 503")
    return store.events()


def test_record_folds_into_its_new_period_with_human_numbers(store, config):
    result = digest.build(store, config, january(store), now=NOW)
    [group] = result.context["groups"]
    [item] = group.items
    assert item.kind == "new_period" and item.badges == ["record high"]
    assert (item.old, item.old_period, item.new) == ("US$348 million", "2024-12", "US$437 million")
    assert (item.change, item.change_pct, item.vs_baseline_pct) == ("+US$89 million", "+25.6%", "+25.6%")
    assert result.subject == "bridgewatch digest: 1 change in 1 indicator, 1 source notice"
    assert "2025-01: new period [RECORD HIGH]: US$348 million (2024-12) -> US$437 million (+US$89 million, +25.6%)" \
        in result.text
    assert "vs seed baseline US$348 million (2024-12, seed 001 [4][11] Arab News)" in result.text
    assert "broken: State Bank of Pakistan" in result.text
    assert result.payload["events"][0]["merged_event_ids"] == [item.id + 1]


def test_dates_are_in_the_subscribers_time_zone(store, config):
    result = digest.build(store, config, january(store), now=NOW, timezone_name="Asia/Karachi")
    assert "Generated 2026-01-15 12:58 PKT" in result.text and "seen 2026-01-15 12:58 PKT" in result.text
    assert "last worked 2026-01-10 05:00 PKT" in result.text
    toronto = digest.build(store, config, store.events(), now=NOW, timezone_name="America/Toronto")
    assert "Generated 2026-01-15 02:58 EST" in toronto.html


def test_hostile_scraped_text_is_escaped_in_every_format(store, config):
    result = digest.build(store, config, january(store, HOSTILE), now=NOW)
    # HTML: no live markup, attribute-safe quotes, no javascript: link
    assert "<script>" not in result.html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in result.html
    assert "javascript:" not in result.html.split("<body", 1)[1].replace("(javascript:alert(1))", "")
    assert "<b>down</b>" not in result.html and "&lt;b&gt;down&lt;/b&gt;" in result.html
    # text: printable, no terminal escape sequences
    assert "\x1b" not in result.text and "\x1b" not in result.markdown and "\x1b" not in result.html
    # Markdown: no links, emphasis, code spans or mentions can be injected
    assert r"\[click\]\(javascript:alert\(1\)\)" in result.markdown and "@\u200beveryone" in result.markdown
    assert r"\`code\` \*bold\* \<\!channel\>" in result.markdown
    # JSON: the text as data, exactly
    evidence = result.payload["events"][0]["evidence"]
    assert evidence.startswith('<script>alert("x")</script>') and json.loads(json.dumps(result.payload))


def test_scraped_urls_must_be_http(store, config):
    event(store, "citation_changed", change="moved", moved_to="javascript:alert(document.cookie)", indicator=None)
    result = digest.build(store, config, store.events(), now=NOW)
    assert "javascript:" not in result.html.replace("moved to javascript:alert(document.cookie)", "")
    assert 'href="javascript' not in result.html and "](javascript" not in result.markdown


def test_history_chart_is_an_inline_png_and_a_sparkline(store, config):
    result = digest.build(store, config, january(store), now=NOW)
    [(cid, png)] = result.images.items()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (chart.WIDTH * chart.SCALE, chart.HEIGHT * chart.SCALE)
    assert f'src="cid:{cid}"' in result.html and 'alt="Pakistan IT/ICT' in result.html
    assert "data:image/png;base64," in result.standalone_html() and "cid:" not in result.standalone_html()
    assert "▁▂▃▃█" in result.text and "`▁▂▃▃█`" in result.markdown
    message = build_message(SmtpTarget.from_url("mailto://h?to=a@example.org", env={}), result.subject,
                            result.text, result.html, "id-1", result.images)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    [image] = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{cid}>" and image.get_content() == png


def test_png_encoder_round_trips():
    png = chart.encode_png(2, 1, bytes([255, 0, 0, 255, 0, 0, 255, 128]))
    chunks, pos = {}, 8
    while pos < len(png):
        length, tag = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(tag + data)
        chunks[tag] = data
        pos += 12 + length
    assert zlib.decompress(chunks[b"IDAT"]) == b"\x00" + bytes([255, 0, 0, 255, 0, 0, 255, 128])
    assert chart.bar_chart([1.0]) is None


def test_markdown_and_json_render(store, config):
    result = digest.build(store, config, january(store), now=NOW)
    assert result.markdown.startswith("**bridgewatch digest: 1 change in 1 indicator, 1 source notice**")
    assert "- **2025-01** new period · **RECORD HIGH**: US$348 million (2024-12) → **US$437 million**" \
        in result.markdown
    assert "Source: [State Bank of Pakistan" in result.markdown
    assert "](https://example.org/sbp_ebops) (official)" in result.markdown
    payload = result.payload
    assert payload["version"] == 1 and payload["type"] == "bridgewatch.digest"
    first = payload["events"][0]
    assert first["kind"] == "new_period" and first["badges"] == ["record high"] and first["change_pct"] == 25.57
    assert payload["health"]["broken"][0]["id"] == "sbp_ebops"
    assert [e["kind"] for e in payload["events"]] == ["new_period", "source_broken"]


def test_nothing_changed_reads_as_such(store, config):
    result = digest.build(store, config, [], now=NOW, quiet="no changes this week")
    assert result.subject == "bridgewatch digest: no changes this week, all sources healthy"
    for body in (result.text, result.markdown, result.html):
        assert "No changes this week since the last digest." in body
    store.update_source("sbp_ebops", broken=1)
    assert "1 source needs attention" in digest.build(store, config, [], now=NOW).subject


def test_atom_feed_is_valid_escaped_and_stable(store, config):
    january(store, HOSTILE)
    event(store, "suspect", period="2025-02", new=4.37e12, evidence="typo")
    document = feed.atom(config, store, self_url="http://127.0.0.1:8477/feed.atom")
    root = ET.fromstring(document.encode())
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated").text.endswith("Z")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2  # the record folded into its new period; the suspect value left out
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert any("new period (record high) US$348 million → US$437 million" in t for t in titles)
    summary = entries[1].find(f"{ATOM}summary").text
    assert '<script>alert("x")</script>' in summary and "\x1b" not in document  # escaped in XML, exact as text
    assert "<script>" not in document
    assert feed.atom(config, store) .count("<entry>") == 2
    assert entries[1].find(f"{ATOM}id").text == f"{feed.FEED_ID}:{store.events()[0]['id']}"


def test_feed_and_digest_commands(store, config, tmp_path, capsys):
    january(store)
    db = ["--db", store.path]
    out = tmp_path / "events.atom"
    assert main([*db, "feed", "--out", str(out)]) == 0
    assert ET.parse(out).getroot().tag == f"{ATOM}feed"
    for suffix, marker in ((".md", "**bridgewatch digest"), (".json", '"type": "bridgewatch.digest"'),
                           (".html", "data:image/png;base64,")):
        target = tmp_path / f"d{suffix}"
        assert main([*db, "digest", "--all", "--out", str(target)]) == 0
        assert marker in target.read_text()


def test_html_digest_in_headless_chromium(store, config, tmp_path):
    """The HTML opens in a real browser at phone width (bench/screenshot_digest.py makes docs/digest.png)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    page = tmp_path / "digest.html"
    page.write_text(digest.build(store, config, january(store, HOSTILE), now=NOW).standalone_html(), encoding="utf-8")
    shot = tmp_path / "digest.png"
    profile = tmp_path / "profile"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    f"--screenshot={shot}", "--window-size=420,900", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and struct.unpack(">II", data[16:24]) == (420, 900)


# --- issue 14.8: charts with axes, labels and values, real period gaps, honest captions; long URLs ---


def _alpha(png: bytes) -> list[list[int]]:
    """The alpha channel of one of our PNGs, row by row."""
    pos, data = 8, b""
    while pos < len(png):
        length, tag = struct.unpack(">I4s", png[pos:pos + 8])
        if tag == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    width, height = struct.unpack(">II", png[16:24])
    raw, stride = zlib.decompress(data), width * 4 + 1
    return [[raw[y * stride + 1 + x * 4 + 3] for x in range(width)] for y in range(height)]


def _bar_columns(png: bytes, y: int) -> list[tuple[int, int]]:
    """(start, end) of each run of ink along row `y`."""
    row, runs, start = _alpha(png)[y], [], None
    for x, a in enumerate([*row, 0]):
        if a and start is None:
            start = x
        elif not a and start is not None:
            runs.append((start, x))
            start = None
    return runs


def test_chart_spaces_bars_by_the_real_gaps_between_periods():
    even = chart.bar_chart([1.0, 1.0, 1.0], periods=["2026-01", "2026-02", "2026-03"])
    gappy = chart.bar_chart([1.0, 1.0, 1.0], periods=["2026-01", "2026-02", "2026-06"])
    row = chart.HEIGHT * chart.SCALE // 2  # through the bars, below any text
    runs_even = [r for r in _bar_columns(even, row) if r[1] - r[0] > 10]
    runs_gappy = [r for r in _bar_columns(gappy, row) if r[1] - r[0] > 10]
    assert len(runs_even) == len(runs_gappy) == 3
    gap = lambda runs, i: runs[i + 1][0] - runs[i][1]  # noqa: E731
    assert abs(gap(runs_even, 0) - gap(runs_even, 1)) <= 2  # consecutive months: even spacing
    assert gap(runs_gappy, 1) > 3 * gap(runs_gappy, 0)  # March to May missing: a wide gap


def test_chart_draws_an_axis_labels_and_the_latest_value():
    png = chart.bar_chart([300e6, 348e6, 412.6e6], periods=["2026-08", "2026-09", "2026-10"], unit="USD")
    alpha = _alpha(png)
    height = len(alpha)
    label_rows = alpha[height - 5 * chart.FONT_PX - 2:]  # under the period axis: the period labels
    assert sum(1 for row in label_rows for a in row if a) > 100
    top_rows = alpha[: 5 * chart.FONT_PX]  # over the bars: the latest value
    assert sum(1 for row in top_rows for a in row if a) > 30
    assert chart.short(412.6e6) == "413M" and chart.short(3.8e9) == "3.8B" and chart.short(22, "rank") == "#22"
    assert chart.label("FY2025-26:Jul-Oct") == "FY26:Oct"


def test_caption_mentions_a_baseline_only_when_one_is_drawn(store, config):
    result = digest.build(store, config, january(store), now=NOW)
    [group] = result.context["groups"]
    assert "dashed line: seed baseline US$348 million" in group.chart_caption
    assert "2024-09 to 2025-01" in group.chart_caption and group.chart_caption in result.html
    assert "2024-12 US$348 million" in group.chart_alt
    fytd = Store(store.path)
    for period, value in [("FY2025-26:Jul-Aug", 700e6), ("FY2025-26:Jul-Sep", 1.1e9), ("FY2025-26:Jul-Oct", 1.4e9)]:
        observe(fytd, "pk_it_exports_fytd", period, value)
    event(fytd, "new_period", indicator="pk_it_exports_fytd", period="FY2025-26:Jul-Oct", new=1.4e9, baseline=None)
    events = [e for e in fytd.events() if e["indicator"] == "pk_it_exports_fytd"]
    [group] = digest.build(fytd, config, events, now=NOW).context["groups"]
    assert group.chart_cid and "baseline" not in group.chart_caption  # no baseline, none drawn, none named
    # in time order, not alphabetical (Jul-Oct sorts before Jul-Sep): the latest span is the orange bar
    assert group.chart_caption.startswith("FY2025-26:Jul-Aug to FY2025-26:Jul-Oct")


def test_long_urls_wrap_inside_the_card(store, config):
    result = digest.build(store, config, january(store), now=NOW)
    cards = result.html.count('class="bw-card"') + result.html.count('class="bw-warn"')
    assert cards and result.html.count("overflow-wrap:anywhere") >= cards


def test_a_stale_source_is_not_all_clear(store, config):
    store.update_source("sbp_ebops", last_success="2026-01-01T00:00:00+00:00")  # daily: stale after 3 days
    result = digest.build(store, config, [], now=NOW)
    assert "1 source needs attention" in result.subject
    [stale] = result.context["health"]["stale"]
    assert stale["id"] == "sbp_ebops" and "no successful refresh for 14 days" in stale["reason"]
    assert "stale: " in result.text and "all sources healthy" not in result.text

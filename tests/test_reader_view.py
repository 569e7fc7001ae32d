"""The fact sheet and the digest as a person sees them: the demo's pages laid out by headless Chromium
at phone and desktop width, read back from the rendered page (innerText, element boxes), not from the
HTML source. Each seed figure's card must show its name, seed value, status and what sources state;
each indicator must have a drawn chart; nothing may stick out sideways on a phone."""

from __future__ import annotations

import json
import os
from contextlib import redirect_stdout
from io import StringIO

import pytest

from service.cli import main
from service.demo import run_demo
from tests.browser import CHROMIUM, Browser

# skipped on a machine without Chromium, except in CI (.ci/run installs it and sets BRIDGEWATCH_REQUIRE_BROWSER)
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("BRIDGEWATCH_REQUIRE_BROWSER"),
                                reason="headless Chromium not installed (apt-get install chromium)")
WIDTHS = {"phone": 390, "desktop": 1280}

CARDS = """[...document.querySelectorAll('article.fact')].map(a => {
  const svg = a.querySelector('svg.chart'); const box = svg ? svg.getBoundingClientRect() : null;
  const card = a.getBoundingClientRect();
  return {indicator: a.dataset.indicator, status: a.dataset.status, text: a.innerText,
          chart: box ? {w: box.width, h: box.height, bars: svg.querySelectorAll('rect').length,
                        seed: svg.querySelectorAll('line.seed').length} : null,
          left: card.left, right: card.right};
})"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    with redirect_stdout(StringIO()):
        assert run_demo(out) == 0
        buffer = StringIO()
        with redirect_stdout(buffer):
            main(["--db", str(out / "bridgewatch.db"), "--config", str(out / "config.toml"), "factsheet",
                  "--format", "json"])
    return out, json.loads(buffer.getvalue())


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_fact_sheet_reads_row_by_row_with_a_chart_per_indicator(demo, browser, width):
    out, rows = demo
    browser.open(out / "factsheet.html", width, mobile=width < 600)
    cards = browser.evaluate(CARDS)
    assert len(cards) == len(rows) == 24
    for card, row in zip(cards, rows, strict=True):
        text = card["text"]
        assert (card["indicator"], card["status"]) == (row["indicator"], row["status"])
        assert row["name"] in text and row["text"] in text and row["period"] in text
        assert row["status"].upper() in text.upper() and row["why"] in text
        for stated in row["stated"]:  # every value a source states for the period, with its evidence
            assert stated["text"] in text and " ".join(stated["evidence"].split())[:60] in " ".join(text.split())
        # a drawn chart, the seed marked, inside the page's width
        assert card["chart"] and card["chart"]["w"] > 200 and card["chart"]["h"] > 60 and card["chart"]["seed"] == 1
        assert card["left"] >= 0 and card["right"] <= width
    assert {c["indicator"] for c in cards if c["chart"]} == {r["indicator"] for r in rows}
    assert browser.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    summary = browser.evaluate("document.querySelector('.summary').innerText")
    assert "1 CONTRADICTED" in summary.upper() and "1 STALE" in summary.upper()
    by_key = {(c["indicator"], r["period"]): c for c, r in zip(cards, rows, strict=True)}
    trade = by_key[("ca_exports_to_pk", "2024")]["text"]
    assert "CONTRADICTED" in trade.upper() and "US$240 million" in trade and "US$319 million" in trade
    assert "STALE" in by_key[("ca_tech_foreign_born_pct", "2024")]["text"].upper()
    assert "US$413 million in 2026-10" in by_key[("pk_it_exports_monthly", "2024-12")]["text"]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_digest_shows_each_figure_once_with_its_tags(demo, browser, width):
    out, _ = demo
    browser.open(out / "digest.html", width, mobile=width < 600)
    text = browser.evaluate("document.body.innerText")
    flat = " ".join(text.split())
    assert flat.count("Canada's merchandise exports to Pakistan") == 1
    trade = flat.split("Canada's merchandise exports to Pakistan", 1)[1].split("Pakistan IT exports, fiscal year", 1)[0]
    assert trade.count("revised sources disagree citation changed 2024") == 1  # one item, all three tags
    assert trade.count("→") == 1 and trade.count("Source: ") == 1
    assert "Sources state:" in trade and "US$319 million" in trade and "US$240 million" in trade
    assert "+11.5 pts" in flat and "1478" not in flat  # a growth rate's change in points only
    assert "failed once" in flat and "1 times" not in flat
    charts = browser.evaluate("[...document.querySelectorAll('img')].map(i => [i.naturalWidth, i.width])")
    assert charts and all(natural > 0 and 0 < shown <= width for natural, shown in charts)
    assert browser.evaluate("document.documentElement.scrollWidth") <= width


def test_the_sql_view_carries_the_same_statuses(demo):
    import sqlite3

    out, rows = demo
    with sqlite3.connect(out / "bridgewatch.db") as conn:
        view = conn.execute("SELECT indicator, period, status FROM factsheet").fetchall()
    assert view == [(r["indicator"], r["period"], r["status"]) for r in rows]

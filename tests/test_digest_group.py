"""Digests that group: one figure and period is one item however many events it raised, with every
tag and the value each source states; percentages change in points only; failures counted in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service import digest
from service.config import load
from store.queries import Store
from tests.events import event, observe

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TRADE = "ca_exports_to_pk"


@pytest.fixture
def config():
    return load(env={})


@pytest.fixture
def store(db_path):
    db = Store(db_path)
    yield db
    db.close()


def test_one_figure_is_one_item_with_all_its_tags_and_each_sources_value(store, config):
    observe(store, TRADE, "2024", 318.6e6, source="comtrade_ca_pk")
    observe(store, TRADE, "2024", 240e6, source="wbn_trade")
    event(store, "revision", TRADE, "2024", new=240e6, old=220e6, source="wbn_trade", baseline=220e6)
    event(store, "sources_disagree", TRADE, "2024", new=240e6, old=318.6e6, source="wbn_trade", baseline=220e6,
          other_source="comtrade_ca_pk", other_value=318.6e6)
    event(store, "citation_changed", TRADE, "2024", new=240e6, old=220e6, source="wbn_trade", baseline=220e6,
          change="figure")
    result = digest.build(store, config, store.events(), now=NOW)
    [group] = result.context["groups"]
    [item] = group.items
    assert item.label == "revised" and item.badges == ["sources disagree", "citation changed"]
    assert [(s["source_id"], s["text"]) for s in item.stated] == [("comtrade_ca_pk", "US$319 million"),
                                                                   ("wbn_trade", "US$240 million")]
    assert result.subject == "bridgewatch digest: 1 change in 1 indicator"
    assert result.text.count("2024: revised") == 1
    assert "[SOURCES DISAGREE] [CITATION CHANGED]" in result.text
    assert "sources state: UN Comtrade" in result.text and "US$319 million" in result.text
    assert "Sources state:" in result.html and "sources state:" in result.markdown
    [sent] = result.payload["events"]
    assert len(sent["merged_event_ids"]) == 2 and len(sent["stated"]) == 2


def test_a_percentage_changes_in_points_only(store, config):
    growth = "pk_it_exports_monthly_yoy_pct"
    observe(store, growth, "2026-09", 0.78, unit="percent")
    observe(store, growth, "2026-10", 12.31, unit="percent")
    event(store, "new_period", growth, "2026-10", new=12.31, unit="percent", baseline=28)
    event(store, "revision", growth, "2026-09", new=0.78, old=0.5, unit="percent", baseline=28)
    result = digest.build(store, config, store.events(), now=NOW)
    for text in (result.text, result.markdown, result.html):
        assert "+11.5 pts" in text and "+0.3 pts" in text and "−15.7 pts" in text
        assert "1478" not in text and "+56" not in text and "%)" not in text
    assert all(e["change_pct"] is None and e["vs_baseline_pct"] is None for e in result.payload["events"])


@pytest.mark.parametrize(("failures", "words"), [(1, "failed once: HTTP 503"), (3, "failed 3 times in a row")])
def test_failures_are_counted_in_words(store, config, failures, words):
    event(store, "source_broken", indicator=None, period=None, new=None, baseline=None, evidence="",
          failures=failures, error="HTTP 503")
    result = digest.build(store, config, store.events(), now=NOW)
    assert words in result.text and "1 times" not in result.text

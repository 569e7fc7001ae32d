"""scrapers.figures: phrasings, traps, and precision/recall over the labelled corpus."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest

from scrapers.figures import find_periods, read_figures, split_sentences

ROOT = Path(__file__).resolve().parent.parent
JAN_2025 = date(2025, 1, 17)

# Floors for the corpus test: measured 1.000 / 1.000 on the 74 articles; the floors leave room
# for new hard cases to be added before the reader learns them.
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.90


def facts(text: str, published: date | None = JAN_2025, **kwargs) -> set[tuple[str, str, float, str]]:
    return {(o.indicator, o.period, o.value, o.unit) for o in read_figures(text, published, **kwargs)}


# ---- amounts and currencies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("$348 million", 348e6),
        ("US$348 million", 348e6),
        ("$ 348 million", 348e6),
        ("USD 348m", 348e6),
        ("$348mn", 348e6),
        ("348mn dollars", 348e6),
        ("$0.348bn", 348e6),
    ],
)
def test_amount_spellings(phrase: str, value: float) -> None:
    assert facts(f"IT exports were {phrase} in December.") == {
        ("pk_it_exports_monthly", "2024-12", value, "USD")
    }


def test_billion_with_three_decimals() -> None:
    got = facts("ICT exports reached $2.825bn in Jul-Mar FY25.", date(2025, 4, 18))
    assert got == {("pk_it_exports_fytd", "FY2024-25:Jul-Mar", 2.825e9, "USD")}


def test_rupee_amount_never_becomes_dollars() -> None:
    assert facts("IT exports earned Rs803 billion in Jul-Mar FY25.", date(2025, 4, 18)) == set()
    assert facts("IT exports were PKR 95bn in December.") == set()


def test_bare_scale_is_dollars_only_without_rupees_in_text() -> None:
    assert facts("IT exports were 348mn in December.") == {("pk_it_exports_monthly", "2024-12", 348e6, "USD")}
    text = "IT exports were 348mn in December. That equals Rs97 billion."
    assert facts(text) == set()


def test_evidence_and_confidence() -> None:
    obs = read_figures("Pakistan's IT exports rose to US$348 million in December 2024.", JAN_2025)
    assert len(obs) == 1
    assert obs[0].evidence.startswith("Pakistan's IT exports")
    assert 0.9 <= obs[0].confidence <= 1


def test_long_sentence_evidence_is_trimmed() -> None:
    filler = "after a long discussion of many unrelated matters " * 10
    obs = read_figures(f"Officials said, {filler}, that IT exports were $348 million in December.", JAN_2025)
    assert obs and all(len(o.evidence) <= 300 for o in obs)
    assert "$348 million" in obs[0].evidence


# ---- growth --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    ["up 28pc year-on-year", "an increase of 28% over December 2023", "28% YoY higher",
     "which grew 28 per cent from a year earlier"],
)
def test_monthly_growth_phrasings(phrase: str) -> None:
    got = facts(f"IT exports were $348 million in December, {phrase}.")
    assert ("pk_it_exports_monthly_yoy_pct", "2024-12", 28, "percent") in got


def test_month_on_month_growth_is_not_year_on_year() -> None:
    got = facts("IT exports rose to $342 million in March, up 12% from February.", date(2025, 4, 15))
    assert got == {("pk_it_exports_monthly", "2025-03", 342e6, "USD")}


def test_fiscal_year_growth_is_over_previous_year() -> None:
    got = facts("IT exports grew 18 per cent to $3.8 billion in fiscal year 2024-25.", date(2025, 7, 20))
    assert ("pk_it_exports_fy_yoy_pct", "FY2024-25", 18, "percent") in got


def test_decline_is_negative() -> None:
    got = facts("IT exports fell 4% year-on-year to $298 million in June.", date(2024, 7, 19))
    assert ("pk_it_exports_monthly_yoy_pct", "2024-06", -4, "percent") in got


def test_growth_of_a_year_to_date_span() -> None:
    got = facts("IT exports rose 29% to $1.86bn in 1HFY25.", date(2025, 1, 22))
    assert got == {("pk_it_exports_fytd", "FY2024-25:Jul-Dec", 1.86e9, "USD"),
                   ("pk_it_exports_fytd_yoy_pct", "FY2024-25:Jul-Dec", 29, "percent")}


# ---- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "published", "label"),
    [
        ("in December", date(2025, 1, 17), "2024-12"),
        ("in December", date(2024, 12, 20), "2023-12"),
        ("in Dec 2024", date(2025, 2, 1), "2024-12"),
        ("in Dec'24", date(2025, 2, 1), "2024-12"),
        ("last month", date(2025, 3, 10), "2025-02"),
        ("in FY2024-25", date(2025, 8, 1), "FY2024-25"),
        ("in FY25", date(2025, 8, 1), "FY2024-25"),
        ("in fiscal year 2024-25", date(2025, 8, 1), "FY2024-25"),
        ("in the 2024-25 fiscal year", date(2025, 8, 1), "FY2024-25"),
        ("last fiscal year", date(2025, 8, 1), "FY2024-25"),
        ("in the first half of the current fiscal year", date(2025, 1, 17), "FY2024-25:Jul-Dec"),
        ("in Jul-Mar FY25", date(2025, 4, 18), "FY2024-25:Jul-Mar"),
        ("in 8MFY25", date(2025, 3, 18), "FY2024-25:Jul-Feb"),
        ("during July-December 2024", date(2025, 3, 1), "FY2024-25:Jul-Dec"),
        ("in the first seven months of FY25", date(2025, 3, 1), "FY2024-25:Jul-Jan"),
        ("in the first quarter of FY26", date(2025, 10, 20), "FY2025-26:Jul-Sep"),
        ("in 2024", date(2025, 3, 1), "2024"),
    ],
)
def test_period_phrasings(phrase: str, published: date, label: str) -> None:
    labels = [p.label for p in find_periods(f"Exports were high {phrase}.", published)]
    assert labels == [label]


def test_release_date_is_not_a_period() -> None:
    assert [p.kind for p in find_periods("The SBP said on January 15, 2025.", None)] == ["date"]


def test_relative_period_without_publication_date_yields_nothing() -> None:
    assert facts("IT exports were $348 million in December.", published=None) == set()


def test_fiscal_year_not_yet_over_is_not_an_annual_actual() -> None:
    assert facts("IT exports in FY25 have so far reached $2.45 billion.", date(2025, 3, 8)) == set()


def test_monthly_figure_needs_monthly_magnitude() -> None:
    assert facts("IT exports were $3.8 billion in December.") == set()


def test_headline_gives_subject_to_next_sentence() -> None:
    text = "Pakistan's IT exports touch new monthly high\nIn December, they rose to $348 million."
    obs = read_figures(text, JAN_2025)
    assert {(o.indicator, o.period, o.value) for o in obs} == {("pk_it_exports_monthly", "2024-12", 348e6)}
    assert obs[0].confidence < 0.9  # the subject was carried over


def test_sentence_splitting_keeps_abbreviations() -> None:
    assert list(split_sentences("Exports rose in Dec. 2024 to $3m. Next one.")) == [
        "Exports rose in Dec. 2024 to $3m.", "Next one."
    ]


# ---- comparisons ----------------------------------------------------------------------------


def test_previous_years_value_maps_to_previous_fiscal_year() -> None:
    text = "IT exports rose to $3.8 billion in FY25 from the previous year's $3.2 billion."
    assert facts(text, date(2025, 7, 20)) == {
        ("pk_it_exports_fy", "FY2024-25", 3.8e9, "USD"),
        ("pk_it_exports_fy", "FY2023-24", 3.2e9, "USD"),
    }


def test_same_month_last_year() -> None:
    text = "IT exports were $348 million in December, compared with $272 million in the same month last year."
    assert ("pk_it_exports_monthly", "2023-12", 272e6, "USD") in facts(text)


def test_unanchored_monthly_comparison_yields_nothing() -> None:
    got = facts("IT exports rose to $320 million in May from $290 million.", date(2025, 6, 16))
    assert got == {("pk_it_exports_monthly", "2025-05", 320e6, "USD")}


def test_change_amount_is_not_a_level() -> None:
    got = facts("IT exports rose by $76 million in December.")
    assert got == set()


# ---- traps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Textile exports rose to $1.52 billion in December.",
        "Pakistan's exports rose to $2.91 billion in December.",
        "Total exports were $2.9 billion in December.",
        "Workers' remittances rose to $3.1 billion in December.",
        "India's IT exports were $200 billion in FY24.",
        "Bangladesh's IT exports reached $1.4 billion in FY24.",
        "Computer services exports were $280 million in December.",
        "IT exports to the United States were $120 million in December.",
        "Pakistan's services exports were $8.4 billion in FY24.",
        "In calendar year 2024, IT exports totalled $3.6 billion.",
        "IT exports have crossed $3 billion.",
    ],
)
def test_not_pakistan_it_exports(sentence: str) -> None:
    assert facts(sentence, date(2025, 8, 1)) == set()


def test_sector_split_within_one_sentence() -> None:
    text = ("Textile exports fell 3% to $1.52 billion in December, "
            "while IT exports rose 28% year-on-year to $348 million.")
    assert facts(text) == {
        ("pk_it_exports_monthly", "2024-12", 348e6, "USD"),
        ("pk_it_exports_monthly_yoy_pct", "2024-12", 28, "percent"),
    }


def test_target_comes_out_only_as_target() -> None:
    text = "The government aims to raise IT exports to $10 billion by FY29."
    assert facts(text) == {("pk_it_exports_target", "FY2028-29", 10e9, "USD")}


@pytest.mark.parametrize(
    "sentence",
    [
        "IT exports are expected to reach $5 billion in the current fiscal year.",
        "IT exports could hit $4.5 billion next fiscal year.",
        "A projection put ICT exports at $4.1 billion for FY26.",
        "The government aims to take IT exports to $15 billion by 2030.",
    ],
)
def test_forecasts_and_undated_targets_yield_nothing(sentence: str) -> None:
    assert facts(sentence) == set()


def test_indicator_filter() -> None:
    text = "IT exports rose 28% year-on-year to $348 million in December."
    got = facts(text, indicators={"pk_it_exports_monthly"})
    assert got == {("pk_it_exports_monthly", "2024-12", 348e6, "USD")}
    assert facts(text, indicators=()) == set()


def test_deduplicates_headline_and_body() -> None:
    text = "IT exports hit $348 million in December\nIT exports were $348 million in December, SBP said."
    obs = read_figures(text, JAN_2025)
    assert len(obs) == 1


# ---- Canada --------------------------------------------------------------------------------


def test_canada_trade_bare_dollar_on_government_page_is_cad() -> None:
    text = ("Canada-Pakistan relations\nIn 2020, Pakistan was Canada's 36th-largest export destination. "
            "Canadian exports to Pakistan totalled $669 million and imports from Pakistan totalled $438 million.\n"
            "Date modified: 2024-03-01")
    obs = {(o.indicator, o.period, o.value, o.unit): o for o in read_figures(text, date(2024, 3, 1))}
    assert set(obs) == {
        ("pk_rank_ca_export_destination", "2020", 36, "rank"),
        ("ca_exports_to_pk", "2020", 669e6, "CAD"),
        ("ca_imports_from_pk", "2020", 438e6, "CAD"),
    }
    assert obs[("ca_exports_to_pk", "2020", 669e6, "CAD")].confidence < 0.7


def test_canada_trade_bare_dollar_outside_a_canadian_page_is_usd() -> None:
    assert facts("Canada's exports to Pakistan were $300 million in 2024.", date(2025, 2, 1)) == {
        ("ca_exports_to_pk", "2024", 300e6, "USD")}


def test_canada_trade_currencies_as_written() -> None:
    text = "Canada's exports to Pakistan were US$220 million in 2024, against C$669 million in 2020."
    got = facts(text, date(2025, 2, 1))
    assert ("ca_exports_to_pk", "2024", 220e6, "USD") in got


def test_pakistan_reported_trade_is_the_mirror_kept_apart() -> None:
    found = read_figures("Pakistan's exports to Canada stood at US$400 million in 2024.", date(2025, 2, 1))
    assert [(o.indicator, o.period, o.value, o.variant) for o in found] == [
        ("ca_imports_from_pk", "2024", 400e6, "reporter=PK")]
    fiscal = read_figures("Exports to Canada fell to $389.164 million in FY24 from $426.575 million in FY23.",
                          date(2024, 8, 1))
    assert {(o.indicator, o.period, o.value) for o in fiscal} == {
        ("ca_imports_from_pk", "FY2023-24", 389.164e6), ("ca_imports_from_pk", "FY2022-23", 426.575e6)}


def test_canada_tech_counts_and_shares() -> None:
    text = ("Canada has about 1.45 million tech workers, equal to 6.8% of the national workforce. "
            "The country is home to roughly 83,000 tech firms. "
            "In Canada, 38% of tech workers are foreign-born.")
    assert facts(text, date(2024, 6, 11)) == {
        ("ca_tech_workers", "2024", 1.45e6, "count"),
        ("ca_tech_workers_share_pct", "2024", 6.8, "percent"),
        ("ca_tech_firms", "2024", 83000, "count"),
        ("ca_tech_foreign_born_pct", "2024", 38, "percent"),
    }


def test_pakistan_counts_ranks_and_diaspora() -> None:
    text = ("Pakistan has more than 600,000 IT professionals. "
            "Operating costs in Pakistan are 70% lower than in North America. "
            "The country runs 250 e-Rozgaar centres and will open 100 more e-Rozgaar centres. "
            "In the Global Innovation Index 2024, Pakistan ranked 22nd in ICT services exports. "
            "There are over 215,000 Canadians of Pakistani origin. "
            "In 2019, Pakistan was Canada's fifth-largest source of permanent residents.")
    assert facts(text, date(2025, 1, 10)) == {
        ("pk_it_professionals", "2025", 600000, "count"),
        ("pk_cost_below_na_pct", "2025", 70, "percent"),
        ("pk_erozgaar_centers", "2025", 250, "count"),
        ("pk_gii_ict_services_exports_rank", "GII-2024", 22, "rank"),
        ("ca_pakistani_origin_population", "stated", 215000, "count"),
        ("pk_rank_ca_pr_source", "2019", 5, "rank"),
    }


def test_qualifier_is_kept() -> None:
    obs = read_figures("There are over 215,000 Canadians of Pakistani origin.", date(2024, 3, 1))
    assert obs[0].meta.get("qualifier") == "over"


# ---- the corpus ------------------------------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location("figures_accuracy", ROOT / "bench" / "figures_accuracy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_corpus_precision_and_recall() -> None:
    bench = _bench()
    articles = bench.load_corpus()
    assert len(articles) >= 40
    result = bench.score(articles)
    assert result.precision >= PRECISION_FLOOR, f"precision {result.precision:.3f}"
    assert result.recall >= RECALL_FLOOR, f"recall {result.recall:.3f}"


def test_diaspora_figure_is_a_standing_figure_without_a_year() -> None:
    found = read_figures("More than 215,000 Canadians have Pakistani origins.", None)
    assert [(o.indicator, o.period, o.value) for o in found] == [("ca_pakistani_origin_population", "stated", 215000)]

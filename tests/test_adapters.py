"""The official-statistics and news adapters: sbp_ebops, comtrade, statcan_cimt, wipo_gii, feed, pdf.

Unit tests read the recorded captures (seeds/recorded/) and the malformed variants in
tests/fixtures/, both written by tests/fixtures/make_captures.py. End-to-end tests serve the same
bytes over a loopback HTTP server and run the real pipeline into a temporary SQLite store.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scrapers import load_all
from scrapers.base import EXTRACTORS, FOLLOWERS, Document, ExtractError, Observation, SourceSpec
from scrapers.feeds import topics_of
from scrapers.sbp import parse_period_label
from scrapers.statcan import flow_of
from tests.conftest import FIXTURES, RECORDED, LoopbackServer, write_config

load_all()

SBP_URL = "https://www.sbp.org.pk/ecodata/dt.xls"
TOT_EXP_URL = "https://www150.statcan.gc.ca/n1/pub/71-607-x/2021004/zip/CIMT-CICM_Tot_Exp_2024.zip"
IMP_URL = "https://www150.statcan.gc.ca/n1/pub/71-607-x/2021004/zip/CIMT-CICM_Imp_2024.zip"
GII_2025_URL = "https://www.wipo.int/edocs/pubdocs/en/wipo-pub-2000-2025-tech1.xlsx"
GII_2024_URL = "https://www.wipo.int/edocs/pubdocs/en/wipo-pub-2000-2024-tech1.xlsx"
TODAY = date(2026, 11, 23)


def body(name: str) -> bytes:
    """A recorded capture, else a test fixture."""
    path = RECORDED / name if (RECORDED / name).exists() else FIXTURES / name
    return path.read_bytes()


def run(kind: str, name: str, url: str = "", indicators: tuple[str, ...] = (), published: date | None = None,
        **params: object) -> list[Observation]:
    spec = SourceSpec("test", kind, url or f"https://example.org/{name}", indicators, params=params)
    return EXTRACTORS[kind](Document(body(name), spec.url, spec, published=published))


def by_key(observations: list[Observation]) -> dict[tuple[str, str, str], Observation]:
    return {(o.indicator, o.period, o.variant): o for o in observations}


# --- sbp_ebops -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "expected"), [
    ("May-26 (P)", ("pk_it_exports_monthly", "2026-05", "P")),
    ("Apr-26 (R)", ("pk_it_exports_monthly", "2026-04", "R")),
    ("Oct-25", ("pk_it_exports_monthly", "2025-10", "")),
    ("Jul-May, FY26 (P)", ("pk_it_exports_fytd", "FY2025-26:Jul-May", "P")),
    ("Jul-Jun, FY25 (R)", ("pk_it_exports_fy", "FY2024-25", "R")),
    ("FY25 (R)", ("pk_it_exports_fy", "FY2024-25", "R")),
    ("Oct-Dec, FY26", None),  # a quarter, not a fiscal year to date
    ("Credit", None),
])
def test_sbp_period_labels(label: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_period_label(label) == expected


def test_sbp_current_release() -> None:
    obs = by_key(run("sbp_ebops", "sbp_dt.xls", SBP_URL))
    october = obs[("pk_it_exports_monthly", "2026-10", "")]
    assert october.value == 412_634_000 and october.unit == "USD"
    assert october.meta["flag"] == "P"
    assert october.meta["components"]["9.2.5"] > 0  # the freelance sub-row rides along
    assert "9. Telecommunications, Computer and information services" in october.evidence
    september = obs[("pk_it_exports_monthly", "2026-09", "")]
    assert (september.value, september.meta["flag"]) == (373_915_000, "R")
    assert "flag" not in obs[("pk_it_exports_monthly", "2025-10", "")].meta  # final, no flag
    assert obs[("pk_it_exports_fytd", "FY2026-27:Jul-Oct", "")].value == 1_563_270_000
    assert obs[("pk_it_exports_fytd", "FY2025-26:Jul-Oct", "")].value == 1_421_880_000
    yoy = obs[("pk_it_exports_monthly_yoy_pct", "2026-10", "")]
    assert (yoy.value, yoy.unit) == (12.31, "percent")
    assert not any(o.indicator == "pk_it_exports_fy" for o in obs.values())  # no Jul-Jun span in October


def test_sbp_previous_release_was_provisional() -> None:
    obs = by_key(run("sbp_ebops", "sbp_dt_2026-10.xls", SBP_URL))
    september = obs[("pk_it_exports_monthly", "2026-09", "")]
    assert (september.value, september.meta["flag"]) == (371_208_000, "P")
    assert ("pk_it_exports_monthly", "2026-10", "") not in obs


def test_sbp_rows_and_columns_found_by_label_not_position() -> None:
    plain = sorted((o.indicator, o.period, o.value) for o in run("sbp_ebops", "sbp_dt.xls"))
    shifted = sorted((o.indicator, o.period, o.value) for o in run("sbp_ebops", "sbp_shifted.xls"))
    assert plain == shifted
    dated = sorted((o.indicator, o.period, o.value) for o in run("sbp_ebops", "sbp_date_labels.xls"))
    assert plain == dated  # a month header typed as an Excel date reads the same


def test_sbp_fiscal_year_closes_in_the_june_release() -> None:
    obs = by_key(run("sbp_ebops", "sbp_june_release.xls"))
    assert obs[("pk_it_exports_fy", "FY2024-25", "")].value == 3_801_234_000
    assert obs[("pk_it_exports_fy", "FY2025-26", "")].meta["flag"] == "P"
    assert obs[("pk_it_exports_fy_yoy_pct", "FY2025-26", "")].value == pytest.approx(16.09, abs=0.01)
    assert obs[("pk_it_exports_monthly_yoy_pct", "2026-06", "")].value == pytest.approx(16.13, abs=0.01)


def test_sbp_keeps_only_the_sources_indicators() -> None:
    obs = run("sbp_ebops", "sbp_dt.xls", indicators=("pk_it_exports_monthly",))
    assert {o.indicator for o in obs} == {"pk_it_exports_monthly"}


@pytest.mark.parametrize(("name", "message"), [
    ("sbp_renamed_sheet.xls", "no sheet named 'EBOPS' (sheets: 'EBOPS_2010')"),
    ("sbp_no_credit.xls", "no 'Credit' sub-header under the period 'Oct-25'"),
    ("sbp_no_headline.xls", "no row labelled '9. Telecommunications, Computer and information services'"),
    ("sbp_corrupt.xls", "not a readable .xls file"),
    ("sbp_xlsx_as_xls.xls", "no sheet named 'EBOPS'"),
    ("comtrade_error.json", "not a readable .xls file"),
])
def test_sbp_shape_changes_are_extract_errors(name: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        run("sbp_ebops", name)


# --- comtrade ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "indicator", "period", "variant", "value"), [
    ("comtrade_124_586_X_2024.json", "ca_exports_to_pk", "2024", "", 318_605_214),
    ("comtrade_124_586_M_2024.json", "ca_imports_from_pk", "2024", "", 410_212_655),
    ("comtrade_124_586_X_2023.json", "ca_exports_to_pk", "2023", "", 297_114_552),
    ("comtrade_124_586_M_2023.json", "ca_imports_from_pk", "2023", "", 398_903_420),
    ("comtrade_586_124_M_2024.json", "ca_exports_to_pk", "2024", "reporter=586", 341_880_077),
])
def test_comtrade_captures(name: str, indicator: str, period: str, variant: str, value: int) -> None:
    [obs] = run("comtrade", name)
    assert (obs.indicator, obs.period, obs.variant, obs.value, obs.unit) == (indicator, period, variant, value, "USD")
    assert obs.meta["mirror"] is variant.startswith("reporter=586")


def test_comtrade_mirror_never_shares_a_variant_with_the_reporter() -> None:
    direct = run("comtrade", "comtrade_124_586_X_2024.json")[0]
    mirror = run("comtrade", "comtrade_586_124_M_2024.json")[0]
    assert (direct.indicator, direct.period) == (mirror.indicator, mirror.period)
    assert direct.variant != mirror.variant


def test_comtrade_empty_answer_is_no_data_not_an_error() -> None:
    assert run("comtrade", "comtrade_empty.json") == []


@pytest.mark.parametrize(("name", "message"), [
    ("comtrade_error.json", "Comtrade API error: period: only one period"),
    ("comtrade_no_data.json", r"no `data` key \(Rate limit is exceeded.\)"),
    ("worldbank_error.json", "not a JSON object"),
    ("sbp_dt.xls", "not JSON"),
])
def test_comtrade_errors(name: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        run("comtrade", name)


def _comtrade(rows: list[dict[str, object]]) -> list[Observation]:
    import json

    spec = SourceSpec("t", "comtrade", "https://example.org/c")
    payload = {"elapsedTime": "0.1 secs", "count": len(rows), "data": rows, "error": ""}
    return EXTRACTORS["comtrade"](Document(json.dumps(payload).encode(), spec.url, spec))


def test_comtrade_breakdown_rows_are_not_totals_and_conflicting_totals_fail() -> None:
    row = {"period": "2024", "reporterCode": 124, "partnerCode": 586, "flowCode": "X", "primaryValue": 5.0,
           "cmdCode": "TOTAL", "partner2Code": 0, "customsCode": "C00", "motCode": 0}
    assert len(_comtrade([row, {**row, "cmdCode": "10", "primaryValue": 1.0}])) == 1
    with pytest.raises(ExtractError, match="two different totals"):
        _comtrade([row, {**row, "primaryValue": 6.0}])
    with pytest.raises(ExtractError, match="lacks reporterCode"):
        _comtrade([{"period": "2024"}])


# --- statcan_cimt --------------------------------------------------------------------------------


def test_statcan_total_exports_and_rank() -> None:
    obs = by_key(run("statcan_cimt", "statcan_tot_exp_2024.zip", TOT_EXP_URL))
    exports = obs[("ca_exports_to_pk", "2024", "")]
    # the archive holds an HS8 detail file and an HS2 summary with the same totals: counted once
    assert (exports.value, exports.unit) == (436_917_502, "CAD")
    assert exports.meta["file"].startswith("ODPFN021")
    rank = obs[("pk_rank_ca_export_destination", "2024", "")]
    assert (rank.value, rank.unit) == (41, "rank")
    assert "ca_pk_trade_total" not in {o.indicator for o in obs.values()}  # one flow: no total


def test_statcan_imports() -> None:
    [imports] = run("statcan_cimt", "statcan_imp_2024.zip", IMP_URL)
    assert (imports.indicator, imports.period, imports.value, imports.unit) == (
        "ca_imports_from_pk", "2024", 562_904_117, "CAD")


def test_statcan_archive_with_both_flows_gives_the_two_way_total() -> None:
    obs = by_key(run("statcan_cimt", "statcan_combined_2024.zip", "https://example.org/cimt_2024.zip"))
    assert obs[("ca_pk_trade_total", "2024", "")].value == 436_917_502 + 562_904_117


def test_statcan_partial_year_is_skipped() -> None:
    assert run("statcan_cimt", "statcan_partial_2026.zip", TOT_EXP_URL.replace("2024", "2026")) == []


@pytest.mark.parametrize(("name", "expected"), [
    ("CIMT-CICM_Tot_Exp_2024.zip", "exports"), ("CIMT-CICM_Imp_2024.zip", "imports"),
    ("CIMT-CICM_Dom_Exp_2024.zip", "domestic_exports"), ("ODPFN022_202412N.csv", "imports"),
    ("ODPFN017_202412N.csv", "exports"), ("trade_2024.csv", None),
])
def test_statcan_flow_from_names(name: str, expected: str | None) -> None:
    assert flow_of(name) == expected


def test_statcan_flow_parameter_when_names_say_nothing() -> None:
    import io
    import zipfile

    csv = "YearMonth/AnnéeMois,HS2,Country/Pays,Value/Valeur\n" + "".join(
        f"2024{m:02d},12,PK,100\n2024{m:02d},12,US,900\n" for m in range(1, 13))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("data.csv", csv)
    spec = SourceSpec("t", "statcan_cimt", "https://example.org/trade.zip")
    doc = Document(out.getvalue(), spec.url, spec)
    with pytest.raises(ExtractError, match='cannot tell exports from imports.*set flow = "exports"'):
        EXTRACTORS["statcan_cimt"](doc)
    spec = SourceSpec("t", "statcan_cimt", spec.url, params={"flow": "imports"})
    [obs] = EXTRACTORS["statcan_cimt"](Document(doc.body, spec.url, spec))
    assert (obs.indicator, obs.value) == ("ca_imports_from_pk", 1200)


@pytest.mark.parametrize(("name", "message"), [
    ("statcan_missing_column.zip", "ODPFN021_202412N.csv lacks Country/Pays"),
    ("statcan_corrupt.zip", "not a readable ZIP archive"),
    ("statcan_no_csv.zip", "no CSV file"),
    ("pseb_report.pdf", "not a readable ZIP archive"),
])
def test_statcan_errors(name: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        run("statcan_cimt", name, TOT_EXP_URL)


# --- wipo_gii ------------------------------------------------------------------------------------


def test_gii_edition_from_the_workbook_title() -> None:
    [obs] = run("wipo_gii", "wipo_gii_2025_data.xlsx", GII_2025_URL)
    assert (obs.indicator, obs.period, obs.value) == ("pk_gii_ict_services_exports_rank", "GII-2025", 19)
    assert obs.unit == "rank"
    assert obs.meta["edition_from"] == "workbook properties"
    assert "ICT services exports" in obs.meta["name"] and obs.meta["num"] == "6.3.3"


def test_gii_edition_from_the_file_name_or_parameter() -> None:
    [obs] = run("wipo_gii", "wipo_gii_2024_data.xlsx", GII_2024_URL)
    assert (obs.period, obs.value, obs.meta["edition_from"]) == ("GII-2024", 22, "file name")
    [obs] = run("wipo_gii", "wipo_gii_2024_data.xlsx", "https://example.org/data.xlsx", edition=2024)
    assert (obs.period, obs.meta["edition_from"]) == ("GII-2024", "parameter")
    with pytest.raises(ExtractError, match="cannot tell the edition.*set edition = YYYY"):
        run("wipo_gii", "wipo_gii_2024_data.xlsx", "https://example.org/data.xlsx")


@pytest.mark.parametrize(("name", "params", "message"), [
    ("gii_renamed_sheet.xlsx", {}, "no sheet named 'Data' \\(sheets: 'Indicators', 'Economies'\\)"),
    ("gii_missing_rank.xlsx", {}, "has no column RANK"),
    ("gii_methodology_changed.xlsx", {}, "no row for PAK whose NAME contains 'ICT services exports'"),
    ("gii_methodology_changed.xlsx", {"num": "6.3.3"}, "indicator 6.3.3 is now 'ICT services imports"),
    ("gii_corrupt.xlsx", {}, "not a readable .xlsx file"),
    ("sbp_dt.xls", {}, "not a readable .xlsx file"),
])
def test_gii_errors(name: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        run("wipo_gii", name, GII_2025_URL, **params)


# --- feed ----------------------------------------------------------------------------------------


def follow(name: str, url: str) -> list:
    spec = SourceSpec("t", "feed", url)
    doc = Document(body(name), url, spec)
    assert EXTRACTORS["feed"](doc) == []  # figures come from the articles, not the teasers
    return FOLLOWERS["feed"](doc)


def test_feed_follows_only_on_topic_entries() -> None:
    [it] = follow("arabnews_pk_rss.xml", "https://www.arabnews.pk/rss.xml")
    assert it.url == "https://www.arabnews.pk/node/2631457/pakistan"
    assert (it.kind, it.once, it.published) == ("html", True, date(2026, 11, 18))
    [it] = follow("dawn_business.xml", "https://www.dawn.com/feeds/business")
    assert it.url.startswith("https://www.dawn.com/news/1956204/")


def test_atom_feed_entries() -> None:
    links = follow("brecorder_business.xml", "https://www.brecorder.com/feeds/business-finance")
    assert [link.url.rsplit("/", 2)[1] for link in links] == ["40391877", "40391245"]  # NFTP, textile
    assert links[0].published == date(2026, 11, 20)
    assert links[0].title == "PITB opens new NFTP cohort for 10,000 freelancers"


@pytest.mark.parametrize(("title", "summary", "on_topic"), [
    ("IT exports climb to $413m", "", True),
    ("Software exports rise", "", True),
    ("ICT services exports up 12pc", "", True),
    ("Canada, Pakistan explore technology partnership", "", True),
    ("PSEB registers 300 firms", "", True),
    ("Freelancers earn more", "", True),
    ("Punjab IT Board launches app", "", True),
    ("Textile exports rise 9pc", "Knitwear led the gains.", False),
    ("Rupee closes flat", "<p>it exports nothing</p>", False),  # lower-case 'it' is a pronoun
    ("Canada wildfires", "Smoke reached Pakistan", False),
])
def test_feed_topics(title: str, summary: str, on_topic: bool) -> None:
    assert bool(topics_of(title, summary)) is on_topic


def test_not_a_feed_is_an_error() -> None:
    with pytest.raises(ExtractError, match="not an RSS or Atom feed"):
        run("feed", "not_a_feed.html")


def test_textile_article_yields_no_it_figures() -> None:
    spec_ind = ("pk_it_exports_monthly", "pk_it_exports_fytd", "pk_it_exports_monthly_yoy_pct")
    assert run("html", "brecorder_40391245.html", indicators=spec_ind) == []


# --- pdf -----------------------------------------------------------------------------------------


def test_pdf_text_goes_to_the_figure_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    import scrapers.pdf

    seen = {}

    def fake(text: str, published: date | None, indicators: object) -> list[Observation]:
        seen.update(text=text, published=published, indicators=indicators)
        return []

    monkeypatch.setattr(scrapers.pdf, "read_figures", fake)
    run("pdf", "pseb_report.pdf", indicators=("pk_it_professionals",))
    assert "over 600,000 IT professionals" in seen["text"]
    assert seen["published"] == date(2025, 1, 20)  # from the PDF's CreationDate when none is given
    assert seen["indicators"] == ("pk_it_professionals",)
    run("pdf", "pseb_report.pdf", published=date(2025, 2, 1))
    assert (seen["published"], seen["indicators"]) == (date(2025, 2, 1), None)


def test_pdf_figures() -> None:
    obs = by_key(run("pdf", "pseb_annual_report.pdf", indicators=("pk_it_professionals", "pk_cost_below_na_pct")))
    assert obs[("pk_it_professionals", "2025", "")].value == 600_000


def test_scanned_pdf_yields_nothing() -> None:
    assert run("pdf", "scanned.pdf") == []


@pytest.mark.parametrize(("name", "message"), [
    ("truncated.pdf", "PDF cannot be read"), ("sbp_dt.xls", "not a PDF document"),
])
def test_pdf_errors(name: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        run("pdf", name)


def test_worldbank_error_body_fixture() -> None:
    with pytest.raises(ExtractError, match="World Bank API error: Invalid value"):
        run("worldbank", "worldbank_error.json")


# --- end to end: loopback HTTP server -> pipeline -> SQLite --------------------------------------


def pipeline(tmp_path: Path, db_path: Path, sources: str):  # type: ignore[no-untyped-def]
    from service.config import load
    from service.pipeline import Pipeline
    from store.queries import Store

    config = load(write_config(tmp_path, sources + "\n[settings]\nrespect_robots = true\nretries = 0\n"))
    store = Store(db_path)
    return config, store, Pipeline(config, store, today=lambda: TODAY)


def current(store, indicator: str, period: str) -> list:  # type: ignore[no-untyped-def]
    return [o for o in store.current_observations(indicator, period) if o.status == "ok"]


def test_e2e_sbp_release_then_revision(server: LoopbackServer, tmp_path: Path, db_path: Path) -> None:
    xls = "application/vnd.ms-excel"
    url = server.add("/ecodata/dt.xls", body("sbp_dt_2026-10.xls"), content_type=xls)
    config, store, pipe = pipeline(tmp_path, db_path, f'[[sources]]\nid = "sbp_ebops"\nurl = "{url}"\nmirrors = []\n')
    [report] = pipe.refresh(config.only(["sbp_ebops"])).sources
    assert report.ok and report.observations >= 5, report.error
    assert current(store, "pk_it_exports_monthly", "2026-09")[0].value == 371_208_000

    [again] = pipe.refresh(config.only(["sbp_ebops"])).sources
    assert (again.ok, again.unchanged, again.observations) == (True, 1, 0)

    server.add("/ecodata/dt.xls", body("sbp_dt.xls"), content_type=xls)  # the next month's release
    [report] = pipe.refresh(config.only(["sbp_ebops"])).sources
    assert report.ok, report.error
    [september] = current(store, "pk_it_exports_monthly", "2026-09")
    assert september.value == 373_915_000
    kinds = {(e["kind"], e["period"]) for e in store.events() if e["indicator"] == "pk_it_exports_monthly"}
    assert ("revision", "2026-09") in kinds
    assert ("new_period", "2026-10") in kinds and ("record", "2026-10") in kinds


def test_e2e_feed_follows_articles_once(server: LoopbackServer, tmp_path: Path, db_path: Path) -> None:
    base = server.url("")
    feed = body("dawn_business.xml").replace(b"https://www.dawn.com", base.encode())
    url = server.add("/feeds/business", feed, content_type="application/rss+xml")
    article = "/news/1956204/it-exports-climb-to-all-time-high-of-413m-in-october"
    server.add(article, body("dawn_1956204.html"))
    config, store, pipe = pipeline(tmp_path, db_path, f'[[sources]]\nid = "dawn_business"\nurl = "{url}"\n')
    [report] = pipe.refresh(config.only(["dawn_business"])).sources
    assert report.ok, report.error
    assert report.documents == 2  # the feed and its one on-topic article
    assert current(store, "pk_it_exports_monthly", "2026-10")[0].value == 413_000_000

    [again] = pipe.refresh(config.only(["dawn_business"])).sources
    assert again.ok and again.unchanged == 1 and again.documents == 1
    assert sum(1 for path, _ in server.requests if path == article) == 1


def test_e2e_comtrade_all_views(server: LoopbackServer, tmp_path: Path, db_path: Path) -> None:
    names = ["comtrade_124_586_X_2024.json", "comtrade_124_586_M_2024.json", "comtrade_124_586_X_2023.json",
             "comtrade_124_586_M_2023.json", "comtrade_586_124_M_2024.json"]
    urls = [server.add(f"/preview/{i}", body(n), content_type="application/json") for i, n in enumerate(names)]
    also = ", ".join(f'"{u}"' for u in urls[1:])
    config, store, pipe = pipeline(tmp_path, db_path,
                                   f'[[sources]]\nid = "comtrade_ca_pk"\nurl = "{urls[0]}"\nalso = [{also}]\n')
    [report] = pipe.refresh(config.only(["comtrade_ca_pk"])).sources
    assert report.ok and report.observations == 5, report.error
    variants = {o.variant: o.value for o in current(store, "ca_exports_to_pk", "2024")}
    assert variants == {"": 318_605_214, "reporter=586": 341_880_077}
    [again] = pipe.refresh(config.only(["comtrade_ca_pk"])).sources
    assert again.unchanged == 5


@pytest.mark.parametrize(("source", "files", "indicator", "period", "value"), [
    ("statcan_cimt", [("/zip/CIMT-CICM_Tot_Exp_2024.zip", "statcan_tot_exp_2024.zip"),
                      ("/zip/CIMT-CICM_Imp_2024.zip", "statcan_imp_2024.zip")],
     "ca_imports_from_pk", "2024", 562_904_117),
    ("wipo_gii", [("/pubdocs/wipo-pub-2000-2025-tech1.xlsx", "wipo_gii_2025_data.xlsx"),
                  ("/pubdocs/wipo-pub-2000-2024-tech1.xlsx", "wipo_gii_2024_data.xlsx")],
     "pk_gii_ict_services_exports_rank", "GII-2025", 19),
])
def test_e2e_binary_sources(server: LoopbackServer, tmp_path: Path, db_path: Path, source: str,
                            files: list[tuple[str, str]], indicator: str, period: str, value: float) -> None:
    urls = [server.add(path, body(name), content_type="application/octet-stream") for path, name in files]
    config, store, pipe = pipeline(tmp_path, db_path,
                                   f'[[sources]]\nid = "{source}"\nurl = "{urls[0]}"\nalso = ["{urls[1]}"]\n')
    [report] = pipe.refresh(config.only([source])).sources
    assert report.ok and report.observations >= 2, report.error
    assert current(store, indicator, period)[0].value == value
    [again] = pipe.refresh(config.only([source])).sources
    assert (again.unchanged, again.observations) == (2, 0)


def test_e2e_layout_change_is_reported(server: LoopbackServer, tmp_path: Path, db_path: Path) -> None:
    url = server.add("/ecodata/dt.xls", body("sbp_renamed_sheet.xls"), content_type="application/vnd.ms-excel")
    config, _, pipe = pipeline(tmp_path, db_path, f'[[sources]]\nid = "sbp_ebops"\nurl = "{url}"\nmirrors = []\n')
    [report] = pipe.refresh(config.only(["sbp_ebops"])).sources
    assert not report.ok and "no sheet named 'EBOPS'" in (report.error or "")


@pytest.mark.parametrize(("kind", "name"), [
    ("sbp_ebops", "sbp_dt.xls"), ("statcan_cimt", "statcan_tot_exp_2024.zip"), ("wipo_gii", "wipo_gii_2025_data.xlsx"),
    ("pdf", "pseb_annual_report.pdf"), ("comtrade", "comtrade_124_586_X_2024.json"), ("feed", "brecorder_business.xml"),
])
def test_damaged_documents_raise_extract_error_only(kind: str, name: str) -> None:
    """Truncated or garbled bytes: an ExtractError (or a readable result), never another exception."""
    import random

    rng = random.Random(kind)
    data = body(name)
    url = TOT_EXP_URL if kind == "statcan_cimt" else GII_2025_URL
    spec = SourceSpec("t", kind, url)
    for i in range(40):
        damaged = bytearray(data)
        if i % 2:
            del damaged[rng.randrange(len(damaged)):]
        else:
            for _ in range(rng.randrange(1, 12)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        doc = Document(bytes(damaged), url, spec)
        for fn in (EXTRACTORS[kind], FOLLOWERS.get(kind)):
            if fn is None:
                continue
            try:
                fn(doc)
            except ExtractError:
                pass


# --- charsets: the HTTP header, then the document, then detection --------------------------------

NBSP_ARTICLE = ("<html><head><title>IT exports</title></head><body><article><p>Pakistan's IT exports rose to "
                "$348\u00a0million in December 2024, State Bank of Pakistan data showed.</p></article></body></html>")


def html_doc(data: bytes, content_type: str = "") -> Document:
    spec = SourceSpec("test", "html", "https://example.org/a")
    return Document(data, "https://example.org/a", spec, content_type, date(2025, 1, 17))


def monthly(observations: list[Observation]) -> list[tuple[str, float]]:
    return [(o.period, o.value) for o in observations if o.indicator == "pk_it_exports_monthly"]


def test_a_charset_given_only_in_the_http_header_is_used():
    data = NBSP_ARTICLE.encode("utf-8")
    found = EXTRACTORS["html"](html_doc(data, "text/html; charset=UTF-8"))
    assert monthly(found) == [("2024-12", 348e6)]
    assert all("\u00c2" not in o.evidence for o in found)  # no mojibake: Â of a UTF-8 NBSP read as Latin-1


@pytest.mark.parametrize(("data", "content_type"), [
    (NBSP_ARTICLE.encode("utf-8"), "text/html"),  # no charset anywhere: detected as UTF-8
    (NBSP_ARTICLE.encode("cp1252"), "text/html"),  # no charset, not UTF-8: Windows-1252
    (NBSP_ARTICLE.replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252"), ""),
    (NBSP_ARTICLE.encode("cp1252"), "text/html; charset=iso-8859-1"),
    (NBSP_ARTICLE.encode("utf-8"), "text/html; charset=iso-8859-1"),  # a wrong label: the bytes are UTF-8
    (b"\xef\xbb\xbf" + NBSP_ARTICLE.encode("utf-8"), "text/html; charset=iso-8859-1"),  # a BOM wins
    (NBSP_ARTICLE.encode("utf-16"), ""),
    (b'<?xml version="1.0" encoding="utf-8"?>' + NBSP_ARTICLE.encode(), "application/xhtml+xml"),
    (NBSP_ARTICLE.encode("utf-8").replace(b"Pakistan's", b"Pakistan\xff\xfe's", 1), "text/html; charset=utf-8"),
])
def test_a_figure_beside_a_non_breaking_space_survives_every_charset_path(data, content_type):
    assert monthly(EXTRACTORS["html"](html_doc(data, content_type))) == [("2024-12", 348e6)]


def test_an_unknown_charset_falls_back_to_detection():
    data = NBSP_ARTICLE.encode("utf-8")
    assert monthly(EXTRACTORS["html"](html_doc(data, "text/html; charset=x-no-such-thing"))) == [("2024-12", 348e6)]


# --- SBP as the real files behave -----------------------------------------------------------------


def test_sbp_a_period_header_stored_as_a_bare_excel_serial_is_read_as_its_month() -> None:
    plain = sorted((o.indicator, o.period, o.value) for o in run("sbp_ebops", "sbp_dt.xls"))
    serial = sorted((o.indicator, o.period, o.value) for o in run("sbp_ebops", "sbp_serial_labels.xls"))
    assert ("pk_it_exports_monthly", "2025-10", plain[[p[1] for p in plain].index("2025-10")][2]) in serial
    assert serial == plain


def test_sbp_a_200_that_is_not_a_workbook_falls_through_to_the_mirror(tmp_path):
    """SBP's `www` host sometimes answers 200 with an HTML page where dt.xls was: the `archive`
    mirror is tried, as after an HTTP failure, and the source is not failed for it."""
    from service.config import load
    from service.pipeline import Pipeline
    from store.queries import Store

    srv = LoopbackServer()
    try:
        www = srv.add("/www/ecodata/dt.xls", "<!DOCTYPE html><html><body><p>Page moved</p></body></html>")
        archive = srv.add("/archive/ecodata/dt.xls", body("sbp_dt.xls"), content_type="application/vnd.ms-excel")
        config = load(write_config(tmp_path, f'[[sources]]\nid = "sbp_ebops"\nurl = "{www}"\n'
                                             f'mirrors = ["{archive}"]\n'), env={})
        store = Store(tmp_path / "bw.db")
        report = Pipeline(config, store, today=lambda: TODAY).refresh(config.only(["sbp_ebops"]))
        [source] = report.sources
        assert source.ok and source.observations > 0, source.error
        rows = store.db.execute("SELECT url, error FROM fetches ORDER BY id").fetchall()
        assert [r[0] for r in rows] == [www, archive] and "not a readable" in rows[0][1] and rows[1][1] is None
        store.close()
    finally:
        srv.close()


def test_statcan_rank_counts_countries_only() -> None:
    """CIMT files carry codes that are no country (ZZ unknown, ZX, PC) and Canada itself; a rank
    among destinations ranks countries, so those must not push Pakistan down."""
    from tests.fixtures.make_captures import EXP_HS2, _csv, _zip, cimt_rows

    totals = {"US": 900, "CN": 800, "ZZ": 700, "ZX": 650, "PC": 600, "CA": 550, "PK": 500, "IN": 400}
    summary, _ = cimt_rows("exports", totals, 2024)
    data = _zip({"ODPFN021_202412N.csv": _csv(EXP_HS2, summary)})
    spec = SourceSpec("statcan_cimt", "statcan_cimt", TOT_EXP_URL)
    obs = {o.indicator: o for o in EXTRACTORS["statcan_cimt"](Document(data, TOT_EXP_URL, spec))}
    rank = obs["pk_rank_ca_export_destination"]
    assert rank.value == 3 and rank.meta["destinations"] == 4


def test_gii_a_configured_num_matches_the_workbooks_prefixed_number() -> None:
    """The data workbook writes `OUT.6.3.3` where the report (and a configured num) says 6.3.3."""
    from tests.fixtures.make_captures import gii_workbook

    # a second indicator whose name also starts "ICT services exports": only the number tells them apart
    data = gii_workbook(2025, num_prefix="OUT.", rename={"7.3.4": "ICT services exports growth, %"})
    for num in ("6.3.3", "OUT.6.3.3", " 6.3.3 "):
        spec = SourceSpec("wipo_gii", "wipo_gii", GII_2025_URL, params={"num": num})
        [obs] = EXTRACTORS["wipo_gii"](Document(data, GII_2025_URL, spec))
        assert (obs.period, obs.value, obs.meta["num"]) == ("GII-2025", 19, "OUT.6.3.3")
    changed = gii_workbook(2025, num_prefix="OUT.", rename={"6.3.3": "ICT services imports, % total trade"})
    spec = SourceSpec("wipo_gii", "wipo_gii", GII_2025_URL, params={"num": "6.3.3"})
    with pytest.raises(ExtractError, match="methodology changed"):
        EXTRACTORS["wipo_gii"](Document(changed, GII_2025_URL, spec))


# --- World Bank: a malformed body is a clean source error, the source's other URLs still run ----


@pytest.mark.parametrize("hostile", [
    b"[" * 200_000 + b"]" * 200_000,
    b'[{"message": 5}]',
    b'{"message": 5}',
    b'[{"message": [5, {"key": 1}]}]',
    b'[{"page": 1}, [{"indicator": "x", "country": "y", "countryiso3code": "PAK", "date": 2024, "value": 1}]]',
    b'[{"page": 1}, [{"indicator": {"id": "BX.GSR.CCIS.CD"}, "country": 7, "countryiso3code": "PAK", '
    b'"date": "2024", "value": "lots"}]]',
])
def test_a_malformed_world_bank_body_is_a_clean_source_error(tmp_path, hostile):
    import json

    from service.config import load
    from service.pipeline import Pipeline
    from store.queries import Store

    good = [{"page": 1, "pages": 1, "per_page": 50, "total": 1, "lastupdated": "2026-10-28"},
            [{"indicator": {"id": "BX.GSR.CCIS.CD", "value": "ICT service exports"},
              "country": {"id": "PK", "value": "Pakistan"}, "countryiso3code": "PAK", "date": "2024",
              "value": 4.32e9}]]
    srv = LoopbackServer()
    try:
        bad_url = srv.add("/bad", hostile, content_type="application/json")
        good_url = srv.add("/good", json.dumps(good), content_type="application/json")
        config = load(write_config(tmp_path, f'[[sources]]\nid = "wb"\nurl = "{bad_url}"\nkind = "worldbank"\n'
                                             f'role = "official"\nalso = ["{good_url}"]\n'), env={})
        store = Store(tmp_path / "bw.db")
        [source] = Pipeline(config, store, today=lambda: TODAY).refresh(config.only(["wb"])).sources
        assert not source.ok and "internal error" not in source.error and "Traceback" not in source.error
        assert "layout changed or unreadable" in source.error and bad_url in source.error
        values = store.db.execute("SELECT indicator, period, value FROM observations").fetchall()
        assert values == [("pk_ict_service_exports_cy", "2024", 4.32e9)]  # the other URL still ran
        store.close()
    finally:
        srv.close()

"""Counts, ranks and shares with a fixed phrasing each (tech workers, e-Rozgaar centres, GII rank,
Canada's tech shares), read with one pattern per phrasing.
"""

from __future__ import annotations

import re

from scrapers.base import Observation
from scrapers.figures.document import (
    COUNTRY_RE,
    Sentence,
    confidence,
    country_of,
    emit,
    evidence,
    modality_of,
    year_period,
)
from scrapers.figures.quantities import COUNT, ORDINAL, Amount, parse_number, parse_ordinal
from scrapers.figures.table import MAGNITUDE, PENALTY
from scrapers.figures.topics import ANAPHOR_RE, FOREIGN_BEFORE_RE

PK_PROFESSIONALS_RES = (
    re.compile(
        rf"{COUNT}\s+(?:skilled\s+|qualified\s+)?(?:IT|tech(?:nology)?|software|ICT)\s+"
        r"(?:professionals|workers|experts|specialists|workforce)\b"
    ),
    re.compile(
        rf"(?:IT|tech(?:nology)?)\s+(?:workforce|talent\s+pool)\s*(?:of|stands\s+at|at|is|\(|,)?\s*"
        rf"{COUNT}(?:\s+(?:professionals|people|workers))?"
    ),
)
CA_TECH_WORKERS_RES = (
    re.compile(rf"{COUNT}\s+(?:tech(?:nology)?|ICT|digital)\s+(?:workers|professionals|employees)\b"),
    re.compile(
        r"tech(?:nology)?\s+workforce\s+(?:of|reached|stood\s+at|totall?ed|numbered|grew\s+to|is|was)\s+"
        rf"{COUNT}(?:\s+(?:workers|people|professionals))?"
    ),
)
CA_TECH_FIRMS_RE = re.compile(
    rf"{COUNT}\s+(?:tech(?:nology)?\s+|ICT\s+)?(?:firms|companies|businesses|employers)\b"
)
EROZGAAR_RE = re.compile(rf"{COUNT}\s+(?:new\s+)?e-?\s?Rozgaa?r\s+(?:centres?|centers?|labs?|hubs?)", re.I)
DIASPORA_RES = (
    re.compile(
        rf"{COUNT}\s+(?:Canadians\s+of\s+Pakistani\s+(?:origin|descent|heritage|ancestry)|"
        r"Pakistani[- ]Canadians|people\s+of\s+Pakistani\s+(?:origin|descent))"
    ),
    re.compile(rf"Pakistani[- ]Canadian\s+(?:community|diaspora)\s+of\s+{COUNT}"),
    re.compile(rf"{COUNT}\s+Canadians\s+(?:have|claim|report)\s+Pakistani\s+(?:origins?|roots|heritage|ancestry)"),
)
PCT = r"(?P<p>\d+(?:\.\d+)?)\s*(?:%|pc\b|per\s?cent\b|percent\b)"
COST_RE = re.compile(
    rf"{PCT}\s+(?:lower|below|cheaper|less)\s+(?:than\s+)?(?:in\s+|those\s+(?:in|of)\s+|the\s+)?"
    r"(?:North\s+America|North\s+American|the\s+US|US|U\.S\.|Canada|Canadian)",
    re.I,
)
CA_SHARE_WORKFORCE_RE = re.compile(
    rf"{PCT}\s+of\s+(?:the\s+|Canada(?:'s|’s)\s+|the\s+country(?:'s|’s)\s+|all\s+)?(?:total\s+|national\s+)?"
    r"(?:workforce|labour\s+force|labor\s+force|employment|workers|jobs)\b",
    re.I,
)
CA_SHARE_GDP_RE = re.compile(
    rf"{PCT}\s+of\s+(?:Canada(?:'s|’s)\s+|the\s+country(?:'s|’s)\s+|national\s+|the\s+)?"
    r"(?:GDP|gross\s+domestic\s+product|economy)\b",
    re.I,
)
FOREIGN_BORN_RES = (
    re.compile(
        rf"{PCT}\s+of\s+(?:Canada(?:'s|’s)\s+|Canadian\s+|the\s+|all\s+)?tech(?:nology)?\s+"
        r"(?:workers|workforce|professionals|employees)\s+(?:in\s+Canada\s+)?(?:are|were|is|was)\s+"
        r"(?:foreign[- ]born|born\s+(?:outside|abroad)|immigrants)",
        re.I,
    ),
    re.compile(
        rf"(?:foreign[- ]born|immigrant)\s+(?:workers|professionals|talent)\s+(?:make\s+up|account\s+for|"
        rf"represent|hold)\s+{PCT}\s+of\s+(?:the\s+|Canada(?:'s|’s)\s+)?tech",
        re.I,
    ),
)
RANK_ICT_RE = re.compile(
    rf"(?:\brank(?:s|ed|ing)?\s+(?:at\s+|as\s+)?(?:the\s+)?)?\b{ORDINAL}(?:\s+place)?"
    r"(?:\s+(?:worldwide|globally|in\s+the\s+world|position|place|out\s+of\s+\d+\s+\w+))?"
    r"\s+(?:in|for|on)\s+(?:the\s+)?ICT\s+services?\s+exports?",
    re.I,
)
RANK_EXPORT_DEST_RE = re.compile(
    rf"\b{ORDINAL}[- ]largest\s+(?:merchandise\s+|goods\s+)?export\s+(?:destination|market)", re.I
)
RANK_PR_SOURCE_RE = re.compile(
    rf"\b{ORDINAL}[- ]largest\s+source\s+(?:country\s+)?(?:of|for)\s+(?:new\s+)?"
    r"(?:permanent\s+residents|immigrants|PRs)",
    re.I,
)


def _count(m: re.Match[str]) -> float:
    scale = m.group("s")
    value = parse_number(m.group("n"))
    if scale:
        value *= {"million": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}[scale.lower()]
    return value


def _qualifier(m: re.Match[str]) -> str:
    q = re.match(r"\s*(over|more\s+than|about|around|nearly|almost|approximately|roughly|some|"
                 r"an\s+estimated|close\s+to|at\s+least|~|≈)", m.group(0), re.I)
    return q.group(1).lower() if q else ""


def _emit_simple(s: Sentence, indicator: str, value: float, unit: str, m: re.Match[str],
                 period: str | None, cost: float, qualifier: str = "") -> None:
    if period is None:
        return
    meta = {"qualifier": qualifier} if qualifier else {}
    emit(s.doc, Observation(indicator, period, value, unit, evidence(s.text, m.start(), m.end()),
                             confidence(cost), meta=meta))


def _sentence_country(s: Sentence, pos: int) -> str | None:
    """Country named nearest before `pos` in the sentence, else the previous sentence's."""
    named = [m for m in COUNTRY_RE.finditer(s.text[:pos])]
    if named:
        return "PK" if named[-1].group("c").startswith("Pakistan") else "CA"
    after = country_of(s.text[pos:])
    return after or s.context.country


PLANNED_RE = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:(?:to|will)\s+be|are\s+to\s+be|planned|proposed)\b", re.I)
PLAN_BEFORE_RE = re.compile(
    r"\b(?:announc\w*|establishment\s+of|to\s+(?:open|establish|set\s+up|launch|build)|will|plans?\s+to|"
    r"approv\w+)\b[^.]{0,50}$",
    re.I,
)
CITY_RE = re.compile(
    r"\b(?:Toronto|Vancouver|Montr[eé]al|Ottawa|Waterloo|Calgary|Edmonton|Halifax|Winnipeg|Quebec\s+City|GTA|"
    r"Kitchener|Victoria|Saskatoon|Regina)\b"
)


def _planned(s: Sentence, m: re.Match[str]) -> bool:
    """'250 e-Rozgar centres to be established', 'announced the establishment of 250', '40 new
    centres': a plan or an addition, not a count."""
    return bool(PLANNED_RE.match(s.text[m.end() : m.end() + 40])
                or PLAN_BEFORE_RE.search(s.text[max(0, m.start() - 60) : m.start()])
                or re.search(r"\bnew\b", m.group(0), re.I))


def _a_city(s: Sentence, pos: int) -> bool:
    """'Toronto is home to 228,500 tech workers': a city's figure, not Canada's."""
    return bool(CITY_RE.search(s.text[:pos])) and "Canada" not in s.text[:pos]


def read_counts(s: Sentence) -> None:
    readers: list[tuple[re.Pattern[str], str, str | None]] = [
        *((p, "pk_it_professionals", "PK") for p in PK_PROFESSIONALS_RES),
        *((p, "ca_tech_workers", "CA") for p in CA_TECH_WORKERS_RES),
        (CA_TECH_FIRMS_RE, "ca_tech_firms", "CA"),
        (EROZGAAR_RE, "pk_erozgaar_centers", None),
        *((p, "ca_pakistani_origin_population", None) for p in DIASPORA_RES),
    ]
    for pattern, indicator, country in readers:
        for m in pattern.finditer(s.text):
            if modality_of(s, Amount(0, None, m.start(), m.end())) != "actual" or _planned(s, m):
                continue
            if country == "CA" and _a_city(s, m.start()):
                continue
            if s.trap(m.start(), m.end()) not in (None, "threshold"):  # "over 600,000": a count's bound is its value
                continue
            if re.search(r"\bmore\s+$|\badditional\s+$|\bnew\s+$", s.text[max(0, m.start() - 12) : m.start()]):
                continue
            if re.search(r"\d\s+(?:more|additional)\b", m.group(0)):
                continue
            if country and _sentence_country(s, m.start()) not in (country, None):
                continue
            if country == "CA" and _sentence_country(s, m.start()) is None:
                continue
            if indicator == "ca_tech_firms" and not re.search(r"\btech|ICT", s.text, re.I):
                continue
            value = _count(m)
            lo, hi = MAGNITUDE.get(indicator, (0, float("inf")))
            if not lo <= value <= hi:
                continue
            if indicator == "ca_pakistani_origin_population":
                year, cost = "stated", 0.0  # a standing figure, as the page states it, with no year of its own
            else:
                year, cost = year_period(s, m.start(), fallback_to_published=True)
            _emit_simple(s, indicator, value, "count", m, year, cost, _qualifier(m))


def read_ranks(s: Sentence) -> None:
    for m in RANK_ICT_RE.finditer(s.text):
        if not s.doc.gii or _sentence_country(s, m.start()) not in ("PK", None):
            continue
        if FOREIGN_BEFORE_RE.search(s.text[max(0, m.start() - 40) : m.start()]):
            continue
        gii = [p for p in s.periods if p.kind == "gii"]
        if gii:
            period, cost = gii[0].label, 0.0
        elif s.doc.gii_edition:
            period, cost = s.doc.gii_edition, PENALTY["edition_of_document"]
        elif s.published is not None:
            period, cost = f"GII-{s.published.year}", PENALTY["year_of_publication"]
        else:
            continue
        _emit_simple(s, "pk_gii_ict_services_exports_rank", parse_ordinal(m.group("o")), "rank", m, period, cost)
    for pattern, indicator in ((RANK_EXPORT_DEST_RE, "pk_rank_ca_export_destination"),
                               (RANK_PR_SOURCE_RE, "pk_rank_ca_pr_source")):
        for m in pattern.finditer(s.text):
            before = s.text[: m.start()]
            if "Pakistan" not in before or "Canad" not in s.text:
                continue
            last_country = re.findall(r"\b(?:Pakistan|India|China|Philippines|Bangladesh|[A-Z][a-z]+stan)\b", before)
            if last_country and last_country[0] != "Pakistan":
                continue
            year, cost = year_period(s, m.start(), fallback_to_published=False)
            _emit_simple(s, indicator, parse_ordinal(m.group("o")), "rank", m, year, cost)


def read_shares(s: Sentence) -> None:
    """Percent shares with a fixed phrasing: cost advantage, Canada's tech shares."""
    for m in COST_RE.finditer(s.text):
        year, cost = year_period(s, m.start(), fallback_to_published=True)
        if _sentence_country(s, m.start()) in ("PK", None) or "Pakistan" in s.text:
            _emit_simple(s, "pk_cost_below_na_pct", float(m.group("p")), "percent", m, year, cost)
    tech = re.search(r"\btech(?:nology)?\b|\bICT\b", s.text, re.I) or (
        s.context.family is not None and ANAPHOR_RE.search(s.text)
    )
    canada = _sentence_country(s, len(s.text)) == "CA" or "Canad" in s.text
    if not tech or not canada:
        return
    foreign_born = any(p.search(s.text) for p in FOREIGN_BORN_RES)
    patterns = [(CA_SHARE_WORKFORCE_RE, "ca_tech_workers_share_pct"),
                (CA_SHARE_GDP_RE, "ca_tech_gdp_share_pct"),
                *((p, "ca_tech_foreign_born_pct") for p in FOREIGN_BORN_RES)]
    for pattern, indicator in patterns:
        for m in pattern.finditer(s.text):
            if indicator == "ca_tech_workers_share_pct" and foreign_born:
                continue
            if _sentence_country(s, m.start()) != "CA" or _a_city(s, m.start()):
                continue
            if re.search(r"\b(?:female|women|male|men)\b", s.text[m.end() : m.end() + 30], re.I):
                continue
            if modality_of(s, Amount(0, None, m.start(), m.end())) != "actual":
                continue
            year, cost = year_period(s, m.start(), fallback_to_published=True)
            _emit_simple(s, indicator, float(m.group("p")), "percent", m, year, cost)


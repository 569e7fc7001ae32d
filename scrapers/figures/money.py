"""Reading rules for money amounts: Pakistan's IT exports (month, fiscal year, year to date,
comparison values), the government target, Canada-Pakistan trade and Canada's tech sector.
"""

from __future__ import annotations

import re

from scrapers.base import Observation
from scrapers.figures.cues import PREV_MONTH_RE, PREV_YEAR_RE, SAME_SPAN_RE
from scrapers.figures.document import (
    ADJACENT_PERIOD_RE,
    Sentence,
    confidence,
    distance,
    emit,
    evidence,
    is_past,
    modality_of,
    role_of,
    year_period,
)
from scrapers.figures.periods import Period, shift_month_back, shift_year_back
from scrapers.figures.quantities import Amount
from scrapers.figures.table import IT_EXPORTS_BY_PERIOD, MAGNITUDE, PENALTY
from scrapers.figures.topics import Topic

KINDS = tuple(IT_EXPORTS_BY_PERIOD)
COMPARED_RE = re.compile(r"\b(?:compared|comparison|against|versus)\b", re.I)


def read_amounts(s: Sentence) -> list[str]:
    families = []
    for amount in s.amounts:
        topic = s.topic(amount.start, amount.end)
        if topic is None:
            continue
        families.append(topic.family)
        if topic.family == "it" and not s.doc.about_another_country:
            if amount.currency is None and topic.inherited:
                continue  # "120 million as of August": with no '$' and no subject of its own, not money
            _read_it_amount(s, amount, topic)
        elif topic.family in ("ca_exports_to_pk", "ca_imports_from_pk", "ca_pk_trade"):
            _read_trade_amount(s, amount, topic)
        elif topic.family in ("ca_ict", "ca_tech_value", "ca_tech_wage"):
            _read_canada_amount(s, amount, topic)
    return families






def _usd(s: Sentence, amount: Amount) -> tuple[bool, float]:
    """Whether an amount is in US dollars for a Pakistan indicator, and the confidence cost.

    A bare '$' in Pakistani reporting is the US dollar. An amount without any marker ("348mn")
    is taken as dollars only when the text quotes no rupee amount at all and nothing is counted by
    it ("120 million subscriptions" is a count, not money).
    """
    if amount.currency in ("USD", "$"):
        return True, 0.0
    if (amount.currency is None and not s.doc.has_pkr and amount.value >= 1e6
            and BARE_AMOUNT_END_RE.match(s.text[amount.end : amount.end + 12])):
        return True, PENALTY["currency_assumed"]
    return False, 0.0


# What may follow an amount with no currency marker for it to be money: an end, a preposition.
BARE_AMOUNT_END_RE = re.compile(r"\s*(?:$|[,.;:)]|in\b|during\b|for\b|from\b|against\b|compared\b|as\b|and\b|to\b|"
                                r"last\b|this\b|up\b|down\b|a\s+year\b|year-on-year\b)", re.I)


def _read_it_amount(s: Sentence, amount: Amount, topic: Topic) -> None:
    is_usd, cost = _usd(s, amount)
    if not is_usd:
        return
    modality = modality_of(s, amount)
    role = role_of(s, amount)
    if role == "change" or s.trap(amount.start, amount.end):
        return
    if modality == "target":
        _read_target(s, amount, topic, cost)
        return
    if modality == "forecast":
        return
    if _coordinated_without_own_period(s, amount):
        return
    period, inherited = s.period(amount.start, amount.end, KINDS)
    penalties = [cost, PENALTY["topic_inherited"] if topic.inherited else 0.0,
                 PENALTY["period_inherited"] if inherited else 0.0]
    if role == "comparison":
        period = _comparison_period(s, amount)
        penalties.append(PENALTY["comparison"])
        if period is not None:
            s.compared_periods.append(period)
    if period is None:
        return
    indicator = IT_EXPORTS_BY_PERIOD.get(period.kind)
    if indicator is None or not _in_range(indicator, amount.value):
        return
    if not is_past(period, s.published):
        return
    if role == "main":
        s.value_periods[amount.start] = period
    penalties.append(PENALTY["relative_period"] if period.relative else 0.0)
    emit(s.doc, Observation(indicator, period.label, amount.value, "USD",
                             evidence(s.text, amount.start, amount.end), confidence(*penalties),
                             meta=_meta(amount, cost)))


COORDINATED_AFTER_RE = re.compile(r"^\s*(?:,|and|&)\s*(?:US\s*)?\$")
COORDINATED_BEFORE_RE = re.compile(
    r"\$\s*[\d.,]+\s*(?:million|billion|bn|mn|m|b)?\s*(?:,|and|&)\s*(?:US\s*)?\$?\s*$", re.I)


def _coordinated_without_own_period(s: Sentence, amount: Amount) -> bool:
    """'stood at $1.19 billion and $1.06 billion (respectively)' for 'the last months of FY2018 and
    2019': the pairing is the reader's guess, so neither is read; '$655m in 2016-17, $834m in
    2017-18' names each value's period and is fine."""
    listed = COORDINATED_AFTER_RE.match(s.text[amount.end : amount.end + 12]) or COORDINATED_BEFORE_RE.search(
        s.text[max(0, amount.start - 30) : amount.start])
    if not listed:
        return False
    return not any(0 <= p.start - amount.end <= 40 and ADJACENT_PERIOD_RE.fullmatch(s.text[amount.end : p.start])
                   for p in s.periods)


def _meta(amount: Amount, currency_cost: float) -> dict[str, object]:
    meta: dict[str, object] = {}
    if amount.qualifier:
        meta["qualifier"] = amount.qualifier
    if currency_cost:
        meta["currency_assumed"] = True
    return meta


def _in_range(indicator: str, value: float) -> bool:
    lo, hi = MAGNITUDE.get(indicator, (float("-inf"), float("inf")))
    return lo <= value <= hi




def _comparison_period(s: Sentence, amount: Amount) -> Period | None:
    """Period of an earlier value quoted for comparison, or None when it cannot be told.

    Its own period when one follows it ("$272m in December 2023"); else the main figure's period
    shifted by the relation the text states ("a year earlier", "the previous month"); a bare
    "from $3.2 billion" in a fiscal-year sentence is the previous fiscal year.
    """
    nxt = [a.start for a in s.amounts if a.start > amount.end]
    stop = min(nxt + [s.clause(amount.start).end + 40, len(s.text)])
    own = [p for p in s.periods if amount.end <= p.start < stop and p.kind in KINDS]
    main = _main_period(s, amount)
    window = s.text[max(0, amount.start - 60) : stop]
    if main is not None and SAME_SPAN_RE.search(window):
        # "against $1.945 billion in the same period last year", "the corresponding months of FY23"
        named = next((p for p in own if p.kind == "fy"), None)
        if named is None:
            before = [p for p in s.periods if p.kind == "fy" and amount.start - 60 <= p.start < amount.start
                      and p.start > main.end]
            named = before[-1] if before else None
        return _in_fiscal_year(main, named) if named else shift_year_back(main)
    if own:
        return own[0]
    earlier_end = max((a.end for a in s.amounts if a.end <= amount.start), default=0)
    named = [p for p in s.periods if p.kind in KINDS and earlier_end <= p.start and p.end <= amount.start
             and COMPARED_RE.search(s.text[earlier_end : p.start])]
    if named:  # "as compared to October, in which it stood at $238 million"
        return named[-1]
    if main is None:
        return None
    if PREV_MONTH_RE.search(window):
        return shift_month_back(main)
    if PREV_YEAR_RE.search(window) or main.kind in ("fy", "fytd"):
        return shift_year_back(main)
    return None


def _main_period(s: Sentence, amount: Amount) -> Period | None:
    """The period of the figure a comparison value is compared with: the main amount before it in
    the sentence, else the one after it ("rising from $1.7bn to $2.2bn in July-April"), else the
    previous sentence's."""
    mains = [a for a in s.amounts if a is not amount and role_of(s, a) == "main"]
    before = [a for a in mains if a.end <= amount.start]
    after = [a for a in mains if a.start >= amount.end]
    for other in ([before[-1]] if before else []) + after[:1]:
        period, _ = s.period(other.start, other.end, KINDS)
        if period is not None and period.kind in KINDS:
            return period
    return s.context.period if s.context.period and s.context.period.kind in KINDS else None


def _in_fiscal_year(main: Period, fy: Period) -> Period:
    """The main period's months in another fiscal year: 'the same period of FY20'."""
    if main.kind == "fy" or fy.last_month is None or main.last_month is None:
        return fy
    end_year = fy.last_month[0]
    year, month = main.last_month
    shift = (main.last_month[0] if month <= 6 else main.last_month[0] + 1) - end_year
    if shift <= 0:
        return fy
    moved = main
    for _ in range(shift):
        moved = shift_year_back(moved) or moved
    return moved


def _read_target(s: Sentence, amount: Amount, topic: Topic, cost: float) -> None:
    """A government target: only with an explicit horizon ('by FY29', 'by June 2023', 'for the
    current fiscal year', 'by 2030'); a target with no horizon is left out."""
    if role_of(s, amount) != "main" or not _in_range("pk_it_exports_target", amount.value):
        return
    horizon = _target_horizon(s, amount)
    if horizon is None:
        return
    label, relative = horizon
    penalties = [cost, PENALTY["topic_inherited"] if topic.inherited else 0.0,
                 PENALTY["relative_period"] if relative else 0.0]
    emit(s.doc, Observation("pk_it_exports_target", label, amount.value, "USD",
                             evidence(s.text, amount.start, amount.end), confidence(*penalties),
                             meta={**_meta(amount, cost), "kind": "target"}))


HORIZON_BEFORE_RE = re.compile(
    r"\b(?:by|till|until|before|for|in|as\s+of|set\s+for|through)\s+(?:the\s+end\s+of\s+)?$", re.I)


def _target_horizon(s: Sentence, amount: Amount) -> tuple[str, bool] | None:
    """The period a target is set for: a fiscal year in its clause; else a month it is due by
    (June closes a fiscal year: 'by June 2023' is FY2022-23; another month, its calendar year)."""
    major = s.clause(amount.start).major
    near = [p for p in s.periods if s.clause(p.start).major == major
            and not s._figure_between(p, amount.start, amount.end)]
    fys = [p for p in near if p.kind == "fy"]
    adjacent = next((p for p in fys if 0 <= p.start - amount.end <= 40
                     and ADJACENT_PERIOD_RE.fullmatch(s.text[amount.end : p.start])), None)
    if adjacent is not None:
        return adjacent.label, adjacent.relative
    if fys:
        period = min(fys, key=lambda p: distance(p, amount.start, amount.end))
        return period.label, period.relative
    for p in sorted(near, key=lambda p: distance(p, amount.start, amount.end)):
        due_by = HORIZON_BEFORE_RE.search(s.text[max(0, p.start - 25) : p.start])
        if p.kind != "month" or not p.last_month or not due_by:
            continue
        year, month = p.last_month
        return (f"FY{year - 1}-{year % 100:02d}" if month == 6 else str(year)), p.relative
    # "by 2030" alone is left out: in the real texts it is as often a minister's vision as a target
    return None


def _canadian_currency(s: Sentence, amount: Amount, allow_bare: bool) -> tuple[str | None, float]:
    """Currency of a Canadian figure: marked ones as written, a bare '$' as CAD only if allowed."""
    if amount.currency in ("USD", "CAD"):
        return amount.currency, 0.0
    if amount.currency == "$" and allow_bare:
        return "CAD", PENALTY["bare_dollar"]
    return None, 0.0


OTHER_PARTNER_RE = re.compile(
    r"\b(?:India|China|Mexico|United\s+States|U\.S\.|Bangladesh|Japan|UK|EU|Germany|France)\b")
PRODUCT_ITEM_RE = re.compile(r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*\(\s*(?:US|C|CA)?\$?\s*$")


def _pakistan_is_the_partner(s: Sentence) -> bool:
    """'Bilateral trade' is Canada-Pakistan trade when Pakistan is the partner this text is about."""
    if OTHER_PARTNER_RE.search(s.text):
        return False
    if "Pakistan" in s.text:
        return True
    return s.doc.text.count("Pakistan") > len(OTHER_PARTNER_RE.findall(s.doc.text)) and bool(
        re.search(r"Canad|Pakistan", s.text) or s.context.country)


def _read_trade_amount(s: Sentence, amount: Amount, topic: Topic) -> None:
    """Canada-Pakistan merchandise trade: a calendar year (Canada's reporting) or a Pakistani fiscal
    year (Pakistan's), in the currency stated; a bare '$' is the Canadian dollar on a Canadian
    government page and the US dollar elsewhere."""
    role = role_of(s, amount)
    if role == "change" or modality_of(s, amount) != "actual" or s.trap(amount.start, amount.end):
        return
    if not _pakistan_is_the_partner(s) and topic.family == "ca_pk_trade":
        return
    if PRODUCT_ITEM_RE.search(s.text[max(0, amount.start - 30) : amount.start]):
        return  # "Rapeseed ($184M)": one product of the trade
    currency, cost = _trade_currency(s, amount)
    period, period_cost = _trade_period(s, amount, role == "comparison")
    if currency is None or period is None:
        return
    indicator = {"ca_exports_to_pk": "ca_exports_to_pk", "ca_imports_from_pk": "ca_imports_from_pk",
                 "ca_pk_trade": "ca_pk_trade_total"}[topic.family]
    # Pakistan's side of the trade ("Pakistan's exports to Canada", a fiscal year, "Pakistani customs")
    # is kept apart from Canada's own figures, as Comtrade's mirror data is.
    said = s.text[topic.start : topic.end] if not topic.inherited else ""
    pakistan_side = period.startswith("FY") or bool(PAKISTAN_SIDE_RE.search(said + " " + s.text))
    meta = _meta(amount, cost)
    meta["reporter"] = "PK" if pakistan_side else "CA"
    emit(s.doc, Observation(indicator, period, amount.value, currency,
                             evidence(s.text, amount.start, amount.end),
                             confidence(cost, period_cost, PENALTY["topic_inherited"] if topic.inherited else 0.0),
                             variant="reporter=PK" if pakistan_side else "", meta=meta))


def _trade_currency(s: Sentence, amount: Amount) -> tuple[str | None, float]:
    if amount.currency in ("USD", "CAD"):
        return amount.currency, 0.0
    if amount.currency == "$":
        return ("CAD" if s.doc.canadian_voice else "USD"), PENALTY["bare_dollar"]
    return None, 0.0


def _trade_period(s: Sentence, amount: Amount, comparison: bool) -> tuple[str | None, float]:
    """The fiscal or calendar year right after the value; else, for a comparison ('down from
    $426.575m'), the year before the sentence's own; else the one the sentence (or the previous one)
    names. A trade value of a part of a year (8MFY25, a month) is not one of these indicators."""
    years = [p for p in s.periods if p.kind in ("fy", "year") and not p.deadline]
    part_of_year = any(p.kind in ("fytd", "month", "span") for p in s.periods)
    if part_of_year or any(p.kind == "fy" for p in years):
        # "in the previous year" beside 11MFY25 or FY25 is not a calendar year
        years = [p for p in years if not (p.kind == "year" and p.relative)]
    after = s.text[amount.end :]
    adjacent = next((p for p in years if 0 <= p.start - amount.end <= 40
                     and TRADE_ADJACENT_RE.fullmatch(after[: p.start - amount.end])), None)
    if adjacent is not None:
        return adjacent.label, 0.0
    if part_of_year:
        return None, 0.0
    own = [p for p in years if not s.compared_period(p)]
    if comparison:
        mains = [p for p in own if p.end <= amount.start] or own
        if not mains:
            return None, 0.0
        back = shift_year_back(mains[0])
        return (back.label, PENALTY["comparison"]) if back else (None, 0.0)
    if own:
        return min(own, key=lambda p: distance(p, amount.start, amount.end)).label, PENALTY["year_in_sentence"]
    if s.context.year is not None:
        return s.context.year.label, PENALTY["year_inherited"]
    return None, 0.0


PAKISTAN_SIDE_RE = re.compile(
    r"Pakistan(?:'s|’s|i)?\s+(?:merchandise\s+|goods\s+)?(?:exports?\s+to|imports?\s+from)\s+Canada"
    r"|Pakistan(?:i)?\s+customs|Pakistan\s+Bureau\s+of\s+Statistics|\bPBS\b|Ministry\s+of\s+Commerce", re.I)
TRADE_ADJACENT_RE = re.compile(r"\s*(?:(?:in|during|for|of)\s+)?(?:the\s+)?(?:year\s+|fiscal\s+year\s+)?", re.I)


def _read_canada_amount(s: Sentence, amount: Amount, topic: Topic) -> None:
    """Canada's ICT exports, tech-sector value and median wage: Canadian dollars by convention."""
    if role_of(s, amount) != "main" or modality_of(s, amount) != "actual" or s.trap(amount.start, amount.end):
        return
    if topic.family != "ca_ict" and "Canad" not in s.text and (s.context.country != "CA" or s.doc.about_it_exports):
        return
    if re.search(r"\b(?:market|destination|supplier)\s+(?:for|of)\b", s.text[max(0, amount.start - 60) : amount.start]):
        return  # "the top market for Canadian ICT exports with $6.7 billion": one market's share
    currency, cost = _canadian_currency(s, amount, allow_bare=True)
    if currency != "CAD":
        return
    indicator = {"ca_ict": "ca_ict_exports", "ca_tech_value": "ca_tech_sector_value",
                 "ca_tech_wage": "ca_tech_median_wage"}[topic.family]
    if indicator == "ca_tech_median_wage" and not (10_000 <= amount.value <= 500_000):
        return
    if indicator != "ca_tech_median_wage" and amount.value < 1e9:
        return
    year, year_cost = year_period(s, amount.start, fallback_to_published=indicator != "ca_ict_exports")
    if year is None:
        return
    emit(s.doc, Observation(indicator, year, amount.value, "CAD",
                             evidence(s.text, amount.start, amount.end),
                             confidence(cost, year_cost, PENALTY["topic_inherited"] if topic.inherited else 0.0),
                             meta=_meta(amount, cost)))



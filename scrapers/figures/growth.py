"""Reading rules for growth rates: year-on-year growth of Pakistan's IT exports."""

from __future__ import annotations

import re

from scrapers.base import Observation
from scrapers.figures.cues import DECLINE_RE, GROWTH_RE, PREV_MONTH_RE, YOY_RE
from scrapers.figures.document import Sentence, confidence, emit, evidence, is_past, modality_of
from scrapers.figures.periods import (
    MONTH,
    Period,
    month_number,
    shift_month_back,
    shift_year_back,
    shift_year_forward,
)
from scrapers.figures.quantities import Amount, Percent
from scrapers.figures.table import IT_GROWTH_BY_PERIOD, PENALTY

KINDS = tuple(IT_GROWTH_BY_PERIOD)


def read_growth(s: Sentence) -> None:
    """Year-on-year growth of Pakistan's monthly or fiscal-year IT exports ('up 28pc')."""
    for pct in s.percents:
        near = s.text[max(0, pct.start - 45) : pct.start] + " " + s.text[pct.end : pct.end + 25]
        grew, fell = GROWTH_RE.search(near), DECLINE_RE.search(near)
        if not grew and not fell:
            continue
        after = s.text[pct.end : pct.end + 12]
        if re.match(r"^\s*(?:of|share)\b", after, re.I) or re.search(r"\bshare\b", near, re.I):
            continue
        if s.trap(pct.start, pct.end) or _coordinated(s, pct):
            continue
        topic = s.topic(pct.start, pct.end)
        if topic is None or topic.family != "it" or s.doc.about_another_country or _pct_modality(s, pct) != "actual":
            continue
        period, inherited = _described_period(s, pct), False
        if period is None:
            period, inherited = s.period(pct.start, pct.end, KINDS, only_comparisons=True, skip_compared=True)
        if period is None or any(period.label == c.label for c in s.compared_periods):
            period, inherited = _year_after_comparison(s), True
        if period is None or period.kind not in KINDS or not is_past(period, s.published):
            continue
        if not _is_year_on_year(s, pct, period):
            continue
        negative = re.search(r"\bnegative\b", near, re.I) is not None
        value = -abs(pct.value) if negative or (fell and not grew) else pct.value
        indicator = IT_GROWTH_BY_PERIOD[period.kind]
        penalties = [PENALTY["topic_inherited"] if topic.inherited else 0.0,
                     PENALTY["period_inherited"] if inherited else 0.0,
                     PENALTY["relative_period"] if period.relative else 0.0]
        emit(s.doc, Observation(indicator, period.label, value, "percent",
                                 evidence(s.text, pct.start, pct.end), confidence(*penalties)))


TO_VALUE_RE = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:to|at)\s+(?:about\s+|around\s+)?(?:US\s*)?\$", re.I)
FROM_TO_RE = re.compile(r"^\s*(?:\w+\s+){0,3}?from\s+[^.;]{0,60}?\bto\s+(?:reach\s+)?(?:about\s+)?(?:US\s*)?\$", re.I)


def _described_period(s: Sentence, pct: Percent) -> Period | None:
    """The period of the value a growth rate describes: the value right after it ('up 28% to $348m',
    'growth of 20% from $1,192m in FY19 to $1,439m in FY20'), else the nearest one before it in its
    clause ('$1.487 billion at a growth rate of 32.65%')."""
    if not s.value_periods:
        return None
    major = s.clause(pct.start).major
    after = [pos for pos in sorted(s.value_periods) if pos > pct.end]
    tail = s.text[pct.end : pct.end + 120]
    if after and (TO_VALUE_RE.match(tail) or FROM_TO_RE.match(tail)):
        return s.value_periods[after[0] if TO_VALUE_RE.match(tail) else after[-1]]
    before = [pos for pos in sorted(s.value_periods) if pos < pct.start and s.clause(pos).major == major]
    return s.value_periods[before[-1]] if before else None


COORDINATED_PCT_RE = re.compile(r"^\s*(?:,|and|&)\s*\d+(?:\.\d+)?\s*(?:%|per\s?cent|pc)", re.I)
COORDINATED_PCT_BEFORE_RE = re.compile(r"\d\s*(?:%|per\s?cent|pc)\s*(?:,|and|&)\s*$", re.I)


def _coordinated(s: Sentence, pct: Percent) -> bool:
    """'growth in FY21 and FY22, i.e. 47% and 87%': which rate is which year is the reader's guess."""
    return bool(COORDINATED_PCT_RE.match(s.text[pct.end : pct.end + 15])
                or COORDINATED_PCT_BEFORE_RE.search(s.text[max(0, pct.start - 15) : pct.start]))


def _year_after_comparison(s: Sentence) -> Period | None:
    """'This shows a growth of 5.89 per cent as compared with the $1,087.929 million earned during the
    corresponding months of the last fiscal year': the growth is for the year after the one compared."""
    later = {p.label: p for c in s.compared_periods if (p := shift_year_forward(c)) is not None}
    if len(later) != 1:
        return None
    return next(iter(later.values()))


LOCAL_BASE_RE = re.compile(
    rf"^\s*(?:\w+\s+){{0,2}}?(?:from|over|than|against|compared\s+(?:to|with)|versus)\s+(?:in\s+)?(?:the\s+month\s+of\s+)?"
    rf"(?P<m>{MONTH})\b\.?(?:\s*,?\s*(?P<y>20\d\d))?"
)


def _is_year_on_year(s: Sentence, pct: Percent, period: Period) -> bool:
    """Whether a growth rate compares with a year earlier (the only growth with an indicator).

    A base named right after the rate decides ("up 12% from February" is month-on-month,
    "17% higher than March 2024" year-on-year); otherwise the clause's wording does. A fiscal
    year's growth is over the previous fiscal year unless said otherwise.
    """
    base = LOCAL_BASE_RE.match(s.text[pct.end : pct.end + 45])
    if base and period.kind == "month" and period.last_month:
        year, month = period.last_month
        if month_number(base.group("m")) != month:
            return False
        return base.group("y") is None or int(base.group("y")) == year - 1
    right_after = s.text[pct.end : pct.end + 30].lstrip()  # "13pc year-on-year and 11pc month-on-month"
    if YOY_RE.match(right_after):
        return True
    if PREV_MONTH_RE.match(right_after):
        return False
    segment = _segment_text(s, pct.start)
    if PREV_MONTH_RE.search(segment):
        return False
    earlier = {p.label for p in s.periods}
    if (back := shift_year_back(period)) is not None and back.label in earlier:
        return True  # "$221 million at a growth rate of 31.55pc as compared to $168 million in November 2020"
    if period.kind == "month" and (back := shift_month_back(period)) is not None and back.label in earlier:
        return False
    return period.kind in ("fy", "fytd") or bool(YOY_RE.search(segment))


def _segment_text(s: Sentence, pos: int) -> str:
    major = s.clause(pos).major
    spans = [c for c in s.clauses if c.major == major]
    return s.text[spans[0].start : spans[-1].end]


def _pct_modality(s: Sentence, pct: Percent) -> str:
    return modality_of(s, Amount(pct.value, None, pct.start, pct.end))



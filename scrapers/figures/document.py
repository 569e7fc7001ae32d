"""A document being read: the facts that hold for all of it (its currency voice, its GII edition),
what one sentence leaves for the next, and the sentence with everything found in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from scrapers.base import Observation
from scrapers.figures.cues import (
    CHANGE_AFTER_RE,
    CHANGE_BEFORE_RE,
    COMPARISON_BEFORE_RE,
    FORECAST_RE,
    REFERENCE_BEFORE_RE,
    TARGET_RE,
)
from scrapers.figures.periods import COUNT_WORDS, GII_RE, ORDINAL_WORDS, Period
from scrapers.figures.quantities import Amount, Percent
from scrapers.figures.sentences import Clause, clause_at
from scrapers.figures.table import CONFIDENCE_FLOOR, CONFIDENCE_START, MAX_EVIDENCE, PENALTY
from scrapers.figures.topics import ANAPHOR_RE, Topic, find_topics
from scrapers.figures.traps import trap


@dataclass
class Context:
    """What the previous sentence (or the headline) leaves for the next one to refer back to."""

    family: str | None = None
    period: Period | None = None
    year: Period | None = None
    country: str | None = None


# Only a sentence with a digit or a number word can state a figure; the others are skimmed.
# (A set lookup of its words: a case-blind regex alternation of these words is six times slower.)
_NUMBER_WORDS = frozenset([*COUNT_WORDS, *ORDINAL_WORDS, "hundred", "thousand", "million", "billion",
                           "trillion", "lakh", "crore", "dozen"])
_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(r"[a-z]+")


def may_state_a_figure(sentence: str) -> bool:
    return _DIGIT_RE.search(sentence) is not None or not _NUMBER_WORDS.isdisjoint(_WORD_RE.findall(sentence.lower()))


# A Canadian government page writes Canadian dollars as a bare "$".
CANADIAN_VOICE_RE = re.compile(
    r"Government\s+of\s+Canada|Global\s+Affairs\s+Canada|Statistics\s+Canada|Trade\s+Commissioner|"
    r"Date\s+modified|Canada(?:'s|’s)\s+\w+[- ]largest"
)


FOREIGN_HEAD_RE = re.compile(
    r"\b(?:India|Indian|Bangladesh|Bangladeshi|Philippines|Philippine|Filipino|Sri\s+Lanka|Vietnam|Egypt|Kenya|"
    r"Nigeria|Ukraine|Telangana|Karnataka|Kerala|Tamil\s+Nadu|Bengaluru|Hyderabad)\b")
HAS_USD_RE = re.compile(r"US\s?\$|\bUSD\b|U\.S\.\s?\$|US\s+dollars")
HAS_PKR_RE = re.compile(r"\bRs\.?\s*\d|\bPKR\b|\b[Rr]upees?\b")
GII_NAMED_RE = re.compile(r"\bGII\b|Global\s+Innovation\s+Index|\bWIPO\b")


class Doc:
    """Document-wide facts that decide how a figure is read (how a bare '$' is meant, which GII
    edition a rank is from, whether the text is about Pakistan's IT exports), each worked out the
    first time a figure needs it: a page whose prose states no figure costs none of them."""

    def __init__(self, text: str, published: date | None) -> None:
        self.text = text
        self.published = published
        self.results: dict[tuple[str, str, float], Observation] = {}

    @cached_property
    def has_usd(self) -> bool:
        return ("US" in self.text or "USD" in self.text) and HAS_USD_RE.search(self.text) is not None

    @cached_property
    def has_pkr(self) -> bool:
        t = self.text
        return ("Rs" in t or "PKR" in t or "upee" in t) and HAS_PKR_RE.search(t) is not None

    @cached_property
    def canadian_voice(self) -> bool:
        """A Canadian government page writes Canadian dollars as a bare '$'."""
        return "Canad" in self.text and bool(CANADIAN_VOICE_RE.search(self.text)) and not self.has_usd

    @cached_property
    def gii_edition(self) -> str | None:
        edition = GII_RE.search(self.text) if ("GII" in self.text or "Innovation" in self.text) else None
        return f"GII-{edition.group('y') or edition.group('y2')}" if edition else None

    @cached_property
    def gii(self) -> bool:
        return GII_NAMED_RE.search(self.text) is not None

    @cached_property
    def about_another_country(self) -> bool:
        """The headline names another economy and the text never names Pakistan ("Bangladesh's IT
        export surges"): its IT figures are that country's, however they are worded."""
        return "Pakistan" not in self.text and FOREIGN_HEAD_RE.search(self.text.lstrip()[:300]) is not None

    @cached_property
    def about_it_exports(self) -> bool:
        """The headline or first lines speak of Pakistan's IT exports: a later sentence with no
        subject of its own ("Pakistan also showed growth of 20 percent from $1,192 million in FY19")
        is theirs."""
        return any(topic.family == "it" for topic in find_topics(self.text.lstrip()[:400]))


def emit(doc: Doc, obs: Observation) -> None:
    """Keep one observation per (indicator, period, value): the most confident one."""
    key = (obs.indicator, obs.period, obs.value)
    best = doc.results.get(key)
    if best is None or obs.confidence > best.confidence:
        doc.results[key] = obs


def evidence(sentence: str, start: int, end: int) -> str:
    """The sentence, or a window of it around the figure when it is longer than allowed."""
    if len(sentence) <= MAX_EVIDENCE:
        return sentence
    half = (MAX_EVIDENCE - (end - start)) // 2 - 1
    lo = max(0, min(start - half, len(sentence) - MAX_EVIDENCE + 2))
    window = sentence[lo : lo + MAX_EVIDENCE - 2]
    return ("…" if lo > 0 else "") + window + ("…" if lo + len(window) < len(sentence) else "")


def confidence(*penalties: float) -> float:
    return round(max(CONFIDENCE_FLOOR, min(CONFIDENCE_START, CONFIDENCE_START - sum(penalties))), 3)


# What may stand between a figure and the period it is for: "$763 million in the July-Nov period".
ADJACENT_PERIOD_RE = re.compile(
    r"\s*(?:(?:in|during|for|of|over|at\s+the\s+end\s+of)\s+)?(?:the\s+)?(?:month\s+of\s+|period\s+(?:of\s+)?)?",
    re.I,
)


@dataclass
class Sentence:
    """One sentence with everything found in it, shared by the readers of each figure family."""

    text: str
    doc: Doc
    context: Context
    periods: list[Period]
    topics: list[Topic]
    clauses: list[Clause]
    amounts: list[Amount]
    percents: list[Percent]
    # The period each IT-exports value of this sentence was read for, by the value's position:
    # a growth rate describes one of them ("$1.487 billion at a growth rate of 32.65%").
    value_periods: dict[int, Period] = field(default_factory=dict)
    # The periods of values quoted for comparison ("as compared with $1,087.929 million earned during
    # the corresponding months of the last fiscal year 2022-23"): a growth rate is for the year after.
    compared_periods: list[Period] = field(default_factory=list)

    @property
    def published(self) -> date | None:
        return self.doc.published

    def clause(self, pos: int) -> Clause:
        return clause_at(self.clauses, pos)

    def own_topic(self, start: int, end: int) -> Topic | None:
        """The subject nearest before a figure (skipping relative clauses), else right after it."""
        clause = self.clause(start)
        before = [t for t in self.topics if t.end <= start
                  and (not self.clause(t.start).relative or self.clause(t.start) == clause)]
        if before:
            return before[-1]
        after = [t for t in self.topics if t.start >= end and self.clause(t.start).major == clause.major
                 and t.start - end < 60]
        return after[0] if after else None

    def topic(self, start: int, end: int) -> Topic | None:
        own = self.own_topic(start, end)
        if own:
            return own
        fam = self.context.family
        if fam and not self.topics and (ANAPHOR_RE.search(self.text) or (fam == "it" and self.doc.about_it_exports)):
            return Topic(fam, -1, -1, inherited=True)
        return None

    def period(self, start: int, end: int, kinds: tuple[str, ...],
               only_comparisons: bool = False, skip_compared: bool = False) -> tuple[Period | None, bool]:
        """The period of a figure: nearest in its clause, else in the sentence, else inherited.

        Periods inside comparison clauses ("compared with $272m in December 2023") belong to the
        comparison, not to the main figure. Returns the period and whether it was inherited.
        """
        clause = self.clause(start)
        usable = [p for p in self.periods if (p.kind in kinds or p.kind == "span") and not self.is_reference(p)
                  and not (skip_compared and self.compared_period(p))]
        adjacent = next((p for p in usable if 0 <= p.start - end <= 40
                         and ADJACENT_PERIOD_RE.fullmatch(self.text[end : p.start])), None)
        if adjacent is not None and adjacent.kind in kinds:
            return adjacent, False
        same = [p for p in usable if clause.start <= p.start < clause.end
                and not self._figure_between(p, start, end, only_comparisons)]
        if same:
            return min(same, key=lambda p: distance(p, start, end)), False
        others = [p for p in usable if not self.clause(p.start).comparison
                  and not self.clause(p.start).relative
                  and not self._figure_between(p, start, end, only_comparisons)]
        if clause.comparison:
            others = []
        before = [p for p in others if p.end <= start]
        if before:
            return before[-1], False
        after = [p for p in others if p.start >= end and self.clause(p.start).major == clause.major]
        if after:
            return after[0], False
        inherited = self.context.period
        # a sentence that names periods of its own, none of them this figure's ("according to data
        # released in December 2021, ..."), does not borrow the previous sentence's
        if inherited and inherited.kind in kinds and not any(
                p.kind in kinds and not self.is_reference(p) and not self.compared_period(p) for p in self.periods):
            return inherited, True
        return None, False

    def compared_period(self, period: Period) -> bool:
        """Whether a period is that of a value quoted for comparison ('as compared to $2.619 billion
        in FY22'): a growth rate is never for it."""
        for a in self.amounts:
            if a.end <= period.start <= a.end + 50 and role_of(self, a) == "comparison":
                between = self.text[a.end : period.start]
                if not any(a.end < b.start < period.start for b in self.amounts):
                    return not re.search(r"[;.]", between)
        return False

    def trap(self, start: int, end: int) -> str | None:
        """Why the figure at start:end is not a value of any indicator (traps.py), or None."""
        return trap(self.text[max(0, start - 110) : start], self.text[end : end + 60])

    def is_reference(self, period: Period) -> bool:
        """'over the previous fiscal year', 'compared with March 2024': the base of a comparison.

        'compared to April of the previous year' is not: "April", resolved against the publication
        date, already names the figure's own month; the words after it say which April is the base."""
        if period.relative and period.kind == "month" and OF_YEAR_BEFORE_RE.match(self.text[period.end :]):
            return False
        if period.kind == "fytd" and re.search(r"\bfrom\s+$", self.text[max(0, period.start - 6) : period.start], re.I):
            return False  # "from July 2021 to April 2022": the span itself, not a base
        return bool(REFERENCE_BEFORE_RE.search(self.text[max(0, period.start - 30) : period.start]))

    def _figure_between(self, period: Period, start: int, end: int, only_comparisons: bool = False) -> bool:
        """True when another amount sits between a figure and a period: the period is that amount's.

        A growth rate looks past the amount it describes ("up 28% to $348m in December") but not
        past an earlier value quoted for comparison ("from $2.6bn in FY23").
        """
        lo, hi = (period.end, start) if period.end <= start else (end, period.start)
        return any(lo <= a.start and a.end <= hi and (not only_comparisons or role_of(self, a) == "comparison")
                   for a in self.amounts)


def distance(period: Period, start: int, end: int) -> int:
    return start - period.end if period.end <= start else max(0, period.start - end)










COUNTRY_RE = re.compile(r"\b(?P<c>Pakistan|Pakistani|Canada|Canadian|Canadians)\b")


def country_of(text: str) -> str | None:
    """Which of the two countries a sentence speaks of (the first one named)."""
    m = COUNTRY_RE.search(text)
    if not m:
        return None
    return "PK" if m.group("c").startswith("Pakistan") else "CA"




def role_of(s: Sentence, amount: Amount) -> str:
    """'change' for a difference, 'comparison' for an earlier value, else 'main'."""
    left = s.text[max(0, amount.start - 60) : amount.start]
    right = s.text[amount.end : amount.end + 20]
    if CHANGE_AFTER_RE.match(right) or CHANGE_BEFORE_RE.search(left[-30:]):
        return "change"
    if (COMPARISON_BEFORE_RE.search(left) or s.clause(amount.start).comparison
            or SAME_SPAN_AFTER_RE.match(right + s.text[amount.end + 20 : amount.end + 60])
            or SAME_SPAN_BEFORE_RE.search(s.text[max(0, amount.start - 90) : amount.start])):
        return "comparison"
    return "main"


SAME_SPAN_BEFORE_RE = re.compile(
    r"\b(?:same|corresponding|comparable|similar)\s+(?:period|months?|time)\b[^$%;]{0,70}"
    r"\b(?:was|were|stood\s+at|amounted\s+to|of)\s+(?:about\s+)?(?:US\s*)?\$?\s*$", re.I)
SAME_SPAN_AFTER_RE = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:in|during|for)\s+(?:the\s+)?(?:same|corresponding|comparable|similar)\s+(?:period|months?|time)\b"
    r"|^\s*(?:in|during)\s+the\s+(?:same\s+)?(?:period|month)\s+(?:a\s+year\s+(?:earlier|ago)|last\s+year)", re.I)
TARGET_REACH = 80  # characters between a target cue ("aims to", "target of") and its figure
OF_YEAR_BEFORE_RE = re.compile(
    r"\s+(?:of\s+)?(?:the\s+)?(?:previous|last|prior|preceding)\s+year|\s+of\s+the\s+year\s+before", re.I)
FORECAST_AFTER_RE = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:projection|projected|forecast|estimate[sd]?|expected|outlook)\b", re.I)
STRETCH_BREAK_RE = re.compile(
    r"(?:,\s+(?:as|while|whereas|but|which|after|since|and)|\s+(?:as|while|whereas|but))\s+(?:it|the|they|this|exports?)\b",
    re.I,
)
TARGET_AFTER_RE = re.compile(
    r"^\s*(?:(?:IT|ICT|in|of|for|exports?|export|annual)\s+){0,3}(?:target|goal|mark\s+by)\b", re.I)


def modality_of(s: Sentence, amount: Amount) -> str:
    """'target', 'forecast' or 'actual', from the words of the figure's major clause before it."""
    clause = s.clause(amount.start)
    seg_start = min(c.start for c in s.clauses if c.major == clause.major)
    before = s.text[seg_start : amount.start]
    # "... miss its $5 billion target, as the country has managed $2.37 billion": a new subject
    # after a comma starts a stretch of its own.
    cut = list(STRETCH_BREAK_RE.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
    after = s.text[amount.end : amount.end + 40]
    if TARGET_AFTER_RE.match(after):
        return "target"
    if FORECAST_AFTER_RE.match(after):
        return "forecast"
    targets = [m.end() for m in TARGET_RE.finditer(before) if len(before) - m.end() <= TARGET_REACH]
    forecasts = [m.end() for m in FORECAST_RE.finditer(before)]
    if not targets and not forecasts:
        return "actual"
    return "target" if max(targets, default=-1) > max(forecasts, default=-1) else "forecast"


def is_past(period: Period, published: date | None) -> bool:
    """An actual must be for a period that ended before publication (when that date is known)."""
    if published is None or period.last_month is None:
        return True
    return period.last_month < (published.year, published.month)


def year_period(s: Sentence, amount_start: int, fallback_to_published: bool,
                amount_end: int | None = None) -> tuple[str | None, float]:
    """Calendar year of a figure: stated in the sentence, else publication year where allowed.

    Trade figures (no fallback) may take the previous sentence's year instead ("In 2020, ...
    Of this, exports totalled ..."); a report's counts are as of its publication.
    """
    years = [p for p in s.periods if p.kind == "year" and not p.deadline]
    if amount_end is not None:  # "from C$732 million in 2013 to C$1.8 billion in 2016": the year right after
        adjacent = [p for p in years if 0 <= p.start - amount_end <= 15
                    and re.fullmatch(r"\s*(?:in|during|for)?\s*(?:the\s+year\s+)?", s.text[amount_end : p.start])]
        if adjacent:
            return adjacent[0].label, 0.0
    if years:
        return min(years, key=lambda p: abs(p.start - amount_start)).label, 0.0
    if s.context.year is not None and not fallback_to_published:
        return s.context.year.label, PENALTY["year_inherited"]
    if fallback_to_published and s.published is not None:
        return str(s.published.year), PENALTY["year_of_publication"]
    return None, 0.0


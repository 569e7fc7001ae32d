"""The reading loop: sentence by sentence, what each states and what it leaves for the next.

How it reads:

1. find periods, money amounts and percentages, with their positions;
2. give each amount the subject mentioned nearest before it, else the subject of the previous
   sentence or headline when this sentence refers back to it ("they", "the sector");
3. give it the period nearest to it, decide whether it is an actual, a comparison, a change, a
   target or a forecast, and only then map it to an indicator (money.py, growth.py);
4. counts, ranks and shares have fixed phrasings and are read with one pattern each (fixed.py).

Anything ambiguous yields nothing: a wrong figure in a digest costs more than a missed one.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from scrapers.base import Observation
from scrapers.figures.document import Context, Doc, Sentence, country_of, may_state_a_figure
from scrapers.figures.fixed import read_counts, read_ranks, read_shares
from scrapers.figures.growth import read_growth
from scrapers.figures.money import read_amounts
from scrapers.figures.periods import find_periods
from scrapers.figures.quantities import find_amounts, find_percents
from scrapers.figures.sentences import clause_at, split_clauses, split_sentences
from scrapers.figures.topics import find_topics


def read_figures(
    text: str,
    published: date | None = None,
    indicators: Collection[str] | None = None,
) -> list[Observation]:
    """Figures stated in an English news or report text, as observations with evidence.

    `published` resolves relative periods ("in December", "the current fiscal year"); without
    it such figures are dropped rather than guessed. `indicators` restricts what may come out
    (a source declares which indicators it can feed); None allows every indicator.

    A paragraph with no digit and no number word is not even split into sentences: it is queued,
    and read back only if a later sentence with a figure refers to it (`_resolved`).
    """
    doc = Doc(text, published)
    context = Context()
    pending: list[str] = []  # paragraphs and sentences skimmed since the last sentence read
    for paragraph in text.splitlines():
        if not may_state_a_figure(paragraph):
            if paragraph.strip():
                pending.append(paragraph)
            continue
        for sentence in split_sentences(paragraph):
            if may_state_a_figure(sentence):
                context = _read_sentence(sentence, doc, _resolved(context, pending, doc))
                pending = []
            else:
                pending.append(sentence)
    wanted = set(indicators) if indicators is not None else None
    results = [o for o in doc.results.values() if wanted is None or o.indicator in wanted]
    return sorted(results, key=lambda o: (o.indicator, o.period, o.value))


def _read_sentence(text: str, doc: Doc, context: Context) -> Context:
    """Read every figure family from one sentence and return the context it leaves behind."""
    s = Sentence(
        text, doc, context, find_periods(text, doc.published), find_topics(text),
        split_clauses(text), find_amounts(text), find_percents(text),
    )
    families = read_amounts(s)
    read_growth(s)
    for reader in (read_counts, read_ranks, read_shares):
        reader(s)
    return _next_context(s, families)


# How many skimmed sentences a figure may refer back across ("In December, they rose to ..."):
# past them, an earlier subject or period is forgotten rather than guessed.
MAX_LOOKBACK = 6
# Cheap tests before the costly finders: a sentence with none of these words names no subject,
# and one with no digit, month or year word names no period.
TOPIC_HINT_RE = re.compile(
    r"(?i:export|import|trade|remittance|surplus|\bI\.?T\b|ICT|ITeS|tech|software|telecom|wage|salar|median|"
    r"worth|valu|size|number\s+of|contribut|invest|fund|loan|grant|budget|reserve|deficit|current\s+account|"
    r"FDI|revenue|market|freelanc|\bnet\b)"
)
PERIOD_HINT_RE = re.compile(
    r"\d|(?i:fiscal|financial|\bFY|year|month|quarter|half|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
)


def _resolved(context: Context, pending: list[str], doc: Doc) -> Context:
    """The context the skimmed sentences leave, read backwards: the latest one naming a subject, a
    period or a country decides it (the year comes from the last sentence alone). Past MAX_LOOKBACK
    sentences, a subject or period not yet found is forgotten."""
    if not pending:
        return context
    family, period, country, year = context.family, context.period, context.country, None
    found_family = found_period = found_country = False
    recent = [s for item in pending[-MAX_LOOKBACK:] for s in split_sentences(item)][-MAX_LOOKBACK:]
    for i, text in enumerate(reversed(recent)):
        if (i == 0 or not found_period) and PERIOD_HINT_RE.search(text):
            periods = find_periods(text, doc.published)
            if i == 0:
                year = next((p for p in periods if p.kind == "year"), None)
            if periods and not found_period:
                clauses = split_clauses(text)
                period = next((p for p in periods if p.kind in ("month", "fy", "fytd")
                               and not clause_at(clauses, p.start).comparison), None)
                found_period = True
        if not found_country and (named := country_of(text)):
            country, found_country = named, True
        if not found_family and TOPIC_HINT_RE.search(text) and (topics := find_topics(text)):
            family, found_family = topics[-1].family, True
        if found_family and found_period and found_country:
            break
    if len(pending) > MAX_LOOKBACK or len(recent) >= MAX_LOOKBACK:
        family = family if found_family else None
        period = period if found_period else None
    return Context(family, period, year, country)


def _next_context(s: Sentence, families: list[str]) -> Context:
    """Subject and period the next sentence may refer back to."""
    family = s.topics[-1].family if s.topics else (families[-1] if families else s.context.family)
    main = [p for p in s.periods if p.kind in ("month", "fy", "fytd")
            and not s.clause(p.start).comparison]
    years = [p for p in s.periods if p.kind == "year"]
    country = country_of(s.text) or s.context.country
    period = main[0] if main else (s.context.period if not s.periods else None)
    return Context(family, period, years[0] if years else None, country)


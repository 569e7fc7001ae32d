"""Quantities as written: money amounts with their currency marker, percentages, counts, ordinals.

Nothing here knows what a quantity is a quantity of; that is decided from its context later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapers.figures.periods import ORDINAL_WORDS

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CUR = r"US\s?\$|U\.S\.\s?\$|USD|C\s?\$|CA\$|CDN\$|CAD|Rs\.?|PKR|\$"
_CUR_WORD = r"US\s+dollars|Canadian\s+dollars|dollars|rupees|USD|CAD|PKR"
_SCALE = r"trillion|billion|million|thousand|bn|mn|mln|tr|b|m|k"
MONEY_RE = re.compile(
    rf"(?P<pre>{_CUR})\s*(?P<n1>{_NUM})(?:\s*(?P<s1>{_SCALE})\b)?(?:\s+(?P<post1>{_CUR_WORD})\b)?"
    rf"|(?<![\w.$])(?P<n2>{_NUM})\s*(?P<s2>trillion|billion|million|bn|mn|mln)\b"
    rf"(?:\s+(?P<post2>{_CUR_WORD})\b)?"
    rf"|(?<![\w.$])(?P<n3>{_NUM})\s+(?P<post3>rupees|US\s+dollars|dollars|USD|CAD|PKR)\b",
    re.IGNORECASE,
)
PCT_RE = re.compile(
    r"(?P<n>-?\d+(?:\.\d+)?)\s*(?:%|pc\b|per\s?cent\b|percent\b)(?!\s*(?:age)?\s*points?)",
    re.IGNORECASE,
)
_SCALES = {
    "trillion": 1e12, "tr": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6,
    "mn": 1e6, "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
}
QUALIFIER_RE = re.compile(
    r"(?P<q>over|more\s+than|about|around|nearly|almost|approximately|roughly|some|an\s+estimated|"
    r"close\s+to|at\s+least|up\s+to|~|≈)\s*$",
    re.IGNORECASE,
)
_NUM_WORD = r"(?:(?:over|more\s+than|about|around|nearly|almost|approximately|roughly|some|"
_NUM_WORD += r"an\s+estimated|close\s+to|at\s+least|~|≈)\s*)?"
COUNT = rf"{_NUM_WORD}(?P<n>{_NUM})(?:\s*(?P<s>million|thousand|M|k)\b)?"
ORDINAL = (
    r"(?P<o>\d{1,3}(?:st|nd|rd|th)|" + "|".join(ORDINAL_WORDS) + r")"
)


def parse_number(text: str, scale: str | None = None) -> float:
    value = float(text.replace(",", ""))
    return value * _SCALES[scale.lower()] if scale else value


def parse_ordinal(text: str) -> int:
    text = text.lower()
    return ORDINAL_WORDS[text] if text in ORDINAL_WORDS else int(text[:-2])


def _currency(prefix: str | None, suffix: str | None) -> str | None:
    """ISO code of a currency marker; None when the amount carries none."""
    for marker in (prefix, suffix):
        if not marker:
            continue
        m = re.sub(r"[\s.]", "", marker).upper()
        if m in ("US$", "USD", "USDOLLARS"):
            return "USD"
        if m in ("C$", "CA$", "CDN$", "CAD", "CANADIANDOLLARS"):
            return "CAD"
        if m in ("RS", "PKR", "RUPEES"):
            return "PKR"
        if m in ("$", "DOLLARS"):
            return "$"
    return None


@dataclass(frozen=True, slots=True)
class Amount:
    """A money amount as written: value in base units, the currency marker, its place."""

    value: float
    currency: str | None  # USD, CAD, PKR, "$" (bare dollar sign) or None (no marker)
    start: int
    end: int
    qualifier: str = ""


def find_amounts(text: str) -> list[Amount]:
    """Money amounts in `text`; years and bare small numbers are not amounts."""
    found = []
    for m in MONEY_RE.finditer(text):
        g = m.groupdict()
        num = g["n1"] or g["n2"] or g["n3"]
        scale = g["s1"] or g["s2"]
        currency = _currency(g["pre"], g["post1"] or g["post2"] or g["post3"])
        if g["pre"] and not scale and re.fullmatch(r"20\d\d", num):
            continue
        qual = QUALIFIER_RE.search(text[max(0, m.start() - 20) : m.start()])
        found.append(Amount(parse_number(num, scale), currency, m.start(), m.end(),
                            qual.group("q").lower() if qual else ""))
    return found


@dataclass(frozen=True, slots=True)
class Percent:
    """A percentage as written ("28pc", "18 per cent"); what it is a share or growth of comes later."""

    value: float
    start: int
    end: int


_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
WORD_NUMBERS = {**{w: i + 1 for i, w in enumerate(_UNITS)}, **_TENS}
WORD_PCT_RE = re.compile(
    rf"\b(?P<t>{'|'.join(_TENS)})?[\s-]?(?P<u>{'|'.join(_UNITS)})?\s+(?:per\s?cent|percent)\b(?!\s*(?:age)?\s*points?)",
    re.IGNORECASE,
)


def find_percents(text: str) -> list[Percent]:
    """Percentages in `text` ("28pc", "18 per cent", "thirty two percent"); percentage points are
    differences, not rates, and are skipped."""
    found = [Percent(float(m.group("n")), m.start(), m.end()) for m in PCT_RE.finditer(text)]
    if "cent" in text:
        for m in WORD_PCT_RE.finditer(text):
            tens, units = (m.group("t") or "").lower(), (m.group("u") or "").lower()
            if tens or units:
                start = m.start("t") if tens else m.start("u")
                found.append(Percent(float(_TENS.get(tens, 0) + WORD_NUMBERS.get(units, 0)), start, m.end()))
    return sorted(found, key=lambda p: p.start)



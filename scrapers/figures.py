"""Read the figures an analyst would quote out of English news and report text.

News about Pakistan's IT exports and Canada's tech sector states the same few figures in many
ways ("$348 million", "up 28pc", "in December", "Jul-Mar FY25"), surrounded by figures that look
alike but mean something else (textile exports, India's IT exports, the FY29 target, the previous
year's value, rupee amounts). This module is the one place that knows those conventions.

It is pure: text in, observations out, no network, no database, no clock. The publication date is
an argument because "in December" and "the current fiscal year" are relative to it.

How it reads, sentence by sentence:

1. find periods (months, fiscal years, fiscal-year-to-date spans, calendar years, GII editions)
   and money amounts and percentages, with their positions;
2. give each amount the subject mentioned nearest before it (IT exports, textile exports,
   India's IT exports, Canadian exports to Pakistan, ...), else the subject of the previous
   sentence or headline when this sentence refers back to it ("they", "the sector");
3. give it the period nearest to it, decide whether it is an actual, a comparison ("from the
   previous year's $3.2 billion"), a change ("an increase of $76 million"), a target or a
   forecast, and only then map it to an indicator;
4. counts, ranks and shares (tech workers, e-Rozgaar centres, "36th-largest export destination")
   have fixed phrasings and are read with one pattern each.

Anything ambiguous yields nothing: a wrong figure in a digest costs more than a missed one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from scrapers.base import Observation

__all__ = ["read_figures"]

MAX_EVIDENCE = 300

# ---------------------------------------------------------------------------------------------
# Calendar vocabulary
# ---------------------------------------------------------------------------------------------

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
# Capitalised only: "may" and "march" are also verbs.
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_COUNT_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20,
}


def _month_number(name: str) -> int:
    return _MONTH_NAMES[name.lower().rstrip(".")]


def _fy_label(end_year: int) -> str:
    """Pakistan's fiscal year July-June is named by both calendar years: FY2024-25."""
    return f"FY{end_year - 1}-{end_year % 100:02d}"


def _fy_of_month(year: int, month: int) -> int:
    """End year of the fiscal year that contains a calendar month."""
    return year + 1 if month >= 7 else year


def _two_digit_year(text: str) -> int:
    value = int(text)
    return 2000 + value if value < 100 else value


def _month_before(published: date | None, month: int) -> tuple[int, int] | None:
    """The latest `month` strictly before the publication month.

    Statistics for a month are released after it ends, so "in December" in a January article is
    last December, and in a December article it is the December of the year before.
    """
    if published is None:
        return None
    year = published.year if month < published.month else published.year - 1
    return year, month


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A period mention: what it denotes and where it sits in the sentence."""

    kind: str  # month | fy | fytd | year | gii | span (a range not starting in July) | date
    label: str
    start: int
    end: int
    relative: bool = False  # resolved against the publication date
    deadline: bool = False  # "by FY29": the horizon of a target
    last_month: tuple[int, int] | None = None  # (year, month) of the period's last month


_FY_NUM = r"(?P<fya>\d{4}|\d{2})(?:\s*[-–/]\s*(?P<fyb>\d{4}|\d{2}))?"
FY_RE = re.compile(
    rf"\bFY\s*['’]?{_FY_NUM}\b"
    r"|\b(?:fiscal|financial)\s+year\s+(?:\(FY\)\s*)?(?P<fyc>\d{4})(?:\s*[-–/]\s*(?P<fyd>\d{2,4}))?\b"
    r"|\b(?P<fye>20\d\d)\s*[-–/]\s*(?P<fyf>\d{2})\b(?!\s*[-–/]?\d)"
    r"|\bfiscal\s+(?P<fyg>20\d\d)(?:\s*[-–/]\s*(?P<fyh>\d{2,4}))?\b",
)
FY_RELATIVE_RE = re.compile(
    r"\b(?:(?:the\s+)?(?P<which>current|this|ongoing|present|last|previous|preceding|past|next)|the)\s+"
    r"(?:fiscal|financial)\s+year\b(?!\s*(?:\(FY\)\s*)?\d)",
    re.IGNORECASE,
)
FYTD_CODE_RE = re.compile(
    r"\b(?:(?P<n>\d{1,2})M|(?P<h>[12])H|H(?P<h2>[12])|(?P<q>[1-4])Q|Q(?P<q2>[1-4]))\s*[-,]?\s*"
    r"FY\s*['’]?(?P<fy>\d{4}|\d{2})\b"
)
MONTH_RANGE_RE = re.compile(
    rf"\b(?:between\s+)?(?P<m1>{MONTH})\.?(?:\s*,?\s*(?P<y1>20\d\d))?\s*"
    rf"(?:-|–|—|to|through|till|until|and)\s*(?P<m2>{MONTH})\b\.?(?:\s*,?\s*(?P<y2>20\d\d)\b(?!\s*[-–/]\s*\d))?"
)
SPAN_OF_FY_RE = re.compile(
    r"\b(?:first|1st)\s+(?P<unit>half|quarter|(?P<n>\d{1,2}|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven)\s+months)\s+(?:\([^)]{0,40}\)\s+)?(?:of\s+)?",
    re.IGNORECASE,
)
MONTH_YEAR_RE = re.compile(rf"\b(?P<m>{MONTH})\b\.?\s*(?:,\s*)?(?:(?P<y>20\d\d)\b|['’-](?P<yy>\d\d)\b)")
DATE_RE = re.compile(
    rf"\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*[-–/]\d)(?:,?\s*20\d\d)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\b\.?(?:,?\s*20\d\d)?"
)
MONTH_ALONE_RE = re.compile(rf"\b(?P<m>{MONTH})\b\.?")
LAST_MONTH_RE = re.compile(r"\blast\s+month\b", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<![\d\-–/'’$])\b(?P<y>20[0-4]\d|19[89]\d)\b(?!\s*[-–/]\s*\d)(?!,\d)")
RELATIVE_YEAR_RE = re.compile(r"\b(?P<which>last|this|past|previous)\s+year\b(?!'s)", re.IGNORECASE)
GII_RE = re.compile(
    r"\b(?:GII|Global\s+Innovation\s+Index)\s*(?:\(GII\)\s*)?(?P<y>20\d\d)\b"
    r"|\b(?P<y2>20\d\d)\s+(?:edition\s+of\s+the\s+)?(?:GII|Global\s+Innovation\s+Index)\b"
)
DEADLINE_BEFORE_RE = re.compile(r"\b(?:by|till|until|up\s+to|through|before|in)\s+(?:the\s+)?(?:end\s+of\s+)?$", re.I)
BY_BEFORE_RE = re.compile(r"\b(?:by|till|until|before)\s+(?:the\s+)?(?:end\s+of\s+)?$", re.I)


def _fy_end_from_groups(first: str, second: str | None) -> int | None:
    """End year of 'FY25', 'FY2025', 'FY2024-25', '2024-25'; None when the two years disagree."""
    a = _two_digit_year(first)
    if second is None:
        return a
    b = int(second)
    b = b if b >= 100 else (a // 100) * 100 + b
    return b if b == a + 1 else None


def _find_fy_text(text: str) -> tuple[int, int, int] | None:
    """The first explicit fiscal-year expression in `text`: (end_year, start, end)."""
    match = FY_RE.search(text)
    if not match:
        return None
    g = match.groupdict()
    if g["fya"]:
        end = _fy_end_from_groups(g["fya"], g["fyb"])
    elif g["fyc"]:
        end = _fy_end_from_groups(g["fyc"], g["fyd"])
    elif g["fye"]:
        end = _fy_end_from_groups(g["fye"], g["fyf"])
    else:
        end = _fy_end_from_groups(g["fyg"], g["fyh"])
    return (end, match.start(), match.end()) if end else None


def _relative_fy(which: str | None, published: date | None) -> int | None:
    """End year of 'the current/last/next fiscal year' for an article published on `published`."""
    if published is None:
        return None
    current = _fy_of_month(published.year, published.month)
    which = (which or "current").lower()
    if which in ("last", "previous", "preceding", "past"):
        return current - 1
    if which == "next":
        return current + 1
    return current


def _fytd(end_year: int, last: int) -> tuple[str, tuple[int, int]]:
    """Label and last month of a July-to-`last` span of fiscal year `end_year`."""
    year = end_year - 1 if last >= 7 else end_year
    return f"{_fy_label(end_year)}:Jul-{MONTH_ABBR[last - 1]}", (year, last)


class _PeriodFinder:
    """Collects non-overlapping period mentions, most specific pattern first."""

    def __init__(self, text: str, published: date | None) -> None:
        self.text = text
        self.published = published
        self.found: list[Period] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= p.start or start >= p.end for p in self.found)

    def add(self, period: Period) -> None:
        if period.kind == "fytd" and period.label.endswith(":Jul-Jun"):
            # "July-June FY25" is the whole fiscal year, not a part of it
            period = replace(period, kind="fy", label=period.label.removesuffix(":Jul-Jun"))
        if self.free(period.start, period.end):
            self.found.append(period)

    def deadline(self, start: int) -> bool:
        return bool(BY_BEFORE_RE.search(self.text[max(0, start - 25) : start]))

    def run(self) -> list[Period]:
        for step in (self._dates, self._gii, self._fytd_codes, self._spans_of_fy,
                     self._month_ranges, self._fiscal_years, self._relative_fys,
                     self._month_years, self._last_month, self._months, self._years,
                     self._relative_years):
            step()
        return sorted(self.found, key=lambda p: p.start)

    def _dates(self) -> None:
        # "on January 15, 2025" is when something was said, not the period of a figure.
        for m in DATE_RE.finditer(self.text):
            self.add(Period("date", "", m.start(), m.end()))

    def _gii(self) -> None:
        for m in GII_RE.finditer(self.text):
            year = m.group("y") or m.group("y2")
            self.add(Period("gii", f"GII-{year}", m.start(), m.end()))

    def _fytd_codes(self) -> None:
        for m in FYTD_CODE_RE.finditer(self.text):
            end_year = _two_digit_year(m.group("fy"))
            if m.group("n"):
                months = int(m.group("n"))
            elif m.group("h") or m.group("h2"):
                months = 6 if (m.group("h") or m.group("h2")) == "1" else 0
            else:
                months = 3 if (m.group("q") or m.group("q2")) == "1" else 0
            if not 1 <= months <= 12:
                self.add(Period("span", "", m.start(), m.end()))
                continue
            last = (7 + months - 2) % 12 + 1
            if months == 12:
                self.add(Period("fy", _fy_label(end_year), m.start(), m.end(),
                                last_month=(end_year, 6)))
                continue
            label, last_ym = _fytd(end_year, last)
            self.add(Period("fytd", label, m.start(), m.end(), last_month=last_ym))

    def _month_ranges(self) -> None:
        for m in MONTH_RANGE_RE.finditer(self.text):
            if m.group(0).lower().find(" and ") >= 0 and not m.group(0).lower().startswith("between"):
                continue
            first, last = _month_number(m.group("m1")), _month_number(m.group("m2"))
            end = m.end()
            fy = _find_fy_text(self.text[end : end + 30])
            relative = False
            if fy and re.fullmatch(r"[\s,()]*(?:of\s+)?(?:the\s+)?(?:fiscal\s+year\s+)?",
                                   self.text[end : end + fy[1]], re.I):
                end_year: int | None = fy[0]
                end += fy[2]
            elif m.group("y2"):
                end_year = _fy_of_month(int(m.group("y2")), last)
            elif m.group("y1"):
                end_year = int(m.group("y1")) + 1 if first >= 7 else int(m.group("y1"))
            else:
                rel = FY_RELATIVE_RE.match(self.text[end:].lstrip(" ,(of").lstrip())
                before = _month_before(self.published, last)
                end_year = _fy_of_month(*before) if before else None
                if rel:
                    end_year = _relative_fy(rel.group("which"), self.published)
                relative = True
            if first != 7 or end_year is None:
                self.add(Period("span", "", m.start(), end))
                continue
            label, last_ym = _fytd(end_year, last)
            self.add(Period("fytd", label, m.start(), end, relative=relative, last_month=last_ym))

    def _spans_of_fy(self) -> None:
        for m in SPAN_OF_FY_RE.finditer(self.text):
            unit = m.group("unit").lower()
            if unit == "half":
                months = 6
            elif unit == "quarter":
                months = 3
            else:
                n = m.group("n").lower()
                months = int(n) if n.isdigit() else _COUNT_WORDS[n]
            rest = self.text[m.end() :]
            end_year: int | None = None
            length = 0
            relative = False
            fy = _find_fy_text(rest[:40])
            rel = FY_RELATIVE_RE.match(rest)
            if fy and fy[1] <= 12:
                end_year, length = fy[0], fy[2]
            elif rel:
                end_year, length, relative = _relative_fy(rel.group("which"), self.published), rel.end(), True
            if end_year is None or not 1 <= months <= 11:
                self.add(Period("span", "", m.start(), m.end() + length))
                continue
            label, last_ym = _fytd(end_year, (7 + months - 2) % 12 + 1)
            self.add(Period("fytd", label, m.start(), m.end() + length, relative=relative,
                            last_month=last_ym))

    def _fiscal_years(self) -> None:
        for m in FY_RE.finditer(self.text):
            found = _find_fy_text(m.group(0))
            if not found:
                continue
            end_year = found[0]
            self.add(Period("fy", _fy_label(end_year), m.start(), m.end(),
                            deadline=self.deadline(m.start()), last_month=(end_year, 6)))

    def _relative_fys(self) -> None:
        for m in FY_RELATIVE_RE.finditer(self.text):
            if m.group("which") is None:
                continue
            end_year = _relative_fy(m.group("which"), self.published)
            if end_year is None:
                continue
            self.add(Period("fy", _fy_label(end_year), m.start(), m.end(), relative=True,
                            deadline=self.deadline(m.start()), last_month=(end_year, 6)))

    def _month_years(self) -> None:
        for m in MONTH_YEAR_RE.finditer(self.text):
            month = _month_number(m.group("m"))
            year = int(m.group("y")) if m.group("y") else 2000 + int(m.group("yy"))
            self.add(Period("month", f"{year}-{month:02d}", m.start(), m.end(),
                            last_month=(year, month)))

    def _last_month(self) -> None:
        if self.published is None:
            return
        for m in LAST_MONTH_RE.finditer(self.text):
            p = self.published
            year, month = (p.year, p.month - 1) if p.month > 1 else (p.year - 1, 12)
            self.add(Period("month", f"{year}-{month:02d}", m.start(), m.end(), relative=True,
                            last_month=(year, month)))

    def _months(self) -> None:
        for m in MONTH_ALONE_RE.finditer(self.text):
            name = m.group("m")
            before = self.text[max(0, m.start() - 20) : m.start()]
            if name in ("May", "March") and not re.search(
                r"\b(?:in|during|for|of|since|last|this|and|to|till|until|month)\s+$", before, re.I
            ):
                continue
            resolved = _month_before(self.published, _month_number(name))
            if resolved is None:
                self.add(Period("span", "", m.start(), m.end()))
                continue
            year, month = resolved
            self.add(Period("month", f"{year}-{month:02d}", m.start(), m.end(), relative=True,
                            last_month=(year, month)))

    def _years(self) -> None:
        for m in YEAR_RE.finditer(self.text):
            year = int(m.group("y"))
            self.add(Period("year", str(year), m.start(), m.end(), deadline=self.deadline(m.start()),
                            last_month=(year, 12)))

    def _relative_years(self) -> None:
        if self.published is None:
            return
        for m in RELATIVE_YEAR_RE.finditer(self.text):
            which = m.group("which").lower()
            year = self.published.year - (0 if which == "this" else 1)
            self.add(Period("year", str(year), m.start(), m.end(), relative=True,
                            last_month=(year, 12)))


def find_periods(text: str, published: date | None) -> list[Period]:
    """Every period mentioned in `text`, resolved against the publication date where relative."""
    return _PeriodFinder(text, published).run()


def _shift_year_back(period: Period) -> Period | None:
    """The same span one year earlier: what 'a year earlier' or 'the previous year's' points at."""
    if period.kind == "month" and period.last_month:
        year, month = period.last_month
        return replace(period, label=f"{year - 1}-{month:02d}", last_month=(year - 1, month))
    if period.kind in ("fy", "fytd") and period.last_month:
        end_year = int(period.label[2:6]) + 1
        label = _fy_label(end_year - 1) + period.label[9:]
        year, month = period.last_month
        return replace(period, label=label, last_month=(year - 1, month))
    if period.kind == "year":
        return replace(period, label=str(int(period.label) - 1))
    return None


def _shift_month_back(period: Period) -> Period | None:
    if period.kind != "month" or not period.last_month:
        return None
    year, month = period.last_month
    year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return replace(period, label=f"{year}-{month:02d}", last_month=(year, month))


# ---------------------------------------------------------------------------------------------
# Amounts, percentages, counts, ranks
# ---------------------------------------------------------------------------------------------

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
    r"(?P<o>\d{1,3}(?:st|nd|rd|th)|" + "|".join(_ORDINAL_WORDS) + r")"
)


def _number(text: str, scale: str | None = None) -> float:
    value = float(text.replace(",", ""))
    return value * _SCALES[scale.lower()] if scale else value


def _ordinal(text: str) -> int:
    text = text.lower()
    return _ORDINAL_WORDS[text] if text in _ORDINAL_WORDS else int(text[:-2])


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
        found.append(Amount(_number(num, scale), currency, m.start(), m.end(),
                            qual.group("q").lower() if qual else ""))
    return found


@dataclass(frozen=True, slots=True)
class Percent:
    """A percentage as written ("28pc", "18 per cent"); what it is a share or growth of comes later."""

    value: float
    start: int
    end: int


def find_percents(text: str) -> list[Percent]:
    """Percentages in `text`; percentage points are differences, not rates, and are skipped."""
    return [Percent(float(m.group("n")), m.start(), m.end()) for m in PCT_RE.finditer(text)]


# ---------------------------------------------------------------------------------------------
# Subjects: what an amount is an amount of
# ---------------------------------------------------------------------------------------------

_IT_TERM = (
    r"(?:IT|ICT|I\.T\.|(?i:information\s+technology)|IT\s*(?:&|and)\s*IT[- ]?enabled\s+services"
    r"|IT\s*(?:&|and)\s*ITeS|IT[- ]enabled\s+services|ITeS|(?i:tech(?:nology)?)"
    r"|(?i:telecom(?:munications?)?,?\s+computer,?\s+and\s+information\s+services)"
    r"|(?i:software\s+and\s+IT))"
)
_EXPORTS = (
    r"(?i:exports?(?:\s+(?:earnings|proceeds|receipts|revenues?|inflows))?"
    r"|export\s+(?:earnings|proceeds|receipts|revenues?|inflows))"
)
_OTHER_COUNTRY = (
    r"(?:India|Indian|Bangladesh|Bangladeshi|Philippines|Filipino|Sri\s+Lanka|Sri\s+Lankan|"
    r"Vietnam|Vietnamese|China|Chinese|Egypt|Egyptian|Ukraine|Ukrainian|Israel|Israeli|Ireland|"
    r"Irish|Poland|Polish|Brazil|Malaysia|Indonesia|Kenya|Nigeria|the\s+region|regional|global|"
    r"worldwide|world|Saudi|UAE|Turkey|Turkish)"
)
_DESTINATION = (
    r"\s+(?:to|from)\s+(?:the\s+)?(?:United\s+States|US|U\.S\.|UK|United\s+Kingdom|UAE|Saudi|"
    r"Europe|EU|Canada|China|Gulf|Middle\s+East|Germany|Ireland|Singapore|[A-Z][a-z]+\b(?<!Pakistan))"
)

# (family, pattern): the family an amount after this mention belongs to.
TOPIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ca_exports_to_pk", re.compile(
        r"(?i:(?:Canad(?:a|ian)(?:'s|’s)?\s+(?:merchandise\s+|goods\s+)?exports?\s+to\s+Pakistan)"
        r"|exports?\s+(?:from\s+Canada\s+)?to\s+Pakistan|Canada\s+exported|Canada\s*(?:→|->)\s*Pakistan)")),
    ("ca_imports_from_pk", re.compile(
        r"(?i:(?:Canad(?:a|ian)(?:'s|’s)?\s+(?:merchandise\s+|goods\s+)?)?imports?\s+from\s+Pakistan"
        r"|Canada\s+imported)")),
    ("ca_pk_trade", re.compile(
        r"(?i:(?:bilateral|two-way)\s+(?:merchandise\s+|goods\s+)?trade|"
        r"Canada[-–\s]Pakistan\s+(?:bilateral\s+)?trade|trade\s+between\s+(?:Canada\s+and\s+Pakistan"
        r"|Pakistan\s+and\s+Canada))")),
    ("pk_exports_to_ca", re.compile(
        r"(?i:Pakistan(?:'s|’s|i)?\s+(?:merchandise\s+|goods\s+)?exports?\s+to\s+Canada"
        r"|Pakistan(?:'s|’s)?\s+imports?\s+from\s+Canada)")),
    ("ca_tech_wage", re.compile(
        r"(?i:median\s+(?:annual\s+)?(?:wage|salary|pay|earnings|income)|median(?=\s+(?:of\s+)?(?:C?\$|CAD)))")),
    ("wage_other", re.compile(r"(?i:average\s+(?:annual\s+)?(?:wage|salary|pay)|salar(?:y|ies)|wages?)")),
    ("ca_tech_value", re.compile(
        r"(?i:tech(?:nology)?\s+(?:sector|industry)(?:'s|’s)?\s+(?:\w+\s+){0,3}?"
        r"(?:worth|valued|value|contribut\w*|generat\w*|added|adds|output|economic\s+(?:impact|value))"
        r"|(?:worth|valued|value)\s+of\s+(?:Canada's\s+)?tech(?:nology)?\s+(?:sector|industry))")),
    ("it_partial", re.compile(
        rf"{_IT_TERM}\s+(?:services?\s+)?{_EXPORTS}{_DESTINATION}"
        r"|(?i:computer\s+services?\s+exports?|exports?\s+of\s+computer\s+services|"
        r"telecom(?:munications?)?\s+(?:services?\s+)?exports?|exports?\s+of\s+telecom\w*\s+services|"
        r"freelanc\w*\s+(?:exports?|earnings|income|remittances)|software\s+exports?)")),
    ("it", re.compile(
        rf"{_IT_TERM}(?:\s+(?:and\s+)?(?i:services?|sector(?:'s)?|industry(?:'s)?|companies'?|firms'?))?"
        rf"\s*{_EXPORTS}"
        rf"|(?i:exports?\s+of\s+(?:the\s+)?(?:country's\s+)?){_IT_TERM}(?:\s+(?i:and\s+\S+\s+)?(?i:services?))?"
        rf"|{_IT_TERM}\s+(?i:sector|industry)\s+(?i:(?:earned|exported|fetched|brought\s+in))")),
    ("negative", re.compile(
        r"(?i:(?:textiles?|apparel|garments?|knitwear|clothing|rice|food|petroleum|goods|merchandise|"
        r"overall|total|national|agricultural|mango|sugar|cement|leather|sports\s+goods|surgical|"
        r"(?<!IT\s)(?<!ICT\s)(?<!IT-enabled\s)services)\s+exports?"
        r"|exports?\s+of\s+(?:goods|textiles?|rice|merchandise)"
        r"|(?:Pakistan(?:'s|’s)|the\s+country(?:'s|’s))\s+exports?"
        r"|remittances?|imports?|trade\s+deficit|current\s+account|foreign\s+direct\s+investment|FDI|"
        r"reserves|budget|allocat\w+|loan|grant|fund(?:ing|s)?|venture\s+capital|invest\w*|"
        r"tax\s+credits?|revenue\s+of|valuation|market\s+(?:size|cap\w*))")),
]
FOREIGN_BEFORE_RE = re.compile(rf"{_OTHER_COUNTRY}(?:'s|’s)?\s+(?:\S+\s+){{0,3}}$")
CANADA_OWNER_RE = re.compile(r"(?:Canada|Canadian)(?:'s|’s)?\s+(?:\S+\s+){0,2}$")
# Words by which a sentence refers back to the previous one's subject ("they", "the sector").
# "it" stays lower-case only: "IT" is the subject itself, not a pronoun.
ANAPHOR_RE = re.compile(
    r"\b(?:[Tt]hey|it|[Tt]his|[Tt]hese|[Tt]hat)\b"
    r"|(?i:\bthe\s+(?:figure|sector|industry|exports|total|amount|number|month|period|target)\b"
    r"|\bgrowth\b|\bcombined\b|\bcumulative(?:ly)?\b"
    r"|\bsuch\s+exports\b"
    r"|\bexport\s+earnings\b|\binflows\b|^\s*(?:in|during|for)\b)"
    r"|\b(?:rose|grew|increased|jumped|surged|climbed|stood|reached|totalled|totaled|amounted|"
    r"clocked|hit|recorded|posted)\b"
)


@dataclass(frozen=True, slots=True)
class Topic:
    family: str
    start: int
    end: int
    inherited: bool = False


def find_topics(sentence: str) -> list[Topic]:
    """Subject mentions in a sentence, each tagged with the figure family it introduces.

    Overlaps are resolved in pattern order (bilateral trade before IT before the negatives), so
    'IT services exports' is IT although 'services exports' alone would be a negative.
    """
    taken: list[Topic] = []
    for family, pattern in TOPIC_PATTERNS:
        for m in pattern.finditer(sentence):
            if any(not (m.end() <= t.start or m.start() >= t.end) for t in taken):
                continue
            family_here = family
            if family == "it":
                family_here = _it_owner(sentence, m.start())
            taken.append(Topic(family_here, m.start(), m.end()))
    return sorted(taken, key=lambda t: t.start)


def _it_owner(sentence: str, start: int) -> str:
    """Whose IT exports: India's are not Pakistan's, Canada's ICT exports are their own indicator."""
    before = sentence[max(0, start - 40) : start]
    if FOREIGN_BEFORE_RE.search(before):
        return "foreign"
    if CANADA_OWNER_RE.search(before):
        return "ca_ict"
    return "it"


# ---------------------------------------------------------------------------------------------
# Sentences and clauses
# ---------------------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "e.g", "i.e", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "rs",
    "u.s", "approx", "est", "govt", "dept", "fig",
}
LAST_WORD_RE = re.compile(r"(\S+)[.!?][\"”’)\]]?$")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"”’)\]]?\s+(?=[\"“‘(\[]?[A-Z0-9$])")
MAJOR_BREAK_RE = re.compile(r";|\bwhile\b|\bwhereas\b|\bbut\b|,\s+and\b|,\s+with\b|\.\s", re.I)
MINOR_BREAK_RE = re.compile(r",(?=\s)|\(|\)|\s[–—]\s|:\s")
RELATIVE_CLAUSE_RE = re.compile(r"^\s*(?:which|who|that|according|as\s+per|said|data\s+showed)\b", re.I)
COMPARISON_CLAUSE_RE = re.compile(
    r"^\s*(?:compared|as\s+against|against|versus|vs\.?|up\s+from|down\s+from|from)\b", re.I
)


def split_sentences(text: str) -> Iterator[str]:
    """Sentences of a text: lines are paragraphs; a full stop after 'Dec' or 'Rs' ends nothing."""
    for line in text.splitlines():
        line = line.strip().lstrip("-•*· ").strip()
        if not line:
            continue
        start = 0
        for m in SENTENCE_END_RE.finditer(line):
            # the word before the stop: an end-anchored search, so only the tail of the line is read
            word = LAST_WORD_RE.search(line[max(start, m.start() - 60) : m.start()])
            if word and word.group(1).lower().lstrip("([\"“'").rstrip(".") in _ABBREVIATIONS:
                continue
            yield line[start : m.start()].strip()
            start = m.end()
        if line[start:].strip():
            yield line[start:].strip()


@dataclass(frozen=True, slots=True)
class Clause:
    """A stretch of a sentence between commas/parentheses; major marks ';', 'while', ', and'."""

    start: int
    end: int
    major: int
    relative: bool
    comparison: bool


def split_clauses(sentence: str) -> list[Clause]:
    majors = [0] + [m.start() for m in MAJOR_BREAK_RE.finditer(sentence)]
    cuts = sorted({0, len(sentence), *majors, *(m.start() for m in MINOR_BREAK_RE.finditer(sentence))})
    clauses = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        text = sentence[start:end].lstrip(",;():–— ")
        major = sum(1 for mj in majors if mj <= start) - 1
        clauses.append(Clause(start, end, major, bool(RELATIVE_CLAUSE_RE.match(text)),
                              bool(COMPARISON_CLAUSE_RE.match(text))))
    return clauses


def _clause_at(clauses: list[Clause], pos: int) -> Clause:
    for clause in clauses:
        if clause.start <= pos < clause.end:
            return clause
    return clauses[-1]


# ---------------------------------------------------------------------------------------------
# Modality: actual, change, comparison, target, forecast
# ---------------------------------------------------------------------------------------------

TARGET_RE = re.compile(
    r"\b(?:target(?:s|ed|ing)?|aim(?:s|ed|ing)?|goal|envisag\w+|vision|ambition|plans?\s+to|"
    r"seeks?\s+to|intends?\s+to|Uraan)\b",
    re.IGNORECASE,
)
# Modal verbs stay lower-case: "May" is a month.
FORECAST_RE = re.compile(
    r"\b(?:could|may|might|would|will|should|if)\b"
    r"|(?i:\b(?:expect\w*|project\w*|forecast\w*|likely|estimates?|poised|set\s+to|on\s+track|"
    r"potential\w*|anticipat\w+|hope[sd]?|predict\w*|outlook|can\s+reach)\b)"
)
CHANGE_BEFORE_RE = re.compile(
    r"\b(?:increase|rise|jump|growth|decline|drop|fall|gain|surge|up|down|more|higher|lower|by)\s+"
    r"(?:of\s+)?(?:about\s+|nearly\s+|around\s+|over\s+)?$",
    re.IGNORECASE,
)
CHANGE_AFTER_RE = re.compile(r"^\s*(?:more|higher|less|lower|increase|jump|rise|decline)\b", re.I)
COMPARISON_BEFORE_RE = re.compile(
    r"\b(?:from|compared\s+(?:to|with)|against|versus|vs\.?|over|than)\s+(?:the\s+)?"
    r"(?:(?:previous|last|preceding|prior)\s+(?:fiscal\s+)?(?:year|month|period)(?:'s|’s)\s+"
    r"|(?:a|the)\s+(?:year|month)\s+(?:earlier|ago)\s+)?"
    r"(?:about\s+|around\s+|nearly\s+|roughly\s+)?$"
    r"|\b(?:previous|last|preceding|prior)\s+(?:fiscal\s+)?(?:year|month|period)(?:'s|’s)\s*$"
    r"|\b(?:a\s+year|a\s+month)\s+(?:earlier|ago)\s+(?:of|at|was)\s+$",
    re.IGNORECASE,
)
PREV_YEAR_RE = re.compile(
    r"\b(?:same\s+(?:month|period|time|quarter)\s+(?:of\s+)?(?:the\s+)?(?:last|previous|preceding|prior)\s+"
    r"(?:fiscal\s+)?year|(?:a|one)\s+year\s+(?:earlier|ago|before)|(?:last|previous|preceding|prior)\s+"
    r"(?:fiscal\s+)?year|corresponding\s+(?:month|period))",
    re.IGNORECASE,
)
PREV_MONTH_RE = re.compile(
    r"\b(?:previous|preceding|prior|last)\s+month|(?:a|one)\s+month\s+(?:earlier|ago|before)|"
    r"month[- ]on[- ]month|\bMoM\b|m/m",
    re.IGNORECASE,
)
YOY_RE = re.compile(
    r"\b(?:YoY|y/y|year[- ]on[- ]year|year[- ]over[- ]year|annual\s+(?:growth|increase)|"
    r"(?:a|one)\s+year\s+(?:earlier|ago|before)|same\s+(?:month|period)\s+(?:of\s+)?(?:the\s+)?"
    r"(?:last|previous|preceding|prior)\s+year|corresponding\s+(?:month|period)|"
    rf"(?:from|over|against|than|compared\s+(?:to|with))\s+(?:the\s+)?(?:last|previous)\s+year|"
    rf"(?:from|over|against|than|compared\s+(?:to|with))\s+(?:in\s+)?{MONTH}\.?\s+20\d\d)",
    re.IGNORECASE,
)
GROWTH_RE = re.compile(
    r"\b(?:up|rose|rise|rising|grew|growth|grown|grow|increase[sd]?|increasing|jump(?:ed|s)?|"
    r"surge[sd]?|surging|climb(?:ed|s)?|higher|expan(?:ded|sion)|gain(?:ed|s)?|soar(?:ed|s)?|"
    r"boost(?:ed)?|rebound(?:ed)?|spike[sd]?)\b",
    re.IGNORECASE,
)
DECLINE_RE = re.compile(
    r"\b(?:down|fell|fall(?:en|ing)?|declin\w+|decrease[sd]?|drop(?:ped|s)?|lower|slump\w*|"
    r"contract\w*|plunge[sd]?|dipped|shrank)\b",
    re.IGNORECASE,
)

REFERENCE_BEFORE_RE = re.compile(
    r"\b(?:over|from|than|against|compared\s+(?:to|with)|versus|vs\.?)\s+(?:in\s+)?(?:the\s+)?"
    r"(?:same\s+\w+\s+(?:of\s+)?(?:the\s+)?)?$",
    re.IGNORECASE,
)

# Plausible magnitudes (USD): a monthly value of $3.8 billion is a misread annual one.
MAGNITUDE = {
    "pk_it_exports_monthly": (20e6, 1.5e9),
    "pk_it_exports_fy": (1e9, 25e9),
    "pk_it_exports_fytd": (20e6, 25e9),
    "pk_it_exports_target": (0.5e9, 100e9),
}


# ---------------------------------------------------------------------------------------------
# Reading a document
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What the previous sentence (or the headline) leaves for the next one to refer back to."""

    family: str | None = None
    period: Period | None = None
    year: Period | None = None
    country: str | None = None
    # Sentences skimmed since `family` was set (no figure in them), most recent last: their subject
    # is looked up only if a later sentence needs it (see `_resolved`).
    pending: tuple[str, ...] = ()


# Only a sentence with a digit or a number word can state a figure; the others are skimmed.
# (A set lookup of its words: a case-blind regex alternation of these words is six times slower.)
_NUMBER_WORDS = frozenset([*_COUNT_WORDS, *_ORDINAL_WORDS, "hundred", "thousand", "million", "billion",
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


@dataclass
class _Doc:
    """Document-wide facts that decide how a bare '$' is read."""

    text: str
    published: date | None
    canadian_voice: bool = False
    has_pkr: bool = False
    has_usd: bool = False
    gii: bool = False
    gii_edition: str | None = None
    results: dict[tuple[str, str, float], Observation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.text
        self.has_usd = bool(re.search(r"US\s?\$|\bUSD\b|U\.S\.\s?\$|US\s+dollars", t))
        self.has_pkr = bool(re.search(r"\bRs\.?\s*\d|\bPKR\b|\brupees?\b", t, re.I))
        self.canadian_voice = bool(CANADIAN_VOICE_RE.search(t)) and not self.has_usd
        edition = GII_RE.search(t)
        self.gii_edition = f"GII-{edition.group('y') or edition.group('y2')}" if edition else None
        self.gii = bool(re.search(r"\bGII\b|Global\s+Innovation\s+Index|\bWIPO\b", t))


def read_figures(
    text: str,
    published: date | None = None,
    indicators: Collection[str] | None = None,
) -> list[Observation]:
    """Figures stated in an English news or report text, as observations with evidence.

    `published` resolves relative periods ("in December", "the current fiscal year"); without
    it such figures are dropped rather than guessed. `indicators` restricts what may come out
    (a source declares which indicators it can feed); None allows every indicator.
    """
    doc = _Doc(text, published)
    context = _Context()
    for sentence in split_sentences(text):
        if may_state_a_figure(sentence):
            context = _read_sentence(sentence, doc, _resolved(context, doc))
        else:
            context = _skim_sentence(sentence, context)
    wanted = set(indicators) if indicators is not None else None
    results = [o for o in doc.results.values() if wanted is None or o.indicator in wanted]
    return sorted(results, key=lambda o: (o.indicator, o.period, o.value))


def _emit(doc: _Doc, obs: Observation) -> None:
    """Keep one observation per (indicator, period, value): the most confident one."""
    key = (obs.indicator, obs.period, obs.value)
    best = doc.results.get(key)
    if best is None or obs.confidence > best.confidence:
        doc.results[key] = obs


def _evidence(sentence: str, start: int, end: int) -> str:
    """The sentence, or a window of it around the figure when it is longer than allowed."""
    if len(sentence) <= MAX_EVIDENCE:
        return sentence
    half = (MAX_EVIDENCE - (end - start)) // 2 - 1
    lo = max(0, min(start - half, len(sentence) - MAX_EVIDENCE + 2))
    window = sentence[lo : lo + MAX_EVIDENCE - 2]
    return ("…" if lo > 0 else "") + window + ("…" if lo + len(window) < len(sentence) else "")


def _confidence(*penalties: float) -> float:
    return round(max(0.1, min(0.95, 0.95 - sum(penalties))), 3)


@dataclass
class _Sentence:
    """One sentence with everything found in it, shared by the readers of each figure family."""

    text: str
    doc: _Doc
    context: _Context
    periods: list[Period]
    topics: list[Topic]
    clauses: list[Clause]
    amounts: list[Amount]
    percents: list[Percent]

    @property
    def published(self) -> date | None:
        return self.doc.published

    def clause(self, pos: int) -> Clause:
        return _clause_at(self.clauses, pos)

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
        if fam and not self.topics and ANAPHOR_RE.search(self.text):
            return Topic(fam, -1, -1, inherited=True)
        return None

    def period(self, start: int, end: int, kinds: tuple[str, ...],
               only_comparisons: bool = False) -> tuple[Period | None, bool]:
        """The period of a figure: nearest in its clause, else in the sentence, else inherited.

        Periods inside comparison clauses ("compared with $272m in December 2023") belong to the
        comparison, not to the main figure. Returns the period and whether it was inherited.
        """
        clause = self.clause(start)
        usable = [p for p in self.periods if p.kind != "date" and not self.is_reference(p)]
        same = [p for p in usable if clause.start <= p.start < clause.end
                and not self._figure_between(p, start, end, only_comparisons)]
        if same:
            return min(same, key=lambda p: _distance(p, start, end)), False
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
        if inherited and inherited.kind in kinds:
            return inherited, True
        return None, False

    def is_reference(self, period: Period) -> bool:
        """'over the previous fiscal year', 'compared with March 2024': the base of a comparison."""
        return bool(REFERENCE_BEFORE_RE.search(self.text[max(0, period.start - 30) : period.start]))

    def _figure_between(self, period: Period, start: int, end: int, only_comparisons: bool = False) -> bool:
        """True when another amount sits between a figure and a period: the period is that amount's.

        A growth rate looks past the amount it describes ("up 28% to $348m in December") but not
        past an earlier value quoted for comparison ("from $2.6bn in FY23").
        """
        lo, hi = (period.end, start) if period.end <= start else (end, period.start)
        return any(lo <= a.start and a.end <= hi and (not only_comparisons or _role(self, a) == "comparison")
                   for a in self.amounts)


def _distance(period: Period, start: int, end: int) -> int:
    return start - period.end if period.end <= start else max(0, period.start - end)


def _read_sentence(text: str, doc: _Doc, context: _Context) -> _Context:
    """Read every figure family from one sentence and return the context it leaves behind."""
    s = _Sentence(
        text, doc, context, find_periods(text, doc.published), find_topics(text),
        split_clauses(text), find_amounts(text), find_percents(text),
    )
    families = _read_amounts(s)
    _read_growth(s)
    for reader in (_read_counts, _read_ranks, _read_shares):
        reader(s)
    return _next_context(s, families)


def _skim_sentence(text: str, context: _Context) -> _Context:
    """A sentence without figures is only queued: what it leaves for later sentences (subject,
    period, country) is worked out by `_resolved` if, and only if, a sentence with a figure needs it."""
    return replace(context, pending=(*context.pending, text))


def _resolved(context: _Context, doc: _Doc) -> _Context:
    """The context after the queued sentences, exactly as _next_context applied to each in turn would
    leave it, read backwards: the latest sentence naming a subject, a period or a country decides it
    (the year comes from the last sentence alone), so usually only the last one or two are read."""
    if not context.pending:
        return context
    family, period, country, year = context.family, context.period, context.country, None
    found_family = found_period = found_country = False
    for i, text in enumerate(reversed(context.pending)):
        if i == 0 or not found_period:
            periods = find_periods(text, doc.published)
            if i == 0:
                year = next((p for p in periods if p.kind == "year"), None)
            if periods and not found_period:
                clauses = split_clauses(text)
                period = next((p for p in periods if p.kind in ("month", "fy", "fytd")
                               and not _clause_at(clauses, p.start).comparison), None)
                found_period = True
        if not found_country and (named := _country(text)):
            country, found_country = named, True
        if not found_family and (topics := find_topics(text)):
            family, found_family = topics[-1].family, True
        if found_family and found_period and found_country:
            break
    return _Context(family, period, year, country)


def _next_context(s: _Sentence, families: list[str]) -> _Context:
    """Subject and period the next sentence may refer back to."""
    family = s.topics[-1].family if s.topics else (families[-1] if families else s.context.family)
    main = [p for p in s.periods if p.kind in ("month", "fy", "fytd")
            and not s.clause(p.start).comparison]
    years = [p for p in s.periods if p.kind == "year"]
    country = _country(s.text) or s.context.country
    period = main[0] if main else (s.context.period if not s.periods else None)
    return _Context(family, period, years[0] if years else None, country)


COUNTRY_RE = re.compile(r"\b(?P<c>Pakistan|Pakistani|Canada|Canadian|Canadians)\b")


def _country(text: str) -> str | None:
    """Which of the two countries a sentence speaks of (the first one named)."""
    m = COUNTRY_RE.search(text)
    if not m:
        return None
    return "PK" if m.group("c").startswith("Pakistan") else "CA"


# ---- money ---------------------------------------------------------------------------------


def _read_amounts(s: _Sentence) -> list[str]:
    families = []
    for amount in s.amounts:
        topic = s.topic(amount.start, amount.end)
        if topic is None:
            continue
        families.append(topic.family)
        if topic.family == "it":
            _read_it_amount(s, amount, topic)
        elif topic.family in ("ca_exports_to_pk", "ca_imports_from_pk", "ca_pk_trade"):
            _read_trade_amount(s, amount, topic)
        elif topic.family in ("ca_ict", "ca_tech_value", "ca_tech_wage"):
            _read_canada_amount(s, amount, topic)
    return families


def _role(s: _Sentence, amount: Amount) -> str:
    """'change' for a difference, 'comparison' for an earlier value, else 'main'."""
    left = s.text[max(0, amount.start - 60) : amount.start]
    right = s.text[amount.end : amount.end + 20]
    if CHANGE_AFTER_RE.match(right) or CHANGE_BEFORE_RE.search(left[-30:]):
        return "change"
    if COMPARISON_BEFORE_RE.search(left) or s.clause(amount.start).comparison:
        return "comparison"
    return "main"


def _modality(s: _Sentence, amount: Amount) -> str:
    """'target', 'forecast' or 'actual', from the words of the figure's major clause before it."""
    clause = s.clause(amount.start)
    seg_start = min(c.start for c in s.clauses if c.major == clause.major)
    before = s.text[seg_start : amount.start]
    after = s.text[amount.end : amount.end + 25]
    if TARGET_RE.search(before) or re.match(r"^\s*(?:target|goal|mark\s+by)", after, re.I):
        return "target"
    if FORECAST_RE.search(before):
        return "forecast"
    return "actual"


def _usd(s: _Sentence, amount: Amount) -> tuple[bool, float]:
    """Whether an amount is in US dollars for a Pakistan indicator, and the confidence cost.

    A bare '$' in Pakistani reporting is the US dollar. An amount without any marker ("348mn")
    is taken as dollars only when the text quotes no rupee amount at all.
    """
    if amount.currency in ("USD", "$"):
        return True, 0.0
    if amount.currency is None and not s.doc.has_pkr and amount.value >= 1e6:
        return True, 0.2
    return False, 0.0


def _read_it_amount(s: _Sentence, amount: Amount, topic: Topic) -> None:
    is_usd, cost = _usd(s, amount)
    if not is_usd:
        return
    modality = _modality(s, amount)
    role = _role(s, amount)
    if role == "change":
        return
    if modality == "target":
        _read_target(s, amount, topic, cost)
        return
    if modality == "forecast":
        return
    period, inherited = s.period(amount.start, amount.end, ("month", "fy", "fytd"))
    penalties = [cost, 0.15 if topic.inherited else 0.0, 0.15 if inherited else 0.0]
    if role == "comparison":
        period = _comparison_period(s, amount)
        penalties.append(0.1)
    if period is None:
        return
    indicator = {"month": "pk_it_exports_monthly", "fy": "pk_it_exports_fy",
                 "fytd": "pk_it_exports_fytd"}.get(period.kind)
    if indicator is None or not _in_range(indicator, amount.value):
        return
    if not _is_past(period, s.published):
        return
    penalties.append(0.05 if period.relative else 0.0)
    _emit(s.doc, Observation(indicator, period.label, amount.value, "USD",
                             _evidence(s.text, amount.start, amount.end), _confidence(*penalties),
                             meta=_meta(amount, cost)))


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


def _is_past(period: Period, published: date | None) -> bool:
    """An actual must be for a period that ended before publication (when that date is known)."""
    if published is None or period.last_month is None:
        return True
    return period.last_month < (published.year, published.month)


def _comparison_period(s: _Sentence, amount: Amount) -> Period | None:
    """Period of an earlier value quoted for comparison, or None when it cannot be told.

    Its own period when one follows it ("$272m in December 2023"); else the main figure's period
    shifted by the relation the text states ("a year earlier", "the previous month"); a bare
    "from $3.2 billion" in a fiscal-year sentence is the previous fiscal year.
    """
    nxt = [a.start for a in s.amounts if a.start > amount.end]
    stop = min(nxt + [s.clause(amount.start).end + 40, len(s.text)])
    own = [p for p in s.periods if amount.end <= p.start < stop and p.kind in ("month", "fy", "fytd")]
    if own:
        return own[0]
    main_amounts = [a for a in s.amounts if a.end <= amount.start and _role(s, a) == "main"]
    if main_amounts:
        main, _ = s.period(main_amounts[-1].start, main_amounts[-1].end, ("month", "fy", "fytd"))
    else:
        main = s.context.period
    if main is None:
        return None
    window = s.text[max(0, amount.start - 50) : stop]
    if PREV_MONTH_RE.search(window):
        return _shift_month_back(main)
    if PREV_YEAR_RE.search(window) or main.kind == "fy":
        return _shift_year_back(main)
    return None


def _read_target(s: _Sentence, amount: Amount, topic: Topic, cost: float) -> None:
    """A government target: only with an explicit horizon ('by FY29', 'for the current fiscal year')."""
    if _role(s, amount) != "main" or amount.value < 1e8:
        return
    candidates = [p for p in s.periods if p.kind == "fy" and p.start >= amount.end
                  and not s._figure_between(p, amount.start, amount.end)]
    if not candidates:
        candidates = [p for p in s.periods if p.kind == "fy" and p.end <= amount.start
                      and s.clause(p.start).major == s.clause(amount.start).major
                      and not s._figure_between(p, amount.start, amount.end)]
    if not candidates:
        return
    period = min(candidates, key=lambda p: _distance(p, amount.start, amount.end))
    if not _in_range("pk_it_exports_target", amount.value):
        return
    penalties = [cost, 0.15 if topic.inherited else 0.0, 0.05 if period.relative else 0.0]
    _emit(s.doc, Observation("pk_it_exports_target", period.label, amount.value, "USD",
                             _evidence(s.text, amount.start, amount.end), _confidence(*penalties),
                             meta={**_meta(amount, cost), "kind": "target"}))


def _year_period(s: _Sentence, amount_start: int, fallback_to_published: bool) -> tuple[str | None, float]:
    """Calendar year of a figure: stated in the sentence, else publication year where allowed.

    Trade figures (no fallback) may take the previous sentence's year instead ("In 2020, ...
    Of this, exports totalled ..."); a report's counts are as of its publication.
    """
    years = [p for p in s.periods if p.kind == "year" and not p.deadline]
    if years:
        return min(years, key=lambda p: abs(p.start - amount_start)).label, 0.0
    if s.context.year is not None and not fallback_to_published:
        return s.context.year.label, 0.15
    if fallback_to_published and s.published is not None:
        return str(s.published.year), 0.2
    return None, 0.0


def _canadian_currency(s: _Sentence, amount: Amount, allow_bare: bool) -> tuple[str | None, float]:
    """Currency of a Canadian figure: marked ones as written, a bare '$' as CAD only if allowed."""
    if amount.currency in ("USD", "CAD"):
        return amount.currency, 0.0
    if amount.currency == "$" and allow_bare:
        return "CAD", 0.3
    return None, 0.0


def _read_trade_amount(s: _Sentence, amount: Amount, topic: Topic) -> None:
    if _role(s, amount) != "main" or _modality(s, amount) != "actual":
        return
    if topic.family == "ca_pk_trade" and not re.search(r"Canad|Pakistan", s.text) and not s.context.country:
        return
    currency, cost = _canadian_currency(s, amount, s.doc.canadian_voice)
    if currency is None:
        return
    year, year_cost = _year_period(s, amount.start, fallback_to_published=False)
    if year is None:
        return
    indicator = {"ca_exports_to_pk": "ca_exports_to_pk", "ca_imports_from_pk": "ca_imports_from_pk",
                 "ca_pk_trade": "ca_pk_trade_total"}[topic.family]
    meta = _meta(amount, cost)
    meta["reporter"] = "CA"
    _emit(s.doc, Observation(indicator, year, amount.value, currency,
                             _evidence(s.text, amount.start, amount.end),
                             _confidence(cost, year_cost, 0.15 if topic.inherited else 0.0),
                             meta=meta))


def _read_canada_amount(s: _Sentence, amount: Amount, topic: Topic) -> None:
    """Canada's ICT exports, tech-sector value and median wage: Canadian dollars by convention."""
    if _role(s, amount) != "main" or _modality(s, amount) != "actual":
        return
    if topic.family != "ca_ict" and _country(s.text) == "PK" and "Canad" not in s.text:
        return
    currency, cost = _canadian_currency(s, amount, allow_bare=True)
    if currency != "CAD":
        return
    indicator = {"ca_ict": "ca_ict_exports", "ca_tech_value": "ca_tech_sector_value",
                 "ca_tech_wage": "ca_tech_median_wage"}[topic.family]
    if indicator == "ca_tech_median_wage" and not (10_000 <= amount.value <= 500_000):
        return
    if indicator != "ca_tech_median_wage" and amount.value < 1e9:
        return
    year, year_cost = _year_period(s, amount.start, fallback_to_published=indicator != "ca_ict_exports")
    if year is None:
        return
    _emit(s.doc, Observation(indicator, year, amount.value, "CAD",
                             _evidence(s.text, amount.start, amount.end),
                             _confidence(cost, year_cost, 0.15 if topic.inherited else 0.0),
                             meta=_meta(amount, cost)))


# ---- growth --------------------------------------------------------------------------------


def _read_growth(s: _Sentence) -> None:
    """Year-on-year growth of Pakistan's monthly or fiscal-year IT exports ('up 28pc')."""
    for pct in s.percents:
        near = s.text[max(0, pct.start - 45) : pct.start] + " " + s.text[pct.end : pct.end + 25]
        grew, fell = GROWTH_RE.search(near), DECLINE_RE.search(near)
        if not grew and not fell:
            continue
        after = s.text[pct.end : pct.end + 12]
        if re.match(r"^\s*(?:of|share)\b", after, re.I) or re.search(r"\bshare\b", near, re.I):
            continue
        topic = s.topic(pct.start, pct.end)
        if topic is None or topic.family != "it" or _pct_modality(s, pct) != "actual":
            continue
        period, inherited = s.period(pct.start, pct.end, ("month", "fy"), only_comparisons=True)
        if period is None or period.kind not in ("month", "fy") or not _is_past(period, s.published):
            continue
        if not _is_year_on_year(s, pct, period):
            continue
        value = -abs(pct.value) if fell and not grew else pct.value
        indicator = "pk_it_exports_monthly_yoy_pct" if period.kind == "month" else "pk_it_exports_fy_yoy_pct"
        penalties = [0.15 if topic.inherited else 0.0, 0.15 if inherited else 0.0,
                     0.05 if period.relative else 0.0]
        _emit(s.doc, Observation(indicator, period.label, value, "percent",
                                 _evidence(s.text, pct.start, pct.end), _confidence(*penalties)))


LOCAL_BASE_RE = re.compile(
    rf"^\s*(?:\w+\s+){{0,2}}?(?:from|over|than|against|compared\s+(?:to|with)|versus)\s+(?:in\s+)?(?:the\s+month\s+of\s+)?"
    rf"(?P<m>{MONTH})\b\.?(?:\s*,?\s*(?P<y>20\d\d))?"
)


def _is_year_on_year(s: _Sentence, pct: Percent, period: Period) -> bool:
    """Whether a growth rate compares with a year earlier (the only growth with an indicator).

    A base named right after the rate decides ("up 12% from February" is month-on-month,
    "17% higher than March 2024" year-on-year); otherwise the clause's wording does. A fiscal
    year's growth is over the previous fiscal year unless said otherwise.
    """
    base = LOCAL_BASE_RE.match(s.text[pct.end : pct.end + 45])
    if base and period.kind == "month" and period.last_month:
        year, month = period.last_month
        if _month_number(base.group("m")) != month:
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
    return period.kind == "fy" or bool(YOY_RE.search(segment))


def _segment_text(s: _Sentence, pos: int) -> str:
    major = s.clause(pos).major
    spans = [c for c in s.clauses if c.major == major]
    return s.text[spans[0].start : spans[-1].end]


def _pct_modality(s: _Sentence, pct: Percent) -> str:
    return _modality(s, Amount(pct.value, None, pct.start, pct.end))


# ---- counts, ranks and shares: one phrasing each ---------------------------------------------

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
    value = _number(m.group("n"))
    if scale:
        value *= {"million": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}[scale.lower()]
    return value


def _qualifier(m: re.Match[str]) -> str:
    q = re.match(r"\s*(over|more\s+than|about|around|nearly|almost|approximately|roughly|some|"
                 r"an\s+estimated|close\s+to|at\s+least|~|≈)", m.group(0), re.I)
    return q.group(1).lower() if q else ""


def _emit_simple(s: _Sentence, indicator: str, value: float, unit: str, m: re.Match[str],
                 period: str | None, cost: float, qualifier: str = "") -> None:
    if period is None:
        return
    meta = {"qualifier": qualifier} if qualifier else {}
    _emit(s.doc, Observation(indicator, period, value, unit, _evidence(s.text, m.start(), m.end()),
                             _confidence(cost), meta=meta))


def _sentence_country(s: _Sentence, pos: int) -> str | None:
    """Country named nearest before `pos` in the sentence, else the previous sentence's."""
    named = [m for m in COUNTRY_RE.finditer(s.text[:pos])]
    if named:
        return "PK" if named[-1].group("c").startswith("Pakistan") else "CA"
    after = _country(s.text[pos:])
    return after or s.context.country


def _read_counts(s: _Sentence) -> None:
    readers: list[tuple[re.Pattern[str], str, str | None]] = [
        *((p, "pk_it_professionals", "PK") for p in PK_PROFESSIONALS_RES),
        *((p, "ca_tech_workers", "CA") for p in CA_TECH_WORKERS_RES),
        (CA_TECH_FIRMS_RE, "ca_tech_firms", "CA"),
        (EROZGAAR_RE, "pk_erozgaar_centers", None),
        *((p, "ca_pakistani_origin_population", None) for p in DIASPORA_RES),
    ]
    for pattern, indicator, country in readers:
        for m in pattern.finditer(s.text):
            if _modality(s, Amount(0, None, m.start(), m.end())) != "actual":
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
            if indicator == "pk_it_professionals" and value < 1000:
                continue
            if indicator == "ca_pakistani_origin_population":
                year, cost = "stated", 0.0  # a standing figure, as the page states it, with no year of its own
            else:
                year, cost = _year_period(s, m.start(), fallback_to_published=True)
            _emit_simple(s, indicator, value, "count", m, year, cost, _qualifier(m))


def _read_ranks(s: _Sentence) -> None:
    for m in RANK_ICT_RE.finditer(s.text):
        if not s.doc.gii or _sentence_country(s, m.start()) not in ("PK", None):
            continue
        if FOREIGN_BEFORE_RE.search(s.text[max(0, m.start() - 40) : m.start()]):
            continue
        gii = [p for p in s.periods if p.kind == "gii"]
        if gii:
            period, cost = gii[0].label, 0.0
        elif s.doc.gii_edition:
            period, cost = s.doc.gii_edition, 0.05
        elif s.published is not None:
            period, cost = f"GII-{s.published.year}", 0.2
        else:
            continue
        _emit_simple(s, "pk_gii_ict_services_exports_rank", _ordinal(m.group("o")), "rank", m, period, cost)
    for pattern, indicator in ((RANK_EXPORT_DEST_RE, "pk_rank_ca_export_destination"),
                               (RANK_PR_SOURCE_RE, "pk_rank_ca_pr_source")):
        for m in pattern.finditer(s.text):
            before = s.text[: m.start()]
            if "Pakistan" not in before or "Canad" not in s.text:
                continue
            last_country = re.findall(r"\b(?:Pakistan|India|China|Philippines|Bangladesh|[A-Z][a-z]+stan)\b", before)
            if last_country and last_country[0] != "Pakistan":
                continue
            year, cost = _year_period(s, m.start(), fallback_to_published=False)
            _emit_simple(s, indicator, _ordinal(m.group("o")), "rank", m, year, cost)


def _read_shares(s: _Sentence) -> None:
    """Percent shares with a fixed phrasing: cost advantage, Canada's tech shares."""
    for m in COST_RE.finditer(s.text):
        year, cost = _year_period(s, m.start(), fallback_to_published=True)
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
            if _sentence_country(s, m.start()) != "CA":
                continue
            if _modality(s, Amount(0, None, m.start(), m.end())) != "actual":
                continue
            year, cost = _year_period(s, m.start(), fallback_to_published=True)
            _emit_simple(s, indicator, float(m.group("p")), "percent", m, year, cost)


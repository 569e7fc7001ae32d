"""Periods as news writes them: months, fiscal years (July-June), fiscal-year-to-date spans,
calendar years and GII editions, each resolved to SPEC.md's labels and kept with its position.

Relative mentions ("in December", "the current fiscal year") are resolved against the publication
date; without one they stay unresolved rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = {
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
COUNT_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20,
}


def month_number(name: str) -> int:
    return MONTH_NAMES[name.lower().rstrip(".")]


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
    r"|\b(?i:fiscal|financial)\s+(?i:year)\s+(?:\(FY\)\s*)?(?P<fyc>\d{4}|\d{2}(?=\s*[-–/]\s*\d{2}\b))(?:\s*[-–/]\s*(?P<fyd>\d{2,4}))?\b"
    r"|\b(?P<fye>20\d\d)\s*[-–/]\s*(?P<fyf>\d{2})\b(?!\s*[-–/]?\d)"
    r"|\b(?i:fiscal)\s+(?P<fyg>20\d\d)(?:\s*[-–/]\s*(?P<fyh>\d{2,4}))?\b",
)
FY_RELATIVE_RE = re.compile(
    r"\b(?:(?:the\s+)?(?P<which>current|this|ongoing|present|last|previous|preceding|past|next|outgoing|"
    r"just[- ]ended|concluded)|the)\s+"
    r"(?:(?:fiscal|financial)\s+year\b|FY\b)(?!\s*(?:\(FY\)\s*)?['’]?\d)(?P<ended>\s+(?:that|which)\s+ended(?:\s+in\s+June|\s+on\s+June\s+30)?)?",
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
# "the current fiscal year of 2020/21", "(July-March) of fiscal year": words between a span and its year
SPAN_TO_FY_RE = re.compile(
    r"\s*(?:\([^)]{0,20}\)\s*)?(?:of\s+)?(?:the\s+)?(?:current\s+|ongoing\s+|last\s+)?(?:(?:fiscal|financial)\s+year\s+)?"
    r"(?:of\s+)?(?:\(FY\)\s*)?",
    re.I,
)
SPAN_OF_FY_RE = re.compile(
    r"\b(?:(?P<first>first|1st)\s+|(?P<lead>in|during|over|for|same|examining)\s+(?:the\s+)?(?:just\s+)?)"
    r"(?P<unit>half|quarter|month|(?P<n>\d{1,2}|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven)(?:\s+months|-month\s+period))\s*(?:\([^)]{0,40}\)\s*)?(?:of\s+)?",
    re.IGNORECASE,
)
# What may sit between a month range and the fiscal year it belongs to: "July-Nov period of the
# Fiscal Year 2020-21", "Jul-Mar of the current fiscal year 2024-25", "July-March (FY25)".
MONTH_RANGE_TO_FY_RE = re.compile(
    r"[\s,()]*(?:period\s+|months\s+)?(?:of\s+|in\s+|during\s+)?(?:the\s+)?(?:current\s+|ongoing\s+)?"
    r"(?:(?:fiscal|financial)\s+year\s+)?",
    re.I,
)
MONTH_YEAR_RE = re.compile(rf"\b(?P<m>{MONTH})\b\.?\s*(?:,\s*)?(?:(?P<y>20\d\d)\b|['’-](?P<yy>\d\d)\b)")
DATE_RE = re.compile(
    rf"\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*[-–/]\d)(?:,?\s*20\d\d)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\b\.?(?:,?\s*20\d\d)?"
)
MONTH_ALONE_RE = re.compile(rf"\b(?P<m>{MONTH})\b\.?")
LAST_MONTH_RE = re.compile(r"\blast\s+month\b", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<![\d\-–/'’$])\b(?P<y>20[0-4]\d|19[89]\d)\b(?!\s*[-–/]\s*\d)(?!,\d)")
AS_OF_RE = re.compile(r"\b(?:as\s+of|up\s+to|till|until)\s+(?:the\s+end\s+of\s+)?$", re.I)
MULTI_YEAR_RE = re.compile(
    r"\b(?:last|past|previous|over\s+the\s+(?:last|past))\s+(?:\w+\s+)?(?:years|decades)\b"
    r"|\b(?:19|20)\d\d\s*(?:-|–|to)\s*(?:19|20)\d\d\b(?!\s*[-–/]\s*\d)",
    re.I,
)
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
    if which in ("outgoing", "just-ended", "just ended", "concluded"):
        # the year that is closing: still current in June, the last one once July has begun
        return current - 1 if published.month in (7, 8, 9) else current
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
        if period.kind == "fytd" and period.label.endswith(":Jul-Jul") and period.last_month:
            # "the first month of the current financial year" is July
            period = replace(period, kind="month", label=f"{period.last_month[0]}-07")
        if self.free(period.start, period.end):
            self.found.append(period)

    def deadline(self, start: int) -> bool:
        return bool(BY_BEFORE_RE.search(self.text[max(0, start - 25) : start]))

    def run(self) -> list[Period]:
        for step in (self._dates, self._gii, self._fytd_codes, self._spans_of_fy,
                     self._month_ranges, self._fiscal_years, self._relative_fys,
                     self._month_years, self._last_month, self._months, self._multi_year_spans, self._years,
                     self._relative_years):
            step()
        return _merge_span_and_year(sorted(self.found, key=lambda p: p.start), self.text)

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
            if (" and " in m.group(0).lower() and not m.group(0).lower().startswith("between")
                    and not (m.group("y1") and m.group("y2"))):  # "during July 2023 and April 2024" is a span
                continue
            first, last = month_number(m.group("m1")), month_number(m.group("m2"))
            end = m.end()
            fy = _find_fy_text(self.text[end : end + 50])
            relative = False
            if fy and MONTH_RANGE_TO_FY_RE.fullmatch(self.text[end : end + fy[1]]):
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
            if not m.group("first") and not unit.endswith(("months", "period")):
                continue  # "in the half", "during the month": no span of a fiscal year
            if unit == "month":
                months = 1
            elif unit == "half":
                months = 6
            elif unit == "quarter":
                months = 3
            else:
                n = m.group("n").lower()
                months = int(n) if n.isdigit() else COUNT_WORDS[n]
            rest = self.text[m.end() :]
            end_year: int | None = None
            length = 0
            relative = False
            fy = _find_fy_text(rest[:50])
            rel = FY_RELATIVE_RE.match(rest)
            if fy and (fy[1] <= 12 or (fy[1] <= 30 and SPAN_TO_FY_RE.fullmatch(rest[: fy[1]]))):
                end_year, length = fy[0], fy[2]
            elif rel:
                end_year, length, relative = _relative_fy(rel.group("which"), self.published), rel.end(), True
            elif not m.group("first") and self.published is not None:
                # "IT exports of $2.37 billion in 11 months": months of the fiscal year under way
                end_year, relative = _relative_fy("current", self.published), True
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
            if m.group("which") is None and not m.group("ended"):
                continue
            end_year = _relative_fy(m.group("which"), self.published)
            if m.group("ended") and self.published is not None:
                end_year = self.published.year if self.published.month >= 7 else self.published.year - 1
            if end_year is None:
                continue
            self.add(Period("fy", _fy_label(end_year), m.start(), m.end(), relative=True,
                            deadline=self.deadline(m.start()), last_month=(end_year, 6)))

    def _month_years(self) -> None:
        for m in MONTH_YEAR_RE.finditer(self.text):
            month = month_number(m.group("m"))
            year = int(m.group("y")) if m.group("y") else 2000 + int(m.group("yy"))
            if AS_OF_RE.search(self.text[max(0, m.start() - 20) : m.start()]) and month != 7:
                # "as of April 2020, IT exports have surged to $1.18 billion": the fiscal year so far
                end_year = _fy_of_month(year, month)
                if month == 6:
                    self.add(Period("fy", _fy_label(end_year), m.start(), m.end(), last_month=(year, 6)))
                else:
                    label, last_ym = _fytd(end_year, month)
                    self.add(Period("fytd", label, m.start(), m.end(), last_month=last_ym))
                continue
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
            resolved = _month_before(self.published, month_number(name))
            if resolved is None:
                self.add(Period("span", "", m.start(), m.end()))
                continue
            year, month = resolved
            self.add(Period("month", f"{year}-{month:02d}", m.start(), m.end(), relative=True,
                            last_month=(year, month)))

    def _multi_year_spans(self) -> None:
        # "grew by 150% during the last five years": a span no indicator is for, and it blocks others
        for m in MULTI_YEAR_RE.finditer(self.text):
            self.add(Period("span", "", m.start(), m.end()))

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


SPAN_THEN_FY_RE = re.compile(
    r"[\s,()]*(?:during|of|in|for)?\s*(?:the\s+)?(?:current\s+)?(?:(?:fiscal|financial)\s+year\s*)?(?:\(FY\)\s*)?", re.I
)


def _merge_span_and_year(periods: list[Period], text: str) -> list[Period]:
    """'July 2021 to April 2022 during FY2021-22': the fiscal year only restates the span's."""
    merged: list[Period] = []
    for period in periods:
        last = merged[-1] if merged else None
        if (last is not None and last.kind == "fytd" and period.kind == "fy"
                and last.label.startswith(period.label + ":") and period.start - last.end <= 40
                and SPAN_THEN_FY_RE.fullmatch(text[last.end : period.start])):
            merged[-1] = replace(last, end=period.end)
            continue
        merged.append(period)
    return merged


def find_periods(text: str, published: date | None) -> list[Period]:
    """Every period mentioned in `text`, resolved against the publication date where relative."""
    return _PeriodFinder(text, published).run()


def shift_year_back(period: Period) -> Period | None:
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


def shift_year_forward(period: Period) -> Period | None:
    """The same span one year later: the period a comparison value 'a year earlier' was compared with."""
    if period.kind == "month" and period.last_month:
        year, month = period.last_month
        return replace(period, label=f"{year + 1}-{month:02d}", last_month=(year + 1, month))
    if period.kind in ("fy", "fytd") and period.last_month:
        end_year = int(period.label[2:6]) + 1
        year, month = period.last_month
        return replace(period, label=_fy_label(end_year + 1) + period.label[9:], last_month=(year + 1, month))
    return None


def shift_month_back(period: Period) -> Period | None:
    if period.kind != "month" or not period.last_month:
        return None
    year, month = period.last_month
    year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return replace(period, label=f"{year}-{month:02d}", last_month=(year, month))



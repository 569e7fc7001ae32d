"""Named rules for figures that look like an indicator's value but are not one.

Each rule reads the words right around one figure (an amount or a percentage) and says whether the
figure is something else: a threshold crossed ("crossing the $400 million mark"), an average ("the
12-month average of $299 million"), a net figure or a surplus, a share ("74% of $1.3 billion"), a
sub-category's value or growth ("news agency services increased by 3.94 percent"), an aspiration
("can be increased to $3-5 billion"). They were written from what the real-text development set
got wrong (tests/realtext/), and each has a case in tests/corpus/ in our own words.

A rule returns the reason, so `bridgewatch extract -v` and the tests can say why a figure was left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Window = tuple[str, str]  # (text before the figure, text after it), both within its sentence


@dataclass(frozen=True, slots=True)
class Trap:
    name: str
    doc: str
    test: Callable[[str, str], bool]


def _before(pattern: str) -> Callable[[str, str], bool]:
    regex = re.compile(f"(?:{pattern})\\s*$", re.I)
    return lambda before, after: regex.search(before[-80:]) is not None


def _after(pattern: str) -> Callable[[str, str], bool]:
    regex = re.compile(r"^\s*" + pattern, re.I)
    return lambda before, after: regex.match(after[:60]) is not None


_SUBCATEGORY = (
    r"(?:computer|telecom(?:munication)?s?|information|software(?:\s+consultancy)?|hardware(?:\s+consultancy)?|"
    r"call\s+cent(?:re|er)s?|news\s+agency|repair\s+and\s+maintenance|consultancy|freelanc\w*|"
    r"information[- ]related|data\s+processing|postal\s+and\s+courier|mobile)"
)

_BOUND_BEFORE_RE = re.compile(
    r"\b(?:cross\w*|surpass\w*|breach\w*|exceed\w*|top(?:ped|s)?|beyond|above|over|more\s+than)\s+(?:to\s+)?(?:the\s+)?"
    r"(?:(?:mark|milestone|level|figure|barrier|threshold)\s+of\s+)?(?:US\s*)?\$?\s*$",
    re.I,
)
_NET_BEFORE_RE = re.compile(
    r"\b(?:net\s+(?:\w+\s+){0,3}?(?:exports?|inflows?|earnings)|surplus)\b[^$%]{0,40}$", re.I
)
_NET_AFTER_RE = re.compile(r"^\s*(?:\w+\s+)?(?:in|of)\s+net\s+(?:\w+\s+)?exports?|^\s*(?:trade\s+)?surplus", re.I)
_SHARE_BEFORE_RE = re.compile(r"%\s*of\s+(?:the\s+)?(?:US\s*)?\$?\s*$|\bshare\s+of\b[^$%]{0,100}$", re.I)
# "contributing 39 percent to the overall services' exports", "accounting for 10.8% of total exports"
_PART_OF_WHOLE_RE = re.compile(
    r"\b(?:contribut\w*|account\w*\s+for|making\s+up|constitut\w*|representing)\s+(?:about\s+|around\s+|nearly\s+|over\s+)?$",
    re.I,
)
_WHOLE_AFTER_RE = re.compile(r"^\s*(?:%|percent|per\s?cent|pc)?\s*(?:to|of)\s+(?:the\s+)?(?:country's\s+)?"
                             r"(?:overall|total|national|services?|merchandise)", re.I)
_SUBCATEGORY_AFTER_RE = re.compile(
    rf"^\s*(?:YoY\s+|MoM\s+|year-on-year\s+)?(?:increase|growth|rise|jump|decline|drop)\s+in\s+(?:the\s+)?"
    rf"{_SUBCATEGORY}\b", re.I)
_SUBCATEGORY_RE = re.compile(
    rf"\b(?:exports?\s+of\s+(?:the\s+)?{_SUBCATEGORY}(?:\s+\w+)?\s+services?|"
    rf"{_SUBCATEGORY}\s+(?:\w+\s+)?services?(?:\s+exports?)?)"
    r"(?:\s+\w+){0,6}?\s+(?:by\s+|to\s+|at\s+|of\s+|from\s+)?(?:US\s*)?\$?\s*$",
    re.I,
)
# "IT exports, comprising computer services and call centres, rose 15%": the parts describe the whole.
_DESCRIBES_WHOLE_RE = re.compile(
    r"\b(?:compris\w*|includ\w*|encompass\w*|such\s+as|consist\w*\s+of|namely)\b"
    r"|telecom\w*,?\s+computer,?\s+and\s+information\s+services"  # SBP's label of the whole
    r"|\b(?:IT|ICT|ITeS)\s*(?:&|and)\s+telecom",  # "ICT & telecom services": the whole again
    re.I,
)


def _subcategory(before: str) -> bool:
    m = _SUBCATEGORY_RE.search(before[-110:])
    window = before[-110:]
    return m is not None and not _DESCRIBES_WHOLE_RE.search(window[max(0, m.start() - 60) : m.end()])


TRAPS: tuple[Trap, ...] = (
    Trap("threshold", "a bound crossed, not the value: 'crossing the $400 million mark', 'over $2 billion'",
         lambda b, a: bool(_BOUND_BEFORE_RE.search(b[-60:]))
         or bool(re.match(r"^\s*(?:-|\s)?(?:mark|milestone|barrier|threshold)\b|^\+", a, re.I))),
    Trap("average", "an average over months, not one month's value",
         lambda b, a: bool(re.search(r"\b(?:average|avg\.?)\b[^$%.;]{0,50}$", b[-70:], re.I))),
    Trap("net", "net exports or a surplus, not exports",
         lambda b, a: bool(_NET_BEFORE_RE.search(b[-90:]) or _NET_AFTER_RE.match(a))),
    Trap("share_of", "a share of a larger amount ('74.65% of US$1.302 billion') or a share of exports",
         lambda b, a: bool(_SHARE_BEFORE_RE.search(b[-110:])
                           or (_PART_OF_WHOLE_RE.search(b[-40:]) and _WHOLE_AFTER_RE.match(a)))),
    Trap("subcategory", "a sub-category's value or growth: computer services, telecom, call centres alone",
         lambda b, a: _subcategory(b) or bool(_SUBCATEGORY_AFTER_RE.match(a))),
    Trap("aspiration", "a potential or an aspiration: 'can be increased to', 'potential of', 'capacity to'",
         _before(r"\b(?:can|could|may|might|would)\s+(?:be\s+)?(?:\w+\s+){0,3}(?:to|at|of)\s+(?:about\s+)?(?:US)?\$?"
                 r"|\bpotential\s+(?:of\s+|to\s+\w+\s+)?(?:about\s+|around\s+)?(?:US)?\$?"
                 r"|\bcapacity\s+(?:of|to\s+\w+)\s+(?:US)?\$?")),
    Trap("increase_amount", "the size of an increase: 'a 17.44% increase ..., making about $339 million'",
         lambda b, a: bool(re.search(r"\b(?:increase|rise|growth|jump|surge|increment)\b[^$%.;]{0,40}"
                                     r"\b(?:making|amounting\s+to)"
                                     r"\s+(?:about\s+|around\s+|nearly\s+)?(?:US\s*)?\$?\s*$", b[-90:], re.I))),
    Trap("hedge", "a figure someone argues or believes, not a statistic: 'closer to $5 billion'",
         lambda b, a: bool(re.search(r"\b(?:closer\s+to|argued?|claim(?:s|ed)?|believed?|unofficial\w*)\b[^.]{0,70}$",
                                     b[-90:], re.I))),
    Trap("per_year", "a yearly rate with no period of its own: 'worth about $2.6 billion a year'",
         lambda b, a: bool(re.match(r"^\s*(?:a|per|each|every)\s+(?:year|annum)\b(?!\s+(?:earlier|ago|before|back))"
                                    r"|^\s*annually\b", a, re.I))),
    Trap("rate_change", "a policy rate moved, not a growth: 'increasing it from 35 percent to 50 percent'",
         lambda b, a: bool(re.search(r"\bfrom\s+\d+(?:\.\d+)?\s*(?:%|per\s?cent|pc)\s+to\s*$", b[-40:], re.I)
                           or re.match(r"^\s*to\s+\d+(?:\.\d+)?\s*(?:%|per\s?cent|pc)", a, re.I))),
    Trap("range", "one end of a range of estimates: '$3.5-3.8 billion', 'between $4.2 and $4.5 billion'",
         lambda b, a: bool(re.match(r"^\s*(?:(?:-|–)\s*(?:US)?\$?|to\s+)\d", a)) or bool(
             re.search(r"\bbetween\s+(?:US)?\$?\s*$|(?<![\w.])(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\s*(?:-|–|to)\s*(?:US)?\$?\s*$",
                       b[-30:], re.I))),
)


def trap(before: str, after: str) -> str | None:
    """The name of the first rule that says the figure is not a value of its indicator, else None."""
    for rule in TRAPS:
        if rule.test(before, after):
            return rule.name
    return None

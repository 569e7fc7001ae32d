"""Subjects: which family of figures an amount after a mention belongs to (IT exports, textile
exports, India's IT exports, Canada's exports to Pakistan, ...), in the order overlaps are settled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IT_TERM = (
    r"(?:IT|ICT|I\.T\.|(?i:information\s+technology)|IT\s*(?:&|and)\s*IT[- ]?(?i:enabled\s+services)"
    r"|IT\s*(?:&|and)\s*(?i:ITeS)|IT[- ](?i:enabled\s+services)|(?i:ITeS)|(?i:tech(?:nology)?)"
    r"|(?i:telecom(?:munications?)?,?\s+computers?,?\s+and\s+information(?:\s*\((?:ICT|IT)\))?\s+services)"
    r"|(?i:software\s+and\s+IT))"
)
_EXPORTS = (
    r"(?i:exports?(?:['’]?\s+(?:earnings|proceeds|receipts|revenues?|inflows|remittances))?"
    r"|export\s+(?:earnings|proceeds|receipts|revenues?|inflows|remittances)"
    r"|(?:services?\s+)?remittances)"  # "ICT services remittances": SBP's IT export remittances
)
_OTHER_COUNTRY = (
    r"(?:India|Indian|Bangladesh|Bangladeshi|Philippines|Filipino|Sri\s+Lanka|Sri\s+Lankan|"
    r"Vietnam|Vietnamese|China|Chinese|Egypt|Egyptian|Ukraine|Ukrainian|Israel|Israeli|Ireland|"
    r"Irish|Poland|Polish|Brazil|Malaysia|Indonesia|Kenya|Nigeria|the\s+region|regional|global|"
    r"worldwide|world|Saudi|UAE|Turkey|Turkish)"
)
_DESTINATION = (
    r"\s+(?:to|from)\s+(?:the\s+)?(?:United\s+States|US|U\.S\.|UK|United\s+Kingdom|UAE|Saudi|"
    r"Europe|EU|Canada|China|Gulf|Middle\s+East|Germany|Ireland|Singapore|"
    r"(?!(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar"
    r"|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b)[A-Z][a-z]+\b(?<!Pakistan))"
)

# (family, pattern): the family an amount after this mention belongs to.
TOPIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # A net figure or a surplus is never exports, whoever's they are ("net ICT exports of $555m").
    ("negative", re.compile(
        r"(?i:\bnet\s+(?:IT\s+|ICT\s+|IT\s+and\s+ITeS\s+|services?\s+)?(?:exports?|inflows?|earnings)"
        r"|\b(?:trade\s+)?surplus|\bnumber\s+of\s+\w+|\b(?:estimated\s+)?size\s+of\b|\bcontribution\s+to\b)")),
    # Canada-Pakistan trade, from either side: Pakistan's exports to Canada are Canada's imports from
    # Pakistan (as Pakistan reports them), and the other way round.
    ("ca_exports_to_pk", re.compile(
        r"(?i:(?:Canad(?:a|ian)(?:'s|’s)?\s+(?:merchandise\s+|goods\s+)?exports?\s+to\s+Pakistan)"
        r"|exports?\s+(?:from\s+Canada\s+)?to\s+Pakistan|Canada\s+exported(?=[^.;]{0,50}\bto\s+Pakistan)"
        r"|Canada\s*(?:→|->)\s*Pakistan|(?:Pakistan(?:'s|’s|i)?\s+)?imports?\s+from\s+Canada"
        r"|Pakistan\s+imported(?=[^.;]{0,50}\bfrom\s+Canada))")),
    ("ca_imports_from_pk", re.compile(
        r"(?i:(?:Canad(?:a|ian)(?:'s|’s)?\s+(?:merchandise\s+|goods\s+)?)?imports?\s+from\s+Pakistan"
        r"|Canada\s+imported(?=[^.;]{0,50}\bfrom\s+Pakistan)"
        r"|(?:Pakistan(?:'s|’s|i)?\s+)?(?:merchandise\s+|goods\s+)?exports?\s+to\s+Canada"
        r"|Pakistan\s+exported(?=[^.;]{0,50}\bto\s+Canada))")),
    # another destination's trade: "exports to Holland", "Pakistani exports to UAE", "where Pakistan exported"
    ("negative", re.compile(
        r"(?i:exports?\s+to\s+(?!Canada\b|Pakistan\b)(?:the\s+)?[A-Z][A-Za-z]+"
        r"|Pakistan\s+exported\s+(?:goods|products|items|merchandise)"
        r"|imports?\s+from\s+(?!Canada\b|Pakistan\b)(?:the\s+)?[A-Z][A-Za-z]+)")),
    ("ca_pk_trade", re.compile(
        r"(?i:(?:bilateral|two-way|joint)\s+(?:merchandise\s+|goods\s+)?trade(?:\s+volumes?)?|"
        r"Canada[-–\s]Pakistan\s+(?:bilateral\s+)?trade|trade\s+between\s+(?:Canada\s+and\s+Pakistan"
        r"|Pakistan\s+and\s+Canada)|trade\s+volumes?)")),
    ("ca_tech_wage", re.compile(
        r"(?i:median\s+(?:annual\s+)?(?:wage|salary|pay|earnings|income)|median(?=\s+(?:of\s+)?(?:C?\$|CAD)))")),
    ("wage_other", re.compile(r"(?i:average\s+(?:annual\s+)?(?:wage|salary|pay)|salar(?:y|ies)|wages?)")),
    ("ca_tech_value", re.compile(
        r"(?i:tech(?:nology)?\s+(?:sector|industry)(?:'s|’s)?\s+(?:(?!exports?\b)\w+\s+){0,3}?"
        r"(?:worth|valued|value|contribut\w*|generat\w*|added|adds|output|economic\s+(?:impact|value))"
        r"|(?:worth|valued|value)\s+of\s+(?:Canada's\s+)?tech(?:nology)?\s+(?:sector|industry))")),
    ("it_partial", re.compile(
        rf"{_IT_TERM}\s+(?:services?\s+)?{_EXPORTS}{_DESTINATION}"
        r"|(?i:computer\s+services?\s+exports?|exports?\s+of\s+computer\s+services|"
        r"telecom(?:munications?)?\s+(?:services?\s+)?exports?|exports?\s+of\s+telecom\w*\s+services|"
        r"freelanc\w*\s+(?:exports?|earnings|income|remittances)|software\s+exports?)")),
    ("it", re.compile(
        rf"{_IT_TERM}(?:\s*\((?:IT|ICT|ITeS)\))?(?:[\s-]+(?i:related|enabled|based))?"
        rf"(?:\s+(?:and\s+)?(?i:services?|sector(?:'s)?|industry(?:'s)?|companies'?|firms'?))?"
        rf"\s*{_EXPORTS}"
        rf"|(?i:exports?\s+of\s+(?:the\s+)?(?:country's\s+)?(?:[a-z]+\s+){{0,2}}?){_IT_TERM}(?:\s+(?i:(?:and|&)\s+\S+\s+)?(?i:services?))?"
        rf"|{_IT_TERM}\s+(?i:sector|industry)\s+(?i:(?:earned|exported|fetched|brought\s+in))")),
    # "The IT sector made an export of ...", "the ITeS sector has recorded exports worth ...": the
    # sector named without the word "exports" next to it; IT only where the sentence speaks of exports.
    ("it_weak", re.compile(
        rf"{_IT_TERM}(?:\s*\([^)]{{1,12}}\))?(?:\s+(?:and|&)\s+{_IT_TERM}(?:\s*\([^)]{{1,12}}\))?)?"
        r"\s+(?i:sector|industry|services?)\b"
        r"|(?i:telecom(?:munications?)?,?\s+computers?,?\s+and\s+information(?:\s*\((?:ICT|IT)\))?\s+services)")),
    ("it_partial", re.compile(
        r"(?i:\b(?:telecom(?:munications?)?|computer|call\s+cent(?:re|er)s?|software\s+consultancy)\s+services?\b"
        r"(?!\s*,?\s*(?:and\s+)?(?:computer|information))"
        r")")),
    ("negative", re.compile(
        r"(?i:(?:textiles?|apparel|garments?|knitwear|clothing|rice|food|petroleum|goods|merchandise|"
        r"overall|total|national|agricultural|mango|sugar|cement|leather|sports\s+goods|surgical|"
        r"(?<!IT\s)(?<!ICT\s)(?<!IT-enabled\s)services)\s+exports?"
        r"|exports?\s+of\s+(?:goods|textiles?|rice|merchandise)"
        r"|(?:Pakistan(?:'s|’s)|the\s+country(?:'s|’s))\s+exports?"
        r"|(?<!export\s)(?<!exports\s)(?<!exports’\s)(?<!exports'\s)remittances?|imports?|trade\s+deficit|current\s+account|foreign\s+direct\s+investment|FDI|"
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
            if family == "it_partial" and DESCRIBES_WHOLE_RE.search(sentence[max(0, m.start() - 70) : m.start()]):
                continue  # "IT exports comprising computer services and call centre services"
            if family == "it_weak":
                if not _SPEAKS_OF_EXPORTS_RE.search(sentence):
                    continue
                family = "it"
            if family == "it":
                family_here = _it_owner(sentence, m.start())
            taken.append(Topic(family_here, m.start(), m.end()))
    return sorted(taken, key=lambda t: t.start)


DESCRIBES_WHOLE_RE = re.compile(r"\b(?:compris\w*|includ\w*|encompass\w*|such\s+as|consist\w*\s+of|namely)\b", re.I)
_SPEAKS_OF_EXPORTS_RE = re.compile(r"(?i:export|remittance|\bearn|receipts)")
# "Telangana's IT exports", "Punjab's IT exports": a possessive that is not Pakistan's is another
# economy's figure (a country, a province, a state, a city).
OTHER_OWNER_RE = re.compile(r"\b(?P<owner>[A-Z][a-z]+)(?:'s|’s)\s+(?:\S+\s+){0,2}$")
_NOT_AN_ECONOMY = frozenset({
    "pakistan", "country", "nation", "sector", "industry", "government", "year", "month", "quarter", "the",
    "this", "last", "its", "their", "today", "week", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})


def _it_owner(sentence: str, start: int) -> str:
    """Whose IT exports: India's are not Pakistan's, Canada's ICT exports are their own indicator."""
    before = sentence[max(0, start - 40) : start]
    if FOREIGN_BEFORE_RE.search(before):
        return "foreign"
    owner = OTHER_OWNER_RE.search(before)
    if owner and owner.group("owner").lower() not in _NOT_AN_ECONOMY and not owner.group("owner").startswith("Canad"):
        return "foreign"
    if CANADA_OWNER_RE.search(before):
        return "ca_ict"
    return "it"



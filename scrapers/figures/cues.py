"""Cue words around a figure that decide its role (actual, change, comparison base) and its
modality (actual, target, forecast), and the wording of year-on-year vs month-on-month growth.
"""

from __future__ import annotations

import re

from scrapers.figures.periods import MONTH

TARGET_RE = re.compile(
    r"\b(?:target(?:s|ed|ing)?|aim(?:s|ed|ing)?|goal|eyes|eyeing|envisag\w+|vision|ambition|plans?\s+to|"
    r"seeks?\s+to|intends?\s+to|Uraan)\b",
    re.IGNORECASE,
)
# Modal verbs stay lower-case: "May" is a month.
FORECAST_RE = re.compile(
    r"\b(?:could|may|might|would|will|should|if)\b"
    r"|(?i:\b(?:expect\w*|project\w*|forecast\w*|likely|estimates?|poised|set\s+to|on\s+track|"
    r"potential(?!\s+(?:IT|ICT|tech\w*|sector|industry)\b)\w*|anticipat\w+|hope[sd]?|predict\w*|outlook|can\s+reach)\b)"
)
CHANGE_BEFORE_RE = re.compile(
    r"\b(?:increase|rise|jump|growth|decline|drop|fall|gain|surge|up|down|more|higher|lower|by|"
    r"increased|rose|grew|surged|jumped|climbed|declined|fell|dropped|dipped|increment|addition)\s+"
    r"(?:of\s+)?(?:about\s+|nearly\s+|around\s+|over\s+)?$",
    re.IGNORECASE,
)
CHANGE_AFTER_RE = re.compile(
    r"^\s*(?:(?:was|were|is)\s+)?(?:more|higher|less|lower|increase|jump|rise|decline)\b", re.I
)
# "the same period last year", "the corresponding months of FY23": the base of a comparison
SAME_SPAN_RE = re.compile(
    r"\b(?:same|corresponding|comparable|similar|like)\s+(?:period|months?|time|span|quarter|half)\b", re.I
)
COMPARISON_BEFORE_RE = re.compile(
    r"\b(?:compared\s+(?:to|with)|against|versus)\b[^$%;]{0,60}\b(?:stood|were|was|amounted|totall?ed)\s+"
    r"(?:at\s+)?(?:about\s+)?$"
    r"|\b(?:compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|as\s+against|versus)\b[^$%;.\d]{0,45}$"
    r"|\b(?:from|compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|against|versus|vs\.?|v/s|over|than)\s+(?:the\s+)?"
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
    r"(?:a|one|the)\s+year\s+(?:earlier|ago|before)|same\s+(?:month|period)\s+(?:of\s+)?(?:the\s+)?"
    r"(?:last|previous|preceding|prior)\s+year|corresponding\s+(?:month|period)|"
    rf"(?:from|over|against|than|compared\s+(?:to|with))\s+(?:the\s+)?(?:last|previous)\s+year|"
    rf"(?:from|over|against|than|compared\s+(?:to|with))\s+(?:in\s+)?{MONTH}\.?\s+20\d\d)",
    re.IGNORECASE,
)
GROWTH_RE = re.compile(
    r"\b(?:up|rose|rise|rising|grew|growth|grown|grow|growing|increase[sd]?|increasing|jump(?:ed|s)?|"
    r"surge[sd]?|surging|climb(?:ed|s)?|higher|expan(?:ded|sion)|gain(?:ed|s)?|soar(?:ed|s)?|"
    r"boost(?:ed)?|rebound(?:ed)?|spike[sd]?|increment)\b",
    re.IGNORECASE,
)
DECLINE_RE = re.compile(
    r"\b(?:down|fell|fall(?:en|ing)?|declin\w+|decrease[sd]?|drop(?:ped|s)?|lower|slump\w*|"
    r"contract\w*|plunge[sd]?|dipped|shrank|negative)\b",
    re.IGNORECASE,
)

REFERENCE_BEFORE_RE = re.compile(
    r"\b(?:over|from|than|against|compared\s+(?:to|with)|versus|vs\.?)\s+(?:in\s+)?(?:the\s+)?"
    r"(?:same\s+\w+\s+(?:of\s+)?(?:the\s+)?)?$",
    re.IGNORECASE,
)




"""Sentences and clauses: the units within which a figure, its subject and its period are paired."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "e.g", "i.e", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "rs",
    "u.s", "approx", "est", "govt", "dept", "fig",
}
LAST_WORD_RE = re.compile(r"(\S+)[.!?][\"”’)\]]?$")
SENTENCE_END_RE = re.compile(
    r"(?<=[.!?])[\"”’)\]]?\s+(?=[\"“‘(\[]?[A-Z0-9$])"
    r"|(?<=\)\.)(?=[A-Z][a-z])|(?<=[a-z]{3}\.)(?=[A-Z][a-z]{2})"  # "(2023-24).Shaza": a stop with no space
)
MAJOR_BREAK_RE = re.compile(r";|\bwhile\b|\bwhereas\b|\bbut\b|,\s+and\b|,\s+with\b|\.\s", re.I)
MINOR_BREAK_RE = re.compile(r",(?=\s)|\(|\)|\s[–—]\s|:\s")
RELATIVE_CLAUSE_RE = re.compile(r"^\s*(?:which|who|that|according|as\s+per|said|data\s+showed)\b", re.I)
COMPARISON_CLAUSE_RE = re.compile(
    r"^\s*(?:(?:as\s+)?compared|as\s+against|against|versus|vs\.?|up\s+from|down\s+from|from(?=\s+(?:US\s*)?\$|\s+\d)|"
    r"in\s+comparison|when\s+(?:they|it|exports)\s+(?:were|was|stood))\b", re.I
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


def clause_at(clauses: list[Clause], pos: int) -> Clause:
    for clause in clauses:
        if clause.start <= pos < clause.end:
            return clause
    return clauses[-1]



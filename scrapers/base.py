"""The contract every extractor honours, and the registry that finds them by `kind`.

An extractor is a pure function of a fetched document: bytes in, observations out. No network, no
database, no clock (the publication date comes in as an argument), so every extractor can be
tested from a file and run by `bridgewatch extract` exactly as `refresh` runs it.

Kinds register themselves the way urlwatch's filters do: a module decorates its function with
`@extractor("worldbank")`, and the function's docstring is what `bridgewatch sources --kinds`
prints. Kinds that find further documents (feeds, listings, paged APIs) also register a
`@follower`, which returns the URLs to fetch next and the kind that reads them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class ExtractError(ValueError):
    """The document is not in the shape this kind expects (a renamed sheet, a missing JSON key).

    The message says what was missing; the pipeline adds the source id and URL.
    """


@dataclass(frozen=True, slots=True)
class Observation:
    """One figure read from one document: a fact with its evidence, before any judgement."""

    indicator: str
    period: str
    value: float
    unit: str
    evidence: str = ""
    confidence: float = 1.0
    # Dimensions that tell two values for the same indicator and period apart (reporter, flow).
    variant: str = ""
    # Anything else worth keeping with the value (a (P)/(R) flag, the source's own label).
    meta: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        """The line `bridgewatch extract` prints (SPEC.md, the extraction contract)."""
        value: float | int = int(self.value) if float(self.value).is_integer() else self.value
        record: dict[str, Any] = {
            "indicator": self.indicator,
            "period": self.period,
            "value": value,
            "unit": self.unit,
            "evidence": self.evidence,
            "confidence": round(self.confidence, 3),
        }
        if self.variant:
            record["variant"] = self.variant
        if self.meta:
            record["meta"] = dict(self.meta)
        return json.dumps(record, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What an extractor may know about the source it reads: never credentials, never state."""

    id: str
    kind: str
    url: str
    indicators: tuple[str, ...] = ()
    selector: str | None = None
    pattern: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    """A fetched body with what the extractor needs to interpret it."""

    body: bytes
    url: str
    source: SourceSpec
    content_type: str = ""
    published: date | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A further document a source points to: an article in a feed, the next page of an API."""

    url: str
    kind: str
    # Articles are fetched once ever; pages of a paged API every time their first page changes.
    once: bool = False
    published: date | None = None
    title: str = ""


Extractor = Callable[[Document], list[Observation]]
Follower = Callable[[Document], list[FollowUp]]
# A cheaper "has this changed?" than the body hash, for sources that stamp their data (an API's
# `lastupdated`): same fingerprint, no extraction.
Fingerprinter = Callable[[bytes], "str | None"]

EXTRACTORS: dict[str, Extractor] = {}
FOLLOWERS: dict[str, Follower] = {}
FINGERPRINTERS: dict[str, Fingerprinter] = {}


def extractor(kind: str) -> Callable[[Extractor], Extractor]:
    """Register `fn` as the extractor for source `kind`."""

    def register(fn: Extractor) -> Extractor:
        if kind in EXTRACTORS:
            raise RuntimeError(f"extractor kind {kind!r} registered twice")
        EXTRACTORS[kind] = fn
        return fn

    return register


def follower(kind: str) -> Callable[[Follower], Follower]:
    """Register `fn` as the link finder for source `kind`."""

    def register(fn: Follower) -> Follower:
        FOLLOWERS[kind] = fn
        return fn

    return register


def fingerprinter(kind: str) -> Callable[[Fingerprinter], Fingerprinter]:
    """Register `fn` as the change fingerprint for source `kind`."""

    def register(fn: Fingerprinter) -> Fingerprinter:
        FINGERPRINTERS[kind] = fn
        return fn

    return register


def kinds() -> dict[str, str]:
    """Every registered kind with the first line of its docstring."""
    from scrapers import load_all

    load_all()
    return {
        kind: ((fn.__doc__ or "").strip().splitlines() or [""])[0]
        for kind, fn in sorted(EXTRACTORS.items())
    }

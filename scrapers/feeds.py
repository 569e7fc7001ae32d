"""News feeds, RSS or Atom (`kind = "feed"`): find new on-topic articles and hand them to `html`.

The feed itself yields no figures: an entry's summary is a teaser of the article, and reading the
article (once ever, by the `html` kind) gives the same figures with the full sentence as evidence
and without counting them twice. The follower picks entries whose title or summary is about the
watched topics — IT/ICT and software-services exports, Canada–Pakistan trade and technology, the
Punjab IT Board, NFTP, the National Incubation Center, e-Rozgaar, freelancing, PSEB — so a
business feed's hundred daily items cost a handful of article fetches.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from scrapers.base import Document, ExtractError, FollowUp, Observation, extractor, follower

# Acronyms are matched case-sensitively ("IT", not "it"); words are not.
TOPICS: dict[str, re.Pattern[str]] = {
    "it_exports": re.compile(
        r"\b(?:IT|ICT|ITeS)\b.{0,60}?(?i:\bexport)|(?i:\bexport).{0,60}?\b(?:IT|ICT|ITeS)\b"
    ),
    "services_exports": re.compile(
        r"(?i:\b(?:software|IT[- ]enabled|tech(?:nology)?|computer|digital)\s+(?:services?\s+)?"
        r"(?:exports?|export\s+(?:earnings|proceeds|receipts)))"
    ),
    "programmes": re.compile(
        r"\b(?:PITB|NFTP|PSEB|NIC|P@SHA)\b|(?i:punjab\s+(?:information\s+technology|IT)\s+board|"
        r"national\s+incubation\s+cent(?:er|re)|e-?rozgaa?r|freelanc\w*|pakistan\s+software\s+export\s+board|"
        r"national\s+freelance\s+training)"
    ),
}
CANADA = re.compile(r"(?i)\bcanad(?:a|ian)s?\b")
PAKISTAN = re.compile(r"(?i)\bpakistan")
BILATERAL = re.compile(r"(?i)\b(?:trade|tech\w*|digital|software|invest\w*|exports?|imports?|startups?|IT)\b")
_TAGS = re.compile(r"<[^>]+>")


def parse_feed(body: bytes) -> Any:
    """The parsed feed; a body that is neither RSS nor Atom is an error, an empty feed is not."""
    try:
        parsed = feedparser.parse(body)
    except Exception as exc:  # feedparser is lenient, but a garbled XML declaration still raises
        raise ExtractError(f"not an RSS or Atom feed: {type(exc).__name__}: {exc}") from None
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ExtractError(f"not an RSS or Atom feed{f': {reason}' if reason else ''}")
    return parsed


def topics_of(title: str, summary: str) -> list[str]:
    """Which watched topics an entry is about (empty: not for us)."""
    text = re.sub(r"\s+", " ", f"{title}. {_TAGS.sub(' ', summary)}")
    found = [name for name, pattern in TOPICS.items() if pattern.search(text)]
    if CANADA.search(text) and PAKISTAN.search(text) and BILATERAL.search(text):
        found.append("canada_pakistan")
    return found


def _link(entry: Any, base: str) -> str | None:
    href = entry.get("link")
    if not href:
        alternates = [link for link in entry.get("links", []) if link.get("rel", "alternate") == "alternate"]
        href = alternates[0].get("href") if alternates else None
    return urljoin(base, href.strip()) if href else None


def _published(entry: Any) -> date | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return date(*stamp[:3]) if stamp else None


@extractor("feed")
def extract_feed(doc: Document) -> list[Observation]:
    """RSS/Atom news feed: no figures of its own; on-topic entries are fetched once as articles."""
    parse_feed(doc.body)  # a feed that turned into an error page is reported, not silently empty
    return []


@follower("feed")
def on_topic_articles(doc: Document) -> list[FollowUp]:
    """Entries about the watched topics, newest first as the feed lists them, each fetched once."""
    out: dict[str, FollowUp] = {}
    for entry in parse_feed(doc.body).entries:
        title = (entry.get("title") or "").strip()
        summary = entry.get("summary") or entry.get("description") or ""
        url = _link(entry, doc.url)
        if not url or urlsplit(url).scheme not in ("http", "https") or not topics_of(title, summary):
            continue
        kind = "pdf" if urlsplit(url).path.lower().endswith(".pdf") else "html"
        out.setdefault(url, FollowUp(url, kind, once=True, published=_published(entry), title=title[:200]))
    return list(out.values())

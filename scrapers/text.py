"""Plain text (`kind = "text"`): a report or a pasted article, read by the figure reader."""

from __future__ import annotations

from scrapers.base import Document, ExtractError, Observation, extractor
from scrapers.figures import read_figures


def decode(body: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractError("text is neither UTF-8 nor Windows-1252")


@extractor("text")
def extract_text(doc: Document) -> list[Observation]:
    """Plain text: figures read from the whole text."""
    return read_figures(decode(doc.body)[:200_000], doc.published, doc.source.indicators or None)

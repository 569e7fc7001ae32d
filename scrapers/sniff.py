"""Which kind reads a document when nobody said: by its first bytes, as `file` would."""

from __future__ import annotations

import io
import zipfile

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE2 files)


def sniff(body: bytes, url: str = "") -> str:
    """The kind whose extractor fits `body` (falls back to plain text)."""
    head = body[:2048].lstrip()
    lower = head.lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if body.startswith(_OLE):
        return "sbp_ebops"
    if body.startswith(b"PK"):
        try:
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        except zipfile.BadZipFile:
            return "text"
        return "wipo_gii" if "xl/workbook.xml" in names else "statcan_cimt"
    if head.startswith(b"["):
        return "worldbank"
    if head.startswith(b"{") and (b"elapsedTime" in body[:4096] or b'"data"' in body[:4096]):
        return "comtrade"
    if b"<rss" in lower or b"<feed" in lower or b"<rdf:rdf" in lower:
        return "feed"
    if b"<html" in lower or b"<!doctype html" in lower or b"<body" in lower or b"<p>" in lower:
        return "html"
    return "text"

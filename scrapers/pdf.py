"""PDF reports (`kind = "pdf"`): the text layer through the figure reader, like an article.

Reports such as the PSEB annual report have no feed and no table to parse: their text goes to
scrapers.figures with the source's indicators, exactly as a web article's would. A scanned PDF has
no text layer; it yields nothing here, and the pipeline's document hash still tells that the file
changed. A damaged or truncated file is an ExtractError, never a crash.
"""

from __future__ import annotations

import io
import re
from datetime import date

from scrapers.base import Document, ExtractError, Observation, extractor
from scrapers.figures import read_figures

MAX_PAGES = 300  # annual reports run to ~100 pages; anything longer is not what we were pointed at
MAX_TEXT = 400_000  # characters, as scraped text is untrusted
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")


def pdf_text(body: bytes) -> tuple[str, date | None]:
    """The text of the first MAX_PAGES pages and the document's creation date, if it states one."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if b"%PDF-" not in body[:1024]:  # the header may follow a little junk, never much
        raise ExtractError("not a PDF document (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")  # "encrypted" with an empty user password: readable, only marked
            except Exception:
                raise ExtractError("PDF is encrypted and cannot be read without a password") from None
        parts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size > MAX_TEXT:
                break
        created = _metadata_date(reader)
    except ExtractError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError,
            RecursionError, AssertionError, ZeroDivisionError) as exc:
        raise ExtractError(f"PDF cannot be read (damaged or truncated?): {type(exc).__name__}: {exc}") from None
    return "\n".join(parts)[:MAX_TEXT], created


def _metadata_date(reader: object) -> date | None:
    try:
        info = reader.metadata  # type: ignore[attr-defined]
        raw = (info or {}).get("/CreationDate") or (info or {}).get("/ModDate")
    except Exception:  # broken Info dictionaries are common and harmless
        return None
    if raw and (m := _PDF_DATE.match(str(raw))):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


@extractor("pdf")
def extract_pdf(doc: Document) -> list[Observation]:
    """PDF report: figures read from its text layer (a scanned PDF yields none; its hash still changes)."""
    text, created = pdf_text(doc.body)
    if not re.search(r"\w", text):
        return []  # scanned pages: nothing to read, the document hash reports the change
    return read_figures(text, doc.published or created, doc.source.indicators or None)

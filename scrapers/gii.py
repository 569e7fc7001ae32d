"""WIPO Global Innovation Index data workbook (xlsx): Pakistan's rank in ICT services exports.

WIPO publishes each edition's indicators as `wipo-pub-2000-YYYY-tech1.xlsx`; its sheet "Data"
has one row per economy and indicator with columns including ISO3, NUM (the indicator's number),
NAME (the indicator's name), DATAYR, SCORE and RANK. Indicator numbers move between editions when
the framework changes, so the row is chosen by its NAME ("ICT services exports"); a `num`
parameter, when set, must agree with it (`num = "6.3.4"` matches the workbook's `OUT.6.3.4`).

The edition (period `GII-YYYY`) comes, in order, from the source parameter `edition`, the
workbook's own title ("Global Innovation Index 2024" in its properties or first rows), then the
file name (`…-2024-tech1.xlsx`). Without any of them the workbook is refused rather than guessed.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from scrapers.base import Document, ExtractError, Observation, extractor

SHEET = "data"
PAKISTAN = "PAK"
INDICATOR_NAME = "ict services exports"
REQUIRED = ("ISO3", "NAME", "RANK")
HEADER_SCAN_ROWS = 10
_EDITION_TEXT = re.compile(r"(?:Global Innovation Index|GII)\s*(20\d\d)", re.I)
_EDITION_URL = re.compile(r"(?:wipo-pub-\d+-|gii[-_ ]?)(20\d\d)(?:[-_]|\b)", re.I)


def open_book(body: bytes) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ExtractError(f"GII workbook is not a readable .xlsx file: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # openpyxl's InvalidFileException and XML parse errors of damaged parts
        raise ExtractError(f"GII workbook is not a readable .xlsx file: {type(exc).__name__}: {exc}") from None


def _sheet(book: Any) -> Any:
    for name in book.sheetnames:
        if name.strip().lower() == SHEET:
            return book[name]
    raise ExtractError(f"GII workbook has no sheet named 'Data' (sheets: {', '.join(map(repr, book.sheetnames))})")


def _header(rows: list[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols = {str(v).strip().upper(): c for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
        if "ISO3" in cols and ("RANK" in cols or "NAME" in cols):
            missing = [c for c in REQUIRED if c not in cols]
            if missing:
                raise ExtractError(f"GII sheet 'Data' has no column {', '.join(missing)} (header row {r + 1})")
            return r, cols
    raise ExtractError(f"GII sheet 'Data': no header row with columns {', '.join(REQUIRED)} "
                       f"in the first {HEADER_SCAN_ROWS} rows")


def edition(book: Any, url: str, params: dict[str, Any]) -> tuple[int, str]:
    """The edition year and where it was read from."""
    if params.get("edition"):
        match = re.search(r"20\d\d", str(params["edition"]))
        if not match:
            raise ExtractError(f"GII: parameter edition={params['edition']!r} has no year")
        return int(match[0]), "parameter"
    props = book.properties
    for text in (props.title, props.subject, props.description, props.keywords):
        if text and (m := _EDITION_TEXT.search(str(text))):
            return int(m[1]), "workbook properties"
    for ws in book.worksheets[:3]:
        for row in ws.iter_rows(min_row=1, max_row=3, values_only=True):
            for value in row:
                if isinstance(value, str) and (m := _EDITION_TEXT.search(value)):
                    return int(m[1]), f"sheet {ws.title!r}"
    if m := _EDITION_URL.search(url.rsplit("/", 1)[-1]):
        return int(m[1]), "file name"
    raise ExtractError("GII: cannot tell the edition (no 'Global Innovation Index YYYY' in the workbook, no year in "
                       "the file name); set edition = YYYY on the source")


def _cell(row: tuple[Any, ...], cols: dict[str, int], key: str) -> Any:
    i = cols.get(key)
    return row[i] if i is not None and i < len(row) else None


def indicator_number(value: Any) -> str:
    """'6.3.4' for 'OUT.6.3.4', 'out 6.3.4', ' 6.3.4 ' or '6.3.4': the data workbook prefixes the
    number with its sub-index (INP./OUT.), where the report and a configured `num` do not."""
    text = str(value if value is not None else "").strip()
    return re.sub(r"^[A-Za-z]+[.\s_:-]*(?=\d)", "", text)


def _pick(rows: list[tuple[Any, ...]], cols: dict[str, int], iso3: str, num: str | None) -> tuple[Any, ...] | None:
    mine = [r for r in rows if str(_cell(r, cols, "ISO3") or "").strip().upper() == iso3]
    if not mine:
        raise ExtractError(f"GII sheet 'Data' has no row with ISO3 {iso3}")
    named = [r for r in mine if INDICATOR_NAME in str(_cell(r, cols, "NAME") or "").lower()]
    if num is not None:
        by_num = [r for r in mine if indicator_number(_cell(r, cols, "NUM")) == indicator_number(num)]
        if by_num and by_num[0] not in named:
            raise ExtractError(f"GII: indicator {num} is now {_cell(by_num[0], cols, 'NAME')!r}, "
                               "not ICT services exports (methodology changed?)")
        named = by_num or named
    if not named:
        return None
    # "ICT services exports, % total trade" and nothing else; a near-duplicate name is ambiguous
    exact = [r for r in named if str(_cell(r, cols, "NAME")).strip().lower().startswith(INDICATOR_NAME)]
    candidates = exact or named
    if len({str(_cell(r, cols, "NAME")) for r in candidates}) > 1:
        names = sorted({str(_cell(r, cols, "NAME")) for r in candidates})
        raise ExtractError(f"GII: several indicators match 'ICT services exports' ({'; '.join(names)}); set num = …")
    return candidates[0]


def _rank(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*", value):
        return float(value)
    return None  # "n/a", empty: not ranked this edition


@extractor("wipo_gii")
def extract_gii(doc: Document) -> list[Observation]:
    """WIPO GII data workbook, sheet 'Data': Pakistan's rank in ICT services exports (period GII-YYYY)."""
    params = dict(doc.source.params)
    iso3 = PAKISTAN
    num = str(params["num"]).strip() if params.get("num") else None
    book = open_book(doc.body)
    try:
        year, where = edition(book, doc.url, params)
        rows = list(_sheet(book).iter_rows(values_only=True))
    except ExtractError:
        raise
    except Exception as exc:  # a damaged sheet part surfaces only when it is read
        raise ExtractError(f"GII workbook: cannot read sheet 'Data': {type(exc).__name__}: {exc}") from None
    finally:
        book.close()
    head, cols = _header(rows)
    row = _pick(rows[head + 1 :], cols, iso3, num)
    if row is None:
        raise ExtractError(f"GII sheet 'Data': no row for {iso3} whose NAME contains 'ICT services exports'")
    rank = _rank(_cell(row, cols, "RANK"))
    if rank is None:
        return []
    name = str(_cell(row, cols, "NAME")).strip()
    meta = {"edition_from": where, "name": name}
    for key in ("NUM", "DATAYR", "SCORE"):
        if (value := _cell(row, cols, key)) is not None:
            meta[key.lower()] = value
    evidence = f"GII {year} data, {iso3}, {meta.get('num', '')} {name}: rank {rank:g}".replace("  ", " ")
    obs = Observation("pk_gii_ict_services_exports_rank", f"GII-{year}", rank, "rank", evidence, 1.0, meta=meta)
    if doc.source.indicators and obs.indicator not in doc.source.indicators:
        return []
    return [obs]

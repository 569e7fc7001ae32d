"""State Bank of Pakistan services-trade workbook `dt.xls` (`kind = "sbp_ebops"`).

The sheet "EBOPS " (SBP leaves a trailing space in the name) has one header row of period labels —
`Oct-26 (P)` for a month, `Jul-Oct, FY27 (P)` for the fiscal year to date — each over a group of
Credit, Debit and Net columns, in US$ thousands. The headline is the credit of the row
`9. Telecommunications, Computer and information services`.

SBP inserts rows and columns between releases, so nothing is read by position: the sheet by its
stripped name, the header row by its period labels, the Credit column by its sub-header, the row
by its label. A (P)rovisional value that comes back (R)evised with another number is a revision;
the flag is kept in `meta` so a digest can say which it was.

The workbook is legacy .xls (xlrd); should SBP switch the same file to .xlsx, openpyxl reads it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from scrapers.base import Document, ExtractError, Observation, extractor

SHEET = "EBOPS"
HEADLINE = re.compile(r"^9\.?\s+telecommunications?,?\s+computer,?\s+and\s+information\s+services?\b", re.I)
SUB_ROW = re.compile(r"^(9(?:\.\d+)+)\.?\s+(.+)$")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MON = "|".join(_MONTHS)
# "May-26 (P)", "May 26 (R)", "May-2026"
MONTH_LABEL = re.compile(rf"^({_MON})[a-z]*[-\s']*(\d{{2}}|\d{{4}})\s*(?:\(\s*([PR])\s*\))?$", re.I)
# "Jul-May, FY26 (P)", "Jul-Jun FY2025-26 (R)", "FY26 (R)"
SPAN_LABEL = re.compile(
    rf"^(?:({_MON})[a-z]*\s*-\s*({_MON})[a-z]*\s*,?\s*)?FY\s*'?(\d{{2}}|\d{{4}})(?:\s*-\s*\d{{2}})?\s*(?:\(\s*([PR])\s*\))?$",
    re.I,
)
THOUSAND = 1000.0  # the sheet is in US$ thousands
HEADER_SCAN_ROWS = 25  # the period header sits near the top; data starts below it


@dataclass(frozen=True, slots=True)
class Period:
    """One column group of the sheet: what period it covers and where its Credit column is."""

    label: str
    indicator: str  # pk_it_exports_monthly | pk_it_exports_fytd | pk_it_exports_fy
    period: str
    flag: str  # "P", "R" or "" (final)
    column: int  # first column of the group (where the label sits)
    credit: int = -1


@dataclass(slots=True)
class Layout:
    header_row: int
    periods: list[Period] = field(default_factory=list)


# --- reading the workbook -------------------------------------------------------------------------


def read_sheet(body: bytes) -> tuple[str, list[list[Any]]]:
    """The EBOPS sheet as a list of rows of plain cell values (str, float or None)."""
    if body[:2] == b"PK":  # an .xlsx under the old name
        return _read_xlsx(body)
    import xlrd

    try:
        # xlrd prints its warnings to stdout by default, where `bridgewatch extract` writes its JSON
        book = xlrd.open_workbook(file_contents=body, on_demand=True, logfile=io.StringIO())
    except Exception as exc:  # xlrd raises XLRDError, struct.error, AssertionError... on corrupt files
        raise ExtractError(f"SBP workbook is not a readable .xls file: {type(exc).__name__}: {exc}") from None
    try:
        names = book.sheet_names()
        name = _pick_sheet(names)
        sheet = book.sheet_by_name(name)
        rows = [[_xls_cell(c, book.datemode) for c in sheet.row(r)] for r in range(sheet.nrows)]
    except ExtractError:
        raise
    except Exception as exc:
        raise ExtractError(f"SBP workbook: cannot read sheet: {type(exc).__name__}: {exc}") from None
    finally:
        book.release_resources()
    return name, rows


def _read_xlsx(body: bytes) -> tuple[str, list[list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:
        raise ExtractError(f"SBP workbook is not a readable .xls/.xlsx file: {type(exc).__name__}: {exc}") from None
    try:
        name = _pick_sheet(book.sheetnames)
        rows = [[_plain(v) for v in row] for row in book[name].iter_rows(values_only=True)]
    except ExtractError:
        raise
    except Exception as exc:  # a damaged sheet part only shows when it is read
        raise ExtractError(f"SBP workbook: cannot read sheet: {type(exc).__name__}: {exc}") from None
    finally:
        book.close()
    return name, rows


def _pick_sheet(names: list[str]) -> str:
    for name in names:
        if name.strip().upper() == SHEET:
            return name
    raise ExtractError(f"SBP workbook has no sheet named {SHEET!r} (sheets: {', '.join(map(repr, names))})")


def _xls_cell(cell: Any, datemode: int) -> Any:
    """A month header typed as an Excel date ('Oct-25' formatted mmm-yy) becomes its label text."""
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _plain(xlrd.xldate.xldate_as_datetime(cell.value, datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return None
    return _plain(cell.value)


def _plain(value: Any) -> Any:
    """Cells as str (whitespace collapsed), float or None; dates as 'Oct-25', numbers typed as text as floats."""
    if isinstance(value, datetime | date):
        return f"{_MONTHS[value.month - 1]}-{value.year % 100:02d}"
    if isinstance(value, str):
        value = re.sub(r"\s+", " ", value).strip()
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?|-?\d+\.\d+|-?\d+", value):
            return float(value.replace(",", ""))
        return value or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


# --- finding the layout ---------------------------------------------------------------------------


def parse_period_label(text: str) -> tuple[str, str, str] | None:
    """'May-26 (P)' -> (pk_it_exports_monthly, '2026-05', 'P'); 'Jul-May, FY26' -> (…fytd, 'FY2025-26:Jul-May', '')."""
    if m := MONTH_LABEL.match(text):
        month = _MONTHS.index(m[1][:3].title()) + 1
        year = _year(m[2])
        return "pk_it_exports_monthly", f"{year:04d}-{month:02d}", (m[3] or "").upper()
    if m := SPAN_LABEL.match(text):
        end_year = _year(m[3])  # FY26 ends in June 2026: FY2025-26
        fiscal = f"FY{end_year - 1}-{end_year % 100:02d}"
        flag = (m[4] or "").upper()
        first, last = (m[1] or "Jul")[:3].title(), (m[2] or "Jun")[:3].title()
        if first != "Jul":
            return None  # a quarter or half-year span: not a fiscal-year-to-date figure
        if last == "Jun":
            return "pk_it_exports_fy", fiscal, flag
        return "pk_it_exports_fytd", f"{fiscal}:{first}-{last}", flag
    return None


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def find_layout(rows: list[list[Any]]) -> Layout:
    """The header row (the one with the most period labels) and each period's Credit column."""
    best: Layout | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        periods = []
        # A month header may be a bare Excel date serial in a General-formatted cell (45931 for
        # Oct-25): a number, read as a month only in a row with 'Credit' sub-headers below it, so a
        # data row whose values happen to fall in the date range is never taken for the header.
        serials = _credit_below(rows, r)
        for c, cell in enumerate(row):
            label = cell if isinstance(cell, str) else _serial_label(cell) if serials else None
            if label and (parsed := parse_period_label(label)):
                periods.append(Period(label, *parsed, column=c))
        if periods and (best is None or len(periods) > len(best.periods)):
            best = Layout(r, periods)
    if best is None:
        raise ExtractError(
            "SBP EBOPS sheet: no header row with period labels like 'May-26 (P)' or 'Jul-May, FY26 (P)' "
            f"in the first {HEADER_SCAN_ROWS} rows"
        )
    best.periods = _credit_columns(rows, best)
    return best


SERIAL_RANGE = (36526.0, 73051.0)  # Excel serials of 2000-01-01 and 2100-01-01 (1900 date system)


def _serial_label(cell: Any) -> str | None:
    """'Oct-25' for 45931.0 (a whole Excel day number of 2000-2099), else None."""
    if not isinstance(cell, float) or not cell.is_integer() or not SERIAL_RANGE[0] <= cell < SERIAL_RANGE[1]:
        return None
    return _plain(datetime(1899, 12, 30) + timedelta(days=cell))


def _credit_below(rows: list[list[Any]], r: int) -> bool:
    return any(isinstance(c, str) and c.lower().startswith(("credit", "receipt"))
               for row in rows[r + 1 : r + 4] for c in row)


def _credit_columns(rows: list[list[Any]], layout: Layout) -> list[Period]:
    """Each period group's Credit column, found by the 'Credit' sub-header below the labels."""
    bounds = [p.column for p in layout.periods] + [max(len(r) for r in rows)]
    sub_rows = rows[layout.header_row : layout.header_row + 4]
    out = []
    for i, period in enumerate(layout.periods):
        column = next(
            (
                c
                for row in sub_rows
                for c in range(period.column, bounds[i + 1])
                if c < len(row) and isinstance(row[c], str) and row[c].lower().startswith(("credit", "receipt"))
            ),
            None,
        )
        if column is None:
            raise ExtractError(
                f"SBP EBOPS sheet: no 'Credit' sub-header under the period {period.label!r} "
                f"(row {layout.header_row + 1}, column {period.column + 1})"
            )
        out.append(Period(period.label, period.indicator, period.period, period.flag, period.column, column))
    return out


def row_label(row: list[Any], first_data_column: int) -> str:
    """The text left of the data: SBP sometimes splits the item code and its name over two cells."""
    parts = [c for c in row[:first_data_column] if isinstance(c, str)]
    if not parts:
        parts = [f"{c:g}" for c in row[:first_data_column] if isinstance(c, float)]
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def find_rows(rows: list[list[Any]], layout: Layout) -> tuple[int, dict[str, tuple[int, str]]]:
    """The headline row index, and the 9.x sub-rows by code ('9.2.5' -> (row, label))."""
    first = min(p.column for p in layout.periods)
    headline, subs = None, {}
    for r in range(layout.header_row + 1, len(rows)):
        label = row_label(rows[r], first)
        if headline is None and HEADLINE.match(label):
            headline = r
        elif headline is not None and (m := SUB_ROW.match(label)) and m[1] not in subs:
            subs[m[1]] = (r, m[2])
        elif headline is not None and re.match(r"^(1[0-9]|[1-8])\.?\s+[A-Za-z]", label):
            break  # the next top-level item: the 9.x block is over
    if headline is None:
        raise ExtractError(
            "SBP EBOPS sheet: no row labelled '9. Telecommunications, Computer and information services'"
        )
    return headline, subs


# --- observations ---------------------------------------------------------------------------------


def _credit(rows: list[list[Any]], r: int, period: Period) -> float | None:
    row = rows[r]
    value = row[period.credit] if period.credit < len(row) else None
    return value * THOUSAND if isinstance(value, float) else None


def _observations(rows: list[list[Any]], layout: Layout, headline: int,
                  subs: dict[str, tuple[int, str]]) -> Iterator[Observation]:
    label = row_label(rows[headline], min(p.column for p in layout.periods))
    values: dict[tuple[str, str], float] = {}
    for period in layout.periods:
        value = _credit(rows, headline, period)
        if value is None:
            continue  # an empty group: not published yet
        values[(period.indicator, period.period)] = value
        meta: dict[str, Any] = {"label": period.label, "unit_in_sheet": "US$ thousand"}
        if period.flag:
            meta["flag"] = period.flag
        parts = {code: v for code, (r, _) in subs.items() if (v := _credit(rows, r, period)) is not None}
        if parts:
            meta["components"] = parts
        evidence = f"EBOPS {label}, {period.label}, Credit: {value / THOUSAND:,.0f} (US$ thousand)"
        yield Observation(period.indicator, period.period, value, "USD", evidence, 1.0, meta=meta)
    yield from _growth(values, layout)


def _growth(values: dict[tuple[str, str], float], layout: Layout) -> Iterator[Observation]:
    """Year-on-year growth where the sheet itself holds the same period a year earlier."""
    flags = {(p.indicator, p.period): p.flag for p in layout.periods}
    for (indicator, period), value in values.items():
        if indicator == "pk_it_exports_monthly":
            year, month = period.split("-")
            earlier, target = f"{int(year) - 1}-{month}", "pk_it_exports_monthly_yoy_pct"
        elif indicator == "pk_it_exports_fy":
            start = int(period[2:6])
            earlier, target = f"FY{start - 1}-{start % 100:02d}", "pk_it_exports_fy_yoy_pct"
        else:
            continue
        before = values.get((indicator, earlier))
        if not before:
            continue
        pct = round((value / before - 1) * 100, 2)
        meta = {"computed_from": [earlier, period]}
        if flags.get((indicator, period)):
            meta["flag"] = flags[(indicator, period)]
        evidence = f"computed: {value / 1e6:,.1f}M ({period}) vs {before / 1e6:,.1f}M ({earlier})"
        yield Observation(target, period, pct, "percent", evidence, 1.0, meta=meta)


@extractor("sbp_ebops")
def extract_sbp(doc: Document) -> list[Observation]:
    """SBP dt.xls, sheet 'EBOPS ': ICT-services export credit by month, FYTD and FY (US$ thousand -> USD)."""
    _, rows = read_sheet(doc.body)
    layout = find_layout(rows)
    headline, subs = find_rows(rows, layout)
    out = list(_observations(rows, layout, headline, subs))
    if doc.source.indicators:
        out = [o for o in out if o.indicator in doc.source.indicators]
    return out

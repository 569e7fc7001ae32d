"""World Bank Indicators API v2 (JSON): ICT service exports for Pakistan and Canada, by calendar year.

The body is `[paging, rows]`; rows carry `indicator.id`, `countryiso3code`, `date` and `value`
(null until published). A bad query still answers HTTP 200 with `[{"message": [...]}]`, so the
shape is checked, not the status. `lastupdated` is the body's fingerprint: a re-ordered but
otherwise identical answer is not re-read.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapers.base import Document, ExtractError, FollowUp, Observation, extractor, fingerprinter, follower

# (World Bank indicator, ISO3 country) -> (bridgewatch indicator, unit)
INDICATORS: dict[tuple[str, str], tuple[str, str]] = {
    ("BX.GSR.CCIS.CD", "PAK"): ("pk_ict_service_exports_cy", "USD"),
    ("BX.GSR.CCIS.CD", "CAN"): ("ca_ict_service_exports_cy", "USD"),
    ("BX.GSR.CCIS.ZS", "PAK"): ("pk_ict_service_exports_share_pct", "percent"),
    ("BX.GSR.CCIS.ZS", "CAN"): ("ca_ict_service_exports_share_pct", "percent"),
}


def _parse(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExtractError(f"World Bank answer is not JSON: {exc}") from None
    except RecursionError:  # [[[[… 200,000 deep: the body is hostile or broken, not an answer
        raise ExtractError("World Bank answer is nested too deeply to be an API answer") from None
    if isinstance(data, list) and data and isinstance(data[0], dict) and "message" in data[0]:
        message = data[0]["message"]
        items = message if isinstance(message, list) else [message]
        messages = "; ".join(
            f"{m.get('key', '')}: {m.get('value', '')}".strip(": ") if isinstance(m, dict) else str(m)[:200]
            for m in items
        )
        raise ExtractError(f"World Bank API error: {messages[:500] or 'no message'}")
    if isinstance(data, dict) and "message" in data:
        raise ExtractError(f"World Bank API error: {str(data['message'])[:500]}")
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict)):
        raise ExtractError("World Bank answer is not the expected [paging, rows] array")
    paging, rows = data
    if rows is None:  # a query with no data at all answers [paging, null]
        rows = []
    if not isinstance(rows, list):
        raise ExtractError("World Bank answer: second element is not a list of rows")
    return paging, rows


def _text(part: Any, default: str) -> str:
    """The `value` label of an {"id", "value"} pair, whatever shape the body gave it."""
    value = part.get("value") if isinstance(part, dict) else None
    return str(value)[:200] if value else default


@extractor("worldbank")
def extract_worldbank(doc: Document) -> list[Observation]:
    """World Bank API v2 JSON: BX.GSR.CCIS.CD / .ZS rows for PAK and CAN (null years skipped)."""
    paging, rows = _parse(doc.body)
    out = []
    for i, row in enumerate(rows):
        try:
            code = row["indicator"]["id"]
            country = row["countryiso3code"] or row["country"]["id"]
            year = str(row["date"])
            value = row["value"]
        except (KeyError, TypeError, IndexError):
            raise ExtractError(f"World Bank row {i} lacks indicator.id, countryiso3code, date or value") from None
        target = INDICATORS.get((code, country)) if isinstance(code, str) and isinstance(country, str) else None
        if value is None or target is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ExtractError(f"World Bank row {i}: value {str(value)[:40]!r} is not a number")
        try:
            number = float(value)
        except ValueError:
            raise ExtractError(f"World Bank row {i}: value {str(value)[:40]!r} is not a number") from None
        indicator, unit = target
        if doc.source.indicators and indicator not in doc.source.indicators:
            continue
        name = _text(row.get("indicator"), code)
        evidence = f"{_text(row.get('country'), country)}, {name}, {year[:20]}: {json.dumps(value)}"
        meta = {"wb_indicator": code, "lastupdated": paging.get("lastupdated")}
        out.append(Observation(indicator, year, number, unit, evidence, 1.0, meta=meta))
    return out


@follower("worldbank")
def next_pages(doc: Document) -> list[FollowUp]:
    """Pages 2..N of a paged answer, read from the first page's paging metadata."""
    paging, _ = _parse(doc.body)
    try:
        page, pages = int(paging.get("page", 1)), int(paging.get("pages", 1))  # may come as strings
    except (TypeError, ValueError):
        raise ExtractError("World Bank paging metadata has no usable page/pages") from None
    if page != 1 or pages <= 1:
        return []
    parts = urlsplit(doc.url)
    query = dict(parse_qsl(parts.query))
    urls = []
    for n in range(2, min(pages, 50) + 1):
        query["page"] = str(n)
        urls.append(urlunsplit(parts._replace(query=urlencode(query, safe=";:"))))
    return [FollowUp(u, "worldbank") for u in urls]


@fingerprinter("worldbank")
def last_updated(body: bytes) -> str | None:
    """The API's own `lastupdated` stamp plus the page: same stamp, same data."""
    try:
        paging, _ = _parse(body)
    except ExtractError:
        return None
    stamp = paging.get("lastupdated")
    return f"{stamp}|{paging.get('page')}|{paging.get('total')}" if stamp else None

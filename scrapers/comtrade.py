"""UN Comtrade public preview API (JSON): Canada–Pakistan goods trade in US$, one year per request.

Body: `{elapsedTime, count, data: [{period, reporterCode, partnerCode, flowCode, primaryValue, …}],
error}`. Canada (M49 124) reporting exports to Pakistan (586) gives `ca_exports_to_pk`, its imports
`ca_imports_from_pk`; Pakistan's own imports from Canada are the mirror view of the same flow.
A reporter's figure and its mirror never agree exactly (CIF vs FOB, timing), so mirror
(Pakistan-reported) values are kept apart as a `variant`; reporter and flow are in meta.
"""

from __future__ import annotations

import json
from typing import Any

from scrapers.base import Document, ExtractError, Observation, extractor

CANADA, PAKISTAN = 124, 586
# (reporter, partner, flow) -> indicator
FLOWS: dict[tuple[int, int, str], str] = {
    (CANADA, PAKISTAN, "X"): "ca_exports_to_pk",
    (CANADA, PAKISTAN, "M"): "ca_imports_from_pk",
    (PAKISTAN, CANADA, "M"): "ca_exports_to_pk",  # mirror: Pakistan's imports from Canada
    (PAKISTAN, CANADA, "X"): "ca_imports_from_pk",  # mirror: Pakistan's exports to Canada
}
NAMES = {CANADA: "Canada", PAKISTAN: "Pakistan"}
# Only the all-commodities, all-customs-procedures, all-modes row is the bilateral total.
_TOTAL_ROW = {"cmdCode": ("TOTAL",), "partner2Code": (0,), "customsCode": ("C00",), "motCode": (0,)}


def parse(body: bytes) -> list[dict[str, Any]]:
    """The `data` rows, after checking the envelope for an API error."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExtractError(f"Comtrade answer is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ExtractError("Comtrade answer is not a JSON object with `data`")
    error = payload.get("error")
    if error:
        raise ExtractError(f"Comtrade API error: {error}")
    if "data" not in payload:
        # The gateway answers {"statusCode": 429, "message": "Rate limit…"} when throttled.
        extra = payload.get("message") or payload.get("statusCode")
        raise ExtractError("Comtrade answer has no `data` key" + (f" ({extra})" if extra else ""))
    data = payload["data"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise ExtractError("Comtrade `data` is not a list")
    return data


def _is_total(row: dict[str, Any]) -> bool:
    """True unless the row states a breakdown (a commodity, a customs procedure, a mode of transport)."""
    for key, allowed in _TOTAL_ROW.items():
        value = row.get(key)
        if value is not None and value not in allowed and str(value) not in map(str, allowed):
            return False
    return True


def _observation(i: int, row: dict[str, Any]) -> Observation | None:
    try:
        reporter, partner = int(row["reporterCode"]), int(row["partnerCode"])
        flow = str(row["flowCode"]).upper()
        period = str(row["period"])
        value = row["primaryValue"]
    except (KeyError, TypeError, ValueError):
        raise ExtractError(
            f"Comtrade data[{i}] lacks reporterCode, partnerCode, flowCode, period or primaryValue"
        ) from None
    indicator = FLOWS.get((reporter, partner, flow))
    if indicator is None or value is None:
        return None
    if len(period) != 4 or not period.isdigit():
        raise ExtractError(f"Comtrade data[{i}]: period {period!r} is not a year (use the annual 'C/A' endpoint)")
    # Canada's own figures are the headline (no variant), compared with any other source's; Pakistan's
    # mirror figures stay apart. The flow is implied by the indicator and kept in meta.
    variant = "" if reporter == CANADA else f"reporter={reporter}"
    verb = {"X": "exports to", "M": "imports from"}.get(flow, flow)
    reporter_name = row.get("reporterDesc") or NAMES.get(reporter, str(reporter))
    partner_name = row.get("partnerDesc") or NAMES.get(partner, str(partner))
    evidence = f"UN Comtrade: {reporter_name} {verb} {partner_name}, {period}, all goods: US${float(value):,.0f}"
    meta = {"reporter": reporter, "partner": partner, "flow": flow, "mirror": reporter != CANADA}
    for key in ("fobvalue", "cifvalue"):
        if row.get(key) is not None:
            meta[key] = row[key]
    return Observation(indicator, period, float(value), "USD", evidence, 1.0, variant, meta)


@extractor("comtrade")
def extract_comtrade(doc: Document) -> list[Observation]:
    """UN Comtrade preview JSON: Canada<->Pakistan goods trade, US$, annual; mirror data kept apart."""
    out: dict[tuple[str, str, str], Observation] = {}
    for i, row in enumerate(parse(doc.body)):
        if not isinstance(row, dict):
            raise ExtractError(f"Comtrade data[{i}] is not an object")
        if not _is_total(row):
            continue
        obs = _observation(i, row)
        if obs is None or (doc.source.indicators and obs.indicator not in doc.source.indicators):
            continue
        key = (obs.indicator, obs.period, obs.variant)
        if key in out and out[key].value != obs.value:
            raise ExtractError(
                f"Comtrade: two different totals for {obs.variant} {obs.period} "
                "(is the query missing cmdCode=TOTAL, partner2Code=0, customsCode=C00, motCode=0?)"
            )
        out[key] = obs
    return list(out.values())

"""`bridgewatch history IND --as-of T | --vintages | --first-release`: the real-time views of an
indicator, printed as a table, CSV or JSON lines (the same forms plain `history` prints).

The queries live in store/vintages.py; this module only chooses the rows and words them. Kept out of
service/cli.py so the command-line module stays a dispatcher.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from service import humanize
from store.vintages import COLUMNS, as_of, first_releases, normalize_time, vintages

MODES = ("as_of", "vintages", "first_release")


def rows_for(db: Any, indicator: str, mode: str, period: str | None = None,
             moment: str | None = None) -> list[dict[str, Any]]:
    """The rows of one real-time view, with the columns COLUMNS names."""
    if mode == "as_of":
        if moment is None:
            raise ValueError("--as-of needs a time")
        found = as_of(db, indicator, normalize_time(moment), period)
    elif mode == "vintages":
        found = vintages(db, indicator, period)
    else:
        found = first_releases(db, indicator, period)
    return [{k: row.get(k) for k in COLUMNS} for row in found]


def write(rows: list[dict[str, Any]], fmt: str, out: Any = None) -> None:
    """Print `rows` as JSON lines, CSV (header first) or an aligned table."""
    out = out or sys.stdout
    if fmt == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False), file=out)
        return
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        return
    table = [["period", "value", "source", "known from", "known to"]]
    for period_unit in dict.fromkeys((r["period"], r["unit"]) for r in rows):
        same = [r for r in rows if (r["period"], r["unit"]) == period_unit]
        for row, text in zip(same, humanize.distinct([r["value"] for r in same], period_unit[1]), strict=True):
            table.append([row["period"], text + (f" [{row['variant']}]" if row["variant"] else ""),
                          row["source_id"] + ("" if row["status"] == "ok" else f" ({row['status']})"),
                          row["known_from"], row["known_to"] or ("current" if row["current"] else "")])
    widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip(), file=out)


def first_reported_note(db: Any, event: dict[str, Any], tz: Any = None) -> str:
    """A revision's history in words: "first reported US$300 million on 2026-11-18, revised to US$310
    million" (the first value the revising source stated for that figure, and the day bridgewatch first
    read it, in the reader's time zone). Empty when there is nothing earlier to name."""
    from datetime import datetime

    from store.vintages import first_release

    unit, new = event.get("unit") or "", event.get("new_value")
    if not event.get("indicator") or not event.get("period") or new is None:
        return ""
    first = first_release(db, event["indicator"], event["period"], unit, event.get("variant") or "",
                          event.get("source_id"))
    if first is None or first["value"] == new:
        return ""
    moment = datetime.fromisoformat(first["known_from"])
    day = (moment.astimezone(tz) if tz is not None and moment.tzinfo else moment).date().isoformat()
    first_text, new_text = humanize.distinct([first["value"], new], unit)
    return f"first reported {first_text} on {day}, revised to {new_text}"

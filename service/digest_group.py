"""One figure, one item: a digest shows each indicator-period-unit once, however many events it raised.

A revised figure that also disagrees with another source and changed on the page that cites it is one
thing that happened to one number; three items for it make a reader compare three cards to learn that.
So the events of one figure fold into one item: the most telling event leads (a revision, then a new
period, a record, a disagreement, a citation change, progress to a target), every other event becomes a
tag on it with its note, and the item lists the value each source states now for that figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service import humanize

LEAD_ORDER = ("revision", "new_period", "record", "sources_disagree", "citation_changed", "target_progress")
ROLE_RANK = {"official": 0, "cited": 1, "news": 2}


def fold(items: list[Any]) -> list[Any]:
    """Items (service.digest.Item) with one per figure: the lead keeps its own label and takes the others'
    as badges, their notes, and their event ids under `merged_event_ids`."""
    figures: dict[tuple[Any, Any, Any], list[Any]] = {}
    for item in items:
        figures.setdefault((item.indicator, item.period, item.unit), []).append(item)
    kept = []
    for same in figures.values():
        # several sources may each report the same record: the one with the highest previous high leads it
        same.sort(key=lambda i: (LEAD_ORDER.index(i.kind) if i.kind in LEAD_ORDER else len(LEAD_ORDER),
                                 -(i.raw.get("previous_record") or 0), i.id))
        lead = same[0]
        for other in same[1:]:
            if other.label != lead.label and other.label not in lead.badges:
                lead.badges.append(other.label)
            if other.note and other.note not in lead.note:
                lead.note = "; ".join(n for n in (lead.note, other.note) if n)
            lead.raw.setdefault("merged_event_ids", []).append(other.id)
            if not lead.evidence and other.evidence:
                lead.evidence = other.evidence
        kept.append(lead)
    return kept


def stated_values(observations: Iterable[Any], roles: dict[str, str], names: dict[str, str],
                  unit: str) -> list[dict[str, Any]]:
    """What each source states now for one figure (current, sane, in `unit`), official first."""
    rows = [o for o in observations if o.status == "ok" and o.unit == unit]
    rows.sort(key=lambda o: (bool(o.variant), ROLE_RANK.get(roles.get(o.source_id, "news"), 3), o.first_seen, o.id))
    values = [o.value for o in rows]
    shown = humanize.distinct(list(values), unit) if values else []
    return [{"source_id": o.source_id, "source_name": names.get(o.source_id, o.source_id),
             "role": roles.get(o.source_id, "news"), "variant": o.variant, "value": o.value, "text": text}
            for o, text in zip(rows, shown, strict=True)]

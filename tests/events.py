"""Stored events and observations as the pipeline writes them, for digest, notify and outbox tests."""

from __future__ import annotations

import itertools
from typing import Any

from store.queries import Store

_keys = itertools.count(1)
MONTHLY = "pk_it_exports_monthly"
BASELINE = {"period": "2024-12", "value": 348e6, "unit": "USD", "seed": "001", "ref": "[4][11] Arab News"}


def observe(store: Store, indicator: str, period: str, value: float, unit: str = "USD",
            source: str = "sbp_ebops") -> None:
    store.ensure_source(source, "sbp_ebops", f"https://example.org/{source}", "official")
    store.insert_observation(indicator=indicator, period=period, value=value, unit=unit, source_id=source,
                             status="ok", first_seen="2026-01-01T00:00:00+00:00",
                             last_seen="2026-01-01T00:00:00+00:00")


def event(store: Store, kind: str, indicator: str | None = MONTHLY, period: str | None = "2025-01",
          new: float | None = 437e6, old: float | None = None, unit: str = "USD", source: str = "sbp_ebops",
          evidence: str = "IT exports rose to $437 million in January, SBP data showed.",
          baseline: float | None = 348e6, created_at: str | None = None, **detail: Any) -> int:
    """Add one event; returns its id."""
    store.ensure_source(source, "sbp_ebops", f"https://example.org/{source}", "official")
    fields: dict[str, Any] = {
        "kind": kind, "indicator": indicator, "period": period, "unit": unit, "variant": "", "source_id": source,
        "new_value": new, "old_value": old, "baseline_value": baseline, "dedupe_key": f"test|{next(_keys)}",
        "detail": {"evidence": evidence, "url": f"https://example.org/{source}", "official": True,
                   **({"baseline": BASELINE} if baseline is not None else {}), **detail},
    }
    if created_at:
        fields["created_at"] = created_at
    event_id = store.add_event(**fields)
    assert event_id
    return event_id

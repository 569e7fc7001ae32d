"""Derived figures: an indicator defined as the sum of others (two-way trade = exports + imports).

Sources publish the parts in separate documents (StatCan: one archive per flow), so the sum cannot
come from one extractor. After a source's observations are stored, each derived indicator it may
feed is recomputed from that source's current values, for the periods whose parts just changed.
"""

from __future__ import annotations

from scrapers.base import Observation
from service.config import Config, Source
from service.observe import Change
from store.queries import Store


def derived(store: Store, config: Config, source: Source, changes: list[Change]) -> list[Observation]:
    """Observations of the sums that `changes` touched, computed from `source`'s current values."""
    out: list[Observation] = []
    changed = {(c.observation.indicator, c.observation.period, c.observation.unit, c.observation.variant)
               for c in changes if c.is_new and c.status == "ok"}
    for ident in source.indicators:
        indicator = config.indicators.get(ident)
        if indicator is None or not indicator.sum_of:
            continue
        touched = {(p, u, v) for (i, p, u, v) in changed if i in indicator.sum_of}
        for period, unit, variant in sorted(touched):
            parts = [store.current_values(part, period, unit, variant, source.id) for part in indicator.sum_of]
            values = [next((o.value for o in rows if o.status == "ok"), None) for rows in parts]
            if any(v is None for v in values):
                continue
            total = float(sum(values))  # type: ignore[arg-type]
            evidence = " + ".join(f"{part} {value:,.0f}" for part, value in zip(indicator.sum_of, values, strict=True))
            out.append(Observation(ident, period, total, unit, f"{evidence} = {total:,.0f} {unit}", 1.0, variant,
                                   {"derived": "sum", "parts": list(indicator.sum_of)}))
    return out

"""Property-based tests (hypothesis) of the diff engine: whatever sequence of releases a source
publishes — values revised, repeated, reverted, periods out of order — the events stay sound.

Each example writes batches through Pipeline.record (observe + diff + health in one transaction,
exactly as a refresh does) into a fresh in-memory store, then checks:

- replaying a batch the store has already taken raises no event (nothing is alerted twice);
- a period gets at most one new_period;
- each period's current value is the last one the source stated for it;
- a revision is raised only between values that differ beyond the tolerance, old != new;
- records rise strictly, and only above the seed baseline;
- `differs` and `disagree` are symmetric and never true of a value and itself.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import Observation
from scrapers.fetch import FetchResult
from service.config import load
from service.diff import Differ, rounding
from service.lease import source_lease
from service.pipeline import Fetched, Pipeline
from store.queries import Store

TODAY = date(2026, 11, 23)
PERIODS = [f"2025-{m:02d}" for m in range(1, 7)]
VALUES = [301e6, 310e6, 329.5e6, 348e6, 351e6, 376e6, 412.6e6, 413e6, 437e6]
BASELINE = 348e6  # seeds: pk_it_exports_monthly 2024-12

releases = st.lists(st.dictionaries(st.sampled_from(PERIODS), st.sampled_from(VALUES), min_size=1, max_size=4),
                    min_size=1, max_size=6)
_CONFIG = None


def config(tmp_path_factory):  # type: ignore[no-untyped-def]
    global _CONFIG
    if _CONFIG is None:
        path = tmp_path_factory.mktemp("props") / "config.toml"
        path.write_text("", encoding="utf-8")
        _CONFIG = load(path, env={})
    return _CONFIG


def apply(pipeline: Pipeline, batch: dict[str, float], n: int) -> list[int]:
    """One release of the SBP source: these periods with these values; returns the new event ids."""
    source = pipeline.config.sources["sbp_ebops"]
    body = repr(sorted(batch.items())).encode() + bytes([n % 256])
    result = FetchResult(source.url, source.url, 200, body, "application/vnd.ms-excel", None, None,
                         hashlib.sha256(body).hexdigest(), 1.0)
    observations = [Observation("pk_it_exports_monthly", period, value, "USD", f"EBOPS {period}: {value}")
                    for period, value in sorted(batch.items())]
    pipeline.leases.acquire_many([source_lease(source.id)])
    report = pipeline.record(source, [Fetched(result, "sbp_ebops", observations=observations)], TODAY)
    assert report is not None and report.ok
    return report.events


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=releases)
def test_the_diff_engine_over_any_release_history(tmp_path_factory, history):
    store = Store(":memory:")
    try:
        pipeline = Pipeline(config(tmp_path_factory), store, today=lambda: TODAY)
        last: dict[str, float] = {}
        for n, batch in enumerate(history):
            apply(pipeline, batch, 2 * n)
            last.update(batch)
            assert apply(pipeline, batch, 2 * n + 1) == [], "a replayed release raised events"
        events = store.events()
        new_periods = Counter(e["period"] for e in events if e["kind"] == "new_period")
        assert all(count == 1 for count in new_periods.values()), new_periods
        current = {r[0]: r[1] for r in store.db.execute(
            "SELECT period, value FROM observations WHERE source_id = 'sbp_ebops' AND current = 1 "
            "AND indicator = 'pk_it_exports_monthly'")}
        assert current == last
        differ = Differ(store, pipeline.config)
        for e in events:
            if e["kind"] == "revision":
                assert e["old_value"] != e["new_value"] and differ.differs(e["old_value"], e["new_value"])
        records = [e["new_value"] for e in sorted(events, key=lambda e: e["id"]) if e["kind"] == "record"]
        assert all(b > a for a, b in zip(records, records[1:], strict=False)), records
        assert all(value > BASELINE for value in records), records
        keys = [e["dedupe_key"] for e in events]
        assert len(keys) == len(set(keys))
    finally:
        store.close()


@given(a=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
       b=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_differs_and_disagree_are_symmetric_and_irreflexive(tmp_path_factory, a, b):
    differ = Differ(None, config(tmp_path_factory))  # type: ignore[arg-type]
    assert differ.differs(a, b) == differ.differs(b, a)
    assert differ.disagree(a, b) == differ.disagree(b, a)
    assert not differ.differs(a, a) and not differ.disagree(a, a)
    if differ.disagree(a, b):
        assert differ.differs(a, b)


@given(st.floats(min_value=1e-6, max_value=1e13, allow_nan=False))
def test_rounding_is_half_a_unit_of_the_last_stated_digit(value):
    half = rounding(value)
    assert 0 < half <= max(abs(value), 0.5) * 5
    assert rounding(-value) == half
    assert rounding(0.0) == 0.0

"""The leases repository on its own: each statement does what the lease policy relies on."""

from __future__ import annotations

from store.leases import Holder, LeaseRows
from store.queries import Store


def _rows(tmp_path) -> LeaseRows:  # type: ignore[no-untyped-def]
    return LeaseRows(Store(tmp_path / "t.db").db)


def test_put_replaces_the_holder_of_a_name_and_get_reads_it_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(tmp_path)
    assert rows.get("a") is None
    rows.put([Holder("a", "o1", "h", 1, 0.0, 10.0)])
    rows.put([Holder("a", "o2", "h", 2, 5.0, 15.0), Holder("b", "o2", "h", 2, 5.0, 15.0)])
    assert rows.get("a") == Holder("a", "o2", "h", 2, 5.0, 15.0)
    assert set(rows.by_name()) == {"a", "b"}


def test_extend_and_delete_touch_only_the_owners_leases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(tmp_path)
    rows.put([Holder("a", "o1", "h", 1, 0.0, 10.0), Holder("b", "o2", "h", 2, 0.0, 10.0)])
    rows.extend("o1", ["a", "b"], 99.0)
    assert [h.expires_at for h in (rows.get("a"), rows.get("b"))] == [99.0, 10.0]
    assert rows.delete("b", "o1") is False and rows.get("b") is not None
    assert rows.delete("b", "o2") is True and rows.get("b") is None
    rows.delete_owner("o1")
    assert rows.by_name() == {}


def test_a_process_drops_all_its_leases_and_active_skips_the_expired(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(tmp_path)
    rows.put([Holder("a", "o1", "h", 7, 0.0, 10.0), Holder("b", "o2", "h", 7, 0.0, 30.0),
              Holder("c", "o3", "other", 7, 0.0, 30.0)])
    assert [h.name for h in rows.active(20.0)] == ["b", "c"]
    assert rows.delete_process("h", 7) == 2
    assert [h.name for h in rows.active(0.0)] == ["c"]

"""What was known when: a loopback source whose value changes between two refreshes, read back with
`history --as-of`, `--vintages` and `--first-release` through the real command."""

from __future__ import annotations

import csv
import io
import json

from service.cli import main
from store.queries import Store, utcnow
from tests.conftest import write_config

PAGE = "<html><body><p class='figure'>IT exports of ${value} million in 2026-10</p></body></html>"


def config_for(tmp_path, url: str) -> str:
    return str(write_config(tmp_path, f"""
[settings]
seed_sources = false

[[sources]]
id = "loop_sbp"
url = "{url}"
kind = "html"
role = "official"
indicators = ["pk_it_exports_monthly"]
selector = ".figure"
pattern = 'IT exports of \\$(?P<value>[\\d.]+ million) in (?P<period>\\d{{4}}-\\d{{2}})'
unit = "USD"
"""))


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, out


def test_as_of_vintages_and_first_release_across_a_revision(capsys, tmp_path, server):
    url = server.add("/sbp", PAGE.format(value="300"))
    common = ["--db", str(tmp_path / "bw.db"), "--config", config_for(tmp_path, url)]
    before_any = utcnow()
    assert run(capsys, *common, "refresh")[0] == 0
    between = utcnow()
    server.add("/sbp", PAGE.format(value="310"))
    assert run(capsys, *common, "refresh")[0] == 0
    after = utcnow()

    code, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--as-of", between, "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["period"], r["value"]) for r in rows] == [("2026-10", 300e6)]
    _, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--as-of", after, "--format", "json")
    assert [json.loads(line)["value"] for line in out.splitlines()] == [310e6]
    _, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--as-of", before_any, "--format", "json")
    assert out == ""  # nothing was known before the first fetch

    _, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--vintages", "--format", "csv")
    vintages = list(csv.DictReader(io.StringIO(out)))
    assert [(v["value"], v["source_id"]) for v in vintages] == [
        ("300000000.0", "loop_sbp"), ("310000000.0", "loop_sbp")]
    first, second = vintages
    assert first["known_from"] < between < first["known_to"] == second["known_from"] < after
    assert second["known_to"] == "" and second["current"] == "True"

    _, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--first-release", "--format", "json")
    assert [(r["period"], r["value"]) for r in map(json.loads, out.splitlines())] == [("2026-10", 300e6)]

    code, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--vintages", "--period", "2026-10")
    assert code == 0 and "known from" in out and "US$300 million" in out and "current" in out
    code, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--vintages", "--period", "2026-09")
    assert code == 0 and "US$" not in out

    day = first["known_from"][:10]
    for fmt in ("text", "markdown", "html"):
        code, out = run(capsys, *common, "digest", "--all", "--format", fmt)
        assert code == 0 and f"first reported US$300 million on {day}, revised to US$310 million" in out


def test_as_of_accepts_dates_and_zones_and_refuses_nonsense(capsys, tmp_path, server):
    url = server.add("/sbp", PAGE.format(value="300"))
    common = ["--db", str(tmp_path / "bw.db"), "--config", config_for(tmp_path, url)]
    run(capsys, *common, "refresh")
    _, out = run(capsys, *common, "history", "pk_it_exports_monthly", "--as-of", "2999-01-01T05:00+05:00",
                 "--format", "json")
    assert json.loads(out)["value"] == 300e6
    assert main([*common, "history", "pk_it_exports_monthly", "--as-of", "last tuesday"]) == 1
    assert "not a date or time" in capsys.readouterr().err


def test_a_source_going_back_to_an_earlier_value_is_known_again(tmp_path):
    """A -> B -> A: the second A is the current one; B is known only between them."""
    store = Store(tmp_path / "bw.db")
    store.ensure_source("s", "html", "http://127.0.0.1/", "news")
    common = {"indicator": "pk_it_exports_monthly", "period": "2026-10", "unit": "USD", "variant": "", "source_id": "s",
              "status": "ok"}
    store.insert_observation(**common, value=1.0, first_seen="2026-11-01T00:00:00", last_seen="2026-11-20T00:00:00",
                             current=1)
    store.insert_observation(**common, value=2.0, first_seen="2026-11-10T00:00:00", last_seen="2026-11-15T00:00:00",
                             current=0)
    from store.vintages import as_of, vintages

    assert [(r["value"], r["known_to"]) for r in vintages(store.db, "pk_it_exports_monthly")] == [
        (1.0, None), (2.0, "2026-11-15T00:00:00")]
    assert [r["value"] for r in as_of(store.db, "pk_it_exports_monthly", "2026-11-12T00:00:00")] == [2.0]
    assert [r["value"] for r in as_of(store.db, "pk_it_exports_monthly", "2026-11-18T00:00:00")] == [1.0]

"""Issue 14: a user's mistakes and quiet failures surface at once (strict config, visible suspects,
exact revisions, min_change_pct on new periods, stale sources, checked arguments, seed sources off)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from service import cli
from service.cli import main
from tests.conftest import write_config

PAGE = """<html><head><title>IT exports</title></head><body><article>
<p class="figure">IT exports of ${value} million in {period}</p></article></body></html>"""


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def pattern_config(tmp_path, url: str, unit: str = "usd", extra: str = "") -> str:
    return str(write_config(tmp_path, f"""
[settings]
seed_sources = false

[[sources]]
id = "my_page"
url = "{url}"
kind = "html"
indicators = ["pk_it_exports_monthly"]
selector = ".figure"
pattern = 'IT exports of \\$(?P<value>[\\d.]+ million) in (?P<period>\\w+ \\d{{4}})'
unit = "{unit}"
{extra}
"""))


# --- 2. suspect values are visible; ISO units in any case; periods in words ------------------


def test_lower_case_unit_and_a_period_in_words_are_read_as_meant(capsys, tmp_path, server):
    url = server.add("/p", PAGE.format(value="412.6", period="October 2026"))
    config, db = pattern_config(tmp_path, url), str(tmp_path / "bw.db")
    code, out, err = run(capsys, "--db", db, "--config", config, "refresh")
    assert code == 0 and "suspect" not in err + out, err
    rows = sqlite3.connect(db).execute("SELECT period, value, unit, status FROM observations").fetchall()
    assert rows == [("2026-10", 412.6e6, "USD", "ok")]
    code, out, _ = run(capsys, "--db", db, "--config", config, "status")
    assert "my_page" in out and " ok " in out.splitlines()[2] + " "


def test_a_refresh_that_stores_only_suspect_values_says_so_and_status_shows_it(capsys, tmp_path, server):
    url = server.add("/p", PAGE.format(value="412.6", period="October 2026"))
    config, db = pattern_config(tmp_path, url, unit="EUR"), str(tmp_path / "bw.db")  # not a unit of the indicator
    code, out, err = run(capsys, "--db", db, "--config", config, "refresh")
    assert "suspect: my_page: 1 value stored as suspect: unit EUR is not one of USD" in err
    assert "1 with suspect values" in out
    code, out, _ = run(capsys, "--db", db, "--config", config, "status")
    line = next(x for x in out.splitlines() if x.startswith("my_page"))
    assert "suspect" in line and "unit EUR is not one of USD" in line
    # unchanged content (a 304 next time) keeps the state: the stored values are still the suspect ones
    run(capsys, "--db", db, "--config", config, "refresh")
    code, out, _ = run(capsys, "--db", db, "--config", config, "status")
    assert "suspect" in next(x for x in out.splitlines() if x.startswith("my_page"))


def test_extract_with_source_shows_what_a_refresh_would_store(capsys, tmp_path):
    path = tmp_path / "p.html"
    path.write_text(PAGE.format(value="412.6", period="October 2026"), encoding="utf-8")
    config = pattern_config(tmp_path, "https://example.org/p")
    code, out, _ = run(capsys, "--config", config, "extract", "--source", "my_page", str(path))
    assert code == 0 and '"period": "2026-10"' in out and '"unit": "USD"' in out


# --- 3. revisions show enough digits ----------------------------------------------------------


def test_a_small_revision_reads_differently_in_history_digest_and_feed(capsys, tmp_path, server):
    url = server.add("/p", PAGE.format(value="422.1", period="October 2025"))
    config, db = pattern_config(tmp_path, url, unit="USD"), str(tmp_path / "bw.db")
    run(capsys, "--db", db, "--config", config, "refresh")
    server.add("/p", PAGE.format(value="422.4", period="October 2025"))
    run(capsys, "--db", db, "--config", config, "refresh")
    code, out, _ = run(capsys, "--db", db, "--config", config, "history", "pk_it_exports_monthly")
    assert "US$422.1 million" in out and "US$422.4 million" in out
    code, out, _ = run(capsys, "--db", db, "--config", config, "digest", "--all")
    assert "US$422.1 million -> US$422.4 million" in out, out
    code, out, _ = run(capsys, "--db", db, "--config", config, "feed")
    assert "US$422.1 million → US$422.4 million" in out


# --- 6. arguments are checked ----------------------------------------------------------------


@pytest.mark.parametrize("since", ["2026-13-45", "yesterday", "2026-11-01T25:00"])
def test_digest_since_an_invalid_date_is_an_error_naming_the_accepted_forms(capsys, tmp_path, since):
    code, out, err = run(capsys, "--db", str(tmp_path / "bw.db"), "digest", "--since", since)
    assert code == 1 and "is not a date or time" in err and "YYYY-MM-DD" in err and not out


def test_digest_since_accepts_a_date_and_a_zoned_time(capsys, tmp_path):
    db = str(tmp_path / "bw.db")
    assert run(capsys, "--db", db, "digest", "--since", "2026-11-01")[0] == 0
    assert run(capsys, "--db", db, "digest", "--since", "2026-11-01T08:00+05:00")[0] == 0


@pytest.mark.parametrize("days", ["-5", "0"])
def test_prune_refuses_a_negative_age(capsys, tmp_path, days):
    code, out, err = run(capsys, "--db", str(tmp_path / "bw.db"), "prune", "--older-than", days)
    assert code == 1 and "--older-than must be" in err and "pruned" not in out


# --- 1. channels checked as they will be sent; 7. what is off is listed -----------------------


@pytest.mark.parametrize("channel", [
    "mailto://smtp.example.org:99999?to=a@example.org", "json:///nohost", "foo://bar", "bogus://x", "slack://bad",
    "mailto://smtp.example.org:587",  # no recipient
])
def test_check_config_refuses_a_channel_that_cannot_be_sent(capsys, tmp_path, channel):
    config = write_config(tmp_path, f'[[subscribers]]\nname = "a"\nchannels = ["{channel}"]\n')
    code, out, err = run(capsys, "--db", str(tmp_path / "bw.db"), "--config", str(config), "check-config")
    assert code == 1 and "Traceback" not in err
    assert "config error: subscriber a:" in err or "subscribers[0] (a): channel mailto://…: Port out of range" in err


def test_check_config_accepts_good_channels_and_lists_sources_turned_off(capsys, tmp_path):
    config = write_config(tmp_path, """
[[sources]]
id = "reuters_toronto_tech"
enabled = false

[[subscribers]]
name = "a"
channels = ["mailto://smtp.example.org:587?to=a@example.org", "json://127.0.0.1:9000/hook",
            "ntfy://ntfy.example.org/bridgewatch", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"]
""")
    code, out, err = run(capsys, "--db", str(tmp_path / "bw.db"), "--config", str(config), "check-config")
    assert code == 0, err
    assert "off: reuters_toronto_tech (enabled = false in" in out
    assert "reuters_toronto_tech  " not in out.split("off:")[0]  # not scheduled


def test_check_config_with_seed_sources_off_lists_them(capsys, tmp_path):
    config = write_config(tmp_path, "[settings]\nseed_sources = false\n")
    code, out, _ = run(capsys, "--db", str(tmp_path / "bw.db"), "--config", str(config), "check-config")
    assert code == 0 and "0 sources" in out and "off: sbp_ebops ([settings] seed_sources = false)" in out


# --- 5. staleness in status -------------------------------------------------------------------


def test_status_calls_a_source_without_success_for_three_intervals_stale(capsys, tmp_path, server):
    url = server.add("/p", PAGE.format(value="412.6", period="October 2026"))
    config, db = pattern_config(tmp_path, url, unit="USD", extra='schedule = "every 1d"'), str(tmp_path / "bw.db")
    run(capsys, "--db", db, "--config", config, "refresh")
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sources SET last_success = ?, last_attempt = ?", [long_ago, long_ago])
    code, out, _ = run(capsys, "--db", db, "--config", config, "status")
    line = next(x for x in out.splitlines() if x.startswith("my_page"))
    assert " stale " in line and "no successful refresh for 40 days" in line and "stale after 3 days" in line


# --- 8. the progress bar fits the terminal ----------------------------------------------------


@pytest.mark.parametrize("columns", [40, 60, 80, 200])
def test_progress_bar_fits_the_terminal_width(monkeypatch, capsys, columns):
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=(80, 24): os.terminal_size((columns, 24)))

    class Report:
        ok = False
        source_id = "a_source_with_a_rather_long_identifier_indeed"

    bar = cli._Progress(19)
    for _ in range(19):
        bar.step(Report())
    bar.done()
    err = capsys.readouterr().err
    frames = [f for f in err.split("\r") if f]
    assert frames and all(len(f) < columns for f in frames)
    assert "19/19 19 failed" in err


def test_fixing_the_unit_reads_the_unchanged_page_again(capsys, tmp_path, server):
    url = server.add("/p", PAGE.format(value="412.6", period="October 2026"))
    db = str(tmp_path / "bw.db")
    config = pattern_config(tmp_path, url, unit="EUR")
    run(capsys, "--db", db, "--config", config, "refresh")
    config = pattern_config(tmp_path, url, unit="usd")  # the fix; the page is as it was
    code, out, err = run(capsys, "--db", db, "--config", config, "refresh")
    assert "my_page: read anew (its configuration changed)" in err and "suspect" not in out
    code, out, _ = run(capsys, "--db", db, "--config", config, "status")
    assert " ok" in next(x for x in out.splitlines() if x.startswith("my_page"))
    assert sqlite3.connect(db).execute(
        "SELECT unit, status FROM observations WHERE current = 1").fetchall() == [("USD", "ok")]
    code, _, err = run(capsys, "--db", db, "--config", config, "refresh")
    assert "read anew" not in err  # the same configuration: the stored state stands

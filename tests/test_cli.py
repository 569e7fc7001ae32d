"""The `bridgewatch` command as users run it: in-process for speed, and as a real console script."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest

from service.cli import main
from service.config import load
from tests.conftest import RECORDED, write_config

ROOT = Path(__file__).parent.parent


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "service", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("bridgewatch ")


def test_indicators_and_sources_as_json_lines(capsys):
    code, out, _ = run(capsys, "indicators", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == len(load(env={}).indicators) >= 28
    monthly = next(r for r in records if r["id"] == "pk_it_exports_monthly")
    assert monthly["baselines"][0] == {"period": "2024-12", "value": 348e6, "unit": "USD", "seed": "001",
                                       "ref": "[4][11] Arab News", "source": "arabnews_2586784",
                                       "note": "highest-ever monthly figure at the time"}
    code, out, _ = run(capsys, "sources", "--json")
    sources = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert sources["arabnews_2586784"]["url"] == "https://www.arabnews.com/node/2586784"
    assert sources["worldbank_ict"]["kind"] == "worldbank"
    code, out, _ = run(capsys, "sources", "--kinds")
    assert "worldbank" in out and "html" in out


def test_extract_prints_the_contract_json(capsys, tmp_path):
    code, out, err = run(capsys, "extract", str(RECORDED / "arabnews_2586784.html"))
    figures = [json.loads(line) for line in out.splitlines()]
    monthly = next(f for f in figures if f["indicator"] == "pk_it_exports_monthly")
    assert monthly["period"] == "2024-12" and monthly["value"] == 348000000 and monthly["unit"] == "USD"
    assert "348 million" in monthly["evidence"] and 0 < monthly["confidence"] <= 1
    assert set(monthly) >= {"indicator", "period", "value", "unit", "evidence", "confidence"}
    assert not any(f["indicator"].startswith("pk_it_exports") and f["value"] == 1.6e9 for f in figures)  # textiles

    code, out, _ = run(capsys, "extract", "--source", "worldbank_ict", str(RECORDED / "worldbank_ict_cd.json"))
    periods = {(f["indicator"], f["period"]) for f in map(json.loads, out.splitlines())}
    assert code == 0 and ("pk_ict_service_exports_cy", "2024") in periods


def test_extract_reads_stdin_and_resolves_relative_periods(capsys, monkeypatch, tmp_path):
    text = "Pakistan's IT exports rose to $412 million in October, up 21 percent year-on-year, SBP data showed."
    monkeypatch.setattr(sys, "stdin", _Stdin(text.encode()))
    code, out, _ = run(capsys, "extract", "-", "--published", "2026-11-18")
    figures = {f["indicator"]: f for f in map(json.loads, out.splitlines())}
    assert figures["pk_it_exports_monthly"]["period"] == "2026-10"
    assert figures["pk_it_exports_monthly"]["value"] == 412000000


def test_extract_bad_input_exits_nonzero_with_a_message(capsys, tmp_path):
    code, _, err = run(capsys, "extract", str(tmp_path / "absent.html"))
    assert code == 1 and "cannot read" in err
    bad = tmp_path / "bad.json"
    bad.write_text('[{"message":[{"id":"120","key":"Invalid value","value":"The parameter value is not valid"}]}]')
    code, _, err = run(capsys, "extract", "--source", "worldbank_ict", str(bad))
    assert code == 1 and "Invalid value" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("Nothing to see here.")
    code, out, _ = run(capsys, "extract", str(empty))
    assert code == 0 and out == ""  # no figures is not an error


def test_refresh_history_status_and_digest(capsys, tmp_path, server):
    page = server.add("/a", (RECORDED / "arabnews_2586784.html").read_bytes())
    config = write_config(tmp_path, f'[[sources]]\nid = "arabnews_2586784"\nurl = "{page}"\n')
    db = str(tmp_path / "bw.db")
    code, out, err = run(capsys, "--db", db, "--config", str(config), "refresh", "--source", "arabnews_2586784")
    assert code == 0 and "1 sources" in out and "0 failed" in out
    code, out, _ = run(capsys, "--db", db, "--config", str(config), "history", "pk_it_exports_monthly")
    assert "2024-12" in out and "US$348 million" in out and "seed baseline 2024-12" in out
    code, out, _ = run(capsys, "--db", db, "--config", str(config), "history", "pk_it_exports_monthly",
                       "--format", "csv")
    assert out.splitlines()[0].startswith("period,value")
    code, out, _ = run(capsys, "--db", db, "--config", str(config), "history", "pk_it_exports_monthly",
                       "--format", "json")
    assert json.loads(out.splitlines()[0])["value"] == 348e6
    code, out, _ = run(capsys, "--db", db, "--config", str(config), "status")
    assert "arabnews_2586784" in out and "ok" in out
    html = tmp_path / "d.html"
    code, out, _ = run(capsys, "--db", db, "--config", str(config), "digest", "--all", "--out", str(html))
    assert code == 0 and "US$348 million" in html.read_text()
    code, out, _ = run(capsys, "--db", db, "history", "no_such_indicator")
    assert code == 1


@pytest.mark.slow
def test_refresh_with_no_network_fails_fast_and_cleanly(tmp_path):
    """The real URLs, as on this offline machine: one line per failed source, exit 2, no traceback."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "service", "--db", str(tmp_path / "bw.db"), "refresh",
         "--source", "worldbank_ict", "--source", "samena_106709", "--source", "sbp_ebops"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr
    failed = [line for line in proc.stderr.splitlines() if line.startswith("failed: ")]
    assert sorted(line.split(":")[1].strip() for line in failed) == ["samena_106709", "sbp_ebops", "worldbank_ict"]
    assert "Traceback" not in proc.stderr
    assert elapsed < 60
    import sqlite3

    rows = sqlite3.connect(tmp_path / "bw.db").execute("SELECT count(*) FROM fetches WHERE error IS NOT NULL")
    assert rows.fetchone()[0] >= 3  # every failure is recorded


def test_config_error_is_reported_without_traceback(capsys, tmp_path):
    config = write_config(tmp_path, '[[sources]]\nid = "x"\nurl = "https://a.org"\nkind = "nope"\n')
    code, _, err = run(capsys, "--config", str(config), "sources")
    assert code == 1 and "config error" in err and "unknown kind 'nope'" in err


@pytest.mark.slow
def test_demo_runs_offline_and_twice_gives_the_same_result(capsys, tmp_path):
    out_dir = tmp_path / "demo"
    assert main(["demo", "--out", str(out_dir)]) == 0
    first, _ = capsys.readouterr()
    for name in ("bridgewatch.db", "digest.html", "digest.txt", "digest.eml"):
        assert (out_dir / name).exists(), name
    mail = message_from_bytes((out_dir / "digest.eml").read_bytes())
    assert mail.is_multipart() and {p.get_content_type() for p in mail.walk()} >= {"text/plain", "text/html"}
    today = first[first.index("== what changed today"):]
    for kind in ("new_period", "revision", "record", "source_broken", "citation_changed"):
        assert f"  {kind} " in today, kind
    assert "pk_it_exports_monthly              2026-10" in today  # the new month beating Dec-2024
    assert "0 new events" in first  # the second pass inside the demo: nothing twice
    assert main(["demo", "--out", str(out_dir)]) == 0
    second, _ = capsys.readouterr()

    def events(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("  ") and "served at" not in line]

    assert events(first) == events(second)


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


def test_io_errors_are_one_line_not_a_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "--db", str(tmp_path / "bw.db"), "digest", "--all", "--out",
                       str(tmp_path / "missing-dir" / "d.html"))
    assert code == 1 and err.startswith("bridgewatch: error: FileNotFoundError") and "Traceback" not in err

"""`bridgewatch extract --source ID FILE` on every recorded capture, and users' own sources
(CSS selector, pattern) that need no Python: what `extract` shows is what `refresh` would store."""

from __future__ import annotations

import json
import tomllib

import pytest

from service.cli import main
from service.config import load
from tests.conftest import RECORDED, write_config


def _captures() -> list[tuple[str, str]]:
    """(source id, capture file) for every capture that stands for a seed source's own URL."""
    manifest = tomllib.loads((RECORDED / "manifest.toml").read_text())
    by_url = {}
    for source in load(env={}).sources.values():
        for url in (source.url, *source.also):
            by_url[url] = source.id
    return sorted((by_url[c["url"]], c["file"]) for c in manifest["capture"] if c["url"] in by_url and c.get("file"))


CAPTURES = _captures()


def test_every_official_source_has_a_capture():
    sources = {ident for ident, _ in CAPTURES}
    assert {"sbp_ebops", "worldbank_ict", "comtrade_ca_pk", "statcan_cimt", "wipo_gii"} <= sources


@pytest.mark.parametrize(("source_id", "name"), CAPTURES)
def test_extract_with_source_reads_each_capture(capsys, source_id, name):
    code = main(["extract", "--source", source_id, str(RECORDED / name)])
    out, err = capsys.readouterr()
    assert code == 0, err
    config = load(env={})
    source = config.sources[source_id]
    for line in out.splitlines():
        figure = json.loads(line)
        assert figure["indicator"] in source.indicators or not source.indicators
        assert figure["unit"] in config.indicators[figure["indicator"]].units
    if source.kind == "feed":
        assert "# would follow:" in err  # a feed yields articles to fetch, not figures
    elif source_id not in ("pitb_news",):
        assert out, f"{name} yields no figure as {source_id}"


def test_user_source_with_a_css_selector(capsys, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><div class='sidebar'>Textile exports rose to $1.6 billion in December 2024.</div>"
        "<div class='figure'>Pakistan's IT exports were $348 million in December 2024.</div></body></html>")
    config = write_config(tmp_path, '[[sources]]\nid = "mine"\nurl = "https://example.org/p.html"\nkind = "html"\n'
                                    'indicators = ["pk_it_exports_monthly"]\nselector = ".figure"\n')
    assert main(["--config", str(config), "extract", "--source", "mine", str(page), "--published", "2025-01-20"]) == 0
    figures = [json.loads(line) for line in capsys.readouterr()[0].splitlines()]
    assert [(f["indicator"], f["period"], f["value"]) for f in figures] == [
        ("pk_it_exports_monthly", "2024-12", 348000000)]

    missing = write_config(tmp_path, '[[sources]]\nid = "mine"\nurl = "https://example.org/p.html"\n'
                                     'kind = "html"\nselector = ".gone"\n')
    assert main(["--config", str(missing), "extract", "--source", "mine", str(page)]) == 1
    assert "matched nothing" in capsys.readouterr()[1]


def test_user_source_with_a_pattern(capsys, tmp_path):
    page = tmp_path / "table.html"
    page.write_text("<html><body><table><tr><td>2026-09</td><td>IT exports: 371.2 million</td></tr>"
                    "<tr><td>2026-10</td><td>IT exports: 412.6 million</td></tr></table></body></html>")
    config = write_config(tmp_path, """
[[sources]]
id = "ministry_table"
url = "https://example.gov.pk/it-exports"
kind = "html"
indicators = ["pk_it_exports_monthly"]
unit = "USD"
pattern = '(?P<period>\\d{4}-\\d{2})\\s+IT exports: (?P<value>[\\d.]+ million)'
""")
    assert main(["--config", str(config), "extract", "--source", "ministry_table", str(page)]) == 0
    figures = [json.loads(line) for line in capsys.readouterr()[0].splitlines()]
    assert [(f["period"], f["value"], f["unit"]) for f in figures] == [
        ("2026-09", 371200000, "USD"), ("2026-10", 412600000, "USD")]

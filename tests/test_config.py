"""Seeds and configuration: data in, typed settings out, and clear errors naming file and entry."""

from __future__ import annotations

import pytest

from service.config import ConfigError, load
from tests.conftest import write_config

SPEC_INDICATORS = {
    "pk_it_exports_fy", "pk_it_exports_fy_yoy_pct", "pk_it_exports_monthly", "pk_it_exports_monthly_yoy_pct",
    "pk_it_exports_fytd", "pk_it_exports_target", "pk_it_professionals", "pk_cost_below_na_pct",
    "pk_gii_ict_services_exports_rank", "pk_erozgaar_centers", "ca_tech_workers", "ca_tech_workers_share_pct",
    "ca_tech_firms", "ca_tech_gdp_share_pct", "ca_tech_sector_value", "ca_tech_median_wage", "ca_ict_exports",
    "ca_tech_foreign_born_pct", "ca_exports_to_pk", "ca_imports_from_pk", "ca_pk_trade_total",
    "pk_rank_ca_export_destination", "ca_pakistani_origin_population", "pk_rank_ca_pr_source",
    "pk_ict_service_exports_cy", "ca_ict_service_exports_cy", "pk_ict_service_exports_share_pct",
    "ca_ict_service_exports_share_pct",
}


def test_seeds_hold_every_spec_indicator_and_baseline():
    config = load(env={})
    assert set(config.indicators) >= SPEC_INDICATORS  # and pk_it_exports_fytd_yoy_pct, which the news states
    fy = config.indicators["pk_it_exports_fy"]
    assert [(b.period, b.value, b.unit, b.seed) for b in fy.baselines] == [("FY2024-25", 3.8e9, "USD", "001")]
    exports = config.indicators["ca_exports_to_pk"].baselines
    assert {(b.period, b.value, b.unit) for b in exports} == {("2024", 220e6, "USD"), ("2020", 669e6, "CAD")}
    assert config.indicators["pk_it_exports_target"].kind == "target"
    assert config.indicators["pk_it_exports_fytd"].baselines == ()
    assert "CAD" in config.indicators["ca_ict_exports"].baselines[0].note  # the assumption is recorded


def test_seed_sources_include_the_official_ids_and_a_cleaned_arab_news_url():
    config = load(env={})
    for ident in ("sbp_ebops", "worldbank_ict", "comtrade_ca_pk", "statcan_cimt", "wipo_gii"):
        assert config.sources[ident].official
    arab = config.sources["arabnews_2586784"]
    assert arab.url == "https://www.arabnews.com/node/2586784"
    assert "%7B" not in arab.url
    assert config.sources["sbp_ebops"].mirrors == ("https://archive.sbp.org.pk/ecodata/dt.xls",)


def test_user_config_adds_and_overrides_by_id(tmp_path):
    path = write_config(tmp_path, """
[[sources]]
id = "my_page"
url = "https://example.org/it-exports.html"
kind = "html"
indicators = ["pk_it_exports_monthly"]
selector = ".figure"
schedule = "0 7 * * *"

[[sources]]
id = "worldbank_ict"
schedule = "every 6h"

[[subscribers]]
name = "analyst"
channels = ["mailto://user@smtp.example.org:587?to=analyst@example.org", "json://127.0.0.1:9000/hook"]
cadence = "immediate"
indicators = ["pk_it_*"]
min_change_pct = 1.0
""")
    config = load(path, env={"BRIDGEWATCH_NOTIFY": "mailto://127.0.0.1:2525?to=a@example.org json://127.0.0.1:1/x"})
    mine = config.sources["my_page"]
    assert (mine.kind, mine.selector, mine.schedule, mine.role) == ("html", ".figure", "0 7 * * *", "news")
    wb = config.sources["worldbank_ict"]
    assert wb.schedule == "every 6h" and wb.url.startswith("https://api.worldbank.org/") and wb.official
    analyst, default = config.subscribers
    assert analyst.wants("pk_it_exports_fy") and not analyst.wants("ca_tech_workers")
    assert default.name == "BRIDGEWATCH_NOTIFY" and len(default.channels) == 2 and default.cadence == "immediate"


def test_config_file_from_environment(tmp_path):
    path = write_config(tmp_path, '[settings]\nbroken_after = 5\n')
    assert load(env={"BRIDGEWATCH_CONFIG": str(path)}).settings.broken_after == 5


@pytest.mark.parametrize(("text", "expected"), [
    ('[[sources]]\nid = "x"\nkind = "html"\n', "sources[0] (x): missing required key 'url'"),
    ('[[sources]]\nid = "x"\nurl = "ftp://a"\nkind = "html"\n', "url must start with http"),
    ('[[sources]]\nid = "x"\nurl = "https://a.org"\nkind = "carrier-pigeon"\n', "unknown kind 'carrier-pigeon'"),
    ('[[sources]]\nid = "x"\nurl = "https://a.org"\nkind = "html"\nschedule = "sometimes"\n', "schedule"),
    ('[[sources]]\nid = "x"\nurl = "https://a.org"\nkind = "html"\nindicators = ["nope"]\n', "unknown indicator"),
    ('[[subscribers]]\nname = "a"\nchannels = ["mailto://h?to=a@b"]\ncadence = "hourly"\n', "cadence"),
    ('[[subscribers]]\nname = "a"\nchannels = []\n', "channels must be"),
    ('[settings]\nbroken_after = "three"\n', "broken_after must be int"),
    ('[sources\n', "not valid TOML"),
    ('[extras]\nx = 1\n', "unknown section"),
])
def test_broken_config_names_file_entry_and_problem(tmp_path, text, expected):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(path, env={})
    message = str(info.value)
    assert expected in message
    assert "config.toml" in message


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load(tmp_path / "absent.toml", env={})


# --- strict keys (issue 14.1) and values refused at load (issue 10.6, 10.11) --------------------


@pytest.mark.parametrize(("text", "expected"), [
    ('[[subscribers]]\nname = "a"\nchannels = ["json://127.0.0.1:9/x"]\ncadance = "daily 07:00"\n',
     "unknown key 'cadance' in [[subscribers]] (did you mean `cadence`?)"),
    ('[[subscribers]]\nname = "a"\nchannels = ["json://127.0.0.1:9/x"]\nindicator = ["pk_it_*"]\n',
     "unknown key 'indicator' in [[subscribers]] (did you mean `indicators`?)"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nselecter = ".figure"\n',
     "unknown key 'selecter' in [[sources]] (did you mean `selector`?)"),
    ('[[sources]]\nid = "worldbank_ict"\nschedul = "every 6h"\n',
     "unknown key 'schedul' in [[sources]] (did you mean `schedule`?)"),
    ('[settings]\nworkrs = 4\n', "unknown key 'workrs' in [settings] (did you mean `workers`?)"),
    ('[setings]\nworkers = 4\n', "unknown section 'setings' (did you mean `settings`?)"),
    ('[settings]\nworkers = 0\n', "workers must be greater than 0"),
    ('[settings]\nworkers = -2\n', "workers must be greater than 0"),
    ('[settings]\nbroken_after = 0\n', "broken_after must be greater than 0"),
    ('[settings]\nread_timeout = 0\n', "read_timeout must be greater than 0"),
    ('[settings]\nretries = -1\n', "retries must not be negative"),
    ('[settings]\nworkers = true\n', "workers must be int"),
    ('[settings]\nsuspect_factor = 0.5\n', "suspect_factor must be greater than 1"),
    ('[settings]\nstale_intervals = 0\n', "stale_intervals must be greater than 0"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nindicators = "pk_it_exports_monthly"\n',
     "indicators must be a list of strings, like ['pk_it_exports_monthly'], got the string"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nmax_bytes = true\n',
     "max_bytes must be a positive whole number, got True"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nmirrors = ["file:///etc/passwd"]\n',
     "mirrors must be http:// or https:// URLs"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nalso = ["gopher://a.org/1"]\n',
     "also must be http:// or https:// URLs"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nselector = "div[[x"\n',
     "is not a valid CSS selector"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nindicators = ["pk_it_exports_monthly"]\n'
     'pattern = \'(?P<value>[\\d.]+) in (?P<period>\\w+ \\d{4})\'\n', "a `pattern` needs a `unit`"),
    ('[[sources]]\nid = "p"\nurl = "https://a.org"\nkind = "html"\nenabled = "no"\n', "enabled must be true or false"),
    ('[[subscribers]]\nname = "a"\nchannels = ["json://127.0.0.1:9/x"]\nindicators = "pk_it_*"\n',
     "indicators must be a list of strings"),
    ('[[subscribers]]\nname = "a"\nchannels = ["json://h/x"]\n[[subscribers]]\nname = "a"\nchannels = ["json://h/y"]\n',
     "used twice"),
])
def test_mistakes_are_refused_at_load_with_the_key_and_a_suggestion(tmp_path, text, expected):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(path, env={})
    assert expected in str(info.value)
    assert "config.toml" in str(info.value)


def test_a_pattern_source_with_a_lower_case_unit_is_stored_canonical(tmp_path):
    path = write_config(tmp_path, """
[[sources]]
id = "p"
url = "https://a.org"
kind = "html"
indicators = ["pk_it_exports_monthly"]
pattern = 'exports of \\$(?P<value>[\\d.]+ million) in (?P<period>\\w+ \\d{4})'
unit = "usd"
""")
    assert load(path, env={}).sources["p"].params["unit"] == "USD"


def test_seed_sources_can_be_turned_off_one_by_one_or_all(tmp_path):
    path = write_config(tmp_path, '[[sources]]\nid = "reuters_toronto_tech"\nenabled = false\n')
    config = load(path, env={})
    assert "reuters_toronto_tech" not in config.sources and "reuters_toronto_tech" in config.disabled
    assert "sbp_ebops" in config.sources

    path = write_config(tmp_path, """
[settings]
seed_sources = false

[[sources]]
id = "worldbank_ict"
schedule = "every 12h"

[[sources]]
id = "mine"
url = "https://example.org/x.html"
kind = "html"
""")
    config = load(path, env={})
    assert set(config.sources) == {"worldbank_ict", "mine"}  # a restated seed source stays on
    assert config.sources["worldbank_ict"].url.startswith("https://api.worldbank.org/")
    assert "sbp_ebops" in config.disabled and len(config.disabled) == len(load(env={}).sources) - 1


def test_an_override_keeps_what_it_does_not_restate(tmp_path):
    path = write_config(tmp_path, '[[sources]]\nid = "sbp_ebops"\nschedule = "every 12h"\nquiet_after = "10d"\n')
    sbp, seed = load(path, env={}).sources["sbp_ebops"], load(env={}).sources["sbp_ebops"]
    assert sbp.schedule == "every 12h" and sbp.quiet_after == 10 * 86400
    assert (sbp.url, sbp.mirrors, sbp.kind, sbp.role, sbp.indicators) == (
        seed.url, seed.mirrors, seed.kind, seed.role, seed.indicators)


def test_asking_for_a_source_that_is_off_says_so(tmp_path):
    config = load(write_config(tmp_path, '[[sources]]\nid = "sbp_ebops"\nenabled = false\n'), env={})
    with pytest.raises(ConfigError, match="turned off: sbp_ebops"):
        config.only(["sbp_ebops"])

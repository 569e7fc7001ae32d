"""Configuration: the built-in seeds, then the user's TOML file, then `BRIDGEWATCH_*` variables.

Everything becomes frozen dataclasses here, once, so the rest of the code never touches raw TOML.
A mistake is reported with the file, the entry and the problem (`ConfigError`), never a traceback.
Secrets are not part of the settings: channels read them from the environment when they send.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapers.base import SourceSpec
from service.release import Rhythm, parse_rhythm
from service.schedule import parse_duration, parse_schedule

UNITS_FIXED = {"count", "percent", "rank"}
PERIOD_PATTERNS = {
    "month": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
    "year": re.compile(r"^\d{4}$"),
    "fiscal_year": re.compile(r"^FY\d{4}-\d{2}$"),
    "fytd": re.compile(r"^FY\d{4}-\d{2}:[A-Z][a-z]{2}-[A-Z][a-z]{2}$"),
    "edition": re.compile(r"^GII-\d{4}$"),
    "stated": re.compile(r"^stated$"),
}
ROLES = {"cited", "news", "official"}
CADENCE = re.compile(r"^(immediate|daily \d{1,2}:\d{2}|weekly (mon|tue|wed|thu|fri|sat|sun)\w* \d{1,2}:\d{2})$", re.I)


class ConfigError(ValueError):
    """A configuration or seed file that cannot be used; the message says where and why."""


REQUIRED = object()  # a key's default when it has none: it must be given


@dataclass(frozen=True, slots=True)
class Key:
    """One key a table of the config file accepts: what `check-config --keys` and the README list."""

    name: str
    type: str  # as the README says it: string, list of strings, integer, number, boolean, duration
    default: Any
    doc: str

    def shown_default(self) -> str:
        if self.default is REQUIRED:
            return "required"
        if self.default is None:
            return "-"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        if isinstance(self.default, str) and self.default.startswith("("):
            return self.default[1:-1]  # a default described, not a literal
        if isinstance(self.default, str):
            return f'"{self.default}"'
        if isinstance(self.default, tuple | list):
            return "[]" if not self.default else repr(list(self.default))
        return repr(self.default)


SOURCE_KEYS: tuple[Key, ...] = (
    Key("id", "string", REQUIRED, "unique id; an entry with a seed source's id overrides that source"),
    Key("url", "string", REQUIRED, "http(s) address of the page, feed, file or API"),
    Key("kind", "string", REQUIRED, "which extractor reads it (`bridgewatch sources --kinds`)"),
    Key("name", "string", "(the id)", "what digests call it"),
    Key("role", "string", "news", "cited | news | official (an official value outranks news)"),
    Key("indicators", "list of strings", (), "indicator ids it may feed"),
    Key("schedule", "string", "every 1d", 'cron ("0 7 * * *") or "every N[s|m|h|d]"'),
    Key("enabled", "boolean", True, "false turns the source off (a seed source too)"),
    Key("stale_after", "duration", "(stale_intervals × its schedule interval)",
        'no successful refresh for this long ("3d") makes it stale'),
    Key("quiet_after", "duration", None, 'no new data for this long ("45d") is noted in digests'),
    Key("selector", "string", None, "html: a CSS selector, where to read; without it, the article text"),
    Key("pattern", "string", None, "html/text: a regular expression with groups `value` and `period` (needs `unit`)"),
    Key("unit", "string", None, "with `pattern`: the unit of the value read (USD, CAD, count, percent, rank)"),
    Key("period", "string", None, "with `pattern`: the period when the pattern captures none"),
    Key("indicator", "string", None, "with `pattern`: the indicator (default: the only one in `indicators`)"),
    Key("scale", "number", 1, "with `pattern`: multiply the value read by this"),
    Key("follow", "string", None, "html: a regular expression for article links to follow on a listing page"),
    Key("mirrors", "list of strings", (), "http(s) URLs tried in order when `url` fails"),
    Key("also", "list of strings", (), "further http(s) URLs of the same source, read the same way"),
    Key("max_bytes", "integer", "([settings] max_bytes)", "the largest body accepted from it"),
    Key("cites", "string", "", "the seed reference this page is cited by"),
    Key("country", "string", "PK", "statcan_cimt: the partner country code"),
    Key("flow", "string", None, "statcan_cimt: the flow when the file name does not say (exports, imports)"),
    Key("edition", "string", None, "wipo_gii: the edition, when the workbook does not say"),
    Key("num", "string", None, "wipo_gii: the indicator number to read (6.3.4)"),
    Key("release", "table", None, "the source's release rhythm, for `bridgewatch calendar` (keys below)"),
)

RELEASE_KEYS: tuple[Key, ...] = (
    Key("every", "string", REQUIRED, "month | year: how often the source publishes"),
    Key("period", "string", "(as every)", "month | year | edition: the periods its releases add"),
    Key("after", "duration", REQUIRED,
        "from the end of a period (an edition: from 1 January of its year) to the start of its release window"),
    Key("window", "duration", "7d", "how long the release window lasts"),
    Key("grace", "duration", "([settings] release_grace_days)", "after the window, before release_overdue"),
    Key("note", "string", "", "the rhythm in the publisher's words, shown by the calendar"),
)

SUBSCRIBER_KEYS: tuple[Key, ...] = (
    Key("name", "string", REQUIRED, "unique name (its place in the event stream is kept under it)"),
    Key("channels", "list of strings", REQUIRED, "channel URLs (Apprise syntax: mailto://, json://, slack://, …)"),
    Key("cadence", "string", "immediate", "immediate | daily HH:MM | weekly DAY HH:MM"),
    Key("timezone", "string", "UTC", "the reader's time zone, for cadences and times shown"),
    Key("indicators", "list of strings", (), "indicator ids or globs (pk_it_*); empty: all"),
    Key("events", "list of strings", (), "event kinds wanted; empty: all"),
    Key("min_change_pct", "number", None,
        "smaller changes are not sent: a revision against the old value, a new period against the previous period"),
    Key("min_change_abs", "number", None, "as min_change_pct, in the indicator's unit"),
    Key("weekly_all_clear", "boolean", False, 'a weekly "no change, all sources healthy" note'),
)

SETTINGS_DOCS: dict[str, str] = {
    "broken_after": "failures in a row before source_broken",
    "connect_timeout": "seconds to connect to a source",
    "read_timeout": "seconds a source may take to answer",
    "max_bytes": "the largest body accepted",
    "retries": "retries of a failed fetch (with backoff)",
    "workers": "parallel fetches and deliveries",
    "respect_robots": "obey robots.txt",
    "user_agent": "the User-Agent header ({version} is replaced)",
    "revision_tolerance": "relative: smaller differences are float noise, not revisions",
    "suspect_factor": "a value this many times off its reference is suspect",
    "keep_history_days": "older fetches and bodies that no stored figure came from are pruned",
    "delivery_attempts": "sends of one digest to one channel before it is marked dead",
    "delivery_backoff": "seconds before the first retry of a send; doubles each time",
    "delivery_backoff_max": "the longest wait between two retries of a send",
    "delivery_timeout": "seconds a channel (SMTP, webhook, chat API) may take to answer",
    "delivery_lease": "a send claimed longer ago than this was interrupted: send again",
    "stale_intervals": "a source that has not succeeded for this many schedule intervals is stale",
    "seed_sources": "false: the built-in seed sources are off (except those your file restates)",
    "release_grace_days": "days after a release window before release_overdue (a source's release.grace wins)",
}
# settings that must be positive (> 0) or at least zero
_POSITIVE = {"broken_after", "connect_timeout", "read_timeout", "max_bytes", "workers", "suspect_factor",
             "keep_history_days", "delivery_attempts", "delivery_timeout", "delivery_lease", "stale_intervals"}
_NON_NEGATIVE = {"retries", "revision_tolerance", "delivery_backoff", "delivery_backoff_max", "release_grace_days"}


@dataclass(frozen=True, slots=True)
class Baseline:
    period: str
    value: float
    unit: str
    seed: str = ""
    ref: str = ""
    source: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    name: str
    unit: str
    period: str
    units: tuple[str, ...]
    baselines: tuple[Baseline, ...] = ()
    kind: str = "actual"
    target: str | None = None
    sum_of: tuple[str, ...] = ()  # derived: the sum of these indicators, same source, period and unit

    def baseline(self, period: str, unit: str) -> Baseline | None:
        """The seed baseline for this period and unit, else the latest one in that unit."""
        same_unit = [b for b in self.baselines if b.unit == unit]
        exact = [b for b in same_unit if b.period == period]
        return (exact or same_unit or [None])[-1]


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    url: str
    kind: str
    name: str = ""
    role: str = "news"
    indicators: tuple[str, ...] = ()
    schedule: str = "every 1d"
    stale_after: float | None = None  # seconds without a successful refresh; None: stale_intervals intervals
    quiet_after: float | None = None  # seconds without new data before digests note it
    enabled: bool = True
    selector: str | None = None
    pattern: str | None = None
    follow: str | None = None
    mirrors: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    cites: str = ""
    release: Rhythm | None = None  # when its next period is expected (service/release.py)
    params: Mapping[str, Any] = field(default_factory=dict)
    defined_in: str = "seeds/sources.toml"  # the file whose entry made (or last overrode) it
    entry: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the merged TOML entry

    @property
    def official(self) -> bool:
        return self.role == "official"

    @property
    def reading(self) -> str:
        """A digest of what decides how the source's documents are read (kind, selector, pattern, unit,
        indicators, …): when it changes, documents whose body did not change must be read again."""
        import hashlib
        import json

        what = [self.kind, self.selector, self.pattern, self.follow, list(self.indicators),
                sorted((k, repr(v)) for k, v in self.params.items())]
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]

    def spec(self) -> SourceSpec:
        """What the extractor may see of this source."""
        params = dict(self.params)
        if self.follow:
            params["follow"] = self.follow
        return SourceSpec(self.id, self.kind, self.url, self.indicators, self.selector, self.pattern, params)


@dataclass(frozen=True, slots=True)
class Subscriber:
    name: str
    channels: tuple[str, ...]
    cadence: str = "immediate"
    timezone: str = "UTC"
    indicators: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    min_change_pct: float | None = None
    min_change_abs: float | None = None
    weekly_all_clear: bool = False

    def wants(self, indicator: str | None) -> bool:
        if not self.indicators or indicator is None:
            return True
        return any(fnmatch.fnmatchcase(indicator, pat) for pat in self.indicators)


@dataclass(frozen=True, slots=True)
class Settings:
    """Tunables with defaults a production service can start with."""

    broken_after: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 2
    workers: int = 8
    respect_robots: bool = True
    user_agent: str = "bridgewatch/{version} (+https://github.com/bridgewatch/bridgewatch)"
    revision_tolerance: float = 1e-6  # relative: smaller differences are float noise, not revisions
    suspect_factor: float = 20.0  # a value this many times off its baseline is suspect
    keep_history_days: int = 180  # fetches, bodies and sent deliveries older than this are pruned
    delivery_attempts: int = 8  # sends of one digest to one channel before it is marked dead
    delivery_backoff: float = 60.0  # seconds before the first retry; doubles each time, with jitter
    delivery_backoff_max: float = 6 * 3600.0  # the longest wait between two retries
    delivery_timeout: float = 20.0  # seconds a channel (SMTP, webhook, chat API) may take to answer
    delivery_lease: float = 600.0  # a send claimed longer ago than this was interrupted: send again
    stale_intervals: int = 3  # schedule intervals without success before a source is stale
    seed_sources: bool = True  # false: only the sources of the user's file
    release_grace_days: float = 3.0  # after a release window, before a source's release is overdue


@dataclass(frozen=True, slots=True)
class Config:
    indicators: Mapping[str, Indicator]
    sources: Mapping[str, Source]
    subscribers: tuple[Subscriber, ...] = ()
    settings: Settings = Settings()
    path: Path | None = None
    disabled: Mapping[str, Source] = field(default_factory=dict)  # sources turned off, and why (defined_in)

    def only(self, source_ids: Iterable[str]) -> list[Source]:
        """The named sources, in the order given; unknown ids are a ConfigError."""
        ids = list(source_ids)
        off = [i for i in ids if i in self.disabled]
        if off:
            raise ConfigError(f"source(s) turned off: {', '.join(off)} (enabled = false or [settings] seed_sources = "
                              "false; `bridgewatch check-config` lists what is off)")
        unknown = [i for i in ids if i not in self.sources]
        if unknown:
            raise ConfigError(f"unknown source id(s): {', '.join(unknown)} (see `bridgewatch sources`)")
        return [self.sources[i] for i in ids]


# --- loading ------------------------------------------------------------------------------------


def load(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Seeds first, then the user's file (`path` or BRIDGEWATCH_CONFIG), then the environment."""
    env = os.environ if env is None else env
    seeds = files("seeds")
    indicators = _indicators(_read_toml(seeds.joinpath("indicators.toml")), "seeds/indicators.toml")
    raw_sources = _read_toml(seeds.joinpath("sources.toml")).get("sources", [])
    seed = {s.id: s for s in (_source(e, "seeds/sources.toml", i) for i, e in enumerate(raw_sources))}
    sources = dict(seed)
    subscribers: list[Subscriber] = []
    settings = Settings()
    path = path or env.get("BRIDGEWATCH_CONFIG") or None
    cfg_path = Path(path) if path else None
    if cfg_path is not None:
        if not cfg_path.is_file():
            raise ConfigError(f"{cfg_path}: no such config file")
        user = _read_toml(cfg_path)
        where = str(cfg_path)
        sections = ("sources", "subscribers", "indicators", "settings")
        for name in user:
            if name not in sections:
                raise ConfigError(f"{where}: unknown section {name!r}{_did_you_mean(name, sections)}")
        for name in ("sources", "subscribers", "indicators"):
            if not isinstance(user.get(name, []), list):
                raise ConfigError(f"{where}: {name} must be written [[{name}]] (an array of tables)")
        if not isinstance(user.get("settings", {}), dict):
            raise ConfigError(f"{where}: settings must be a table: [settings]")
        settings = _settings(user.get("settings", {}), where)
        for extra in _indicators(user, where).values():
            indicators = {**indicators, extra.id: extra}
        entries = user.get("sources", [])
        if not settings.seed_sources:  # only what the file names: a restated seed source stays on
            named = {e.get("id") for e in entries if isinstance(e, dict)}
            sources = {k: v for k, v in sources.items() if k in named}
        for i, entry in enumerate(entries):
            base = seed.get(entry.get("id", "")) if isinstance(entry, dict) else None
            src = _source(entry, where, i, sources.get(entry.get("id", ""), base) if base else None)
            sources[src.id] = src
        subscribers = [_subscriber(e, where, i) for i, e in enumerate(user.get("subscribers", []))]
        names = [s.name for s in subscribers]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ConfigError(f"{where}: subscriber name(s) {twice} used twice (each keeps its own cursor)")
    notify = env.get("BRIDGEWATCH_NOTIFY", "").split()
    if notify:
        subscribers.append(Subscriber(name="BRIDGEWATCH_NOTIFY", channels=tuple(notify)))
    disabled: dict[str, Source] = {}
    for sid, src in list(sources.items()):
        if not src.enabled:
            disabled[sid] = sources.pop(sid)
    if not settings.seed_sources:
        for sid, src in seed.items():
            if sid not in sources and sid not in disabled:
                disabled[sid] = replace(src, enabled=False, defined_in=f"{cfg_path}: [settings] seed_sources = false")
    config = Config(indicators, sources, tuple(subscribers), settings, cfg_path, disabled)
    _check_references(config)
    return config


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean `cadence`?)' for a typo of a known key, else ''."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _unknown_keys(entry: Mapping[str, Any], keys: tuple[Key, ...], where: str, table: str) -> None:
    known = [k.name for k in keys]
    for name in entry:
        if name not in known:
            raise ConfigError(f"{where}: unknown key {name!r} in [[{table}]]{_did_you_mean(name, known)} "
                              f"(known keys: {', '.join(known)})")


def _check_types(entry: Mapping[str, Any], keys: tuple[Key, ...], where: str) -> None:
    """Every given key has its declared type: a string where a list is meant is an error, not letters."""
    for key in keys:
        if key.name not in entry:
            continue
        value, kind = entry[key.name], key.type
        if kind == "list of strings":
            if isinstance(value, str):
                raise ConfigError(f"{where}: {key.name} must be a list of strings, like [{value!r}], "
                                  f"got the string {value!r}")
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{where}: {key.name} must be a list of non-empty strings, got {value!r}")
        elif kind == "boolean" and not isinstance(value, bool):
            raise ConfigError(f"{where}: {key.name} must be true or false, got {value!r}")
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ConfigError(f"{where}: {key.name} must be a positive whole number, got {value!r}")
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(f"{where}: {key.name} must be a number, got {value!r}")
        elif kind == "duration" and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            raise ConfigError(f"{where}: {key.name} must be a duration like \"3d\" or \"6h\", got {value!r}")
        elif kind == "string" and not isinstance(value, str) and not (
                key.name in _LOOSE_STRINGS and isinstance(value, int | float) and not isinstance(value, bool)):
            raise ConfigError(f"{where}: {key.name} must be a string, got {value!r}")


_LOOSE_STRINGS = {"edition", "num", "period"}  # a number written without quotes means the same


def _read_toml(resource: Any) -> dict[str, Any]:
    try:
        return tomllib.loads(resource.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{resource}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{resource}: cannot read: {exc.strerror or exc}") from None


def _need(entry: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
    if key not in entry:
        raise ConfigError(f"{where}: missing required key {key!r}")
    value = entry[key]
    if not isinstance(value, kind) or (kind is str and not value):
        raise ConfigError(f"{where}: {key!r} must be a non-empty {kind.__name__}, got {value!r}")
    return value


def _indicators(doc: Mapping[str, Any], file: str) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for i, entry in enumerate(doc.get("indicators", [])):
        where = f"{file}: indicators[{i}] ({entry.get('id', '?')})"
        ident = _need(entry, "id", where)
        unit = _need(entry, "unit", where)
        period = _need(entry, "period", where)
        if period not in PERIOD_PATTERNS:
            raise ConfigError(f"{where}: period must be one of {sorted(PERIOD_PATTERNS)}, got {period!r}")
        units = tuple(entry.get("units", [unit]))
        baselines = []
        for j, b in enumerate(entry.get("baselines", [])):
            bwhere = f"{where} baselines[{j}]"
            b_period = _need(b, "period", bwhere)
            if not PERIOD_PATTERNS[period].match(b_period):
                raise ConfigError(f"{bwhere}: period {b_period!r} is not a {period} period")
            value = b.get("value")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"{bwhere}: value must be a number, got {value!r}")
            b_unit = b.get("unit", unit)
            if b_unit not in units:
                raise ConfigError(f"{bwhere}: unit {b_unit!r} is not one of the indicator's units {units}")
            fields = {k: str(b.get(k, "")) for k in ("seed", "ref", "source", "note")}
            baselines.append(Baseline(b_period, float(value), b_unit, **fields))
        out[ident] = Indicator(
            id=ident,
            name=entry.get("name", ident),
            unit=unit,
            period=period,
            units=units,
            baselines=tuple(baselines),
            kind=entry.get("kind", "actual"),
            target=entry.get("target"),
            sum_of=tuple(entry.get("sum_of", ())),
        )
    return out


_SOURCE_ATTRS = {"id", "url", "kind", "name", "role", "indicators", "schedule", "enabled", "stale_after",
                 "quiet_after", "selector", "pattern", "follow", "mirrors", "also", "cites", "release"}
_ISO_CODE = re.compile(r"^[A-Za-z]{3}$")


def canonical_unit(unit: str, known: Iterable[str] = ()) -> str:
    """A unit as bridgewatch writes it: ISO currency codes in capitals (usd -> USD), the others lower case."""
    text = unit.strip()
    if text.lower() in UNITS_FIXED:
        return text.lower()
    for k in known:
        if k.lower() == text.lower():
            return k
    return text.upper() if _ISO_CODE.match(text) else text


def _source(entry: Any, file: str, index: int, base: Source | None = None) -> Source:
    if not isinstance(entry, dict):
        raise ConfigError(f"{file}: sources[{index}] must be a table")
    where = f"{file}: sources[{index}] ({entry.get('id', '?')})"
    _unknown_keys(entry, SOURCE_KEYS, where, "sources")
    _check_types(entry, SOURCE_KEYS, where)
    ident = _need(entry, "id", where)
    merged: dict[str, Any] = dict(base.entry) if base is not None else {}  # an override keeps what it does not restate
    merged.update(entry)
    url = _need(merged, "url", where)
    if not re.match(r"^https?://[^/\s]", url):
        raise ConfigError(f"{where}: url must start with http:// or https:// and name a host, got {url!r}")
    for key in ("mirrors", "also"):
        for other in merged.get(key, ()):
            if not re.match(r"^https?://[^/\s]", other):
                raise ConfigError(f"{where}: {key} must be http:// or https:// URLs with a host, got {other!r}")
    kind = _need(merged, "kind", where)
    role = merged.get("role", "news")
    if role not in ROLES:
        raise ConfigError(f"{where}: role must be one of {sorted(ROLES)}, got {role!r}")
    schedule = merged.get("schedule", "every 1d")
    durations: dict[str, float | None] = {}
    try:
        parse_schedule(schedule)
        for key in ("stale_after", "quiet_after"):
            durations[key] = parse_duration(merged[key]) if merged.get(key) else None
            if durations[key] is not None and durations[key] <= 0:  # type: ignore[operator]
                raise ValueError(f"{key} must be a positive duration, got {merged[key]!r}")
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for key in ("follow", "pattern"):
        if merged.get(key):
            try:
                re.compile(merged[key])
            except re.error as exc:
                raise ConfigError(f"{where}: {key} is not a valid regular expression: {exc}") from None
    if merged.get("selector"):
        import soupsieve

        try:
            soupsieve.compile(merged["selector"])
        except (soupsieve.SelectorSyntaxError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            raise ConfigError(f"{where}: selector {merged['selector']!r} is not a valid CSS selector: "
                              f"{first}") from None
    if merged.get("pattern"):
        if not merged.get("unit"):
            raise ConfigError(f"{where}: a `pattern` needs a `unit` (USD, CAD, count, percent, rank) "
                              "for the value it reads")
        if "(?P<value>" not in merged["pattern"]:
            raise ConfigError(f"{where}: a `pattern` needs a named group (?P<value>…) for the value")
    if merged.get("unit"):
        merged["unit"] = canonical_unit(str(merged["unit"]))
    release = _release(merged.get("release"), where)
    params = {k: v for k, v in merged.items() if k not in _SOURCE_ATTRS}
    return Source(
        id=ident,
        url=url,
        kind=kind,
        name=merged.get("name", ident),
        role=role,
        indicators=tuple(merged.get("indicators", ())),
        schedule=schedule,
        stale_after=durations["stale_after"],
        quiet_after=durations["quiet_after"],
        enabled=bool(merged.get("enabled", True)),
        selector=merged.get("selector"),
        pattern=merged.get("pattern"),
        follow=merged.get("follow"),
        mirrors=tuple(merged.get("mirrors", ())),
        also=tuple(merged.get("also", ())),
        cites=merged.get("cites", ""),
        release=release,
        params=params,
        defined_in=file,
        entry=merged,
    )


def _release(raw: Any, where: str) -> Rhythm | None:
    """A source's `release` table, its keys checked like any table's (a typo names the closest key)."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        known = [k.name for k in RELEASE_KEYS]
        for name in raw:
            if name not in known:
                raise ConfigError(f"{where}: unknown key {name!r} in release{_did_you_mean(name, known)} "
                                  f"(known keys: {', '.join(known)})")
    try:
        return parse_rhythm(raw)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _subscriber(entry: Any, file: str, index: int) -> Subscriber:
    where = f"{file}: subscribers[{index}] ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    _unknown_keys(entry, SUBSCRIBER_KEYS, where, "subscribers")
    _check_types({k: v for k, v in entry.items() if k != "channels"}, SUBSCRIBER_KEYS, where)
    name = _need(entry, "name", where)
    channels = entry.get("channels", [])
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and "://" in c for c in channels):
        raise ConfigError(f"{where}: channels must be a non-empty list of URLs like mailto://host?to=addr")
    for channel in channels:
        try:
            urlsplit(channel).port  # noqa: B018 - a port out of range raises here, not at the first digest
        except ValueError as exc:
            raise ConfigError(f"{where}: channel {channel.split('://', 1)[0]}://…: {exc}") from None
    cadence = entry.get("cadence", "immediate")
    if not isinstance(cadence, str) or not CADENCE.match(cadence):
        raise ConfigError(f"{where}: cadence must be immediate, 'daily HH:MM' or 'weekly DAY HH:MM', got {cadence!r}")
    _check_subscriber(entry, where)
    return Subscriber(
        name=name,
        channels=tuple(channels),
        cadence=cadence,
        timezone=entry.get("timezone", "UTC"),
        indicators=tuple(entry.get("indicators", ())),
        events=tuple(entry.get("events", ())),
        min_change_pct=entry.get("min_change_pct"),
        min_change_abs=entry.get("min_change_abs"),
        weekly_all_clear=bool(entry.get("weekly_all_clear", False)),
    )


def _check_subscriber(entry: Mapping[str, Any], where: str) -> None:
    """Time zone, event kinds and thresholds: caught at load, not at the first digest."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from service.diff import EVENT_KINDS

    clock = str(entry.get("cadence", "")).rsplit(" ", 1)[-1]
    if ":" in clock and (int(clock.split(":")[0]) > 23 or int(clock.split(":")[1]) > 59):
        raise ConfigError(f"{where}: cadence time {clock!r} is not a time of day (00:00 to 23:59)")
    try:
        ZoneInfo(str(entry.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown timezone {entry.get('timezone')!r} (use e.g. Asia/Karachi)") from None
    unknown = sorted(set(entry.get("events", ())) - set(EVENT_KINDS))
    if unknown:
        raise ConfigError(f"{where}: unknown event kind(s) {unknown} (known: {', '.join(EVENT_KINDS)})")
    for key in ("min_change_pct", "min_change_abs"):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise ConfigError(f"{where}: {key} must be a non-negative number, got {value!r}")


def settings_keys() -> tuple[Key, ...]:
    """[settings] as declared by the Settings dataclass, with the docs above."""
    defaults = Settings()
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return tuple(Key(name, names[type(getattr(defaults, name))], getattr(defaults, name), SETTINGS_DOCS.get(name, ""))
                 for name in Settings.__dataclass_fields__)


def _settings(raw: Mapping[str, Any], file: str) -> Settings:
    defaults = Settings()
    known = list(Settings.__dataclass_fields__)
    for key in raw:
        if key not in known:
            raise ConfigError(f"{file}: unknown key {key!r} in [settings]{_did_you_mean(key, known)} "
                              f"(known keys: {', '.join(known)})")
    for key, value in raw.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(f"{file}: [settings] {key} must be {expected.__name__}, got {value!r}")
        if key in _POSITIVE and value <= 0:
            raise ConfigError(f"{file}: [settings] {key} must be greater than 0, got {value!r}")
        if key in _NON_NEGATIVE and value < 0:
            raise ConfigError(f"{file}: [settings] {key} must not be negative, got {value!r}")
    if raw.get("suspect_factor") is not None and raw["suspect_factor"] <= 1:
        raise ConfigError(f"{file}: [settings] suspect_factor must be greater than 1, got {raw['suspect_factor']!r}")
    return replace(defaults, **{k: float(v) if type(getattr(defaults, k)) is float else v for k, v in raw.items()})


def _check_references(config: Config) -> None:
    from scrapers.base import kinds

    known_kinds = kinds()
    for src in config.sources.values():
        where = f"{src.defined_in}: source {src.id!r}"
        if src.kind not in known_kinds:
            raise ConfigError(f"{where}: unknown kind {src.kind!r} (known: {', '.join(known_kinds)})")
        missing = [i for i in src.indicators if i not in config.indicators]
        if missing:
            raise ConfigError(f"{where}: unknown indicator(s) {missing} (see `bridgewatch indicators`)")

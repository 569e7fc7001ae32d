"""Configuration: the built-in seeds, then the user's TOML file, then `BRIDGEWATCH_*` variables.

Everything becomes frozen dataclasses here, once, so the rest of the code never touches raw TOML.
A mistake is reported with the file, the entry and the problem (`ConfigError`), never a traceback.
Secrets are not part of the settings: channels read them from the environment when they send.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from scrapers.base import SourceSpec
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
    stale_after: float | None = None  # seconds
    selector: str | None = None
    pattern: str | None = None
    follow: str | None = None
    mirrors: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    cites: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    defined_in: str = "seeds/sources.toml"  # the file whose entry made (or last overrode) it

    @property
    def official(self) -> bool:
        return self.role == "official"

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


@dataclass(frozen=True, slots=True)
class Config:
    indicators: Mapping[str, Indicator]
    sources: Mapping[str, Source]
    subscribers: tuple[Subscriber, ...] = ()
    settings: Settings = Settings()
    path: Path | None = None

    def only(self, source_ids: Iterable[str]) -> list[Source]:
        """The named sources, in the order given; unknown ids are a ConfigError."""
        ids = list(source_ids)
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
    sources = {s.id: s for s in (_source(e, "seeds/sources.toml", i) for i, e in enumerate(raw_sources))}
    subscribers: list[Subscriber] = []
    settings = Settings()
    path = path or env.get("BRIDGEWATCH_CONFIG") or None
    cfg_path = Path(path) if path else None
    if cfg_path is not None:
        if not cfg_path.is_file():
            raise ConfigError(f"{cfg_path}: no such config file")
        user = _read_toml(cfg_path)
        where = str(cfg_path)
        unknown = set(user) - {"sources", "subscribers", "indicators", "settings"}
        if unknown:
            raise ConfigError(f"{where}: unknown section(s) {sorted(unknown)}")
        for extra in _indicators(user, where).values():
            indicators = {**indicators, extra.id: extra}
        for i, entry in enumerate(user.get("sources", [])):
            base = sources.get(entry.get("id", "")) if isinstance(entry, dict) else None
            src = _source(entry, where, i, base)
            sources[src.id] = src
        subscribers = [_subscriber(e, where, i) for i, e in enumerate(user.get("subscribers", []))]
        settings = _settings(user.get("settings", {}), where)
    notify = env.get("BRIDGEWATCH_NOTIFY", "").split()
    if notify:
        subscribers.append(Subscriber(name="BRIDGEWATCH_NOTIFY", channels=tuple(notify)))
    config = Config(indicators, sources, tuple(subscribers), settings, cfg_path)
    _check_references(config)
    return config


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


_SOURCE_KEYS = {
    "id", "url", "kind", "name", "role", "indicators", "schedule", "stale_after", "selector",
    "pattern", "follow", "mirrors", "also", "cites",
}


def _source(entry: Any, file: str, index: int, base: Source | None = None) -> Source:
    if not isinstance(entry, dict):
        raise ConfigError(f"{file}: sources[{index}] must be a table")
    where = f"{file}: sources[{index}] ({entry.get('id', '?')})"
    ident = _need(entry, "id", where)
    merged: dict[str, Any] = {}
    if base is not None:  # an override by id keeps what it does not restate
        merged = {k: getattr(base, k) for k in _SOURCE_KEYS if k != "stale_after"}
        merged.update(base.params)
        if base.stale_after is not None:
            merged["stale_after"] = f"{int(base.stale_after)}s"
    merged.update(entry)
    url = _need(merged, "url", where)
    if not re.match(r"^https?://", url):
        raise ConfigError(f"{where}: url must start with http:// or https://, got {url!r}")
    kind = _need(merged, "kind", where)
    role = merged.get("role", "news")
    if role not in ROLES:
        raise ConfigError(f"{where}: role must be one of {sorted(ROLES)}, got {role!r}")
    schedule = merged.get("schedule", "every 1d")
    try:
        parse_schedule(schedule)
        stale = parse_duration(merged["stale_after"]) if merged.get("stale_after") else None
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for key in ("follow", "pattern"):
        if merged.get(key):
            try:
                re.compile(merged[key])
            except re.error as exc:
                raise ConfigError(f"{where}: {key} is not a valid regular expression: {exc}") from None
    return Source(
        id=ident,
        url=url,
        kind=kind,
        name=merged.get("name", ident),
        role=role,
        indicators=tuple(merged.get("indicators", ())),
        schedule=schedule,
        stale_after=stale,
        selector=merged.get("selector"),
        pattern=merged.get("pattern"),
        follow=merged.get("follow"),
        mirrors=tuple(merged.get("mirrors", ())),
        also=tuple(merged.get("also", ())),
        cites=merged.get("cites", ""),
        params={k: v for k, v in merged.items() if k not in _SOURCE_KEYS},
        defined_in=file,
    )


def _subscriber(entry: Any, file: str, index: int) -> Subscriber:
    where = f"{file}: subscribers[{index}] ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    name = _need(entry, "name", where)
    channels = entry.get("channels", [])
    if not channels or not all(isinstance(c, str) and "://" in c for c in channels):
        raise ConfigError(f"{where}: channels must be a non-empty list of URLs like mailto://host?to=addr")
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


def _settings(raw: Mapping[str, Any], file: str) -> Settings:
    defaults = Settings()
    unknown = set(raw) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"{file}: [settings] has unknown key(s) {sorted(unknown)}")
    for key, value in raw.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int):
            continue
        if not isinstance(value, expected):
            raise ConfigError(f"{file}: [settings] {key} must be {expected.__name__}, got {value!r}")
    return replace(defaults, **raw)


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

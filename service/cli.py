"""The `bridgewatch` command: argument parsing and printing only; the work is in the service modules.

Exit codes: 0 success; 1 an error (bad config, unreadable input); 2 a refresh in which some sources
failed (the others were still refreshed and stored).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from service import __version__
from service.config import Config, ConfigError

EXIT_OK, EXIT_ERROR, EXIT_SOURCES_FAILED = 0, 1, 2
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[fn.__name__.removeprefix("cmd_").replace("_", "-")] = fn
    return fn


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bridgewatch",
        description="Keeps the Canada–Pakistan digital-bridge figures current.",
    )
    parser.add_argument("--version", action="version", version=f"bridgewatch {__version__}")
    parser.add_argument("--db", help="SQLite database (default: $BRIDGEWATCH_DB or ./bridgewatch.db)")
    parser.add_argument("--config", help="TOML config file (default: $BRIDGEWATCH_CONFIG)")
    parser.add_argument("--log-format", choices=("text", "json"),
                        default=os.environ.get("BRIDGEWATCH_LOG_FORMAT", "text"), help="log lines as text or JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("refresh", help="fetch sources, store snapshots, record events, send digests")
    p.add_argument("--source", action="append", default=[], metavar="ID", help="only this source (repeatable)")
    p.add_argument("--no-notify", action="store_true", help="record events but send nothing")

    p = sub.add_parser("digest", help="render the digest of recent events")
    p.add_argument("--since", help="events recorded at or after this date or time: 2026-11-01, 2026-11-01T08:00, "
                   "2026-11-01T08:00+05:00 (UTC unless a zone is given; default: since the last digest)")
    p.add_argument("--all", action="store_true", help="every event ever recorded")
    p.add_argument("--out", help="write to FILE (.html for HTML, else text) instead of stdout")
    p.add_argument("--format", choices=("text", "html", "markdown", "json"),
                   help="output format (default from --out's extension, else text)")

    sub.add_parser("status", help="sources, their health and the database's contents")

    p = sub.add_parser("notify-test", help="send a test message to a channel URL and say why it failed")
    p.add_argument("url", help="a channel: mailto://, json://, slack://, ntfy://, … (Apprise syntax)")

    p = sub.add_parser("outbox", help="digests waiting, sent or given up (dead), by channel")
    p.add_argument("--retry", metavar="ID", help="send this row again (dead or waiting)")
    p.add_argument("--retry-dead", action="store_true", help="send every dead row again")
    p.add_argument("--all", action="store_true", help="include sent rows")

    p = sub.add_parser("feed", help="an Atom feed of recent events")
    p.add_argument("--out", help="write to FILE instead of stdout")
    p.add_argument("--limit", type=int, default=50, help="how many events (default: 50)")

    p = sub.add_parser("history", help="every stored value of one indicator")
    p.add_argument("indicator")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _history_options(p)

    p = sub.add_parser("calendar", help="each source's last release, the next one expected, on time | due | overdue")
    p.add_argument("--format", choices=("text", "json", "md"), default="text")
    p.add_argument("--check", action="store_true", help="also record release_overdue / release_arrived events")

    p = sub.add_parser("factsheet", help="each seed figure beside what the sources state now, with a status")
    p.add_argument("--format", choices=("html", "md", "json", "csv"),
                   help="output format (default from --out's extension, else md)")
    p.add_argument("--out", help="write to FILE instead of stdout")

    p = sub.add_parser("indicators", help="indicators and their seed baselines")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = sub.add_parser("sources", help="configured sources")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--kinds", action="store_true", help="list the kinds of source instead")

    p = sub.add_parser("extract", help="print the figures one document yields (one JSON object per line)")
    p.add_argument("path", help="file to read, or - for standard input")
    p.add_argument("--source", metavar="SOURCE_ID", help="read it as this source does (kind, selector, indicators)")
    p.add_argument("--url", help="the document's URL (for relative links)")
    p.add_argument("--published", help="publication date YYYY-MM-DD (resolves 'in December')")

    p = sub.add_parser("prune", help="forget old fetch history nothing depends on (the daemon does it daily)")
    p.add_argument("--older-than", metavar="DAYS", type=int, help="1 or more; default: [settings] keep_history_days")

    p = sub.add_parser("demo", help="run the whole pipeline offline against recorded sources")
    p.add_argument("--out", default="demo", help="folder for the database and digests (default: demo)")

    p = sub.add_parser("run", help="the daemon: refresh on schedule, serve /healthz /metrics /feed.atom /")
    p.add_argument("--http-host", help="address to listen on (default: $BRIDGEWATCH_HTTP_HOST or 127.0.0.1)")
    p.add_argument("--http-port", help="port (default: $BRIDGEWATCH_HTTP_PORT or 8477; 0 picks a free one)")
    p.add_argument("--job-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="abandon one source's refresh after this long (default: 600)")
    p.add_argument("--source", action="append", default=[], metavar="ID", help="schedule only this source (repeatable)")

    p = sub.add_parser("check-config", help="validate config, seeds and channels; print what the daemon would schedule")
    p.add_argument("--keys", action="store_true", help="print every configuration key with its type and default "
                   "(Markdown: the README's configuration reference)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from service.logs import setup

    setup(args.log_format, logging.DEBUG if args.verbose else logging.INFO)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"bridgewatch: config error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except UsageError as exc:
        print(f"bridgewatch: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("bridgewatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except (OSError, sqlite3.Error, RuntimeError) as exc:  # a full disk, a locked or newer database
        if args.verbose:
            raise
        print(f"bridgewatch: error: {type(exc).__name__}: {exc} (-v shows where)", file=sys.stderr)
        return EXIT_ERROR


def _config(args: argparse.Namespace) -> Config:
    from service.config import load

    return load(args.config)


def _db_path(args: argparse.Namespace) -> str:
    return args.db or os.environ.get("BRIDGEWATCH_DB") or "bridgewatch.db"


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from store.queries import Store

    return Store(_db_path(args))


# --- commands -----------------------------------------------------------------------------------


@command
def cmd_refresh(args: argparse.Namespace) -> int:
    from service.health import record_stale_events, suspect_reason
    from service.notify import after_refresh, start_all
    from service.pipeline import Pipeline

    config = _config(args)
    sources = config.only(args.source) if args.source else None
    store = _store(args)
    # every subscriber's cursor exists before anything is written: the events of a refresh that is killed
    # half-way are then still after it, and sent by the next run
    start_all(config, store)
    for source in sources or config.sources.values():  # a source whose config changed is read afresh
        if store.reread_if_changed(source.id, source.reading, (source.url, *source.also, *source.mirrors)):
            print(f"{source.id}: read anew (its configuration changed)", file=sys.stderr)
    pipeline = Pipeline(config, store)
    total = len(args.source) if args.source else len(config.sources)
    bar = _Progress(total) if sys.stderr.isatty() else None
    report = pipeline.refresh(sources, progress=bar.step if bar else None)
    if bar:
        bar.done()
    for failed in sorted(report.failed, key=lambda s: s.source_id):
        print(f"failed: {failed.source_id}: {failed.error}", file=sys.stderr)
    for source_id, why in sorted(report.skipped.items()):
        print(f"skipped: {source_id}: being refreshed elsewhere ({why})", file=sys.stderr)
    suspect = {}
    for done in sorted(report.sources, key=lambda s: s.source_id):
        why = suspect_reason(store, config.sources[done.source_id]) if done.ok else None
        if why:
            suspect[done.source_id] = why
            print(f"suspect: {done.source_id}: {why} (see `bridgewatch status`)", file=sys.stderr)
    events = report.events + record_stale_events(config, store) + _check_releases(config, store)
    fetched = sum(s.documents for s in report.sources)
    unchanged = sum(s.unchanged for s in report.sources)
    print(
        f"refreshed {len(report.sources)} sources in {report.elapsed_s:.1f}s: {fetched} documents "
        f"({unchanged} unchanged), {sum(s.observations for s in report.sources)} figures read, "
        f"{len(events)} new events, {len(report.failed)} failed"
        + (f", {len(suspect)} with suspect values" if suspect else "")
    )
    if not args.no_notify:  # even without new events: earlier sends may be due for a retry
        for sent in after_refresh(config, store, events):
            outcome = "gave up, see `bridgewatch outbox`" if sent.status == "dead" else "will retry"
            status = "sent" if sent.ok else f"FAILED ({outcome}): {sent.error}"
            print(f"digest to {sent.subscriber} via {sent.channel}: {status}")
    store.close()
    return EXIT_SOURCES_FAILED if report.failed else EXIT_OK


@command
def cmd_digest(args: argparse.Namespace) -> int:
    from service import digest as digests

    config = _config(args)
    store = _store(args)
    if args.all:
        events = store.events()
    elif args.since:
        events = store.events(since=_since(args.since))
    else:
        last = store.last_digest()
        events = store.events(after_id=(last or {}).get("last_event_id") or 0)
    result = digests.build(store, config, events)
    suffixes = {".html": "html", ".htm": "html", ".md": "markdown", ".json": "json"}
    fmt = args.format or suffixes.get(Path(args.out).suffix.lower() if args.out else "", "text")
    body = {"html": result.standalone_html, "markdown": lambda: result.markdown,
            "json": lambda: json.dumps(result.payload, ensure_ascii=False, indent=2) + "\n",
            "text": lambda: result.text}[fmt]()
    _write(body, args.out, result.subject)
    return EXIT_OK


@command
def cmd_status(args: argparse.Namespace) -> int:
    from service.health import all_health

    config = _config(args)
    store = _store(args)
    rows = {r["id"]: r for r in store.sources()}
    table = []
    for source_id, health in all_health(config, store).items():
        row = rows.get(source_id, {})
        table.append([source_id, config.sources[source_id].kind, health.state, (row.get("last_success") or "-")[:19],
                      health.reason[:90]])
    _print_table(["source", "kind", "state", "last success (UTC)", "why"], table)
    if config.disabled:
        print(f"off: {', '.join(sorted(config.disabled))}")
    counts = store.counts()
    print("\n" + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"  ({store.path})")
    outbox = store.outbox_counts()
    print(f"outbox: {outbox['pending'] + outbox['sending']} pending, {outbox['sent']} sent, {outbox['dead']} dead"
          + ("  (see `bridgewatch outbox`)" if outbox["dead"] else ""))
    return EXIT_OK


@command
def cmd_notify_test(args: argparse.Namespace) -> int:
    from service.delivery import DeliveryError, redact
    from service.notify import send_test

    config = _config(args)
    try:
        where = send_test(config, args.url)
    except DeliveryError as exc:
        kind = "will not work until fixed" if exc.permanent else "may be temporary"
        print(f"bridgewatch: test message to {redact(args.url)} FAILED ({kind}): {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"test message sent to {where}")
    return EXIT_OK


@command
def cmd_outbox(args: argparse.Namespace) -> int:
    from service import outbox

    store = _store(args)
    if args.retry:
        if not outbox.retry(store, args.retry):
            print(f"bridgewatch: no dead or waiting outbox row {args.retry!r}", file=sys.stderr)
            return EXIT_ERROR
        print(f"{args.retry} will be sent at the next refresh or daemon tick")
        return EXIT_OK
    if args.retry_dead:
        print(f"{outbox.retry_dead(store)} dead row(s) will be sent at the next refresh or daemon tick")
        return EXIT_OK
    rows = [r for r in store.outbox(limit=500) if args.all or r["status"] != "sent"]
    when = {"sent": "sent_at", "pending": "next_attempt", "sending": "claimed_at"}
    _print_table(["id", "status", "tries", "subscriber", "channel", "next try / sent (UTC)", "last error"],
                 [[r["id"], r["status"], r["attempts"], r["subscriber"], r["channel"][:50],
                   (r[when[r["status"]]] or "")[:19] if r["status"] in when else "-", (r["last_error"] or "")[:90]]
                  for r in rows])
    counts = store.outbox_counts()
    print(f"\n{counts['pending'] + counts['sending']} pending, {counts['sent']} sent, {counts['dead']} dead")
    return EXIT_OK


@command
def cmd_feed(args: argparse.Namespace) -> int:
    from service.feed import atom

    _write(atom(_config(args), _store(args), limit=args.limit), args.out, "Atom feed")
    return EXIT_OK


@command
def cmd_history(args: argparse.Namespace) -> int:
    from service import humanize

    config = _config(args)
    if args.indicator not in config.indicators:
        print(f"bridgewatch: unknown indicator {args.indicator!r} (see `bridgewatch indicators`)", file=sys.stderr)
        return EXIT_ERROR
    if args.as_of or args.vintages or args.first_release or args.period:
        return _history_realtime(args)
    rows = _store(args).history(args.indicator)
    if args.format == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["period", "value"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        # as many digits as it takes for the values of one period (a revision) to read differently
        shown: dict[int, str] = {}
        for period in {(r["period"], r["unit"]) for r in rows}:
            same = [i for i, r in enumerate(rows) if (r["period"], r["unit"]) == period]
            for i, text in zip(same, humanize.distinct([rows[i]["value"] for i in same], period[1]), strict=True):
                shown[i] = text
        _print_table(
            ["period", "value", "source", "status", "current", "first seen"],
            [[r["period"], shown[i] + (f" [{r['variant']}]" if r["variant"] else ""),
              r["source_id"], r["status"], "yes" if r["current"] else "", r["first_seen"]] for i, r in enumerate(rows)],
        )
        baselines = config.indicators[args.indicator].baselines
        for b in baselines:
            print(f"seed baseline {b.period}: {humanize.amount(b.value, b.unit)} (seed {b.seed} {b.ref})")
    return EXIT_OK


@command
def cmd_factsheet(args: argparse.Namespace) -> int:
    from service import factsheet_render
    from service.factsheet import counts

    fmt = args.format or {".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}.get(
        Path(args.out).suffix.lower() if args.out else "", "md")
    config = _config(args)
    store = _store(args)
    rows = factsheet_render.gather(config, store)
    factsheet_render.record(store, rows)  # the `factsheet` SQL view shows the same
    store.close()
    summary = ", ".join(f"{n} {status}" for status, n in counts(rows).items() if n)
    _write(factsheet_render.render(rows, fmt), args.out, f"bridgewatch factsheet: {len(rows)} seed figures ({summary})")
    return EXIT_OK


@command
def cmd_indicators(args: argparse.Namespace) -> int:
    from service import humanize

    config = _config(args)
    for ind in config.indicators.values():
        record = {
            "id": ind.id, "name": ind.name, "unit": ind.unit, "units": list(ind.units), "period": ind.period,
            "kind": ind.kind,
            "baselines": [{"period": b.period, "value": b.value, "unit": b.unit, "seed": b.seed, "ref": b.ref,
                           "source": b.source, "note": b.note} for b in ind.baselines],
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            base = "; ".join(f"{b.period}: {humanize.amount(b.value, b.unit)}" for b in ind.baselines) or "-"
            print(f"{ind.id:34} {ind.unit:8} {base}")
    return EXIT_OK


@command
def cmd_sources(args: argparse.Namespace) -> int:
    if args.kinds:
        from scrapers.base import kinds

        for kind, doc in kinds().items():
            print(f"{kind:14} {doc}")
        return EXIT_OK
    config = _config(args)
    for src in config.sources.values():
        if args.json:
            record = {"id": src.id, "name": src.name, "url": src.url, "kind": src.kind, "role": src.role,
                      "schedule": src.schedule, "indicators": list(src.indicators)}
            for key in ("selector", "pattern", "follow", "cites"):
                if getattr(src, key):
                    record[key] = getattr(src, key)
            if src.mirrors:
                record["mirrors"] = list(src.mirrors)
            if src.also:
                record["also"] = list(src.also)
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{src.id:24} {src.kind:12} {src.role:8} {src.schedule:12} {src.url}")
    return EXIT_OK


@command
def cmd_extract(args: argparse.Namespace) -> int:
    from scrapers import load_all
    from scrapers.base import EXTRACTORS, FOLLOWERS, Document, ExtractError, SourceSpec
    from scrapers.sniff import sniff

    load_all()
    try:
        body = sys.stdin.buffer.read() if args.path == "-" else Path(args.path).read_bytes()
    except OSError as exc:
        print(f"bridgewatch: cannot read {args.path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    published = None
    if args.published:
        try:
            published = date.fromisoformat(args.published)
        except ValueError:
            print(f"bridgewatch: --published must be YYYY-MM-DD, got {args.published!r}", file=sys.stderr)
            return EXIT_ERROR
    indicators = {}
    if args.source:
        config = _config(args)
        spec = config.only([args.source])[0].spec()
        indicators = dict(config.indicators)
    else:
        spec = SourceSpec("extract", sniff(body, args.url or ""), args.url or "")
    # the document's own address: a file's name can carry facts (a workbook's edition year)
    url = args.url or (Path(args.path).resolve().as_uri() if args.path != "-" else spec.url)
    doc = Document(body, url, spec, "", published)
    try:
        observations = EXTRACTORS[spec.kind](doc)
        links = FOLLOWERS[spec.kind](doc) if spec.kind in FOLLOWERS else []
    except ExtractError as exc:
        print(f"bridgewatch: {args.path}: cannot read as {spec.kind}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if indicators:  # as a refresh stores them: `usd` as USD, "October 2026" as 2026-10
        from service.observe import normalized

        observations = [normalized(o, indicators.get(o.indicator)) for o in observations]
    for obs in observations:
        print(obs.as_json())
    for link in links:
        print(f"# would follow: {link.url}" + (f"  ({link.title})" if link.title else ""), file=sys.stderr)
    return EXIT_OK


@command
def cmd_prune(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    days = args.older_than if args.older_than is not None else _config(args).settings.keep_history_days
    if days < 1:
        print(f"bridgewatch: --older-than must be a whole number of days, 1 or more, got {days}", file=sys.stderr)
        return EXIT_ERROR
    before = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
    store = _store(args)
    removed = store.prune(before)
    if sum(removed.values()):
        store.db.execute("VACUUM")  # give the space back to the file system
    print(f"pruned history older than {days} days: " + ", ".join(f"{n} {what}" for what, n in removed.items()))
    return EXIT_OK


@command
def cmd_demo(args: argparse.Namespace) -> int:
    from service.demo import run_demo

    return run_demo(Path(args.out))


@command
def cmd_run(args: argparse.Namespace) -> int:
    from service.scheduler import Daemon

    config = _config(args)
    host = args.http_host or os.environ.get("BRIDGEWATCH_HTTP_HOST") or "127.0.0.1"
    port = args.http_port or os.environ.get("BRIDGEWATCH_HTTP_PORT") or "8477"
    if not port.isdigit() or int(port) > 65535:
        print(f"bridgewatch: the HTTP port must be a number from 0 to 65535, got {port!r}", file=sys.stderr)
        return EXIT_ERROR
    sources = config.only(args.source) if args.source else None
    code = Daemon(config, _db_path(args), host, int(port), job_timeout=args.job_timeout, sources=sources).run()
    # A refresh abandoned at shutdown may still sit in a fetch; what it had not committed is rolled
    # back by SQLite, so end the process now rather than wait for it past the stop deadline.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)


@command
def cmd_check_config(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from service.delivery import redact
    from service.notify import check_channel
    from service.scheduler import jitter_for, plan

    if args.keys:
        sys.stdout.write(keys_reference())
        return EXIT_OK
    config = _config(args)
    now = datetime.now(UTC)
    print(f"config: {config.path or '(none: built-in seeds only)'}: {len(config.indicators)} indicators, "
          f"{len(config.sources)} sources, {len(config.subscribers)} subscribers")
    rows = _source_rows(_db_path(args))
    print(f"database: {_db_path(args)}" + ("" if rows is not None else " (not created yet)"))
    _print_table(
        ["source", "kind", "schedule", "jitter", "first run", "why"],
        [[p.source.id, p.source.kind, p.source.schedule, f"{jitter_for(p.source.schedule)}s",
          f"{p.next_run:%Y-%m-%d %H:%M:%S}Z" if p.next_run else "-", p.why]
         for p in plan(config.sources.values(), rows or {}, now)],
    )
    for source in sorted(config.disabled.values(), key=lambda s: s.id):
        why = ("[settings] seed_sources = false" if "seed_sources" in source.defined_in
               else f"enabled = false in {source.defined_in}")
        print(f"off: {source.id} ({why})")
    problems = []
    logging.getLogger("apprise").setLevel(logging.CRITICAL + 1)  # its parse warnings: the problem line says it
    for subscriber in config.subscribers:
        for channel in subscriber.channels:
            print(f"subscriber {subscriber.name} ({subscriber.cadence}): {_redacted(redact, channel)}")
            problem = check_channel(channel)
            if problem:
                problems.append(f"subscriber {subscriber.name}: {problem}")
    for problem in problems:
        print(f"bridgewatch: config error: {problem}", file=sys.stderr)
    return EXIT_ERROR if problems else EXIT_OK


def _redacted(redact: Callable[[str], str], url: str) -> str:
    try:
        return redact(url)
    except ValueError:
        return url.split("://", 1)[0] + "://…"


def keys_reference() -> str:
    """Every key of [[sources]], [[subscribers]] and [settings] with type, default and meaning, as Markdown
    tables: generated from the declarations in service/config.py (the README's reference is this text)."""
    from service.config import RELEASE_KEYS, SOURCE_KEYS, SUBSCRIBER_KEYS, settings_keys

    out = []
    for table, keys in (("[[sources]]", SOURCE_KEYS), ("[[sources]] release = { … }", RELEASE_KEYS),
                        ("[[subscribers]]", SUBSCRIBER_KEYS), ("[settings]", settings_keys())):
        out += [f"`{table}`", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for key in keys:
            default, doc = (text.replace("|", "\\|") for text in (key.shown_default(), key.doc))
            out.append(f"| `{key.name}` | {key.type} | {default} | {doc} |")
        out.append("")
    return "\n".join(out)


# --- issue 13: vintages and the release calendar (logic in service/vintages.py, service/calendar.py) ---


def _history_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", help="only this period (2026-10, 2025, FY2024-25, GII-2025)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--as-of", metavar="TIMESTAMP",
                      help="the values as bridgewatch knew them then (fetch time; 2026-11-01, 2026-11-01T08:00Z)")
    mode.add_argument("--vintages", action="store_true", help="every value each period has had, with known-from/to")
    mode.add_argument("--first-release", action="store_true", help="each period's first value (the first print)")


def _history_realtime(args: argparse.Namespace) -> int:
    from service import vintages

    mode = "as_of" if args.as_of else "first_release" if args.first_release else "vintages"
    try:
        rows = vintages.rows_for(_store(args).db, args.indicator, mode, args.period, args.as_of)
    except ValueError:
        raise UsageError(f"--as-of {args.as_of!r} is not a date or time; accepted: {SINCE_FORMS}") from None
    vintages.write(rows, args.format)
    return EXIT_OK


def _check_releases(config: Config, store: Any) -> list[int]:
    from service.calendar import check_releases

    return check_releases(config, store)


@command
def cmd_calendar(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from service import calendar

    config, store, now = _config(args), _store(args), datetime.now(UTC)
    if args.check:
        calendar.check_releases(config, store, now)
    entries = calendar.calendar(config, store, now)
    if args.format == "json":
        print(calendar.as_json(entries))
    elif args.format == "md":
        print(calendar.as_markdown(entries, now), end="")
    else:
        print(calendar.as_text(entries), end="")
    store.close()
    return EXIT_OK


SINCE_FORMS = "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], optionally with a zone (Z, +05:00)"


def _since(text: str) -> str:
    """--since as the ISO UTC timestamp events are stored with; a ConfigError-like exit for anything else."""
    from datetime import UTC, datetime

    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"--since {text!r} is not a date or time; accepted: {SINCE_FORMS}") from None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class UsageError(Exception):
    """A command-line value that cannot be used: one line, exit 1."""


def _source_rows(db_path: str) -> dict[str, dict[str, Any]] | None:
    """The `sources` rows of an existing database, read-only (checking creates nothing); None if absent."""
    import sqlite3

    if not Path(db_path).is_file():
        return None
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        with closing(conn):
            return {r["id"]: dict(r) for r in conn.execute("SELECT id, last_attempt FROM sources")}
    except sqlite3.Error:
        return {}


# --- printing helpers ---------------------------------------------------------------------------


def _write(body: str, out: str | None, what: str) -> None:
    """`body` to the file `out` (saying so), or to standard output."""
    if out:
        Path(out).write_text(body, encoding="utf-8")
        print(f"{what} -> {out}")
    else:
        sys.stdout.write(body)


def _print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


class _Progress:
    """A one-line progress bar on stderr, for people watching a refresh in a terminal.

    It fits the terminal's width (read at each step, so a resized window is followed): a line longer than
    the terminal would wrap and turn each redraw into a new line."""

    def __init__(self, total: int) -> None:
        self.total, self.count, self.failed = max(total, 1), 0, 0

    @staticmethod
    def width() -> int:
        import shutil

        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)  # the last column would wrap on some

    def line(self, source_id: str, columns: int) -> str:
        counts = f" {self.count}/{self.total} {self.failed} failed"
        bar = max(5, min(30, columns // 3))
        filled = int(bar * self.count / self.total)
        text = f"[{'#' * filled}{'.' * (bar - filled)}]{counts}"
        room = columns - len(text) - 2
        if room >= 8:
            text += "  " + (source_id if len(source_id) <= room else source_id[: room - 1] + "…")
        return text[:columns].ljust(columns)

    def step(self, report: Any) -> None:
        self.count += 1
        self.failed += not report.ok
        sys.stderr.write("\r" + self.line(report.source_id, self.width()))
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r" + " " * self.width() + "\r")

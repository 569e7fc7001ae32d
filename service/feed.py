"""An Atom feed of recent events, for people who follow changes in a feed reader.

One entry per reported change, in the digest's words (a record folded into its new period), with
the source as the entry's link. Entry ids are tag URIs of the event id, so a reader never shows
the same change twice. `bridgewatch feed` prints it; the daemon serves it at /feed.atom.
"""

from __future__ import annotations

from datetime import UTC, datetime

from service import digest as digests
from service.config import Config
from store.queries import Store

FEED_ID = "tag:bridgewatch,2025:events"


def atom(config: Config, store: Store, limit: int = 50, self_url: str | None = None,
         now: datetime | None = None) -> str:
    """The Atom document (UTF-8 text) of the latest `limit` events; suspect values are left out."""
    events = [e for e in reversed(store.recent_events(limit)) if e["kind"] != "suspect"]
    report = digests.build(store, config, events, now=now, title="bridgewatch")
    groups = report.context["groups"]
    entries = [(item, group.name) for group in groups for item in group.items]
    entries += [(item, "") for item in report.context["source_news"]]
    entries.sort(key=lambda pair: pair[0].id, reverse=True)
    updated = max((e["created_at"] for e in events), default=None) or (now or datetime.now(UTC)).isoformat()
    return digests.render("feed.atom.j2", feed_id=FEED_ID, self_url=self_url, updated=_rfc3339(updated),
                          entries=[_entry(item, name) for item, name in entries])


def _rfc3339(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(item: digests.Item, indicator_name: str) -> dict[str, str]:
    subject = indicator_name or item.source_name
    value = f"{item.old} → {item.new}" if item.old else item.new
    badges = "".join(f" ({b})" for b in item.badges)
    title = f"{subject}, {item.period}: {item.label}{badges} {value}" if item.period else f"{subject}: {item.label}"
    lines = [item.note]
    if item.change:
        lines.append(f"Change: {item.change}" + (f" ({item.change_pct})" if item.change_pct else ""))
    if item.baseline:
        lines.append(f"vs seed baseline {item.baseline} ({item.baseline_ref}): {item.vs_baseline}"
                     + (f" / {item.vs_baseline_pct}" if item.vs_baseline_pct else ""))
    if item.evidence:
        lines.append(f"“{item.evidence}”")
    lines.append(f"Source: {item.source_name}" + (" (official)" if item.official else ""))
    return {
        "id": f"{FEED_ID}:{item.id}",
        "title": " ".join(title.split()),
        "link": item.url,
        "updated": _rfc3339(item.raw["created_at"]),
        "category": item.kind,
        "summary": "\n".join(line for line in lines if line),
    }

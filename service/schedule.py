"""Schedules as users write them ("0 7 * * *" or "every 6h"), parsed once into APScheduler triggers."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}


def parse_duration(text: str) -> float:
    """'90s', '15m', '6h', '7d' (or plain seconds) -> seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 6h, 7d)")
    return float(match[1]) * _SECONDS[match[2]]


def parse_schedule(text: str, jitter: int | None = None) -> BaseTrigger:
    """A cron expression (five fields) or 'every N[s|m|h|d]' -> an APScheduler trigger."""
    text = text.strip()
    if text.lower().startswith("every "):
        seconds = parse_duration(text[6:])
        if seconds <= 0:
            raise ValueError(f"schedule interval must be positive: {text!r}")
        return IntervalTrigger(seconds=seconds, jitter=jitter)
    try:
        trigger = CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"schedule {text!r} is neither a cron expression nor 'every N[s|m|h|d]': {exc}") from None
    trigger.jitter = jitter  # from_crontab takes no jitter argument
    return trigger


def expected_interval(text: str) -> timedelta:
    """The usual gap between two runs of a schedule: how overdue a source can be judged."""
    trigger = parse_schedule(text)
    if isinstance(trigger, IntervalTrigger):
        return trigger.interval
    from datetime import datetime

    first = trigger.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=UTC))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    if first is None or second is None:
        return timedelta(days=1)
    return second - first

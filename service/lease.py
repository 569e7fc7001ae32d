"""Leases in SQLite: one refresh of a source at a time, across every process that opens the database.

The daemon and a one-off `bridgewatch refresh` (or two containers sharing /data) may want the same
source at the same moment. Each refresh first takes the lease `source:<id>`; whoever holds it
refreshes, the other skips the source and says so. A lease is a row with an owner and an expiry, so
a holder that dies is never waited on forever: its lease expires (TTL), and on the same host a
holder whose process is gone is recognised at once, so a daemon restarted after `kill -9` does not
wait out the TTL. The holder renews while it works; a refresh abandoned by the watchdog stops
renewing, and its results are discarded because it no longer holds the lease when it would write.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable

import sqlite_utils

from store.leases import Holder, LeaseRows
from store.schema import write_transaction

__all__ = ["Holder", "Leases", "active", "release_process", "source_lease"]

LEASE_TTL = 120.0  # seconds; renewed every third of that while the holder works
# This process's incarnation: a container restarted after kill -9 runs its daemon as pid 1 again on
# the same host name, so host and pid alone cannot tell the dead holder from the living one.
INCARNATION = uuid.uuid4().hex[:12]


def source_lease(source_id: str) -> str:
    return f"source:{source_id}"


def _same_incarnation(owner: str) -> bool:
    """Whether a lease with our host and pid was taken by this very process, not an earlier one."""
    parts = owner.split(":")
    return len(parts) >= 4 and parts[2] == INCARNATION


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to someone else
        return True
    return True


class Leases:
    """The leases one holder (a pipeline, or the daemon's heartbeat) takes in one database.

    Not thread-safe by design: the thread that owns `db` calls everything except `abandon()`, which
    only flips a flag and may come from a watchdog thread.
    """

    def __init__(self, db: sqlite_utils.Database, ttl: float = LEASE_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._rows = LeaseRows(db)
        self.ttl = ttl
        self.clock = clock
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{INCARNATION}:{uuid.uuid4().hex[:8]}"
        self.held: set[str] = set()
        self.abandoned = False
        self._renewed_at = 0.0

    def holder(self, name: str) -> Holder | None:
        return self._rows.get(name)

    def acquire(self, name: str) -> bool:
        """Take `name` if it is free, expired, ours, or held by a dead process on this host."""
        if self.abandoned:
            return False
        now = self.clock()
        with write_transaction(self.db):
            current = self.holder(name)
            if current is not None and not self._takeable(current, now):
                return False
            self._rows.put([self._holding(name, now)])
        self.held.add(name)
        self._renewed_at = now
        return True

    def acquire_many(self, names: list[str]) -> set[str]:
        """Take every free lease among `names` in one transaction (a refresh of many sources)."""
        if self.abandoned:
            return set()
        now = self.clock()
        taken: set[str] = set()
        with write_transaction(self.db):
            holders = self._rows.by_name()
            for name in names:
                current = holders.get(name)
                if current is None or self._takeable(current, now):
                    taken.add(name)
            self._rows.put([self._holding(name, now) for name in sorted(taken)])
        self.held |= taken
        self._renewed_at = now
        return taken

    def _holding(self, name: str, now: float) -> Holder:
        return Holder(name, self.owner, self.host, self.pid, now, now + self.ttl)

    def _takeable(self, current: Holder, now: float) -> bool:
        return (
            current.owner == self.owner
            or current.expires_at <= now
            or (current.host == self.host and current.pid != self.pid and not _alive(current.pid))
            or (current.host == self.host and current.pid == self.pid and not _same_incarnation(current.owner))
        )

    def renew_due(self) -> None:
        """Extend every lease held, at most once per third of the TTL (cheap to call often)."""
        now = self.clock()
        if self.abandoned or not self.held or now - self._renewed_at < self.ttl / 3:
            return
        names = sorted(self.held)
        with write_transaction(self.db):
            self._rows.extend(self.owner, names, now + self.ttl)
        self._renewed_at = now

    def release(self, name: str) -> None:
        """Give `name` back; a lease someone else has taken meanwhile is left alone."""
        with write_transaction(self.db):
            self.release_within(name)

    def release_within(self, name: str) -> bool:
        """`release` inside the caller's write transaction, so the lease goes with what it protected.
        False when the lease was no longer ours (expired and taken, or abandoned): write nothing then."""
        self.held.discard(name)
        if self.abandoned:
            return False
        return self._rows.delete(name, self.owner)

    def release_all(self) -> None:
        """Give back every lease of this holder, including any whose release rolled back."""
        with write_transaction(self.db):
            self._rows.delete_owner(self.owner)
        self.held.clear()

    def abandon(self) -> None:
        """Stop renewing and never write again: the leases expire on their own (watchdog, shutdown)."""
        self.abandoned = True


def release_process(db: sqlite_utils.Database) -> int:
    """Give back every lease this process holds, abandoned refreshes included: it is about to exit,
    and nothing of it writes after this, so the next process need not wait for the TTL."""
    with write_transaction(db):
        return LeaseRows(db).delete_process(socket.gethostname(), os.getpid())


def active(db: sqlite_utils.Database, now: float | None = None) -> list[Holder]:
    """Leases not yet expired: what is being refreshed right now, and by whom (the status page)."""
    return LeaseRows(db).active(time.time() if now is None else now)

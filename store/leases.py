"""The leases table: every statement service/lease.py's policy needs, so only store/ speaks SQL.

The policy (who may take a lease, when to renew) stays in service/lease.py; this module only reads
and writes rows. Callers hold the write transaction, so a lease goes with what it protected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlite_utils

_COLUMNS = ("name", "owner", "host", "pid", "acquired_at", "expires_at")


@dataclass(frozen=True, slots=True)
class Holder:
    """One row of `leases`: who holds a name, from where, and until when."""

    name: str
    owner: str
    host: str
    pid: int
    acquired_at: float
    expires_at: float

    def describe(self) -> str:
        return f"held by {self.host} pid {self.pid} until {time.strftime('%H:%M:%SZ', time.gmtime(self.expires_at))}"


class LeaseRows:
    """Reads and writes of `leases` in one database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def get(self, name: str) -> Holder | None:
        row = next(self._db.query("SELECT * FROM leases WHERE name = ?", [name]), None)
        return Holder(**row) if row else None

    def by_name(self) -> dict[str, Holder]:
        return {row["name"]: Holder(**row) for row in self._db.query("SELECT * FROM leases")}

    def put(self, holders: list[Holder]) -> None:
        """Write `holders`, replacing whatever held their names before."""
        self._db.conn.executemany(
            f"INSERT OR REPLACE INTO leases ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            [tuple(getattr(h, c) for c in _COLUMNS) for h in holders])

    def extend(self, owner: str, names: list[str], expires_at: float) -> None:
        """Move the expiry of `owner`'s leases among `names` (a renewal)."""
        self._db.execute(
            f"UPDATE leases SET expires_at = ? WHERE owner = ? AND name IN ({', '.join('?' * len(names))})",
            [expires_at, owner, *names])

    def delete(self, name: str, owner: str) -> bool:
        """Drop `name` if `owner` still holds it; False when someone else does (or nobody)."""
        return self._db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner]).rowcount == 1

    def delete_owner(self, owner: str) -> None:
        self._db.execute("DELETE FROM leases WHERE owner = ?", [owner])

    def delete_process(self, host: str, pid: int) -> int:
        """Drop every lease of one process (any of its holders); how many there were."""
        return self._db.execute("DELETE FROM leases WHERE host = ? AND pid = ?", [host, pid]).rowcount

    def active(self, now: float) -> list[Holder]:
        """Leases not yet expired at `now`, by name."""
        return [Holder(**row) for row in self._db.query(
            "SELECT * FROM leases WHERE expires_at > ? ORDER BY name", [now])]

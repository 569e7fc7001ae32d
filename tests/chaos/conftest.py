"""The chaos suite writes what it saw to $BRIDGEWATCH_CHAOS_REPORT (JSON) when that is set."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import pytest

from tests.chaos.harness import LEDGER, ledger

_STARTED = time.monotonic()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("BRIDGEWATCH_CHAOS_REPORT")
    if not target or not LEDGER:
        return
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU",
        "wall_seconds": round(time.monotonic() - _STARTED, 1),
        "exit_status": int(exitstatus),
        "faults": ledger(),
    }
    Path(target).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

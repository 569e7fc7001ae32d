"""Render a sample HTML digest and screenshot it in headless Chromium at phone width.

    .venv/bin/python bench/screenshot_digest.py [--out docs/digest.png] [--dark docs/digest-dark.png]
                                                 [--html digest.html] [--width 420] [--height 1250]

The data is a labelled sample (no network, no real database): a month's IT exports that set a
record, a revised fiscal-year figure, progress to the target, and a broken source, so one picture
shows every part of a digest. Chromium is Debian's `chromium` (apt-get install chromium); the
browser gets a throwaway profile and no network services.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service import digest  # noqa: E402
from service.config import load  # noqa: E402
from store.queries import Store  # noqa: E402

NOW = datetime(2026, 2, 20, 7, 0, tzinfo=UTC)
MONTHLY = [("2024-07", 286e6), ("2024-08", 298e6), ("2024-09", 292e6), ("2024-10", 330e6), ("2024-11", 319e6),
           ("2024-12", 348e6), ("2025-01", 437e6)]
SEED_MONTHLY = {"period": "2024-12", "value": 348e6, "unit": "USD", "seed": "001", "ref": "[4][11] Arab News"}
SEED_FY = {"period": "FY2024-25", "value": 3.8e9, "unit": "USD", "seed": "001", "ref": "[1] SAMENA Daily News"}


def sample_store(path: Path) -> Store:
    """A database holding what one good month looks like (sample figures, for the picture only)."""
    store = Store(path)
    store.ensure_source("sbp_ebops", "sbp_ebops", "https://www.sbp.org.pk/ecodata/index2.asp", "official")
    store.ensure_source("samena_news", "feed", "https://www.samenacouncil.org/samena_daily_news/", "news")
    seen = "2026-02-20T06:58:00+00:00"
    for period, value in MONTHLY:
        store.insert_observation(indicator="pk_it_exports_monthly", period=period, value=value, unit="USD",
                                 source_id="sbp_ebops", status="ok", first_seen=seen, last_seen=seen)
    for period, value in [("FY2022-23", 2.6e9), ("FY2023-24", 3.2e9), ("FY2024-25", 3.82e9)]:
        store.insert_observation(indicator="pk_it_exports_fy", period=period, value=value, unit="USD",
                                 source_id="sbp_ebops", status="ok", first_seen=seen, last_seen=seen)
    monthly = {"indicator": "pk_it_exports_monthly", "period": "2025-01", "unit": "USD", "variant": "",
               "source_id": "sbp_ebops", "new_value": 437e6, "baseline_value": 348e6, "created_at": seen}
    evidence = ("Pakistan's IT and ICT services exports rose to $437 million in January, the highest monthly "
                "figure on record, State Bank data showed.")
    detail = {"evidence": evidence, "official": True, "baseline": SEED_MONTHLY,
              "url": "https://www.sbp.org.pk/ecodata/index2.asp"}
    store.add_event(kind="new_period", dedupe_key="s1", detail=detail, **monthly)
    store.add_event(kind="record", dedupe_key="s2", old_value=348e6, detail={**detail, "previous_record": 348e6},
                    **monthly)
    fy = {"indicator": "pk_it_exports_fy", "period": "FY2024-25", "unit": "USD", "variant": "",
          "source_id": "sbp_ebops", "new_value": 3.82e9, "baseline_value": 3.8e9, "created_at": seen}
    fy_detail = {"evidence": "IT exports for FY2024-25 were revised to $3.82 billion in the annual services data.",
                 "official": True, "baseline": SEED_FY, "url": "https://www.sbp.org.pk/ecodata/index2.asp"}
    store.add_event(kind="revision", dedupe_key="s3", old_value=3.8e9, detail=fy_detail, **fy)
    store.add_event(kind="target_progress", dedupe_key="s4", detail={
        **fy_detail, "target_period": "FY2028-29", "target_value": 10e9, "progress_pct": 38.2}, **fy)
    store.update_source("samena_news", broken=1, consecutive_failures=3, last_error="HTTP 503 Service Unavailable",
                        last_success="2026-02-17T06:00:00+00:00")
    store.add_event(kind="source_broken", dedupe_key="s5", source_id="samena_news", created_at=seen,
                    detail={"failures": 3, "error": "HTTP 503 Service Unavailable",
                            "url": "https://www.samenacouncil.org/samena_daily_news/"})
    return store


def screenshot(html: Path, png: Path, width: int, height: int, dark: bool = False) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("headless Chromium not found: apt-get install chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                   f"--user-data-dir={profile}", f"--screenshot={png.resolve()}", f"--window-size={width},{height}"]
        if dark:
            command.append("--force-dark-mode")
        subprocess.run([*command, html.resolve().as_uri()], check=True, capture_output=True, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/digest.png", help="the screenshot (default: docs/digest.png)")
    parser.add_argument("--dark", help="also a screenshot with the browser in dark mode")
    parser.add_argument("--html", help="keep the rendered HTML here")
    parser.add_argument("--width", type=int, default=420)
    parser.add_argument("--height", type=int, default=1250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = sample_store(Path(tmp) / "sample.db")
        result = digest.build(store, load(env={}), store.events(), now=NOW, timezone_name="Asia/Karachi",
                              title="bridgewatch digest (sample data)")
        store.close()
        html = Path(args.html) if args.html else Path(tmp) / "digest.html"
        html.write_text(result.standalone_html(), encoding="utf-8")
        screenshot(html, Path(args.out), args.width, args.height)
        print(f"{result.subject} -> {args.out}")
        if args.dark:
            screenshot(html, Path(args.dark), args.width, args.height, dark=True)
            print(f"dark mode -> {args.dark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screenshot the demo's fact sheet in headless Chromium (docs/factsheet.png in the README).

    .venv/bin/python bench/screenshot_factsheet.py [--out docs/factsheet.png] [--width 1100] [--height 1500]

Runs `bridgewatch demo` into a temporary folder (offline: recorded sources on loopback), opens its
demo/factsheet.html in Debian's `chromium` at the given width (tests/browser.py drives it over a pipe)
and keeps the top `--height` CSS pixels: the summary and the first rows.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.demo import run_demo  # noqa: E402
from tests.browser import Browser  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/factsheet.png")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            run_demo(Path(tmp))
        with Browser() as browser:
            browser.open(Path(tmp) / "factsheet.html", args.width, args.height)
            browser.screenshot(Path(args.out), full_page=False)
    print(f"fact sheet at {args.width}x{args.height} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The README's configuration reference, generated from the key declarations in service/config.py.

    .venv/bin/python -m service.docs          # rewrite README.md between the keys markers
    .venv/bin/python -m service.docs --check  # exit 1 if README.md is out of date (what the test does)
"""

from __future__ import annotations

import sys
from pathlib import Path

START, END = "<!-- keys:start -->", "<!-- keys:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def with_keys(readme: str) -> str:
    """`readme` with the text between the markers replaced by `bridgewatch check-config --keys`."""
    from service.cli import keys_reference

    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{keys_reference()}{END}{tail}"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    fresh = with_keys(text)
    if "--check" in argv:
        if fresh != text:
            print(f"{README}: the configuration reference is out of date: run python -m service.docs", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Speed of the figure reader on a long article page: what sentences without figures cost.

Builds a ~40 KB article page (navigation, 50 paragraphs of prose, one paragraph stating an
IT-export figure), then times, each as the median of --repeat runs:

- the whole `html` extraction of the page (parse, text, figure reader);
- the figure reader alone on the page's text;
- the figure reader on the same text without its figure paragraph: the cost of the sentences that
  state no figure, which the reader only skims.

    .venv/bin/python bench/figures_speed.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scrapers.base import Document, SourceSpec  # noqa: E402
from scrapers.figures import read_figures  # noqa: E402
from scrapers.html import extract_html, page_text, parse_html  # noqa: E402

PROSE = (
    "Software houses in Lahore and Karachi have spent the season hiring engineers for clients abroad, "
    "and several founders say the pipeline of graduates has improved after new training programmes. "
    "Industry groups continue to ask for steadier internet service and simpler banking rules for exporters. "
    "Analysts expect the coming months to test whether the sector can keep winning work in new markets. "
    "Executives at a recent conference in Islamabad described long negotiations with banks over payment "
    "channels, and said that clients in the Gulf now ask for teams that can work across several time zones. "
    "Universities are adding courses on cloud platforms, while smaller firms share office space to cut costs."
)
FIGURE = ("Pakistan's IT exports rose to $412 million in October 2026, up 19 percent year-on-year, "
          "according to the State Bank of Pakistan.")


def page(paragraphs: int = 50, with_figure: bool = True) -> bytes:
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(120))
    body = [f"<p>{PROSE}</p>" for _ in range(paragraphs)]
    if with_figure:
        body[paragraphs // 2] = f'<p class="figure">{FIGURE}</p>'
    html = (f"<!doctype html><html><head><title>IT exports</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<article><h1>IT exports keep climbing</h1>{''.join(body)}</article>"
            "<footer>Copyright, terms, privacy</footer></body></html>")
    return html.encode()


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    published = date(2026, 11, 20)
    full, prose_only = page(), page(with_figure=False)
    spec = SourceSpec(id="bench", kind="html", url="https://example.org/a", indicators=("pk_it_exports_monthly",))
    doc = Document(full, "https://example.org/a", spec, "text/html", published)
    text = page_text(parse_html(full))
    prose_text = page_text(parse_html(prose_only))
    sentences = sum(1 for line in prose_text.splitlines() if line.strip()) * 4
    found = extract_html(doc)
    assert found, "the figure paragraph must be read"
    html_ms = median_ms(lambda: extract_html(doc), args.repeat)
    reader_ms = median_ms(lambda: read_figures(text, published), args.repeat)
    prose_ms = median_ms(lambda: read_figures(prose_text, published), args.repeat)
    print(f"page: {len(full) / 1024:.1f} KB, {sentences} sentences without figures, {len(found)} figures read")
    print(f"html extraction, whole page:          {html_ms:6.2f} ms")
    print(f"figure reader, page text:             {reader_ms:6.2f} ms")
    print(f"figure reader, sentences w/o figures: {prose_ms:6.2f} ms  ({1000 * prose_ms / sentences:.1f} µs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

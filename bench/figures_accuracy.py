"""Accuracy and speed of scrapers.figures over the hand-labelled corpus in tests/corpus/.

Each `NNN_slug.txt` starts with `published: YYYY-MM-DD`, then the title line, then the body;
`NNN_slug.expected.jsonl` lists the figures that must come out (indicator, period, value, unit).
A figure is a hit when all four match (values within a relative 1e-6); anything else that comes
out is a false positive. Prints per-file misses and false positives, then overall precision,
recall and the time per article.

    .venv/bin/python bench/figures_accuracy.py [--quiet] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scrapers.figures import read_figures  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"

Key = tuple[str, str, float, str]


@dataclass(frozen=True)
class Article:
    name: str
    published: date | None
    text: str
    expected: frozenset[Key]


def _key(record: dict) -> Key:
    return (record["indicator"], record["period"], round(float(record["value"]), 6), record["unit"])


def load_corpus(directory: Path = CORPUS) -> list[Article]:
    """Every article of the corpus with its expected figures."""
    articles = []
    for path in sorted(directory.glob("*.txt")):
        first, _, text = path.read_text(encoding="utf-8").partition("\n")
        if not first.startswith("published:"):
            raise ValueError(f"{path.name}: first line must be 'published: YYYY-MM-DD'")
        published = date.fromisoformat(first.split(":", 1)[1].strip())
        expected_path = path.with_name(path.stem + ".expected.jsonl")
        lines = expected_path.read_text(encoding="utf-8").splitlines()
        expected = frozenset(_key(json.loads(line)) for line in lines if line.strip())
        articles.append(Article(path.stem, published, text, expected))
    return articles


@dataclass
class Score:
    hits: int = 0
    found: int = 0
    expected: int = 0
    seconds: float = 0.0
    articles: int = 0

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0


def score(articles: list[Article], repeat: int = 1, report: bool = False) -> Score:
    """Precision and recall over `articles`; with `report`, print what each file got wrong."""
    total = Score()
    for article in articles:
        start = time.perf_counter()
        for _ in range(repeat):
            got_obs = read_figures(article.text, article.published)
        total.seconds += (time.perf_counter() - start) / repeat
        got = {_key(json.loads(o.as_json())) for o in got_obs}
        misses, extra = article.expected - got, got - article.expected
        total.hits += len(article.expected & got)
        total.found += len(got)
        total.expected += len(article.expected)
        total.articles += 1
        if report and (misses or extra):
            print(f"{article.name}:")
            for key in sorted(misses):
                print(f"  MISS {key}")
            for key in sorted(extra):
                evidence = next((o.evidence for o in got_obs if _key(json.loads(o.as_json())) == key), "")
                print(f"  FP   {key}  <- {evidence[:120]!r}")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="only the totals")
    parser.add_argument("--repeat", type=int, default=20, help="runs per article for the timing")
    args = parser.parse_args(argv)
    articles = load_corpus()
    result = score(articles, repeat=args.repeat, report=not args.quiet)
    per_article_ms = 1000 * result.seconds / max(1, result.articles)
    print(f"articles: {result.articles}  expected: {result.expected}  found: {result.found}  "
          f"hits: {result.hits}")
    print(f"precision: {result.precision:.3f}  recall: {result.recall:.3f}  "
          f"time/article: {per_article_ms:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

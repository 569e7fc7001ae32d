"""Precision and recall of the figure reader on real published texts (the development set).

The labels live in `tests/realtext/labels.jsonl` (see `tests/realtext/LABELLING.md`); the texts are
third-party and are hydrated into the git-ignored `tests/realtext/texts/` before this runs. A text
whose sha256 differs from its label's is not scored (it is not the text that was labelled).

Scoring, per text: a figure the reader reports is a hit when indicator, period, unit and value
(relative 1e-6) match an expected figure. Expected figures flagged `lower_bound` ("over $400
million") are optional: reporting them is a hit, missing them is no miss. Anything else reported
is a false positive; one that the labels name as `not_actual` (a forecast, an average, a target,
another country's figure) is also counted as a forbidden actual. Prints the totals, a table per
indicator family, and each miss and false positive with its evidence.

    .venv/bin/python bench/realtext_accuracy.py [--quiet] [--json] [--labels FILE|NAME ...]

`--labels validation2` names `tests/realtext/validation2.jsonl`; a path is taken as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scrapers.figures import read_figures  # noqa: E402

REALTEXT = ROOT / "tests" / "realtext"
TEXTS = REALTEXT / "texts"

FAMILIES = {
    "pk_it_exports_monthly": "IT exports, month",
    "pk_it_exports_fy": "IT exports, FY and FYTD totals",
    "pk_it_exports_fytd": "IT exports, FY and FYTD totals",
    "pk_it_exports_monthly_yoy_pct": "IT exports, growth",
    "pk_it_exports_fy_yoy_pct": "IT exports, growth",
    "pk_it_exports_fytd_yoy_pct": "IT exports, growth",
    "pk_it_exports_target": "IT exports, target",
    "ca_exports_to_pk": "Canada-Pakistan trade",
    "ca_imports_from_pk": "Canada-Pakistan trade",
    "ca_pk_trade_total": "Canada-Pakistan trade",
    "pk_rank_ca_export_destination": "Canada-Pakistan trade",
}
OTHER_FAMILY = "counts, ranks, shares"

Key = tuple[str, str, str, float]


def key_of(record: dict) -> Key:
    return (record["indicator"], record["period"], record["unit"], float(record["value"]))


def same(a: Key, b: Key) -> bool:
    return a[:3] == b[:3] and abs(a[3] - b[3]) <= 1e-6 * max(1.0, abs(b[3]))


def family(indicator: str) -> str:
    return FAMILIES.get(indicator, OTHER_FAMILY)


@dataclass
class Text:
    url: str
    published: date | None
    sha256: str
    required: list[Key]
    optional: list[Key]
    forbidden: list[Key]
    path: Path

    @classmethod
    def from_label(cls, label: dict) -> Text:
        expected = label.get("expected", [])
        required = [key_of(e) for e in expected if "lower_bound" not in e.get("flags", [])]
        optional = [key_of(e) for e in expected if "lower_bound" in e.get("flags", [])]
        forbidden = [key_of(e) for e in label.get("not_actual", []) if "value" in e]
        published = date.fromisoformat(label["published"]) if label.get("published") else None
        name = hashlib.sha256(label["url"].encode()).hexdigest()[:16] + ".txt"
        return cls(label["url"], published, label["sha256"], required, optional, forbidden, TEXTS / name)

    def read(self) -> str | None:
        """The hydrated text, or None when it is missing or is not the text that was labelled."""
        if not self.path.exists():
            return None
        body = self.path.read_bytes()
        return body.decode("utf-8") if hashlib.sha256(body).hexdigest() == self.sha256 else None


@dataclass
class Tally:
    hits: int = 0
    found: int = 0
    required: int = 0
    required_hits: int = 0
    forbidden: int = 0

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.required_hits / self.required if self.required else 1.0


@dataclass
class Report:
    texts: int = 0
    missing: list[str] = field(default_factory=list)
    total: Tally = field(default_factory=Tally)
    families: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    lines: list[str] = field(default_factory=list)


def score_text(text: Text, body: str, report: Report) -> None:
    got = read_figures(body, text.published)
    lines = []
    matched_required: set[int] = set()
    for obs in got:
        k: Key = (obs.indicator, obs.period, obs.unit, float(obs.value))
        fam = report.families[family(obs.indicator)]
        for tally in (report.total, fam):
            tally.found += 1
        hit_required = next((i for i, e in enumerate(text.required) if same(k, e)), None)
        if hit_required is not None or any(same(k, e) for e in text.optional):
            for tally in (report.total, fam):
                tally.hits += 1
            if hit_required is not None:
                matched_required.add(hit_required)
            continue
        forbidden = any(same(k, e) for e in text.forbidden)
        if forbidden:
            for tally in (report.total, fam):
                tally.forbidden += 1
        lines.append(f"  {'FORBIDDEN' if forbidden else 'FP'} {k}  <- {obs.evidence[:140]!r}")
    for i, e in enumerate(text.required):
        fam = report.families[family(e[0])]
        for tally in (report.total, fam):
            tally.required += 1
            tally.required_hits += i in matched_required
        if i not in matched_required:
            lines.append(f"  MISS {e}")
    if lines:
        report.lines.append(f"{text.url} (published {text.published}):")
        report.lines.extend(lines)


def load_labels(paths: list[Path]) -> list[Text]:
    texts = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    texts.append(Text.from_label(json.loads(line)))
                except (ValueError, KeyError) as exc:
                    raise SystemExit(f"{path}:{n}: not a label line ({exc})") from None
    return texts


def run(paths: list[Path]) -> Report:
    report = Report()
    for text in load_labels(paths):
        body = text.read()
        if body is None:
            report.missing.append(text.url)
            continue
        report.texts += 1
        score_text(text, body, report)
    return report


def label_file(arg: str) -> Path:
    """A label file from a path, or from a bare set name (`validation2`) under tests/realtext/."""
    named = REALTEXT / f"{arg}.jsonl"
    return named if "/" not in arg and not arg.endswith(".jsonl") and named.exists() else Path(arg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=label_file, nargs="+", default=[REALTEXT / "labels.jsonl"])
    parser.add_argument("--quiet", action="store_true", help="only the totals and the family table")
    parser.add_argument("--json", action="store_true", help="the totals as one JSON object")
    args = parser.parse_args(argv)
    missing_files = [p for p in args.labels if not p.exists()]
    if missing_files:
        raise SystemExit(f"no such label file: {', '.join(map(str, missing_files))}")
    report = run(args.labels)
    if not report.texts:
        print(f"no hydrated texts under {TEXTS.relative_to(ROOT)} ({len(report.missing)} labelled): "
              "see tests/realtext/LABELLING.md")
        return 0
    t = report.total
    if args.json:
        print(json.dumps({"texts": report.texts, "precision": round(t.precision, 3), "recall": round(t.recall, 3),
                          "found": t.found, "hits": t.hits, "required": t.required,
                          "forbidden_actuals": t.forbidden}))
        return 0
    if not args.quiet:
        print("\n".join(report.lines))
    print(f"\n{'family':34} {'found':>6} {'hits':>5} {'expected':>9} {'precision':>10} {'recall':>7}")
    for name, tally in sorted(report.families.items()):
        print(f"{name:34} {tally.found:6} {tally.hits:5} {tally.required:9} "
              f"{tally.precision:10.3f} {tally.recall:7.3f}")
    print(f"\ntexts: {report.texts} (not hydrated: {len(report.missing)})  expected: {t.required}  "
          f"found: {t.found}  hits: {t.hits}  forbidden actuals: {t.forbidden}")
    print(f"precision: {t.precision:.3f}  recall: {t.recall:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

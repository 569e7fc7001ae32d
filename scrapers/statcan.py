"""Statistics Canada CIMT bulk files (ZIP of CSVs): Canada's goods trade with Pakistan in CAD, by year.

Each archive (`CIMT-CICM_Tot_Exp_2024.zip`, `CIMT-CICM_Imp_2024.zip`, `CIMT-CICM_Dom_Exp_2024.zip`)
holds monthly rows `YearMonth/AnnéeMois, HS…, Country/Pays, Province, State/État, Value/Valeur`
(values in dollars), usually twice over: a detailed file (HS8/HS10) and an HS2 summary with the
same totals. One CSV per flow is read — the one with the coarsest HS column — so nothing is
counted twice; columns are found by the English label before the "/".

Which flow a CSV holds comes from, in order: the CSV's own name (StatCan's ODPFN codes or words
like Exp/Imp), the archive's URL (`Tot_Exp`, `Dom_Exp`, `Imp`), then the source parameter
`flow = "exports" | "domestic_exports" | "imports"`.

A year is reported only when all twelve months are in the file: the current year's archive grows
month by month, and a January-to-August sum is not an annual figure. Partial years are skipped
(nothing emitted). Pakistan's rank among destinations comes from total exports by country,
countries only: the files' non-country codes (ZZ, ZX, PC…) and Canada itself are not ranked.
`ca_pk_trade_total` needs both flows, so it is emitted only when one archive holds a total-exports
and an imports CSV. StatCan publishes them as two archives (two documents), and an extractor sees
one document at a time, so for the seed source the sum is left to a later, cross-document step.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapers.base import Document, ExtractError, Observation, extractor

EXPORTS, DOMESTIC, IMPORTS = "exports", "domestic_exports", "imports"
# StatCan's own file codes inside the archives (ODPFN0xx_YYYYMMN.csv).
ODPFN_FLOWS = {"014": IMPORTS, "022": IMPORTS, "017": EXPORTS, "021": EXPORTS, "016": DOMESTIC, "020": DOMESTIC}
REQUIRED = {"yearmonth": "YearMonth/AnnéeMois", "country": "Country/Pays", "value": "Value/Valeur"}
_MAX_ROWS = 20_000_000  # a guard, not a limit real files reach
# ISO 3166-1 alpha-2 codes of countries and territories (and Kosovo's XK): what a rank among
# destinations ranks. CIMT files also carry codes that are no country (ZZ "unknown", ZX, PC and
# other aggregates or confidential groupings) and Canada itself (CA, goods re-imported).
_ISO_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
BW BY BZ CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL
IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA
MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ
OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN
SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
VI VN VU WF WS XK YE YT ZA ZM ZW
"""
COUNTRIES = frozenset(_ISO_CODES.split())
REPORTER = "CA"


@dataclass(slots=True)
class FlowTotals:
    """What one CSV adds up to: by year for Pakistan, by year and country for ranking."""

    name: str
    flow: str
    months: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    partner: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_country: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))

    def complete_years(self) -> list[str]:
        return sorted(y for y, months in self.months.items() if len(months) == 12)


# --- which CSV holds which flow --------------------------------------------------------------------


def flow_of(name: str) -> str | None:
    """The flow a file or URL name speaks of, if it says: 'CIMT-CICM_Tot_Exp_2024.zip' -> exports."""
    base = posixpath.basename(name).lower()
    if m := re.search(r"odpfn(\d{3})", base):
        return ODPFN_FLOWS.get(m[1])
    words = set(re.split(r"[^a-z]+", base))
    if "domestic" in words or {"dom", "exp"} <= words:
        return DOMESTIC
    if words & {"exp", "export", "exports"}:
        return EXPORTS
    if words & {"imp", "import", "imports"}:
        return IMPORTS
    return None


def _param_flow(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).lower().replace("-", "_")
    aliases = {"exports": EXPORTS, "total_exports": EXPORTS, "tot_exp": EXPORTS, "x": EXPORTS,
               "domestic_exports": DOMESTIC, "dom_exp": DOMESTIC,
               "imports": IMPORTS, "imp": IMPORTS, "m": IMPORTS}
    if text not in aliases:
        raise ExtractError(f"StatCan: parameter flow={value!r} is not exports, domestic_exports or imports")
    return aliases[text]


def _open_zip(body: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractError(f"StatCan CIMT file is not a readable ZIP archive: {exc}") from None


# --- reading one CSV ------------------------------------------------------------------------------


def _columns(header: list[str]) -> dict[str, int]:
    """Column index by the English label before '/': 'Value/Valeur' -> 'value'."""
    out: dict[str, int] = {}
    for i, label in enumerate(header):
        key = re.sub(r"[^a-z0-9]", "", label.split("/")[0].lower())
        out.setdefault(key, i)
    return out


def _hs_level(columns: dict[str, int]) -> int:
    """2 for an HS2 summary, 10 for HS10 detail; 99 when there is no HS column at all."""
    levels = [int(m[1]) for key in columns if (m := re.fullmatch(r"hs(\d+)", key))]
    return min(levels) if levels else 99


def _header(zf: zipfile.ZipFile, name: str) -> list[str]:
    with zf.open(name) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        return next(csv.reader(text), [])


def _sum_csv(zf: zipfile.ZipFile, name: str, flow: str, country: str) -> FlowTotals:
    totals = FlowTotals(name, flow)
    with zf.open(name) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text)
        cols = _columns(next(reader, []))
        ym, ctry, val = cols["yearmonth"], cols["country"], cols["value"]
        width = max(ym, ctry, val)
        for n, row in enumerate(reader):
            if n > _MAX_ROWS:
                raise ExtractError(f"StatCan {name}: more than {_MAX_ROWS:,} rows")
            if len(row) <= width:
                continue
            period = re.sub(r"\D", "", row[ym])
            try:
                value = float(row[val].replace(",", "")) if row[val].strip() else None
            except ValueError:
                value = None  # 'x' (suppressed) and friends
            if len(period) < 6 or value is None:
                continue
            year, month = period[:4], int(period[4:6])
            code = row[ctry].strip().upper()
            totals.months[year].add(month)
            totals.by_country[year][code] += value
            if code == country:
                totals.partner[year] += value
    return totals


def read_archive(body: bytes, url: str, params: dict[str, object], country: str) -> list[FlowTotals]:
    """Sum the one CSV per flow that each archive should be read from."""
    zf = _open_zip(body)
    with zf:
        csvs = [n for n in zf.namelist() if n.lower().endswith(".csv")]
        if not csvs:
            held = ", ".join(zf.namelist()) or "nothing"
            raise ExtractError(f"StatCan CIMT archive has no CSV file (it holds: {held})")
        fallback = flow_of(urlsplit(url).path) or _param_flow(params.get("flow"))
        chosen: dict[str, tuple[int, str]] = {}
        problems = []
        for name in csvs:
            try:
                header = _header(zf, name)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:  # a damaged member
                raise ExtractError(f"StatCan {name}: cannot be read from the archive: {exc}") from None
            cols = _columns(header)
            missing = [label for key, label in REQUIRED.items() if key not in cols]
            if missing:
                problems.append(f"{name} lacks {', '.join(missing)} (header: {', '.join(header[:8])})")
                continue
            flow = flow_of(name) or fallback
            if flow is None:
                problems.append(f"{name}: cannot tell exports from imports (no Exp/Imp in its name or the URL; "
                                "set flow = \"exports\" or \"imports\" on the source)")
                continue
            level = _hs_level(cols)
            if flow not in chosen or level < chosen[flow][0]:
                chosen[flow] = (level, name)
        if not chosen:
            raise ExtractError("StatCan CIMT archive: no usable trade CSV: " + "; ".join(problems))
        try:
            return [_sum_csv(zf, name, flow, country) for flow, (_, name) in sorted(chosen.items())]
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise ExtractError(f"StatCan CIMT archive is damaged: {exc}") from None


# --- observations ---------------------------------------------------------------------------------

INDICATOR = {EXPORTS: "ca_exports_to_pk", DOMESTIC: "ca_exports_to_pk", IMPORTS: "ca_imports_from_pk"}
VARIANT = {EXPORTS: "", DOMESTIC: "domestic", IMPORTS: ""}
WORDS = {EXPORTS: "total exports to", DOMESTIC: "domestic exports to", IMPORTS: "imports from"}


def _flow_observations(t: FlowTotals, country: str) -> Iterable[Observation]:
    for year in t.complete_years():
        value = t.partner.get(year, 0.0)
        meta = {"file": t.name, "flow": t.flow, "months": 12, "country": country}
        evidence = f"Statistics Canada CIMT ({t.name}): Canada's {WORDS[t.flow]} {country}, {year}: C${value:,.0f}"
        if value > 0:
            yield Observation(INDICATOR[t.flow], year, value, "CAD", evidence, 1.0, VARIANT[t.flow], meta)
        if t.flow == EXPORTS:
            yield from _rank(t, year, country)


def _rank(t: FlowTotals, year: str, country: str) -> Iterable[Observation]:
    """The country's rank among the destinations that are countries (COUNTRIES, Canada left out)."""
    totals = {c: v for c, v in t.by_country[year].items() if c in COUNTRIES and c != REPORTER and v > 0}
    if country not in totals:
        return
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    rank = next(i for i, (c, _) in enumerate(ordered, 1) if c == country)
    evidence = (f"Statistics Canada CIMT ({t.name}): {country} ranks {rank} of {len(ordered)} destinations "
                f"of Canada's total exports in {year} (C${totals[country]:,.0f}; countries only)")
    meta = {"file": t.name, "destinations": len(ordered)}
    yield Observation("pk_rank_ca_export_destination", year, float(rank), "rank", evidence, 1.0, meta=meta)


def _trade_total(flows: dict[str, FlowTotals], country: str) -> Iterable[Observation]:
    exports, imports = flows.get(EXPORTS), flows.get(IMPORTS)
    if exports is None or imports is None:
        return
    for year in sorted(set(exports.complete_years()) & set(imports.complete_years())):
        x, m = exports.partner.get(year, 0.0), imports.partner.get(year, 0.0)
        if x + m <= 0:
            continue
        evidence = (f"Statistics Canada CIMT: Canada–{country} goods trade {year}: "
                    f"exports C${x:,.0f} + imports C${m:,.0f}")
        meta = {"exports": x, "imports": m, "files": [exports.name, imports.name]}
        yield Observation("ca_pk_trade_total", year, x + m, "CAD", evidence, 1.0, meta=meta)


@extractor("statcan_cimt")
def extract_statcan(doc: Document) -> list[Observation]:
    """Statistics Canada CIMT bulk ZIP: Canada's exports to / imports from Pakistan by complete year, CAD."""
    country = str(doc.source.params.get("country", "PK")).upper()
    totals = read_archive(doc.body, doc.url, dict(doc.source.params), country)
    out: list[Observation] = []
    for t in totals:
        out += _flow_observations(t, country)
    out += _trade_total({t.flow: t for t in totals}, country)
    if doc.source.indicators:
        out = [o for o in out if o.indicator in doc.source.indicators]
    return out

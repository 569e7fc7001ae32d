"""Web pages: cited articles, news listings and a user's own pages (`kind = "html"`).

The text of the article (or of `selector`, a CSS selector) goes through the figure reader of
scrapers.figures; a source with a `pattern` (a regular expression with a named group `value`,
optionally `period`) reads exactly what the user pointed at instead. A listing page with a
`follow` expression yields its matching links as articles to fetch once each.

lxml does the parsing (BeautifulSoup with the lxml parser only when a CSS selector asks for it):
text extraction runs on every changed page, so it is kept on the fast path.
"""

from __future__ import annotations

import codecs
import re
from datetime import date, datetime
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from scrapers.base import Document, ExtractError, FollowUp, Observation, extractor, follower
from scrapers.figures import read_figures

# Elements whose text is never the article's.
_DROP = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg", "iframe")
_BLOCKS = frozenset(
    [
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
        "tr", "td", "th", "table", "section", "article", "blockquote", "figcaption", "dd", "dt", "pre", "main",
        "title", "caption",
    ]
)
_MAX_TEXT = 200_000  # characters: scraped text is untrusted, and figures live near the top anyway
_DATE_META = (
    "article:published_time", "og:article:published_time", "datePublished", "pubdate",
    "publish-date", "date", "dc.date", "DC.date.issued", "sailthru.date",
)
_SCALE = {"": 1, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
          "b": 1e9, "bn": 1e9, "billion": 1e9, "t": 1e12, "trillion": 1e12}
_NUMBER = re.compile(r"^\s*([\d.,]+)\s*([a-z]*)\s*$", re.I)


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?(?:charset\s*=\s*["']?|content\s*=\s*["'][^"']*?charset\s*=\s*)([\w.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.decode("ascii", "ignore") if isinstance(name, bytes) else name).name
    except LookupError:
        return None
    # As browsers do (WHATWG Encoding): "latin-1" and "ascii" labels mean Windows-1252.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def html_encoding(body: bytes, content_type: str = "") -> str:
    """How to decode a page: a byte-order mark, else the HTTP header's charset, else the document's
    own <meta charset>, else detection (UTF-8 if it decodes as such, else Windows-1252).

    One correction: a page declared Latin-1/Windows-1252 whose non-ASCII bytes are all valid UTF-8
    sequences is UTF-8 (a server default left in place); text really in Windows-1252 almost never
    decodes as UTF-8, so this only undoes a wrong label."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    header = _HEADER_CHARSET.search(content_type or "")
    declared = _codec(header[1]) if header else None
    if not declared:
        meta = _META_CHARSET.search(body[:8192])
        declared = _codec(meta[1]) if meta else None
        if declared in ("utf-16", "utf-16-le", "utf-16-be"):  # a <meta> read as ASCII is no UTF-16 page
            declared = None
    if declared and not (declared == "cp1252" and _is_utf8(body)):
        return declared
    return "utf-8" if _is_utf8(body) else "cp1252"


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, content_type: str = "") -> str:
    """The page as text (see html_encoding); undecodable bytes become U+FFFD, never an exception."""
    encoding = html_encoding(body, content_type)
    text = body.decode(encoding, "replace")
    return _XML_DECLARATION.sub("", text.removeprefix("\ufeff"), count=1)


def parse_html(body: bytes, content_type: str = "") -> etree._Element:
    try:
        root = lxml.html.document_fromstring(decode_html(body, content_type))
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"not an HTML document: {exc}") from None
    return root


def page_text(root: etree._Element, selector: str | None = None) -> str:
    """Readable text of the page: the selected element, else <article>/<main>, else <body>."""
    if selector:
        return _selected_text(root, selector)
    heading = (root.findtext(".//h1") or root.findtext(".//title") or "").strip()
    for bad in list(root.iter(*_DROP)):
        if bad.getparent() is not None:
            bad.drop_tree()
    node = _first(root, "article")
    if node is None:
        node = _first(root, "main")
    if node is None:
        node = root.find("body")
    text = _text_of(root if node is None else node)
    if heading and heading not in text[: len(heading) + 200]:
        text = heading + "\n" + text
    return text[:_MAX_TEXT]


def _first(root: etree._Element, tag: str) -> etree._Element | None:
    return next(iter(root.iter(tag)), None)


def _text_of(node: etree._Element) -> str:
    parts: list[str] = []
    for event, el in etree.iterwalk(node, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        if event == "start":
            if el.tag in _BLOCKS:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
        else:
            if el.tag in _BLOCKS:
                parts.append("\n")
            if el.tail and el is not node:
                parts.append(el.tail)
    text = "".join(parts)
    text = re.sub(r"[ \t\r\f\v\xa0]+", " ", text)
    return re.sub(r"\s*\n\s*", "\n", text).strip()


def _selected_text(root: etree._Element, selector: str) -> str:
    from bs4 import BeautifulSoup  # only selector sources pay for it

    soup = BeautifulSoup(etree.tostring(root), "lxml")
    try:
        found = soup.select(selector)
    except Exception as exc:  # soupsieve raises its own SelectorSyntaxError
        raise ExtractError(f"invalid CSS selector {selector!r}: {exc}") from None
    if not found:
        raise ExtractError(f"CSS selector {selector!r} matched nothing (has the page layout changed?)")
    return "\n".join(el.get_text("\n", strip=True) for el in found)[:_MAX_TEXT]


def published_date(root: etree._Element) -> date | None:
    """The article's publication date from its metadata, when the page states one."""
    candidates = []
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if key in _DATE_META and meta.get("content"):
            candidates.append(meta.get("content"))
    candidates += [t.get("datetime") for t in root.iter("time") if t.get("datetime")]
    for raw in candidates:
        try:
            return datetime.fromisoformat(raw.strip().replace("Z", "+00:00")).date()
        except ValueError:
            match = re.match(r"(\d{4})-(\d{2})-(\d{2})", raw.strip())
            if match:
                return date(int(match[1]), int(match[2]), int(match[3]))
    return None


def parse_number(text: str) -> float:
    """'3.8 billion' -> 3.8e9; '1,450,000' -> 1450000.0 (for user patterns)."""
    match = _NUMBER.match(text)
    scale = match[2].lower() if match else ""
    if not match or scale not in _SCALE:
        raise ValueError(f"not a number: {text!r}")
    return float(match[1].replace(",", "")) * _SCALE[scale]


@extractor("html")
def extract_html(doc: Document) -> list[Observation]:
    """Web page: figures read from the article text (or from `selector` / `pattern` when set)."""
    root = parse_html(doc.body, doc.content_type)
    published = doc.published or published_date(root)
    text = page_text(root, doc.source.selector)
    if doc.source.pattern:
        return _by_pattern(text, doc)
    return read_figures(text, published, doc.source.indicators or None)


def _by_pattern(text: str, doc: Document) -> list[Observation]:
    src = doc.source
    indicator = src.params.get("indicator") or (src.indicators[0] if len(src.indicators) == 1 else None)
    unit = src.params.get("unit")
    if not indicator or not unit:
        raise ExtractError(
            f"source {src.id!r}: a `pattern` needs one indicator (`indicators = [\"…\"]`) and a `unit`"
        )
    regex = re.compile(src.pattern or "", re.I)
    if "value" not in regex.groupindex:
        raise ExtractError(f"source {src.id!r}: pattern needs a named group (?P<value>…)")
    out = []
    for match in regex.finditer(text):
        period = match.groupdict().get("period") or src.params.get("period")
        if not period:
            raise ExtractError(f"source {src.id!r}: pattern has no (?P<period>…) group and no `period` is set")
        try:
            value = parse_number(match["value"]) * float(src.params.get("scale", 1))
        except ValueError as exc:
            raise ExtractError(f"source {src.id!r}: {exc}") from None
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        evidence = text[start : end if end >= 0 else None].strip()[:300]
        out.append(Observation(indicator, period, value, unit, evidence, 0.95))
    return out


@follower("html")
def article_links(doc: Document) -> list[FollowUp]:
    """Links on a listing page that match the source's `follow` expression, in page order."""
    pattern = doc.source.params.get("follow")
    if not pattern:
        return []
    regex = re.compile(pattern)
    root = parse_html(doc.body, doc.content_type)
    seen: dict[str, FollowUp] = {}
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if href and regex.search(href):
            url = urljoin(doc.url, href.strip())
            seen.setdefault(url, FollowUp(url, "html", once=True, title=(anchor.text_content() or "").strip()[:200]))
    return list(seen.values())

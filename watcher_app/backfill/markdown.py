"""OTA's Markdown versions → the app's own text, through the app's own extractor.

OTA keeps each version as Markdown. The app stores what its extractor reads from a page, so an
imported version is read the same way the real-world replay serves these versions: rendered as
the simple HTML page it came from (`page_html`, the same bytes as the replay's `markdown_page`)
and extracted with the `main` selector. Comparison, analysis and diffs then see exactly the
line format of a live capture.

Speed: a dataset holds hundreds of versions of a document that differ in a few paragraphs. The
page is a flat sequence of blocks (a paragraph, a heading, a one-item list) and the extractor
starts a new line at every block, so a page's lines and links are the concatenation of its
blocks' lines and links; each distinct block is extracted once (`Reader`). The tests check that
this gives the very lines and links of extracting the whole page.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from watcher_app.extract import Extracted, extract_document
from watcher_app.extract.normalize import line_words, words_sha256

PAGE_HEAD = ('<!doctype html><html><head><meta charset="utf-8"><title>Policy</title></head>'
             "<body><nav>Home | Legal</nav><main>")
PAGE_TAIL = "</main><footer>Footer</footer></body></html>"
SELECT = ("main",)
CACHE = 20_000  # distinct blocks (and lines) remembered: far more than one document has

V = TypeVar("V")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^(?:[-*+]|\d+\.)\s+(.*)$")
_SETEXT = re.compile(r"^(=+|-+)$")


@lru_cache(maxsize=CACHE)
def _inline(text: str) -> str:
    text = html.escape(text)
    text = _LINK.sub(r'<a href="\2">\1</a>', text)
    return _STRONG.sub(r"<strong>\2</strong>", text)


@lru_cache(maxsize=CACHE)
def _kind(stripped: str) -> tuple[str, int, str]:
    """What one stripped line is: a possible setext underline ("setext", level, ""), else as
    `_kind_plain`. The order of the tests is the replay's."""
    if len(stripped) >= 3 and _SETEXT.match(stripped):
        return ("setext", 1 if stripped[0] == "=" else 2, "")
    return _kind_plain(stripped)


def _kind_plain(stripped: str) -> tuple[str, int, str]:
    """("blank", 0, ""), ("heading", level, text), ("item", 0, text) or ("text", 0, line)."""
    if not stripped:
        return ("blank", 0, "")
    heading = _HEADING.match(stripped)
    if heading:
        return ("heading", len(heading.group(1)), heading.group(2))
    item = _ITEM.match(stripped)
    if item:
        return ("item", 0, item.group(1))
    return ("text", 0, stripped)


def blocks(md: str) -> list[str]:
    """The page's blocks as HTML, in order: paragraphs (wrapped lines joined), ATX and setext
    headings, list items (each its own list). No tables, quotes or code: as the replay."""
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    for line in md.splitlines():
        stripped = line.strip()
        kind, level, text = _kind(stripped)
        if kind == "setext":
            if para:  # "Title" underlined by === or ---
                title = para.pop()
                flush()
                out.append(f"<h{level}>{_inline(title)}</h{level}>")
                continue
            kind, level, text = _kind_plain(stripped)
        if kind == "blank":
            flush()
        elif kind == "heading":
            flush()
            out.append(f"<h{level}>{_inline(text)}</h{level}>")
        elif kind == "item":
            flush()
            out.append(f"<ul><li>{_inline(text)}</li></ul>")
        else:
            para.append(text)
    flush()
    return out


def page_html(md: str) -> bytes:
    """The simple HTML page a Markdown version is served as."""
    return (PAGE_HEAD + "\n".join(blocks(md)) + PAGE_TAIL).encode()


def extract_page(md: str) -> Extracted:
    """The whole page through the extractor, as a live check of it would read it."""
    return extract_document(page_html(md), SELECT, (), content_type="text/html")


@dataclass
class Read:
    """One version as the app reads it."""

    lines: list[str]
    links: list[dict[str, str]]
    words: int
    key_sha256: str  # of the comparison key, as Capture.key_sha256

    def extracted(self) -> Extracted:
        """As extract_document returns it for the page (the `main` selector always matches)."""
        return Extracted(lines=self.lines, links=self.links, title="Policy")


class Reader:
    """Reads Markdown versions, remembering blocks and line keys already seen."""

    def __init__(self) -> None:
        self._blocks: OrderedDict[str, tuple[list[str], list[dict[str, str]]]] = OrderedDict()
        self._keys: OrderedDict[str, list[str]] = OrderedDict()

    def read(self, md: str) -> Read:
        lines: list[str] = []
        links: list[dict[str, str]] = []
        for block in blocks(md):
            got = self._blocks.get(block)
            if got is None:
                ex = extract_document((PAGE_HEAD + block + PAGE_TAIL).encode(), SELECT, (),
                                      content_type="text/html")
                got = (ex.lines, ex.links)
                _remember(self._blocks, block, got)
            lines.extend(got[0])
            links.extend(dict(link) for link in got[1])
        words: list[str] = []
        for line in lines:
            key = self._keys.get(line)
            if key is None:
                key = line_words(line)
                _remember(self._keys, line, key)
            words.extend(key)
        return Read(lines, links, len(words), words_sha256(words))


def _remember(cache: OrderedDict[str, V], key: str, value: V) -> None:
    cache[key] = value
    if len(cache) > CACHE:
        cache.popitem(last=False)

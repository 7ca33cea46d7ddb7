"""HTML → structured text: the blocks a reader sees, in order (format: docs/dev/text-format.md).

Selection follows Open Terms Archive declarations (the named `filter` functions the app runs,
then `remove`, then `select`, range selectors included); chrome that is never policy text
(scripts, forms, navigation, cookie banners, hidden elements) is dropped whatever the
declaration says. Collapsed content is not chrome: the questions and answers of an accordion
(`<details>`, a button with `aria-controls` and the panel it opens, `hidden="until-found"`) are
policy text a reader opens with one click, so they are kept however the page hides them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watcher_app.catalog import Selector
from watcher_app.extract.normalize import (
    CF_EMAIL_PLACEHOLDER,
    clean_line,
    is_placeholder,
    normalize_url,
)
from watcher_app.extract.ota_filters import apply_filters

# Elements whose content is never policy text.
DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "select", "option", "button", "input", "textarea", "datalist", "dialog", "nav", "head",
    "link", "meta", "title", "video", "audio", "picture", "source", "map",
)
# Elements that are obviously chrome by role or by the consent tools that inject them.
DROP_SELECTORS = (
    "[hidden]", "[aria-hidden='true']", "[role='navigation']", "[role='dialog']",
    "[role='alertdialog']", "[style*='display:none']", "[style*='display: none']",
    "[style*='visibility:hidden']", "#onetrust-consent-sdk", "#onetrust-banner-sdk",
    "#CybotCookiebotDialog", "#cookie-banner", "#cookie-consent", ".cookie-banner",
    ".cookie-consent", ".cc-window", "#usercentrics-root", "#truste-consent-track",
    "[id*='cookie-banner']", "[class*='cookie-banner']", "[id*='cookieConsent']",
    ".sr-only-focusable", "[data-nosnippet-tooltip]",
)
BLOCK_TAGS = frozenset(
    "p div section article main aside header footer address blockquote pre figure figcaption "
    "details summary button dl dt dd ul ol li table thead tbody tfoot tr caption form fieldset "
    "legend center hr br h1 h2 h3 h4 h5 h6 body html".split()
)
# Where a button with aria-controls is a menu, a tab strip's chrome or a dialog opener, not the
# question of an accordion: its panel stays hidden (and navigation is dropped anyway).
NOT_ACCORDION_TAGS = frozenset({"nav", "header", "footer", "dialog", "menu"})
NOT_ACCORDION_ROLES = frozenset({"navigation", "banner", "menubar", "menu", "dialog",
                                 "alertdialog", "listbox", "tooltip", "combobox"})
ACCORDION_MARK = "data-gw-accordion"  # set on kept triggers; never present in fetched pages
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
CELL_TAGS = ("td", "th")
CF_EMAIL = re.compile(r"^[0-9a-fA-F]{4,}$")


@dataclass
class Extracted:
    lines: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    title: str = ""
    selector_matched: bool = True
    unmatched: list[str] = field(default_factory=list)  # selectors that matched nothing
    filters_skipped: list[str] = field(default_factory=list)  # named filters not run


def _decode_cfemail(hexstr: str) -> str:
    """Cloudflare's e-mail obfuscation: the first byte is the XOR key of the rest."""
    try:
        data = bytes.fromhex(hexstr)
        return bytes(b ^ data[0] for b in data[1:]).decode("utf-8")
    except (ValueError, UnicodeDecodeError, IndexError):
        return ""


class _BlockWriter:
    """Accumulates inline text into the current block and flushes on block boundaries."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lines: list[str] = []
        self.links: list[dict[str, str]] = []
        self.parts: list[str] = []
        self.prefix = ""

    def text(self, value: str) -> None:
        if value:
            self.parts.append(value)

    def flush(self) -> None:
        line = clean_line("".join(self.parts))
        self.parts = []
        if line and not is_placeholder(line):
            self.lines.append(self.prefix + line)
        self.prefix = ""

    def walk(self, node: LexborNode) -> None:
        child = node.child
        while child is not None:
            self.visit(child)
            child = child.next

    def visit(self, node: LexborNode) -> None:
        tag = node.tag
        if tag == "-text":
            self.text(node.text_content or "")
            return
        if tag is None or tag.startswith("-"):  # comments, doctype
            return
        if tag in HEADINGS:
            self.flush()
            self.prefix = "#" * HEADINGS[tag] + " "
            self.walk(node)
            self.flush()
        elif tag == "li":
            self.flush()
            self.prefix = "- "
            self.walk(node)
            self.flush()
        elif tag == "tr":
            self.flush()
            self.row(node)
        elif tag == "a":
            self.link(node)
        elif tag == "br":
            self.flush()
        elif tag in BLOCK_TAGS:
            self.flush()
            self.walk(node)
            self.flush()
        else:
            self.walk(node)

    def link(self, node: LexborNode) -> None:
        attrs = node.attributes
        cfemail = attrs.get("data-cfemail") or ""
        href = attrs.get("href") or ""
        if "/cdn-cgi/l/email-protection#" in href:
            cfemail = cfemail or href.rsplit("#", 1)[1]
        start = len(self.parts)
        if cfemail and CF_EMAIL.match(cfemail) and (address := _decode_cfemail(cfemail)):
            self.text(address)
            href = "mailto:" + address
        else:
            self.walk(node)
        label = clean_line("".join(self.parts[start:]))
        target = normalize_url(href, self.base_url)
        if target and label and label != CF_EMAIL_PLACEHOLDER:
            self.links.append({"text": label, "href": target})

    def row(self, node: LexborNode) -> None:
        cells = []
        for cell in node.css("td, th"):
            if cell.parent is None or cell.parent.mem_id != node.mem_id:
                continue  # a cell of a nested table belongs to its own row
            inner = _BlockWriter(self.base_url)
            inner.walk(cell)
            inner.flush()
            self.links.extend(inner.links)
            cells.append(" ".join(line.lstrip("#- ") for line in inner.lines))
        if any(cells):
            self.lines.append("| " + " | ".join(cells) + " |")


def _pre_order(root: LexborNode) -> tuple[list[LexborNode], dict[int, int], dict[int, int]]:
    """Document order of every node under root, with each node's index and the index just
    past its subtree (used to resolve range selectors)."""
    order: list[LexborNode] = []
    index: dict[int, int] = {}
    end: dict[int, int] = {}

    def visit(node: LexborNode) -> None:
        index[node.mem_id] = len(order)
        order.append(node)
        child = node.child
        while child is not None:
            visit(child)
            child = child.next
        end[node.mem_id] = len(order)

    visit(root)
    return order, index, end


def _range_nodes(root: LexborNode, spec: dict[str, str]) -> list[LexborNode]:
    """The maximal nodes between a range selector's start and end markers."""
    start_css = spec.get("startBefore") or spec.get("startAfter") or ""
    end_css = spec.get("endBefore") or spec.get("endAfter") or ""
    start, stop = root.css_first(start_css), root.css_first(end_css)
    if start is None or stop is None:
        return []
    order, index, end = _pre_order(root)
    lo = index[start.mem_id] if "startBefore" in spec else end[start.mem_id]
    hi = index[stop.mem_id] if "endBefore" in spec else end[stop.mem_id]
    chosen = []
    for position in range(lo, hi):
        node = order[position]
        if end[node.mem_id] > hi:
            continue  # contains the end marker: only part of it is in range
        parent = node.parent
        if parent is not None and parent.mem_id in index:
            p = parent.mem_id
            if index[p] >= lo and end[p] <= hi:
                continue  # the parent is wholly in range and is chosen instead
        chosen.append(node)
    return chosen


def _not_accordion(node: LexborNode) -> bool:
    return node.tag in NOT_ACCORDION_TAGS or node.attributes.get("role") in NOT_ACCORDION_ROLES


def _in_chrome(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if _not_accordion(parent):
            return True
        parent = parent.parent
    return False


def _reveal(node: LexborNode) -> None:
    """Undo what a page does to collapse a panel, so the chrome rules no longer drop it."""
    attrs = node.attrs
    for name in ("hidden", "aria-hidden", "inert"):
        if name in attrs:
            del attrs[name]
    style = attrs.get("style") or ""
    if "none" in style or "hidden" in style:
        attrs["style"] = re.sub(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*;?", "",
                                style)


def _keep_accordions(root: LexborNode) -> None:
    """Mark accordion questions to keep and reveal their answers (see module docstring).

    A trigger is a button (or role=button / summary) naming its panel in aria-controls, that is
    not a popup opener and does not sit in navigation, a menu or a dialog; its panel is the
    element with that id, unless the panel is itself a menu, dialog or navigation."""
    for trigger in root.css("[aria-controls]"):
        role = trigger.attributes.get("role")
        if role == "tab" or (trigger.tag not in ("button", "summary") and role != "button"):
            continue  # a tab strip shows one panel by design: it is not collapsed content
        if trigger.attributes.get("aria-haspopup") not in (None, "false") or _in_chrome(trigger):
            continue
        for panel_id in (trigger.attributes.get("aria-controls") or "").split():
            try:
                panel = root.css_first(f"[id='{panel_id}']")
            except Exception:  # an id that is not a valid CSS string: not an accordion we know
                panel = None
            if panel is None or _not_accordion(panel) or panel.css_first("nav"):
                continue
            _reveal(panel)  # a nested accordion's panels are revealed by their own triggers
            if trigger.tag == "button":
                trigger.attrs[ACCORDION_MARK] = "1"
    for node in root.css("[hidden='until-found']"):
        _reveal(node)  # the browser's own find-in-page accordion: text meant to be found


def _matches(root: LexborNode, selector: Selector) -> list[LexborNode]:
    if isinstance(selector, dict):
        return _range_nodes(root, selector)
    try:
        return list(root.css(selector))
    except Exception:  # an invalid CSS selector matches nothing; reported as unmatched
        return []


def extract_html(
    html: str | bytes,
    select: Sequence[Selector] = (),
    remove: Sequence[Selector] = (),
    base_url: str = "",
    filters: Sequence[str | dict[str, object]] = (),
) -> Extracted:
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    out = Extracted(title=clean_line(title_node.text()) if title_node else "")
    root = tree.root
    if root is None:
        out.selector_matched = not select
        return out
    if filters:  # OTA runs a declaration's filters on the whole page, before `remove`
        out.filters_skipped = apply_filters(tree, filters, base_url)
    # Range markers may sit inside dropped chrome: resolve ranges before anything is removed.
    resolved_removals = [n for sel in remove if isinstance(sel, dict) for n in _matches(root, sel)]
    resolved_selects = {i: _matches(root, sel) for i, sel in enumerate(select)
                        if isinstance(sel, dict)}
    for node in resolved_removals:
        node.decompose()
    for selector in remove:
        if isinstance(selector, str):
            for node in _matches(root, selector):
                node.decompose()
    _keep_accordions(root)
    for node in root.css(f"button:not([{ACCORDION_MARK}])"):
        node.decompose()
    tree.strip_tags([tag for tag in DROP_TAGS if tag != "button"])
    for node in root.css(", ".join(DROP_SELECTORS)):
        node.decompose()
    chosen: list[LexborNode] = []
    seen: set[int] = set()
    for i, selector in enumerate(select):
        found = resolved_selects.get(i) if isinstance(selector, dict) else _matches(root, selector)
        found = [n for n in (found or []) if n.parent is not None or n is root]
        if not found:
            out.unmatched.append(selector if isinstance(selector, str) else str(selector))
        for node in found:
            if node.mem_id not in seen:
                seen.add(node.mem_id)
                chosen.append(node)
    if select and not chosen:
        out.selector_matched = False
        return out
    if not select:
        body = tree.body
        chosen = [body] if body is not None else [root]
    # A selected element nested in another selected one is already covered by its ancestor.
    chosen_ids = {n.mem_id for n in chosen}
    writer = _BlockWriter(base_url)
    for node in chosen:
        parent, nested = node.parent, False
        while parent is not None:
            if parent.mem_id in chosen_ids:
                nested = True
                break
            parent = parent.parent
        if not nested:
            writer.visit(node)
            writer.flush()
    out.lines, out.links = writer.lines, writer.links
    return out

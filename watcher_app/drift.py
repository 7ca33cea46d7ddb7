"""Selector drift: when a declared selector stops matching, read the same bytes another way.

Sites restyle every month, and a declaration's `.article` that matched yesterday matches nothing
today, although the policy is still on the page. Before calling that "needs attention", the
check re-reads the bytes it already has (no second request) with, in order:

1. Open Terms Archive's declarations of the same document that are in effect now (newest
   collection first: the ones `catalog --update` keeps current), for the same URL;
2. the page's own structure: `main`, `article`, `[role=main]`, `#content`, `.content`.

The first that reads as the policy (validate.py says so) is used, and the check says which
(`Capture.detail["read_with"]`): the outcome is `degraded`, never an alert by itself. A wider
container than the declared one may bring a header or a footer: `trim_to_baseline` cuts the
edge lines the current version never had, so switching to a fallback is not a change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watcher_app.catalog import Selector
from watcher_app.store.models import Document, Setting

log = logging.getLogger(__name__)

# A document switched to a newer declaration whose old snapshot could not be re-read with it:
# its next differing capture is a technical upgrade, not a change (ota/upgrade.py).
SWITCH_KEY = "declaration.switched.{document}"

STRUCTURE = ("main", "article", "[role=main]", "#content", ".content")


def selector_text(select: Sequence[Selector]) -> str:
    """For people: `main`, or a range selector as its JSON."""
    return ", ".join(s if isinstance(s, str) else json.dumps(s, sort_keys=True) for s in select)


@dataclass(frozen=True)
class Fallback:
    select: tuple[Selector, ...]
    remove: tuple[Selector, ...]
    filters: tuple[Selector, ...]  # OTA's named filters (a name, or a name with options)
    origin: str  # for people: "Open Terms Archive (genai-eu)", "the page's structure"

    def source(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        """The declared source read with this fallback's selectors instead."""
        out = {**declared, "select": list(self.select), "remove": list(self.remove)}
        out.pop("filter", None)
        if self.filters:
            out["filter"] = list(self.filters)
        return out

    def describe(self) -> dict[str, Any]:
        return {"select": list(self.select), "from": self.origin}


FallbackFinder = Callable[[Document, int, Mapping[str, Any]], list[Fallback]]


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def ota_fallbacks(data_dir: Path, doc: Document, source: Mapping[str, Any],
                  now: dt.datetime | None = None) -> list[Fallback]:
    """OTA's declarations in effect for this document and URL, newest first (only those
    whose selectors differ from the declared ones)."""
    from watcher_app.ota.candidates import candidate_declarations
    from watcher_app.ota.store import load_ota_catalog

    try:
        catalog = load_ota_catalog(data_dir)
        when = now or dt.datetime.now(dt.UTC)
        candidates = candidate_declarations(catalog, doc.platform_id, doc.type, when)
    except Exception:  # noqa: BLE001 - a fallback must never turn a check into a crash
        log.exception("reading the stored OTA declarations for %s failed", doc.id)
        return []
    declared = list(source.get("select") or ())
    out = []
    for candidate in candidates:
        for spec in candidate.document.sources:
            if _same_url(spec.url, str(source.get("url", ""))) and list(spec.select) != declared:
                out.append(Fallback(tuple(spec.select), tuple(spec.remove), tuple(spec.filters),
                                    f"Open Terms Archive ({candidate.collection})"))
    return out


def structural_fallbacks(source: Mapping[str, Any]) -> list[Fallback]:
    declared = set(source.get("select") or ())
    remove = tuple(source.get("remove") or ())
    return [Fallback((sel,), remove, (), "the page's structure")
            for sel in STRUCTURE if sel not in declared]


def largest_block(raw_html: str) -> Fallback | None:
    """The element holding the most paragraph text (the readability heuristic: each `<p>` and
    `<li>` counts its words to its parent), as a selector that finds it again: its id, else its
    tag and classes. None when it has neither (a selector would be a brittle path)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(raw_html)
    scores: dict[int, tuple[int, Any]] = {}
    for para in tree.css("p, li"):
        parent = para.parent
        if parent is None or parent.tag in ("ul", "ol"):
            parent = parent.parent if parent is not None else None
        if parent is None or parent.tag in ("body", "html"):
            continue
        words = len(para.text(separator=" ").split())
        key = parent.mem_id
        total, _ = scores.get(key, (0, parent))
        scores[key] = (total + words, parent)
    if not scores:
        return None
    _, node = max(scores.values(), key=lambda pair: pair[0])
    ident = (node.attributes.get("id") or "").strip()
    classes = [c for c in (node.attributes.get("class") or "").split()
               if c.replace("-", "_").isidentifier()]
    if ident and ident.replace("-", "_").isidentifier():
        selector = f"#{ident}"
    elif classes:
        selector = node.tag + "".join(f".{c}" for c in classes)
    else:
        return None
    return Fallback((selector,), (), (), "the page's largest text block")


def finder_for(data_dir: Path | None) -> FallbackFinder:
    """The fallbacks of a monitor whose data folder is `data_dir` (None: structure only)."""
    def find(doc: Document, index: int, source: Mapping[str, Any]) -> list[Fallback]:
        found = ota_fallbacks(data_dir, doc, source) if data_dir is not None else []
        return [*found, *structural_fallbacks(source)]
    return find


def trim_to_baseline(lines: Sequence[str], baseline: Sequence[str] | None) -> list[str]:
    """`lines` without the leading and trailing lines outside the span the current version
    covers: before the first occurrence of its first line, after the last of its last line.
    An end that is not found (that paragraph changed) is not cut: a real edit at an edge must
    still be seen."""
    out = list(lines)
    if not baseline or not out:
        return out
    if baseline[0] in out:
        out = out[out.index(baseline[0]):]
    if baseline[-1] in out:
        out = out[:len(out) - out[::-1].index(baseline[-1])]
    return out


def pending_switch(doc: Document) -> str | None:
    """The reason to record when this document's next differing capture follows a switch."""
    row = Setting.get_or_none(Setting.key == SWITCH_KEY.format(document=doc.id))
    return str(row.value.get("reason")) if row is not None and row.value else None


def clear_switch(doc: Document) -> None:
    Setting.delete().where(Setting.key == SWITCH_KEY.format(document=doc.id)).execute()

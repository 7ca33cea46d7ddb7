"""Platform declarations in the Open Terms Archive format, and the bundled catalogue.

A declaration is `{"name": ..., "terms": {"<Document Type>": <document>}}` where a document is
either one source `{"fetch", "select", "remove", "executeClientScripts"}` or
`{"combine": [<source>, ...], ...shared keys}`. Selectors are CSS strings or range selectors
`{"startBefore"|"startAfter": css, "endBefore"|"endAfter": css}`, alone or in lists. The older
`documents` key is accepted as a synonym of `terms`. A platform's id is its file's stem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from watcher_app.config import resources_dir

# The fixed list of document types (Open Terms Archive's names, plus the ones a user of this app
# expects to pick by name). A declaration using another type is refused, so types stay comparable
# across platforms.
DOCUMENT_TYPES: tuple[str, ...] = (
    "Terms of Service",
    "Privacy Policy",
    "Acceptable Use Policy",
    "Cookie Policy",
    "Trackers Policy",
    "Data Processing Agreement",
    "Data Processor Agreement",
    "Community Guidelines",
    "Law Enforcement Guidelines",
    "Commercial Terms",
    "Developer Terms",
    "Business Privacy Policy",
    "Business Terms",
    "Copyright Claims Policy",
    "Vulnerability Disclosure Policy",
    "In-App Purchases Policy",
    "Paid Service Terms",
    "Seller Warranty",
    "Service Level Agreement",
    "Imprint",
    "Complaints Policy",
    "Restricted Use Policy",
    "Generative AI Policy",
    "Children's Privacy Policy",
    "Deceased Users",
    "Data Transfer Policy",
    "Content Moderation Policy",
    "Recommendation Policy",
    "Ads Policy",
    "Advertising Content Policy",
    "Content Monetisation Policy",
    "Brand Guidelines",
    "User Consent Policy",
    "Live Policy",
    "Data Controller Agreement",
    "Review Guidelines",
    "Human Rights Policy",
    "Transparency Report",
    "Subprocessors List",
    "Model Usage Policy",
    "Responsible AI Policy",
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
RANGE_KEYS = {"startBefore", "startAfter", "endBefore", "endAfter"}


class CatalogError(ValueError):
    """A declaration that cannot be used, with a message fit for the user."""


Selector = str | dict[str, str]


@dataclass(frozen=True)
class SourceSpec:
    """One page to fetch and the part of it that is the document."""

    url: str
    select: tuple[Selector, ...] = ()
    remove: tuple[Selector, ...] = ()
    execute_client_scripts: bool = False
    # OTA's named filter functions (extract/ota_filters.py runs the ones it knows)
    filters: tuple[str | dict[str, Any], ...] = ()


@dataclass(frozen=True)
class DocumentSpec:
    type: str
    sources: tuple[SourceSpec, ...]


@dataclass(frozen=True)
class PlatformSpec:
    id: str
    name: str
    documents: dict[str, DocumentSpec] = field(default_factory=dict)

    def to_declaration(self) -> dict[str, Any]:
        """Back to the OTA format (used to keep imported declarations in the database)."""
        terms: dict[str, Any] = {}
        for doc in self.documents.values():
            sources = [_source_to_json(s) for s in doc.sources]
            terms[doc.type] = sources[0] if len(sources) == 1 else {"combine": sources}
        return {"name": self.name, "terms": terms}


def _source_to_json(source: SourceSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"fetch": source.url}
    if source.select:
        out["select"] = list(source.select)
    if source.remove:
        out["remove"] = list(source.remove)
    if source.execute_client_scripts:
        out["executeClientScripts"] = True
    if source.filters:
        out["filter"] = list(source.filters)
    return out


def _filters(value: Any, where: str) -> tuple[str | dict[str, Any], ...]:
    """`filter`: names, or {name: parameter} objects (OTA's parameterised filters)."""
    items = [] if value is None else value if isinstance(value, list) else [value]
    for item in items:
        if not (isinstance(item, str) and item.strip()) and not (
                isinstance(item, dict) and len(item) == 1):
            raise CatalogError(f"{where}: a filter is a name or a {{name: parameter}} object")
    return tuple(items)


def _selectors(value: Any, where: str) -> tuple[Selector, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[Selector] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif isinstance(item, dict):
            keys = set(item)
            starts, ends = keys & {"startBefore", "startAfter"}, keys & {"endBefore", "endAfter"}
            if keys - RANGE_KEYS or len(starts) != 1 or len(ends) != 1:
                raise CatalogError(
                    f"{where}: a range selector needs one of startBefore/startAfter and one of "
                    f"endBefore/endAfter, got {sorted(keys)}"
                )
            if not all(isinstance(v, str) and v.strip() for v in item.values()):
                raise CatalogError(f"{where}: range selector values must be CSS strings")
            out.append(dict(item))
        else:
            raise CatalogError(f"{where}: a selector must be a CSS string or a range object")
    return tuple(out)


def _check_url(url: Any, where: str, require_https: bool) -> str:
    if not isinstance(url, str) or not url.strip():
        raise CatalogError(f"{where}: 'fetch' must be a URL")
    parsed = urlparse(url.strip())
    allowed = {"https"} if require_https else {"https", "http"}
    if parsed.scheme not in allowed or not parsed.netloc:
        wanted = "an https URL" if require_https else "an http(s) URL"
        raise CatalogError(f"{where}: 'fetch' must be {wanted}, got {url!r}")
    return url.strip()


def parse_declaration(data: Any, platform_id: str, *, require_https: bool = False) -> PlatformSpec:
    """Validate one declaration; raises CatalogError saying exactly what is wrong."""
    if not ID_PATTERN.match(platform_id):
        raise CatalogError(f"platform id {platform_id!r} must be lowercase letters, digits, -_.")
    if not isinstance(data, dict):
        raise CatalogError(f"{platform_id}: a declaration is a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{platform_id}: 'name' is required")
    terms = data.get("terms", data.get("documents"))
    if not isinstance(terms, dict) or not terms:
        raise CatalogError(f"{platform_id}: 'terms' must map document types to documents")
    documents: dict[str, DocumentSpec] = {}
    for doc_type, doc in terms.items():
        where = f"{platform_id} / {doc_type}"
        if doc_type not in DOCUMENT_TYPES:
            known = ", ".join(DOCUMENT_TYPES)
            raise CatalogError(f"{where}: unknown document type (known: {known})")
        if not isinstance(doc, dict):
            raise CatalogError(f"{where}: a document is a JSON object")
        shared_select = _selectors(doc.get("select"), where)
        shared_remove = _selectors(doc.get("remove"), where)
        shared_js = bool(doc.get("executeClientScripts", False))
        shared_filters = _filters(doc.get("filter"), where)
        raw_sources = doc.get("combine") if "combine" in doc else [doc]
        if not isinstance(raw_sources, list) or not raw_sources:
            raise CatalogError(f"{where}: 'combine' must be a non-empty list of sources")
        sources = []
        for raw in raw_sources:
            if not isinstance(raw, dict):
                raise CatalogError(f"{where}: each combined source is a JSON object")
            sources.append(
                SourceSpec(
                    url=_check_url(raw.get("fetch"), where, require_https),
                    select=_selectors(raw["select"], where) if "select" in raw else shared_select,
                    remove=_selectors(raw["remove"], where) if "remove" in raw else shared_remove,
                    execute_client_scripts=bool(raw.get("executeClientScripts", shared_js)),
                    filters=_filters(raw["filter"], where) if "filter" in raw else shared_filters,
                )
            )
        documents[doc_type] = DocumentSpec(doc_type, tuple(sources))
    return PlatformSpec(platform_id, name.strip(), documents)


def load_declaration(path: str | Path, *, require_https: bool = False) -> PlatformSpec:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: no such file") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path}: not valid JSON ({exc})") from exc
    stem = path.name.removesuffix(".json")
    return parse_declaration(data, stem, require_https=require_https)


@cache
def bundled_catalog() -> dict[str, PlatformSpec]:
    """Every platform shipped in resources/catalog, by id (bundled ones must use https)."""
    folder = resources_dir() / "catalog"
    platforms = {}
    for path in sorted(folder.glob("*.json")):
        spec = load_declaration(path, require_https=True)
        platforms[spec.id] = spec
    return platforms

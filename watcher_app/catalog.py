"""Platform declarations in the Open Terms Archive format, and the bundled catalogue.

A declaration is `{"name": ..., "terms": {"<Document Type>": <document>}}` where a document is
either one source `{"fetch", "select", "remove", "executeClientScripts", "filter"}` or
`{"combine": [<source>, ...], ...shared keys}`. Selectors are CSS strings or range selectors
`{"startBefore"|"startAfter": css, "endBefore"|"endAfter": css}`, alone or in lists. The older
`documents` key is accepted as a synonym of `terms`. A platform's id is its file's stem.
`otaServiceId` (a string or a list of strings) names the Open Terms Archive service(s) a bundled
platform is, so a synced OTA declaration and the bundled platform are one catalogue entry.

Every declaration, wherever it comes from (a file, the app's form, the database, an OTA
archive), goes through the same validation with the same caps (`LIMITS`): a hostile or broken
file is refused with one line saying what is wrong, before anything is stored.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    # the rest of Open Terms Archive's terms types (github.com/OpenTermsArchive/terms-types),
    # so a synced OTA declaration is never refused for its type alone
    "Quality Guidelines",
    "Closed Captioning Policy",
    "Single Sign-On Policy",
    "Conditions of Carriage",
    "General Conditions of Sale",
    "Marketplace Buyers Conditions",
    "Marketplace Sellers Conditions",
    "Ranking Parameters Description",
    "Premium Partner Conditions",
    "Platform to Business Notice",
    "Business Mediation Policy",
    "Editorial Policy",
    "Accessibility Statement",
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
RANGE_KEYS = {"startBefore", "startAfter", "endBefore", "endAfter"}


@dataclass(frozen=True)
class Limits:
    """Caps on one declaration. Each is ten times or more what any real declaration needs (the
    largest of Open Terms Archive's 463 is 33 KB with its history, 31 sources in one document,
    16 selectors in one source, nesting depth 7, names of 31 characters), so only a broken or
    hostile file meets them. Stated in README.md ("Declarations: limits")."""

    file_bytes: int = 512 * 1024  # a declaration file (or an OTA archive member)
    depth: int = 16  # nesting of JSON objects and lists
    id_chars: int = 80
    name_chars: int = 200
    documents: int = 100  # document types in one declaration
    sources: int = 100  # sources combined into one document
    selectors: int = 200  # select + remove of one source
    selector_chars: int = 20_000  # one history entry of OTA's has 13,533
    url_chars: int = 2_048
    filters: int = 50  # named OTA filter functions of one source
    ota_ids: int = 10  # otaServiceId entries


LIMITS = Limits()


class CatalogError(ValueError):
    """A declaration that cannot be used, with a message fit for the user."""


Selector = str | dict[str, str]
Filter = str | dict[str, Any]  # OTA: "removeTrackingIDs" or {"removeQueryParams": [...]}


@dataclass(frozen=True)
class SourceSpec:
    """One page to fetch and the part of it that is the document."""

    url: str
    select: tuple[Selector, ...] = ()
    remove: tuple[Selector, ...] = ()
    execute_client_scripts: bool = False
    filters: tuple[Filter, ...] = ()  # OTA's named filters, kept as declared


@dataclass(frozen=True)
class DocumentSpec:
    type: str
    sources: tuple[SourceSpec, ...]


@dataclass(frozen=True)
class PlatformSpec:
    id: str
    name: str
    documents: dict[str, DocumentSpec] = field(default_factory=dict)
    ota_services: tuple[str, ...] = ()  # Open Terms Archive service ids this platform is

    def to_declaration(self) -> dict[str, Any]:
        """Back to the OTA format (used to keep imported declarations in the database)."""
        terms: dict[str, Any] = {doc.type: document_to_json(doc)
                                 for doc in self.documents.values()}
        out: dict[str, Any] = {"name": self.name, "terms": terms}
        if self.ota_services:
            out["otaServiceId"] = list(self.ota_services)
        return out


def document_to_json(doc: DocumentSpec) -> dict[str, Any]:
    sources = [source_to_json(s) for s in doc.sources]
    return sources[0] if len(sources) == 1 else {"combine": sources}


def source_to_json(source: SourceSpec) -> dict[str, Any]:
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


# --- reading JSON safely ----------------------------------------------------------------------

def _show(value: Any, limit: int = 60) -> str:
    """A user-supplied value in a message: repr (control characters escaped), shortened."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _check_depth(data: Any, where: str) -> None:
    """Iterative, so a deep structure built in Python (not from text) cannot recurse either."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > LIMITS.depth:
            raise CatalogError(f"{where}: nested more than {LIMITS.depth} levels deep")
        children = value.values() if isinstance(value, dict) else (
            value if isinstance(value, list) else ())
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))


def parse_json_bytes(raw: bytes, where: str) -> Any:
    """Bytes of a declaration file → JSON, within the caps; CatalogError otherwise."""
    if len(raw) > LIMITS.file_bytes:
        raise CatalogError(f"{where}: {len(raw):,} bytes, over the {LIMITS.file_bytes:,}-byte "
                           "limit for a declaration")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except RecursionError:  # the C scanner recurses per level: a "[[[[…" file ends here
        raise CatalogError(f"{where}: nested more than {LIMITS.depth} levels deep") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{where}: not valid JSON (not UTF-8 text: {exc.reason} at byte "
                           f"{exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{where}: not valid JSON ({exc})") from None
    _check_depth(data, where)
    return data


# --- validation ---------------------------------------------------------------------------------

def _selectors(value: Any, where: str) -> tuple[Selector, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > LIMITS.selectors:
        raise CatalogError(f"{where}: {len(items):,} selectors, over the limit of "
                           f"{LIMITS.selectors} per source")
    out: list[Selector] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            out.append(_selector_text(item, where))
        elif isinstance(item, dict):
            keys = set(item)
            starts, ends = keys & {"startBefore", "startAfter"}, keys & {"endBefore", "endAfter"}
            if keys - RANGE_KEYS or len(starts) != 1 or len(ends) != 1:
                shown = _show(sorted(str(k) for k in keys)[:6])
                raise CatalogError(
                    f"{where}: a range selector needs one of startBefore/startAfter and one of "
                    f"endBefore/endAfter, got {shown}"
                )
            if not all(isinstance(v, str) and v.strip() for v in item.values()):
                raise CatalogError(f"{where}: range selector values must be CSS strings")
            out.append({k: _selector_text(v, where) for k, v in item.items()})
        else:
            raise CatalogError(f"{where}: a selector must be a CSS string or a range object")
    return tuple(out)


def _selector_text(text: str, where: str) -> str:
    if len(text) > LIMITS.selector_chars:
        raise CatalogError(f"{where}: a selector of {len(text):,} characters, over the limit "
                           f"of {LIMITS.selector_chars:,}")
    return text.strip()


def _flag(value: Any, key: str, where: str) -> bool:
    """Only JSON true/false: the string "false" is truthy in Python and must not become true."""
    if not isinstance(value, bool):
        raise CatalogError(f"{where}: '{key}' must be true or false, not {_show(value)}")
    return value


def _filters(value: Any, where: str) -> tuple[Filter, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > LIMITS.filters:
        raise CatalogError(f"{where}: {len(items)} filters, over the limit of {LIMITS.filters}")
    out: list[Filter] = []
    for item in items:
        if isinstance(item, str) and 0 < len(item) <= 100:
            out.append(item)
        elif (isinstance(item, dict) and len(item) == 1
              and all(isinstance(k, str) and 0 < len(k) <= 100 for k in item)):
            out.append(dict(item))
        else:
            raise CatalogError(f"{where}: a filter is a function name or "
                               f"{{name: parameters}}, not {_show(item)}")
    return tuple(out)


def _private_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _check_url(url: object, where: str, require_https: bool) -> str:
    if not isinstance(url, str) or not url.strip():
        raise CatalogError(f"{where}: 'fetch' must be a URL")
    url = url.strip()
    if len(url) > LIMITS.url_chars:
        raise CatalogError(f"{where}: a URL of {len(url):,} characters, over the limit of "
                           f"{LIMITS.url_chars:,}")
    if any(ch.isspace() or ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        raise CatalogError(f"{where}: 'fetch' has spaces or control characters: {_show(url)}")
    try:
        parsed = urlsplit(url)
        host = parsed.hostname or ""
        parsed.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise CatalogError(f"{where}: 'fetch' is not a usable URL ({exc}): {_show(url)}") from None
    allowed = {"https"} if require_https else {"https", "http"}
    if parsed.scheme not in allowed or not host:
        wanted = "an https URL" if require_https else "an http(s) URL"
        raise CatalogError(f"{where}: 'fetch' must be {wanted}, got {_show(url, 100)}")
    if parsed.username is not None or parsed.password is not None:
        # user:password@ would travel to the host in clear and sit in every export
        raise CatalogError(f"{where}: credentials in a URL (user:password@) are refused; "
                           "enter them in the app's credentials instead")
    if require_https and _private_host(host.lower()):
        raise CatalogError(f"{where}: a shared declaration may not point at a private or "
                           f"local address ({_show(host)})")
    return url


def _ota_ids(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > LIMITS.ota_ids or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= LIMITS.name_chars for v in items):
        raise CatalogError(f"{where}: 'otaServiceId' must be a service id or a list of at most "
                           f"{LIMITS.ota_ids}")
    return tuple(v.strip() for v in items)


def parse_document(doc_type: Any, doc: Any, where: str, *,
                   require_https: bool = False) -> DocumentSpec:
    """One entry of `terms`; raises CatalogError saying exactly what is wrong."""
    if doc_type not in DOCUMENT_TYPES:
        known = ", ".join(DOCUMENT_TYPES)
        raise CatalogError(f"{where}: unknown document type (known: {known})")
    if not isinstance(doc, dict):
        raise CatalogError(f"{where}: a document is a JSON object")
    shared_select = _selectors(doc.get("select"), where)
    shared_remove = _selectors(doc.get("remove"), where)
    shared_js = _flag(doc.get("executeClientScripts", False), "executeClientScripts", where)
    shared_filters = _filters(doc.get("filter"), where)
    raw_sources = doc.get("combine") if "combine" in doc else [doc]
    if not isinstance(raw_sources, list) or not raw_sources:
        raise CatalogError(f"{where}: 'combine' must be a non-empty list of sources")
    if len(raw_sources) > LIMITS.sources:
        raise CatalogError(f"{where}: {len(raw_sources):,} sources, over the limit of "
                           f"{LIMITS.sources} per document")
    sources = []
    for raw in raw_sources:
        if not isinstance(raw, dict):
            raise CatalogError(f"{where}: each combined source is a JSON object")
        js = raw.get("executeClientScripts", shared_js)
        sources.append(SourceSpec(
            url=_check_url(raw.get("fetch"), where, require_https),
            select=_selectors(raw["select"], where) if "select" in raw else shared_select,
            remove=_selectors(raw["remove"], where) if "remove" in raw else shared_remove,
            execute_client_scripts=_flag(js, "executeClientScripts", where),
            filters=_filters(raw["filter"], where) if "filter" in raw else shared_filters,
        ))
        if len(sources[-1].select) + len(sources[-1].remove) > LIMITS.selectors:
            raise CatalogError(f"{where}: over {LIMITS.selectors} selectors in one source")
    return DocumentSpec(str(doc_type), tuple(sources))


def _header(data: Any, platform_id: str, label: str, *, allow_empty: bool = False
            ) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """The parts of a declaration outside its documents: name, terms and OTA ids."""
    if not isinstance(platform_id, str) or len(platform_id) > LIMITS.id_chars or \
            not ID_PATTERN.match(platform_id):
        raise CatalogError(f"platform id {_show(platform_id)} must be lowercase letters, "
                           f"digits, -_. (at most {LIMITS.id_chars})")
    if not isinstance(data, dict):
        raise CatalogError(f"{label}: a declaration is a JSON object")
    _check_depth(data, label)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{label}: 'name' is required")
    if len(name) > LIMITS.name_chars:
        raise CatalogError(f"{label}: a name of {len(name):,} characters, over the limit "
                           f"of {LIMITS.name_chars}")
    terms = data.get("terms", data.get("documents"))
    if not isinstance(terms, dict) or not (terms or allow_empty):
        raise CatalogError(f"{label}: 'terms' must map document types to documents")
    if len(terms) > LIMITS.documents:
        raise CatalogError(f"{label}: {len(terms):,} documents, over the limit of "
                           f"{LIMITS.documents}")
    return name.strip(), terms, _ota_ids(data.get("otaServiceId"), label)


def _where(label: str, doc_type: Any) -> str:
    return f"{label} / {_show(doc_type)[1:-1] if isinstance(doc_type, str) else ''}"


def parse_declaration(data: Any, platform_id: str, *, require_https: bool = False) -> PlatformSpec:
    """Validate one declaration; raises CatalogError saying exactly what is wrong."""
    name, terms, ota = _header(data, platform_id, platform_id)
    documents = {}
    for doc_type, doc in terms.items():
        spec = parse_document(doc_type, doc, _where(platform_id, doc_type),
                              require_https=require_https)
        documents[spec.type] = spec
    return PlatformSpec(platform_id, name, documents, ota)


def parse_declaration_partial(data: Any, platform_id: str, *, require_https: bool = False,
                              label: str | None = None) -> tuple[PlatformSpec, list[str]]:
    """Like parse_declaration, but a bad document is left out with its reason instead of
    refusing the rest (for shared collections: one stale page must not hide a service).
    `label` names the declaration in messages (an OTA service id). An empty `terms` (how OTA
    retires a service) gives a spec without documents; CatalogError when the declaration
    itself is unusable or every document was refused."""
    label = label or platform_id
    name, terms, ota = _header(data, platform_id, label, allow_empty=True)
    documents, skipped = {}, []
    for doc_type, doc in terms.items():
        where = _where(label, doc_type)
        try:
            spec = parse_document(doc_type, doc, where, require_https=require_https)
        except CatalogError as exc:
            skipped.append(str(exc))
            continue
        documents[spec.type] = spec
    if terms and not documents:
        raise CatalogError(skipped[0] if len(skipped) == 1 else
                           f"{label}: no usable document ({'; '.join(skipped)})")
    return PlatformSpec(platform_id, name, documents, ota), skipped


def load_declaration(path: str | Path, *, require_https: bool = False) -> PlatformSpec:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(LIMITS.file_bytes + 1)  # never more than the cap into memory
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise CatalogError(f"{path}: is a folder, not a declaration file") from exc
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror})") from exc
    if len(raw) > LIMITS.file_bytes:
        raise CatalogError(f"{path}: over the {LIMITS.file_bytes:,}-byte limit for a "
                           "declaration")
    data = parse_json_bytes(raw, str(path))
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

"""Which OTA declarations a check may try for a document, and whether a newer one exists.

Pure functions over a loaded `OtaCatalog` (no I/O), for the check-time fallback: when a
document's declared selectors stop matching, try `candidate_declarations(...)` in order and
keep the first that reads the policy; `newer_declaration(...)` says when a watched document
uses a declaration OTA has since replaced.

Validity (`*.history.json`): in a collection, a history entry is in effect from the previous
entry's `validUntil` up to its own; the current declaration from the last `validUntil` on. So
at `now` each collection offers exactly one declaration per document: the first history entry
whose `validUntil` is after `now`, else its current one. Expired entries are never offered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from watcher_app.catalog import DocumentSpec, SourceSpec, bundled_catalog
from watcher_app.ota.entries import bundled_ota_services
from watcher_app.ota.ids import slug
from watcher_app.ota.reader import OtaService
from watcher_app.ota.store import OtaCatalog

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Candidate:
    collection: str  # "genai-eu"
    service_id: str  # "Claude.ai"
    document: DocumentSpec
    date: dt.datetime | None  # the collection archive's date (its commit on GitHub)
    valid_from: dt.datetime | None  # when this declaration replaced the previous one, if known
    valid_until: dt.datetime | None  # a history entry still in effect; None: the current one
    repository: str  # "OpenTermsArchive/genai-eu-declarations"
    revision: str | None  # the commit, else the archive's ETag
    licence: str  # SPDX id

    def sources_json(self) -> list[dict[str, Any]]:
        """In the form of `Document.sources` (what the monitor reads)."""
        return [{"url": s.url, "select": list(s.select), "remove": list(s.remove),
                 "executeClientScripts": s.execute_client_scripts,
                 **({"filter": list(s.filters)} if s.filters else {})}
                for s in self.document.sources]


def ota_services_for(catalog: OtaCatalog, platform_id: str,
                     declaration: Mapping[str, Any] | None = None) -> list[str]:
    """The OTA service ids behind a platform: the `otaServiceId` of its stored declaration,
    else the bundled platform's, else the services whose slug is the platform id."""
    declared = (declaration or {}).get("otaServiceId")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list) and all(isinstance(v, str) for v in declared):
        return list(declared)
    spec = bundled_catalog().get(platform_id)
    if spec is not None and bundled_ota_services(spec):
        return list(bundled_ota_services(spec))
    return [sid for sid in catalog.service_ids() if slug(sid) == platform_id]


def _in_effect(service: OtaService, doc_type: str, now: dt.datetime
               ) -> tuple[DocumentSpec, dt.datetime | None, dt.datetime | None] | None:
    """(document, valid_from, valid_until) in effect at `now` in one collection, or None."""
    previous: dt.datetime | None = None
    for entry in service.history.get(doc_type, ()):  # oldest first
        if entry.valid_until > now:
            return entry.document, previous, entry.valid_until
        previous = entry.valid_until
    current = service.spec.documents.get(doc_type)
    return (current, previous, None) if current is not None else None


def candidate_declarations(catalog: OtaCatalog, platform_id: str, doc_type: str,
                           now: dt.datetime, *, service_ids: Sequence[str] | None = None
                           ) -> list[Candidate]:
    """Every OTA declaration of this document valid at `now` (aware), newest first: by the
    collection archive's date (its last commit), then the collections' order of preference,
    then when the declaration took effect. (That date is known only for declarations with a
    history, so it cannot come first: a declaration without one may be the newer.) The same
    sources in two collections are given once, from the first."""
    ids = list(service_ids) if service_ids is not None else ota_services_for(catalog,
                                                                             platform_id)
    found: list[tuple[tuple[float, int, float], Candidate]] = []
    seen: set[str] = set()
    for sid in ids:
        for service in catalog.services(sid):
            hit = _in_effect(service, doc_type, now)
            if hit is None:
                continue
            document, valid_from, valid_until = hit
            contents = next(c for c in catalog.collections if c.collection == service.collection)
            record = catalog.records.get(service.collection)
            candidate = Candidate(
                service.collection, sid, document, contents.archive_date, valid_from,
                valid_until, contents.repository,
                contents.commit or (record.etag if record else None), contents.licence.spdx)
            key = (-(contents.archive_date or _EPOCH).timestamp(),
                   catalog.rank(service.collection), -(valid_from or _EPOCH).timestamp())
            found.append((key, candidate))
    out = []
    for _key, candidate in sorted(found, key=lambda pair: pair[0]):
        fingerprint = sources_key(candidate.document.sources)
        if fingerprint not in seen:
            seen.add(fingerprint)
            out.append(candidate)
    return out


def sources_key(sources: Sequence[SourceSpec | Mapping[str, Any]]) -> str:
    """What makes two declarations of a document read the same thing: URLs, selectors,
    removals and the browser flag, in order (filters are left out: the app may not run them)."""
    rows = []
    for s in sources:
        if isinstance(s, SourceSpec):
            row = [s.url, list(s.select), list(s.remove), s.execute_client_scripts]
        else:
            row = [s.get("url") or s.get("fetch"), list(s.get("select") or []),
                   list(s.get("remove") or []), bool(s.get("executeClientScripts"))]
        rows.append(row)
    return json.dumps(rows, sort_keys=True, ensure_ascii=False)


def newer_declaration(catalog: OtaCatalog, platform_id: str, doc_type: str,
                      current_sources: Sequence[SourceSpec | Mapping[str, Any]],
                      now: dt.datetime, *, service_ids: Sequence[str] | None = None
                      ) -> Candidate | None:
    """The declaration to switch to when the document's current one is an OTA declaration that
    a newer one has replaced: one that is not the newest candidate, or one OTA retired (a
    history entry expired by `now`). None when it is the newest already, or is not OTA's at
    all (a hand-written declaration is never replaced behind the user's back)."""
    candidates = candidate_declarations(catalog, platform_id, doc_type, now,
                                        service_ids=service_ids)
    if not candidates:
        return None
    mine = sources_key(current_sources)
    if mine == sources_key(candidates[0].document.sources):
        return None
    if any(mine == sources_key(c.document.sources) for c in candidates[1:]):
        return candidates[0]
    ids = list(service_ids) if service_ids is not None else ota_services_for(catalog,
                                                                             platform_id)
    for sid in ids:
        for service in catalog.services(sid):
            for entry in service.history.get(doc_type, ()):
                if entry.valid_until <= now and mine == sources_key(entry.document.sources):
                    return candidates[0]
    return None

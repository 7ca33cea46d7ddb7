"""Where each bundled platform's declaration comes from: its Open Terms Archive origin.

A bundled file (resources/catalog/<id>.json) may carry an `_ota` object beside `name` and
`terms` (parse_declaration ignores it, so the file stays a valid OTA declaration):

    "_ota": {"collection": "genai-eu", "service": "Claude.ai", "licence": "AGPL-3.0",
             "adapted": ["Acceptable Use Policy"], "own": [], "note": "...",
             "also": [{"collection": "genai-contrib", "service": "Claude.ai"}]}

- collection + service: the OTA declaration the platform follows (repository
  `OpenTermsArchive/<collection>-declarations`, file `declarations/<service>.json`), also the
  place of its recorded history (`<collection>-versions/<service>/<document type>.md`);
- licence: that repository's licence (resources/catalog/ATTRIBUTION.md says what it means);
- adapted: documents whose selectors or URLs were changed here (the note says why);
- own: documents OTA does not declare for that service, written for this app;
- also: other OTA services with this platform's history (a renamed service, an older
  collection);
- history: OTA service ids OTA no longer declares whose recorded versions are this platform's
  (a service retired or renamed long ago: "Mistral AI"), for history backfill only.

Platforms without `_ota` were written for this app and have no OTA counterpart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from watcher_app.catalog import CatalogError
from watcher_app.config import resources_dir

LICENCES = {"contrib": "EUPL-1.2", "genai-contrib": "AGPL-3.0", "genai-eu": "AGPL-3.0",
            "pga": "AGPL-3.0"}
COPIED, ADAPTED, OWN = "copied", "adapted", "own"


@dataclass(frozen=True)
class OtaService:
    collection: str  # "contrib" | "genai-contrib" | "genai-eu" | "pga"
    service: str  # OTA's service id: the declaration file's stem ("Claude.ai")

    @property
    def repository(self) -> str:
        return f"OpenTermsArchive/{self.collection}-declarations"

    @property
    def versions_repository(self) -> str:
        return f"OpenTermsArchive/{self.collection}-versions"


@dataclass(frozen=True)
class OtaOrigin:
    source: OtaService
    licence: str
    adapted: tuple[str, ...] = ()
    own: tuple[str, ...] = ()
    note: str = ""
    also: tuple[OtaService, ...] = ()
    history: tuple[str, ...] = ()  # retired service ids: only their recorded versions

    @property
    def services(self) -> tuple[OtaService, ...]:
        """Every OTA service whose history is this platform's, the followed one first."""
        return (self.source, *self.also)

    def document_origin(self, doc_type: str) -> str:
        """copied (as OTA declares it), adapted (changed here) or own (not in OTA)."""
        return OWN if doc_type in self.own else ADAPTED if doc_type in self.adapted else COPIED


def _service(value: Any, where: str) -> OtaService:
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: an OTA service is an object")
    collection, service = value.get("collection"), value.get("service")
    if collection not in LICENCES:
        raise CatalogError(f"{where}: unknown OTA collection {collection!r}")
    if not isinstance(service, str) or not service.strip():
        raise CatalogError(f"{where}: 'service' must be OTA's service id")
    return OtaService(collection, service)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where}: a list of document types is expected")
    return tuple(value)


def parse_origin(data: Any, platform_id: str) -> OtaOrigin | None:
    """The `_ota` object of a declaration (None when it has none)."""
    raw = data.get("_ota") if isinstance(data, dict) else None
    if raw is None:
        return None
    where = f"{platform_id} / _ota"
    source = _service(raw, where)
    licence = raw.get("licence")
    if licence != LICENCES[source.collection]:
        raise CatalogError(f"{where}: {source.collection} declarations are licensed "
                           f"{LICENCES[source.collection]}, not {licence!r}")
    also = raw.get("also") or []
    if not isinstance(also, list):
        raise CatalogError(f"{where}: 'also' must be a list")
    return OtaOrigin(source, licence, _names(raw.get("adapted"), where),
                     _names(raw.get("own"), where), str(raw.get("note") or ""),
                     tuple(_service(item, where) for item in also),
                     _names(raw.get("history"), where))


@cache
def bundled_origins() -> dict[str, OtaOrigin]:
    """The OTA origin of every bundled platform that has one, by platform id."""
    out = {}
    for path in sorted((resources_dir() / "catalog").glob("*.json")):
        origin = parse_origin(json.loads(path.read_text(encoding="utf-8")), path.stem)
        if origin is not None:
            out[path.stem] = origin
    return out

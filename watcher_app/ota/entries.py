"""The catalogue a user picks from: bundled platforms plus synced OTA services, one entry each.

A bundled platform and its OTA service(s) are one entry (the bundled declaration is what is
watched; the OTA ones back it up at check time). A service only OTA declares is an entry of its
own, with each document taken from the most preferred collection that declares it, and origin
`ota:<collection>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from watcher_app.catalog import DocumentSpec, PlatformSpec, bundled_catalog
from watcher_app.catalog_origin import bundled_origins
from watcher_app.ota import DEFAULT_SOURCES
from watcher_app.ota.ids import slug
from watcher_app.ota.store import OtaCatalog, load_ota_catalog


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    origin: str  # "bundled" | "ota:<collection>"
    spec: PlatformSpec  # what watching it stores
    ota: tuple[tuple[str, str], ...] = ()  # (collection, OTA service id), preferred first

    @property
    def origin_label(self) -> str:
        """For people: "Bundled", "OTA genai-eu"."""
        if self.origin.startswith("ota:"):
            return f"OTA {self.origin[4:]}"
        return self.origin.capitalize()

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "origin": self.origin,
                "ota": [{"collection": c, "service": s} for c, s in self.ota],
                "documents": [{"type": d.type, "urls": [s.url for s in d.sources]}
                              for d in self.spec.documents.values()]}


def bundled_ota_services(spec: PlatformSpec) -> tuple[str, ...]:
    """The OTA service ids a bundled platform is: its file's `otaServiceId`, else the services
    of its `_ota` origin (the followed one first)."""
    if spec.ota_services:
        return spec.ota_services
    origin = bundled_origins().get(spec.id)
    return tuple(dict.fromkeys(s.service for s in origin.services)) if origin else ()


def claimed_services(bundled: Mapping[str, PlatformSpec]) -> dict[str, str]:
    """OTA service id → the bundled platform id that is it."""
    return {sid: pid for pid, spec in bundled.items() for sid in bundled_ota_services(spec)}


def catalog_entries(data_dir: Path | None, *, catalog: OtaCatalog | None = None,
                    sources: tuple[str, ...] = DEFAULT_SOURCES) -> list[CatalogEntry]:
    """Bundled + synced, sorted by name. `data_dir` None: the bundled catalogue only."""
    bundled = bundled_catalog()
    if catalog is None:
        catalog = load_ota_catalog(data_dir, sources) if data_dir is not None else OtaCatalog()
    claimed = claimed_services(bundled)
    backing: dict[str, list[tuple[str, str]]] = {pid: [] for pid in bundled}
    ota_only: dict[str, CatalogEntry] = {}
    for sid in catalog.service_ids():
        services = [s for s in catalog.services(sid) if s.spec.documents]  # not retired
        if not services:
            continue
        refs = [(s.collection, sid) for s in services]
        owner = claimed.get(sid) or (slug(sid) if slug(sid) in bundled else None)
        if owner is not None:
            backing[owner] += refs
            continue
        documents: dict[str, DocumentSpec] = {}
        for service in services:  # preferred collection first: its documents win
            for doc_type, doc in service.spec.documents.items():
                documents.setdefault(doc_type, doc)
        ident = services[0].spec.id
        if ident in ota_only:  # two ids with one slug ("A.B" / "A-B"): keep both apart
            ident = f"{ident}-{services[0].collection}"[:80]
        spec = PlatformSpec(ident, services[0].spec.name, documents, (sid,))
        ota_only[ident] = CatalogEntry(ident, spec.name, f"ota:{services[0].collection}", spec,
                                       tuple(refs))
    entries = [CatalogEntry(pid, spec.name, "bundled", spec, tuple(backing[pid]))
               for pid, spec in bundled.items()]
    entries += ota_only.values()
    return sorted(entries, key=lambda e: (e.name.lower(), e.id))


def find_entry(data_dir: Path | None, platform_id: str) -> CatalogEntry | None:
    return next((e for e in catalog_entries(data_dir) if e.id == platform_id), None)

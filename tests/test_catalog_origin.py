"""Each bundled platform records its Open Terms Archive origin (`_ota`), and the attribution
says so: collection, OTA service id (history backfill needs it), licence, documents changed."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.paths import CATALOG_DIR, OTA
from watcher_app.catalog import CatalogError, bundled_catalog
from watcher_app.catalog_origin import (
    ADAPTED,
    COPIED,
    LICENCES,
    OWN,
    OtaService,
    bundled_origins,
    parse_origin,
)

# Written for this app: OTA declares none of these services.
NO_OTA_COUNTERPART = {"cohere", "slack", "supabase"}


def test_every_platform_with_an_ota_counterpart_records_it() -> None:
    origins = bundled_origins()
    assert set(bundled_catalog()) - set(origins) == NO_OTA_COUNTERPART
    for platform_id, origin in origins.items():
        documents = set(bundled_catalog()[platform_id].documents)
        assert set(origin.adapted) <= documents, platform_id
        assert set(origin.own) <= documents, platform_id
        assert not set(origin.adapted) & set(origin.own), platform_id
        assert origin.licence == LICENCES[origin.source.collection]
        if origin.adapted:
            assert origin.note or platform_id in {
                "bluesky", "github", "hugging-face", "linkedin", "pinterest", "snapchat",
                "spotify", "telegram", "youtube"}, f"{platform_id}: say why it was adapted"


def test_attribution_lists_every_origin() -> None:
    text = (CATALOG_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for licence in set(LICENCES.values()):
        assert licence in text
    for platform_id, origin in bundled_origins().items():
        row = f"| `{platform_id}` | [{origin.source.collection}-declarations]"
        assert row in text and f"| {origin.source.service} | {origin.licence} |" in text
    for platform_id in NO_OTA_COUNTERPART:
        assert f"`{platform_id}`" in text


def test_document_origin() -> None:
    origin = bundled_origins()["anthropic"]
    assert origin.source == OtaService("genai-eu", "Claude.ai")
    assert origin.source.versions_repository == "OpenTermsArchive/genai-eu-versions"
    assert origin.document_origin("Terms of Service") == COPIED
    assert origin.document_origin("Law Enforcement Guidelines") == ADAPTED
    assert bundled_origins()["pinterest"].document_origin("Trackers Policy") == OWN
    mistral = bundled_origins()["mistral"]  # OTA renamed the service: both histories are its
    assert [s.service for s in mistral.services] == ["Vibe", "Le Chat", "Le Chat"]


@pytest.mark.parametrize(("raw", "message"), [
    ({"collection": "nope", "service": "X", "licence": "MIT"}, "unknown OTA collection"),
    ({"collection": "pga", "service": "", "licence": "AGPL-3.0"}, "service"),
    ({"collection": "pga", "service": "X", "licence": "MIT"}, "licensed AGPL-3.0"),
    ({"collection": "pga", "service": "X", "licence": "AGPL-3.0", "own": "ToS"}, "list"),
    ({"collection": "pga", "service": "X", "licence": "AGPL-3.0", "also": [3]}, "object"),
])
def test_bad_origins_are_refused(raw: dict, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_origin({"name": "X", "terms": {}, "_ota": raw}, "x")
    assert parse_origin({"name": "X", "terms": {}}, "x") is None


@pytest.mark.skipif(not OTA.is_dir(), reason="../shared/opentermsarchive is absent")
def test_origins_name_real_ota_declarations() -> None:
    """Each recorded service exists in its collection's archive; a document marked as copied
    is exactly OTA's (so a re-sync can tell what was changed here)."""
    archives = {c: zipfile.ZipFile(OTA / f"{c}-declarations-main.zip") for c in LICENCES}
    try:
        for platform_id, origin in bundled_origins().items():
            for service in origin.services:
                name = f"{service.collection}-declarations-main/declarations/{service.service}.json"
                assert name in archives[service.collection].namelist(), (platform_id, name)
            source = origin.source
            ota = json.loads(archives[source.collection].read(
                f"{source.collection}-declarations-main/declarations/{source.service}.json"))
            bundled = json.loads((CATALOG_DIR / f"{platform_id}.json").read_text("utf-8"))
            for doc_type, document in bundled["terms"].items():
                if origin.document_origin(doc_type) == COPIED:
                    assert document == ota["terms"][doc_type], (platform_id, doc_type)
                elif origin.document_origin(doc_type) == OWN:
                    assert doc_type not in ota["terms"], (platform_id, doc_type)
    finally:
        for archive in archives.values():
            archive.close()

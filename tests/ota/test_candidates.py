"""A service declared in several collections: one catalogue entry; at check time the
declarations to try, newest first, honouring `*.history.json` validity; and whether a watched
document uses a declaration OTA has since replaced."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.ota.helpers import COLLECTIONS, fixture_archive, make_archive
from watcher_app.catalog import bundled_catalog
from watcher_app.ota.candidates import candidate_declarations, newer_declaration
from watcher_app.ota.entries import catalog_entries
from watcher_app.ota.store import load_ota_catalog
from watcher_app.ota.sync import update_catalog

NOW = dt.datetime(2026, 8, 22, 12, tzinfo=dt.UTC)


def terms(url: str, select: str = "main", **extra: Any) -> dict[str, Any]:
    return {"fetch": url, "select": [select], **extra}


def install(tmp_path: Path, name: str, archive: bytes) -> None:
    path = tmp_path / "src" / f"{name}-declarations-main.zip"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(archive)
    assert update_catalog(tmp_path / "data", [str(path)])[0].status == "updated"


@pytest.fixture
def two_collections(tmp_path: Path) -> Path:
    """Acme in alpha (newer) and beta (older), with different pages; beta alone has a
    privacy policy; alpha keeps two older terms in its history."""
    install(tmp_path, "alpha", make_archive("alpha", {"Acme": {"name": "Acme", "terms": {
        "Terms of Service": terms("https://acme.example/terms-2026", "#legal")}}},
        history={"Acme": {"Terms of Service": [
            terms("https://acme.example/terms-2024", ".old", validUntil="2025-01-01T00:00:00Z"),
            terms("https://acme.example/terms-2025", ".mid", ValidUntil="2027-01-01T00:00:00Z"),
        ]}}, date=(2026, 7, 1)))
    install(tmp_path, "beta", make_archive("beta", {"Acme": {"name": "Acme Corp", "terms": {
        "Terms of Service": terms("https://acme.example/tos", "article"),
        "Privacy Policy": terms("https://acme.example/privacy")}}}, date=(2026, 3, 1),
        licence="eupl"))
    return tmp_path / "data"


def test_one_entry_for_a_service_in_two_collections(two_collections: Path) -> None:
    (acme,) = [e for e in catalog_entries(two_collections) if e.id == "acme"]
    assert acme.origin == "ota:alpha" and acme.name == "Acme"
    assert acme.ota == (("alpha", "Acme"), ("beta", "Acme"))
    docs = acme.spec.documents
    assert docs["Terms of Service"].sources[0].url == "https://acme.example/terms-2026"
    assert docs["Privacy Policy"].sources[0].url == "https://acme.example/privacy"  # beta's
    assert acme.spec.ota_services == ("Acme",)


def test_candidates_newest_first_with_history_validity(two_collections: Path) -> None:
    catalog = load_ota_catalog(two_collections)
    # in August 2026 alpha's history entry valid until 2027 is the one in effect
    first, second = candidate_declarations(catalog, "acme", "Terms of Service", NOW)
    assert (first.collection, second.collection) == ("alpha", "beta")
    assert first.document.sources[0].url == "https://acme.example/terms-2025"
    assert first.valid_from == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert first.valid_until == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert first.date == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert (second.date, second.licence, second.service_id) == (
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "EUPL-1.2", "Acme")
    assert second.sources_json() == [{"url": "https://acme.example/tos", "select": ["article"],
                                      "remove": [], "executeClientScripts": False}]
    # from 2027 on, alpha's current declaration; the expired entries are never offered
    later = candidate_declarations(catalog, "acme", "Terms of Service",
                                   dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
    assert [c.document.sources[0].url for c in later] == [
        "https://acme.example/terms-2026", "https://acme.example/tos"]
    assert later[0].valid_from == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert later[0].valid_until is None
    only_beta = candidate_declarations(catalog, "acme", "Privacy Policy", NOW)
    assert [c.collection for c in only_beta] == ["beta"]
    assert candidate_declarations(catalog, "acme", "Cookie Policy", NOW) == []


def test_equal_dates_follow_the_order_of_the_sources_setting(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        install(tmp_path, name, make_archive(name, {"Acme": {"name": "Acme", "terms": {
            "Terms of Service": terms(f"https://acme.example/{name}")}}}))
    data = tmp_path / "data"
    for order in (["alpha", "beta"], ["beta", "alpha"]):
        sources = [f"https://github.com/OpenTermsArchive/{n}-declarations/archive/main.zip"
                   for n in order]
        catalog = load_ota_catalog(data, sources)
        found = candidate_declarations(catalog, "acme", "Terms of Service", NOW)
        assert [c.collection for c in found] == order


def test_newer_declaration(two_collections: Path) -> None:
    catalog = load_ota_catalog(two_collections)

    def newer(url: str, select: str) -> str | None:
        current = [{"url": url, "select": [select], "remove": [],
                    "executeClientScripts": False}]
        found = newer_declaration(catalog, "acme", "Terms of Service", current, NOW)
        return found and found.document.sources[0].url

    assert newer("https://acme.example/terms-2025", ".mid") is None  # the newest already
    assert newer("https://acme.example/tos", "article") == "https://acme.example/terms-2025"
    assert newer("https://acme.example/terms-2024", ".old") == "https://acme.example/terms-2025"
    assert newer("https://acme.example/mine", "main") is None  # not OTA's: left alone


def test_bundled_platforms_get_their_ota_candidates(tmp_path: Path) -> None:
    update_catalog(tmp_path, [str(fixture_archive(c)) for c in COLLECTIONS])
    catalog = load_ota_catalog(tmp_path)
    found = candidate_declarations(catalog, "anthropic", "Privacy Policy", NOW)
    assert [(c.collection, c.service_id) for c in found] == [
        ("genai-eu", "Claude.ai"), ("genai-contrib", "Claude.ai")]
    assert found[0].repository == "OpenTermsArchive/genai-eu-declarations"
    assert found[0].licence == "AGPL-3.0"
    # Mistral's Le Chat (genai-contrib) is the declaration OTA renamed Vibe in genai-eu: a
    # document still following Le Chat gets Vibe; the bundled one follows Vibe already
    mistral = candidate_declarations(catalog, "mistral", "Terms of Service", NOW)
    assert [(c.collection, c.service_id) for c in mistral] == [
        ("genai-eu", "Vibe"), ("genai-contrib", "Le Chat")]
    switch = newer_declaration(catalog, "mistral", "Terms of Service",
                               mistral[-1].sources_json(), NOW)
    assert switch is not None and (switch.collection, switch.service_id) == ("genai-eu", "Vibe")
    bundled = bundled_catalog()["mistral"].documents["Terms of Service"]
    assert newer_declaration(catalog, "mistral", "Terms of Service", bundled.sources,
                             NOW) is None
    # a platform without OTA counterpart has no candidates
    assert candidate_declarations(catalog, "cohere", "Terms of Service", NOW) == []

"""The bundled platform catalogue (resources/catalog) and the declaration parser behind it.

No network: only the JSON files shipped with the app are read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.paths import CATALOG_DIR
from watcher_app.catalog import (
    DOCUMENT_TYPES,
    CatalogError,
    PlatformSpec,
    bundled_catalog,
    load_declaration,
    parse_declaration,
)

CATALOG_FILES = sorted(CATALOG_DIR.glob("*.json"))
STEM_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Keys allowed by the Open Terms Archive declaration format as bundled here (plus `_ota`, the
# origin record that watcher_app/catalog_origin.py reads; tests/test_catalog_origin.py checks it).
TOP_KEYS = {"name", "terms", "_ota"}
DOCUMENT_KEYS = {"fetch", "select", "remove", "filter", "combine", "executeClientScripts"}
SOURCE_KEYS = {"fetch", "select", "remove", "filter", "executeClientScripts"}

REQUIRED_AI_PLATFORMS = (
    "anthropic",
    "openai",
    "google-gemini",
    "meta-ai",
    "llama",
    "microsoft-copilot",
    "github-copilot",
    "xai-grok",
    "mistral",
    "perplexity",
    "deepseek",
    "cohere",
    "cursor",
    "midjourney",
    "stability-ai",
    "qwen",
    "kimi",
    "replit",
    "lovable",
    "openrouter",
    "replicate",
    "together-ai",
    "fireworks-ai",
    "hugging-face",
)
REQUIRED_CONSUMER_PLATFORMS = (
    "x",
    "facebook",
    "instagram",
    "whatsapp",
    "tiktok",
    "youtube",
    "reddit",
    "linkedin",
    "discord",
    "spotify",
    "zoom",
    "apple",
    "app-store",
    "amazon",
    "microsoft",
    "google",
    "github",
    "slack",
    "supabase",
    "netflix",
    "airbnb",
    "booking-com",
    "paypal",
    "steam",
    "roblox",
    "tinder",
    "twitch",
    "threads",
    "quora",
)
MIN_PLATFORMS = 60
MIN_DOCUMENTS = 200


def _file_id(path: Path) -> str:
    return path.name.removesuffix(".json")


def _raw(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _load(path: Path) -> PlatformSpec:
    return load_declaration(path, require_https=True)


# --- the bundled files -------------------------------------------------------------------------


def test_catalog_folder_has_files() -> None:
    assert CATALOG_DIR.is_dir(), f"missing {CATALOG_DIR}"
    assert CATALOG_FILES, "resources/catalog holds no declaration"


@pytest.mark.parametrize("path", CATALOG_FILES, ids=_file_id)
def test_file_is_utf8_json_with_house_style(path: Path) -> None:
    raw = path.read_bytes()
    text = raw.decode("utf-8")  # raises if not UTF-8
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert text.endswith("\n") and not text.endswith("\n\n"), "exactly one trailing newline"
    assert "\r" not in text, "LF line endings only"
    assert "\t" not in text, "indent with spaces, not tabs"
    data = json.loads(text)
    assert isinstance(data, dict)
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0, f"line {number}: indentation is not a multiple of 2 spaces"
        assert line == line.rstrip(), f"line {number}: trailing whitespace"
    # The canonical 2-space layout, so diffs of the catalogue stay readable.
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", CATALOG_FILES, ids=_file_id)
def test_file_is_a_valid_https_declaration(path: Path) -> None:
    spec = _load(path)
    assert spec.id == _file_id(path)
    assert spec.documents, "at least one document"
    for doc in spec.documents.values():
        assert doc.type in DOCUMENT_TYPES
        for source in doc.sources:
            assert source.url.startswith("https://"), source.url


@pytest.mark.parametrize("path", CATALOG_FILES, ids=_file_id)
def test_file_uses_only_open_terms_archive_keys(path: Path) -> None:
    data = _raw(path)
    assert set(data) <= TOP_KEYS, f"unexpected keys {sorted(set(data) - TOP_KEYS)}"
    assert "terms" in data, "use 'terms' (not the older 'documents') in bundled files"
    for doc_type, doc in data["terms"].items():
        extra = set(doc) - DOCUMENT_KEYS
        assert not extra, f"{doc_type}: unexpected keys {sorted(extra)}"
        assert ("fetch" in doc) != ("combine" in doc), f"{doc_type}: fetch xor combine"
        for source in doc.get("combine", []):
            extra = set(source) - SOURCE_KEYS
            assert not extra, f"{doc_type}: unexpected source keys {sorted(extra)}"


@pytest.mark.parametrize("path", CATALOG_FILES, ids=_file_id)
def test_id_matches_the_stem_pattern(path: Path) -> None:
    assert STEM_PATTERN.match(_file_id(path)), f"{path.name}: use lowercase, digits and '-'"


@pytest.mark.parametrize("path", CATALOG_FILES, ids=_file_id)
def test_no_duplicate_url_within_a_document(path: Path) -> None:
    for doc in _load(path).documents.values():
        urls = [source.url for source in doc.sources]
        duplicates = sorted({url for url in urls if urls.count(url) > 1})
        assert not duplicates, f"{doc.type}: fetched twice: {duplicates}"


def test_ids_are_unique() -> None:
    ids = [_file_id(path) for path in CATALOG_FILES]
    assert len(ids) == len(set(ids))
    lowered = [platform_id.lower() for platform_id in ids]
    assert len(lowered) == len(set(lowered)), "ids differing only by case"


def test_names_are_unique_case_insensitively() -> None:
    names: dict[str, str] = {}
    for path in CATALOG_FILES:
        name = _load(path).name.casefold()
        assert name not in names, f"{path.name} and {names[name]}.json share a name"
        names[name] = _file_id(path)


def test_catalog_size() -> None:
    catalog = bundled_catalog()
    assert len(catalog) == len(CATALOG_FILES)
    assert len(catalog) >= MIN_PLATFORMS
    assert sum(len(spec.documents) for spec in catalog.values()) >= MIN_DOCUMENTS


@pytest.mark.parametrize("platform_id", REQUIRED_AI_PLATFORMS + REQUIRED_CONSUMER_PLATFORMS)
def test_required_platform_is_bundled(platform_id: str) -> None:
    assert platform_id in bundled_catalog(), f"{platform_id}.json is missing from the catalogue"


def test_catalog_readme_lists_every_platform() -> None:
    readme = CATALOG_DIR / "README.md"
    assert readme.is_file()
    text = readme.read_text(encoding="utf-8")
    for platform_id in bundled_catalog():
        assert f"`{platform_id}`" in text, f"{platform_id} missing from README.md's table"


def test_to_declaration_round_trips() -> None:
    for spec in bundled_catalog().values():
        again = parse_declaration(spec.to_declaration(), spec.id, require_https=True)
        assert again == spec


# --- parse_declaration itself ------------------------------------------------------------------


def test_documents_is_a_synonym_of_terms() -> None:
    data = {"name": "Old", "documents": {"Privacy Policy": {"fetch": "https://a.example/p"}}}
    spec = parse_declaration(data, "old")
    assert list(spec.documents) == ["Privacy Policy"]
    assert spec.documents["Privacy Policy"].sources[0].url == "https://a.example/p"


def test_single_source_document() -> None:
    data = {
        "name": "  Single  ",
        "terms": {
            "Terms of Service": {
                "fetch": "https://a.example/tos",
                "select": "main",
                "remove": ["nav", "footer"],
                "executeClientScripts": True,
            }
        },
    }
    spec = parse_declaration(data, "single", require_https=True)
    assert spec.name == "Single"
    (source,) = spec.documents["Terms of Service"].sources
    assert source.url == "https://a.example/tos"
    assert source.select == ("main",)
    assert source.remove == ("nav", "footer")
    assert source.execute_client_scripts is True


def test_combine_shares_select_and_remove_with_per_source_override() -> None:
    data = {
        "name": "Combo",
        "terms": {
            "Privacy Policy": {
                "select": ["main"],
                "remove": [".banner"],
                "executeClientScripts": True,
                "combine": [
                    {"fetch": "https://a.example/one"},
                    {"fetch": "https://a.example/two", "select": "#content"},
                    {
                        "fetch": "https://a.example/three",
                        "remove": ["aside"],
                        "executeClientScripts": False,
                    },
                ],
            }
        },
    }
    one, two, three = parse_declaration(data, "combo").documents["Privacy Policy"].sources
    assert (one.url, one.select, one.remove, one.execute_client_scripts) == (
        "https://a.example/one",
        ("main",),
        (".banner",),
        True,
    )
    assert (two.select, two.remove) == (("#content",), (".banner",))
    assert (three.select, three.remove, three.execute_client_scripts) == (
        ("main",),
        ("aside",),
        False,
    )


@pytest.mark.parametrize(
    "selector",
    [
        {"startBefore": "h1", "endBefore": "footer"},
        {"startAfter": "#toc", "endAfter": ".last"},
        {"startBefore": "h1", "endAfter": '[class*="rich-text"]'},
    ],
)
def test_range_selectors_are_accepted(selector: dict[str, str]) -> None:
    data = {
        "name": "Ranges",
        "terms": {
            "Terms of Service": {
                "fetch": "https://a.example/tos",
                "select": ["h1", selector],
                "remove": [selector],
            }
        },
    }
    (source,) = parse_declaration(data, "ranges").documents["Terms of Service"].sources
    assert source.select == ("h1", selector)
    assert source.remove == (selector,)


@pytest.mark.parametrize(
    "selector",
    [
        {"startBefore": "h1"},
        {"endBefore": "footer"},
        {"startBefore": "h1", "startAfter": "h2", "endBefore": "footer"},
        {"startBefore": "h1", "endBefore": "footer", "extra": "x"},
        {"startBefore": "h1", "endBefore": ""},
        {"startBefore": "h1", "endBefore": 3},
    ],
)
def test_malformed_range_selector_is_refused(selector: dict[str, Any]) -> None:
    data = {
        "name": "Bad",
        "terms": {"Terms of Service": {"fetch": "https://a.example/tos", "select": [selector]}},
    }
    with pytest.raises(CatalogError, match="range selector") as info:
        parse_declaration(data, "bad")
    assert "bad / Terms of Service" in str(info.value)


def test_non_string_selector_is_refused() -> None:
    data = {
        "name": "Bad",
        "terms": {"Terms of Service": {"fetch": "https://a.example", "select": 3}},
    }
    with pytest.raises(CatalogError, match="selector must be a CSS string"):
        parse_declaration(data, "bad")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://a.example/tos", "javascript:alert(1)", "https://", "", None],
)
def test_non_http_url_is_refused(url: Any) -> None:
    data = {"name": "Bad", "terms": {"Terms of Service": {"fetch": url}}}
    with pytest.raises(CatalogError, match="'fetch' must be") as info:
        parse_declaration(data, "bad")
    assert "bad / Terms of Service" in str(info.value)


def test_plain_http_is_refused_only_when_https_is_required() -> None:
    data = {"name": "Plain", "terms": {"Terms of Service": {"fetch": "http://a.example/tos"}}}
    assert parse_declaration(data, "plain").documents["Terms of Service"].sources
    with pytest.raises(CatalogError, match="https URL"):
        parse_declaration(data, "plain", require_https=True)


def test_non_https_source_inside_combine_is_refused() -> None:
    data = {
        "name": "Mixed",
        "terms": {
            "Privacy Policy": {
                "combine": [{"fetch": "https://a.example/p"}, {"fetch": "file:///tmp/p.html"}]
            }
        },
    }
    with pytest.raises(CatalogError, match="file:///tmp/p.html"):
        parse_declaration(data, "mixed", require_https=True)


def test_unknown_document_type_is_refused() -> None:
    data = {"name": "Bad", "terms": {"Terms of Cheese": {"fetch": "https://a.example/c"}}}
    with pytest.raises(CatalogError, match="unknown document type") as info:
        parse_declaration(data, "bad")
    assert "Terms of Cheese" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Empty", "terms": {}},
        {"name": "Empty", "documents": {}},
        {"name": "Empty"},
        {"name": "Empty", "terms": []},
    ],
)
def test_empty_or_missing_terms_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(CatalogError, match="'terms' must map document types"):
        parse_declaration(data, "empty")


@pytest.mark.parametrize("data", [{"terms": {}}, {"name": "   ", "terms": {}}, {"name": 3}])
def test_missing_name_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(CatalogError, match="'name' is required"):
        parse_declaration(data, "nameless")


def test_non_object_declaration_is_refused() -> None:
    with pytest.raises(CatalogError, match="JSON object"):
        parse_declaration(["not", "an", "object"], "list")


@pytest.mark.parametrize("platform_id", ["Upper", "-leading", "with space", "slash/id", ""])
def test_bad_platform_id_is_refused(platform_id: str) -> None:
    data = {"name": "X", "terms": {"Terms of Service": {"fetch": "https://a.example"}}}
    with pytest.raises(CatalogError, match="platform id"):
        parse_declaration(data, platform_id)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("https://a.example", "a document is a JSON object"),
        ({"combine": []}, "'combine' must be a non-empty list"),
        ({"combine": {"fetch": "https://a.example"}}, "'combine' must be a non-empty list"),
        ({"combine": ["https://a.example"]}, "each combined source is a JSON object"),
    ],
)
def test_malformed_document_is_refused(document: Any, message: str) -> None:
    data = {"name": "Bad", "terms": {"Privacy Policy": document}}
    with pytest.raises(CatalogError, match=re.escape(message)):
        parse_declaration(data, "bad")


def test_load_declaration_reports_bad_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        load_declaration(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_declaration(broken)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "Caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_declaration(latin)


def test_load_declaration_takes_the_id_from_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "my-platform.json"
    path.write_text(
        json.dumps({"name": "Mine", "terms": {"Privacy Policy": {"fetch": "https://m.example"}}}),
        encoding="utf-8",
    )
    assert load_declaration(path, require_https=True).id == "my-platform"


def test_every_filter_a_bundled_document_names_is_run() -> None:
    from watcher_app.extract.ota_filters import document_filter_gaps

    gaps = {(spec.id, doc.type): document_filter_gaps(doc)
            for spec in bundled_catalog().values() for doc in spec.documents.values()}
    assert {key: gap for key, gap in gaps.items() if gap} == {}

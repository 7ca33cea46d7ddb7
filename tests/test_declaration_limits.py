"""Declarations without limits (issue 12, item 6): a hostile or broken declaration file gets one
clear line and nothing is stored, through the command line (a real process), the parser the
app's form and the database use, and an OTA archive."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from watcher_app.catalog import (
    LIMITS,
    CatalogError,
    load_declaration,
    parse_declaration,
    parse_declaration_partial,
)


def gw(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def doc(**source: Any) -> dict[str, Any]:
    return {"name": "Acme", "terms": {"Terms of Service": {"fetch": "https://acme.example/t",
                                                           **source}}}


def refused_by_cli(tmp_path: Path, name: str, content: str | bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    home = tmp_path / "home"
    out = gw(home, "import", str(path))
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], out.stderr[:500]
    assert len(lines[0]) < 400 and "Traceback" not in out.stderr
    assert json.loads(gw(home, "watching", "--json").stdout) == []  # nothing stored


def test_deeply_nested_json_is_refused_without_a_traceback(tmp_path: Path) -> None:
    refused_by_cli(tmp_path, "deep.json", "[" * 200_000 + "]" * 200_000, "nested more than")
    nested: Any = {"name": "Acme", "terms": {}}
    for _ in range(50):  # the same built in Python (the app's form, the database)
        nested = {"x": nested}
    with pytest.raises(CatalogError, match="nested more than 16 levels"):
        parse_declaration({"name": "Acme", "terms": {"Terms of Service": nested}}, "acme")


def test_a_5_mb_file_is_refused(tmp_path: Path) -> None:
    padding = " " * (5 * 1024 * 1024)
    refused_by_cli(tmp_path, "big.json", json.dumps(doc()) + padding,
                   f"over the {LIMITS.file_bytes:,}-byte limit")


def test_10000_sources_are_refused(tmp_path: Path) -> None:
    sources = [{"fetch": f"https://acme.example/{i}"} for i in range(10_000)]
    data = {"name": "Acme", "terms": {"Privacy Policy": {"combine": sources}}}
    refused_by_cli(tmp_path, "many.json", json.dumps(data), "10,000 sources, over the limit")


def test_a_50000_character_name_is_refused(tmp_path: Path) -> None:
    refused_by_cli(tmp_path, "long.json", json.dumps({**doc(), "name": "A" * 50_000}),
                   "a name of 50,000 characters")


def test_a_million_selectors_are_refused() -> None:
    with pytest.raises(CatalogError, match="1,000,000 selectors, over the limit"):
        parse_declaration(doc(select=["p"] * 1_000_000), "acme")
    with pytest.raises(CatalogError, match="selectors"):
        parse_declaration(doc(select=["p"] * 150, remove=["nav"] * 150), "acme")
    with pytest.raises(CatalogError, match="a selector of 30,000 characters"):
        parse_declaration(doc(select="p" * 30_000), "acme")


@pytest.mark.parametrize("value", ["false", "true", 0, 1, None, [], {}])
def test_only_json_booleans_for_execute_client_scripts(value: Any) -> None:
    with pytest.raises(CatalogError, match="'executeClientScripts' must be true or false"):
        parse_declaration(doc(executeClientScripts=value), "acme")
    combined = {"name": "Acme", "terms": {"Privacy Policy": {
        "executeClientScripts": value, "combine": [{"fetch": "https://acme.example/p"}]}}}
    with pytest.raises(CatalogError, match="must be true or false"):
        parse_declaration(combined, "acme")


def test_the_string_false_is_never_stored_as_true(tmp_path: Path) -> None:
    refused_by_cli(tmp_path, "acme.json", json.dumps(doc(executeClientScripts="false")),
                   "'executeClientScripts' must be true or false, not 'false'")
    spec = parse_declaration(doc(executeClientScripts=False), "acme")
    assert spec.documents["Terms of Service"].sources[0].execute_client_scripts is False


@pytest.mark.parametrize("url", ["https://user:secret@acme.example/terms",
                                 "https://user@acme.example/terms",
                                 "http://:pw@127.0.0.1:8080/terms"])
def test_credentials_in_a_url_are_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(CatalogError, match=r"credentials in a URL \(user:password@\)"):
        parse_declaration({"name": "Acme", "terms": {"Terms of Service": {"fetch": url}}},
                          "acme")
    refused_by_cli(tmp_path, "acme.json", json.dumps(
        {"name": "Acme", "terms": {"Terms of Service": {"fetch": url}}}), "credentials")


@pytest.mark.parametrize(("source", "words"), [
    ({"select": 5}, "a selector must be a CSS string"),
    ({"remove": [None]}, "a selector must be a CSS string"),
    ({"filter": [5]}, "a filter is a function name"),
    ({"fetch": "https://acme.example/\x1b[31m"}, "spaces or control characters"),
    ({"fetch": "https://acme.example/" + "a" * 3000}, "a URL of 3,021 characters"),
])
def test_other_types_and_sizes_are_refused(source: dict[str, Any], words: str) -> None:
    with pytest.raises(CatalogError, match="^.*" + words.replace("(", r"\(")):
        parse_declaration(doc(**source), "acme")


def test_shared_declarations_may_not_point_at_local_addresses() -> None:
    for host in ("127.0.0.1", "169.254.169.254", "[fe80::1]", "localhost", "10.0.0.2"):
        data = {"name": "A", "terms": {"Terms of Service": {"fetch": f"https://{host}/t"}}}
        with pytest.raises(CatalogError, match="private or local address"):
            parse_declaration(data, "acme", require_https=True)
        parse_declaration(data, "acme")  # a user's own (intranet) declaration may


def test_messages_stay_one_short_line() -> None:
    with pytest.raises(CatalogError) as info:
        parse_declaration({"name": "A", "terms": {"\x1b]0;pwned\x07" + "T" * 5000: {}}}, "acme")
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message and "\x07" not in message


def test_partial_parse_keeps_the_good_documents() -> None:
    data = {"name": "Acme", "terms": {
        "Terms of Service": {"fetch": "https://acme.example/t"},
        "Privacy Policy": {"fetch": "http://acme.example/p"}}}
    spec, skipped = parse_declaration_partial(data, "acme", require_https=True, label="Acme")
    assert list(spec.documents) == ["Terms of Service"]
    assert skipped == ["Acme / Privacy Policy: 'fetch' must be an https URL, got "
                       "'http://acme.example/p'"]
    retired, none = parse_declaration_partial({"name": "Old", "terms": {}}, "old")
    assert retired.documents == {} and none == []  # how OTA retires a service


def test_a_folder_or_unreadable_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="is a folder"):
        load_declaration(tmp_path)

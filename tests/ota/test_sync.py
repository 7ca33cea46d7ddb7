"""Catalogue updates from Open Terms Archive, against a real loopback server serving the real
declaration archives (../shared/opentermsarchive) the way GitHub does: ETag and 304, a
download cut short, a corrupt ZIP and a bad declaration each leave the stored catalogue as it
was, and only the bad part is skipped, with its reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

from tests.loopback import LoopbackServer
from tests.ota.helpers import (
    COLLECTIONS,
    archive_path,
    fixture_archive,
    make_archive,
    replace_member,
    serve_archive,
    serve_fixtures,
)
from watcher_app.ota.archive import DownloadError, download
from watcher_app.ota.entries import catalog_entries
from watcher_app.ota.store import load_ota_catalog, ota_dir, records
from watcher_app.ota.sync import update_catalog, update_due
from watcher_app.settings import Settings


def stored(data_dir: Path, collection: str) -> str:
    return hashlib.sha256((ota_dir(data_dir) / f"{collection}.zip").read_bytes()).hexdigest()


def no_leftovers(data_dir: Path) -> bool:
    return not list(ota_dir(data_dir).glob(".part-*"))


def test_first_download_then_304_with_the_etag(tmp_path: Path, server: LoopbackServer) -> None:
    urls = serve_fixtures(server)
    first = update_catalog(tmp_path, urls)
    assert [r.status for r in first] == ["updated"] * 4, [r.line() for r in first]
    assert all("if-none-match" not in r.headers for r in server.requests)
    by_name = {r.collection: r for r in first}
    assert set(by_name) == set(COLLECTIONS)
    assert by_name["contrib"].licence == "EUPL-1.2"
    assert {by_name[c].licence for c in ("genai-contrib", "genai-eu", "pga")} == {"AGPL-3.0"}
    recs = records(ota_dir(tmp_path))
    assert recs["genai-eu"].etag and recs["genai-eu"].source == urls[2]
    assert recs["genai-eu"].repository == "OpenTermsArchive/genai-eu-declarations"
    assert "AGPL-3.0" in recs["pga"].attribution and "pga" in recs["pga"].attribution
    zips = {c: (ota_dir(tmp_path) / f"{c}.zip").stat().st_mtime_ns for c in COLLECTIONS}

    server.requests.clear()
    again = update_catalog(tmp_path, urls)
    assert [r.status for r in again] == ["unchanged"] * 4
    assert all("304" in r.detail and r.downloaded_bytes == 0 for r in again)
    assert [r.headers.get("if-none-match") for r in server.requests] == \
        [recs[c].etag for c in COLLECTIONS]
    assert zips == {c: (ota_dir(tmp_path) / f"{c}.zip").stat().st_mtime_ns for c in COLLECTIONS}
    assert records(ota_dir(tmp_path))["contrib"].checked_at >= recs["contrib"].checked_at
    assert no_leftovers(tmp_path)


def test_a_new_etag_replaces_the_archive(tmp_path: Path, server: LoopbackServer) -> None:
    url = serve_archive(server, "mini", make_archive("mini", {
        "Acme": {"name": "Acme", "terms": {"Terms of Service": {"fetch": "https://a.example/t"}}}}),
        etag='"v1"')
    assert update_catalog(tmp_path, [url])[0].status == "updated"
    serve_archive(server, "mini", make_archive("mini", {
        "Acme": {"name": "Acme", "terms": {"Terms of Service": {"fetch": "https://a.example/t2"}}},
        "Beta": {"name": "Beta", "terms": {"Privacy Policy": {"fetch": "https://b.example/p"}}}}),
        etag='"v2"')
    result = update_catalog(tmp_path, [url])[0]
    assert result.status == "updated" and result.services == 2
    assert server.requests[-1].headers["if-none-match"] == '"v1"'
    assert records(ota_dir(tmp_path))["mini"].etag == '"v2"'


def test_a_download_cut_short_keeps_the_stored_catalogue(tmp_path: Path,
                                                         server: LoopbackServer) -> None:
    body = fixture_archive("genai-eu").read_bytes()
    url = serve_archive(server, "genai-eu", body)
    update_catalog(tmp_path, [url])
    before = stored(tmp_path, "genai-eu")
    # the connection drops after the body's first part (Content-Length promised more)
    server.handler(archive_path("genai-eu"), lambda req: _route(body[:5000], fault="truncate"))
    result = update_catalog(tmp_path, [url])[0]
    assert result.status == "failed" and "cut short" in result.detail
    assert stored(tmp_path, "genai-eu") == before and no_leftovers(tmp_path)
    # a server that says the truncated length is the whole body: the ZIP check refuses it
    server.handler(archive_path("genai-eu"), lambda req: _route(body[: len(body) // 2]))
    result = update_catalog(tmp_path, [url])[0]
    assert result.status == "failed" and "not a ZIP archive" in result.detail
    assert stored(tmp_path, "genai-eu") == before and no_leftovers(tmp_path)
    assert len(load_ota_catalog(tmp_path).collections[0].services) == 12  # all still there


def test_a_corrupt_zip_keeps_the_stored_catalogue(tmp_path: Path, server: LoopbackServer) -> None:
    body = fixture_archive("pga").read_bytes()
    url = serve_archive(server, "pga", body)
    update_catalog(tmp_path, [url])
    before = stored(tmp_path, "pga")
    with zipfile.ZipFile(fixture_archive("pga")) as zf:
        info = zf.getinfo("pga-declarations-main/declarations/Facebook.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    broken = bytearray(body)
    broken[start:start + 40] = bytes(b ^ 0xFF for b in broken[start:start + 40])
    serve_archive(server, "pga", bytes(broken))
    result = update_catalog(tmp_path, [url])[0]
    assert result.status == "failed" and "corrupt" in result.detail, result.detail
    assert stored(tmp_path, "pga") == before and no_leftovers(tmp_path)


def test_a_bad_declaration_is_skipped_with_its_reason_and_the_rest_load(
        tmp_path: Path, server: LoopbackServer) -> None:
    body = fixture_archive("genai-eu").read_bytes()
    body = replace_member(body, "/Claude.ai.json", json.dumps({"name": "Claude.ai", "terms": {
        "Privacy Policy": {"fetch": "https://claude.example/p",
                           "executeClientScripts": "false"}}}).encode())
    body = replace_member(body, "/DeepSeek.json", b"{not json")
    body = replace_member(body, "/Perplexity.json", json.dumps({"name": "Perplexity", "terms": {
        "Privacy Policy": {"fetch": "http://perplexity.example/privacy"},
        "Terms of Service": {"fetch": "https://perplexity.example/terms"}}}).encode())
    result = update_catalog(tmp_path, [serve_archive(server, "genai-eu", body)])[0]
    assert result.status == "updated"
    reasons = {s.file.rsplit("/", 1)[-1]: s.reason for s in result.skipped}
    assert "'executeClientScripts' must be true or false" in reasons["Claude.ai.json"]
    assert "not valid JSON" in reasons["DeepSeek.json"]
    assert "https URL" in reasons["Perplexity.json"]
    services = load_ota_catalog(tmp_path).collections[0].services
    assert "Claude.ai" not in services and "DeepSeek" not in services
    assert list(services["Perplexity"].spec.documents) == ["Terms of Service"]  # the good one
    assert {"ChatGPT", "Grok", "Meta AI", "Microsoft Copilot"} <= set(services)
    assert records(ota_dir(tmp_path))["genai-eu"].skipped  # kept with the record


def test_the_four_archives_give_at_least_420_services(tmp_path: Path) -> None:
    results = update_catalog(tmp_path, [str(fixture_archive(c)) for c in COLLECTIONS])
    assert all(r.status == "updated" for r in results)
    entries = catalog_entries(tmp_path)
    assert len(entries) >= 420
    assert len({e.id for e in entries}) == len(entries)
    by_id = {e.id: e for e in entries}
    # a bundled platform and its OTA service are one entry, backed by both its collections
    anthropic = by_id["anthropic"]
    assert anthropic.origin == "bundled"
    assert [c for c, s in anthropic.ota] == ["genai-eu", "genai-contrib"]
    assert "claude.ai" not in by_id
    assert by_id["alibaba.com"].origin == "ota:contrib"
    assert by_id["bereal"].origin == "ota:pga"
    # a local file already stored is not read again
    assert {r.status for r in update_catalog(tmp_path, [str(fixture_archive("pga"))])} == \
        {"unchanged"}


def test_redirects_are_followed_and_checked(tmp_path: Path, server: LoopbackServer) -> None:
    url = serve_archive(server, "genai-eu", fixture_archive("genai-eu").read_bytes())
    server.route("/moved.zip", status=302, headers={"Location": archive_path("genai-eu")})
    assert update_catalog(tmp_path, [server.url("/moved.zip")])[0].status == "updated"
    server.route("/away.zip", status=302, headers={"Location": "http://example.org/a.zip"})
    result = update_catalog(tmp_path, [server.url("/away.zip")])[0]
    assert result.status == "failed" and "https only" in result.detail
    assert url


def test_size_cap_and_credentials(tmp_path: Path, server: LoopbackServer) -> None:
    url = serve_archive(server, "genai-eu", fixture_archive("genai-eu").read_bytes())
    target = tmp_path / "x.zip"
    try:
        download(url, target, max_bytes=1000)
        raise AssertionError("over the cap must be refused")
    except DownloadError as exc:
        assert "cap" in str(exc)
    assert not target.exists()
    result = update_catalog(tmp_path, [url.replace("http://", "http://me:secret@")])[0]
    assert result.status == "failed" and "credentials" in result.detail


def test_a_stale_record_never_sends_its_etag(tmp_path: Path, server: LoopbackServer) -> None:
    """A crash between swapping the ZIP and writing its record: the ZIP stays usable and the
    next update downloads again instead of trusting the old ETag."""
    url = serve_archive(server, "genai-eu", fixture_archive("genai-eu").read_bytes())
    update_catalog(tmp_path, [url])
    other = make_archive("genai-eu", {"Acme": {"name": "Acme", "terms": {
        "Terms of Service": {"fetch": "https://a.example/t"}}}})
    (ota_dir(tmp_path) / "genai-eu.zip").write_bytes(other)  # the swap happened, not the record
    assert len(load_ota_catalog(tmp_path).collections[0].services) == 1
    server.requests.clear()
    assert update_catalog(tmp_path, [url])[0].status == "updated"
    assert "if-none-match" not in server.requests[0].headers


def test_update_due_weekly_unless_off() -> None:
    now = dt.datetime(2026, 8, 22, 12, tzinfo=dt.UTC)
    fresh = Settings()
    assert fresh.ota_weekly_update and update_due(fresh, now)  # never updated: due
    done = Settings(ota_last_success_at=(now - dt.timedelta(days=6)).isoformat(),
                    ota_last_attempt_at=(now - dt.timedelta(days=6)).isoformat())
    assert not update_due(done, now)
    done.ota_last_success_at = done.ota_last_attempt_at = (now - dt.timedelta(days=8)).isoformat()
    assert update_due(done, now)
    done.ota_last_attempt_at = (now - dt.timedelta(hours=1)).isoformat()  # failed an hour ago
    assert not update_due(done, now)
    assert not update_due(Settings(ota_weekly_update=False), now)
    assert not update_due(Settings(ota_sources=()), now)


def _route(body: bytes, fault: str | None = None):  # -> Route
    from tests.loopback import Route

    return Route(body=body, headers={"ETag": '"cut"'}, content_type="application/zip",
                 fault=fault)

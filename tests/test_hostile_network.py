"""Issue 12, items 1, 2 and 5: where the app connects, what it sends there, what it keeps.

Real loopback servers throughout. The tests that need a *public* address cannot have one here
(never the internet): they give the Fetcher a resolver and a classifier that call the loopback
server public, which is the only thing mocked, and say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import PAGES
from tests.test_keyring_store import MemoryKeyring
from watcher_app import credentials
from watcher_app.fetch import Fetcher, FetchError
from watcher_app.monitor import Monitor
from watcher_app.store.models import Document, Snapshot
from watcher_app.watchlist import WatchError, add_custom

# Newer API (BoundHeaders, the address policy, import_file) is imported inside the tests that
# use it, so that every test here runs, and fails for its own reason, on the code before it.

PAGE = (PAGES / "base.html").read_bytes()


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def fast_fetcher(**network: object) -> Fetcher:
    if not network:
        return Fetcher(retries=0, timeout_s=2, connect_timeout_s=2, sleep=lambda s: None)
    return Fetcher(retries=0, timeout_s=2, connect_timeout_s=2, sleep=lambda s: None,
                   network=network)  # type: ignore[call-arg]


def recorder(server: LoopbackServer, path: str, body: bytes = PAGE) -> list[RequestInfo]:
    seen: list[RequestInfo] = []

    def answer(info: RequestInfo) -> Route:
        seen.append(info)
        return Route(body=body)

    server.handler(path, answer)
    return seen


def never_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} should have been refused before any lookup or connection")


def gw(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=120)


# --- 1. credentials are bound to their origin ---------------------------------------------------


def test_reimport_to_another_host_needs_replace_and_drops_the_credentials(
        db, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    from watcher_app.fetch import origin_of
    from watcher_app.watchlist import ReplaceNeeded, import_file

    with LoopbackServer() as first, LoopbackServer() as other:
        first_seen, other_seen = recorder(first, "/terms"), recorder(other, "/terms")
        declaration = tmp_path / "acme.json"
        declaration.write_text(json.dumps({"name": "Acme", "terms": {
            "Terms of Service": {"fetch": first.url("/terms"), "select": "main"}}}))
        import_file(db, declaration)
        doc = Document.get()
        credentials.store(doc.id, "cookie", "session=abc")
        credentials.store(doc.id, "basic", "ann:s3cret")
        assert credentials.bound_origin(doc.id) == origin_of(first.url("/"))
        monitor = Monitor(db, fast_fetcher(), confirm_delay_s=0)
        monitor.check(doc)
        assert first_seen[-1].headers["cookie"] == "session=abc"

        # The same id, another origin (same host, other port): refused without --replace,
        # with what would change.
        declaration.write_text(json.dumps({"name": "Acme", "terms": {
            "Terms of Service": {"fetch": other.url("/terms"), "select": "main"}}}))
        with pytest.raises(ReplaceNeeded) as refused:
            import_file(db, declaration)
        message = str(refused.value)
        assert "--replace" in message and other.url("/terms") in message
        assert "cookie credential" in message and "basic credential" in message
        assert Document.get().sources[0]["url"] == first.url("/terms")  # nothing changed

        _, replaced = import_file(db, declaration, replace=True)
        assert replaced is not None and replaced.dropped
        assert credentials.headers_for(doc.id) == {}
        assert not memory_keyring.items  # deleted from the keyring too
        monitor.check(Document.get())
        monitor.close()
        assert other_seen and all("cookie" not in r.headers and "authorization" not in r.headers
                                  for r in other_seen)


def test_credentials_never_follow_a_url_edited_behind_their_back(
        db, server: LoopbackServer, memory_keyring: MemoryKeyring) -> None:
    seen = recorder(server, "/terms")
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Terms of Service": {"fetch": server.url("/terms")}}})
    doc = Document.get()
    credentials.store(doc.id, "cookie", "session=abc")
    # The URL moves to another origin without an import (localhost is another host name).
    Document.update(sources=[{"url": f"http://localhost:{server.port}/terms"}]).execute()
    assert credentials.headers_for(doc.id) == {}
    with Monitor(db, fast_fetcher(), confirm_delay_s=0) as monitor:
        monitor.check(Document.get())
    assert seen and "cookie" not in seen[-1].headers


def test_bound_headers_go_only_to_their_origin(server: LoopbackServer) -> None:
    from watcher_app.fetch import BoundHeaders, origin_of

    seen = recorder(server, "/page")
    bound = BoundHeaders({"Cookie": "session=abc"}, origin_of(f"http://localhost:{server.port}/"))
    with fast_fetcher() as fetcher:
        fetcher.fetch(server.url("/page"), extra_headers=bound)  # 127.0.0.1: another origin
        assert "cookie" not in seen[-1].headers
        fetcher.fetch(f"http://localhost:{server.port}/page", extra_headers=bound)
        assert seen[-1].headers["cookie"] == "session=abc"


def test_basic_credentials_never_in_clear_text_off_this_machine(
        db, server: LoopbackServer, memory_keyring: MemoryKeyring) -> None:
    from watcher_app.fetch import BoundHeaders, origin_of

    add_custom(db, "intranet", {"name": "Intranet", "terms": {
        "Terms of Service": {"fetch": "http://intranet.example/terms"}}})
    doc = Document.get()
    with pytest.raises(credentials.CredentialRefused, match="clear text"):
        credentials.store(doc.id, "basic", "ann:s3cret")
    assert not memory_keyring.items
    credentials.store(doc.id, "cookie", "session=abc")  # a cookie is the user's call

    # And the fetcher drops a Basic header over http to a host that is not this machine
    # (the name resolves to the loopback server here: the resolver is the test's).
    seen = recorder(server, "/terms")
    url = f"http://intranet.example:{server.port}/terms"
    bound = BoundHeaders({"Authorization": "Basic YW5uOnMzY3JldA==", "Cookie": "s=1"},
                         origin_of(url))
    with fast_fetcher(resolve=lambda host, port: ["127.0.0.1"]) as fetcher:
        fetcher.fetch(url, extra_headers=bound)
    assert "authorization" not in seen[-1].headers and seen[-1].headers["cookie"] == "s=1"


def test_a_file_named_after_a_bundled_platform_needs_replace(tmp_path: Path,
                                                             server: LoopbackServer) -> None:
    server.route("/p", PAGE)
    hijack = tmp_path / "anthropic.json"
    hijack.write_text(json.dumps({"name": "Anthropic", "terms": {
        "Privacy Policy": {"fetch": server.url("/p")}}}))
    home = tmp_path / "home"
    assert gw(home, "watch", "anthropic").returncode == 0  # its history would be taken over
    refused = gw(home, "import", str(hijack))
    assert refused.returncode == 1
    assert "bundled platform" in refused.stderr and "--replace" in refused.stderr
    assert "hosts added: 127.0.0.1" in refused.stderr and "hosts removed:" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    watching = json.loads(gw(home, "watching", "--json").stdout)
    assert watching[0]["origin"] == "bundled"
    done = gw(home, "import", str(hijack), "--replace")
    assert done.returncode == 0 and "replaced the bundled platform" in done.stdout

    # A database that never used the bundled id has nothing to lose: imported, with a note
    # saying whose id it is (the replay tool and OTA users import such files).
    fresh = gw(tmp_path / "fresh", "import", str(hijack))
    assert fresh.returncode == 0 and "also the id of the bundled platform" in fresh.stderr
    assert "hosts added: 127.0.0.1" in fresh.stderr


def test_custom_platform_cannot_take_an_existing_id(db, server: LoopbackServer) -> None:
    with pytest.raises(WatchError, match="exists already"):
        add_custom(db, "openai", {"name": "Mine", "terms": {
            "Terms of Service": {"fetch": server.url("/t")}}})


# --- 2. secrets in response headers are not stored ---------------------------------------------


def test_secret_response_headers_are_not_kept(db, server: LoopbackServer) -> None:
    server.route("/terms", PAGE, headers={
        "Set-Cookie": "session=SECRET1; HttpOnly", "WWW-Authenticate": "Basic realm=x",
        "X-Auth-Token": "SECRET2", "X-Amz-Security-Token": "SECRET3",
        "Authorization": "Bearer SECRET4", "ETag": '"v1"', "Last-Modified":
        "Wed, 01 Jan 2025 00:00:00 GMT", "X-Session-Id": "SECRET5"})
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Terms of Service": {"fetch": server.url("/terms"), "select": "main"}}})
    with Monitor(db, fast_fetcher(), confirm_delay_s=0) as monitor:
        monitor.check(Document.get())
    stored = Snapshot.get().headers
    assert stored["etag"] == '"v1"' and "last-modified" in stored and "content-type" in stored
    assert "SECRET" not in json.dumps(stored)
    assert set(stored) <= {"content-type", "content-length", "date", "etag", "last-modified",
                           "server", "content-encoding"}


# --- 5. internal addresses ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",  # 169.254.169.254 as one number
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0:80/",
])
def test_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    # Refused from the URL alone: the resolver must not even be asked (and if it were, the
    # test fails here instead of reaching for a real metadata service).
    with fast_fetcher(resolve=never_resolve) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert info.value.reason == "forbidden-address", info.value
    assert "link-local or cloud metadata" in str(info.value)


def test_a_name_resolving_to_the_metadata_service_is_refused_at_connect_time() -> None:
    # DNS rebinding: the URL says nothing; the address it resolves to does.
    with fast_fetcher(resolve=lambda host, port: ["169.254.169.254"]) as fetcher, \
            pytest.raises(FetchError) as info:
        fetcher.fetch("http://innocent.example/")
    assert info.value.reason == "forbidden-address"


def test_a_redirect_to_the_metadata_service_is_refused(server: LoopbackServer) -> None:
    server.route("/go", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    loopback_only = lambda host, port: ["127.0.0.1"] if host == "127.0.0.1" else never_resolve(  # noqa: E731
        host, port)
    with fast_fetcher(resolve=loopback_only) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/go"))
    assert info.value.reason == "forbidden-address"


def test_a_redirect_from_a_public_address_to_a_private_one_is_refused(
        server: LoopbackServer) -> None:
    from watcher_app import connect, netguard

    # No public address exists here: "public.test" resolves to the loopback server, and the
    # classifier calls 127.0.0.1 public (the only mock; every other address is judged as
    # usual, so 127.0.0.2 stays loopback).
    def judge(address: str) -> str:
        return "public" if address == "127.0.0.1" else netguard.classify(address)

    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "public.test" else connect._resolve(host, port)

    server.route("/go", status=302, headers={"Location": f"http://127.0.0.2:{server.port}/x"})
    server.route("/fine", status=302, headers={"Location": f"http://public.test:{server.port}/p"})
    server.route("/p", PAGE)
    with fast_fetcher(resolve=resolve, classify=judge) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(f"http://public.test:{server.port}/go")
        assert info.value.reason == "private-address"
        assert "redirect from a public address" in str(info.value)
        # public → public is fine
        assert fetcher.fetch(f"http://public.test:{server.port}/fine").status == 200
    assert server.hits("/x") == 0


def test_the_users_own_loopback_declaration_works_with_a_note(tmp_path: Path,
                                                               server: LoopbackServer) -> None:
    server.route("/p", PAGE)
    own = tmp_path / "intranet.json"
    own.write_text(json.dumps({"name": "Intranet", "terms": {
        "Privacy Policy": {"fetch": server.url("/p"), "select": "main"}}}))
    home = tmp_path / "home"
    out = gw(home, "import", str(own))
    assert out.returncode == 0
    assert "private or loopback address" in out.stderr and "127.0.0.1" in out.stderr
    checked = json.loads(gw(home, "check", "--json", "--confirm-delay", "0").stdout)
    assert checked[0]["status"] == "first"
    # A redirect from the user's own private page to another private one is theirs too.
    server.route("/moved", status=301, headers={"Location": server.url("/p")})
    with fast_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/moved")).status == 200


def test_a_declaration_for_the_metadata_service_is_refused_on_import(tmp_path: Path) -> None:
    bad = tmp_path / "meta.json"
    bad.write_text(json.dumps({"name": "Meta", "terms": {
        "Privacy Policy": {"fetch": "http://169.254.169.254/latest/meta-data/"}}}))
    out = gw(tmp_path / "home", "import", str(bad))
    assert out.returncode == 1 and "link-local or cloud metadata" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("address", "kind"), [
    ("169.254.10.1", "forbidden"), ("fe80::abcd", "forbidden"), ("100.100.100.200", "forbidden"),
    ("224.0.0.251", "forbidden"), ("::", "forbidden"), ("64:ff9b::a9fe:a9fe", "forbidden"),
    ("127.0.0.1", "private"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("::1", "private"), ("fc00::1", "private"), ("100.64.1.1", "private"),
    ("93.184.216.34", "public"), ("2606:2800:220:1::1", "public"),
])
def test_address_classes(address: str, kind: str) -> None:
    from watcher_app import netguard

    assert netguard.classify(address) == kind

"""A document behind a login: its credential goes keyring → request header, never the DB."""

from __future__ import annotations

import base64

import keyring
import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import PAGES
from tests.support.setup import add_custom_doc, make_fetcher
from tests.test_keyring_store import MemoryKeyring
from watcher_app import credentials
from watcher_app.monitor import Monitor
from watcher_app.store.models import Setting

PAGE = (PAGES / "base.html").read_bytes()


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_cookie_and_basic_auth_reach_the_server(db, server: LoopbackServer,
                                                memory_keyring: MemoryKeyring) -> None:
    seen: list[RequestInfo] = []

    def members_only(info: RequestInfo) -> Route:
        seen.append(info)
        if info.headers.get("cookie") != "session=abc":
            return Route(status=403, body=b"login required")
        return Route(body=PAGE)

    server.handler("/members", members_only)
    doc = add_custom_doc(db, server.url("/members"), name="Acme", doc_type="Terms of Service")
    with Monitor(db, make_fetcher(), confirm_delay_s=0) as monitor:
        assert monitor.check(doc).status == "error"  # 403 without the cookie
        credentials.store(doc.id, "cookie", "session=abc")
        credentials.store(doc.id, "basic", "ann:s3cret")
        assert monitor.check(doc).status == "first"
        basic = "Basic " + base64.b64encode(b"ann:s3cret").decode()
        assert seen[-1].headers["authorization"] == basic
        # the database knows which kinds exist, never the values
        stored = str(Setting.get_by_id(credentials.SETTING_KEY).value)
        assert "cookie" in stored and "session=abc" not in stored and "s3cret" not in stored
        credentials.delete(doc.id, "cookie")
        credentials.delete(doc.id, "basic")
        assert credentials.headers_for(doc.id) == {}
        assert monitor.check(doc).status == "error"


def test_public_documents_never_touch_the_keyring(db, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise AssertionError("the keyring was asked for a public page")

    from watcher_app import keyring_store as secrets

    monkeypatch.setattr(secrets, "get_secret", boom)
    assert credentials.headers_for(12345) == {}

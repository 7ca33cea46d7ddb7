"""Demo mode keeps every connection on this machine; documents served from it may be checked
more often than the platforms' servers allow."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import keyring
import pytest

from tests.loopback import LoopbackServer
from watcher_app.demo import offline
from watcher_app.demo.keystore import DemoKeyring, restore_keyring
from watcher_app.fetch import Fetcher, FetchError
from watcher_app.loopback import is_loopback_host, is_loopback_url
from watcher_app.settings import LOOPBACK_MIN_CHECK_INTERVAL_S, Settings
from watcher_app.store.models import Document


@pytest.fixture
def guard() -> Iterator[None]:
    offline.activate()
    try:
        yield
    finally:
        offline.deactivate()


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LOCALHOST.", True), ("demo.localhost", True), (b"127.0.0.1", True),
    ("example.com", False), ("10.0.0.1", False), ("192.0.2.7", False), ("::ffff:8.8.8.8", False),
    ("", False), (None, False), ("127.0.0.1.example.com", False),
])
def test_loopback_hosts(host: str | bytes | None, local: bool) -> None:
    assert is_loopback_host(host) is local


def test_loopback_urls() -> None:
    assert is_loopback_url("http://127.0.0.1:8080/privacy")
    assert not is_loopback_url("https://policies.example.com/privacy")
    assert not is_loopback_url("http://[not-an-ip/")


@pytest.mark.usefixtures("guard")
def test_guard_refuses_other_hosts_before_any_lookup(server: LoopbackServer) -> None:
    server.route("/p", "<html><body><p>hello</p></body></html>")
    with Fetcher(retries=0) as fetcher:
        with pytest.raises(FetchError) as refused:
            fetcher.fetch("https://policies.example.com/terms")
        assert refused.value.reason == "connect-failed"
        assert "demo mode: nothing leaves this machine" in refused.value.detail
        assert fetcher.fetch(server.url("/p")).status == 200  # this machine: fine
    with pytest.raises(offline.OfflineError):
        socket.getaddrinfo("policies.example.com", 443)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, \
            pytest.raises(offline.OfflineError):
        sock.connect(("192.0.2.1", 80))  # a documentation address: refused before any packet
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(offline.OfflineError):
        sock.sendto(b"x", ("192.0.2.1", 53))
    assert offline.active()


@pytest.mark.usefixtures("guard")
@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_guard_lets_local_ipc_through(tmp_path) -> None:  # noqa: ANN001
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, \
            pytest.raises(FileNotFoundError):  # not refused: there is just nobody there
        sock.connect(str(tmp_path / "nobody"))


def test_guard_is_off_unless_activated() -> None:
    assert not offline.active()
    offline._hook("socket.getaddrinfo", ("policies.example.com", 443, 0, 0, 0))  # no raise


def test_child_processes_inherit_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(offline.OFFLINE_ENV, raising=False)
    offline.activate_from_environment()
    assert not offline.active()
    monkeypatch.setenv(offline.OFFLINE_ENV, "1")
    try:
        offline.activate_from_environment()
        assert offline.active()
        assert isinstance(keyring.get_keyring(), DemoKeyring)  # not the user's keyring
    finally:
        offline.deactivate()
        restore_keyring()
    assert not isinstance(keyring.get_keyring(), DemoKeyring)
    assert os.environ[offline.OFFLINE_ENV] == "1"


def _doc(*urls: str, interval: int | None) -> Document:
    return Document(type="Privacy Policy", sources=[{"url": u} for u in urls],
                    check_interval_s=interval)


def test_interval_floor_is_lower_for_documents_served_from_this_machine() -> None:
    settings = Settings()
    assert settings.interval_for(_doc("http://127.0.0.1:4000/p", interval=60)) == 60
    assert settings.interval_for(_doc("http://127.0.0.1:4000/p", interval=1)) == \
        LOOPBACK_MIN_CHECK_INTERVAL_S
    assert settings.interval_for(_doc("https://example.com/p", interval=60)) == 15 * 60
    mixed = _doc("http://127.0.0.1:4000/p", "https://example.com/p", interval=60)
    assert settings.interval_for(mixed) == 15 * 60
    assert settings.interval_for(_doc(interval=60)) == 15 * 60  # no source: the usual floor

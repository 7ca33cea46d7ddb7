"""The keyring facade: round trip, the explicit "no backend" state, no plaintext fallback, no
secret in logs or errors, and a real Secret Service (gnome-keyring) when it is installed."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail, null

from tests.paths import REPO
from watcher_app.keyring_store import (
    SERVICE,
    SecretsUnavailable,
    backend_status,
    delete_secret,
    document_secret_key,
    get_secret,
    store_secret,
)

COOKIE = "session=s3cr3t-value-never-logged"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory backend, so the tests never touch a real password store."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class LockedKeyring(MemoryKeyring):
    """A store that exists but refuses, quoting what it was given (as some backends do)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password!r}")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")


@pytest.fixture(autouse=True)
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_round_trip_through_the_backend() -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    assert backend_status()[0] is True
    key = document_secret_key(12)
    assert key == "document:12:cookie"
    assert get_secret(key) is None
    store_secret(key, COOKIE)
    assert backend.items == {(SERVICE, key): COOKIE}  # under the app's service name
    assert get_secret(key) == COOKIE
    store_secret(key, "session=new")
    assert get_secret(key) == "session=new"
    delete_secret(key)
    assert get_secret(key) is None
    delete_secret(key)  # already gone: not an error


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_no_backend_is_an_explicit_state(backend: keyring.backend.KeyringBackend,
                                         tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(backend)
    monkeypatch.chdir(tmp_path)
    ok, message = backend_status()
    assert ok is False and "No password store is available" in message
    with pytest.raises(SecretsUnavailable, match="No password store"):
        store_secret("document:1:cookie", COOKIE)
    assert get_secret("document:1:cookie") is None
    delete_secret("document:1:cookie")
    # never a plaintext fallback: nothing was written anywhere we can see
    assert list(tmp_path.iterdir()) == []


def test_a_failing_store_never_leaks_the_value(caplog: pytest.LogCaptureFixture) -> None:
    keyring.set_keyring(LockedKeyring())
    with caplog.at_level(logging.DEBUG), pytest.raises(SecretsUnavailable) as raised:
        store_secret("document:1:cookie", COOKIE)
    rendered = "".join(traceback.format_exception(raised.value))
    assert COOKIE not in rendered and "s3cr3t" not in str(raised.value)
    assert "s3cr3t" not in caplog.text
    with pytest.raises(SecretsUnavailable, match="could not be read"):
        get_secret("document:1:cookie")  # locked is not "missing"
    with pytest.raises(SecretsUnavailable):
        delete_secret("document:1:cookie")


def test_keys_and_values_are_checked() -> None:
    keyring.set_keyring(MemoryKeyring())
    with pytest.raises(ValueError):
        store_secret(" ", "x")
    with pytest.raises(TypeError):
        store_secret("document:1:cookie", b"bytes")  # type: ignore[arg-type]


REAL_STORE_SCRIPT = textwrap.dedent("""
    from watcher_app.keyring_store import backend_status, delete_secret, get_secret, store_secret
    ok, message = backend_status()
    assert ok, message
    store_secret("document:7:cookie", "session=abc")
    assert get_secret("document:7:cookie") == "session=abc"
    delete_secret("document:7:cookie")
    assert get_secret("document:7:cookie") is None
    print("ROUND-TRIP-OK", message)
""")


def test_real_secret_service_round_trip(tmp_path: Path) -> None:
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon")
               if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed "
                    "(apt-get install dbus gnome-keyring)")
    try:
        import secretstorage  # noqa: F401 - keyring's Secret Service backend needs it
    except ImportError:
        pytest.skip("the secretstorage package is not installed")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    # a throw-away home: the keyring file lands there, never in the developer's keyring
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DBUS_", "PYTHON_KEYRING", "XDG_"))}
    env.update(HOME=str(tmp_path), XDG_RUNTIME_DIR=str(runtime),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONPATH=str(REPO))
    script = tmp_path / "round_trip.py"
    script.write_text(REAL_STORE_SCRIPT, encoding="utf-8")
    command = ('echo test-password | gnome-keyring-daemon --unlock --components=secrets '
               f'>/dev/null && exec "{sys.executable}" "{script}"')
    done = subprocess.run(["dbus-run-session", "--", "sh", "-c", command], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ROUND-TRIP-OK" in done.stdout
    assert "SecretService" in done.stdout

"""Secrets (a document's login cookie, an API token) live in the system's password store only.

keyring picks the backend (Secret Service / KWallet on Linux, Keychain on macOS, Credential
Manager on Windows). When there is none, keyring quietly selects its "fail" backend; this module
turns that into an explicit state the settings page can show, and refuses to store instead of
falling back to a plaintext file: a cookie that grants access to someone's account must never
sit readable on disk. Values are never logged, and neither are they put in exception messages.
"""

from __future__ import annotations

import logging

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

log = logging.getLogger(__name__)

SERVICE = "governance-watcher"

NO_BACKEND_MESSAGE = (
    "No password store is available, so secrets such as login cookies cannot be saved. "
    "On Linux, install and unlock GNOME Keyring or KWallet (any Secret Service provider); "
    "on Windows and macOS the system store is used automatically."
)


class SecretsUnavailable(RuntimeError):
    """The password store cannot be used; the message is meant for the user."""


def document_secret_key(document_id: int, name: str = "cookie") -> str:
    """The key of a document's secret, e.g. "document:12:cookie"."""
    return f"document:{document_id}:{name}"


def _is_unusable(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring | null.Keyring):
        return True
    # The chainer with nothing behind it stores nothing and says nothing about it.
    return isinstance(backend, chainer.ChainerBackend) and not backend.backends


def backend_status() -> tuple[bool, str]:
    """(usable, a sentence for the settings page)."""
    try:
        backend = keyring.get_keyring()
    except keyring.errors.KeyringError as exc:
        log.warning("the password store could not be loaded: %s", type(exc).__name__)
        return False, NO_BACKEND_MESSAGE
    if _is_unusable(backend):
        return False, NO_BACKEND_MESSAGE
    name = getattr(backend, "name", type(backend).__name__)
    return True, f"Secrets are kept in the system password store ({name})."


def _backend() -> keyring.backend.KeyringBackend:
    ok, message = backend_status()
    if not ok:
        raise SecretsUnavailable(message)
    return keyring.get_keyring()


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip():
        raise ValueError("a secret needs a non-empty key")


def store_secret(key: str, value: str) -> None:
    """Save `value` under `key`; raises SecretsUnavailable rather than saving it elsewhere."""
    _check_key(key)
    if not isinstance(value, str):
        raise TypeError("a secret is text")
    backend = _backend()
    try:
        backend.set_password(SERVICE, key, value)
    except keyring.errors.NoKeyringError:
        raise SecretsUnavailable(NO_BACKEND_MESSAGE) from None
    except Exception as exc:  # noqa: BLE001 - locked store, D-Bus error, user cancelled a prompt
        # the original exception may quote the value back in its arguments: not chained
        log.warning("the password store refused to save a secret (%s)", type(exc).__name__)
        raise SecretsUnavailable(
            f"The password store refused to save the secret ({type(exc).__name__}). "
            "Unlock it and try again.") from None


def get_secret(key: str) -> str | None:
    """The stored value, or None when there is none (or no password store at all, where
    nothing can have been stored). A store that exists but fails raises SecretsUnavailable, so
    a locked keyring is never mistaken for a missing secret."""
    _check_key(key)
    ok, _ = backend_status()
    if not ok:
        return None
    try:
        return keyring.get_keyring().get_password(SERVICE, key)
    except keyring.errors.NoKeyringError:
        return None
    except Exception as exc:  # noqa: BLE001 - see store_secret
        log.warning("the password store could not be read (%s)", type(exc).__name__)
        raise SecretsUnavailable(
            f"The password store could not be read ({type(exc).__name__}). "
            "Unlock it and try again.") from None


def delete_secret(key: str) -> None:
    """Forget `key`; deleting a secret that is not there is not an error."""
    _check_key(key)
    ok, _ = backend_status()
    if not ok:
        return
    try:
        keyring.get_keyring().delete_password(SERVICE, key)
    except (keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
        return  # already gone
    except Exception as exc:  # noqa: BLE001 - see store_secret
        log.warning("the password store could not delete a secret (%s)", type(exc).__name__)
        raise SecretsUnavailable(
            f"The password store could not delete the secret ({type(exc).__name__}).") from None

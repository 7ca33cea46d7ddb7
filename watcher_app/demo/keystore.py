"""The demo's password store: in memory, forgotten when the demo ends.

Credentials are kept in the system keyring under keys made of a document id
("document:1:cookie"). The demo's documents have ids of their own database, which may equal
those of the user's real documents, so a credential typed into the demo would overwrite (or
be sent instead of) a real one. In demo mode this store replaces the keyring, in the app and
in its check processes; the user's keyring is never read or written.
"""

from __future__ import annotations

from typing import Any

import keyring
import keyring.backend
from keyring.errors import PasswordDeleteError

_previous: list[Any] = []


class DemoKeyring(keyring.backend.KeyringBackend):
    name = "the demo's own store, in memory (forgotten when the demo ends)"
    priority = -10  # never chosen by keyring on its own

    def __init__(self) -> None:
        # keyring leaves KeyringBackend.__init__ unannotated (the package is typed otherwise)
        super().__init__()  # type: ignore[no-untyped-call]
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.values.pop((service, username), None) is None:
            raise PasswordDeleteError("no such secret")


def use_demo_keyring() -> DemoKeyring:
    """Replace the keyring for this process (until `restore_keyring`)."""
    if not _previous:
        _previous.append(keyring.get_keyring())
    store = DemoKeyring()
    keyring.set_keyring(store)
    return store


def restore_keyring() -> None:
    if _previous:
        keyring.set_keyring(_previous.pop())

"""Credentials of documents behind a login: the values live only in the system keyring; the
database only remembers *which* documents have which kind, so a check of a public page never
touches the keyring (which can prompt, or be slow to start)."""

from __future__ import annotations

import base64

from watcher_app.store.models import Setting

# `secrets` (keyring) is imported only where a credential is really used: importing keyring
# costs a cold `check` of public pages ~0.1 s for nothing.


SETTING_KEY = "credentials"  # {"<document id>": ["cookie", "basic"]}: kinds only, no values
KINDS = ("cookie", "basic")


def _marks() -> dict[str, list[str]]:
    row = Setting.get_or_none(Setting.key == SETTING_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def mark(document_id: int, kind: str, present: bool) -> None:
    """Remember (or forget) that a document has a credential of this kind in the keyring."""
    marks = _marks()
    kinds = set(marks.get(str(document_id), []))
    (kinds.add if present else kinds.discard)(kind)
    if kinds:
        marks[str(document_id)] = sorted(kinds)
    else:
        marks.pop(str(document_id), None)
    Setting.insert(key=SETTING_KEY, value=marks).on_conflict_replace().execute()


def store(document_id: int, kind: str, value: str) -> None:
    from watcher_app import secrets

    if kind not in KINDS:
        raise ValueError(f"unknown credential kind {kind!r}")
    secrets.store_secret(secrets.document_secret_key(document_id, kind), value)
    mark(document_id, kind, True)


def delete(document_id: int, kind: str) -> None:
    from watcher_app import secrets

    secrets.delete_secret(secrets.document_secret_key(document_id, kind))
    mark(document_id, kind, False)


def headers_for(document_id: int) -> dict[str, str]:
    """The request headers carrying a document's credentials (empty for public pages)."""
    kinds = _marks().get(str(document_id), [])
    if not kinds:
        return {}
    from watcher_app import secrets

    headers: dict[str, str] = {}
    for kind in kinds:
        value = secrets.get_secret(secrets.document_secret_key(document_id, kind))
        if not value:
            continue
        if kind == "cookie":
            headers["Cookie"] = value
        elif kind == "basic":
            headers["Authorization"] = "Basic " + base64.b64encode(value.encode()).decode()
    return headers

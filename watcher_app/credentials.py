"""Credentials of documents behind a login: the values live only in the system keyring; the
database only remembers *which* documents have which kind, and the origin (scheme, host, port)
they were entered for, so a check of a public page never touches the keyring (which can prompt,
or be slow to start) and a credential is never sent anywhere else (see fetch.BoundHeaders).

A document whose URL moves to another origin (a re-imported declaration) loses its credentials:
the import deletes them (`moved`, `drop`), and `headers_for` never hands them out meanwhile."""

from __future__ import annotations

import base64
from typing import Any

from watcher_app.fetch import BoundHeaders, origin_of
from watcher_app.netguard import is_loopback_host
from watcher_app.store.models import Document, Setting

# `keyring_store` (keyring) is imported only where a credential is really used: importing keyring
# costs a cold `check` of public pages ~0.1 s for nothing.


SETTING_KEY = "credentials"  # {"<document id>": {"kinds": [...], "origin": "https://h:443"}}
KINDS = ("cookie", "basic")


class CredentialRefused(ValueError):
    """A credential that may not be stored for this document; the message is for the user."""


def document_origin(document_id: int) -> str:
    """The origin of a document's first source: where its credentials may go."""
    doc = Document.get_or_none(id=document_id)
    sources = doc.sources if doc is not None else []
    return origin_of(sources[0].get("url", "")) if sources else ""


def _marks() -> dict[str, dict[str, Any]]:
    row = Setting.get_or_none(Setting.key == SETTING_KEY)
    raw = row.value if row is not None and isinstance(row.value, dict) else {}
    marks: dict[str, dict[str, Any]] = {}
    for doc_id, mark in raw.items():
        if isinstance(mark, list):  # before origins were recorded: bound to today's URL
            mark = {"kinds": mark, "origin": document_origin(int(doc_id))}
        if isinstance(mark, dict) and mark.get("kinds"):
            marks[str(doc_id)] = {"kinds": sorted(set(mark["kinds"])),
                                  "origin": str(mark.get("origin") or "")}
    return marks


def _save(marks: dict[str, dict[str, Any]]) -> None:
    Setting.insert(key=SETTING_KEY, value=marks).on_conflict_replace().execute()


def mark(document_id: int, kind: str, present: bool, origin: str | None = None) -> None:
    """Remember (or forget) that a document has a credential of this kind in the keyring,
    bound to ``origin`` (default: the document's URL today)."""
    marks = _marks()
    entry = marks.get(str(document_id), {"kinds": [], "origin": ""})
    kinds = set(entry["kinds"])
    (kinds.add if present else kinds.discard)(kind)
    if kinds:
        bound = origin or entry["origin"] or document_origin(document_id)
        marks[str(document_id)] = {"kinds": sorted(kinds), "origin": bound}
    else:
        marks.pop(str(document_id), None)
    _save(marks)


def bound_origin(document_id: int) -> str | None:
    """The origin a document's credentials are bound to (None: it has none)."""
    entry = _marks().get(str(document_id))
    return entry["origin"] if entry else None


def store(document_id: int, kind: str, value: str) -> None:
    from watcher_app import keyring_store

    if kind not in KINDS:
        raise ValueError(f"unknown credential kind {kind!r}")
    origin = document_origin(document_id)
    if not origin:
        raise CredentialRefused("This document has no URL to bind the credential to.")
    scheme, _, rest = origin.partition("://")
    host = rest.rsplit(":", 1)[0]
    if kind == "basic" and scheme == "http" and not is_loopback_host(host):
        raise CredentialRefused(
            f"Basic credentials would cross the network in clear text to {origin}: they are "
            "only stored for https pages (or this machine).")
    keyring_store.store_secret(keyring_store.document_secret_key(document_id, kind), value)
    mark(document_id, kind, True, origin)


def delete(document_id: int, kind: str) -> None:
    from watcher_app import keyring_store

    keyring_store.delete_secret(keyring_store.document_secret_key(document_id, kind))
    mark(document_id, kind, False)


def moved(document_id: int, new_url: str) -> list[str]:
    """The kinds of credential a document would lose if its URL became ``new_url``."""
    entry = _marks().get(str(document_id))
    if not entry or origin_of(new_url) == entry["origin"]:
        return []
    return list(entry["kinds"])


def drop(pairs: list[tuple[int, str]]) -> None:
    """Delete these (document id, kind) credentials; without a usable keyring they are at
    least forgotten, so they are never sent again."""
    for doc_id, kind in pairs:
        try:
            delete(doc_id, kind)
        except Exception:  # noqa: BLE001 - a locked or missing keyring must not stop this
            mark(doc_id, kind, False)


def _first_url(document_id: int) -> str:
    doc = Document.get_or_none(id=document_id)
    return (doc.sources or [{}])[0].get("url", "") if doc is not None else ""


def headers_for(document_id: int) -> dict[str, str]:
    """The request headers carrying a document's credentials (empty for public pages), bound
    to their origin: the fetcher sends them nowhere else. A document whose URL has left that
    origin gets none."""
    entry = _marks().get(str(document_id))
    if not entry or origin_of(_first_url(document_id)) != entry["origin"]:
        return {}
    from watcher_app import keyring_store

    headers: dict[str, str] = {}
    for kind in entry["kinds"]:
        value = keyring_store.get_secret(keyring_store.document_secret_key(document_id, kind))
        if not value:
            continue
        if kind == "cookie":
            headers["Cookie"] = value
        elif kind == "basic":
            headers["Authorization"] = "Basic " + base64.b64encode(value.encode()).decode()
    return BoundHeaders(headers, entry["origin"]) if headers else {}

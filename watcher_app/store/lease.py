"""A per-document lease: one check of a document at a time, across processes.

The desktop app and the command line may run on the same data folder at once (the README says
so). Without a lease both fetch the same new text and both record it: two versions, two
changes, two alerts. The lease is a row update under SQLite's write lock; a holder that died
(killed, crashed, the laptop lost power) is recognised by its process id or by the expiry
time, so a stale lease never blocks a document for good.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid

import peewee

from watcher_app.store.models import Document, utcnow


def owner_id() -> str:
    """This thread of this process on this machine: host:pid:thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def check_owner() -> str:
    """A lease holder for one check: this process and thread, plus a token of its own, so a
    check waiting for its confirmation is never mistaken for a later check in the same
    thread (the lease stays taken across the wait, and is re-taken by the same token)."""
    return f"{owner_id()}:{uuid.uuid4().hex[:8]}"


def _holder_alive(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine (a synced folder?): trust the expiry time
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap liveness probe without extra dependencies: the expiry decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that id
    return True


def acquire(db: peewee.Database, doc_id: int, ttl_s: float, owner: str | None = None
            ) -> str | None:
    """Take the lease for `ttl_s` seconds; None when another live check holds it (then its
    holder is returned by `holder`)."""
    owner = owner or owner_id()
    now = utcnow()
    with db.atomic("IMMEDIATE"):
        row = (Document.select(Document.lease_until, Document.lease_owner)
               .where(Document.id == doc_id).first())
        if row is None:
            return owner  # nothing to protect: the caller finds the document gone
        held = (row.lease_until is not None and row.lease_until > now
                and row.lease_owner not in (None, owner) and _holder_alive(row.lease_owner))
        if held:
            return None
        (Document.update(lease_until=now + dt.timedelta(seconds=ttl_s), lease_owner=owner)
         .where(Document.id == doc_id).execute())
    return owner


def release(db: peewee.Database, doc_id: int, owner: str) -> None:
    with db.atomic("IMMEDIATE"):
        (Document.update(lease_until=None, lease_owner=None)
         .where((Document.id == doc_id) & (Document.lease_owner == owner)).execute())


def clear_if_dead(db: peewee.Database, doc_id: int) -> None:
    """Drop a lease whose holder is gone (a check process that was killed)."""
    with db.atomic("IMMEDIATE"):
        row = Document.select(Document.lease_owner).where(Document.id == doc_id).first()
        if row is not None and row.lease_owner and not _holder_alive(row.lease_owner):
            (Document.update(lease_until=None, lease_owner=None)
             .where(Document.id == doc_id).execute())


def holder(doc_id: int) -> str | None:
    row = Document.select(Document.lease_owner).where(Document.id == doc_id).first()
    return None if row is None else row.lease_owner

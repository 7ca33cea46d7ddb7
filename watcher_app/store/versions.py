"""Version numbers as the user sees them: v1, v2, … within each document, oldest first.

Row ids are shared by all documents (a document's versions may be 6 and 12), so the command
line, the app and the exports all number versions through here. The order is the time a text
was first seen (an imported history slots in before the app's own captures), ties by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import peewee

from watcher_app.store.models import Version


def version_number(version: Version) -> int:
    """The 1-based position of `version` among its document's versions."""
    earlier = (Version.select(peewee.fn.COUNT(Version.id))
               .where((Version.document == version.document_id)
                      & ((Version.first_seen < version.first_seen)
                         | ((Version.first_seen == version.first_seen)
                            & (Version.id <= version.id))))
               .scalar())
    return int(earlier or 0)


def numbers_of(document_id: int) -> dict[int, int]:
    """Every version id of a document mapped to its number, in one query."""
    # .tuples() yields plain rows, but peewee's stubs keep the query typed as yielding models
    rows = cast("Iterable[tuple[int]]",
                Version.select(Version.id).where(Version.document == document_id)
                .order_by(Version.first_seen, Version.id).tuples())
    return {vid: n for n, (vid,) in enumerate(rows, start=1)}


def version_by_number(document_id: int, number: int) -> Version | None:
    if number < 1:
        return None
    found: Version | None = (Version.select().where(Version.document == document_id)
                             .order_by(Version.first_seen, Version.id).offset(number - 1).first())
    return found

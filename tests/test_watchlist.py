"""watchlist.set_watched: a watch-list change is one transaction (a refused one changes
nothing)."""

from __future__ import annotations

import pytest

from watcher_app.catalog import bundled_catalog
from watcher_app.config import MAX_WATCHED_PLATFORMS
from watcher_app.store.models import Platform
from watcher_app.watchlist import WatchError, set_watched, watch


def _watched() -> set[str]:
    return {p.id for p in Platform.select().where(Platform.watched == True)}  # noqa: E712


def _ids(n: int) -> list[str]:
    ids = sorted(bundled_catalog())
    assert len(ids) > n
    return ids[:n]


def test_set_watched_swaps_in_one_go(db) -> None:  # noqa: ANN001
    ids = _ids(MAX_WATCHED_PLATFORMS + 1)
    watch(db, ids[:MAX_WATCHED_PLATFORMS])
    # at the limit, replacing one by another is allowed (the drop and the add are one change)
    wanted = ids[1:]
    added, dropped = set_watched(db, wanted)
    assert added == [ids[-1]] and dropped == [ids[0]]
    assert _watched() == set(wanted)
    assert not Platform.get_by_id(ids[0]).watched  # unwatched, kept with its history


def test_watching_more_than_the_limit_changes_nothing(db) -> None:  # noqa: ANN001
    ids = _ids(MAX_WATCHED_PLATFORMS + 1)
    before = ids[:3]
    watch(db, before)
    with pytest.raises(WatchError, match=f"at most {MAX_WATCHED_PLATFORMS}"):
        set_watched(db, ids)  # eleven
    assert _watched() == set(before)
    assert Platform.select().count() == len(before)  # nothing added on the way


def test_a_refused_add_rolls_back_the_drops(db) -> None:  # noqa: ANN001
    ids = _ids(4)
    watch(db, ids[:3])
    with pytest.raises(WatchError, match="Unknown platform"):
        set_watched(db, [ids[3], "no-such-platform"])  # would drop the three first
    assert _watched() == set(ids[:3])


def test_set_watched_with_nothing_unwatches_all(db) -> None:  # noqa: ANN001
    ids = _ids(2)
    watch(db, ids)
    assert set_watched(db, []) == ([], sorted(ids))
    assert _watched() == set()

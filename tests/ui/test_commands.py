"""The UI's command layer (ui/commands.py) and the typed reads it pairs with (ui/queries.py):
real SQLite, real widgets where a widget is involved."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.ui.conftest import add_versions
from watcher_app.catalog import bundled_catalog
from watcher_app.config import MAX_WATCHED_PLATFORMS
from watcher_app.store.models import Change, Document, Platform
from watcher_app.ui import commands, queries
from watcher_app.watchlist import WatchError, watch


def _texts(n: int) -> list[str]:
    return [f"# Privacy Policy\nVersion {k} of the text." for k in range(n)]


def test_mark_read_and_mark_all_read(acme: Document) -> None:
    first, second = add_versions(acme, _texts(3))
    assert commands.mark_read([]) == 0
    assert commands.mark_read([first.id]) == 1
    assert Change.get_by_id(first.id).read and not Change.get_by_id(second.id).read
    assert commands.mark_read([first.id], read=False) == 1
    assert commands.mark_all_read(queries.FeedFilter(platform_id="nobody")) == 0
    assert commands.mark_all_read(queries.FeedFilter(platform_id="acme")) == 2
    assert commands.mark_all_read(queries.FeedFilter()) == 0  # nothing unread is left


def test_rows_are_typed_values_not_models(acme: Document) -> None:
    change = add_versions(acme, _texts(2))[0]
    doc = queries.document_info(acme.id)
    assert (doc.platform_id, doc.platform_name, doc.label) == ("acme", "Acme Cloud",
                                                               "Acme Cloud \u2014 Privacy Policy")
    assert doc.own_interval_s is None and doc.interval_s > 0 and doc.health == "pending"
    commands.set_document_interval(acme.id, 6 * 3600)
    assert queries.document_info(acme.id).own_interval_s == 6 * 3600
    with pytest.raises(LookupError):
        queries.document_info(10_000)
    ev = queries.load_evidence(change.to_version_id)
    assert dataclasses.is_dataclass(ev) and ev.version.id == change.to_version_id
    assert "Acme Cloud" in ev.citation and ev.number == 2 and ev.total == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.version.current = False  # type: ignore[misc]
    assert queries.version_text(change.to_version_id).endswith("Version 1 of the text.")
    assert queries.platform_ids() == ["acme"] and queries.platform_exists("acme")
    assert queries.watched_ids() == {"acme"} and queries.any_watched()


def test_the_picker_watch_list_is_one_transaction(qtbot, db) -> None:  # noqa: ANN001
    """Dropping some platforms and adding others is one change: refused, nothing moves."""
    ids = sorted(bundled_catalog())[:MAX_WATCHED_PLATFORMS + 1]
    watch(db, ids[:3])
    with pytest.raises(WatchError):
        commands.set_watched(db, ids)  # eleven
    with pytest.raises(WatchError):
        commands.set_watched(db, [ids[5], "not-in-the-catalogue"])
    assert queries.watched_ids() == set(ids[:3])
    commands.set_watched(db, ids[1:MAX_WATCHED_PLATFORMS + 1])  # at the limit, one swapped
    assert queries.watched_ids() == set(ids[1:])
    assert not Platform.get_by_id(ids[0]).watched


def test_import_reports_name_and_notes(db, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "intranet-wiki.json"
    path.write_text(json.dumps({"name": "Intranet Wiki", "terms": {"Terms of Service": {
        "fetch": "https://192.168.1.20/terms", "select": "main"}}}), encoding="utf-8")
    imported = commands.import_declaration(db, path)
    assert (imported.id, imported.name) == ("intranet-wiki", "Intranet Wiki")
    assert imported.notes and "192.168.1.20" in imported.notes[0]
    assert commands.unwatch(db, "intranet-wiki") == "intranet-wiki"
    assert not queries.any_watched()


def test_ui_setting_round_trip(db) -> None:  # noqa: ANN001
    assert queries.ui_setting("ui.test") is None
    commands.save_ui_setting("ui.test", {"sidebar": [200, 800]})
    commands.save_ui_setting("ui.test", {"sidebar": [300, 700]})  # replaced, not added
    assert queries.ui_setting("ui.test") == {"sidebar": [300, 700]}


def test_the_window_hands_its_menus_to_the_exports(controller) -> None:  # noqa: ANN001
    window = controller.window
    file_texts = [a.text() for a in window.menus["&File"].actions()]
    assert file_texts[0] == "Save change report as &PDF\u2026"
    assert "Weekly &digest\u2026" in [a.text() for a in window.menus["&View"].actions()]
    watch_texts = [a.text() for a in window.menus["&Watch"].actions()]
    assert window.catalog_updater.update_action.text() in watch_texts
    assert window.current_document_id() is None

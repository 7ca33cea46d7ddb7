"""The desktop side of catalogue updates: the picker lists the synced services with their
origin and watches an OTA-only one; "Update catalogue" runs off the GUI thread against a
loopback server and says what it did; the weekly toggle is a saved setting."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from tests.loopback import LoopbackServer
from tests.ota.helpers import COLLECTIONS, fixture_archive, serve_fixtures
from watcher_app.ota.sync import update_catalog
from watcher_app.settings import load_settings
from watcher_app.store.models import Document, Platform
from watcher_app.ui.main_window import MainWindow
from watcher_app.ui.picker import PickerDialog


def synced(data_dir: Path) -> None:
    results = update_catalog(data_dir, [str(fixture_archive(c)) for c in COLLECTIONS])
    assert all(r.ok for r in results)


def test_picker_lists_every_service_with_its_origin(qtbot, db, data_dir: Path) -> None:  # noqa: ANN001
    synced(data_dir)
    picker = PickerDialog(db)
    qtbot.addWidget(picker)
    picker.show()
    assert len(picker.ids()) >= 420
    assert picker.origin_of("anthropic") == "bundled"
    assert picker.origin_of("bereal") == "ota:pga"
    assert picker.origin_of("alibaba.com") == "ota:contrib"
    labels = {picker.rows[picker.row_of[p]].origin_label
              for p in ("bereal", "alibaba.com", "anthropic")}
    assert labels == {"OTA pga", "OTA contrib", "Bundled"}
    picker.search.setText("bereal")
    assert picker.visible_ids() == ["bereal"]
    picker.search.setText("ota pga")  # the origin is searchable too
    assert picker.visible_ids() and all(picker.origin_of(p) == "ota:pga"
                                        for p in picker.visible_ids())


def test_watching_an_ota_only_service(qtbot, db, data_dir: Path) -> None:  # noqa: ANN001
    synced(data_dir)
    picker = PickerDialog(db)
    qtbot.addWidget(picker)
    assert picker.set_checked("bereal", True)
    picker.apply()
    bereal = Platform.get_by_id("bereal")
    assert bereal.watched and bereal.origin == "ota:pga"
    assert bereal.declaration["otaServiceId"] == ["BeReal"]
    types = {d.type for d in Document.select().where(Document.platform == bereal)}
    assert {"Terms of Service", "Privacy Policy"} <= types
    again = PickerDialog(db)  # listed once, still from the synced catalogue, still ticked
    qtbot.addWidget(again)
    assert again.is_checked("bereal") and again.ids().count("bereal") == 1


def test_picker_import_of_a_nested_file_is_refused(qtbot, db, tmp_path: Path) -> None:  # noqa: ANN001
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    picker = PickerDialog(db)
    qtbot.addWidget(picker)
    assert not picker.import_file(str(deep))
    assert "nested more than" in picker.message.text()
    assert "\n" not in picker.message.text()
    assert not Platform.select().exists()


def test_update_catalogue_action(qtbot, db, data_dir: Path,  # noqa: ANN001
                                 server: LoopbackServer) -> None:
    urls = serve_fixtures(server)
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    updater = window.catalog_updater
    watch_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Watch")
    assert updater.update_action in watch_menu.actions()
    assert updater.weekly_action.isChecked()  # on by default
    with qtbot.waitSignal(updater.finished, timeout=30_000) as got:
        assert updater.update_now(sources=urls)
        assert not updater.update_now(sources=urls)  # one at a time
    assert [r.status for r in got.args[0]] == ["updated"] * 4
    assert "4 collections updated" in updater.last_message
    assert "catalogue" in window.status_text.text().lower()
    box = window.findChild(QMessageBox)
    assert box is not None and "skipped" in box.text()
    settings = load_settings()
    assert settings.ota_last_success_at and settings.ota_last_attempt_at
    with qtbot.waitSignal(updater.finished, timeout=30_000) as again:
        updater.update_now(sources=urls, manual=False)
    assert {r.status for r in again.args[0]} == {"unchanged"}
    updater.weekly_action.setChecked(False)
    assert load_settings().ota_weekly_update is False
    updater.tick()  # off: the timer does nothing
    assert not updater.busy

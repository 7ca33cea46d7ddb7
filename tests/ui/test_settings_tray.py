"""Settings persisted (save → reload) and refused when invalid, the per-document interval, and
the single instance. (The tray's tests are in test_tray.py.)"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from watcher_app.settings import load_settings
from watcher_app.store.models import Document
from watcher_app.ui.app import SingleInstance, notify_running, server_name
from watcher_app.ui.settings_dialog import IntervalDialog, SettingsDialog


def test_settings_are_saved_and_reloaded(qtbot, db, data_dir, tmp_path,  # noqa: ANN001
                                         monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    dialog = SettingsDialog(data_dir)
    qtbot.addWidget(dialog)
    assert dialog.interval.seconds() == 6 * 3600  # the default
    dialog.interval.value.setValue(2)
    dialog.interval.unit.setCurrentIndex(1)  # hours
    dialog.jitter.setValue(5)
    dialog.threshold.setCurrentIndex(2)  # high only
    dialog.quiet.setChecked(True)
    dialog.quiet_start.setValue(22)
    dialog.quiet_end.setValue(7)
    dialog.failures.setValue(5)
    dialog.login.setChecked(True)
    dialog.minimized.setChecked(False)
    saved: list[object] = []
    dialog.saved.connect(saved.append)
    dialog.save()
    assert saved and dialog.result() == dialog.DialogCode.Accepted
    s = load_settings()
    assert (s.check_interval_s, s.jitter_s, s.notify_threshold) == (7200, 300, "high")
    assert s.quiet_hours == (22, 7) and s.failure_alert_after == 5
    assert s.start_at_login and not s.start_minimized
    # start at login wrote the XDG autostart entry
    assert (tmp_path / "config" / "autostart" / "governance-watcher.desktop").exists()
    again = SettingsDialog(data_dir)  # a new dialog shows what was saved
    qtbot.addWidget(again)
    assert again.interval.seconds() == 7200 and again.quiet.isChecked()
    assert again.threshold.currentIndex() == 2


def test_an_interval_below_fifteen_minutes_is_refused(qtbot, db, data_dir) -> None:  # noqa: ANN001
    dialog = SettingsDialog(data_dir)
    qtbot.addWidget(dialog)
    dialog.interval.value.setValue(10)
    dialog.interval.unit.setCurrentIndex(0)  # minutes
    dialog.save()
    assert "15 minutes" in dialog.error.text()
    assert load_settings().check_interval_s == 6 * 3600


def test_keyring_status_gates_credentials(qtbot, db, data_dir, monkeypatch) -> None:  # noqa: ANN001
    from watcher_app import keyring_store

    monkeypatch.setattr(keyring_store, "backend_status", lambda: (False, "No password store."))
    dialog = SettingsDialog(data_dir)
    qtbot.addWidget(dialog)
    assert not dialog.cred_value.isEnabled() and not dialog.cred_store.isEnabled()


def test_per_document_interval(qtbot, acme: Document) -> None:
    dialog = IntervalDialog(acme.id)
    qtbot.addWidget(dialog)
    dialog.own.setChecked(True)
    dialog.edit.set_seconds(3600)
    dialog.save()
    assert Document.get_by_id(acme.id).check_interval_s == 3600
    dialog = IntervalDialog(acme.id)
    qtbot.addWidget(dialog)
    assert dialog.own.isChecked() and dialog.edit.seconds() == 3600
    dialog.own.setChecked(False)
    dialog.save()
    assert Document.get_by_id(acme.id).check_interval_s is None


def test_second_launch_raises_the_first(qtbot, tmp_path) -> None:  # noqa: ANN001
    name = server_name(tmp_path)
    assert not notify_running(name, timeout_ms=200)  # nobody there yet
    instance = SingleInstance(name)
    assert instance.listening
    try:
        with qtbot.waitSignal(instance.activated, timeout=5000):
            assert notify_running(name)  # the second launch's QLocalSocket
    finally:
        instance.close()
    QCoreApplication.processEvents()


def test_run_app_defers_to_the_running_instance(qtbot, tmp_path) -> None:  # noqa: ANN001
    from watcher_app.ui.app import run_app

    folder = tmp_path / "data"
    folder.mkdir()
    instance = SingleInstance(server_name(folder))
    try:
        with qtbot.waitSignal(instance.activated, timeout=5000):
            assert run_app(str(folder)) == 0  # raised the first one and left
    finally:
        instance.close()

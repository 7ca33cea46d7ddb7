"""The tray icon and the in-app banner (ui/tray.py).

Offscreen there is no system tray: QSystemTrayIcon.isSystemTrayAvailable() is False, so a real
tray icon is never shown here. What runs for real: the TrayController's menu, signals, icon
and tooltip states (its QSystemTrayIcon exists, unshown), the app forced to keep a tray
(`use_tray=True`, as on a desktop with one), and the fallback path the app takes by itself
when no tray exists: no tray object, the window quits on close, and alerts reach the in-app
banner."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from tests.ui.conftest import changed_paragraphs, policy_html
from watcher_app import APP_NAME
from watcher_app.settings import load_settings
from watcher_app.store.models import Alert, Change, Check, Document
from watcher_app.ui.tray import AlertBanner, TrayController, balloon_text

Reason = QSystemTrayIcon.ActivationReason


@pytest.fixture
def tray(qtbot) -> TrayController:  # noqa: ANN001
    controller = TrayController()
    yield controller
    controller.hide()


def test_balloon_text_is_never_markup() -> None:
    assert balloon_text("<a href='x'>Acme</a> changed") == (
        "\u2039a href='x'\u203aAcme\u2039/a\u203a changed")
    assert "\x1b" not in balloon_text("Acme\x1b[31m changed")  # no terminal escapes either


def test_the_menu_and_the_icon_say_what_the_app_is_doing(qtbot, tray) -> None:  # noqa: ANN001
    assert tray.available() == QSystemTrayIcon.isSystemTrayAvailable()
    if not tray.available():
        assert not tray.supports_messages()  # balloons need a tray: the banner takes over
    seen: list[str] = []
    tray.open_requested.connect(lambda: seen.append("open"))
    tray.check_requested.connect(lambda: seen.append("check"))
    tray.quit_requested.connect(lambda: seen.append("quit"))
    tray.pause_toggled.connect(lambda paused: seen.append(f"pause={paused}"))
    tray.change_clicked.connect(lambda change: seen.append(f"change={change}"))
    tray.open_action.trigger()
    tray.check_action.trigger()
    tray.pause_action.trigger()
    assert tray.paused and tray.pause_action.text() == "&Resume checks"
    assert tray.tray.toolTip() == f"{APP_NAME} \u2014 checks paused"
    tray.pause_action.trigger()
    assert not tray.paused and tray.pause_action.text() == "&Pause checks"
    tray.quit_action.trigger()
    assert seen == ["open", "check", "pause=True", "pause=False", "quit"]
    seen.clear()
    # a click or a double click on the icon opens the window; the context menu does not
    for reason in (Reason.Trigger, Reason.DoubleClick, Reason.Context, Reason.MiddleClick):
        tray.tray.activated.emit(reason)
    assert seen == ["open", "open"]
    seen.clear()
    # a click on a balloon opens the change it announced, else just the window
    tray.show_message("Acme changed (High)", "Now trains on your content", 42, "critical")
    assert tray.message_change == 42
    tray.tray.messageClicked.emit()
    tray.show_message("Governance Watcher", "keeps watching in the background")
    tray.tray.messageClicked.emit()
    assert seen == ["change=42", "open"]
    # unread changes and pause both show in the tooltip
    tray.set_unread(1)
    assert tray.tray.toolTip() == f"{APP_NAME} \u2014 1 unread change"
    tray.set_paused(True)
    assert tray.pause_action.isChecked()
    assert tray.tray.toolTip() == f"{APP_NAME} \u2014 1 unread change \u2014 checks paused"
    tray.set_paused(False)
    tray.set_unread(3)
    assert tray.tray.toolTip() == f"{APP_NAME} \u2014 3 unread changes"
    assert not tray.tray.icon().isNull()


def test_the_banner_counts_escapes_and_opens_the_change(qtbot) -> None:  # noqa: ANN001
    banner = AlertBanner()
    qtbot.addWidget(banner)
    assert banner.isHidden()
    banner.show_alert("Acme <b>changed</b>", "Retention & training", 7)
    assert not banner.isHidden() and banner.pending == 1
    assert "&lt;b&gt;changed&lt;/b&gt;" in banner.text.text()  # a page's words, never markup
    assert "Retention &amp; training" in banner.text.text()
    assert not banner.view_btn.isHidden()
    banner.show_alert("Acme failing", "3 failed checks", None)
    assert "(+1 more in the notification log)" in banner.text.text()
    assert banner.view_btn.isHidden()  # nothing to view for a failure
    banner.dismiss_btn.click()
    assert banner.isHidden() and banner.pending == 0
    opened: list[int] = []
    banner.open_change.connect(opened.append)
    banner.show_alert("Acme changed", "", 9)
    banner.view_btn.click()
    assert opened == [9] and banner.isHidden() and banner.pending == 0
    banner.restyle()  # a theme change: repainted, still hidden


def test_tray_menu_actions(qtbot, controller, acme: Document) -> None:  # noqa: ANN001
    controller.start(show=False)
    tray, window = controller.tray, controller.window
    assert tray is not None and not window.isVisible()
    tray.open_action.trigger()
    assert window.isVisible()
    with qtbot.waitSignal(controller.hub.idle, timeout=20_000):
        tray.check_action.trigger()
    assert Check.select().where(Check.document == acme).count() == 1
    tray.pause_action.trigger()
    assert load_settings().paused and window.pause_action.isChecked()
    assert "paused" in window.paused_label.text()
    tray.pause_action.trigger()
    assert not load_settings().paused and not window.pause_action.isChecked()
    window.pause_action.trigger()  # the window's own action reaches the tray too
    assert tray.pause_action.isChecked() and load_settings().paused
    opened: list[int] = []
    window.diff.change_opened.connect(opened.append)
    tray.message_change = None
    tray._message_clicked()  # a click on a balloon without a change just opens the window
    assert window.isVisible()


def test_closing_the_window_keeps_the_app_in_the_tray(qtbot, controller) -> None:  # noqa: ANN001
    controller.start(show=True)
    window = controller.window
    assert not load_settings().tray_hint_shown
    window.close()
    assert not window.isVisible()
    assert load_settings().tray_hint_shown  # told once, remembered
    assert controller.scheduler._worker is not None  # still watching




@pytest.fixture
def trayless(qtbot, db, data_dir, monitor_factory):  # noqa: ANN001
    """The app as it starts by itself (`use_tray=None`: it looks for a system tray)."""
    from watcher_app.ui.app import AppController

    if QSystemTrayIcon.isSystemTrayAvailable():
        pytest.skip("this session has a system tray: the fallback is not taken")
    app = AppController(db, data_dir, monitor_factory=monitor_factory, native=[],
                        startup_delay_s=3600, use_tray=None)
    qtbot.addWidget(app.window)
    yield app
    app.shutdown(wait=True)


def test_without_a_system_tray_alerts_reach_the_banner(qtbot, trayless, acme, server,  # noqa: ANN001
                                                       monitor_factory) -> None:  # noqa: ANN001
    app, window = trayless, trayless.window
    assert app.tray is None and not app.hub.tray_ok
    assert not window.keep_in_tray  # closing the window quits: nothing would keep watching
    assert app.hub.tray_callback("t", "b", "normal") is False  # the tray channel declines
    assert monitor_factory().check(acme).status == "first"
    server.route("/privacy", policy_html(changed_paragraphs()))
    app.start(show=True)
    with qtbot.waitSignal(app.hub.idle, timeout=20_000):
        app.check_now([acme.id])
    change = Change.get()
    qtbot.waitUntil(lambda: not window.banner.isHidden(), timeout=5000)
    alert = Alert.get(Alert.change == change)
    assert alert.channel == "banner" and alert.delivered
    assert "Acme Cloud" in alert.title
    # every alert of this check went to the banner (the change, then the weekly digest)
    assert {a.channel for a in Alert.select()} == {"banner"}
    assert window.banner.pending == Alert.select().count()
    assert Check.select().where(Check.document == acme).count() == 2
    assert Document.get_by_id(acme.id).last_outcome == "changed"

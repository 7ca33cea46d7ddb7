"""The desktop app in demo mode (`governance-watcher --demo`).

Everything is the ordinary app (scheduler, check processes, alert chain, feed, timeline, diff)
on a DemoSession's throw-away folder. What demo mode adds is small: a banner that stays at the
top of the window and says what this is, with a countdown to the next scheduled policy edit;
a picker that offers the demo's platforms (the catalogue's real ones would need the internet);
no start-up delay; and closing the window ends the demo, removing its folder.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QProgressDialog, QVBoxLayout

from watcher_app import APP_NAME
from watcher_app.demo.session import BANNER, DemoSession
from watcher_app.demo.site import Pace
from watcher_app.monitor import Monitor
from watcher_app.notify import Notifier
from watcher_app.ui import theme
from watcher_app.ui.app import AppController

BANNER_HUE = QColor("#e0a800")
PICKER_INTRO = (
    "This is the demo: three fictional platforms, served by a small web site inside the app. "
    "Tick them and press \u201cWatch selected\u201d. Their history is already recorded; from "
    "then on their policies change on a schedule, and the app checks them like any real "
    "page. Nothing leaves this computer.")


class DemoBanner(QFrame):
    """The strip that says what this is, with what happens next."""

    def __init__(self, session: DemoSession) -> None:
        super().__init__()
        self.session = session
        self.setObjectName("demo-banner")
        self.setAccessibleName("Demo banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.title = QLabel(BANNER)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setFont(theme.bold(self.title.font()))
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Next scheduled edit")
        col = QVBoxLayout(self)
        col.setContentsMargins(12, 6, 12, 6)
        col.setSpacing(2)
        col.addWidget(self.title)
        col.addWidget(self.detail)
        self.restyle()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.update_detail)
        self.timer.start()
        self.update_detail()

    def restyle(self) -> None:
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, theme.tint(BANNER_HUE, strong=True))
        self.setPalette(pal)

    def update_detail(self) -> None:
        pace = self.session.pace
        upcoming = self.session.site.next_edit()
        if upcoming is None:
            text = (f"Pick the demo platforms to start: their policies then change every "
                    f"{pace.edit_every_s:g} s, and each document is checked every "
                    f"{pace.check_every_s} s.")
        else:
            left, edit = upcoming
            minutes, seconds = divmod(round(left), 60)
            text = (f"Next scheduled edit in {minutes}:{seconds:02d} \u2014 {edit.platform.name}"
                    f" \u00b7 {edit.doc.type}: {edit.description}. Checks every "
                    f"{pace.check_every_s} s; a change is confirmed by a second fetch "
                    f"{pace.confirm_delay_s:g} s later.")
        if self.detail.text() != text:
            self.detail.setText(text)


def demo_controller(session: DemoSession, *,
                    monitor_factory: Callable[[], Monitor] | None = None,
                    native: list[Notifier] | None = None,
                    use_tray: bool | None = None) -> AppController:
    """The app controller on a demo session, with the demo's additions. `monitor_factory`,
    `native` and `use_tray` as for AppController (tests check in-process, offscreen)."""
    controller = AppController(
        session.db, session.data_dir,
        monitor_factory=monitor_factory or session.monitor_factory,  # type: ignore[arg-type]
        native=native, startup_delay_s=0, use_tray=use_tray)
    controller.scheduler.clock = session.clock  # one clock for the schedule and the checks
    window = controller.window
    window.setWindowTitle(f"{APP_NAME} \u2014 Demo")
    window.add_top_strip(DemoBanner(session))
    window.keep_in_tray = False  # closing the window ends the demo (and removes its folder)
    window.picker_options = {"include_bundled": False, "intro_text": PICKER_INTRO}

    def watchlist_changed() -> None:
        session.watchlist_changed()
        controller.scheduler.tick()  # the picked documents are due: check them right away

    window.watchlist_changed.connect(watchlist_changed)
    return controller


def quit_on_signals(app: QCoreApplication) -> QTimer:
    """Ctrl+C or a TERM signal ends the demo through Qt, so its folder is removed. (Python
    runs signal handlers only when the interpreter gets control: a timer gives it that.)"""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: app.quit())
    timer = QTimer()
    timer.start(250)
    timer.timeout.connect(lambda: None)
    return timer


def run_demo(app: QCoreApplication, pace: Pace) -> int:
    """`governance-watcher --demo`: record the history (with a progress window), open the
    app on it, and clean everything up at exit."""
    splash = QProgressDialog("Preparing the demo: recording four months of history of three "
                             "fictional platforms\u2026", "", 0, 0)
    splash.setWindowTitle(f"{APP_NAME} \u2014 Demo")
    splash.setCancelButton(None)
    splash.setMinimumDuration(0)
    splash.show()
    app.processEvents()

    def progress(done: int, total: int) -> None:
        splash.setMaximum(total)
        splash.setValue(done)
        app.processEvents()

    session = DemoSession(pace, progress=progress)
    splash.close()
    controller: AppController | None = None
    try:
        controller = demo_controller(session)
        print(f"{BANNER}.\nFictional platforms served at {session.site.base_url}/ ; throw-away "
              f"data folder {session.data_dir} (removed when the demo ends).", flush=True)
        keepalive = quit_on_signals(app)
        controller.start(show=True)
        code = app.exec()
        keepalive.stop()
        return code
    finally:
        if controller is not None:
            controller.shutdown()
        session.close()
        sys.stdout.flush()

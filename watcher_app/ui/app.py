"""The desktop app's entry point and wiring: one instance per data folder, the background
scheduler, alerts, the tray and the main window.

Threads: checks run in the scheduler's worker thread. Its callbacks land in `SignalHub`, which
does the alert bookkeeping there (database writes stay off the GUI thread) and re-emits
everything as Qt signals connected with QueuedConnection, so every widget is only ever touched
from the GUI thread.
"""

from __future__ import annotations

import gc
import getpass
import hashlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import peewee
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication

from watcher_app import APP_ID, APP_NAME, __version__
from watcher_app.check_result import CheckResult
from watcher_app.clock import utcnow
from watcher_app.config import data_dir as resolve_data_dir
from watcher_app.isolated import CheckWorker
from watcher_app.monitor import Monitor
from watcher_app.notify import (
    AlertCenter,
    BannerNotifier,
    DBusNotifier,
    Notifier,
    PlyerNotifier,
    TrayNotifier,
)
from watcher_app.scheduler import CheckScheduler
from watcher_app.settings import Settings, load_settings
from watcher_app.ui import commands, queries, theme
from watcher_app.ui.main_window import MainWindow
from watcher_app.ui.tray import TrayController

if TYPE_CHECKING:
    from watcher_app.demo.site import Pace

log = logging.getLogger(__name__)
QUEUED = Qt.ConnectionType.QueuedConnection
MESSAGE = b"raise\n"  # what a second launch sends to the running instance


class SignalHub(QObject):
    """Scheduler callbacks (worker thread) → Qt signals (delivered on the GUI thread)."""

    check_started = Signal(int)
    check_finished = Signal(int, object)  # document id, CheckResult
    progress = Signal(object)  # progress.Progress
    idle = Signal()
    alert = Signal(str, str, str, object)  # channel ("tray" | "banner"), title, body, change id

    def __init__(self, alerts: AlertCenter | None = None) -> None:
        super().__init__()
        self.alerts = alerts
        self.tray_ok = False  # whether tray balloons can be shown (decided on the GUI thread)
        self._change: int | None = None  # the change being alerted, for the click-through

    def attach(self, scheduler: CheckScheduler) -> None:
        scheduler.on_check_started = self.check_started.emit
        scheduler.on_check_finished = self._finished
        scheduler.on_progress = self.progress.emit
        scheduler.on_idle = self._idle

    # --- called from the worker thread -----------------------------------------------------

    def _finished(self, doc_id: int, result: CheckResult) -> None:
        if self.alerts is not None:
            self._change = result.change
            try:
                self.alerts.handle_result(doc_id, result)
            except Exception:  # noqa: BLE001 - a failed alert must not hide the result
                log.exception("alerting the result of document %s failed", doc_id)
            finally:
                self._change = None
        self.check_finished.emit(doc_id, result)

    def _idle(self) -> None:
        if self.alerts is not None:
            try:
                self.alerts.alert_stale_documents()
                self.alerts.alert_digest_if_due(utcnow())
                for change in self.alerts.due_reminders(utcnow().date()):
                    self._change = change.id
                    self.alerts.alert_reminder(change)
            except Exception:  # noqa: BLE001 - same: never stop the checks over an alert
                log.exception("the periodic alerts failed")
            finally:
                self._change = None
        self.idle.emit()

    def tray_callback(self, title: str, body: str, urgency: str) -> bool:
        if not self.tray_ok:
            return False
        self.alert.emit("tray", title, body, self._change)
        return True

    def banner_callback(self, title: str, body: str, urgency: str) -> bool:
        self.alert.emit("banner", title, body, self._change)
        return True


def native_notifiers() -> list[Notifier]:
    # (a value, not an `if sys.platform…`: mypy would call the other branch unreachable)
    linux = sys.platform.startswith("linux")
    return [DBusNotifier()] if linux else [PlyerNotifier()]


def default_monitor_factory(db: peewee.Database, data_dir: Path
                            ) -> Callable[[], Monitor | CheckWorker]:
    """Checks run in a long-lived worker process, so their CPU work never competes with the
    window for the GIL (see watcher_app/isolated.py)."""
    return lambda: CheckWorker(data_dir)


class AppController(QObject):
    """Owns the scheduler, the alert center, the tray and the main window."""

    def __init__(self, db: peewee.Database, data_dir: Path, *,
                 monitor_factory: Callable[[], Monitor] | None = None,
                 native: list[Notifier] | None = None, startup_delay_s: float = 30.0,
                 use_tray: bool | None = None) -> None:
        """`native`: the desktop notification channels (None: the platform's own); the tray
        and the in-app banner always follow them. `use_tray`: None detects a system tray,
        True forces the icon (tests), False goes without."""
        super().__init__()
        # Checks run in the worker process, but this process still has busy threads (the
        # scheduler's, the view queries', the diff worker's). Every SQLite step or Qt call of
        # the GUI thread releases the GIL and must win it back; a 0.5 ms switch interval keeps
        # that short. Re-measured with bench_gui_stall (10 runs without it and gc.freeze: the
        # change cycle's worst stall reached 41 and 55 ms; with both, 10 of 10 runs at or under
        # 42 ms: `--default-switch-interval --no-gc-freeze` repeats the comparison).
        sys.setswitchinterval(0.0005)
        self.db, self.data_dir = db, data_dir
        self.hub = SignalHub()
        wants_tray = TrayController.available() if use_tray is None else use_tray
        self.tray = TrayController() if wants_tray else None
        self.hub.tray_ok = self.tray is not None and self.tray.supports_messages()
        notifiers = [*(native_notifiers() if native is None else native),
                     TrayNotifier(self.hub.tray_callback),
                     BannerNotifier(self.hub.banner_callback)]
        self.alerts = AlertCenter(db, notifiers)
        self.hub.alerts = self.alerts
        factory = monitor_factory or default_monitor_factory(db, data_dir)
        self.scheduler = CheckScheduler(db, factory, startup_delay_s=startup_delay_s)
        self.hub.attach(self.scheduler)
        self.window = MainWindow(db, data_dir)
        self.window.keep_in_tray = self.tray is not None
        self._wire()
        self.set_paused(load_settings().paused, persist=False)

    def _wire(self) -> None:
        w, hub = self.window, self.hub
        hub.check_started.connect(w.on_check_started, QUEUED)
        hub.check_finished.connect(w.on_check_finished, QUEUED)
        hub.progress.connect(w.on_progress, QUEUED)
        hub.idle.connect(w.on_idle, QUEUED)
        hub.alert.connect(self._show_alert, QUEUED)
        w.check_requested.connect(self.check_now)
        w.pause_toggled.connect(self.set_paused)
        w.quit_requested.connect(self.quit)
        w.settings_saved.connect(self.apply_settings)
        w.watchlist_changed.connect(self.check_new_documents)
        w.hidden_to_tray.connect(self._hidden_to_tray)
        if self.tray is not None:
            t = self.tray
            t.open_requested.connect(w.bring_to_front)
            t.check_requested.connect(lambda: self.check_now(None))
            t.pause_toggled.connect(self.set_paused)
            t.quit_requested.connect(self.quit)
            t.change_clicked.connect(w.open_change)
            w.refreshed.connect(t.set_unread)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, *, show: bool | None = None, at_login: bool = False) -> None:
        settings = load_settings()
        if self.tray is not None:
            self.tray.show()
            self.tray.set_unread(self.window.unread_total())
        self.scheduler.start()
        from watcher_app.demo.offline import active as offline_demo

        if not offline_demo():  # the demo never reaches the internet
            self.window.catalog_updater.start_weekly()  # Open Terms Archive, weekly unless off
        # Everything built so far (Qt wrappers, modules, the catalogue) lives as long as the
        # app: keep it out of the cyclic collector, whose full passes would otherwise scan it
        # again and again while checks allocate (pauses of ~100 ms seen in bench_gui_stall).
        gc.collect()
        gc.freeze()
        first_run = not queries.any_watched()
        if show is None:
            # "Start minimized" is for the launch at login; a user who opens the app by hand
            # always gets the window.
            tray_only = at_login and settings.start_minimized and self.tray is not None
            show = first_run or not tray_only
        if show:
            self.window.show()
        if first_run:
            self.window.open_picker(first_run=True)

    def quit(self) -> None:
        self.window.quitting = True  # Qt closes the windows on quit: no question, no tray
        self.window.save_layout()
        self.shutdown()
        QApplication.quit()

    def shutdown(self, wait: bool = False) -> None:
        """Stop the checks. Without `wait` a check in flight is abandoned (it is recorded by
        the next start, never half-written: each check commits in one transaction)."""
        self.scheduler.shutdown(wait=wait)
        if self.tray is not None:
            self.tray.hide()

    # --- commands -----------------------------------------------------------------------------

    def check_now(self, document_ids: list[int] | None = None) -> list[int]:
        queued = self.scheduler.check_now(document_ids)
        if queued:
            self.window.status_text.setText(
                f"Queued {len(queued)} check{'s' if len(queued) != 1 else ''}\u2026")
        else:
            self.window.status_text.setText("Those documents are being checked already.")
        return queued

    def check_new_documents(self) -> None:
        """Documents never checked (a platform just watched) get their first version now."""
        from watcher_app.watchlist import active_documents

        fresh = [d.id for d in active_documents() if d.last_check_at is None]
        if fresh:
            self.scheduler.check_now(fresh)

    def set_paused(self, paused: bool, *, persist: bool = True) -> None:
        if persist and paused != self.scheduler.paused:
            (self.scheduler.pause if paused else self.scheduler.resume)()
        self.window.set_paused(paused)
        if self.tray is not None:
            self.tray.set_paused(paused)

    def apply_settings(self, settings: Settings) -> None:
        self.set_paused(settings.paused, persist=False)
        if not settings.paused:
            self.scheduler.tick()  # a shorter interval may make documents due right now

    # --- alerts and tray ----------------------------------------------------------------------

    def _show_alert(self, channel: str, title: str, body: str, change_id: object) -> None:
        change = change_id if isinstance(change_id, int) else None
        if channel == "tray" and self.tray is not None:
            self.tray.show_message(title, body, change)
        else:
            self.window.show_banner(title, body, change)

    def _hidden_to_tray(self) -> None:
        settings = load_settings()
        if settings.tray_hint_shown or self.tray is None:
            return
        self.tray.show_message(APP_NAME, f"{APP_NAME} keeps watching in the background. Use the "
                               "tray icon to open it, check now or quit.")
        settings.tray_hint_shown = True
        commands.save_settings(settings)


# --- one instance per data folder ----------------------------------------------------------
# A second launch asks the running app to show its window, then exits. A local socket (a Unix
# socket / named pipe) named after the user and the data folder carries the request, so two
# users, or two data folders, never interfere.


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:12]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (some containers): the folder still separates
        user = "user"
    return f"{APP_ID}-{user}-{digest}"


def notify_running(name: str, timeout_ms: int = 500) -> bool:
    """Ask a running instance to come to the front; False when none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(MESSAGE)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """The first instance's listener; `activated` fires when another launch knocks."""

    activated = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(name):
            # A socket file left by a crashed instance (nobody answered notify_running).
            QLocalServer.removeServer(name)
            self.server.listen(name)
        self.server.newConnection.connect(self._connection)

    @property
    def listening(self) -> bool:
        return self.server.isListening()

    def _connection(self) -> None:
        # No lambdas capturing the socket: a socket kept alive by its own connection confuses
        # the binding's ownership when Qt deletes it (a double free in ~QObject).
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(self._ready)
            if socket.bytesAvailable():
                self._read(socket)

    def _ready(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if MESSAGE.strip() in data:
            self.activated.emit()
        socket.disconnectFromServer()  # the server (its parent) deletes it with itself

    def close(self) -> None:
        self.server.close()


def run_app(data_dir: str | None, minimized: bool = False, demo: Pace | None = None) -> int:
    """Start the desktop app (or raise the running one) on the given data folder; with
    `demo`, on the demo's fictional platforms and a throw-away folder instead."""
    # (instance() is typed as the core application: this process only ever makes a GUI one)
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv))
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(theme.icon("app"))
    app.setQuitOnLastWindowClosed(False)  # closing the window keeps the tray icon watching
    if demo is not None:
        from watcher_app.ui.demo import run_demo

        return run_demo(app, demo)
    folder = resolve_data_dir(data_dir)
    name = server_name(folder)
    if notify_running(name):
        print(f"{APP_NAME} is already running; its window was brought to the front.")
        return 0
    instance = SingleInstance(name)
    from watcher_app.ui.recovery import open_or_recover

    db = open_or_recover(folder)  # a damaged database: the user chooses a backup or afresh
    if db is None:
        instance.close()
        return 1
    controller = AppController(db, folder)
    instance.activated.connect(controller.window.bring_to_front)
    if controller.tray is None:
        app.setQuitOnLastWindowClosed(True)
    controller.start(at_login=minimized)
    try:
        return app.exec()
    finally:
        controller.shutdown()
        instance.close()
        db.close()

"""`governance-watcher --demo` end to end, offscreen: the window opens on a throw-away folder
with the demo banner, the user picks the demo platforms, polls run through the app's own
scheduler, substantive edits raise alerts through the real alert chain while the cosmetic edit
raises none, and the diff opens on the AI-training flip.

The demo's clock is moved on instead of waiting minutes; checks run in-process (the demo
itself runs each check in a child process: the slow tests below cover that path)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import platformdirs
import pytest

from watcher_app import APP_ID
from watcher_app.demo.session import BANNER, FOLDER_PREFIX, DemoSession
from watcher_app.demo.site import Pace
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Outcome
from watcher_app.store.models import Alert, Change, Check, Document, Version
from watcher_app.ui.demo import DemoBanner, demo_controller
from watcher_app.ui.main_window import DIFF
from watcher_app.ui.picker import PickerDialog

REPO = Path(__file__).resolve().parents[2]


class DemoClock:
    """Real time plus however far the test moved it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def in_process(session: DemoSession):  # noqa: ANN201
    return lambda: Monitor(session.db, Fetcher(retries=0, timeout_s=5), confirm_delay_s=0,
                           sleep=lambda s: None)


def latest_check(platform: str, doc_type: str) -> Check:
    doc = Document.get((Document.platform == platform) & (Document.type == doc_type))
    return Check.select().where(Check.document == doc).order_by(Check.id.desc()).first()


def test_demo_pick_poll_alert_diff(qtbot) -> None:  # noqa: ANN001
    clock, pace = DemoClock(), Pace()
    session = DemoSession(pace, clock=clock)
    controller = None
    try:
        controller = demo_controller(session, monitor_factory=in_process(session), native=[],
                                     use_tray=True)
        window = controller.window
        # a throw-away folder, never the user's data folder
        assert window.data_dir == session.data_dir
        assert session.data_dir.name.startswith(FOLDER_PREFIX)
        assert Path(tempfile.gettempdir()).resolve() in session.data_dir.resolve().parents
        assert platformdirs.user_data_dir(APP_ID, False) not in str(session.data_dir)
        seeded = Change.select().count()

        controller.start(show=True)
        banner = window.findChild(DemoBanner)
        assert banner is not None and banner.isVisible()
        assert banner.title.text() == BANNER
        assert "Pick the demo platforms" in banner.detail.text()
        assert "Demo" in window.windowTitle()

        # pick: the first-run picker offers the demo's platforms (not the real catalogue)
        picker = next(w for w in window.findChildren(PickerDialog) if w.isVisible())
        assert sorted(picker.ids()) == ["bazaarloop", "murmurly", "quillmind"]
        for pid in picker.ids():
            assert picker.set_checked(pid, True)
        ok = picker.buttons.button(picker.buttons.StandardButton.Ok)
        with qtbot.waitSignal(controller.hub.idle, timeout=30_000):
            ok.click()  # watching starts the schedule and polls the picked documents at once
        assert session.site.changing
        window.refresh()
        assert sorted(window.sidebar.platforms) == ["bazaarloop", "murmurly", "quillmind"]
        assert {d.last_outcome for d in Document.select()} == {str(Outcome.VERIFIED)}
        assert Change.select().count() == seeded  # nothing changed yet
        qtbot.waitUntil(lambda: "Next scheduled edit in" in banner.detail.text(), timeout=3000)
        assert "AI-training clause flips" in banner.detail.text()

        def poll() -> None:
            """The next scheduled edit happens; the scheduler's heartbeat finds the pages due."""
            clock.offset += pace.edit_every_s + 1
            with qtbot.waitSignal(controller.hub.idle, timeout=30_000):
                assert len(controller.scheduler.tick()) == 9
            window.refresh()

        # 1. the AI-training clause flips: a high-severity change, alerted
        poll()
        flip = Change.select().order_by(Change.id.desc()).first()
        assert Change.select().count() == seeded + 1
        assert (flip.document.platform_id, flip.document.type) == ("quillmind", "Privacy Policy")
        assert flip.severity == "high" and "ai-training" in flip.categories and not flip.read
        alert = Alert.get((Alert.kind == "change") & (Alert.change == flip))
        assert alert.delivered and alert.channel == "banner"  # no notification service here
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        assert "Quillmind \u2014 Privacy Policy changed (High)" in window.banner.text.text()
        assert window.banner.change_id == flip.id

        # 2. the cosmetic edit: recorded as noise, no change, no alert
        alerts = Alert.select().count()
        poll()
        assert Change.select().count() == seeded + 1
        assert Alert.select().count() == alerts
        noise = latest_check("bazaarloop", "Privacy Policy")
        assert noise.outcome == str(Outcome.NOISE) and noise.version.kind == "noise"
        assert "update notice" in noise.reason

        # 3. a retention period changes, 4. an arbitration clause appears: both alerted
        poll()
        poll()
        newest = list(Change.select().order_by(Change.id.desc()).limit(2))
        assert [(c.document.platform_id, c.document.type) for c in newest] == [
            ("bazaarloop", "Terms of Service"), ("murmurly", "Privacy Policy")]
        assert "dispute-resolution" in newest[0].categories
        assert "data-retention" in newest[1].categories
        assert Alert.select().where(Alert.kind == "change").count() == seeded + 3
        assert window.banner.pending == 3

        # the diff opens on the AI-training flip (from the feed, as a user would)
        window.sidebar.select("nav:activity")
        window.feed.refresh()
        row = next(i for i, r in enumerate(window.feed.model.rows) if r.change_id == flip.id)
        with qtbot.waitSignal(window.diff.ready, timeout=10_000):
            window.feed.open_change.emit(window.feed.model.rows[row].change_id)
        assert window.stack.currentIndex() == DIFF
        assert window.diff.change is not None and window.diff.change.id == flip.id
        rows = window.diff.model.rows
        assert any("We do not use your Content to train" in r.old_text for r in rows)
        assert any("We use your Content to train" in r.new_text for r in rows)
        assert len(window.diff.model.stops) >= 2  # the date line and the training clause
        qtbot.waitUntil(lambda: Change.get_by_id(flip.id).read)  # marked off the GUI thread
        assert window.diff.analysis.isVisibleTo(window)
        # every check stayed on this machine
        assert all(s["url"].startswith(session.site.base_url)
                   for d in Document.select() for s in d.sources)
        assert Version.select().where(Version.kind == "first").count() == 9
    finally:
        close(controller, session)
    assert not session.data_dir.exists()


def close(controller, session: DemoSession) -> None:  # noqa: ANN001
    """As the user ends the demo: closing the window quits (saving its layout in the demo's
    database while it still exists), then the session removes the folder."""
    if controller is not None:
        controller.window.close()
        controller.shutdown(wait=True)
        controller.window.deleteLater()
    session.close()


@pytest.mark.slow
def test_demo_checks_in_child_processes(qtbot) -> None:  # noqa: ANN001
    """The demo's own check path: one child process per check, offline like its parent."""
    clock, pace = DemoClock(), Pace(edit_every_s=75, check_every_s=60, confirm_delay_s=0.5)
    session = DemoSession(pace, clock=clock)
    controller = None
    try:
        controller = demo_controller(session, native=[], use_tray=False)
        controller.start(show=False)
        picker = controller.window.open_picker()
        assert picker.set_checked("quillmind", True)
        with qtbot.waitSignal(controller.hub.idle, timeout=120_000):
            picker.apply()
        assert latest_check("quillmind", "Privacy Policy").outcome == str(Outcome.VERIFIED)
        clock.offset += pace.edit_every_s + 1
        with qtbot.waitSignal(controller.hub.idle, timeout=120_000):
            assert len(controller.scheduler.tick()) == 3
        change = Change.select().order_by(Change.id.desc()).first()
        assert change.document.type == "Privacy Policy" and "ai-training" in change.categories
        assert Alert.get(Alert.change == change).delivered
    finally:
        close(controller, session)


@pytest.mark.slow
def test_demo_command_cleans_up_its_folder() -> None:
    """`governance-watcher --demo` as a user runs it: it says where it serves and stores, and
    a Ctrl+C or TERM removes the throw-away folder."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with subprocess.Popen([sys.executable, "-m", "watcher_app", "--demo"], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        _end_demo(proc)


def _end_demo(proc: subprocess.Popen[str]) -> None:
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert first.startswith(BANNER), first + second
        folder = Path(second.split("data folder ", 1)[1].split(" (removed", 1)[0])
        assert folder.name.startswith(FOLDER_PREFIX) and (folder / "watcher.sqlite3").exists()
        assert "http://127.0.0.1:" in second
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not folder.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

"""Screenshots of `governance-watcher --demo` for docs/screenshots/ (demo-*.png).

The demo runs as a user would meet it: the picker on its fictional platforms, the first poll,
then the demo's clock is moved on to its first scheduled edits (the AI-training flip, then the
cosmetic edit) instead of waiting for them, and the app's own scheduler checks the pages.
Checks run in-process here (the demo itself uses the long-lived check worker; same code).

    xvfb-run -a python scripts/demo_screenshots.py      # or QT_QPA_PLATFORM=offscreen
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = REPO / "docs" / "screenshots"


class DemoClock:
    """Real time plus however far the script moved it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def main() -> int:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import watcher_app.ui  # noqa: F401 - the binding's guard first
    from watcher_app.demo.session import DemoSession
    from watcher_app.demo.site import Pace
    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor
    from watcher_app.store.models import Change, Document
    from watcher_app.ui.demo import demo_controller
    from watcher_app.ui.picker import PickerDialog

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(widget, name: str) -> None:  # noqa: ANN001 - any QWidget
        QTest.qWait(500)
        written.append(OUT / f"{name}.png")
        widget.grab().save(str(written[-1]))

    def idle(controller) -> None:  # noqa: ANN001
        QTest.qWait(200)
        while not controller.scheduler.wait_idle(0.05) or controller.scheduler.queued():
            app.processEvents()
        QTest.qWait(600)

    clock = DemoClock()
    pace = Pace()
    with DemoSession(pace, clock=clock) as session:
        controller = demo_controller(
            session, native=[], use_tray=False,
            monitor_factory=lambda: Monitor(session.db, Fetcher(retries=0),
                                            confirm_delay_s=0))
        window = controller.window
        window.resize(1280, 800)
        controller.start(show=True)
        QTest.qWait(300)
        picker = next(w for w in window.findChildren(PickerDialog) if w.isVisible())
        for pid in picker.ids():
            picker.set_checked(pid, True)
        picker.buttons.button(picker.buttons.StandardButton.Ok).click()
        idle(controller)
        for _ in range(2):  # the AI-training flip, then the cosmetic edit
            clock.offset += pace.edit_every_s + 1
            controller.scheduler.tick()
            idle(controller)
        window.refresh()
        window.sidebar.select("nav:activity")
        for key, item in window.sidebar._items.items():
            if key.startswith("p:"):
                item.setExpanded(key in ("p:quillmind", "p:bazaarloop"))
        window.feed.table.selectRow(0)
        save(window, "demo-feed")
        # the user follows the alert: "View change" opens the diff (and dismisses the alert)
        flip = (Change.select().join(Document, on=(Change.document == Document.id))
                .where(Document.platform == "quillmind").order_by(Change.id.desc()).first())
        assert window.banner.change_id == flip.id
        window.banner.view_btn.click()
        diff = window.diff
        # the diff is computed in a worker: wait for its changes, not a fixed time (a second
        # was too short on a busy machine)
        deadline = time.monotonic() + 30
        while len(diff.model.stops) < 2 and time.monotonic() < deadline:
            QTest.qWait(100)
        QTest.qWait(300)
        diff.next_change()  # the training clause (the first change is the date line)
        heading = diff.model.index(diff.model.stops[1] - 1, 0)
        diff.view.scrollTo(heading, diff.view.ScrollHint.PositionAtTop)
        save(window, "demo-diff")
        # the cosmetic edit, as the timeline keeps it: a noise version, no alert
        cosmetic = Document.get((Document.platform == "bazaarloop")
                                & (Document.type == "Privacy Policy"))
        window.sidebar.select(f"d:{cosmetic.id}")
        save(window, "demo-timeline")
        controller.shutdown(wait=True)
        window.close()
    for path in written:
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

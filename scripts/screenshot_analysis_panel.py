"""docs/screenshots/analysis-panel.png: the diff view's analysis panel on an AI-training flip
("… is not used to train our models" → "… may be used to train our models unless you opt
out …"), as a user meets it: a policy served on 127.0.0.1, watched as the user's own platform,
checked twice by the app's own scheduler and check path, the alert's "View change".

    xvfb-run -a python scripts/screenshot_analysis_panel.py      # or QT_QPA_PLATFORM=offscreen

With --corrected it also saves correction-dialog.png and analysis-panel-corrected.png: the
same change as the user rates it Medium with a note (through the correction dialog, as a user
would); with --feed, feed-corrected.png (the activity feed with its preview) as well.

The policy below was written for this script; it is not any platform's. The PNGs are saved
with a palette of 256 of their own colours (see palette()): a third of the size, and none of
the colour shifts of a fixed colour cube.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = REPO / "docs" / "screenshots"
SIZE = (1440, 900)
PANEL_WIDTH = 560  # wide enough that the quoted clauses read as sentences, not columns

POLICY = """<h1>Acme Cloud Privacy Policy</h1>
<p>Effective {effective}</p>
<p>This policy explains what personal data Acme Cloud collects when you use our writing
assistant, our apps and our websites, what we do with it and the choices you have.</p>
<h2>1. Data we collect</h2>
<ul><li>Account data: your name, email address and payment details.</li>
<li>Content: the documents, prompts and files you submit, and the responses the AI features
generate.</li>
<li>Usage data: device identifiers, IP address and logs of how you use the services.</li></ul>
<h2>2. How we use your data</h2>
<p>We use your data to provide, secure and support the services, to process payments and to
comply with the law.</p>
<h2>3. AI features</h2>
<p>{training}</p>
<p>We may review content flagged by our abuse filters to enforce our Acceptable Use Policy.</p>
<h2>4. Sharing</h2>
<p>We share personal data with the service providers that host and support the services, under
contracts that limit their use of it. We never sell your personal data.</p>
<h2>5. Retention</h2>
<p>Content you delete is removed from our systems within {days} days. Account data is kept
while your account is open.</p>
<h2>6. Your rights</h2>
<p>You can access, correct, export or delete your data from your account settings, and object
to its processing by writing to our privacy team. We answer within one month.</p>
<h2>7. Contact</h2>
<p>Questions about this policy can be sent to our data protection officer.</p>"""

BEFORE = dict(effective="1 March 2026", days=30, training=(
    "Content you submit through the AI features is not used to train our models."))
AFTER = dict(effective="1 December 2026", days=7, training=(
    "Content you submit through the AI features may be used to train our models unless you "
    "opt out."))


def page(values: dict[str, Any]) -> bytes:
    body = POLICY.format(**values)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Privacy Policy</title>"
            "</head><body><nav>Home · Product · Legal</nav><main>" + body
            + "</main><footer>© Acme Cloud</footer></body></html>").encode("utf-8")


class Site:
    """The policy on 127.0.0.1, one page whose text the script swaps."""

    def __init__(self) -> None:
        self.body = page(BEFORE)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/privacy"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def palette(counts: Counter[int], size: int = 256, apart: int = 12) -> list[int]:
    """The most frequent colours, each at least `apart` (summed over R, G, B) from those
    already taken: the shades of anti-aliased text do not crowd out a rare colour that
    means something (a red "High" on a page of blue and grey)."""
    taken: list[tuple[int, int, int]] = []
    for rgb, _ in counts.most_common():
        r, g, b = (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255
        if all(abs(r - r2) + abs(g - g2) + abs(b - b2) > apart for r2, g2, b2 in taken):
            taken.append((r, g, b))
            if len(taken) == size:
                break
    return [0xFF000000 | r << 16 | g << 8 | b for r, g, b in taken]


def save_small(widget: Any, path: Path) -> None:
    """The widget as a PNG with a palette of 256 of its own colours."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    table = palette(Counter(memoryview(bytes(image.constBits())).cast("I")))
    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    image.convertToFormat(QImage.Format.Format_Indexed8, table, flags).save(str(path), "PNG", 0)


def main() -> int:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import watcher_app.ui  # noqa: F401 - the binding's guard first
    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Change, Document
    from watcher_app.ui.app import AppController
    from watcher_app.ui.correction_dialog import CorrectionDialog
    from watcher_app.watchlist import add_custom

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(widget: Any, name: str) -> None:
        QTest.qWait(500)
        written.append(OUT / f"{name}.png")
        save_small(widget, written[-1])

    def checked(controller: AppController) -> None:
        """Every document checked now, through the scheduler, and the views refreshed."""
        controller.check_now()
        QTest.qWait(200)
        while not controller.scheduler.wait_idle(0.05) or controller.scheduler.queued():
            app.processEvents()
        QTest.qWait(600)

    site = Site()
    with tempfile.TemporaryDirectory(prefix="gw-panel-") as tmp:
        folder = Path(tmp)
        db = open_database(folder)
        add_custom(db, "acme-cloud", {"name": "Acme Cloud", "terms": {
            "Privacy Policy": {"fetch": site.url, "select": "main"}}})
        controller = AppController(
            db, folder, native=[], use_tray=False, startup_delay_s=3600,
            monitor_factory=lambda: Monitor(db, Fetcher(retries=0), confirm_delay_s=0))
        window = controller.window
        window.resize(*SIZE)
        controller.start(show=True)
        checked(controller)  # the first version
        site.body = page(AFTER)
        checked(controller)  # the flip, confirmed and alerted
        doc = Document.get(Document.platform == "acme-cloud")
        flip = Change.get(Change.document == doc)
        assert window.banner.change_id == flip.id, "the flip was not alerted"
        shown: list[bool] = []
        window.diff.ready.connect(lambda: shown.append(True))
        window.banner.view_btn.click()  # "View change", as the alert offers
        started = time.monotonic()
        while not shown and time.monotonic() - started < 30:  # read in the worker pool
            QTest.qWait(50)
        QTest.qWait(500)  # the analysis panel fills in after the comparison
        diff = window.diff
        diff.splitter.setSizes([SIZE[0] - PANEL_WIDTH - 260, PANEL_WIDTH])
        diff.jump_to_heading("3. AI features")
        save(window, "analysis-panel")
        if "--corrected" in sys.argv:
            diff.analysis._correct(reset=False)
            QTest.qWait(300)
            dialog = next(w for w in app.topLevelWidgets()
                          if isinstance(w, CorrectionDialog) and w.isVisible())
            dialog.severity_buttons["medium"].setChecked(True)
            dialog.note.setPlainText("Opt-out is one switch in Settings; our team has it off.")
            save(dialog, "correction-dialog")
            done: list[int] = []
            dialog.saved.connect(done.append)
            dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
            started = time.monotonic()
            while not done and time.monotonic() - started < 30:  # the write is in the pool
                QTest.qWait(50)
            QTest.qWait(300)
            save(window, "analysis-panel-corrected")
            if "--feed" in sys.argv:
                window.back()  # to the feed, where the alert was
                QTest.qWait(600)  # the refresh after a correction
                window.feed.table.selectRow(0)
                window.feed.split.setSizes([200, 600])  # one row: room for its preview
                save(window, "feed-corrected")
        controller.shutdown(wait=True)
        window.close()
        db.close()
    site.close()
    for path in written:
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshot of a timeline after "Backfill history" (docs/screenshots/timeline-backfill.png),
from a dataset of fictional versions written by tests/backfill/maker.py: a year of archived
versions, most of them noise, imported through the timeline's own action, then the app's first
live capture compared with the archive's latest record.

    xvfb-run -a python scripts/screenshot_backfill.py [--fixture OUT.png]

--fixture imports Claude.ai's privacy policy from ../shared/opentermsarchive instead and saves
the picture where you say (outside the repository: the texts are not ours to publish).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.backfill import maker  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402
from tests.paths import OTA  # noqa: E402
from watcher_app.backfill.markdown import page_html  # noqa: E402


def history() -> list[tuple[str, str, str]]:
    """A year of weekly archive records: link churn, a punctuation fix, three real changes."""
    start = dt.datetime(2025, 1, 6, 6, 0, 0)
    retention, ai, versions = "thirty days", False, []
    for week in range(52):
        if week == 14:
            retention = "ninety days"
        if week == 31:
            ai = True
        if week == 44:
            retention = "one year"
        stamp = (start + dt.timedelta(days=7 * week)).strftime("%Y-%m-%dT%H-%M-%SZ")
        text = maker.policy(retention=retention, ai_clause=ai,
                            link=f"https://example.com/contact?session={week:04d}",
                            punctuation=";" if 20 <= week < 24 else ".")
        versions.append((stamp, text, ""))
    return versions


def main() -> int:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Document
    from watcher_app.ui.main_window import MainWindow
    from watcher_app.watchlist import import_declaration, watch

    fixture = "--fixture" in sys.argv
    out = Path(sys.argv[-1]) if fixture else REPO / "docs" / "screenshots" / \
        "timeline-backfill.png"
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    with tempfile.TemporaryDirectory(prefix="gw-backfill-") as tmp, LoopbackServer() as server:
        folder = Path(tmp)
        db = open_database(folder)
        if fixture:
            watch(db, ["anthropic"])
            doc = Document.get((Document.platform == "anthropic")
                               & (Document.type == "Privacy Policy"))
            dataset = str(OTA / "fixture-versions-dataset.zip")
            from watcher_app.backfill.run import backfill

            backfill(db, "anthropic", document="Privacy Policy", dataset=dataset,
                     service="Claude.ai")
        else:
            import_declaration(db, maker.declaration(folder, server.url("/site").rstrip("/")))
            doc = Document.get(Document.type == maker.PRIVACY)
            dataset_path = folder / "example-versions.zip"
            dataset_path.write_bytes(maker.dataset_zip({(maker.SERVICE, maker.PRIVACY):
                                                        history()}))
        window = MainWindow(db, folder)
        window.resize(1280, 800)
        window.show()
        window.sidebar.select(f"d:{doc.id}")
        timeline = window.timeline
        if not fixture:
            timeline.start_backfill(str(dataset_path))
            while timeline.backfill.running:
                QTest.qWait(100)
            server.route("/site/privacy", page_html(maker.policy(
                retention="one year", ai_clause=True, link="https://example.com/privacy")))
            with Monitor(db, Fetcher(), confirm_delay_s=0) as monitor:
                monitor.check(Document.get_by_id(doc.id))
            window.refresh()
        timeline.list.setCurrentIndex(timeline.versions.index(1, 0))
        QTest.qWait(500)
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        db.close()
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshots of the first-run states of issue 10 for docs/screenshots/:

- offline.png: the window after real checks of documents whose hosts cannot be reached (an
  `.invalid` name resolves nowhere, exactly like any name with no network);
- small-feed.png, small-diff.png: the feed and the diff at 1024x640 (a small laptop screen),
  on the database scripts/screenshots.py builds.

    xvfb-run -a python scripts/ux_screenshots.py      # or QT_QPA_PLATFORM=offscreen
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from watcher_app.fetch import Fetcher  # noqa: E402
from watcher_app.monitor import Monitor  # noqa: E402
from watcher_app.store.db import open_database  # noqa: E402
from watcher_app.store.models import Document  # noqa: E402
from watcher_app.watchlist import add_custom  # noqa: E402

OUT = REPO / "docs" / "screenshots"
OFFLINE_PLATFORMS = {
    "Acme Assistant": ("Privacy Policy", "Terms of Service", "Acceptable Use Policy"),
    "Birdhouse Social": ("Privacy Policy", "Terms of Service"),
    "Cobalt Cloud": ("Privacy Policy", "Terms of Service", "Generative AI Policy"),
}


def offline_database(folder: Path) -> None:
    db = open_database(folder)
    for name, types in OFFLINE_PLATFORMS.items():
        pid = name.split()[0].lower()
        add_custom(db, pid, {"name": name, "terms": {
            t: {"fetch": f"https://{pid}.invalid/{t.lower().replace(' ', '-')}",
                "select": "main"} for t in types}})
    monitor = Monitor(db, Fetcher(retries=0, connect_timeout_s=2, sleep=lambda s: None),
                      confirm_delay_s=0, sleep=lambda s: None)
    try:
        for _ in range(2):
            for doc in Document.select():
                monitor.check(doc)
    finally:
        monitor.close()


def main() -> int:
    import screenshots
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from watcher_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gw-offline-") as tmp:
        offline_database(Path(tmp))
        window = MainWindow(open_database(Path(tmp)), Path(tmp))
        window.resize(1280, 800)
        window.show()
        window.on_idle()  # the round just ended, as the scheduler would say
        QTest.qWait(600)
        window.grab().save(str(OUT / "offline.png"))
        window.close()
    with tempfile.TemporaryDirectory(prefix="gw-small-") as tmp:
        ids = screenshots.build(Path(tmp))
        window = MainWindow(open_database(Path(tmp)), Path(tmp))
        window.resize(1024, 640)
        window.show()
        window.feed.table.selectRow(0)
        QTest.qWait(600)
        window.grab().save(str(OUT / "small-feed.png"))
        window.open_change(ids["change"])
        QTest.qWait(1000)
        window.grab().save(str(OUT / "small-diff.png"))
        window.close()
    for name in ("offline", "small-feed", "small-diff"):
        print(f"docs/screenshots/{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

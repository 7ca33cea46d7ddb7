"""Typing latency of the picker's search over the whole catalogue (bundled + the four OTA
archives: 423 services, 1,000+ documents). Each keystroke: setText → filter → process events
(the filter), then a forced repaint of the list (the whole keystroke), timed; also the time
to open the picker (cold: the synced archives not read yet in this process).

    QT_QPA_PLATFORM=offscreen python bench/bench_picker.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

import watcher_app.ui  # noqa: E402, F401 - the binding's guard first
from tests.paths import OTA  # noqa: E402
from watcher_app.ota import store  # noqa: E402
from watcher_app.ota.sync import update_catalog  # noqa: E402
from watcher_app.store.db import open_database  # noqa: E402
from watcher_app.ui.picker import PickerDialog  # noqa: E402

QUERIES = ("privacy policy", "anthropic", "ota contrib", "booking", "zzzz")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        update_catalog(data, [str(OTA / f"{c}-declarations-main.zip")
                              for c in ("contrib", "genai-contrib", "genai-eu", "pga")])
        db = open_database(data)
        opens, keys, filters = [], [], []
        for _ in range(args.rounds):
            store._CACHE.clear()
            started = time.perf_counter()
            picker = PickerDialog(db)
            picker.resize(900, 640)
            picker.show()
            app.processEvents()
            opens.append(time.perf_counter() - started)
            for query in QUERIES:
                typed = [query[:i] for i in range(1, len(query) + 1)]
                for text in typed + typed[::-1][1:] + [""]:
                    started = time.perf_counter()
                    picker.search.setText(text)
                    app.processEvents()
                    filters.append(time.perf_counter() - started)
                    picker.tree.viewport().repaint()
                    keys.append(time.perf_counter() - started)
            count = len(picker.ids())
            picker.close()
            picker.deleteLater()
            app.processEvents()
        db.close()
    print(f"{count} entries; {len(keys)} keystrokes")
    for label, values in (("filter", filters), ("keystroke incl. repaint", keys)):
        ms = sorted(k * 1000 for k in values)
        print(f"{label:24s} median {statistics.median(ms):6.2f} ms, "
              f"p95 {ms[int(len(ms) * .95)]:6.2f} ms, max {ms[-1]:6.2f} ms")
    print(f"open (cold catalogue read): median {statistics.median(opens) * 1000:.0f} ms, "
          f"min {min(opens) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

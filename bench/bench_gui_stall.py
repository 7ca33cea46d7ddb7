"""How long does the GUI event loop stall while the app checks documents and opens a big diff?
Target: never more than 50 ms.

    QT_QPA_PLATFORM=offscreen python bench/bench_gui_stall.py [--docs 24] [--kb 300]

A heartbeat QTimer fires every 5 ms on the GUI thread; a stall is the time between two beats
beyond those 5 ms. Phases: a check cycle of every document (first versions), a second cycle in
which every page really changed (confirm + record + analysis + alerts + feed refresh), and
opening the side-by-side diff of two ~300 KB versions. Pages come from a loopback server.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GOVERNANCE_WATCHER_RENDER", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.loopback import LoopbackServer  # noqa: E402

WORDS = ("data personal service account information share partners retain delete rights "
         "request process law consent provide use content improve security purposes third "
         "parties may we you your our with for the and of to in").split()


def policy(seed: int, kb: int, changed: bool) -> bytes:
    rng = random.Random(seed)
    parts, size, n = ["<html><head><title>Policy</title></head><body><main><h1>Policy</h1>"], 0, 0
    while size < kb * 1024:
        n += 1
        if n % 12 == 1:
            parts.append(f"<h2>{n // 12 + 1}. Section about {rng.choice(WORDS)}</h2>")
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60))) + "."
        if changed and n % 40 == 0:
            text = "We may now share your content with advertising partners. " + text
        parts.append(f"<p>{text}</p>")
        size += len(text)
    parts.append("</main></body></html>")
    return "".join(parts).encode()


class Heartbeat:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.beat)

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self.timer.start()

    def beat(self) -> None:
        self.gaps.append(self.clock.restart() - 5)

    def stop(self) -> tuple[float, float]:
        self.timer.stop()
        gaps = sorted(max(0.0, g) for g in self.gaps) or [0.0]
        return gaps[-1], gaps[int(len(gaps) * 0.99) - 1 if len(gaps) > 1 else 0]


def wait(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=24)
    parser.add_argument("--kb", type=int, default=300)
    parser.add_argument("--in-process", action="store_true",
                        help="run checks in a thread of the GUI process (the old way)")
    parser.add_argument("--default-switch-interval", action="store_true",
                        help="undo the app's 0.5 ms sys.setswitchinterval (does it still earn "
                             "its place?)")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="skip the app's gc.freeze() at start (likewise)")
    args = parser.parse_args()
    if args.no_gc_freeze:
        gc.freeze = lambda: None  # the app calls it once in start()
    app = QApplication.instance() or QApplication([])
    from watcher_app.fetch import Fetcher
    from watcher_app.isolated import CheckWorker
    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Change
    from watcher_app.ui.app import AppController
    from watcher_app.watchlist import add_custom

    with tempfile.TemporaryDirectory() as tmp, LoopbackServer() as server:
        folder = Path(tmp)
        db = open_database(folder)
        per_platform = max(1, args.docs // 8)
        types = ["Terms of Service", "Privacy Policy", "Acceptable Use Policy", "Cookie Policy"]
        for i in range(args.docs):
            server.route(f"/p{i}", policy(i, args.kb, changed=False))
        for p in range(0, args.docs, per_platform):
            terms = {types[k]: {"fetch": server.url(f"/p{p + k}"), "select": "main"}
                     for k in range(min(per_platform, args.docs - p))}
            add_custom(db, f"bench-{p}", {"name": f"Bench {p}", "terms": terms})
        if args.in_process:
            def factory() -> object:
                return Monitor(db, Fetcher(), confirm_delay_s=0)
        else:  # what the app does: checks in its long-lived worker process
            def factory() -> object:
                return CheckWorker(folder, confirm_delay_s=0)
        controller = AppController(db, folder, monitor_factory=factory, native=[],
                                   startup_delay_s=0, use_tray=False)
        if args.default_switch_interval:
            sys.setswitchinterval(0.005)  # Python's default
        controller.start(show=True)
        beat = Heartbeat()
        results = {}
        for phase, changed in (("first check cycle", False), ("cycle with real changes", True)):
            if changed:
                for i in range(args.docs):
                    server.route(f"/p{i}", policy(i, args.kb, changed=True))
            loop = QEventLoop()
            controller.hub.idle.connect(loop.quit)
            beat.start()
            started = time.perf_counter()
            controller.check_now(None)
            loop.exec()
            controller.hub.idle.disconnect(loop.quit)
            wait(0.5)  # the views refresh after the last result
            results[phase] = (*beat.stop(), time.perf_counter() - started)
        change = Change.select().order_by(Change.id.desc()).first()
        beat.start()
        started = time.perf_counter()
        controller.window.open_change(change.id)
        wait(3.0)
        results["open a ~300 KB diff"] = (*beat.stop(), time.perf_counter() - started)
        controller.shutdown()
        db.close()
    print(f"{args.docs} documents of ~{args.kb} KB, heartbeat every 5 ms on the GUI thread:")
    for phase, (worst, p99, took) in results.items():
        print(f"  {phase:26s} worst stall {worst:5.1f} ms, p99 {p99:5.1f} ms ({took:.1f} s)")
    worst = max(r[0] for r in results.values())
    print(f"worst stall overall: {worst:.1f} ms (target ≤ 50 ms)")
    app.quit()
    _ = statistics  # kept for ad-hoc analysis of beat.gaps


if __name__ == "__main__":
    main()

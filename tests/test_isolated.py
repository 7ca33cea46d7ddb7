"""The desktop app's checks run in a long-lived worker process (the app's own command line)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import PAGES
from watcher_app.isolated import CheckWorker, WorkerLost
from watcher_app.pending import PendingChange
from watcher_app.store.models import Change, Check, Document, Version
from watcher_app.watchlist import add_custom


@pytest.fixture
def worker(tmp_path: Path):
    made: list[CheckWorker] = []

    def make(**kwargs: float) -> CheckWorker:
        made.append(CheckWorker(tmp_path / "data", **kwargs))
        return made[-1]

    yield make
    for w in made:
        w.close()


def test_one_worker_process_serves_every_check(db, server: LoopbackServer, worker) -> None:
    server.route("/p", (PAGES / "base.html").read_bytes())
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": server.url("/p"), "select": "main"}}})
    doc = Document.get()
    runner = worker(confirm_delay_s=0)
    first = runner.first_pass(doc)
    assert first.status == "first" and first.version_id == Version.get().id
    pid = runner.pid()
    assert runner.first_pass(doc).status == "unchanged"
    server.route("/p", (PAGES / "changed.html").read_bytes())
    pending = runner.first_pass(doc)
    assert isinstance(pending, PendingChange)  # the wait happens outside the worker
    changed = runner.confirm(pending)
    assert changed.status == "changed" and changed.change == Change.get().id
    assert changed.severity in ("low", "medium", "high")
    assert runner.pid() == pid  # the same process all along


def test_a_hung_check_stops_the_worker_and_the_others_run_again(
        db, server: LoopbackServer, worker) -> None:
    server.route("/hang", b"", fault="hang")

    def slow(_: RequestInfo) -> Route:
        time.sleep(3)
        return Route(body=(PAGES / "base.html").read_bytes())

    server.handler("/slow", slow)
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": server.url("/hang"), "select": "main"},
        "Terms of Service": {"fetch": server.url("/slow"), "select": "main"}}})
    hung = Document.get(Document.type == "Privacy Policy")
    other = Document.get(Document.type == "Terms of Service")
    runner = worker(timeout_s=1.5)

    box: dict[str, object] = {}

    def other_check() -> None:
        try:
            box["result"] = runner.first_pass(other)
        except WorkerLost as exc:
            box["lost"] = exc

    hung_box: dict[str, object] = {}
    hung_thread = threading.Thread(target=lambda: hung_box.update(r=runner.first_pass(hung)))
    hung_thread.start()
    time.sleep(0.5)  # the other starts later: still within its own time when the hung is
    thread = threading.Thread(target=other_check)
    thread.start()
    hung_thread.join(10)
    thread.join(10)
    result = hung_box["r"]
    assert result.status == "error" and result.code == "hung" and not result.recorded
    assert "did not finish" in result.reason
    assert "lost" in box and box["lost"].retryable  # cut short: the scheduler runs it again
    assert Version.select().count() == 0
    runner.timeout_s = 30
    assert runner.first_pass(other).status == "first"  # a new worker takes over


def test_a_hung_check_is_recorded_by_the_scheduler(db, server: LoopbackServer,
                                                   tmp_path: Path) -> None:
    """The worker was killed, so it wrote nothing: the scheduler records the failure through
    the same recorder as every other check (a check row, the health, the failure count)."""
    from watcher_app.scheduler import CheckScheduler

    server.route("/p", b"", fault="hang")
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": server.url("/p"), "select": "main"}}})
    doc = Document.get()
    scheduler = CheckScheduler(
        db, lambda: CheckWorker(tmp_path / "data", timeout_s=2), startup_delay_s=0,
        tick_s=3600)
    finished = []
    scheduler.on_check_finished = lambda doc_id, result: finished.append(result)
    scheduler.start()
    try:
        scheduler.check_now([doc.id])
        assert scheduler.wait_idle(60)
    finally:
        scheduler.shutdown()
    (result,) = finished
    assert result.status == "error" and result.code == "hung" and result.recorded
    row = Check.get()
    assert (row.outcome, row.code) == ("error", "hung") and "did not finish" in row.reason
    doc = Document.get_by_id(doc.id)
    assert doc.consecutive_failures == 1 and doc.last_outcome == "error"
    assert doc.last_code == "hung" and doc.lease_owner is None

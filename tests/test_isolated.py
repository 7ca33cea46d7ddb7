"""The desktop app's checks run in a child process (the app's own command line)."""

from __future__ import annotations

from pathlib import Path

from tests.loopback import LoopbackServer
from tests.paths import PAGES
from tests.support.setup import add_custom_doc
from watcher_app.isolated import ChildProcessMonitor
from watcher_app.store.models import Change, Document, Version


def test_child_process_check_records_in_the_shared_database(db, server: LoopbackServer,
                                                            tmp_path: Path) -> None:
    server.route("/p", (PAGES / "base.html").read_bytes())
    doc = add_custom_doc(db, server.url("/p"), name="Acme")
    monitor = ChildProcessMonitor(tmp_path / "data", confirm_delay_s=0)
    first = monitor.check(doc)
    assert first.status == "first" and first.version_id == Version.get().id
    server.route("/p", (PAGES / "changed.html").read_bytes())
    changed = monitor.check(doc)
    assert changed.status == "changed" and changed.change == Change.get().id
    assert changed.severity in ("low", "medium", "high")


def test_a_hung_child_is_killed_and_reported(db, server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/p", b"", fault="hang")
    doc = add_custom_doc(db, server.url("/p"), name="Acme")
    result = ChildProcessMonitor(tmp_path / "data", timeout_s=2).check(doc)
    assert result.status == "error" and "did not finish" in result.reason
    assert Version.select().count() == 0


def test_a_hung_child_is_recorded_by_the_scheduler(db, server: LoopbackServer,
                                                   tmp_path: Path) -> None:
    """The child was killed, so it wrote nothing: the scheduler records the failure through
    the same recorder as every other check (a check row, the health, the failure count)."""
    from watcher_app.scheduler import CheckScheduler
    from watcher_app.store.models import Check

    server.route("/p", b"", fault="hang")
    doc = add_custom_doc(db, server.url("/p"), name="Acme")
    scheduler = CheckScheduler(
        db, lambda: ChildProcessMonitor(tmp_path / "data", timeout_s=2), startup_delay_s=0,
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

"""The timeline's "Backfill history" action: in the background, with progress and Cancel; the
imported versions marked as archived (hollow stripe, label, provenance tooltip), their noise
folded away, and the diff across an archived version and the app's own first capture."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt

from tests.backfill import maker
from tests.loopback import LoopbackServer, Route
from watcher_app.backfill.markdown import page_html
from watcher_app.store.models import Document, Version
from watcher_app.ui.diff_view import DiffView
from watcher_app.ui.queries import TimelineEntry, timeline_page
from watcher_app.ui.timeline import TimelineView
from watcher_app.watchlist import import_declaration


def _setup(db, tmp_path: Path, server: LoopbackServer) -> tuple[Document, Path]:  # noqa: ANN001
    import_declaration(db, maker.declaration(tmp_path, server.url("/site").rstrip("/")))
    dataset = tmp_path / "example-versions.zip"
    dataset.write_bytes(maker.dataset_zip())
    return Document.get(Document.type == maker.PRIVACY), dataset


def test_backfill_from_the_timeline(qtbot, db, tmp_path, server, monitor_factory  # noqa: ANN001
                                    ) -> None:
    doc, dataset = _setup(db, tmp_path, server)
    timeline = TimelineView()
    qtbot.addWidget(timeline)
    timeline.show()
    timeline.show_document(doc.id)
    assert timeline.versions.rows == []
    # Cancel: the dataset's server holds its first answer until the Cancel button is pressed
    release = threading.Event()
    data = dataset.read_bytes()

    def slow(request) -> Route:  # noqa: ANN001
        release.wait(10)
        return Route(body=data, content_type="application/zip")

    server.handler("/slow.zip", slow)
    timeline.start_backfill(server.url("/slow.zip"))
    assert timeline.backfill.isVisible() and timeline.backfill.cancel_btn.isVisible()
    qtbot.waitUntil(lambda: server.hits("/slow.zip") == 1)
    qtbot.mouseClick(timeline.backfill.cancel_btn, Qt.MouseButton.LeftButton)
    release.set()
    qtbot.waitUntil(lambda: not timeline.backfill.running, timeout=10_000)
    assert timeline.backfill.label.text().startswith("Cancelled after importing 0")
    # again, to the end
    timeline.start_backfill(str(dataset))
    qtbot.waitUntil(lambda: not timeline.backfill.running, timeout=20_000)
    assert timeline.backfill.label.text().startswith(
        "Imported 5 archived versions: 2 changes, 2 noise (folded), 2 not the policy")
    assert not timeline.backfill.cancel_btn.isVisible()
    rows = timeline.versions.rows
    # noise folded: the two changes and the first version, each counting what follows it
    assert [(r.number, r.kind, r.folded) for r in rows] == [
        (5, "change", 0), (3, "change", 1), (1, "first", 1)]
    assert all(r.imported for r in rows)
    tip = timeline.versions.data(timeline.versions.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "Imported from Open Terms Archive" in tip
    assert "Example Service/Privacy Policy/2024-05-01T06-00-00Z.md" in tip
    timeline.fold_box.setChecked(True)
    assert [r.number for r in timeline.versions.rows] == [5, 4, 3, 2, 1]
    timeline.fold_box.setChecked(False)
    # the first live capture: compared with the archive's latest record, the diff a click away
    server.route("/site/privacy", page_html(maker.policy(retention="two years",
                                                         ai_clause=True)))
    monitor_factory().check(Document.get_by_id(doc.id))
    timeline.refresh()
    top = timeline.versions.rows[0]
    assert not top.imported and top.kind == "first"
    assert top.note and "differs from Open Terms Archive's record of 2024-05-01" in top.note
    timeline.list.setCurrentIndex(timeline.versions.index(0, 0))
    assert timeline.diff_btn.isEnabled()
    with qtbot.waitSignal(timeline.compare_requested) as asked:
        timeline.diff_btn.click()
    _, old_id, new_id = asked.args
    assert Version.get_by_id(old_id).origin == "open-terms-archive"
    assert Version.get_by_id(new_id).origin == "live"
    diff = DiffView()
    qtbot.addWidget(diff)
    diff.compare(doc.id, old_id, new_id)
    assert "Open Terms Archive" in diff.old_combo.currentText()
    assert "Open Terms Archive" not in diff.new_combo.currentText()
    qtbot.waitUntil(lambda: diff.stack.currentIndex() == 1, timeout=10_000)


def test_provenance_is_shown_as_plain_text(qtbot, db, tmp_path, server) -> None:  # noqa: ANN001
    from PySide6.QtCore import Qt

    doc, _ = _setup(db, tmp_path, server)
    entry = TimelineEntry(1, None, None, "noise", False, 10,  # type: ignore[arg-type]
                          origin="open-terms-archive",
                          provenance={"path": "<b>Evil</b>/<img src=x>.md",
                                      "release": "<a href='x'>tag</a>"})
    view = TimelineView()  # the tooltip as the list's model hands it to Qt
    qtbot.addWidget(view)
    view.versions.rows = [entry]
    tip = view.versions.data(view.versions.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in tip and "<img" not in tip and "&lt;b&gt;Evil" in tip
    assert "&lt;qt&gt;" not in tip  # escaped once, not twice
    assert timeline_page(doc.id, 0) == []

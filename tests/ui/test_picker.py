"""Choosing platforms: the searchable catalogue, the ten-platform limit refused on the spot,
importing a declaration and adding a custom platform after a test fetch."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from tests.loopback import LoopbackServer
from tests.ui.conftest import PARAGRAPHS, policy_html
from watcher_app.catalog import bundled_catalog
from watcher_app.store.models import Platform
from watcher_app.ui.custom_platform import CustomPlatformDialog, slug
from watcher_app.ui.picker import LIMIT_MESSAGE, PickerDialog


def make_picker(qtbot, db, **kwargs) -> PickerDialog:  # noqa: ANN001
    picker = PickerDialog(db, first_run=True, **kwargs)
    qtbot.addWidget(picker)
    picker.show()
    return picker


def tick(picker: PickerDialog, pid: str) -> None:
    """Through the model, as a click on the check box does."""
    index = picker.index_of(pid)
    picker.proxy.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)


def test_pick_platforms_and_refuse_the_eleventh(qtbot, db) -> None:  # noqa: ANN001
    picker = make_picker(qtbot, db)
    ids = sorted(bundled_catalog())[:11]
    for pid in ids[:10]:
        tick(picker, pid)
    assert picker.counter.text() == "10 / 10 selected"
    assert picker.message.text() == ""
    tick(picker, ids[10])
    assert not picker.is_checked(ids[10])
    assert picker.message.text() == LIMIT_MESSAGE and "at most 10" in LIMIT_MESSAGE
    assert picker.counter.text() == "10 / 10 selected"
    changed: list[bool] = []
    picker.changed.connect(lambda: changed.append(True))
    picker.buttons.button(picker.buttons.StandardButton.Ok).click()
    assert changed
    watched = sorted(p.id for p in Platform.select().where(Platform.watched == True))  # noqa: E712
    assert watched == ids[:10]
    # unticking one later unwatches it and keeps it in the database
    again = make_picker(qtbot, db)
    again.set_checked(ids[0], False)
    again.apply()
    assert not Platform.get_by_id(ids[0]).watched


def test_search_filters_platforms_and_document_types(qtbot, db) -> None:  # noqa: ANN001
    picker = make_picker(qtbot, db)
    picker.search.setText("anthropic")
    assert picker.visible_ids() == ["anthropic"]
    picker.search.setText("law enforcement guidelines")
    visible = set(picker.visible_ids())
    assert "anthropic" in visible and len(visible) < len(picker.ids())
    picker.search.setText("")
    assert len(picker.visible_ids()) == len(picker.ids())


def test_import_declaration(qtbot, db, tmp_path: Path, server: LoopbackServer) -> None:  # noqa: ANN001
    server.route("/terms", policy_html(PARAGRAPHS, "Terms"))
    path = tmp_path / "example-corp.json"
    path.write_text(json.dumps({"name": "Example Corp", "terms": {
        "Terms of Service": {"fetch": server.url("/terms"), "select": "main"}}}))
    picker = make_picker(qtbot, db)
    assert picker.import_file(str(path))
    assert Platform.get_by_id("example-corp").watched
    assert picker.is_checked("example-corp")
    assert picker.origin_of("example-corp") == "imported"
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    assert not picker.import_file(str(bad))
    assert "not valid JSON" in picker.message.text()


def test_custom_platform_with_test_fetch(qtbot, db, server: LoopbackServer,  # noqa: ANN001
                                         fetcher_factory) -> None:  # noqa: ANN001
    server.route("/legal", policy_html(PARAGRAPHS, "Legal"))
    dialog = CustomPlatformDialog(db, fetcher_factory=fetcher_factory)
    qtbot.addWidget(dialog)
    dialog.name.setText("Acme Cloud (EU)")
    assert dialog.ident.text() == slug("Acme Cloud (EU)") == "acme-cloud-eu"
    dialog.doc_type.setCurrentText("Privacy Policy")
    dialog.url.setText(server.url("/legal"))
    dialog.select.setText("main")
    dialog.test_btn.click()
    qtbot.waitUntil(lambda: dialog.test_btn.isEnabled(), timeout=10_000)
    assert "words extracted" in dialog.verdict.text()
    assert PARAGRAPHS[0] in dialog.preview.toPlainText()
    assert "Menu" not in dialog.preview.toPlainText()  # the nav is outside `main`
    added: list[str] = []
    dialog.added.connect(added.append)
    dialog.save()
    assert added == ["acme-cloud-eu"]
    assert Platform.get_by_id("acme-cloud-eu").origin == "custom"


def test_custom_platform_test_fetch_reports_a_blocked_page(qtbot, db,  # noqa: ANN001
                                                           server: LoopbackServer,
                                                           fetcher_factory) -> None:  # noqa: ANN001
    server.route("/wall", "<html><head><title>Just a moment...</title></head><body><p>"
                          "Checking your browser</p></body></html>")
    dialog = CustomPlatformDialog(db, fetcher_factory=fetcher_factory)
    qtbot.addWidget(dialog)
    dialog.url.setText(server.url("/wall"))
    dialog.run_test()
    qtbot.waitUntil(lambda: dialog.test_btn.isEnabled(), timeout=10_000)
    assert "Blocked" in dialog.verdict.text()

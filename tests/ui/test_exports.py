"""Evidence out of the app: a change report as a real PDF, a timeline as CSV/JSON, and the
export actions in the File menu."""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

from pypdf import PdfReader

from tests.ui.conftest import PARAGRAPHS, add_versions, changed_paragraphs
from watcher_app.store.models import Check, Document
from watcher_app.ui.exports import export_timeline, save_report_pdf


def test_change_report_pdf_has_the_summary_and_the_diff(qtbot, acme: Document,  # noqa: ANN001
                                                        tmp_path: Path) -> None:
    old, new = "\n".join(["# Privacy Policy", *PARAGRAPHS]), "\n".join(
        ["# Privacy Policy", *changed_paragraphs()])
    change = add_versions(acme, [old, new])[0]
    out = save_report_pdf(change.id, tmp_path / "report.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    # pypdf separates the words of Qt's PDF with tabs and newlines
    # (and sets "fi" as a ligature: NFKC spells it out)
    raw = " ".join(page.extract_text() for page in PdfReader(out).pages)
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    assert "Acme" in text and "Privacy Policy changed" in text
    assert "five years" in text and "Change 1" in text  # the diff and the summary


def test_timeline_exports(acme: Document, tmp_path: Path) -> None:
    Check.create(document=acme, outcome="blocked", reason="bot challenge (Cloudflare)")
    with export_timeline(acme.id, tmp_path / "t.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["outcome"] == "blocked" and "Cloudflare" in rows[-1]["reason"]
    data = json.loads(export_timeline(acme.id, tmp_path / "t.json").read_text())
    assert data[-1]["outcome"] == "blocked"


def test_export_actions_are_in_the_file_menu(controller) -> None:  # noqa: ANN001
    window = controller.window
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    for wanted in ("Save change report as &PDF\u2026", "&Print change report\u2026",
                   "Export &evidence (ZIP)\u2026", "Export &timeline (CSV/JSON)\u2026"):
        assert wanted in texts
    assert window.current_change_id is None


def test_weekly_digest_page(qtbot, acme: Document) -> None:  # noqa: ANN001
    from watcher_app.ui.digest_dialog import DigestDialog

    add_versions(acme, ["# Privacy Policy\nOld text.", "# Privacy Policy\nNew text."])
    dialog = DigestDialog()
    qtbot.addWidget(dialog)
    text = dialog.browser.toPlainText()
    assert "1 policy change this week" in dialog.windowTitle()
    assert "Acme" in text and "Privacy Policy" in text


def test_change_report_pdf_shows_both_readings(qtbot, acme: Document,  # noqa: ANN001
                                               tmp_path: Path) -> None:
    from tests.support.judged import add_flip
    from watcher_app.corrections import correct_change

    change = add_flip(acme)
    correct_change(change.id, severity="medium", note="Opt-out is one click away")
    out = save_report_pdf(change.id, tmp_path / "report.pdf")
    raw = " ".join(page.extract_text() for page in PdfReader(out).pages)
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    assert "Your correction" in text and "Severity (yours): Medium (the app said High)" in text
    assert "Your note: Opt-out is one click away" in text
    assert "The app's reading" in text and "Severity (the app's): High" in text
    # the reason as the app shows it: what it means, then the clause quoted
    assert ("Severity (the app's): High — AI training on users' data is now on by default "
            "(users must opt out): “is not used to train” became “may be used to train our"
            in text)

""""Correct severity and topics…": the user's own reading of a change, beside the app's.

The dialog shows the app's reading (severity, why, topics) as plain text, offers the
severity, the analysis' topic vocabulary as a checklist and a note, and saves through
`watcher_app.corrections` in the thread pool (one transaction, off the GUI thread). It closes
only once the write is done; a refused or failed write keeps it open with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from watcher_app import corrections
from watcher_app.analysis import CATEGORIES
from watcher_app.ui import commands, links, queries, theme
from watcher_app.ui.queries import ChangeInfo
from watcher_app.ui.runtime import run_task

TOPIC_COLUMNS = 2


class CorrectionDialog(QDialog):
    saved = Signal(int)  # the change id, once its correction (or reset) is stored

    def __init__(self, info: ChangeInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        judged = info.judgement
        self.setWindowTitle("Correct severity and topics")
        self.setAccessibleName("Correct severity and topics")

        head = links.plain_label(f"{info.label} — changed {theme.when(info.detected_at)}")
        head.setFont(theme.bold(head.font()))
        head.setWordWrap(True)
        app = links.plain_label(
            "The app's reading: " + judged.app_reading() + "\nThe app's topics: "
            + (", ".join(theme.category_label(c) for c in judged.app_categories) or "none"))
        app.setWordWrap(True)
        app.setStyleSheet(f"color: {theme.muted_text().name()};")
        app.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        severity_box = QGroupBox("Your &severity")
        self.severity_group = QButtonGroup(self)
        self.severity_buttons: dict[str, QRadioButton] = {}
        row = QHBoxLayout(severity_box)
        for key in reversed(corrections.SEVERITIES):  # High first
            button = QRadioButton(corrections.label(key))
            button.setIcon(theme.severity_icon(key))
            self.severity_group.addButton(button)
            self.severity_buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        current = judged.severity
        if current in self.severity_buttons:
            self.severity_buttons[current].setChecked(True)

        topics_box = QGroupBox("Your &topics")
        grid = QGridLayout(topics_box)
        self.topic_boxes: dict[str, QCheckBox] = {}
        rows = (len(CATEGORIES) + TOPIC_COLUMNS - 1) // TOPIC_COLUMNS
        for k, name in enumerate(CATEGORIES):
            box = QCheckBox(theme.category_label(name))
            box.setChecked(name in judged.categories)
            if name in judged.app_categories:
                box.setToolTip("The app chose this topic")
            self.topic_boxes[name] = box
            grid.addWidget(box, k % rows, k // rows)

        note_label = QLabel("&Note (optional, kept with the change and in exports):")
        self.note = QPlainTextEdit(judged.note or "")
        self.note.setAccessibleName("Note")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.note.fontMetrics().lineSpacing() * 4 + 12)
        note_label.setBuddy(self.note)

        self.error = links.plain_label()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(theme.warning_style())
        self.error.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.reset_btn = QPushButton("&Reset to the app's reading")
        self.reset_btn.setEnabled(judged.corrected)
        self.reset_btn.setToolTip("Remove your severity, topics and note; the app's reading "
                                  "shows again")
        self.buttons.addButton(self.reset_btn, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.reset_btn.clicked.connect(self.reset)

        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(app)
        layout.addWidget(severity_box)
        layout.addWidget(topics_box)
        layout.addWidget(note_label)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(max(self.sizeHint().width(), 520), self.sizeHint().height())

    # --- what the user chose -------------------------------------------------------------------

    def chosen_severity(self) -> str | None:
        return next((k for k, b in self.severity_buttons.items() if b.isChecked()), None)

    def chosen_topics(self) -> list[str]:
        return [name for name, box in self.topic_boxes.items() if box.isChecked()]

    # --- writing (off the GUI thread) ---------------------------------------------------------

    def save(self) -> None:
        severity, topics = self.chosen_severity(), self.chosen_topics()
        note = self.note.toPlainText()
        change_id = self.info.id
        try:  # refused here, before any work: the dialog says why and stays open
            corrections.parse_categories(topics)
            corrections.clean_note(note)
        except corrections.CorrectionError as exc:
            self._show_error(str(exc))
            return
        self._run(lambda _r: commands.correct_change(
            change_id, severity=severity, categories=topics, note=note))

    def reset(self) -> None:
        change_id = self.info.id
        self._run(lambda _r: commands.reset_correction(change_id))

    def _run(self, work: Callable[[Callable[[str], None]], object]) -> None:
        self._busy(True)
        run_task(work, self._done, self._failed)

    def _done(self, _judgement: object) -> None:
        self._busy(False)
        self.saved.emit(self.info.id)
        self.accept()

    def _failed(self, message: str) -> None:
        self._busy(False)
        # a CorrectionError arrives as "CorrectionError: <reason>": the reason is what counts
        self._show_error(message.split(": ", 1)[-1] if message.startswith("Correction")
                         else f"Could not save: {message}")

    def _busy(self, on: bool) -> None:
        for button in self.buttons.buttons():
            button.setEnabled(not on and (button is not self.reset_btn
                                          or self.info.judgement.corrected))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def open_correction(change_id: int, parent: QWidget | None,
                    on_saved: Callable[[int], None]) -> CorrectionDialog | None:
    """Open the dialog for a change (window-modal, not blocking); `on_saved(change_id)` runs
    once the correction is stored."""
    info = queries.change_info(change_id)
    if info is None:
        links.message(parent, "information", "Correct severity and topics",
                      "This change is no longer in the database.")
        return None
    dialog = CorrectionDialog(info, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.saved.connect(on_saved)
    dialog.open()
    return dialog


def confirm_reset(info: ChangeInfo, parent: QWidget | None) -> bool:
    """"Reset to the app's reading" outside the dialog: asks first when a note would go."""
    if not info.judgement.corrected:
        return False
    if not info.judgement.note:
        return True
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
    answer = links.message(parent, "question", "Reset to the app's reading",
                           "Your severity, topics and note for this change will be removed, "
                           "and the app's reading will show again. Reset?", buttons,
                           QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes

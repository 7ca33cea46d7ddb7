"""Text from pages and declarations in the desktop app: shown as text, and the one way a link
opens.

A QLabel, a tooltip or a message box decides by itself that text "looks like" rich text, so a
page title or a platform name holding `<a href="file:///…">` would become a clickable link.
Everything that can hold such text is therefore either set as plain text (`plain_label`,
`message`) or escaped before it joins our own markup (`esc`, `tooltip`), and every link in the
app opens through `open_link`, which opens only http(s) URLs in the browser. (On Windows an
smb:// or file:// link can hand the user's password hash to whoever serves it.)
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QMessageBox, QTextBrowser, QWidget

from watcher_app.controls import strip_controls

log = logging.getLogger(__name__)

SAFE_SCHEMES = ("http", "https")


def esc(text: object) -> str:
    """Text made safe to put inside our own rich text (controls and bidi overrides dropped)."""
    return html.escape(strip_controls(str(text)))


def is_safe_url(url: QUrl | str) -> bool:
    qurl = url if isinstance(url, QUrl) else QUrl(str(url).strip())
    return qurl.isValid() and qurl.scheme().lower() in SAFE_SCHEMES and bool(qurl.host())


def open_link(url: QUrl | str) -> bool:
    """Open a link in the browser if it is http(s); anything else is refused (and logged)."""
    qurl = url if isinstance(url, QUrl) else QUrl(str(url).strip())
    if not is_safe_url(qurl):
        log.warning("refused to open a link that is not http(s): %r", qurl.toString()[:200])
        return False
    return QDesktopServices.openUrl(qurl)


def link_html(url: str, text: str | None = None) -> str:
    """An escaped link to an http(s) URL, or just the escaped text when the URL is anything
    else (a declaration may name any scheme; only the web is ever linked)."""
    shown = esc(text if text is not None else url)
    if not is_safe_url(url):
        return shown
    return f'<a href="{html.escape(QUrl(url.strip()).toString(), quote=True)}">{shown}</a>'


def route_links(widget: QLabel | QTextBrowser) -> None:
    """Links in this widget open through open_link, never by Qt's own handling."""
    if isinstance(widget, QTextBrowser):
        widget.setOpenExternalLinks(False)
        widget.setOpenLinks(False)
        widget.anchorClicked.connect(open_link)
    else:
        widget.setOpenExternalLinks(False)
        widget.linkActivated.connect(open_link)


def link_label(rich: str = "", parent: QWidget | None = None) -> QLabel:
    """A label of our own rich text (every outside string in it escaped) whose links go
    through open_link."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    route_links(label)
    label.setText(rich)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows its text as text, whatever it contains."""
    label = QLabel(parent)
    make_plain(label)
    label.setText(text)
    return label


def make_plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setOpenExternalLinks(False)
    return label


def tooltip(text: str) -> str:
    """A tooltip showing ``text`` as text (Qt renders a tooltip as rich text whenever it
    looks like some): escaped, line breaks kept."""
    if not text:
        return ""
    body = esc(text).replace("\n", "<br>")
    return f"<p style='white-space:pre-wrap'>{body}</p>"


def message(parent: QWidget | None, kind: str, title: str, text: str,
            buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
            default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton,
            *, show: bool = True) -> QMessageBox | QMessageBox.StandardButton:
    """A message box whose text is plain text. ``kind``: information | warning | question |
    critical. With ``show`` (the default) it runs and returns the button clicked."""
    icons = {"information": QMessageBox.Icon.Information, "warning": QMessageBox.Icon.Warning,
             "question": QMessageBox.Icon.Question, "critical": QMessageBox.Icon.Critical}
    box = QMessageBox(icons.get(kind, QMessageBox.Icon.NoIcon), title, "", buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(strip_controls(text))
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    if not show:
        return box
    return QMessageBox.StandardButton(box.exec())

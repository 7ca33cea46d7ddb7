"""Colours, icons and small formatting helpers shared by every view.

Colours are derived from the live QPalette (blends of the Base role with a hue) so the app
follows the system light/dark theme; nothing paints a hard-coded white or black background.
Severity "pills" carry their own background with white text, which reads on any theme.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any, overload

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPalette, QPixmap

from watcher_app.clock import utcnow
from watcher_app.config import resources_dir

# Filled badge colours: white text on them has >= 4.5:1 contrast.
SEVERITY_COLORS = {"high": "#c62828", "medium": "#a85d00", "low": "#4f6b7a"}
SEVERITY_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}
# The analysis names its topics with stable ids; these are their names for people.
CATEGORY_LABELS = {
    "ai-training": "AI training", "data-collection": "Data collection",
    "data-sharing": "Data sharing", "data-retention": "Data retention",
    "user-rights": "User rights", "dispute-resolution": "Dispute resolution",
    "liability": "Liability", "content-license": "Content licence",
    "acceptable-use": "Acceptable use", "termination": "Termination", "payments": "Payments",
    "changes-to-terms": "Changes to the terms", "minors": "Minors",
    "law-enforcement": "Law enforcement", "security": "Security", "editorial": "Editorial",
}
HEALTH_LABELS = {"ok": "OK", "degraded": "Read with a fallback selector", "blocked": "Blocked",
                 "failing": "Failing", "pending": "Not checked"}

# Hues blended into the Base role for diff backgrounds (GitHub-like green / red / blue).
INSERT_HUE, DELETE_HUE, MOVE_HUE = QColor("#2ea043"), QColor("#f85149"), QColor("#388bfd")
FIND_HUE = QColor("#d4a72c")

ICON_SIZES = (16, 32, 64, 128, 256)


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark() -> bool:
    return palette().color(QPalette.ColorRole.Base).lightness() < 128


def blend(base: QColor, hue: QColor, amount: float) -> QColor:
    """`amount` of `hue` over `base` (an opaque colour, so text on it keeps its contrast)."""
    return QColor(
        round(base.red() + (hue.red() - base.red()) * amount),
        round(base.green() + (hue.green() - base.green()) * amount),
        round(base.blue() + (hue.blue() - base.blue()) * amount),
    )


def tint(hue: QColor, strong: bool = False) -> QColor:
    """A background for a changed line (light tint) or a changed word (strong tint). Dark
    themes need a little more of the hue to be visible at all."""
    base = palette().color(QPalette.ColorRole.Base)
    amount = (0.42 if strong else 0.16) + (0.08 if is_dark() else 0.0)
    return blend(base, hue, amount)


def muted_text() -> QColor:
    """Secondary text: the PlaceholderText role, readable on Base in both themes."""
    return palette().color(QPalette.ColorRole.PlaceholderText)


def severity_color(severity: str | None) -> QColor:
    return QColor(SEVERITY_COLORS.get(severity or "", "#6b7280"))


def severity_text(severity: str | None) -> QColor:
    """The severity hue as a text colour: lightened on dark themes to stay readable."""
    color = severity_color(severity)
    return blend(color, QColor("#ffffff"), 0.4) if is_dark() else color


def favour_text() -> QColor:
    """Text for a change in users' favour: the insert hue, dark enough to read on Base."""
    return blend(INSERT_HUE, QColor("#ffffff"), 0.35) if is_dark() else QColor("#1a7f37")


def warning_style(severity: str = "high") -> str:
    """A style sheet colouring a label's text as an error (high) or a warning (medium)."""
    return f"color: {severity_text(severity).name()};"


def severity_pill(severity: str | None) -> str:
    """HTML for a small severity badge (used in rich-text panels)."""
    if not severity:
        return ""
    color = SEVERITY_COLORS.get(severity, "#6b7280")
    label = SEVERITY_LABELS.get(severity, severity.title())
    return (f'<span style="background-color:{color}; color:#ffffff; font-weight:600;">'
            f"&nbsp;{label}&nbsp;</span>")


def category_label(name: str) -> str:
    return CATEGORY_LABELS.get(name, name.replace("-", " ").capitalize())


def bold(font: QFont, on: bool = True) -> QFont:
    out = QFont(font)
    out.setBold(on)
    return out


# --- icons -------------------------------------------------------------------------------


def icons_dir() -> Path:
    return resources_dir() / "icons"


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons: every PNG size rendered for it (crisp at any DPI) and the
    SVG as the scalable fallback; an empty icon when the file is missing."""
    folder = icons_dir()
    result = QIcon()
    for size in ICON_SIZES:
        png = folder / f"{name}-{size}.png"
        if png.is_file():
            result.addFile(str(png), QSize(size, size))
    svg = folder / f"{name}.svg"
    if result.isNull() and svg.is_file():
        result.addFile(str(svg))
    return result


def dot_pixmap(color: QColor, size: int = 12) -> QPixmap:
    """A filled circle, for severity and health markers in item views."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPainter

    ratio = QGuiApplication.primaryScreen().devicePixelRatio() if \
        QGuiApplication.primaryScreen() else 1.0
    pix = QPixmap(round(size * ratio), round(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return pix


@cache
def severity_icon(severity: str | None) -> QIcon:
    return QIcon(dot_pixmap(severity_color(severity)))


# --- text formatting ---------------------------------------------------------------------


@overload
def local(ts: dt.datetime) -> dt.datetime: ...
@overload
def local(ts: None) -> None: ...


def local(ts: dt.datetime | None) -> dt.datetime | None:
    """Database times are naive UTC; show them in the user's local time."""
    if ts is None:
        return None
    return ts.replace(tzinfo=dt.UTC).astimezone()


def when(ts: dt.datetime | None, *, seconds: bool = False) -> str:
    if ts is None:
        return "—"
    return local(ts).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def ago(ts: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"3 h ago" style relative time, for the sidebar and status lines."""
    if ts is None:
        return "never"
    delta = (now or utcnow()) - ts
    secs = int(delta.total_seconds())
    if secs < 60:
        return "just now"
    if secs < 3600:
        return f"{secs // 60} min ago"
    if secs < 86400:
        return f"{secs // 3600} h ago"
    days = secs // 86400
    return f"{days} day{'s' if days != 1 else ''} ago" if days < 60 else when(ts)[:10]


def plural(n: int, noun: str, many: str | None = None) -> str:
    """"1 word", "2 words", "1,200 words" ("1 change", "0 changes"; `many` for irregulars)."""
    return f"{n:,} {noun if n == 1 else (many or noun + 's')}"


def change_size(stats: dict[str, Any] | None, *, short: bool = False) -> str:
    """"+120 / −34 words, 2 moved" (or "+120 −34" when short) from a Change's stats;
    tolerates missing keys."""
    stats = stats or {}
    added, removed = stats.get("words_added"), stats.get("words_removed")
    if added is None and removed is None:
        return ""
    parts = [f"+{added or 0}", f"\u2212{removed or 0}"]
    if short:
        return " ".join(parts)
    moved = stats.get("lines_moved") or 0
    text = " / ".join(parts) + (" word" if (added or 0) + (removed or 0) == 1 else " words")
    return text + (f", {moved} moved" if moved else "")


def duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 60} min"

"""The side panel of a diff: what the analysis says about the change.

Everything is optional: a change recorded before the analysis existed (or whose analysis
failed) still shows its statistics. Section paths are links: clicking one scrolls the diff to
that heading.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser

from watcher_app.store.models import Change
from watcher_app.ui import theme

PATH_SEP = " \u203a "


def _esc(value: Any) -> str:
    return html.escape(str(value))


class AnalysisPanel(QTextBrowser):
    section_clicked = Signal(str)  # the heading text to scroll to

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setAccessibleName("Change analysis")
        self.setMinimumWidth(220)
        self.anchorClicked.connect(self._on_anchor)
        self._sections: list[list[str]] = []
        self.placeholder: str | None = None  # the hint shown instead of a change, if any
        self.show_placeholder("Select a change to see its analysis.")

    def _muted(self) -> str:
        return theme.muted_text().name()

    def show_placeholder(self, text: str) -> None:
        self._sections = []
        self.placeholder = text
        self.setHtml(f'<p style="color:{self._muted()}">{_esc(text)}</p>')

    def placeholder_shown(self) -> bool:
        return self.placeholder is not None

    def show_comparison(self, old_label: str, new_label: str, stats: dict[str, Any]) -> None:
        """Two versions the user picked that no single recorded change links."""
        self.placeholder = None
        self._sections = []
        parts = [f"<h3>Comparing {_esc(old_label)} \u2192 {_esc(new_label)}</h3>",
                 f'<p style="color:{self._muted()}">These versions are not consecutive, so '
                 "there is no single recorded change (and no analysis) between them. The diff "
                 "shows everything that differs.</p>"]
        if stats:
            parts.append(self._stats_html(stats))
        self.setHtml("".join(parts))

    def show_change(self, change: Change, heading: str | None = None) -> None:
        self.placeholder = None
        data: dict[str, Any] = change.analysis or {}
        muted = self._muted()
        parts: list[str] = [f"<h3>{_esc(heading)}</h3>"] if heading else []
        severity = change.severity or data.get("severity")
        if severity:
            parts.append(f"<p>{theme.severity_pill(severity)}&nbsp; <b>"
                         f"{_esc(theme.SEVERITY_LABELS.get(severity, severity))} severity</b></p>")
        else:
            parts.append(f'<p style="color:{muted}">Severity not assessed.</p>')
        if data.get("severity_reason"):
            parts.append(f'<p style="color:{muted}">Why: {_esc(data["severity_reason"])}</p>')
        if change.summary:
            parts.append(f"<h4>Summary</h4><p>{_esc(change.summary)}</p>")
        effective = change.effective_date or data.get("effective_date")
        if effective:
            parts.append(f"<p><b>Takes effect:</b> {_esc(effective)}</p>")
        parts.append(self._categories_html(change, data))
        parts.append(self._sections_html(data))
        for key, title in (("added_sentences", "Added"), ("removed_sentences", "Removed")):
            sentences = data.get(key) or []
            if sentences:
                items = "".join(f"<li>\u201c{_esc(s)}\u201d</li>" for s in sentences)
                parts.append(f"<h4>{title} sentences</h4><ul>{items}</ul>")
        parts.append(self._stats_html(change.stats or {}, data))
        parts.append(f'<p style="color:{muted}">Detected {_esc(theme.when(change.detected_at))}'
                     f" \u00b7 change #{change.id}</p>")
        self.setHtml("".join(p for p in parts if p))

    def _categories_html(self, change: Change, data: dict[str, Any]) -> str:
        hits = data.get("category_hits") or []
        if not hits and not change.categories:
            return ""
        if not hits:
            return "<h4>Topics</h4><p>" + ", ".join(
                _esc(theme.category_label(c)) for c in change.categories) + "</p>"
        rows = []
        for hit in hits:
            evidence = hit.get("evidence") or []
            # the analysis already quotes its evidence ("adds: “…”"): shown as it comes
            quotes = "".join(f'<li style="color:{self._muted()}">{_esc(e)}</li>' for e in evidence)
            name = theme.category_label(str(hit.get("name", "?")))
            rows.append(f"<p style='margin-bottom:0'><b>{_esc(name)}</b></p>"
                        + (f"<ul style='margin-top:0'>{quotes}</ul>" if quotes else ""))
        return "<h4>Topics</h4>" + "".join(rows)

    def _sections_html(self, data: dict[str, Any]) -> str:
        sections = data.get("sections") or []
        self._sections = [list(s.get("path") or []) for s in sections]
        if not sections:
            return ""
        items = []
        for k, s in enumerate(sections):
            path = PATH_SEP.join(s.get("path") or []) or "(before the first heading)"
            counts = []
            for key, sign in (("added", "+"), ("removed", "\u2212"), ("changed", "~")):
                if s.get(key):
                    counts.append(f"{sign}{s[key]}")
            link = f'<a href="section:{k}">{_esc(path)}</a>' if s.get("path") else _esc(path)
            items.append(f"<li>{link} <span style='color:{self._muted()}'>"
                         f"{' '.join(counts)}</span></li>")
        return f"<h4>Sections touched</h4><ul>{''.join(items)}</ul>"

    def _stats_html(self, stats: dict[str, Any], data: dict[str, Any] | None = None) -> str:
        if not stats:
            return ""
        facts = [f"{theme.plural(stats.get('words_added', 0), 'word')} added",
                 f"{stats.get('words_removed', 0):,} removed"]
        if stats.get("lines_changed"):
            facts.append(f"{theme.plural(stats['lines_changed'], 'paragraph')} reworded")
        if stats.get("lines_moved"):
            facts.append(f"{stats['lines_moved']:,} moved")
        if (data or {}).get("reworded"):
            facts.append(f"{theme.plural(data['reworded'], 'sentence')} reworded")
        if stats.get("degraded"):
            facts.append("coarse diff (very large change)")
        return f"<h4>Size</h4><p>{_esc(', '.join(facts))}</p>"

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("section:"):
            k = int(text.split(":", 1)[1])
            if 0 <= k < len(self._sections) and self._sections[k]:
                self.section_clicked.emit(self._sections[k][-1])

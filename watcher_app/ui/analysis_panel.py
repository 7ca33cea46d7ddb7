"""The side panel of a diff (and the feed's preview): what the analysis says about a change.

First the severity and why (the reason quotes the clause), the user's own rating and note when
they corrected it, and the links to correct or reset it; then what each changed clause does for
users (old → new, quoted; an improvement marked "in users' favour"), the summary, topics,
sections and size. Everything is optional: a change recorded before the analysis existed (or
whose analysis failed) still shows its statistics. Section paths are links: clicking one
scrolls the diff to that heading. Every string from a page is escaped (links.esc).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser

from watcher_app import corrections
from watcher_app.analysis import Finding
from watcher_app.ui import commands, links, theme
from watcher_app.ui.correction_dialog import confirm_reset, open_correction
from watcher_app.ui.links import esc as _esc
from watcher_app.ui.queries import ChangeInfo, change_info
from watcher_app.ui.runtime import run_task

PATH_SEP = " \u203a "
FAVOUR = "in users' favour"


class AnalysisPanel(QTextBrowser):
    section_clicked = Signal(str)  # the heading text to scroll to
    corrected = Signal(int)  # a change's correction was stored or reset (others refresh)

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setAccessibleName("Change analysis")
        self.setMinimumWidth(220)
        self.anchorClicked.connect(self._on_anchor)
        self._sections: list[list[str]] = []
        self.placeholder: str | None = None  # the hint shown instead of a change, if any
        self.info: ChangeInfo | None = None
        self._heading: str | None = None
        self.show_placeholder("Select a change to see its analysis.")

    def _muted(self) -> str:
        return theme.muted_text().name()

    def show_placeholder(self, text: str) -> None:
        self._sections, self.info = [], None
        self.placeholder = text
        self.setHtml(f'<p style="color:{self._muted()}">{_esc(text)}</p>')

    def placeholder_shown(self) -> bool:
        return self.placeholder is not None

    def show_comparison(self, old_label: str, new_label: str, stats: dict[str, Any]) -> None:
        """Two versions the user picked that no single recorded change links."""
        self.placeholder = None
        self._sections, self.info = [], None
        parts = [f"<h3>Comparing {_esc(old_label)} \u2192 {_esc(new_label)}</h3>",
                 f'<p style="color:{self._muted()}">These versions are not consecutive, so '
                 "there is no single recorded change (and no analysis) between them. The diff "
                 "shows everything that differs.</p>"]
        if stats:
            parts.append(self._stats_html(stats))
        self.setHtml("".join(parts))

    def show_change(self, info: ChangeInfo, heading: str | None = None) -> None:
        """Everything from a page (quotes, reasons, summaries, the note) is escaped here."""
        self.info, self._heading = info, heading
        self.placeholder = None
        data = info.analysis
        muted = self._muted()
        parts: list[str] = [f"<h3>{_esc(heading)}</h3>"] if heading else []
        parts.append(self._judgement_html(info))
        parts.append(self._findings_html(data))
        if info.summary:
            parts.append(f"<h4>Summary</h4><p>{_esc(info.summary)}</p>")
        effective = info.effective_date or data.get("effective_date")
        if effective:
            parts.append(f"<p><b>Takes effect:</b> {_esc(effective)}</p>")
        parts.append(self._categories_html(info, data))
        parts.append(self._sections_html(data))
        for key, title in (("added_sentences", "Added"), ("removed_sentences", "Removed")):
            sentences = data.get(key) or []
            if sentences:
                items = "".join(f"<li>\u201c{_esc(s)}\u201d</li>" for s in sentences)
                parts.append(f"<h4>{title} sentences</h4><ul>{items}</ul>")
        parts.append(self._stats_html(info.stats, data))
        parts.append(f'<p style="color:{muted}">Detected {_esc(theme.when(info.detected_at))}'
                     f" \u00b7 change #{info.id}</p>")
        scroll = self.verticalScrollBar().value()
        self.setHtml("".join(p for p in parts if p))
        self.verticalScrollBar().setValue(scroll)  # a refresh keeps the reader's place

    # --- severity, why, the user's correction ---------------------------------------------------

    def _judgement_html(self, info: ChangeInfo) -> str:
        judged, muted = info.judgement, self._muted()
        parts = []
        if judged.severity:
            whose = ""
            if judged.severity_is_users:
                app = corrections.label(judged.app_severity) if judged.app_severity else "nothing"
                whose = (f" &nbsp;<b>your rating</b> <span style='color:{muted}'>(the app said "
                         f"{_esc(app)})</span>")
            parts.append(f"<p><b>Severity:</b> {theme.severity_pill(judged.severity)}{whose}</p>")
        else:
            parts.append(f'<p style="color:{muted}">Severity not assessed.</p>')
        why = judged.reason
        if why:
            label = (f"Why the app said {corrections.label(judged.app_severity)}:"
                     if judged.severity_is_users else "Why:")
            parts.append(f"<p><b>{_esc(label)}</b> {_esc(why)}</p>")
        if judged.note:
            note = _esc(judged.note).replace("\n", "<br>")
            parts.append(f"<p><b>Your note:</b> {note}</p>")
        actions = ['<a href="correct:">Correct severity and topics\u2026</a>']
        if judged.corrected:
            actions.append('<a href="reset:">Reset to the app\u2019s reading</a>')
        parts.append("<p>" + " &nbsp;\u00b7&nbsp; ".join(actions) + "</p>")
        return "".join(parts)

    def _findings_html(self, data: dict[str, Any]) -> str:
        """What each changed clause does for users: the old and new wording quoted, what it
        means, how much it matters; a change in users' favour says so."""
        findings = [Finding.from_json(f) for f in data.get("findings") or []]
        if not findings:
            return ""
        muted, items = self._muted(), []
        for f in findings:
            tags = [f"<span style='color:{theme.severity_text(f.level).name()}'>"
                    f"{_esc(corrections.label(f.level))}</span>"]
            if f.effect == "better":
                tags.append(f"<span style='color:{theme.favour_text().name()}'><b>"
                            f"{FAVOUR}</b></span>")
            if f.limited:
                tags.append(f"<span style='color:{muted}'>limited scope</span>")
            items.append(f"<li style='margin-bottom:4px'><b>{_esc(_capital(f.what))}</b> \u00b7 "
                         + " \u00b7 ".join(tags) + f"<br>{_quotes_html(f, muted)}</li>")
        return f"<h4>What changed for users</h4><ul>{''.join(items)}</ul>"

    def _categories_html(self, info: ChangeInfo, data: dict[str, Any]) -> str:
        """The topics (whose), then the evidence the app found for its own, less what the
        findings above already quote."""
        judged, muted = info.judgement, self._muted()
        if not judged.categories:
            return ""
        names = ", ".join(_esc(theme.category_label(c)) for c in judged.categories)
        if judged.categories_are_users:
            app = ", ".join(_esc(theme.category_label(c)) for c in judged.app_categories)
            names += (f" &nbsp;<b>yours</b> <span style='color:{muted}'>(the app said "
                      f"{app or 'none'})</span>")
        shown = {Finding.from_json(f).quoted() for f in data.get("findings") or []}
        items = []
        for hit in data.get("category_hits") or []:
            name = str(hit.get("name", "?"))
            if name not in judged.app_categories:
                continue  # a topic the app considered and did not choose
            for quote in [e for e in hit.get("evidence") or [] if e not in shown][:3]:
                items.append(f"<li><span style='color:{muted}'>"
                             f"{_esc(theme.category_label(name))}:</span> {_esc(quote)}</li>")
        evidence = f"<ul>{''.join(items)}</ul>" if items else ""
        return f"<h4>Topics</h4><p>{names}</p>{evidence}"

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
        if (reworded := (data or {}).get("reworded")):
            facts.append(f"{theme.plural(reworded, 'sentence')} reworded")
        if stats.get("degraded"):
            facts.append("coarse diff (very large change)")
        return f"<h4>Size</h4><p>{_esc(', '.join(facts))}</p>"

    # --- links ------------------------------------------------------------------------------

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text in ("correct:", "reset:") and self.info is not None:
            self._correct(reset=text == "reset:")
        elif text.startswith("section:"):
            k = int(text.split(":", 1)[1])
            if 0 <= k < len(self._sections) and self._sections[k]:
                self.section_clicked.emit(self._sections[k][-1])

    # --- corrections (the write runs in the thread pool) ---------------------------------------

    def _correct(self, *, reset: bool) -> None:
        assert self.info is not None
        if not reset:
            open_correction(self.info.id, self, self._corrected)
        elif confirm_reset(self.info, self):
            change_id = self.info.id
            run_task(lambda _r: commands.reset_correction(change_id),
                     self._corrected, self._correction_failed)

    def _corrected(self, change_id: int) -> None:
        """Show the stored correction, and tell the other views."""
        if self.info is not None and self.info.id == change_id:
            info = change_info(change_id)
            if info is not None:
                self.show_change(info, self._heading)
        self.corrected.emit(change_id)

    def _correction_failed(self, message: str) -> None:
        links.message(self, "warning", "Reset to the app's reading", f"Could not reset: {message}")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _quotes_html(finding: Finding, muted: str) -> str:
    """“old” → “new”, or what was added or removed, quoted (escaped)."""
    def q(text: str) -> str:
        return f"\u201c{_esc(text)}\u201d"

    if finding.old and finding.new:
        return f"{q(finding.old)} \u2192 {q(finding.new)}"
    if finding.new:
        return f"<span style='color:{muted}'>now says</span> {q(finding.new)}"
    if finding.old:
        return f"<span style='color:{muted}'>no longer says</span> {q(finding.old)}"
    return ""

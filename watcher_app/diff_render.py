"""Readers of a finished DiffResult: apply_chunks (rebuild the new text), terminal text, a
standalone HTML page, and JSON-ready dicts.

Kept apart from watcher_app.diff so the engine stays small; watcher_app.diff re-exports these.
Only attribute access is needed at runtime, so the diff types are imported for typing only
(which also avoids an import cycle).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher_app.diff import Chunk, DiffResult, WordSpan

_RESET = "\x1b[0m"
_COLORS = {"- ": "\x1b[31m", "+ ": "\x1b[32m", "! ": "\x1b[33m", "~ ": "\x1b[36m",
           "@@": "\x1b[1;35m", "…": "\x1b[2m", "del": "\x1b[1;31m", "ins": "\x1b[1;32m"}


def apply_chunks(old_lines: Sequence[str], result: DiffResult) -> list[str]:
    """Rebuild the new lines from the old ones and the chunks: equal and moved lines are copied
    from old_lines, replaced lines are rebuilt from their word spans, inserted lines are taken
    from result.new_lines (the only place their text lives)."""
    out: list[str] = []
    for c in result.chunks:
        if c.tag in ("equal", "move"):
            out.extend(old_lines[c.old_start:c.old_end])
        elif c.tag == "insert":
            out.extend(result.new_lines[c.new_start:c.new_end])
        elif c.tag == "replace":
            out.extend("".join(s.text for s in spans) for spans in c.new_words)
    return out


def _paint(text: str, key: str, color: bool) -> str:
    return f"{_COLORS[key]}{text}{_RESET}" if color else text


def _merged(old: tuple[WordSpan, ...], new: tuple[WordSpan, ...], color: bool) -> str:
    """One line with [-deleted-]{+inserted+} marks. Equal spans correspond one to one across the
    sides, so walk both to the next equal span; whitespace stays outside the marks."""
    parts: list[str] = []
    oi = ni = 0
    while oi < len(old) or ni < len(new):
        gone = old[oi].text if oi < len(old) and old[oi].tag != "equal" else ""
        oi += bool(gone)
        came = new[ni].text if ni < len(new) and new[ni].tag != "equal" else ""
        ni += bool(came)
        if gone:
            parts.append(_paint(f"[-{gone.strip()}-]", "del", color))
            if not came:
                parts.append(gone[len(gone.rstrip()):])
        if came:
            parts.append(_paint(f"{{+{came.strip()}+}}", "ins", color))
            parts.append(came[len(came.rstrip()):])
        if not gone and not came:  # both sit on the same equal span
            parts.append(new[ni].text)
            oi, ni = oi + 1, ni + 1
    return "".join(parts)


def _rows(result: DiffResult, color: bool) -> list[tuple[int, int, str, str]]:
    """(old cursor, new cursor, prefix, text) per display row; the cursors (0-based positions in
    each sequence where the row sits) give the hunk headers."""
    rows: list[tuple[int, int, str, str]] = []
    old, new = result.old_lines, result.new_lines
    o_pos = 0  # a move sits at its new place: the old cursor stays where it was
    for c in result.chunks:
        if c.tag != "move":
            o_pos = c.old_start
        if c.tag == "equal":
            rows += [(o_pos + k, c.new_start + k, "  ", old[o_pos + k])
                     for k in range(c.old_end - c.old_start)]
        elif c.tag == "delete":
            rows += [(i, c.new_start, "- ", old[i]) for i in range(c.old_start, c.old_end)]
        elif c.tag == "insert":
            rows += [(o_pos, j, "+ ", new[j]) for j in range(c.new_start, c.new_end)]
        elif c.tag == "replace":
            rows += [(o_pos + k, c.new_start + k, "! ", _merged(ow, nw, color))
                     for k, (ow, nw) in enumerate(zip(c.old_words, c.new_words, strict=True))]
        else:
            rows += [(o_pos, j, "~ ", new[j]) for j in range(c.new_start, c.new_end)]
        if c.tag != "move":
            o_pos = c.old_end
    return rows


def render_text(result: DiffResult, *, color: bool = False, context: int = 2) -> str:
    """Unified-style text: "  " equal, "- " removed, "+ " added, "! " replaced (one merged line
    with [-old-]{+new+} word marks), "~ " moved here; "@@ old N / new M @@" (1-based) opens each
    hunk, "…" stands for skipped unchanged lines. Empty string when nothing changed."""
    if not result.changed:
        return ""
    rows = _rows(result, color)
    keep = [False] * len(rows)
    for k, row in enumerate(rows):
        if row[2] != "  ":
            for m in range(max(0, k - context), min(len(rows), k + context + 1)):
                keep[m] = True
    out: list[str] = []
    if result.degraded:
        out.append(_paint("(coarse diff: the time budget ran out)", "…", color))
    for k, (o_pos, n_pos, prefix, text) in enumerate(rows):
        if not keep[k]:
            if k == 0 or keep[k - 1]:
                out.append(_paint("…", "…", color))
            continue
        if k == 0 or not keep[k - 1]:
            out.append(_paint(f"@@ old {o_pos + 1} / new {n_pos + 1} @@", "@@", color))
        if prefix == "! ":  # only the prefix: the marks inside carry their own colours
            out.append(_paint(prefix, prefix, color) + text)
        else:
            out.append(_paint(prefix + text, prefix, color) if prefix != "  " else prefix + text)
    return "\n".join(out) + "\n"


_CSS = """
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #6e7781;
  --line: #d0d7de; --del: #ffebe9; --del-hi: #ff818266; --ins: #e6ffec; --ins-hi: #abf2bc;
  --mov: #ddf4ff; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0;
  --line: #30363d; --del: #3c1618; --del-hi: #8e1519; --ins: #12261e; --ins-hi: #1f6f3a;
  --mov: #0c2d48; } }
body { background: var(--bg); color: var(--fg); margin: 1.5em;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.2em; } .muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border-bottom: 1px solid var(--line); padding: 2px 6px; vertical-align: top; }
th { text-align: left; } td.n { width: 3.5em; text-align: right; color: var(--muted);
  font-family: ui-monospace, monospace; user-select: none; }
td.t { white-space: pre-wrap; overflow-wrap: anywhere; }
.delete td.o, .replace td.o { background: var(--del); }
.insert td.w, .replace td.w { background: var(--ins); }
.move td.w, td.away { background: var(--mov); }
del { background: var(--del-hi); text-decoration: line-through; }
ins { background: var(--ins-hi); text-decoration: none; }
.tag { font-size: .8em; color: var(--muted); font-style: italic; }
"""


def _spans_html(spans: tuple[WordSpan, ...], mark: str) -> str:
    # trailing whitespace goes outside the mark so highlights hug the words
    return "".join(
        f"<{mark}>{html.escape(s.text.rstrip())}</{mark}>{s.text[len(s.text.rstrip()):]}"
        if s.tag != "equal" else html.escape(s.text) for s in spans)


def _html_row(cls: str, o_no: int | None, o_html: str, n_no: int | None, n_html: str,
              anchor: str = "", o_cls: str = "") -> str:
    ident = f' id="{anchor}"' if anchor else ""
    o_num = "" if o_no is None else str(o_no + 1)
    n_num = "" if n_no is None else str(n_no + 1)
    return (f'<tr class="{cls}"{ident}><td class="n">{o_num}</td>'
            f'<td class="t o{o_cls}">{o_html}</td><td class="n">{n_num}</td>'
            f'<td class="t w">{n_html}</td></tr>')


def render_html(result: DiffResult, *, old_title: str = "Old", new_title: str = "New") -> str:
    """A complete standalone page: old | new side by side with line numbers, word marks as
    <del>/<ins>, moved lines shown at both places; no scripts, no external resources."""
    esc = html.escape
    old, new = result.old_lines, result.new_lines
    moved_to = {c.old_start + k: c.new_start + k for c in result.chunks if c.tag == "move"
                for k in range(c.old_end - c.old_start)}
    rows: list[str] = []
    links: list[str] = []
    o_pos = 0

    def away_until(stop: int) -> None:  # old lines moved elsewhere sit in the holes
        for i in range(o_pos, stop):
            note = f' <span class="tag">(moved to line {moved_to[i] + 1})</span>'
            rows.append(_html_row("away", i, esc(old[i]) + note, None, "", o_cls=" away"))

    for n, c in enumerate(result.chunks):
        if c.tag != "move":
            away_until(c.old_start)
            o_pos = c.old_end
        anchor = ""
        if c.tag != "equal":
            anchor = f"c{n}"
            links.append(f'<a href="#{anchor}">{c.tag} @ {c.new_start + 1}</a>')
        for k in range(max(c.old_end - c.old_start, c.new_end - c.new_start)):
            i, j = c.old_start + k, c.new_start + k
            a = anchor if k == 0 else ""
            if c.tag == "equal":
                rows.append(_html_row("equal", i, esc(old[i]), j, esc(new[j]), a))
            elif c.tag == "delete":
                rows.append(_html_row("delete", i, esc(old[i]), None, "", a))
            elif c.tag == "insert":
                rows.append(_html_row("insert", None, "", j, esc(new[j]), a))
            elif c.tag == "replace":
                rows.append(_html_row("replace", i, _spans_html(c.old_words[k], "del"), j,
                                      _spans_html(c.new_words[k], "ins"), a))
            else:
                note = f' <span class="tag">(moved from line {i + 1})</span>'
                rows.append(_html_row("move", None, "", j, esc(new[j]) + note, a))
    away_until(len(old))
    s = result.stats
    summary = (f"+{s.lines_added} added, -{s.lines_removed} removed, {s.lines_changed} changed, "
               f"{s.lines_moved} moved lines; +{s.words_added} / -{s.words_removed} words")
    if result.degraded:
        summary += " (coarse diff: the time budget ran out)"
    if not result.changed:
        summary = "No changes."
    title = f"{esc(old_title)} → {esc(new_title)}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        f'<h1>{title}</h1><p class="muted">{esc(summary)}</p>\n'
        f'<p class="muted">{" · ".join(links)}</p>\n'
        f'<table><thead><tr><th colspan="2">{esc(old_title)}</th>'
        f'<th colspan="2">{esc(new_title)}</th></tr></thead><tbody>\n'
        + "\n".join(rows) + "\n</tbody></table></body></html>\n"
    )


def _chunk_json(c: Chunk, result: DiffResult) -> dict[str, Any]:
    words = [[{"tag": s.tag, "text": s.text} for s in line] for line in c.old_words]
    new_words = [[{"tag": s.tag, "text": s.text} for s in line] for line in c.new_words]
    return {
        "tag": c.tag, "old_start": c.old_start, "old_end": c.old_end,
        "new_start": c.new_start, "new_end": c.new_end, "moved_from": c.moved_from,
        "old_lines": list(result.old_lines[c.old_start:c.old_end]),
        "new_lines": list(result.new_lines[c.new_start:c.new_end]),
        "old_words": words, "new_words": new_words,
    }


def render_json(result: DiffResult) -> dict[str, Any]:
    """Plain dicts, lists, strings and numbers (json.dumps-able) mirroring the result."""
    return {
        "changed": result.changed, "degraded": result.degraded, "stats": asdict(result.stats),
        "old_count": len(result.old_lines), "new_count": len(result.new_lines),
        "chunks": [_chunk_json(c, result) for c in result.chunks],
    }

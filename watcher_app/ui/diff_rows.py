"""Aligned side-by-side rows from the diff engine's chunks (no Qt here).

The view only consumes `watcher_app.diff` chunks: each chunk becomes rows pairing an old
paragraph with a new one (or with a gap). A moved paragraph shows twice: greyed at its old place
("moved to ¶ N") and marked at its new place ("moved from ¶ M"), like Meld. `layout()` then
folds long unchanged runs for the "changes only" mode, and `hunks()` gives the rows that
next/previous change jump to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from watcher_app.diff import DiffResult, WordSpan

RowKind = Literal["equal", "insert", "delete", "replace", "moved_away", "moved_here"]


@dataclass(frozen=True)
class Row:
    kind: RowKind
    old_no: int | None  # 0-based line index on each side, None for a gap
    new_no: int | None
    old_text: str = ""
    new_text: str = ""
    old_spans: tuple[WordSpan, ...] = ()  # replace only
    new_spans: tuple[WordSpan, ...] = ()
    peer: int | None = None  # moved rows: the line index on the other side

    @property
    def changed(self) -> bool:
        return self.kind != "equal"


@dataclass(frozen=True)
class Fold:
    """A run of unchanged rows hidden in "changes only" mode; expanding shows them."""

    start: int  # index into the full row list
    end: int

    @property
    def count(self) -> int:
        return self.end - self.start


Item = int | Fold  # a displayed entry: a row index, or a fold


def build_rows(result: DiffResult) -> list[Row]:
    old, new = result.old_lines, result.new_lines
    moved_to = {c.old_start + k: c.new_start + k for c in result.chunks if c.tag == "move"
                for k in range(c.old_end - c.old_start)}
    rows: list[Row] = []
    o_pos = 0  # end of the old range covered so far by non-move chunks

    def flush_moved(upto: int) -> None:
        # The old lines skipped between non-move chunks are exactly the moved ones.
        for i in range(o_pos, upto):
            rows.append(Row("moved_away", i, None, old_text=old[i], peer=moved_to.get(i)))

    for c in result.chunks:
        if c.tag == "move":
            for k in range(c.new_end - c.new_start):
                j = c.new_start + k
                rows.append(Row("moved_here", None, j, new_text=new[j], peer=c.old_start + k))
            continue
        flush_moved(c.old_start)
        if c.tag == "equal":
            rows += [Row("equal", c.old_start + k, c.new_start + k, old[c.old_start + k],
                         new[c.new_start + k]) for k in range(c.old_end - c.old_start)]
        elif c.tag == "delete":
            rows += [Row("delete", i, None, old_text=old[i]) for i in range(c.old_start, c.old_end)]
        elif c.tag == "insert":
            rows += [Row("insert", None, j, new_text=new[j]) for j in range(c.new_start, c.new_end)]
        else:  # replace: lines paired one to one, with word spans
            for k, (ow, nw) in enumerate(zip(c.old_words, c.new_words, strict=True)):
                i, j = c.old_start + k, c.new_start + k
                rows.append(Row("replace", i, j, old[i], new[j], ow, nw))
        o_pos = c.old_end
    flush_moved(len(old))
    return rows


def layout(rows: list[Row], changes_only: bool, context: int = 1,
           expanded: frozenset[int] | set[int] = frozenset()) -> list[Item]:
    """The displayed items: every row, or in changes-only mode the changed rows with `context`
    unchanged rows around them, longer unchanged runs becoming Folds (unless their start is in
    `expanded`)."""
    if not changes_only:
        return list(range(len(rows)))
    items: list[Item] = []
    i, n = 0, len(rows)
    while i < n:
        if rows[i].changed:
            items.append(i)
            i += 1
            continue
        j = i
        while j < n and not rows[j].changed:
            j += 1
        head = context if i > 0 else 0  # context after the previous change
        tail = context if j < n else 0  # context before the next change
        if j - i <= head + tail + 1 or i + head in expanded:  # a fold is known by its start
            items.extend(range(i, j))
        else:
            items.extend(range(i, i + head))
            items.append(Fold(i + head, j - tail))
            items.extend(range(j - tail, j))
        i = j
    return items


def hunks(rows: list[Row], items: list[Item]) -> list[int]:
    """Positions in `items` where a run of changed rows starts: the stops of n / p."""
    out: list[int] = []
    previous_changed = False
    for pos, item in enumerate(items):
        changed = isinstance(item, int) and rows[item].changed
        if changed and not previous_changed:
            out.append(pos)
        previous_changed = changed
    return out


def row_for_line(rows: list[Row], new_no: int) -> int | None:
    """The row showing a new-side line (for "jump to a section")."""
    return next((k for k, r in enumerate(rows) if r.new_no == new_no), None)


def side_text(row: Row, side: str) -> str:
    return row.old_text if side == "old" else row.new_text


def unified(rows: list[Row]) -> str:
    """Plain text of some rows, unified-diff style, for "Copy as diff"."""
    out: list[str] = []
    for r in rows:
        if r.kind == "equal":
            out.append(f"  {r.new_text}")
        elif r.kind in ("delete", "moved_away"):
            out.append(f"- {r.old_text}")
        elif r.kind in ("insert", "moved_here"):
            out.append(f"+ {r.new_text}")
        else:
            out += [f"- {r.old_text}", f"+ {r.new_text}"]
    return "\n".join(out)


def display_prefix(text: str) -> tuple[str, int, int]:
    """How a normalised line is shown: headings lose their #'s (and are drawn bold), list items
    get a bullet. Returns (replacement prefix, characters of the original to skip, heading
    level or 0)."""
    if text.startswith("#"):
        marks = len(text) - len(text.lstrip("#"))
        if 1 <= marks <= 6 and text[marks:marks + 1] == " ":
            return "", marks + 1, marks
    if text.startswith("- "):
        return "\u2022 ", 2, 0
    return "", 0, 0


def strip_spans(spans: tuple[WordSpan, ...], skip: int) -> list[tuple[str, str]]:
    """(tag, text) pieces of a line's spans without its first `skip` characters. Equal spans
    are kept even when emptied: the inline view relies on them corresponding one to one."""
    out: list[tuple[str, str]] = []
    for span in spans:
        text = span.text
        if skip:
            cut = min(skip, len(text))
            text, skip = text[cut:], skip - cut
        if text or span.tag == "equal":
            out.append((span.tag, text))
    return out

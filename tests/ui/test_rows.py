"""The pure parts of the views: aligned diff rows, folds, change stops, and the queries'
health and labels."""

from __future__ import annotations

from types import SimpleNamespace

from watcher_app.diff import diff_texts
from watcher_app.ui.diff_rows import (
    Fold,
    build_rows,
    display_prefix,
    hunks,
    layout,
    strip_spans,
    unified,
)
from watcher_app.ui.queries import check_label, health_of

MOVED = "This whole paragraph moves to the end of the document unchanged."
OLD = ["# Title", MOVED, "Alpha paragraph stays.", "We keep data for 30 days.",
       *[f"Filler {i} stays the same." for i in range(10)]]
NEW = ["# Title", "Alpha paragraph stays.", "We keep data for 90 days.",
       *[f"Filler {i} stays the same." for i in range(10)], MOVED]


def test_rows_pair_old_and_new_with_moves() -> None:
    rows = build_rows(diff_texts("\n".join(OLD), "\n".join(NEW)))
    kinds = [r.kind for r in rows]
    assert kinds.count("moved_away") == 1 and kinds.count("moved_here") == 1
    away = next(r for r in rows if r.kind == "moved_away")
    here = next(r for r in rows if r.kind == "moved_here")
    assert (away.old_no, away.peer) == (1, len(NEW) - 1)
    assert (here.new_no, here.peer) == (len(NEW) - 1, 1)
    replace = next(r for r in rows if r.kind == "replace")
    assert [s.tag for s in replace.new_spans if s.tag != "equal"] == ["insert"]
    assert "".join(s.text for s in replace.new_spans) == "We keep data for 90 days."
    # every old and every new line appears exactly once, in order on each side
    assert [r.old_no for r in rows if r.old_no is not None] == list(range(len(OLD)))
    assert [r.new_no for r in rows if r.new_no is not None] == list(range(len(NEW)))


def test_changes_only_folds_long_unchanged_runs() -> None:
    rows = build_rows(diff_texts("\n".join(OLD), "\n".join(NEW)))
    items = layout(rows, changes_only=True, context=1)
    folds = [i for i in items if isinstance(i, Fold)]
    assert len(folds) == 1 and folds[0].count == 8
    assert layout(rows, True, expanded={folds[0].start}) == list(range(len(rows)))
    stops = hunks(rows, items)
    assert stops and all(rows[items[s]].changed for s in stops)
    assert "- We keep data for 30 days." in unified(rows)


def test_display_of_headings_and_lists() -> None:
    assert display_prefix("## 3. How we use data") == ("", 3, 2)
    assert display_prefix("- An item") == ("\u2022 ", 2, 0)
    assert display_prefix("#hashtag text") == ("", 0, 0)
    spans = diff_texts("## Old title", "## New title").chunks[0].new_words[0]
    assert [t for _, t in strip_spans(spans, 3)][-1] == "title"


def test_health_and_check_labels() -> None:
    assert health_of(None) == "pending"
    assert health_of("verified") == "ok"
    assert health_of("blocked", 2) == "blocked"
    assert health_of("error", 3) == "failing"
    check = SimpleNamespace(outcome="flap", code="flap", reason="back to v3", version_id=3)
    assert check_label(check) == ("Flap — back to an earlier text (no alert)", True)
    check = SimpleNamespace(outcome="verified", code="same-text", reason="", version_id=3)
    assert check_label(check) == ("Verified", False)

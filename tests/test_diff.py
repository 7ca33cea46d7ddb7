"""Tests for watcher_app.diff: unit cases, renderers, the time budget, and properties."""

from __future__ import annotations

import json
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from watcher_app.diff import (
    Chunk,
    DiffResult,
    WordSpan,
    apply_chunks,
    count_words,
    diff_lines,
    diff_texts,
    render_html,
    render_json,
    render_text,
)

BASE = [
    "## 1. Who we are",
    "We are the provider of the service and the controller of your data.",
    "- We collect your account details.",
    "- We collect the content you post.",
    "## 2. How we use your data",
    "We use your data to provide, secure and improve the service.",
    "| Purpose | Legal basis |",
    "We keep your data for as long as your account is open.",
]


def check(old: list[str], new: list[str], result: DiffResult) -> None:
    """Every structural promise of a DiffResult (see the watcher_app.diff docstring)."""
    assert result.old_lines == tuple(old) and result.new_lines == tuple(new)
    assert apply_chunks(old, result) == new
    new_pos, old_pos, old_seen = 0, 0, []
    for c in result.chunks:
        assert c.new_start == new_pos and c.new_end >= c.new_start
        new_pos = c.new_end
        assert c.old_end >= c.old_start
        old_seen.extend(range(c.old_start, c.old_end))
        if c.tag != "move":
            assert c.old_start >= old_pos
            old_pos = c.old_end
        if c.tag == "equal":
            assert old[c.old_start:c.old_end] == new[c.new_start:c.new_end]
        elif c.tag == "insert":
            assert c.old_start == c.old_end and c.new_end > c.new_start
        elif c.tag == "delete":
            assert c.new_start == c.new_end and c.old_end > c.old_start
        elif c.tag == "move":
            assert c.moved_from == c.old_start
            assert old[c.old_start:c.old_end] == new[c.new_start:c.new_end]
            assert all(len(line.split()) >= 5 for line in new[c.new_start:c.new_end])
        else:
            assert c.tag == "replace"
            n = c.old_end - c.old_start
            assert n == c.new_end - c.new_start == len(c.old_words) == len(c.new_words) > 0
            for k in range(n):
                ow, nw = c.old_words[k], c.new_words[k]
                assert "".join(s.text for s in ow) == old[c.old_start + k]
                assert "".join(s.text for s in nw) == new[c.new_start + k]
                assert {s.tag for s in ow} <= {"equal", "delete"}
                assert {s.tag for s in nw} <= {"equal", "insert"}
                eq_o = ["".join(s.text.split()) for s in ow if s.tag == "equal"]
                eq_n = ["".join(s.text.split()) for s in nw if s.tag == "equal"]
                assert eq_o == eq_n  # equal spans correspond one to one
        if c.tag != "replace":
            assert c.old_words == () and c.new_words == ()
        if c.tag != "move":
            assert c.moved_from is None
    assert new_pos == len(new)
    assert sorted(old_seen) == list(range(len(old)))  # old side covered exactly once
    s = result.stats

    def lines(tag: str) -> int:
        return sum(max(c.old_end - c.old_start, c.new_end - c.new_start)
                   for c in result.chunks if c.tag == tag)

    assert (s.lines_added, s.lines_removed, s.lines_changed, s.lines_moved) == (
        lines("insert"), lines("delete"), lines("replace"), lines("move"))
    added = sum(count_words(new[j]) for c in result.chunks if c.tag == "insert"
                for j in range(c.new_start, c.new_end))
    added += sum(count_words(sp.text) for c in result.chunks for ln in c.new_words for sp in ln
                 if sp.tag == "insert")
    removed = sum(count_words(old[i]) for c in result.chunks if c.tag == "delete"
                  for i in range(c.old_start, c.old_end))
    removed += sum(count_words(sp.text) for c in result.chunks for ln in c.old_words
                   for sp in ln if sp.tag == "delete")
    assert (s.words_added, s.words_removed) == (added, removed)
    assert result.changed == any(c.tag != "equal" for c in result.chunks)


def tags(result: DiffResult) -> list[tuple[str, int, int, int, int]]:
    return [(c.tag, c.old_start, c.old_end, c.new_start, c.new_end) for c in result.chunks]


def run(old: list[str], new: list[str]) -> DiffResult:
    result = diff_lines(old, new)
    check(old, new, result)
    assert not result.degraded
    return result


# --- line-level cases -------------------------------------------------------------------------

def test_insert_at_start_middle_end() -> None:
    added = "A brand new paragraph about arbitration."
    assert tags(run(BASE, [added, *BASE])) == [("insert", 0, 0, 0, 1), ("equal", 0, 8, 1, 9)]
    assert tags(run(BASE, [*BASE[:4], added, *BASE[4:]])) == [
        ("equal", 0, 4, 0, 4), ("insert", 4, 4, 4, 5), ("equal", 4, 8, 5, 9)]
    result = run(BASE, [*BASE, added])
    assert tags(result) == [("equal", 0, 8, 0, 8), ("insert", 8, 8, 8, 9)]
    assert result.stats.lines_added == 1 and result.stats.words_added == 6


def test_delete_at_start_middle_end() -> None:
    assert tags(run(BASE, BASE[1:])) == [("delete", 0, 1, 0, 0), ("equal", 1, 8, 0, 7)]
    assert tags(run(BASE, BASE[:3] + BASE[5:])) == [
        ("equal", 0, 3, 0, 3), ("delete", 3, 5, 3, 3), ("equal", 5, 8, 3, 6)]
    result = run(BASE, BASE[:-1])
    assert tags(result) == [("equal", 0, 7, 0, 7), ("delete", 7, 8, 7, 7)]
    assert result.stats.lines_removed == 1 and result.stats.words_removed == 12


def test_replace_at_start_middle_end() -> None:
    for k in (0, 4, 7):
        new = list(BASE)
        new[k] = BASE[k].replace("we", "WE").replace("We", "Our team")
        new[k] = new[k][:-1] + " today." if new[k] == BASE[k] else new[k]
        result = run(BASE, new)
        assert [t[0] for t in tags(result)] == (
            ["replace", "equal"] if k == 0 else ["equal", "replace"] if k == 7
            else ["equal", "replace", "equal"])
        replace = next(c for c in result.chunks if c.tag == "replace")
        assert (replace.old_start, replace.new_start) == (k, k)
        assert result.stats.lines_changed == 1


def test_unrelated_lines_are_delete_and_insert_not_replace() -> None:
    result = run(["Completely different words here"], ["Nothing alike in this other line"])
    assert [c.tag for c in result.chunks] == ["delete", "insert"]


def test_word_spans_of_a_reworded_sentence() -> None:
    result = run(["We may share your data with partners."],
                 ["We may share your personal data with trusted partners, never sell it."])
    (chunk,) = result.chunks
    assert chunk.tag == "replace"
    # one span per side per opcode: equal spans pair up one to one across the sides
    assert chunk.old_words == ((
        WordSpan("equal", "We may share your "), WordSpan("equal", "data with "),
        WordSpan("equal", "partners"), WordSpan("equal", "."),
    ),)
    assert chunk.new_words == ((
        WordSpan("equal", "We may share your "), WordSpan("insert", "personal "),
        WordSpan("equal", "data with "), WordSpan("insert", "trusted "),
        WordSpan("equal", "partners"), WordSpan("insert", ", never sell it"),
        WordSpan("equal", "."),
    ),)
    assert render_text(result).splitlines()[1] == (
        "! We may share your {+personal+} data with {+trusted+} partners{+, never sell it+}.")
    assert (result.stats.words_added, result.stats.words_removed) == (5, 0)


def test_punctuation_is_its_own_token() -> None:
    result = run(["Your data, as described."], ["Your data; as described."])
    (chunk,) = result.chunks
    assert [s for s in chunk.new_words[0] if s.tag != "equal"] == [WordSpan("insert", "; ")]
    assert (result.stats.words_added, result.stats.words_removed) == (0, 0)


def test_moved_paragraph_is_a_move_not_a_delete() -> None:
    moved = "We keep your data for as long as your account is open."
    new = [moved, *BASE[:-1]]
    result = run(BASE, new)
    assert tags(result) == [("move", 7, 8, 0, 1), ("equal", 0, 7, 1, 8)]
    assert result.chunks[0].moved_from == 7
    assert result.stats.lines_moved == 1
    assert result.stats.lines_removed == result.stats.lines_added == 0


def test_moved_block_of_paragraphs_merges_into_one_chunk() -> None:
    old = [f"Paragraph number {k} says something fairly long here." for k in range(12)]
    new = old[:2] + old[8:10] + old[2:8] + old[10:]
    result = run(old, new)
    moves = [c for c in result.chunks if c.tag == "move"]
    assert len(moves) == 1 and moves[0].new_end - moves[0].new_start == 2


def test_short_lines_do_not_count_as_moves() -> None:
    old = ["- Yes", "Alpha paragraph.", "Beta paragraph.", "Gamma paragraph."]
    new = ["Alpha paragraph.", "Beta paragraph.", "Gamma paragraph.", "- Yes"]
    result = run(old, new)
    assert {c.tag for c in result.chunks} == {"delete", "equal", "insert"}


def test_empty_texts() -> None:
    result = diff_texts("", "")
    assert result.chunks == () and not result.changed and result.old_lines == ()
    assert render_text(result) == ""
    check([], [], result)


def test_empty_against_non_empty() -> None:
    text = "\n".join(BASE)
    grown = diff_texts("", text)
    assert tags(grown) == [("insert", 0, 0, 0, 8)] and grown.changed
    check([], BASE, grown)
    emptied = diff_texts(text, "")
    assert tags(emptied) == [("delete", 0, 8, 0, 0)]
    check(BASE, [], emptied)


def test_identical_texts_give_one_equal_chunk() -> None:
    text = "\n".join(BASE)
    result = diff_texts(text, text)
    assert result.chunks == (Chunk("equal", 0, 8, 0, 8),)
    assert not result.changed and result.stats.lines_added == 0


def test_diff_texts_splits_exactly() -> None:
    result = diff_texts("a\nb", "a\nb\n")
    assert result.new_lines == ("a", "b", "")
    assert "\n".join(apply_chunks(result.old_lines, result)) == "a\nb\n"


# --- renderers --------------------------------------------------------------------------------

def sample() -> DiffResult:
    old = [*BASE, *(f"Filler paragraph {k} with enough words." for k in range(10)), "Tail."]
    new = list(old)
    new[1] = "We are the provider of the services and the controller of personal data."
    del new[3]
    new.insert(12, "<script>alert('x')</script> & more")
    new.append(new.pop(0).replace("##", "###"))
    new.insert(8, new.pop(new.index(BASE[7])))
    return diff_lines(old, new)


def test_render_text_has_hunks_markers_and_context() -> None:
    text = render_text(sample())
    lines = text.splitlines()
    assert lines[0].startswith("@@ old 1 / new 1 @@")
    assert "@@ old 10 / new 7 @@" in text and "…" in lines
    assert any(line.startswith("- ") for line in lines)
    assert any(line.startswith("+ <script>") for line in lines)
    assert any(line.startswith("~ We keep your data") for line in lines)
    assert any(line.startswith("! ") and "[-service-]{+services+}" in line for line in lines)
    assert "\x1b[" not in text
    assert "  Filler paragraph 0 with enough words." not in text  # outside the context


def test_render_text_colour_only_when_asked() -> None:
    plain, coloured = render_text(sample()), render_text(sample(), color=True)
    assert "\x1b[" not in plain and "\x1b[31m" in coloured and "\x1b[0m" in coloured
    assert render_text(sample(), context=100).count("@@") == 2  # a single hunk


def test_render_html_escapes_and_stands_alone() -> None:
    page = render_html(sample(), old_title="v1 <old>", new_title="v2 & new")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "v1 &lt;old&gt;" in page and "v2 &amp; new" in page
    assert "<del>service</del>" in page and "<ins>services</ins>" in page
    assert "moved from line 8" in page and "moved to line 9" in page
    assert "prefers-color-scheme: dark" in page
    assert "src=" not in page and "<link" not in page and "@import" not in page


def test_render_json_round_trips() -> None:
    result = sample()
    data = render_json(result)
    assert json.loads(json.dumps(data)) == data
    assert data["stats"]["lines_moved"] == 1 and data["degraded"] is False
    move = next(c for c in data["chunks"] if c["tag"] == "move")
    assert move["moved_from"] == 7 and move["new_lines"] == [BASE[7]]
    replace = next(c for c in data["chunks"] if c["tag"] == "replace")
    assert {"tag": "insert", "text": "services "} in replace["new_words"][0]


# --- time budget ------------------------------------------------------------------------------

def test_tiny_budget_degrades_but_stays_complete() -> None:
    rng = random.Random(3)
    words = "data share partners users service may we you the of and consent".split()
    old = [" ".join(rng.choices(words, k=12)) for _ in range(3000)]
    new = [line if rng.random() < 0.5 else " ".join(rng.choices(words, k=12)) for line in old]
    result = diff_lines(old, new, budget_s=0.0001)
    assert result.degraded
    check(old, new, result)


def test_pathological_inputs_return_near_the_budget() -> None:
    rng = random.Random(5)
    old = [f"line {k} {rng.random()}" for k in range(20000)]
    new = [f"other {k} {rng.random()}" for k in range(20000)]
    start = time.perf_counter()
    result = diff_lines(old, new, budget_s=0.1)
    assert time.perf_counter() - start < 5  # generous: this guards against hangs only
    assert result.degraded
    assert apply_chunks(old, result) == new
    big = " ".join(rng.choice(["we", "may", "share", "data", "with"]) for _ in range(150000))
    result = diff_lines([big], [big + " more"], budget_s=0.05)
    assert apply_chunks([big], result) == [big + " more"]


# --- properties -------------------------------------------------------------------------------

LINES = st.sampled_from([
    "a", "b", "c", "", "## Title", "- item",
    "the quick brown fox jumps over", "the quick brown fox sleeps over",
    "one two three four five six", "one two three four five seven",
    "| x | y |", "we may share your data",
])
FREE_LINES = st.text(st.sampled_from("ab ,.'\t-é"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, max_size=25), st.lists(LINES, max_size=25))
def test_chunks_rebuild_new_and_keep_invariants(old: list[str], new: list[str]) -> None:
    result = diff_lines(old, new)
    check(old, new, result)
    render_text(result, color=True)
    render_html(result)
    json.dumps(render_json(result))


@settings(max_examples=100, deadline=None)
@given(st.lists(FREE_LINES, max_size=8), st.lists(FREE_LINES, max_size=8))
def test_word_spans_cover_arbitrary_text(old: list[str], new: list[str]) -> None:
    check(old, new, diff_lines(old, new))


@settings(max_examples=50, deadline=None)
@given(st.lists(LINES, max_size=25))
def test_identical_inputs_have_no_change(lines: list[str]) -> None:
    result = diff_lines(lines, list(lines))
    assert not result.changed and len(result.chunks) == (1 if lines else 0)
    assert render_text(result) == ""

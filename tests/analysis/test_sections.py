"""watcher_app.analysis.sections: blocks with heading paths, the paragraph alignment (with its
time budget), and the sentence diff (added / removed / reworded / moved)."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.conftest import Edit
from watcher_app.analysis import SectionChange, analyze_change
from watcher_app.analysis.sections import _Deadline, align, diff_sentences, parse_blocks


def test_blocks_carry_nested_heading_paths(policy: str) -> None:
    blocks = parse_blocks(policy)
    training = next(b for b in blocks if b.text.startswith("We do not use"))
    assert training.path == ("Example Privacy Policy", "2. How we use your information",
                             "Model training")
    sharing = next(b for b in blocks if b.text.startswith("We share"))
    # a level-2 heading closes the level-3 one before it
    assert sharing.path == ("Example Privacy Policy", "3. Sharing")
    item = next(b for b in blocks if b.kind == "item")
    assert item.lead == "We collect these details when you create an account:"


def test_changed_paragraph_is_mapped_to_its_section(policy: str, edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We may use your conversations to train our models.")
    a = analyze_change(policy, new)
    assert a.sections == (SectionChange(
        ("Example Privacy Policy", "2. How we use your information", "Model training"),
        added=0, removed=0, changed=1),)
    assert a.reworded == 1 and not a.added_sentences and not a.removed_sentences


def test_added_and_removed_paragraphs_are_counted_per_section(policy: str, edit: Edit) -> None:
    new = edit("We keep chat logs for 30 days.",
               "We keep chat logs for 30 days.\nWe keep backups for one year.")
    new = edit("- Messages you send to our support team.\n", "", new)
    sections = {s.path[-1]: s for s in analyze_change(policy, new).sections}
    assert sections["4. How long we keep information"].added == 1
    assert sections["1. Information we collect"].removed == 1


def test_sentences_added_removed_reworded_and_moved(policy: str, edit: Edit) -> None:
    new = edit("- Messages you send to our support team.",
               "- Messages you send to our support team.\n"
               "We also collect your precise location.")
    new = edit("We keep chat logs for 30 days.", "We keep chat logs for 90 days.", new)
    # the contact paragraph moves up to the top, word for word
    contact = "Write to privacy@example.org or to Example Ltd, 1 Sample Street, Springfield."
    new = edit("\n## 6. Contact\n" + contact, "\n## 6. Contact", new)
    new = edit("Last updated: March 3, 2025", "Last updated: March 3, 2025\n" + contact, new)
    diff = diff_sentences(policy, new)
    assert sorted(e.kind for e in diff.edits) == ["added", "reworded"]
    assert diff.moved == 1
    reworded = next(e for e in diff.edits if e.kind == "reworded")
    assert (reworded.deleted, reworded.inserted) == (("30",), ("90",))
    a = analyze_change(policy, new)
    assert a.added_sentences == ("We also collect your precise location.",)
    assert a.reworded == 1 and a.moved == 1


def test_table_cells_are_read_under_their_column_header() -> None:
    table = "\n".join(["## Legal bases", "| Purpose | Data | Legal basis |",
                       "| To run the service. | Account data | Contract. |",
                       "| To keep it safe. Also to fix bugs. | Log data | Legitimate interests in "
                       "security. |"])
    new = table.replace("interests in security.", "interests in fraud prevention.")
    [change] = diff_sentences(table, new).edits  # only the edited cell, not the whole row
    assert (change.kind, change.old, change.new) == (
        "reworded", "Legitimate interests in security.",
        "Legitimate interests in fraud prevention.")
    assert change.path == ("Legal bases", "Legal basis")
    assert "To keep it safe." in change.new_block  # the row stays the cell's context


def test_a_list_written_inside_a_paragraph_is_read_under_its_lead() -> None:
    lead = "We may suspend or terminate accounts, including for the following reasons:"
    para = (f"{lead} (i) protecting the Services; (ii) breach of these Terms; and/or "
            "(iii) your prolonged inactivity. We will tell you why.")
    old = f"## Ending these terms\n{para}"
    new = old.replace("(ii) breach of these Terms;", "(ii) breach of these Terms; (iii) fraud;")
    [change] = diff_sentences(old, new).edits
    assert change.kind == "added" and change.new == "(iii) fraud;"
    assert change.lead == lead
    # the sentence after the list's last item is no item of it
    later = old.replace("We will tell you why.", "We will tell you why by e-mail.")
    [change] = diff_sentences(old, later).edits
    assert change.lead == ""


def test_a_replaced_paragraph_keeps_its_place_for_clause_pairing(policy: str,
                                                                 edit: Edit) -> None:
    new = edit("We keep chat logs for 30 days.",
               "Chat logs are deleted once a year, along with their backups.")
    diff = diff_sentences(policy, new)
    added = next(e for e in diff.edits if e.kind == "added")
    removed = next(e for e in diff.edits if e.kind == "removed")
    assert added.region == removed.region >= 0


# --- alignment -----------------------------------------------------------------------------


def _apply(ops: list[tuple[str, int, int, int, int]], a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            out += a[i1:i2]
        else:
            out += b[j1:j2]
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh"), max_size=40),
       st.lists(st.sampled_from("abcdefgh"), max_size=40))
def test_alignment_rebuilds_the_new_side_and_covers_both(a: list[str], b: list[str]) -> None:
    ops = align(a, b)
    assert _apply(ops, a, b) == b
    assert [op[1] for op in ops] == sorted(op[1] for op in ops)
    assert sum(op[2] - op[1] for op in ops) == len(a)
    assert sum(op[4] - op[3] for op in ops) == len(b)


def test_large_alignment_finds_the_same_changes_as_difflib() -> None:
    rng = random.Random(3)
    a = [f"paragraph {i} {rng.random()}" for i in range(8000)]
    b = list(a)
    for i in rng.sample(range(8000), 300):
        b[i] = b[i] + " changed"
    ours = [op for op in align(a, b) if op[0] != "equal"]
    theirs = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
              if op[0] != "equal"]
    assert ours == theirs


def test_past_the_budget_the_rest_is_one_coarse_region() -> None:
    a = [str(i) for i in range(5000)]
    b = [str(i) + "x" for i in range(5000)]
    deadline = _Deadline(0.0)
    ops = align(a, b, deadline)
    assert deadline.hit and ops == [("replace", 0, 5000, 0, 5000)]


def test_a_huge_rewrite_is_analysed_coarsely_but_still_judged() -> None:
    old = "\n".join(f"Paragraph {i} describes feature {i} of the service." for i in range(4000))
    new = old.replace("Paragraph 17 describes", "We may sell your personal data. Paragraph 17 "
                      "describes")
    diff = diff_sentences(old, new, budget_s=0.0)
    assert diff.coarse  # nothing aligned in time: one replaced region
    a = analyze_change(old, new, budget_s=0.0)
    assert a.coarse and a.severity == "high" and "data-sharing" in a.categories


def test_a_nested_list_flattened_into_its_parent_is_read_under_its_item() -> None:
    text = "\n".join([
        "## AI Services",
        "You agree to the following:",
        "- viii. Third-party claims. You answer for claims about your use.",
        "- ix. Usage Restrictions. You agree that you will not use the AI services:",
        "- 1\\. For social scoring;",
        "- 2\\. To create facial recognition databases.",
        "- x. Export. You can export your data.",
    ])
    blocks = [b for b in parse_blocks(text) if b.kind == "item"]
    leads = {b.text[:5]: b.lead for b in blocks}
    assert leads["1\\. F"] == leads["2\\. T"] == blocks[1].text
    # the parent list's next item is back under the parent's lead
    assert leads["x. Ex"] == leads["viii."] == "You agree to the following:"

"""watcher_app.analysis.clauses: the findings of a reworded clause (old state -> new state),
clauses rewritten in other words, whole sentences added or removed, and their quotes."""

from __future__ import annotations

from watcher_app.analysis import analyze_change
from watcher_app.analysis.acts import Finding
from watcher_app.analysis.clauses import compare_clause
from watcher_app.analysis.sections import diff_sentences


def _findings(old: str, new: str) -> list[Finding]:
    [change] = diff_sentences(old, new).edits
    return compare_clause(change)


def test_an_opt_out_is_about_the_practice_it_controls() -> None:
    old = "# P\nWe use your chats to train our models.\nYou can opt out of model training."
    a = analyze_change(old, "# P\nWe use your chats to train our models.")
    assert a.categories == ("ai-training",) and a.severity == "high"
    assert "user control" in a.severity_reason


def test_the_quote_shows_the_cues_and_the_act() -> None:
    [f] = _findings("Content you submit is not used to train our models.",
                    "Content you submit may be used to train our models unless you opt out.")
    assert f.old == "is not used to train"
    assert f.new == "may be used to train our models unless you opt out"
    assert f.quoted().startswith("“is not used to train” became “may be used to train")
    assert "on by default" in f.what


def test_findings_round_trip_through_json() -> None:
    [f] = _findings("We keep logs for 30 days.", "We keep logs for 90 days.")
    assert Finding.from_json(f.to_json()) == f


def test_a_clause_rewritten_in_other_words_is_compared_with_its_old_self() -> None:
    old = "# Terms\n## Refunds\nYou may request a refund within 14 days of purchase."
    new = "# Terms\n## Refunds\nAll purchases are final, and refunds are not available."
    a = analyze_change(old, new)
    assert (a.severity, a.categories) == ("high", ("payments",))
    assert a.findings[0].old and a.findings[0].new  # one clause, both versions quoted


def test_a_moved_protection_is_not_removed() -> None:
    old = "# P\n## Security\nWe encrypt your files at rest.\n## Storage\nFiles stay in the EU."
    new = ("# P\n## Security\nWe keep your account safe.\n## Storage\nFiles stay in the EU. "
           "We encrypt your files at rest.")
    a = analyze_change(old, new)
    assert not [f for f in a.findings if f.topic == "security" and f.effect == "worse"]


def test_an_act_on_one_side_of_a_paired_clause_is_quoted_alone() -> None:
    # a removed and an added sentence paired because both share data: the authorities act of
    # the new one has no old wording (the old sentence promised something else)
    old = ("# Disclosing\n\nWith respect to users under the age of 18, we do not disclose "
           "personal data to advertising partners by default.\n")
    new = ("# Disclosing\n\nCourts and Authorities: We may process and share your personal data "
           "to comply with a request from courts, authorities, or other authorized third "
           "parties.\n")
    found = [f for f in analyze_change(old, new).findings if f.act == "authorities"]
    assert found and found[0].old == "" and "Courts" in found[0].new
    assert "we do not disclose" not in found[0].quoted()


def test_a_hedged_protection_hedged_again_is_weakened() -> None:
    # a real Discord edit: notice before government requests went from "will attempt" to "may
    # attempt"; both are discretionary, the second more so
    lead = ("We may disclose information in response to a request for information if we "
            "believe disclosure is required by law, including law enforcement requirements. ")
    sentence = ("Where allowed and feasible, we {} attempt to provide you with prior notice "
                "before disclosing your information in response to such a request.")
    [weaker] = _findings(lead + sentence.format("will"), lead + sentence.format("may"))
    assert (weaker.topic, weaker.effect, weaker.level) == ("law-enforcement", "worse", "medium")
    assert weaker.old.startswith("will attempt") and weaker.new.startswith("may attempt")
    # the other way round is in users' favour; the same hedges reworded are no finding
    [firmer] = _findings(lead + sentence.format("may"), lead + sentence.format("will"))
    assert firmer.effect == "better"
    assert not _findings(lead + sentence.format("will"),
                         lead + sentence.format("will").replace("Where allowed and feasible",
                                                                "Where permitted and feasible"))

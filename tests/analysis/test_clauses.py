"""watcher_app.analysis.clauses: what a clause does (acts and their states), figures with
units, lists, and the findings of a reworded clause with their quotes."""

from __future__ import annotations

import pytest

from watcher_app.analysis import analyze_change
from watcher_app.analysis.clauses import (
    Finding,
    clip,
    compare_clause,
    is_limited,
    quantities,
    read_acts,
)
from watcher_app.analysis.sections import diff_sentences


def states(sentence: str) -> dict[str, int]:
    return {k: r.state for k, r in read_acts(sentence).items()}


@pytest.mark.parametrize(("sentence", "act", "state"), [
    # polarity
    ("Your content is not used to train our models.", "train", 0),
    ("We never sell your personal data.", "sell", 0),
    ("We no longer share your data with advertisers.", "share", 0),
    # modality
    ("We may use your chats to train our models.", "train", 3),
    ("We use your chats to train our models unless you opt out.", "train", 2),
    ("We use your chats to train our models only if you opt in.", "train", 1),
    ("We share your data with partners with your consent.", "share", 1),
    ("We do not share your data except as required by law.", "share", 1),
    # protections and controls: less is worse
    ("We will notify you before disclosing your data to law enforcement.",
     "notice-before-disclosure", 3),
    ("We may notify you before disclosing your data to law enforcement.",
     "notice-before-disclosure", 2),
    ("We may change these Terms at any time without notice.", "notice-of-changes", 0),
    ("You can delete your account at any time.", "right-delete", 3),
    ("You can ask us to delete your data, but we may decline at our discretion.",
     "right-delete", 2),
    ("We are not liable for any losses.", "liable", 0),
    ("We encrypt your files at rest.", "encrypt", 3),
    # waivers carry their negation in them
    ("You may not bring a class action against us.", "class-waiver", 3),
])
def test_acts_and_their_states(sentence: str, act: str, state: int) -> None:
    assert states(sentence).get(act) == state, states(sentence)


def test_a_rule_for_users_is_not_a_platform_practice() -> None:
    assert "sell" not in states("You may not sell data you obtain from the service.")
    assert "share" not in states("You can choose to share your playlists with friends.")


def test_an_opt_out_is_about_the_practice_it_controls() -> None:
    old = "# P\nWe use your chats to train our models.\nYou can opt out of model training."
    a = analyze_change(old, "# P\nWe use your chats to train our models.")
    assert a.categories == ("ai-training",) and a.severity == "high"
    assert "user control" in a.severity_reason


@pytest.mark.parametrize(("sentence", "expected"), [
    ("We keep logs for 30 days.", [("duration", 30.0)]),
    ("We keep logs for thirty (30) days.", [("duration", 30.0)]),
    ("We keep logs for a year.", [("duration", 365.0)]),
    ("We keep logs indefinitely.", [("duration", float("inf"))]),
    ("You must be at least 13 years old.", [("age", 13.0)]),
    ("Children under the age of 16 need consent.", [("age", 16.0)]),
    ("Our liability will not exceed $100.", [("money", 100.0)]),
    ("A fee of 2.5% applies.", [("percent", 2.5)]),
    ("Founded in 2015 with 200 staff.", []),
])
def test_quantities_with_units(sentence: str, expected: list[tuple[str, float]]) -> None:
    assert [(q.unit, q.value) for q in quantities(sentence)] == expected


def _findings(old: str, new: str) -> list[Finding]:
    [change] = diff_sentences(old, new).edits
    return compare_clause(change)


@pytest.mark.parametrize(("old", "new", "topic", "effect", "level"), [
    ("We keep logs for 30 days.", "We keep logs for 90 days.", "data-retention", "worse",
     "medium"),
    ("We keep logs for 30 days.", "We keep logs for 2 years.", "data-retention", "worse",
     "high"),
    ("We keep logs for 90 days.", "We keep logs for 30 days.", "data-retention", "better",
     "medium"),
    ("We will notify you 30 days before changes to these terms take effect.",
     "We will notify you 7 days before changes to these terms take effect.",
     "changes-to-terms", "worse", "medium"),
    ("You must be at least 16 years old to use the service.",
     "You must be at least 13 years old to use the service.", "minors", "worse", "medium"),
    ("Our total liability will not exceed $500.", "Our total liability will not exceed $50.",
     "liability", "worse", "high"),
    ("We will respond to your request within 30 days.",
     "We will respond to your request within 45 days.", "user-rights", "worse", "medium"),
])
def test_figures_move_in_the_direction_worse_for_the_user(old: str, new: str, topic: str,
                                                         effect: str, level: str) -> None:
    [f] = _findings(old, new)
    assert (f.kind, f.topic, f.effect, f.level) == ("quantity", topic, effect, level)


def test_lists_growing_and_shrinking() -> None:
    [grew, *_] = _findings("We share your data with service providers.",
                           "We share your data with service providers and data brokers.")
    assert (grew.topic, grew.effect, grew.level) == ("data-sharing", "worse", "high")
    assert "data brokers" in grew.what
    [shrank] = _findings("We share your data with service providers and data brokers.",
                         "We share your data with service providers.")
    assert (shrank.effect, shrank.level) == ("better", "medium")
    [banned] = _findings("You may not use the service to send spam or malware.",
                         "You may not use the service to send spam, malware or chain letters.")
    assert (banned.topic, banned.effect, banned.level) == ("acceptable-use", "worse", "medium")


def test_a_licence_broadened_is_high() -> None:
    [f] = _findings("You grant us a licence to host your content.",
                    "You grant us a perpetual, irrevocable licence to host your content.")
    assert (f.topic, f.effect, f.level) == ("content-license", "worse", "high")
    assert "perpetual" in f.what and "irrevocable" in f.what


def test_the_quote_shows_the_cues_and_the_act() -> None:
    [f] = _findings("Content you submit is not used to train our models.",
                    "Content you submit may be used to train our models unless you opt out.")
    assert f.old == "is not used to train"
    assert f.new == "may be used to train our models unless you opt out"
    assert f.quoted().startswith("“is not used to train” became “may be used to train")
    assert "on by default" in f.what


def test_clip_keeps_short_sentences_whole_and_cuts_long_ones() -> None:
    assert clip("We sell data.", [(3, 7)]) == "We sell data"
    long = "In some cases and for several reasons that we explain below we may sell your data."
    assert clip(long, [(long.index("may"), long.index("sell") + 4)]) == "may sell"


def test_limited_scope() -> None:
    assert is_limited("If you live in the EEA, we rely on consent.", ())
    assert is_limited("We share data as required by law.", ())
    assert is_limited("We share data.", ("Privacy Policy", "Additional terms for California"))
    assert not is_limited("We share data.", ("European Privacy Notice", "Sharing"))
    assert not is_limited("We share data with partners.", ())


def test_findings_round_trip_through_json() -> None:
    [f] = _findings("We keep logs for 30 days.", "We keep logs for 90 days.")
    assert Finding.from_json(f.to_json()) == f

"""watcher_app.analysis.figures: quantities with units and the direction worse for the user,
lists that grow or shrink, licences broadened."""

from __future__ import annotations

import pytest

from watcher_app.analysis.acts import Finding
from watcher_app.analysis.clauses import compare_clause
from watcher_app.analysis.figures import quantities
from watcher_app.analysis.sections import diff_sentences


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
    # the words are aligned without their commas and conjunctions: the new item is the chain
    # letters, not the malware the list already named
    assert "chain letters" in banned.what and "malware" not in banned.what


def test_a_hedge_or_a_restated_word_is_no_new_list_item() -> None:
    # a real X edit: the at-will termination clause restated with a legal hedge in front and
    # "any or no reason" spelled out
    old = ("We may suspend or terminate your account or cease providing you with all or part "
           "of the Services at any time for any or no reason.")
    new = ("To the extent permitted by law, we may also terminate your account or cease "
           "providing you with all or part of the Services for any other reason or no reason "
           "at our convenience.")
    assert not [f for f in _findings(old, new) if f.kind == "list"]
    # a real new item beside a hedge is still one
    [grew] = [f for f in _findings("We share your data with service providers.",
                                   "To the extent permitted by law, we share your data with "
                                   "service providers and data brokers.") if f.kind == "list"]
    assert "data brokers" in grew.what and grew.effect == "worse"


def test_a_condition_put_before_a_practice_is_no_list_item() -> None:
    # A real Zoom edit: "If authorized by any applicable settings," put before the marketing
    # purpose read as a recipient added to the advertising list
    old = ("Marketing and Promotions: To permit Zoom and its third party marketing partners to "
           "market, advertise, and promote Zoom products and services.")
    new = ("Marketing and Promotions: If authorized by any applicable settings, to permit Zoom "
           "and its third party marketing partners to market, advertise, and promote Zoom "
           "products and services.")
    assert not [f for f in _findings(old, new) if f.kind == "list"]
    # ... nor is a clause ending in a verb ("those modified prices will apply")
    assert not [f for f in _findings(
        "Refunds are subject to our policy, and we may modify our prices prospectively.",
        "Refunds are subject to our policy, and we may modify our prices and those modified "
        "prices will apply prospectively.") if f.kind == "list"]
    # ... nor is a clause of its own joined with "and"
    assert not [f for f in _findings("Refunds are subject to our policy.",
                                     "Refunds are subject to our policy, and we may modify our "
                                     "prices prospectively.") if f.kind == "list"]
    # ... while a list item added to the same clause still widens it
    [grew, *_] = _findings(old, old.replace("Zoom and its", "Zoom, data brokers and its"))
    assert (grew.kind, grew.topic, grew.effect) == ("list", "data-sharing", "worse")


def test_a_licence_broadened_is_high() -> None:
    [f] = _findings("You grant us a licence to host your content.",
                    "You grant us a perpetual, irrevocable licence to host your content.")
    assert (f.topic, f.effect, f.level) == ("content-license", "worse", "high")
    assert "perpetual" in f.what and "irrevocable" in f.what


def test_a_link_text_lost_by_the_capture_is_no_item_dropped() -> None:
    # a real Facebook capture: the names of linked documents vanished from the text, leaving
    # "the , or"; no rule of conduct was dropped
    old = ("If we disable your account for a violation of our Terms, the Community Standards, "
           "or other terms and policies, you agree not to create another account.")
    new = ("If we disable your account for a violation of our Terms, the , or other terms and "
           "policies, you agree not to create another account.")
    assert not [f for f in _findings(old, new) if f.kind == "list"]
    # an item really dropped from the same list still is one
    [dropped] = [f for f in _findings(
        "You may not use the service to send spam, malware or chain letters.",
        "You may not use the service to send spam or malware.") if f.kind == "list"]
    assert "chain letters" in dropped.what and dropped.effect == "better"

"""watcher_app.analysis.summary: analyze_change end to end, the summary a user reads, the
analysis JSON (with its findings) and well-formed output on any input."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.conftest import Edit
from watcher_app.analysis import (
    CATEGORIES,
    Analysis,
    CategoryHit,
    analyze_change,
    find_effective_date,
)
from watcher_app.analysis.params import Params
from watcher_app.analysis.summary import judge, read_change


def test_summary_names_the_section_and_quotes_the_addition(policy: str, edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We do not use your conversations to train our models. We may use your "
               "ratings to train our models.")
    a = analyze_change(policy, new)
    assert a.summary == (
        "1 paragraph changed under 'Example Privacy Policy › 2. How we use your information "
        "› Model training'; adds: “We may use your ratings to train our models.”")


def test_summary_counts_several_sections_and_kinds(policy: str, edit: Edit) -> None:
    new = edit("for 30 days", "for 90 days")
    new = edit("- Messages you send to our support team.",
               "We also collect your device identifiers.", new)
    a = analyze_change(policy, new)
    assert a.summary.startswith("3 paragraphs changed in 2 sections, most under "
                                "'Example Privacy Policy › 1. Information we collect'; adds: "
                                "“We also collect your device identifiers.”")
    assert a.summary.endswith("(1 sentence added, 1 removed, 1 reworded)")


def test_long_quotes_are_cut(policy: str) -> None:
    long_sentence = "We may use " + " ".join(["your data"] * 60) + " to train our models."
    a = analyze_change(policy, policy + "\n" + long_sentence)
    assert "…”" in a.summary and len(a.summary) < 300


def test_to_json_round_trip_with_findings(policy: str, edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We may use your conversations to train our models.")
    a = analyze_change(policy, new)
    data = json.loads(json.dumps(a.to_json()))
    assert data["severity"] == "high" and data["categories"] == list(a.categories)
    assert data["sections"][0]["path"][-1] == "Model training"
    finding = data["findings"][0]
    assert finding["topic"] == "ai-training" and finding["effect"] == "worse"
    assert finding["old"] and finding["new"]
    assert Analysis.from_json(data) == a
    assert isinstance(a.category_hits[0], CategoryHit)


def test_an_analysis_stored_before_findings_existed_still_loads() -> None:
    data = {"severity": "low", "severity_reason": "Low: editorial change only",
            "categories": ["editorial"], "category_hits": [], "summary": "s", "sections": [],
            "added_sentences": [], "removed_sentences": [], "reworded": 0}
    a = Analysis.from_json(data)
    assert a.findings == () and not a.coarse and a.effective_date is None


def test_judging_one_reading_with_other_thresholds(policy: str, edit: Edit) -> None:
    new = edit("We keep chat logs for 30 days.", "We keep chat logs for 90 days.")
    reading = read_change(policy, new)
    assert judge(reading) == analyze_change(policy, new)  # the shipped thresholds
    strict = judge(reading, Params(cat_min=99.0, finding_level="none"))
    assert strict.categories == ("editorial",)  # no topic strong enough: editorial fallback
    assert strict.severity == "medium"  # severity comes from the finding, not the topics


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([
    "# Terms", "## Data", "### Ads", "- We collect your location.", "We may sell your data.",
    "We do not sell your data.", "You can opt out at any time.", "Effective: May 1, 2025",
    "| Purpose | Legal basis |", "You waive any class action.", "Plain words here.", "",
    "We keep logs for 30 days.", "Children under 13 may not use the service.",
    "We keep logs for 2 years.", "Our liability will not exceed $100.",
]), max_size=12), st.lists(st.text(max_size=40), max_size=3))
def test_any_input_gives_a_well_formed_analysis(lines: list[str], noise: list[str]) -> None:
    old = "\n".join(lines)
    new = "\n".join(list(reversed(lines)) + noise)
    a = analyze_change(old, new)
    assert a.severity in {"low", "medium", "high"}
    assert set(a.categories) <= set(CATEGORIES)
    assert a.severity_reason.lower().startswith(a.severity)
    assert all(f.level in {"low", "medium", "high"} and f.topic in CATEGORIES
               for f in a.findings)
    json.dumps(a.to_json())
    date = find_effective_date(new)
    assert date is None or re.fullmatch(r"\d{4}-\d\d-\d\d", date)


def test_the_topic_that_decided_the_severity_is_named_first(policy: str, edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We may use your conversations to train our models unless you opt out.")
    new = edit("We keep chat logs for 30 days.", "We keep chat logs for 7 days.", new)
    got = analyze_change(policy, new)
    assert got.severity == "high" and got.findings[0].topic == "ai-training"
    assert got.categories[0] == "ai-training"
    assert set(got.categories) == {"ai-training", "data-retention"}

"""The alerting decision: each kind of noise is recognised, and real edits never hide in it."""

from __future__ import annotations

import pytest

from watcher_app.compare import compare

# Long lines are the point: a policy paragraph is one line of the normalised text.
POLICY = """# Terms of Service
Effective: March 3, 2026
## 1. Who we are
These Terms are an agreement between you and Acme Cloud Limited, which provides the Services.
## 2. Using the Services
You may use the Services only in compliance with these Terms and applicable law.
- You must be at least 16 years old to use the Services.
- You are responsible for the content you submit and for its consequences.
## 3. Content
You keep ownership of your content. You grant us a licence to host and display it to operate the Services.
## 4. Disputes
Any dispute will be resolved by the courts of Dublin, Ireland, and you may bring claims individually or as part of a group.
## 5. Contact
Write to legal@acme.example with any question about these Terms.""".split("\n")


def edit(lines: list[str], old: str, new: str) -> list[str]:
    out = [line.replace(old, new) for line in lines]
    assert out != lines, f"{old!r} not in text"
    return out


def kind(old: list[str], new: list[str]) -> str:
    return compare(old, new).kind


def test_identical_and_punctuation_only() -> None:
    assert kind(POLICY, list(POLICY)) == "same"
    assert kind(POLICY, edit(POLICY, "Dublin, Ireland,", "Dublin Ireland")) == "same"
    # the same words in other blocks (markup moved) are the same text
    merged = POLICY[:4] + [POLICY[4] + " " + POLICY[5]] + POLICY[6:]
    assert kind(POLICY, merged) == "same"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("16 years", "18 years"),
        ("individually or as part of a group", "only individually"),
        ("Acme Cloud Limited", "Acme Cloud Holdings Inc"),
        ("legal@acme.example", "terms@acme.example"),
        ("You keep ownership", "We keep ownership"),
    ],
)
def test_real_edits_alert(old: str, new: str) -> None:
    assert kind(POLICY, edit(POLICY, old, new)) == "change"


def test_real_additions_and_removals_alert() -> None:
    added = POLICY[:9] + ["- We may use your content to train our models unless you opt out."] \
        + POLICY[9:]
    assert kind(POLICY, added) == "change"
    removed = [line for line in POLICY if "16 years" not in line]
    assert kind(POLICY, removed) == "change"
    # a whole section removed from the end is a change, not a truncated capture
    assert kind(POLICY, POLICY[:-2]) == "change"


def test_truncated_capture() -> None:
    verdict = compare(POLICY, POLICY[:-5])
    assert verdict.kind == "truncated" and "stops early" in verdict.reason


def test_email_placeholder_and_urls_in_text() -> None:
    hidden = edit(POLICY, "legal@acme.example", "[email protected]")
    assert kind(POLICY, hidden) == "noise"
    url = edit(POLICY, "which provides the Services.",
               "which provides the Services (https://acme.example/services?ref=1).")
    moved = edit(url, "https://acme.example/services?ref=1", "https://docs.acme.example/s")
    assert kind(url, moved) == "same"


def test_typo_fix_is_noise_but_word_swap_is_not() -> None:
    # a misspelt word (used nowhere else) corrected to a word the document uses elsewhere
    typo = edit(POLICY, "which provides the Services.", "which provides the Servcies.")
    assert kind(typo, POLICY) == "noise"
    swap = edit(POLICY, "You may use", "You must use")
    assert kind(POLICY, swap) == "change"


def test_doubled_word_fix() -> None:
    doubled = edit(POLICY, "the courts of", "the the courts of")
    assert kind(doubled, POLICY) == "same"


def test_navigation_toc_language_switcher_and_lone_heading() -> None:
    toc = POLICY[:2] + ["- 1. Who we are", "- 2. Using the Services", "- 3. Content",
                        "- 4. Disputes"] + POLICY[2:]
    assert kind(POLICY, toc) == "noise"
    switcher = POLICY + ["English Deutsch Français 日本語 (ja-JP)"]
    assert kind(POLICY, switcher) == "noise"
    heading = POLICY + ["## Other ways to get help"]
    assert kind(POLICY, heading) == "noise"


def test_update_banner_added_and_removed() -> None:
    banner = ["We've updated our Terms of Service. Please take a look before the changes take "
              "effect on May 1, 2026."]
    assert kind(POLICY, banner + POLICY) == "noise"
    assert kind(banner + POLICY, POLICY) == "noise"


def test_banner_with_a_real_change_alerts() -> None:
    banner = ["We've updated our Terms of Service. The changes take effect on May 1, 2026."]
    new = banner + edit(POLICY, "16 years", "13 years")
    assert kind(POLICY, new) == "change"


def test_clause_about_future_changes_is_not_a_banner() -> None:
    clause = POLICY + ["We may update these Terms from time to time; updated Terms take effect "
                       "30 days after we post them."]
    assert kind(POLICY, clause) == "change"


def test_announced_version_takes_effect() -> None:
    upcoming = edit(POLICY, "16 years", "18 years")[2:]
    announced = (["# Terms of Service",
                  "We have made some updates to our Terms of Service. This version will go "
                  "into effect on June 1, 2026. Until then, the current Terms continue to apply."]
                 + upcoming + ["# Terms of Service", "## Effective until June 1, 2026",
                               "The current Terms of Service are below."] + POLICY[1:])
    assert kind(POLICY, announced) == "change"  # the announcement is the alert
    took_effect = ["# Terms of Service", "Effective: June 1, 2026"] + upcoming
    verdict = compare(announced, took_effect)
    assert verdict.kind == "noise", verdict
    assert "took effect" in verdict.reason


def test_dropping_one_of_two_similar_copies_without_announcement_alerts() -> None:
    regional = POLICY + ["# Terms for EU users"] + POLICY[2:]
    assert kind(regional, POLICY) == "change"


def test_localised_label() -> None:
    english = POLICY + ["#### Effective as of January 5, 2022 (view previous version)"]
    german = POLICY + ["#### Gültig ab January 5, 2022 (vorherige Version ansehen)"]
    assert kind(english, german) == "noise"
    names = POLICY + ["View these Terms in other languages: English and German"]
    assert kind(names, edit(names, "German", "Deutsch")) == "noise"


def test_appended_page_under_its_own_title() -> None:
    hub = ["# Welcome to the Acme Privacy Centre", "## Our approach",
           "Privacy is at the heart of what we build, every day, for every customer."]
    assert kind(POLICY, POLICY + hub) == "noise"


def test_relative_date_byline_is_noise_but_a_changed_period_is_not() -> None:
    old = ["Updated 3 days ago"] + POLICY
    assert kind(old, ["Updated this week"] + POLICY) == "noise"
    assert kind(old, ["Updated over a week ago"] + POLICY) == "noise"
    retention = POLICY + ["We keep logs for 3 days."]
    assert kind(retention, POLICY + ["We keep logs for 3 weeks."]) == "change"
    assert kind(old, ["Updated 3 days ago"] + edit(POLICY, "16 years", "18 years")) == "change"


def test_first_person_update_of_a_practice_is_a_change() -> None:
    practice = POLICY + ["We have updated our retention practices: we now keep logs for 2 years."]
    assert kind(POLICY, practice) == "change"
    rules = POLICY + ["The new retention rules take effect on January 1, 2027."]
    assert kind(POLICY, rules) == "change"


def test_counters_and_copyright_years_are_noise_but_numbers_in_clauses_are_not() -> None:
    page = POLICY + ["12 out of 20 found this helpful", "\u00a9 2025 Acme Cloud Limited. All rights "
                     "reserved."]
    moved = edit(edit(page, "12 out of 20", "13 out of 21"), "\u00a9 2025", "\u00a9 2026")
    assert kind(page, moved) == "noise"
    assert kind(POLICY, edit(POLICY, "16 years", "18 years")) == "change"
    retention = POLICY + ["We keep logs for 90 days; people can ask us to delete them."]
    assert kind(retention, edit(retention, "90 days", "30 days")) == "change"
    claims = POLICY + ["Copyright claims must be filed within 2 years of the infringement."]
    assert kind(claims, edit(claims, "2 years", "1 years")) == "change"
    sunset = POLICY + ["This addendum applies until 2025."]
    assert kind(sunset, edit(sunset, "2025", "2027")) == "change"

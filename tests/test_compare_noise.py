"""Every noise rule of compare.py, with the mutation tests that try to hide a real edit in it.

For each rule: the noise case is noise, and the same noise carrying a real edit in the region
the rule explains (a dropped "not", a changed number, a deleted list item, one word swapped for
another word the document uses) is a change. The texts are written for these tests.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watcher_app.compare import compare

POLICY = """# Privacy Policy
Last updated: March 3, 2026
We explain here how Northwind Labs collects and uses personal data when you use our apps.
## 1. What we collect
We collect your account details, your messages and the device identifiers we need to run it.
- Contact details such as your name and e-mail address.
- Payment details when you buy a subscription.
- Usage data about the features you open.
## 2. Sharing
We do not sell your personal data, and we share it only with processors bound by contract.
## 3. Retention
We keep your messages for 30 days after you delete them, then erase them from our backups.
## 4. Your rights
You may access, correct or delete your data at any time from your account settings.
## 5. Contact
Write to privacy@northwind.example with any question about this policy or your data.""".split("\n")

Mutation = Callable[[list[str]], list[str]]


def sub(old: str, new: str) -> Mutation:
    def apply(lines: list[str]) -> list[str]:
        out = [line.replace(old, new, 1) for line in lines]
        assert out != lines, f"{old!r} not in the text"
        return out
    return apply


def drop(text: str) -> Mutation:
    def apply(lines: list[str]) -> list[str]:
        assert text in lines, f"{text!r} not a line"
        return [line for line in lines if line != text]
    return apply


DROP_NOT = sub("We do not sell", "We sell")
NUMBER = sub("30 days", "90 days")
LIST_ITEM = drop("- Payment details when you buy a subscription.")
SWAP = sub("we share it only with processors", "we sell it only to processors")
MUTATIONS = [DROP_NOT, NUMBER, LIST_ITEM, SWAP]
MUTATION_IDS = ["dropped-not", "number", "list-item", "word-swap"]


def kind(old: list[str], new: list[str], **kw: object) -> str:
    return compare(old, new, **kw).kind  # type: ignore[arg-type]


def with_sections(lines: list[str], order: list[int]) -> list[str]:
    """The policy with its numbered sections (## 1 … ## 5) in another order."""
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    bounds = list(zip(starts, [*starts[1:], len(lines)], strict=True))
    head = lines[:starts[0]]
    return head + [line for k in order for line in lines[bounds[k][0]:bounds[k][1]]]


# --- a whole section moved --------------------------------------------------------------------


def test_section_moved_with_the_same_words_is_noise() -> None:
    verdict = compare(POLICY, with_sections(POLICY, [0, 2, 3, 1, 4]))
    assert verdict.kind == "noise" and "moved" in verdict.reason


@pytest.mark.parametrize("mutation", MUTATIONS, ids=MUTATION_IDS)
def test_moved_section_carrying_an_edit_alerts(mutation: Mutation) -> None:
    # Sharing and Retention move to the top; What we collect moves down: every mutation
    # lands inside a moved section.
    moved = with_sections(POLICY, [1, 2, 0, 3, 4])
    assert kind(POLICY, mutation(moved)) == "change"


def test_paragraph_moved_into_another_section_alerts() -> None:
    # "We do not sell" now stands under Retention: it is no longer the sharing rule
    sharing = POLICY.index("We do not sell your personal data, and we share it only with "
                           "processors bound by contract.")
    moved = POLICY[:sharing] + POLICY[sharing + 1:]
    at = moved.index("## 4. Your rights")
    moved = moved[:at] + [POLICY[sharing]] + moved[at:]
    assert kind(POLICY, moved) == "change"


def test_subsection_moved_under_another_parent_alerts() -> None:
    eu = ["## For users in the EU", "The rules below apply to you.",
          "### Transfers", "We transfer data outside the EU only with safeguards in place.",
          "## For users in the US", "The rules below apply to you."]
    us = ["## For users in the EU", "The rules below apply to you.",
          "## For users in the US", "The rules below apply to you.",
          "### Transfers", "We transfer data outside the EU only with safeguards in place."]
    assert kind(POLICY + eu, POLICY + us) == "change"


# --- mega-menus and furniture around the document ---------------------------------------------

HEADER = ["By industry", "EducationFinancial ServicesGovernmentHealthcare", "For developers",
          "Video SDKCo-BrowseAI Services", "Select a language",
          "EnglishDeutschFrançaisEspañol日本語中文（简体）"]
FOOTER = ["Careers", "Newsroom", "\u00a9 2026 Northwind Labs. All rights reserved."]


def test_mega_menu_entries_changing_above_the_document_are_noise() -> None:
    page = HEADER + POLICY + FOOTER
    menu = list(page)
    menu[1] = "EducationFinancial ServicesProfessionalsGovernmentHealthcare"
    menu[3:4] = ["Build", "Video SDKCo-BrowseAPI Services", "Integrate",
                 "MarketplaceMCPRealtime Media StreamsAPIs"]
    assert kind(page, menu) == "noise"
    assert kind(page, page[:4] + page[6:]) == "noise"  # the language switcher goes
    footer = page[:-1] + ["Investor relations", "Press", page[-1]]
    assert kind(page, footer) == "noise"


@pytest.mark.parametrize("mutation", [
    sub("We explain here how", "We do not explain here how"),
    sub("Last updated: March 3, 2026", "Last updated: March 3, 2026 | Minimum age 13"),
    sub("For developers", "For developers\n- Free plan for students"),  # never furniture
    sub("Northwind Labs collects and uses", "Northwind Labs collects and sells"),
    sub("privacy@northwind.example", "legal@northwind.example"),
    sub("Newsroom", "Support: call 555 0100"),
], ids=["first-sentence", "number", "list-item", "word-swap", "last-sentence", "footer-number"])
def test_an_edit_next_to_the_menus_alerts(mutation: Mutation) -> None:
    page = HEADER + POLICY + FOOTER
    menu = list(page)
    menu[3] = "Video SDKCo-BrowseAPI Services"
    assert kind(page, "\n".join(mutation(menu)).split("\n")) == "change"


def test_menu_like_lines_inside_the_document_alert() -> None:
    # short labels between clauses are part of the document (a list of processors rendered as
    # paragraphs): one deleted, or glued ones changed, is a change
    inside = POLICY[:10] + ["Processors", "AcmePay", "BetaMail"] + POLICY[10:]
    assert kind(inside, POLICY[:10] + ["Processors", "AcmePay"] + POLICY[10:]) == "change"
    glued = POLICY[:10] + ["AcmePayBetaMailGammaStore"] + POLICY[10:]
    assert kind(glued, POLICY[:10] + ["AcmePayGammaStoreDeltaAds"] + POLICY[10:]) == "change"


# --- misspellings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("typo", "fixed"), [
    ("your messages for 30", "your mesasges for 30"),  # transposition
    ("erase them from", "erase tehm from"),  # short transposition
    ("processors bound", "procesors bound"),  # a dropped letter
    ("We collect your", "We colect your"),
])
def test_a_slip_of_the_keys_fixed_is_noise(typo: str, fixed: str) -> None:
    doc = POLICY + ["Processors and messages are listed in our processors page; we collect "
                    "them and erase them."]
    assert kind(sub(typo, fixed)(doc), doc) == "noise"


def test_a_split_word_joined_is_noise() -> None:
    split = sub("You may access", "You can not access")(POLICY)
    assert kind(split, sub("can not", "cannot")(split)) == "noise"
    hyphen = sub("subscription", "sub- scription")(POLICY)
    assert kind(hyphen, POLICY) == "noise"


@pytest.mark.parametrize("mutation", [
    sub("messages for 30 days", "messages for 90 days"),
    DROP_NOT, LIST_ITEM, SWAP,
    sub("You may access", "You small access"),  # "may"/"small": not a slip
], ids=[*MUTATION_IDS, "not-a-slip"])
def test_an_edit_next_to_a_typo_fix_alerts(mutation: Mutation) -> None:
    typo = sub("We keep your messages", "We keep your mesasges")(POLICY)
    assert kind(typo, mutation(POLICY)) == "change"


@pytest.mark.parametrize(("old", "new"), [
    ("lawful", "unlawful"), ("month", "months"), ("shall", "small"), ("form", "from"),
    ("can not", "can"), ("later", "latter"),
])
def test_real_words_one_letter_apart_are_not_typos(old: str, new: str) -> None:
    doc = POLICY + [f"Requests are handled in a {old} way once a month in a form we publish "
                    "from time to time, later or sooner; you shall get small notices."]
    assert kind(doc, sub(f"a {old} way", f"a {new} way")(doc)) == "change"


# --- translations ---------------------------------------------------------------------------------

TRANSLATIONS = ["This policy in other languages:", "- Deutsch", "- Français", "- 日本語"]


def test_translations_list_growing_or_shrinking_is_noise() -> None:
    page = POLICY + TRANSLATIONS
    assert kind(page, page + ["- Português (Brasil)", "- 中文（繁體）"]) == "noise"
    assert kind(page, page[:-1]) == "noise"
    inline = POLICY + ["Also available in: English, Français"]
    assert kind(inline, POLICY + ["Also available in: English, Français, Deutsch"]) == "noise"


@pytest.mark.parametrize("new", [
    ["- Deutsch", "- Français", "- English is the governing language"],
    ["- Deutsch", "- Français (2026 edition)", "- 日本語"],
])
def test_an_edit_in_the_translations_list_alerts(new: list[str]) -> None:
    page = POLICY + TRANSLATIONS
    assert kind(page, POLICY + TRANSLATIONS[:1] + new) == "change"


def test_a_lead_in_reworded_beside_translations_alerts() -> None:
    old = POLICY + ["Support in: English, Français"]
    assert kind(old, POLICY + ["No support in: English, Français"]) == "change"
    for mutation in MUTATIONS:
        assert kind(POLICY + TRANSLATIONS, mutation(POLICY) + TRANSLATIONS[:-1]) == "change"


# --- dates ----------------------------------------------------------------------------------------


def test_only_the_date_line_changing_is_noise() -> None:
    verdict = compare(POLICY, sub("March 3, 2026", "April 9, 2026")(POLICY))
    assert verdict.kind == "noise" and "re-dated" in verdict.reason
    effective = ["Effective Date: 11 August 2025"] + POLICY[2:]
    assert kind(effective, ["Effective Date: 2 February 2026"] + POLICY[2:]) == "noise"


@pytest.mark.parametrize("mutation", [
    *MUTATIONS,
    sub("Last updated: March 3, 2026", "Last updated: April 9, 2026 for users over 16"),
    sub("Last updated: March 3, 2026", "Last updated: April 9, 2026 (version 2)"),
    sub("Last updated: March 3, 2026", "Last reviewed: April 9, 2026"),
], ids=[*MUTATION_IDS, "words-in-date-line", "number-in-date-line", "other-words"])
def test_a_date_change_with_a_clause_change_alerts(mutation: Mutation) -> None:
    new = mutation(POLICY)
    if new[1] == POLICY[1]:
        new[1] = "Last updated: April 9, 2026"
    assert kind(POLICY, new) == "change"


def test_a_date_in_a_clause_is_not_a_date_line() -> None:
    clause = POLICY + ["We will delete inactive accounts from March 1, 2027."]
    assert kind(clause, sub("March 1, 2027", "March 1, 2028")(clause)) == "change"


def test_re_dating_after_an_undated_change_alerts() -> None:
    # v1 dated March 3; v2 adds a clause without a new date (alerted then); v3 only moves the
    # date: the date now marks the change made since March 3, and alerts (low) again.
    v1 = POLICY
    v2 = POLICY + ["We use your messages to train our models unless you opt out."]
    v3 = sub("March 3, 2026", "April 9, 2026")(v2)
    assert kind(v2, v3, history=lambda: [v1]) == "change"
    # the same re-dating with nothing changed since the old date was published is noise
    assert kind(v2, v3, history=lambda: [v2, v1]) == "change"
    assert kind(v1, sub("March 3, 2026", "April 9, 2026")(v1), history=lambda: [v1]) == "noise"


# --- banners --------------------------------------------------------------------------------------

BANNER = ["We've updated our Privacy Policy. Please review it before the changes take effect "
          "on May 1, 2026.", "- Read a summary of the changes"]


def test_update_banner_appearing_and_disappearing_is_noise() -> None:
    assert kind(POLICY, BANNER + POLICY) == "noise"
    assert kind(BANNER + POLICY, POLICY) == "noise"


@pytest.mark.parametrize("extra", [
    "We sell your personal data to advertisers.",
    "- We keep your messages for 90 days.",
    "- Sell your data",
], ids=["clause", "number", "list-item"])
def test_a_clause_beside_a_banner_alerts(extra: str) -> None:
    assert kind(POLICY, BANNER + [extra] + POLICY) == "change"
    assert kind([extra] + BANNER + POLICY, POLICY) == "change"


@pytest.mark.parametrize("mutation", MUTATIONS, ids=MUTATION_IDS)
def test_an_edit_beside_a_banner_alerts(mutation: Mutation) -> None:
    assert kind(POLICY, BANNER + mutation(POLICY)) == "change"


def test_a_banner_reworded_alerts() -> None:
    assert kind(BANNER + POLICY, [BANNER[0].replace("May 1", "May 15")] + BANNER[1:] + POLICY
                ) == "change"


# --- a section that comes and goes ----------------------------------------------------------------

HELP = ["## Other ways to get help", "Our support team answers questions about your account "
        "in the help centre, every day of the week."]


def test_section_back_with_other_noise_is_a_flap() -> None:
    v1 = ["Blog", "Press"] + POLICY + HELP
    v2 = ["Blog", "Press"] + POLICY  # the section went (an alert then, or a flap)
    v3 = ["Blog", "Careers"] + POLICY + HELP  # it is back, and the menu moved
    verdict = compare(v2, v3, history=lambda: [v1])
    assert verdict.kind == "noise" and "flap" in verdict.reason


@pytest.mark.parametrize("mutation", MUTATIONS, ids=MUTATION_IDS)
def test_a_section_back_with_an_edit_alerts(mutation: Mutation) -> None:
    v1 = ["Blog", "Press"] + POLICY + HELP
    v2 = ["Blog", "Press"] + POLICY
    v3 = ["Blog", "Careers"] + mutation(POLICY) + HELP
    assert kind(v2, v3, history=lambda: [v1]) == "change"


def test_a_restored_clause_after_other_changes_alerts() -> None:
    v1 = POLICY
    v2 = drop("- Usage data about the features you open.")(POLICY)
    v3 = NUMBER(POLICY)  # the list item is back, and the retention period changed
    assert kind(v2, v3, history=lambda: [v1]) == "change"


# --- another page ---------------------------------------------------------------------------------


def test_region_chooser_or_hub_in_place_of_the_policy_is_blocked() -> None:
    long_policy = POLICY + [f"Clause {n}: we handle requests of type {n} within a reasonable "
                            "time and tell you the outcome." for n in range(20)]
    chooser = ["# Choose your region", "United States", "Deutschland", "France", "日本",
               "United Kingdom", "España"]
    assert kind(long_policy, chooser) == "blocked"
    hub = ["# Legal", "Terms of Service: the rules for using our apps and websites.",
           "Privacy Policy: how we handle personal data.", "Cookie Policy", "Brand guidelines"]
    assert kind(long_policy, hub) == "blocked"


def test_policy_rewritten_shorter_under_its_title_alerts() -> None:
    long_policy = POLICY + [f"Clause {n}: we handle requests of type {n} within a reasonable "
                            "time and tell you the outcome." for n in range(20)]
    short = ["# Privacy Policy", "We collect only your e-mail address and delete it when you "
             "close your account. We never sell or share it."]
    assert kind(long_policy, short) == "change"
    # most clauses deleted, the rest kept: a change (a text that merely stops early is a
    # truncated capture, tested in test_compare.py)
    assert kind(long_policy, long_policy[:5] + long_policy[-3:]) == "change"


# --- the older rules: navigation, notices, localisation, obfuscation, appended pages ------------

TOC = ["- 1. What we collect", "- 2. Sharing", "- 3. Retention", "- 4. Your rights"]


@pytest.mark.parametrize("extra", [
    "- 6. We may sell your personal data",  # a clause among the entries
    "- 3. Retention of 30 days",  # a number
    "- 2. Selling",  # a word the document does not head a section with
], ids=["clause", "number", "word-swap"])
def test_table_of_contents_carrying_an_edit_alerts(extra: str) -> None:
    assert kind(POLICY, POLICY[:3] + TOC + POLICY[3:]) == "noise"
    assert kind(POLICY, POLICY[:3] + TOC + [extra] + POLICY[3:]) == "change"


@pytest.mark.parametrize("mutation", MUTATIONS, ids=MUTATION_IDS)
def test_table_of_contents_removed_with_an_edit_alerts(mutation: Mutation) -> None:
    with_toc = POLICY[:3] + TOC + POLICY[3:]
    assert kind(with_toc, mutation(POLICY)) == "change"


def test_lone_heading_but_not_a_section_or_a_renamed_heading() -> None:
    assert kind(POLICY, POLICY + ["## 6. Advertising"]) == "noise"
    assert kind(POLICY, POLICY + ["## 6. Advertising", "We show ads based on your activity."]
                ) == "change"
    assert kind(POLICY, sub("## 2. Sharing", "## 2. Selling")(POLICY)) == "change"


def test_language_switcher_with_a_clause_alerts() -> None:
    assert kind(POLICY, POLICY + ["English Deutsch 日本語"]) == "noise"
    assert kind(POLICY, POLICY + ["English Deutsch 日本語", "We sell your data."]) == "change"
    assert kind(POLICY, POLICY + ["English Deutsch 2026"]) == "change"


@pytest.mark.parametrize("mutation", MUTATIONS, ids=MUTATION_IDS)
def test_announced_version_taking_effect_with_another_edit_alerts(mutation: Mutation) -> None:
    announced = (["We have made some updates to our Privacy Policy. This version will go into "
                  "effect on June 1, 2026. Until then, the current policy continues to apply."]
                 + POLICY + ["# Privacy Policy", "## Effective until June 1, 2026"] + POLICY[1:])
    took_effect = ["Effective: June 1, 2026"] + POLICY
    assert kind(announced, took_effect) == "noise"
    assert kind(announced, ["Effective: June 1, 2026"] + mutation(POLICY)) == "change"


@pytest.mark.parametrize("mutation", [DROP_NOT, NUMBER, SWAP], ids=["dropped-not", "number",
                                                                     "word-swap"])
def test_obfuscated_address_beside_an_edit_alerts(mutation: Mutation) -> None:
    hidden = sub("privacy@northwind.example", "[email protected]")
    assert kind(POLICY, hidden(POLICY)) == "noise"
    assert kind(POLICY, hidden(mutation(POLICY))) == "change"


def test_localised_label_with_another_number_alerts() -> None:
    english = POLICY + ["Effective as of 5 January 2022 (view previous version)"]
    german = POLICY + ["Gültig ab 5 January 2022 (vorherige Version ansehen)"]
    assert kind(english, german) == "noise"
    assert kind(english, sub("5 January", "15 January")(german)) == "change"
    assert kind(english, DROP_NOT(german)) == "change"


def test_appended_text_without_its_own_title_alerts() -> None:
    hub = ["# Northwind Privacy Centre", "## Our approach",
           "Privacy is at the heart of what we build, every day, for every customer."]
    assert kind(POLICY, POLICY + hub) == "noise"
    assert kind(POLICY, POLICY + hub[1:]) == "change"  # no page title: part of the policy
    assert kind(POLICY, POLICY[:-1] + hub) == "change"  # and the last clause went


def test_counter_or_copyright_with_an_edit_alerts() -> None:
    page = POLICY + ["3 out of 4 found this helpful", "\u00a9 2025 Northwind Labs. All rights "
                     "reserved."]
    rolled = sub("\u00a9 2025", "\u00a9 2026")(sub("3 out of 4", "4 out of 5")(page))
    assert kind(page, rolled) == "noise"
    for mutation in MUTATIONS:
        assert kind(page, mutation(rolled)) == "change"
    assert kind(page, sub("Labs. All rights", "Labs. No rights")(rolled)) == "change"

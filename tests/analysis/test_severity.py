"""watcher_app.analysis.severity: severity from the findings (the most consequential decides),
the reason that quotes the clause, editorial and small changes, and the fitted caps."""

from __future__ import annotations

from tests.analysis.conftest import Edit
from watcher_app.analysis import analyze_change
from watcher_app.analysis.acts import Finding
from watcher_app.analysis.params import Params
from watcher_app.analysis.severity import by_consequence, calibrate


def test_training_on_user_content_is_high_and_quoted(policy: str, edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We may use your conversations to train our models unless you opt out.")
    a = analyze_change(policy, new)
    assert a.severity == "high"
    assert a.severity_reason.startswith("High: “do not use your conversations to train” "
                                        "became “may use your conversations to train our "
                                        "models unless you opt out”")
    assert a.severity_reason.endswith("(ai-training)")


def test_adding_a_promise_not_to_sell_is_in_users_favour(policy: str, edit: Edit) -> None:
    new = edit("We share information with service providers who help us run the service.",
               "We share information with service providers who help us run the service. "
               "We do not sell your personal data.")
    a = analyze_change(policy, new)
    assert "data-sharing" in a.categories  # the topic is touched ...
    assert a.severity == "medium"  # ... meaningfully, but nothing is expanded
    assert "in users' favour" in a.severity_reason


def test_adding_selling_is_high(policy: str, edit: Edit) -> None:
    new = edit("We share information with service providers who help us run the service.",
               "We share information with service providers who help us run the service. "
               "We may sell your personal data to marketing companies.")
    a = analyze_change(policy, new)
    assert a.severity == "high" and "selling" in a.severity_reason
    assert "data-sharing" in a.categories


def test_removing_a_promise_not_to_share_is_an_expansion(policy: str, edit: Edit) -> None:
    old = edit("We share information with service providers who help us run the service.",
               "We share information with service providers who help us run the service. "
               "We do not share your personal data with advertisers.")
    a = analyze_change(old, policy)
    assert a.severity == "high"
    assert "removes a promise not to" in a.severity_reason
    assert a.removed_sentences == ("We do not share your personal data with advertisers.",)
    assert "; removes: “We do not share your personal data with advertisers.”" in a.summary


def test_removing_an_opt_out_is_high_and_adding_one_is_not(policy: str, edit: Edit) -> None:
    control = "You can opt out of personalised recommendations in your settings."
    without = edit("\n" + control, "")
    removed = analyze_change(policy, without)
    assert removed.severity == "high"
    assert "removes a user control: an opt-out" in removed.severity_reason
    added = analyze_change(without, policy)
    assert added.severity == "medium" and "adds a user control" in added.severity_reason


def test_a_rule_for_users_is_not_a_data_practice(policy: str, edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Your obligations\nYou may not sell data you obtain "
               "from the service.\n## 7. Contact")
    assert analyze_change(policy, new).severity != "high"


def test_restating_an_existing_clause_does_not_trigger_high(policy: str, edit: Edit) -> None:
    waiver = ("You waive the right to participate as a plaintiff or class member in any class "
              "action against us.")
    old = edit("## 5. Disputes", "## 5. Disputes\n" + waiver)
    repeated = edit("Any dispute will be decided", waiver + " Any dispute will be decided",
                    old)
    assert analyze_change(old, repeated).severity != "high"
    fresh = analyze_change(policy, old)
    assert fresh.severity == "high" and "class-action" in fresh.severity_reason
    assert fresh.categories == ("dispute-resolution",)


def test_date_only_change_is_low_and_editorial(policy: str, edit: Edit) -> None:
    a = analyze_change(policy, edit("March 3, 2025", "June 9, 2025"))
    assert (a.severity, a.categories) == ("low", ("editorial",))
    assert a.severity_reason.startswith("Low:")
    assert a.effective_date == "2025-06-09"
    assert a.category_hits[0].evidence == ("edits: “Last updated: June 9, 2025”",)


def test_longer_retention_is_medium_and_much_longer_is_high(policy: str, edit: Edit) -> None:
    a = analyze_change(policy, edit("for 30 days", "for 90 days"))
    assert (a.severity, a.categories) == ("medium", ("data-retention",))
    assert "data is kept longer (30 days → 90 days)" in a.severity_reason
    assert analyze_change(policy, edit("for 30 days", "for 5 years")).severity == "high"


def test_small_clarification_is_low(policy: str, edit: Edit) -> None:
    new = edit("We use your information to run and improve the service.",
               "We use your information to run, secure and improve the service.")
    assert analyze_change(policy, new).severity == "low"


def test_new_obligation_is_at_least_medium(policy: str, edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Your commitments\nYou must not use automated means "
               "such as bots or scrapers to access the service.\nWe may suspend accounts "
               "that break these rules.\n## 7. Contact")
    a = analyze_change(policy, new)
    assert a.severity == "medium"
    assert "acceptable-use" in a.categories


def test_venue_change_is_medium_dispute_resolution(policy: str, edit: Edit) -> None:
    new = edit("by the courts of your country of residence",
               "exclusively by the courts located in Dublin, Ireland")
    a = analyze_change(policy, new)
    assert a.severity == "medium"
    assert a.categories == ("dispute-resolution",)


def test_most_consequential_element_decides(policy: str, edit: Edit) -> None:
    new = edit("March 3, 2025", "June 9, 2025")
    new = edit("for 30 days", "for 90 days", new)
    new = edit("We do not use your conversations to train our models.",
               "We use your conversations to train our models.", new)
    a = analyze_change(policy, new)
    assert a.severity == "high"
    assert set(a.categories) >= {"ai-training", "data-retention"}
    assert "editorial" not in a.categories
    assert [f.level for f in a.findings][:2] == ["high", "medium"]  # worst first


def test_no_wording_change_is_low(policy: str) -> None:
    a = analyze_change(policy, policy)
    assert a.severity == "low" and a.categories == () and a.summary == "No wording changed."


def test_findings_are_ordered_by_consequence() -> None:
    better = Finding("state", "ai-training", "medium", "better", "ruled out")
    worse = Finding("quantity", "data-retention", "medium", "worse", "kept longer")
    statement = Finding("statement", "data-sharing", "high", "worse", "sells data")
    clause = Finding("state", "data-sharing", "high", "worse", "selling allowed")
    assert by_consequence([better, worse, statement, clause]) == [clause, statement, worse,
                                                                  better]


def test_the_fitted_cap_lowers_limited_protections_only() -> None:
    limited = Finding("state", "security", "high", "worse", "x", act="encrypt", limited=True)
    assert calibrate([limited], Params(limited_cap=False))[0].level == "high"
    assert calibrate([limited], Params(limited_cap=True))[0].level == "medium"
    # a practice allowed only in some places is still what the users there get
    practice = Finding("state", "data-sharing", "high", "worse", "z", act="sell", limited=True)
    assert calibrate([practice], Params(limited_cap=True))[0].level == "high"


def test_a_retitled_heading_states_no_practice() -> None:
    # a real TikTok edit: "Children" renamed "users of the Under 13 Experience" throughout, the
    # section heading with it; the title names a section, it does not newly share anything
    old = ("# Privacy\n## 1. Data\nWe collect your email address.\n"
           "## 2. How We Share Children's Information\n"
           "TikTok does not sell information from Children to third parties.\n## 3. Contact\n")
    new = ("# Privacy\n## 1. Data\nWe collect your email address.\n"
           "## 2. How We Share Information of Users of the Under 13 Experience\n"
           "TikTok does not sell information from users of the Under 13 Experience to third "
           "parties.\n## 3. Contact\n")
    got = analyze_change(old, new)
    assert not any("How We Share" in f.new for f in got.findings)
    assert "How We Share" not in got.severity_reason

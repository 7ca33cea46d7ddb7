"""The challenge set: clause edits of our own inside the policies of tests/analysis/policies.py,
each with the severity and the categories a careful analyst gives it (the rubric of
../shared/realworld/README.md: high = limits legal rights, materially expands data use or
sharing, or removes a user control or protection; medium = meaningful with limited scope or
safeguards, or in users' favour; low = editorial, dates, clarifications).

Every case must come out exactly right, with the shipped (fitted) thresholds, and none that
matters may come out low. The reason must quote the clause it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.analysis.policies import DOCUMENTS, swap
from watcher_app.analysis import analyze_change


@dataclass(frozen=True)
class Edit:
    id: str
    doc: str  # key of DOCUMENTS
    old: str  # a clause of the document
    new: str  # what it becomes ("" = removed with its line)
    severity: str
    categories: frozenset[str]
    quote: str = ""  # a phrase the severity reason must quote


def E(id: str, doc: str, old: str, new: str, severity: str, *categories: str,  # noqa: N802
      quote: str = "") -> Edit:
    return Edit(id, doc, old, new, severity, frozenset(categories), quote)


def added_after(anchor: str, sentence: str) -> str:
    return f"{anchor}\n{sentence}"


CASES = [
    # --- AI training, both directions ------------------------------------------------------
    E("training-on-by-default", "ai",
      "Content submitted through the AI Features is not used to train our models.",
      "Content submitted through the AI Features may be used to train our models unless you "
      "opt out.", "high", "ai-training", quote="is not used to train"),
    E("training-ruled-out", "ai",
      "We use your content to provide and maintain the AI Features.",
      "We use your content to provide and maintain the AI Features. We never use your "
      "content to train our models.", "medium", "ai-training"),
    E("training-opt-in-becomes-opt-out", "ai",
      "We only use ratings you give to answers to improve our models if you opt in.",
      "We use ratings you give to answers to improve our models unless you opt out in your "
      "settings.", "high", "ai-training"),
    E("training-purpose-added", "ai",
      "We use your content to provide and maintain the AI Features.",
      "We use your content to provide and maintain the AI Features and to train our AI "
      "models.", "high", "ai-training"),
    # --- selling and sharing ---------------------------------------------------------------
    E("selling-allowed", "privacy", "We do not sell your personal information.",
      "We may sell your personal information to data brokers.", "high", "data-sharing",
      quote="do not sell"),
    E("advertisers-added-to-recipients", "privacy",
      "We share your information with service providers who process it on our behalf.",
      "We share your information with service providers and advertising partners who "
      "process it on our behalf.", "high", "data-sharing", quote="advertising partners"),
    E("recipients-narrowed", "privacy",
      "We share your information with service providers who process it on our behalf.",
      "We share your information only with service providers who process it on our behalf "
      "and under our instructions.", "medium", "data-sharing"),
    E("no-sharing-promise-removed", "privacy", "We do not share your notes with advertisers.",
      "", "high", "data-sharing"),
    E("human-review", "ai",
      "Conversations flagged by our safety systems are reviewed by automated systems.",
      "Conversations flagged by our safety systems are reviewed by our staff and "
      "contractors.", "high", "data-sharing", quote="staff and contractors"),
    # --- retention ---------------------------------------------------------------------------
    E("retention-tripled", "privacy", "We keep activity logs for 30 days.",
      "We keep activity logs for 90 days.", "medium", "data-retention", quote="30 days"),
    E("retention-thirty-days-to-three-years", "privacy",
      "We delete voice recordings after 30 days.",
      "We delete voice recordings after 3 years.", "high", "data-retention"),
    E("retention-indefinite", "privacy", "We retain backups for 12 months.",
      "We retain backups indefinitely.", "high", "data-retention"),
    E("retention-shortened", "ai", "We keep AI conversation history for 30 days.",
      "We keep AI conversation history for 7 days.", "medium", "data-retention"),
    # --- notice periods ----------------------------------------------------------------------
    E("notice-30-to-7-days", "privacy",
      "We will notify you at least 30 days before changes to this policy take effect.",
      "We will notify you at least 7 days before changes to this policy take effect.",
      "medium", "changes-to-terms", quote="30 days"),
    E("notice-of-changes-removed", "terms",
      "We will notify you by e-mail at least 30 days before any material change to these "
      "Terms takes effect.",
      "We may change these Terms at any time without notice.", "high", "changes-to-terms"),
    E("notice-before-closing-removed", "terms",
      "We will give you 30 days' notice before we close your account for inactivity.",
      "We may close your account for inactivity without notice.", "high", "termination"),
    # --- arbitration and venue ---------------------------------------------------------------
    E("arbitration-added", "terms",
      "Any dispute will be resolved by the courts of your country of residence.",
      "Any dispute will be resolved by binding individual arbitration.", "high",
      "dispute-resolution", quote="arbitration"),
    E("venue-moved", "terms",
      "Any dispute will be resolved by the courts of your country of residence.",
      "Any dispute will be resolved exclusively by the courts located in Dublin, Ireland.",
      "medium", "dispute-resolution"),
    E("class-action-waiver-added", "terms",
      "Any dispute will be resolved by the courts of your country of residence.",
      added_after("Any dispute will be resolved by the courts of your country of residence.",
                  "You and Lumen agree that each may bring claims against the other only in "
                  "an individual capacity and not as a plaintiff or class member in any class "
                  "action."), "high", "dispute-resolution"),
    E("governing-law-changed", "terms",
      "These Terms are governed by the laws of your country of residence.",
      "These Terms are governed by the laws of the State of Delaware.", "medium",
      "dispute-resolution"),
    E("arbitration-dropped", "terms",
      "Any dispute will be resolved by the courts of your country of residence.",
      "Any dispute will be resolved by the courts of your country of residence, and neither "
      "party may require arbitration.", "medium", "dispute-resolution"),
    E("claims-window-halved", "terms",
      "You must bring any claim within two years of the events giving rise to it.",
      "You must bring any claim within one year of the events giving rise to it.", "high",
      "dispute-resolution"),
    # --- liability ---------------------------------------------------------------------------
    E("liability-cap-cut", "terms", "Our total liability to you will not exceed $500.",
      "Our total liability to you will not exceed $50.", "high", "liability", quote="$500"),
    E("negligence-liability-excluded", "terms",
      "We are liable for losses caused by our negligence.",
      "We are not liable for any losses, including losses caused by our negligence.",
      "high", "liability"),
    E("indemnity-added", "terms", "You are responsible for keeping your password secure.",
      added_after("You are responsible for keeping your password secure.",
                  "You agree to indemnify and hold Lumen harmless from any claims arising "
                  "from your use of the Services."), "medium", "liability"),
    # --- licences ----------------------------------------------------------------------------
    E("licence-broadened", "terms",
      "You grant us a non-exclusive, royalty-free licence to host and display your content "
      "to operate the Services.",
      "You grant us a perpetual, irrevocable, worldwide, sublicensable licence to use, "
      "modify and commercialise your content for any purpose.", "high", "content-license",
      quote="perpetual"),
    E("licence-survives-deletion", "terms", "This licence ends when you delete your content.",
      "This licence survives even after you delete your content.", "high",
      "content-license"),
    E("licence-covers-training", "terms",
      "You grant us a non-exclusive, royalty-free licence to host and display your content "
      "to operate the Services.",
      "You grant us a non-exclusive, royalty-free licence to host, display and use your "
      "content to operate the Services and to train our AI models.", "high",
      "content-license", "ai-training"),
    # --- minimum age ------------------------------------------------------------------------
    E("minimum-age-lowered", "terms", "You must be at least 16 years old to use the Services.",
      "You must be at least 13 years old to use the Services.", "medium", "minors",
      quote="16 years old"),
    E("children-age-raised", "privacy",
      "We do not knowingly collect information from children under 13.",
      "We do not knowingly collect information from children under 16.", "medium",
      "minors"),
    E("parental-consent-removed", "privacy",
      "Users under 18 need the consent of a parent or guardian to use the Services.", "",
      "high", "minors"),
    # --- law-enforcement disclosure -------------------------------------------------------
    E("notice-before-disclosure-removed", "privacy",
      "We will notify you before disclosing your data to law enforcement unless we are "
      "prohibited by law from doing so.",
      "We may disclose your data to law enforcement.", "high", "law-enforcement"),
    E("court-order-requirement-dropped", "privacy",
      "We disclose information to law enforcement only in response to a valid court order.",
      "We disclose information to law enforcement in response to any request we believe is "
      "lawful.", "high", "law-enforcement"),
    # --- termination -------------------------------------------------------------------------
    E("termination-at-will", "terms",
      "We may suspend your account if you materially breach these Terms.",
      "We may suspend or terminate your account at any time for any reason.", "high",
      "termination"),
    # --- refunds and prices -------------------------------------------------------------------
    E("refunds-removed", "terms", "You may request a refund within 14 days of purchase.",
      "All purchases are final and non-refundable.", "high", "payments", quote="refund"),
    E("refund-window-shortened", "terms",
      "You may request a refund within 14 days of purchase.",
      "You may request a refund within 3 days of purchase.", "medium", "payments"),
    E("price-raised", "terms", "Subscription fees are $10 per month.",
      "Subscription fees are $15 per month.", "medium", "payments"),
    # --- security ------------------------------------------------------------------------------
    E("encryption-at-rest-removed", "privacy",
      "We encrypt your notes in transit and at rest.",
      "We protect your notes in transit.", "high", "security", quote="encrypt"),
    E("breach-notice-slower", "privacy",
      "We will notify you within 72 hours of becoming aware of a breach affecting your data.",
      "We will notify you within 30 days of becoming aware of a breach affecting your data.",
      "medium", "security"),
    E("encryption-added", "ai", "We keep AI conversation history for 30 days.",
      "We keep AI conversation history for 30 days, encrypted at rest.", "medium",
      "security"),
    # --- deletion and access rights -----------------------------------------------------------
    E("deletion-becomes-discretionary", "privacy",
      "You can delete your account and all associated data at any time in your settings.",
      "You can ask us to delete your account, but we may decline requests at our "
      "discretion.", "high", "user-rights"),
    E("download-right-removed", "privacy",
      "You can download a copy of your data at any time.", "", "high", "user-rights"),
    E("response-deadline-longer", "privacy",
      "We will respond to your request within 30 days.",
      "We will respond to your request within 90 days.", "medium", "user-rights"),
    E("right-to-object-added", "privacy",
      "You can download a copy of your data at any time.",
      added_after("You can download a copy of your data at any time.",
                  "You have the right to object to our use of your data for direct "
                  "marketing."), "medium", "user-rights"),
    # --- renames, contacts, dates ------------------------------------------------------------
    E("company-renamed", "terms",
      "These Terms are an agreement between you and Lumen Labs Ltd",
      "These Terms are an agreement between you and Lumen AI Inc.", "low", "editorial"),
    E("contact-address-changed", "privacy",
      "Write to privacy@lumen.example or to Lumen Labs Ltd, 12 Harbour Street, Portsmouth.",
      "Write to dataprotection@lumen.example or to Lumen Labs Ltd, 40 Quay Road, "
      "Southampton.", "low", "editorial"),
    E("date-only", "privacy", "Last updated: March 3, 2025", "Last updated: June 9, 2025",
      "low", "editorial"),
    # --- the same kinds of edit in other words --------------------------------------------------
    E("kept-until-user-deletes", "notice", "Photos you upload are deleted after 24 hours.",
      "Photos you upload are kept until you delete them.", "high", "data-retention"),
    E("retention-figure-appears", "notice",
      "We retain your data for as long as your account is active.",
      "We retain your data for five years after you close your account.", "medium",
      "data-retention"),
    E("support-access-without-permission", "notice",
      "Our support team can access your files only with your permission.",
      "Our support team can access your files to troubleshoot issues.", "high",
      "data-sharing"),
    E("shared-data-no-longer-de-identified", "notice",
      "We may share aggregated, de-identified data with partners.",
      "We may share your personal data with partners.", "high", "data-sharing"),
    E("sharing-promise-becomes-consent", "notice",
      "We will never share your health data with insurers.",
      "We may share your health data with insurers with your consent.", "medium",
      "data-sharing"),
    E("messages-used-for-ads", "notice", "We don't use your messages for advertising.",
      "We use your messages to show you personalised ads.", "high", "data-sharing"),
    E("data-moves-abroad", "notice", "We store your data in the European Union.",
      "We store your data in the United States and other countries.", "medium",
      "data-sharing"),
    E("suspension-without-notice", "notice",
      "We may suspend your account after notifying you.",
      "We may suspend your account at any time without notice.", "high", "termination"),
    E("prorated-refund-dropped", "notice",
      "You may cancel at any time and receive a prorated refund.",
      "You may cancel at any time; fees already paid are non-refundable.", "high",
      "payments"),
    E("class-waiver-dropped", "notice",
      "You waive any right to participate in a class action against Orbit.",
      "You may bring claims against Orbit individually or as part of a class action.",
      "medium", "dispute-resolution"),
    # --- clarifications --------------------------------------------------------------------------
    E("contact-sentence-clarified", "privacy", "If you have questions, please contact us.",
      "If you have any questions about this policy, please contact us.", "low", "editorial"),
    E("definition-reworded", "terms",
      "These Terms are an agreement between you and Lumen Labs Ltd (\"Lumen\", \"we\", "
      "\"us\").",
      "These Terms form an agreement between you and Lumen Labs Ltd (\"Lumen\", \"we\" or "
      "\"us\").", "low", "editorial"),
]


@pytest.mark.parametrize("edit", CASES, ids=[c.id for c in CASES])
def test_challenge_case(edit: Edit) -> None:
    old = DOCUMENTS[edit.doc]
    new = swap(old, "\n" + edit.old, "") if not edit.new else swap(old, edit.old, edit.new)
    a = analyze_change(old, new)
    got = (a.severity, frozenset(a.categories))
    assert got == (edit.severity, edit.categories), (a.severity_reason, a.categories)
    assert a.severity_reason.lower().startswith(a.severity)
    if edit.quote:
        assert edit.quote in a.severity_reason, a.severity_reason


def test_the_challenge_set_is_wide() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    topics = {c for e in CASES for c in e.categories}
    assert topics >= {"ai-training", "data-sharing", "data-retention", "changes-to-terms",
                      "dispute-resolution", "liability", "content-license", "minors",
                      "law-enforcement", "termination", "payments", "security", "user-rights",
                      "editorial"}
    assert {c.severity for c in CASES} == {"low", "medium", "high"}


def test_flagship_reason_quotes_both_versions_of_the_clause() -> None:
    edit = CASES[0]
    old = DOCUMENTS["ai"]
    a = analyze_change(old, swap(old, edit.old, edit.new))
    assert a.severity_reason.startswith("High: “is not used to train” became “may be used to "
                                        "train")
    assert "unless you opt out" in a.severity_reason
    assert "on by default" in a.severity_reason
    finding = a.findings[0]
    assert (finding.topic, finding.effect, finding.level) == ("ai-training", "worse", "high")
    assert finding.old == "is not used to train"

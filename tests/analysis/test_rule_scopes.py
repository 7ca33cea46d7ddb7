"""Where a topic word or an act does not mean what it usually means: markup moved across a comma,
an update banner, where data is stored (not how long), a rule against abusing an appeals channel
(not an appeal), fraud named as what a practice prevents, a user distributing their own apps,
consent withdrawn (not a purchase), a financial interest transferred or an award received (not
data), a software licence or a lone "modify" (not a content licence), content provided by others
(not shared), a ban opened by "Fundamentally, do not" (a rule for users), an Internet service
provider (no recipient of data), use "in a responsible manner" (no liability), what "you will
need to" store (no retention by the platform), "encrypted backups" named (no encryption added, but
backups kept). Each case has its counterpart: the same words
stating the real thing still count."""

from __future__ import annotations

from tests.analysis.conftest import Edit
from watcher_app.analysis import analyze_change
from watcher_app.analysis.acts import read_acts, topic_of
from watcher_app.analysis.categories import score_categories
from watcher_app.analysis.rules import load_rules
from watcher_app.analysis.sections import diff_sentences


def _with_section(edit: Edit, body: str) -> str:
    return edit("## 6. Contact", f"## 6. More\n{body}\n## 7. Contact")


def test_emphasis_moved_across_a_comma_is_editorial(policy: str, edit: Edit) -> None:
    old = _with_section(edit, "_If you cannot reach our Privacy page_, you or your agent can "
                              "make a request by mail.")
    new = old.replace("Privacy page_,", "Privacy page,_")
    a = analyze_change(old, new)
    assert (a.severity, a.categories) == ("low", ("editorial",))
    # a word changed in the same place is not
    changed = old.replace("by mail.", "by mail only.")
    assert not analyze_change(old, changed).severity_reason.startswith("Low: editorial")


def test_an_update_banner_is_editorial(policy: str, edit: Edit) -> None:
    banner = ("We're updating our Terms of Service on 30 July 2026 to make them easier to "
              "understand.\nUntil then, the terms below continue to apply.\n"
              "See a preview of the new terms\nReview a summary of key changes")
    new = edit("Last updated: March 3, 2025", f"Last updated: March 3, 2025\n{banner}")
    a = analyze_change(policy, new)
    assert (a.severity, a.categories) == ("low", ("editorial",))


def test_where_data_is_stored_is_not_how_long_it_is_kept() -> None:
    for sentence in ("Personal data is generally stored by Example Inc. in the United States.",
                     "Regardless of where your personal data is stored, we protect it.",
                     "Your data is stored on servers located in Ireland."):
        assert "retain" not in read_acts(sentence), sentence
    for sentence in ("Your personal data is stored for five years after you close your account.",
                     "We retain your messages until you delete them."):
        assert "retain" in read_acts(sentence), sentence


def test_a_rule_against_abusing_appeals_is_not_an_appeal_right() -> None:
    assert "appeal" not in read_acts("You may not misuse any reporting or appeals channel, "
                                     "such as by making groundless reports or appeals.")
    assert "appeal" in read_acts("You may appeal any decision to remove your content.")


def test_a_rule_against_misusing_appeals_dropped_is_not_a_lost_control(policy: str,
                                                                      edit: Edit) -> None:
    rule = ("You may not misuse any reporting or appeals channel, such as by making "
            "fraudulent or groundless reports or appeals.")
    old = _with_section(edit, f"We review reports of content that breaks our rules.\n{rule}")
    a = analyze_change(old, old.replace(f"\n{rule}", ""))
    assert a.severity != "high", a.severity_reason
    assert "user-rights" not in a.categories
    # dropping the appeal itself is the high change it always was
    appeal = "You may appeal any decision to remove your content."
    old = _with_section(edit, f"We review reports of content that breaks our rules.\n{appeal}")
    lost = analyze_change(old, old.replace(f"\n{appeal}", ""))
    assert lost.severity == "high", lost.severity_reason


def test_fraud_prevented_is_a_purpose_not_a_conduct_rule(policy: str, edit: Edit) -> None:
    old = _with_section(edit, "We use your data to provide the Services.")
    purpose = old.replace("provide the Services.", "provide the Services and to detect and "
                          "prevent fraud and abuse.")
    assert "acceptable-use" not in analyze_change(old, purpose).categories
    rule = old.replace("provide the Services.", "provide the Services.\nYou may not use the "
                       "Services to commit fraud or to harass others.")
    assert "acceptable-use" in analyze_change(old, rule).categories


def test_users_distributing_their_apps_grant_no_licence(policy: str, edit: Edit) -> None:
    old = _with_section(edit, "Developers can distribute apps from our store.")
    new = old.replace("from our store.", "from our store and from alternative marketplaces.")
    assert "content-license" not in analyze_change(old, new).categories
    grant = old.replace("from our store.", "from our store.\nYou grant us a licence to "
                        "reproduce, modify and distribute your content.")
    assert "content-license" in analyze_change(old, grant).categories


def test_withdrawing_consent_is_not_cancelling_a_purchase() -> None:
    for sentence in ("You have the right to withdraw that consent at any time.",
                     "You have the right to withdraw your consent to marketing."):
        assert "cancel" not in read_acts(sentence), sentence
    # the consumer's right of withdrawal from a contract still is one
    for sentence in ("You have the right to withdraw from this contract within 14 days.",
                     "The right of withdrawal does not apply to digital content."):
        assert "cancel" in read_acts(sentence), sentence


def test_a_financial_interest_transferred_is_no_data_shared() -> None:
    sentence = ("You and we agree to disclose any financial interest that you or we have "
                "assigned or transferred to a third party.")
    assert "share" not in read_acts(sentence)
    # data transferred, or "it" where the paragraph says what it is, still is
    assert read_acts("We transfer your personal data to third parties.")["share"].state == 3
    block = "We collect your precise location. We share it with our partners."
    assert read_acts("We share it with our partners.", block)["share"].state == 3


def test_an_appeal_to_arbitration_or_a_disputes_body_is_about_dispute_resolution() -> None:
    def topic(sentence: str) -> str:
        return topic_of(read_acts(sentence)["appeal"].act, sentence, rules=load_rules())

    assert topic("If several parties appeal from a final award in an arbitration, the "
                 "appeals are heard together.") == "dispute-resolution"
    assert topic("You may refer the matter to an independent dispute resolution body."
                 ) == "dispute-resolution"
    # an appeal of a moderation decision, or a plain one, is not
    assert topic("You can appeal a decision to suspend your account.") == "acceptable-use"
    assert topic("You can appeal our decision.") == "user-rights"


def test_an_award_received_is_no_data_collected() -> None:
    assert "collect" not in read_acts("This applies in any arbitration in which either you or "
                                      "we receive a final award of $250,000 or more.")
    # data, or what the paragraph says it is, received still is
    assert read_acts("We collect your name, email address and phone number.")["collect"].state == 3
    assert read_acts("We receive it from your device.",
                     "Your location is shared by your phone. We receive it from your device."
                     )["collect"].state == 3


def test_a_software_licence_or_a_lone_modify_is_no_content_licence() -> None:
    def topics(old: str, new: str) -> set[str]:
        diff = diff_sentences(old, new)
        return {h.name for h in score_categories(diff, [False] * len(diff.edits)).hits}

    base = "# Terms\n\n## Features\n\nWe offer tools to recommend content.\n"
    for added in ("AI features are on for accounts with a Business license package.",
                  "Our tools serve customers, their licensed end users and guests.",
                  "We updated this section to modify language about how features work."):
        assert "content-license" not in topics(base, base + f"\n{added}\n"), added
    # a grant of rights in users' content still is one
    grant = "You grant us a licence to host, reproduce, modify and distribute your content."
    assert "content-license" in topics(base, base + f"\n{grant}\n")


def test_content_provided_by_others_is_no_data_shared() -> None:
    for sentence in ("Our services may also include certain features and content that are "
                     "provided or sponsored by others.",
                     "Additional information about our services is provided for users in "
                     "Austria here."):
        assert "share" not in read_acts(sentence), sentence
    # data provided or made available to someone still is
    for sentence in ("Your personal information may be provided to our partners.",
                     "Your messages are made available directly to your contacts."):
        assert read_acts(sentence)["share"].state == 3, sentence


def test_a_ban_opened_by_an_adverb_is_a_rule_for_users() -> None:
    def acts(lead: str) -> set[str]:
        old = f"# Terms\n\n## Restrictions\n\n{lead}\n\n- spamming other users;\n"
        new = old + "- selling, licensing, or commercializing data obtained from our services;\n"
        return {f.act for f in analyze_change(old, new).findings}

    assert "sell" not in acts("Fundamentally, do not do, try to do, or encourage others to do "
                              "any of the following:")
    assert "sell" not in acts("Please do not do any of the following:")
    # a list of what the platform does is the platform's practice
    assert "sell" in acts("We may do any of the following with your data:")


def test_an_internet_service_provider_is_no_recipient_of_data() -> None:
    def topics(added: str) -> set[str]:
        base = "# Terms\n\n## Network costs\n\nOur apps use the Internet.\n"
        diff = diff_sentences(base, base + f"\n{added}\n")
        return {h.name for h in score_categories(diff, [False] * len(diff.edits)).hits}

    assert "data-sharing" not in topics("These uses may count against your data allowance with "
                                        "your mobile or Internet service providers.")
    # the service providers who receive data still are
    assert "data-sharing" in topics("We rely on service providers who help us run the apps.")


def test_using_a_service_in_a_responsible_manner_is_no_liability() -> None:
    assert "liable" not in read_acts("We expect you to engage with them in a responsible, "
                                     "legal, and safe manner.")
    for sentence in ("We are not responsible for content posted by others.",
                     "We will not be held responsible for any indirect losses.",
                     "Our total liability will not exceed $100."):
        assert "liable" in read_acts(sentence), sentence


def test_what_users_will_need_to_store_is_no_retention_by_the_platform() -> None:
    assert "retain" not in [f.act for f in analyze_change(
        "# Photos\n\nWe show your photos.\n",
        "# Photos\n\nWe show your photos.\nYou will need to initiate saving to your PC to "
        "store those photos until you decide to delete them.\n").findings]
    assert "retain" in [f.act for f in analyze_change(
        "# Photos\n\nWe show your photos.\n",
        "# Photos\n\nWe show your photos.\nWe store those photos until you decide to delete "
        "them.\n").findings]


def test_encrypted_backups_named_are_kept_data_not_encryption_added() -> None:
    acts = read_acts("We keep your encrypted backups if you use our storage services.")
    assert "retain" in acts and "encrypt" not in acts
    assert "encrypt" not in read_acts("Meta may store your encrypted backups.")
    assert "encrypt" not in read_acts("You can choose to use encrypted backups.")
    # encryption stated as what is done still is
    for sentence in ("Your messages are end-to-end encrypted.",
                     "We encrypt your data in transit and at rest.",
                     "Backups are always encrypted with your password.",
                     "We use encryption to protect your files."):
        assert "encrypt" in read_acts(sentence), sentence


def test_a_rule_for_children_is_an_age_rule_not_a_rule_of_conduct() -> None:
    def prohibitions(old: str, new: str) -> list[str]:
        return [f.topic for f in analyze_change(f"# Children\n\n{old}\n",
                                                f"# Children\n\n{new}\n").findings
                if f.act == "prohibition"]

    assert prohibitions("If you're under the Age Limit, do not use the Service, and do not "
                        "provide any personal data to us.",
                        "If you're under the Age Limit, do not use the Service.") == ["minors"]
    # the same list of don'ts for everyone is about conduct
    assert prohibitions("You may not use the Service to send spam, or post malware.",
                        "You may not use the Service to send spam.") == ["acceptable-use"]


def test_sharing_by_users_or_shared_as_an_adjective_is_no_platform_sharing() -> None:
    for sentence in ("Our Services allow sharing of information in many ways, such as your "
                     "profile, posts and messages.",
                     "Please review and edit such content before sharing with others.",
                     "We will honor the audience choices for shared content.",
                     "Microsoft will process your shared data to look for new patterns."):
        assert "share" not in read_acts(sentence), sentence
    for sentence in ("We have shared your personal data with our partners.",
                     "We share your content with advertisers.",
                     "Please note that we share your data with our affiliates."):
        assert "share" in read_acts(sentence), sentence


def test_sharing_with_authorities_and_others_is_also_sharing() -> None:
    both = "Certain laws require us to share information with regulators and third parties."
    assert "share" in read_acts(both) and "authorities" in read_acts(both)
    # with authorities alone it is the authorities' act only
    alone = "Certain laws require us to share information with regulators."
    assert "share" not in read_acts(alone) and "authorities" in read_acts(alone)


def test_a_pointer_to_the_privacy_policy_states_no_practice(policy: str, edit: Edit) -> None:
    # the link text "Privacy Policy" lost from a pointer is no data type dropped
    old = edit("## 6. Contact", "## 6. Contact\nYou can learn about how we collect and use your "
               "information in our Privacy Policy, including the ads we show.")
    new = old.replace("our Privacy Policy,", "our ,")
    assert "data-collection" not in analyze_change(old, new).categories
    old = edit("## 6. Contact", "## 6. Contact\nOur Privacy Policy explains how we collect and "
               "use your information.")
    new = old.replace("Our Privacy Policy explains", "Our explains")
    assert "data-collection" not in analyze_change(old, new).categories

"""watcher_app.analysis.categories: the topics a change touches, named from the clause that
changed (not words nearby), with evidence; editorial when no topic is touched."""

from __future__ import annotations

import json

from tests.analysis.conftest import Edit
from watcher_app.analysis import CATEGORIES, analyze_change
from watcher_app.analysis.categories import score_categories, select_categories
from watcher_app.analysis.params import Params
from watcher_app.analysis.rules import load_rules, rules_dir
from watcher_app.analysis.sections import diff_sentences


def _topics_touched(policy: str, edit: Edit, sentence: str) -> list[str]:
    """The topics scored when `sentence` is added under the example policy's contact heading."""
    new = edit("## 6. Contact", f"## 6. Contact\n{sentence}")
    return [h.name for h in analyze_change(policy, new).category_hits]


def test_rules_are_data_and_name_only_known_categories() -> None:
    rules = load_rules()
    assert set(rules.patterns) <= set(CATEGORIES)
    assert (rules_dir() / "README.md").exists()
    for name in ("categories.json", "severity.json", "negation.json", "editorial.json",
                 "clauses.json", "fitted.json"):
        json.loads((rules_dir() / name).read_text(encoding="utf-8"))
    assert {a["topic"] for a in rules.clauses["acts"].values()} <= set(CATEGORIES)


def test_training_clause_names_ai_training_with_evidence(policy: str, edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We may use your conversations to train our models unless you opt out.")
    a = analyze_change(policy, new)
    # the opt-out is how training is now allowed, not a topic of its own
    assert a.categories == ("ai-training",)
    hit = a.category_hits[0]
    assert hit.name == "ai-training" and any("train" in e for e in hit.evidence)


def test_renamed_entity_and_contact_are_editorial(policy: str, edit: Edit) -> None:
    new = edit("Example Ltd, 1 Sample Street", "Example Holdings Ltd, 9 Other Street")
    # "dpo" inside an e-mail address names no data protection officer
    new = edit("privacy@example.org", "dpo@example.org", new)
    a = analyze_change(policy, new)
    assert (a.severity, a.categories) == ("low", ("editorial",))


def test_editorial_edit_inside_a_topical_clause_names_the_topic(policy: str,
                                                                edit: Edit) -> None:
    old = edit("## 6. Contact", "## 6. Trials\nDuring a trial you agree to the Premium "
               "Offer Terms.\n## 7. Contact")
    new = old.replace("the Premium Offer Terms", "the Paid Subscription Terms")
    a = analyze_change(old, new)
    assert (a.severity, a.categories) == ("low", ("payments",))
    assert a.severity_reason.startswith("Low: editorial")
    assert a.category_hits[0].evidence
    # a renamed company in a clause about nothing in particular stays editorial
    renamed = edit("Example Ltd", "Example Holdings Ltd")
    assert analyze_change(policy, renamed).categories == ("editorial",)


def test_a_changed_preposition_is_editorial(policy: str, edit: Edit) -> None:
    old = edit("## 6. Contact", "## 6. Children\nWe do not knowingly collect information "
               "about, children under 13.\n## 7. Contact")
    new = old.replace("information about, children", "information from children")
    a = analyze_change(old, new)
    assert (a.severity, a.categories) == ("low", ("editorial",))


def test_a_new_section_keeps_its_topic_in_a_big_change(policy: str, edit: Edit) -> None:
    training = " ".join(f"We may use your {w} to train our models." for w in (
        "messages", "photos", "voice recordings", "search history", "profile", "posts"))
    new = edit("We do not use your conversations to train our models.", training)
    new = edit("## 6. Contact", "## 6. If you are under 18\nAdditional protections "
               "apply to members who may be 16 or 17 years old.\n## 7. Contact", new)
    a = analyze_change(policy, new)
    assert a.categories[0] == "ai-training"
    assert "minors" in a.categories


def test_a_list_neighbour_of_an_insertion_is_not_what_changed(edit: Edit) -> None:
    old = edit("We use your information to run and improve the service.",
               "We use your information for verifying your identity, and defending "
               "against fraud, unauthorized use, and illegal activity.")
    new = old.replace("identity, and defending", "identity, estimating your age as required "
                      "by law, and defending")
    a = analyze_change(old, new)
    assert "acceptable-use" not in a.categories
    assert "minors" in a.categories


def test_data_we_collect_as_a_noun_phrase_is_not_collection(policy: str, edit: Edit) -> None:
    new = edit("We use your information to run and improve the service.",
               "We use your information to run and improve the service. We rely on "
               "legitimate interests to use the personal data we collect for analytics.")
    assert "data-collection" not in analyze_change(policy, new).categories
    new = edit("We use your information to run and improve the service.",
               "We use your information to run and improve the service. We collect your "
               "precise device location.")
    assert "data-collection" in analyze_change(policy, new).categories


def test_notice_of_changes_to_the_service_is_not_changes_to_terms(policy: str,
                                                                  edit: Edit) -> None:
    new = edit("We use your information to run and improve the service.",
               "We use your information to run the service and to notify you about "
               "changes to the Services.")
    assert "changes-to-terms" not in analyze_change(policy, new).categories
    new = edit("## 6. Contact", "## 6. Updates\nWe will notify you by e-mail about "
               "changes to these terms.\n## 7. Contact")
    assert "changes-to-terms" in analyze_change(policy, new).categories


def test_a_licence_that_is_a_profile_field_is_no_content_licence(edit: Edit) -> None:
    old = edit("- Messages you send to our support team.",
               "- Messages you send to our support team.\n- Your skills and certifications.")
    new = old.replace("Your skills and certifications.",
                      "Your skills, licenses and certifications.")
    assert "content-license" not in analyze_change(old, new).categories


def test_a_document_titled_disclosure_is_no_data_sharing(policy: str, edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Related practices\nRead our Generative AI Development "
               "Disclosure.\n## 7. Contact")
    categories = analyze_change(policy, new).categories
    assert "data-sharing" not in categories
    # a pointer to another page counts little (categories.SUMMARY_FACTOR): whether its topic
    # is named at all depends on the fitted cat_min
    assert categories in (("ai-training",), ("editorial",))


def test_thresholds_decide_how_many_topics_a_big_change_names(policy: str,
                                                              edit: Edit) -> None:
    new = edit("We do not use your conversations to train our models.",
               "We may use your conversations, photos and voice recordings to train our "
               "models. We keep training data for two years.")
    diff = diff_sentences(policy, new)
    scored = score_categories(diff, [False] * len(diff.edits))
    strict = Params(cat_min=99.0, finding_level="none")
    loose = Params(cat_min=0.5, cat_rel=0.0, cat_max=10)
    assert select_categories(scored, strict) == ()
    assert set(select_categories(scored, loose)) >= {"ai-training", "data-retention"}


def test_a_control_takes_the_practice_its_paragraph_names(policy: str, edit: Edit) -> None:
    # "this" is the training the sentence before describes: the opt-out is about training
    old = edit("We do not use your conversations to train our models.",
               "We use your conversations to train our models.")
    new = edit("We do not use your conversations to train our models.",
               "We use your conversations to train our models. You can turn this off at any "
               "time in your settings.")
    assert analyze_change(old, new).categories == ("ai-training",)


def test_opting_out_of_arbitration_is_about_disputes(policy: str, edit: Edit) -> None:
    new = edit("Any dispute will be decided by the courts of your country of residence.",
               "Any dispute will be resolved by binding arbitration. You may opt out of this "
               "agreement to arbitrate within 30 days by writing to us.")
    assert analyze_change(policy, new).categories == ("dispute-resolution",)


def test_prohibited_by_law_is_no_rule_of_use(policy: str, edit: Edit) -> None:
    new = edit("We keep chat logs for 30 days.",
               "We keep chat logs for 30 days, unless a longer period is prohibited by "
               "applicable law.")
    hits = [h.name for h in analyze_change(policy, new).category_hits]
    assert "acceptable-use" not in hits


def test_data_protection_authorities_are_users_recourse(policy: str, edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Contact\nWe cooperate with the data protection "
               "authorities (DPAs) on unresolved complaints.")
    hits = [h.name for h in analyze_change(policy, new).category_hits]
    assert "user-rights" in hits


def test_where_a_claim_may_be_brought_is_about_disputes(policy: str, edit: Edit) -> None:
    new = edit("Any dispute will be decided by the courts of your country of residence.",
               "Any dispute will be decided by the courts of your country of residence. "
               "However, a claim for injunctive relief may be brought in any court.")
    assert "dispute-resolution" in analyze_change(policy, new).categories


def test_a_hedge_on_the_law_is_no_prohibition_for_users(policy: str, edit: Edit) -> None:
    old = edit("## 6. Contact", "## 6. Indemnity\nExcept to the extent prohibited by law, you "
               "agree to indemnify us against claims arising from your content.\n## 7. Contact")
    new = edit("## 6. Contact", "## 6. Indemnity\nExcept to the extent prohibited or "
               "considered unfair by law, you agree to indemnify us against claims arising "
               "from your content.\n## 7. Contact")
    got = analyze_change(old, new)
    assert "acceptable-use" not in got.categories
    assert not any(f.topic == "acceptable-use" for f in got.findings)


def test_a_control_over_what_is_saved_is_a_user_right(policy: str, edit: Edit) -> None:
    for sentence in ("A setting lets you control whether your activity on other sites is "
                     "saved in your account.",
                     "You can use your Activity controls to decide what is saved.",
                     "You can visit your account page to find and manage activity information "
                     "that is saved."):
        new = edit("## 6. Contact", f"## 6. Contact\n{sentence}")
        hits = [h.name for h in analyze_change(policy, new).category_hits]
        assert "user-rights" in hits, sentence
    # a control of the platform's own is none of the user's
    new = edit("## 6. Contact", "## 6. Contact\nOur security controls protect the service.")
    assert "user-rights" not in [h.name for h in analyze_change(policy, new).category_hits]


def test_research_on_ai_capabilities_with_data_is_ai_training(policy: str, edit: Edit) -> None:
    old = edit("We use your information to run and improve the service.",
               "We use data to conduct research, including for scientific purposes.")
    new = edit("We use your information to run and improve the service.",
               "We use data to conduct research, including advanced machine learning and "
               "artificial intelligence capabilities.")
    assert "ai-training" in [h.name for h in analyze_change(old, new).category_hits]
    # research on anything else is not
    other = old.replace("for scientific purposes", "for public health")
    assert "ai-training" not in [h.name for h in analyze_change(old, other).category_hits]


def test_statutory_rights_saved_are_about_liability_not_privacy_rights(policy: str,
                                                                       edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Contact\nNothing in this paragraph affects any statutory "
               "rights you may have under applicable law.")
    a = analyze_change(policy, new)
    assert "liability" in a.categories and "user-rights" not in a.categories
    # the rights a privacy law gives still are users' rights
    new = edit("## 6. Contact", "## 6. Contact\nYou have the right to access your data.")
    assert "user-rights" in analyze_change(policy, new).categories


def test_turning_features_off_is_a_user_control(policy: str, edit: Edit) -> None:
    for sentence in ("Administrators continue to have the ability to turn these features off.",
                     "You can turn off these AI features at any time."):
        new = edit("## 6. Contact", f"## 6. Contact\n{sentence}")
        assert "user-rights" in analyze_change(policy, new).categories, sentence
    # turning off a device is nobody's privacy control
    new = edit("## 6. Contact", "## 6. Contact\nTurn the device off before cleaning it.")
    assert "user-rights" not in [h.name for h in analyze_change(policy, new).category_hits]


def test_removal_from_a_programme_is_termination_and_an_app_store_keeps_nothing(
        policy: str, edit: Edit) -> None:
    def hits(sentence: str) -> list[str]:
        return _topics_touched(policy, edit, sentence)

    removal = ("Egregious or repeated behavior is grounds for immediate removal of your app from "
               "the App Store, and from the Apple Developer Program.")
    assert "termination" in hits(removal)
    store = "Your app may be removed from the App Store until you demonstrate improvements."
    assert "data-retention" not in hits(store)
    keep_current = ("We collect required data to help keep these experiences reliable, up to date "
                    "and secure.")
    assert "data-retention" not in hits(keep_current)
    # data stored until a date still is kept data
    assert "data-retention" in hits("We store your messages until you delete them.")


def test_a_phrase_restated_at_a_sentence_end_is_no_new_topic() -> None:
    old = ("# Guidelines\n\nCreator apps should share the age rating of their content, and "
           "communicate to users which content requires additional purchases.\n")
    new = ("# Guidelines\n\nCreator apps must use an age restriction mechanism.\nYou should "
           "communicate to users which content requires additional purchases.\n")
    diff = diff_sentences(old, new)
    scored = score_categories(diff, [False] * len(diff.edits))
    # the purchases clause moved with its words: the change is about age, not payments
    assert scored.hits[0].name == "minors"
    assert "payments" not in select_categories(scored, Params())


def test_who_is_affected_does_not_outweigh_the_topics_of_a_childrens_policy() -> None:
    old = "\n".join(["# Children's Privacy Policy", "We collect a child's name.",
                     *(f"Children {k} may use the app with a parent." for k in range(12))])
    new = old.replace("We collect a child's name.",
                      "We collect a child's name. We use cookies on this app.")
    new = new.replace("with a parent.", "with a parent or guardian.")
    diff = diff_sentences(old, new)
    scored = score_categories(diff, [False] * len(diff.edits))
    assert scored.hits[0].name == "minors"  # stated in every edit
    assert "data-collection" in select_categories(scored, Params())


def test_a_plan_is_a_payment_only_when_it_is_paid_for(policy: str, edit: Edit) -> None:
    def hits(sentence: str) -> list[str]:
        return _topics_touched(policy, edit, sentence)

    for sentence in ("We will ask you to provide a plan to improve your compliance.",
                     "The app shows texts from your mobile operator about your data plan.",
                     "We create authentication codes, tokens, passkeys and recovery keys."):
        assert "payments" not in hits(sentence), sentence
    for sentence in ("Family plans are available to up to six members.",
                     "Paid plans renew each month."):
        assert "payments" in hits(sentence), sentence


def test_content_put_under_an_open_licence_is_a_content_licence(policy: str,
                                                               edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Contact\nCertain encyclopedia content may also be subject "
               "to the Creative Commons Attribution-ShareAlike 4.0 International License.")
    diff = diff_sentences(policy, new)
    scored = score_categories(diff, [False] * len(diff.edits))
    # one such sentence states the topic outright: named however big the rest of the change
    assert scored.peak["content-license"] >= Params().cat_strong


def test_data_disclosed_under_the_law_is_law_enforcement(policy: str, edit: Edit) -> None:
    # a real Google edit: the "Handling requests for your data" section removed
    old = edit("## 6. Contact", "## 6. Handling requests for your data\nGoogle accesses and "
               "discloses data, including communications, in accordance with the laws of "
               "Ireland.\n## 7. Contact")
    got = analyze_change(old, policy)
    assert got.categories[0] == "law-enforcement"


def test_contracted_you_are_responsible_is_liability(policy: str, edit: Edit) -> None:
    new = edit("## 6. Contact", "## 6. Contact\nYou're responsible for all network usage "
               "and associated costs.")
    got = analyze_change(policy, new)
    assert "liability" in got.categories
    assert any(f.topic == "liability" for f in got.findings)


def test_what_is_made_available_to_you_is_not_shared_data() -> None:
    rules = load_rules()
    share = rules.patterns["data-sharing"][0].regex
    assert not share.search("Redemption options will be made available to you on the page.")
    assert share.search("Your profile will be made available to advertisers.")


def test_who_a_changed_clause_is_for_is_named_beside_its_topic(policy: str,
                                                                edit: Edit) -> None:
    # a real Spotify edit: among many new advertising sentences, a firm rule that no data of
    # under-18s goes to advertising partners; the change is about minors too
    new = edit("We share information with service providers who help us run the service.",
               "We share information with service providers who help us run the service. "
               "We share your data with advertising partners to show you relevant ads. Our "
               "partners measure how ads perform. Advertising partners may combine data with "
               "information they hold. We may share aggregated statistics with advertisers.\n"
               "We do not disclose personal data to advertising partners for users under the "
               "age of 18.")
    assert analyze_change(policy, new).categories == ("data-sharing", "minors")


def test_a_term_replaced_throughout_changes_who_not_what() -> None:
    # a real TikTok edit: "Children" became "users" or "users of this experience" sentence
    # after sentence; the clauses around the term (selling, keeping) say what they said
    old = "\n".join([
        "# Children's Privacy Policy", "## 1. Information we collect",
        "When Children register, we collect only a username, a password and a birthday.",
        "We may collect device identifiers from Children automatically.",
        "## 2. Sharing", "We do not sell information from Children to third parties.",
        "## 3. Retention",
        "We retain Children's information for as long as reasonably necessary.",
        "## 4. Contact", "Write to privacy@example.org."])
    new = old.replace("Children register", "users register").replace(
        "from Children automatically", "from users automatically").replace(
        "from Children to", "from users of this experience to").replace(
        "retain Children's", "retain user")
    got = analyze_change(old, new)
    assert got.categories[0] == "minors" and got.severity == "low"
    assert not {"data-sharing", "data-retention"} & set(got.categories)
    # the same sweep beside a real change of the retention period still names retention
    longer = analyze_change(old, new.replace("for as long as reasonably necessary",
                                             "for five years"))
    assert longer.categories[0] == "data-retention" and longer.severity == "medium"

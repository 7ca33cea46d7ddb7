"""watcher_app.analysis.acts: what a clause does (acts and their states), who does it, where
it applies, and the quotes that show it."""

from __future__ import annotations

import pytest

from watcher_app.analysis import analyze_change
from watcher_app.analysis.acts import clip, is_limited, read_acts


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
    # possessives and contractions
    ("We retain Children's information for as long as necessary.", "retain", 3),
    ("You're responsible for all network usage and associated costs.", "user-responsible", 3),
])
def test_acts_and_their_states(sentence: str, act: str, state: int) -> None:
    assert states(sentence).get(act) == state, states(sentence)


def test_a_rule_for_users_is_not_a_platform_practice() -> None:
    assert "sell" not in states("You may not sell data you obtain from the service.")
    assert "share" not in states("You can choose to share your playlists with friends.")
    # an item of "You agree to: (1) ...; (2) not share or transfer your account ..."
    assert states("(2) not share or transfer your account (e.g., sell or transfer the "
                  "personal data of others);") == {}
    assert states("2. We do not sell your data.") == {"sell": 0}
    # the platform opting a user's case out of arbitration is no opt-out the user holds
    assert "opt-out" not in states("Spotify may opt your case out of arbitration by sending "
                                   "a signed notice to your counsel.")
    assert states("You may opt out of arbitration by sending us a signed notice.").get(
        "opt-out") == 3
    # the user's right to end the agreement is no termination at will by the platform
    assert "terminate-at-will" not in states(
        "You have a right to terminate this agreement at any time by deactivating your account.")


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


def test_an_opt_out_stated_in_the_next_sentence_makes_a_practice_on_by_default() -> None:
    sentence = "We use your content to train and improve our models."
    for block, state in (
            (f"{sentence} You can opt out at any time under Settings.", 2),
            (f"{sentence} You can opt out of model training in Settings.", 2),
            # an opt-out from something else leaves training simply allowed
            (f"{sentence} You can opt out of marketing e-mails.", 3),
            (f"{sentence} You can opt out of personalised advertising.", 3),
            (sentence, 3)):
        assert read_acts(sentence, block)["train"].state == state, block


def test_the_opt_out_of_a_practice_on_by_default_is_not_listed_again_as_a_control() -> None:
    old = "# Privacy\n\n## Training\n\nWe do not use your content to train our models.\n"
    flip = old.replace("We do not use your content to train our models.",
                       "We use your content to train our models. "
                       "You can opt out at any time in Settings.")
    whats = [f.what for f in analyze_change(old, flip).findings]
    assert whats == ["AI training on users' data is now on by default (users must opt out)"]
    assert analyze_change(old, flip).categories == ("ai-training",)
    # an opt-out added in a paragraph of its own is still a user control added
    elsewhere = old + "\n## Sharing\n\nYou can opt out of sharing at any time.\n"
    assert any("adds a user control: an opt-out" in f.what
               for f in analyze_change(old, elsewhere).findings)


def test_data_synced_across_devices_is_no_right_of_access() -> None:
    # a real Microsoft edit: browser data synced "so you can access your data on all your
    # signed-in browsers across your devices" is a feature, not the right to access data
    assert "right-access" not in states(
        "Some browser information will be synced when you sign in so you can access your "
        "data on all your signed-in browsers across your devices.")
    assert states("You can access your data at any time in your account settings.").get(
        "right-access") == 3

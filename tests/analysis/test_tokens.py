"""watcher_app.analysis.tokens: the analysis's one tokeniser (words, sentence keys, sentences)."""

from __future__ import annotations

from watcher_app.analysis.tokens import sentence_key, split_sentences, tokens, words


def test_sentence_splitting_respects_abbreviations() -> None:
    text = "We work with Example Inc. and other partners, e.g. hosts. Data stays in the U.S. now."
    assert split_sentences(text) == [
        "We work with Example Inc. and other partners, e.g. hosts.",
        "Data stays in the U.S. now.",
    ]
    assert split_sentences("Close your account.For details see below.") == [
        "Close your account.", "For details see below."]
    # ... and so does a question that lost its space ("retention period?If so, ...")
    assert split_sentences("Has the user consented to a longer period?If so, we keep it.") == [
        "Has the user consented to a longer period?", "If so, we keep it."]


def test_list_like_clauses_are_sentences_of_their_own() -> None:
    assert split_sentences("We share data with hosts; payment processors; and auditors.") == [
        "We share data with hosts;", "payment processors;", "and auditors."]
    assert split_sentences("We will use chats when: (1) you send feedback, or (2) they are "
                           "flagged.") == [
        "We will use chats when:", "(1) you send feedback,", "or (2) they are flagged."]
    # a colon that does not open an enumeration stays inside its sentence
    assert split_sentences("Effective: June 9, 2025") == ["Effective: June 9, 2025"]
    # line-break markup shown as text separates the items of a list inside one cell
    assert split_sentences("Data we use:<br><br>* Device data<br>* Cookies") == [
        "Data we use:", "Device data", "Cookies"]


def test_words_keep_inner_punctuation_and_tokens_keep_the_rest() -> None:
    assert words("Don't e-mail dpo@x.org, and/or opt-out.") == [
        "Don't", "e-mail", "dpo@x.org", "and/or", "opt-out"]
    assert tokens("We may (not) sell.") == ["we", "may", "(", "not", ")", "sell", "."]


def test_sentence_key_ignores_case_and_punctuation_only() -> None:
    assert sentence_key("We  DO not sell, ever.") == sentence_key("we do not sell ever")
    assert sentence_key("We do not sell.") != sentence_key("We do sell.")

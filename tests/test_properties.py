"""Property tests (hypothesis) of normalisation, extraction and the alerting comparison.

Each property is a promise the rest of the product builds on: the stored form of a line is a
fixed point; normalising never loses or invents a word; extraction keeps every visible word and
no script; a text is the same as itself; and a real appended sentence is never waved through as
noise.
"""

from __future__ import annotations

import html
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from watcher_app.compare import compare
from watcher_app.extract.html import extract_html
from watcher_app.extract.normalize import (
    INVISIBLE,
    clean_line,
    is_placeholder,
    line_words,
    normalize_url,
    text_words,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INVISIBLES = "\u200b\u2060\u00ad\ufeff"
# Characters pages really contain and normalisation has an opinion about.
SPECIAL = [*INVISIBLES, "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", " ", "\t",
           "\n", "\r", "\u00a0", "\u2003", "\u202f", "\u3000", "\u2018", "\u2019", "\u201c",
           "\u201d", "\u00ab", "\u2010", "\u2212", "\u2024", "\u0301", "\u0308", "e", "E", "5",
           "_", "@", ".", "<", ">", "/", "\\", "\u00e9", "\u00c5", "\u0130", "\u00df", "\ufb01"]
CHARS = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL))
ANY_TEXT = st.lists(CHARS, max_size=40).map("".join)
# Readable words: letters (some accented) and digits, never an underscore.
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "\u00e9\u00e8\u00fc\u00f1\u00e7\u00c9\u00df", min_size=1, max_size=10)
PUNCT = st.sampled_from(["", "", "", ",", ".", ":", ";", "!", "?", ")", "\u2019s"])
SPACE_RUN = st.text(alphabet=" \t\u00a0\u2002\u2009\u202f\u3000", min_size=1, max_size=4)


@st.composite
def sentences(draw: st.DrawFn, words: st.SearchStrategy[str] = WORD) -> str:
    tokens = draw(st.lists(st.tuples(words, PUNCT), min_size=1, max_size=12))
    return " ".join(w + p for w, p in tokens)


# --- normalisation -------------------------------------------------------------------------


@FAST
@given(ANY_TEXT)
def test_clean_line_is_idempotent(text: str) -> None:
    once = clean_line(text)
    assert clean_line(once) == once


@FAST
@given(ANY_TEXT)
def test_line_words_agree_with_clean_line_on_nfc_text(text: str) -> None:
    """Text in NFC (as nearly every page is): nothing clean_line does (invisible characters,
    odd spaces, quote variants) changes the words."""
    assume(unicodedata.is_normalized("NFC", text.translate(INVISIBLE)))
    assert line_words(clean_line(text)) == line_words(text)


@FAST
@given(ANY_TEXT)
@example("pri\u200bvacy policy")  # U+200B inside a word
@example("cafe\u0301 menu")  # a decomposed accent (NFD), as macOS pastes it
def test_line_words_of_the_clean_line_are_the_line_words(text: str) -> None:
    assert line_words(clean_line(text)) == line_words(text)


@FAST
@given(ANY_TEXT)
def test_clean_line_never_empties_a_line_with_letters_or_digits(text: str) -> None:
    assume(any(c.isalnum() for c in text))
    cleaned = clean_line(text)
    assert cleaned
    assert any(c.isalnum() for c in cleaned)


@st.composite
def with_invisibles(draw: st.DrawFn) -> tuple[str, str]:
    """A line, and the same line with invisible characters inserted anywhere (in words too)."""
    line = draw(sentences())
    out = []
    for ch in line:
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.text(alphabet=INVISIBLES, min_size=1, max_size=3)))
        out.append(ch)
    return line, "".join(out)


@FAST
@given(st.lists(with_invisibles(), min_size=1, max_size=5))
def test_stored_text_words_ignore_invisible_characters(pairs: list[tuple[str, str]]) -> None:
    """Through the stored form (clean_line), which is what every caller compares today."""
    plain = [p for p, _ in pairs]
    sprinkled = [clean_line(s) for _, s in pairs]
    assert text_words(sprinkled) == text_words(plain)


@FAST
@given(st.lists(with_invisibles(), min_size=1, max_size=5))
@example([("privacy policy", "pri\u00advacy\u200b pol\u2060icy\ufeff")])
def test_text_words_ignore_invisible_characters(pairs: list[tuple[str, str]]) -> None:
    assert text_words([s for _, s in pairs]) == text_words([p for p, _ in pairs])


@st.composite
def with_space_runs(draw: st.DrawFn) -> tuple[str, str]:
    line = draw(sentences())
    return line, "".join(draw(SPACE_RUN) if ch == " " else ch for ch in line)


@FAST
@given(st.lists(with_space_runs(), min_size=1, max_size=5))
def test_text_words_ignore_runs_of_whitespace_and_nbsp(pairs: list[tuple[str, str]]) -> None:
    assert text_words([s for _, s in pairs]) == text_words([p for p, _ in pairs])
    assert [clean_line(s) for _, s in pairs] == [clean_line(p) for p, _ in pairs]


UUIDS = st.uuids().map(str)
TOKENS = st.text(alphabet="abcdefABCDEF0123456789", min_size=16, max_size=40)
LABEL = st.sampled_from(["l", "out", "help", "acme", "example", "legal", "bing", "EXAMPLE",
                         "xn--caf-dma", "a-b", "www2"])
SEGMENT = st.one_of(st.sampled_from(["privacy", "terms", "ck", "a", "url", "redirect", "l.php",
                                     "", "%20x", "Policy", "caf\u00e9"]), UUIDS, TOKENS)
PARAM = st.tuples(
    st.sampled_from(["utm_source", "fbclid", "id", "lang", "q", "u", "url", "ref", "page", "sid",
                     "x", "token", "v"]),
    st.one_of(st.sampled_from(["", "en", "1", "a b", "%7Bid%7D", "https://example.com/t?x=1"]),
              UUIDS, TOKENS),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    www = draw(st.sampled_from(["", "www.", "WWW."]))  # once, in front, as hosts have it
    host = www + ".".join(draw(st.lists(LABEL, min_size=1, max_size=3))) + draw(
        st.sampled_from(["", ".com", ".example", ":8080"]))
    path = "/".join(draw(st.lists(SEGMENT, max_size=4)))
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(PARAM, max_size=4)))
    fragment = draw(st.sampled_from(["", "#top", "#section-2"]))
    return f"{scheme}://{host}/{path}" + (f"?{query}" if query else "") + fragment


MAILTO = ANY_TEXT.map(lambda t: "mailto:" + t)


@FAST
@given(st.one_of(urls(), ANY_TEXT, MAILTO))
def test_normalize_url_is_idempotent(href: str) -> None:
    once = normalize_url(href)
    assert normalize_url(once) == once


@pytest.mark.parametrize("href", ["http://www.www.example.com/", "mailto:a%2525b@x.com",
                                  "HTTP://WWW.WWW.Example.COM/a/?utm_source=x#top"])
def test_normalize_url_is_idempotent_on_odd_hosts_and_addresses(href: str) -> None:
    once = normalize_url(href)
    assert normalize_url(once) == once


@FAST
@given(urls(), st.sampled_from(["", "https://acme.example/legal/", "http://www.acme.example"]))
def test_normalize_url_is_idempotent_for_resolved_links(href: str, base: str) -> None:
    once = normalize_url(href, base)
    assert normalize_url(once) == once


# --- extraction ------------------------------------------------------------------------------

PLACEHOLDER_WORDS = {"loading", "false", "true", "null", "undefined", "nan"}
TEXT_WORD = WORD.filter(lambda w: w.casefold() not in PLACEHOLDER_WORDS)
SCRIPT = st.integers(0, 999).map(lambda n: f"<script>var zqscript{n} = 'zqscript{n}';</script>")
STYLE = st.integers(0, 999).map(lambda n: f"<style>.zqstyle{n} {{ color: red }}</style>")


@st.composite
def inline(draw: st.DrawFn, words: list[str]) -> str:
    """A run of inline content: words, some wrapped in inline elements, script/style between."""
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        text = " ".join(draw(st.lists(TEXT_WORD, min_size=1, max_size=5)))
        words.extend(text.split())
        wrapper = draw(st.sampled_from(["", "b", "i", "em", "strong", "span", "a", "code"]))
        escaped = html.escape(text)
        if wrapper == "a":
            parts.append(f'<a href="/doc/{draw(st.integers(0, 99))}">{escaped}</a>')
        elif wrapper:
            parts.append(f"<{wrapper}>{escaped}</{wrapper}>")
        else:
            parts.append(escaped)
        if draw(st.integers(0, 4)) == 0:
            parts.append(draw(st.one_of(SCRIPT, STYLE)))
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str], bool]:
    """A page of headings, paragraphs and lists; the words of its text nodes; in <main>?"""
    words: list[str] = []
    blocks = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["p", "h1", "h2", "h3", "h4", "ul", "ol", "div", "script",
                                     "style"]))
        if kind == "script":
            blocks.append(draw(SCRIPT))
        elif kind == "style":
            blocks.append(draw(STYLE))
        elif kind in ("ul", "ol"):
            items = [f"<li>{draw(inline(words))}</li>"
                     for _ in range(draw(st.integers(1, 4)))]
            blocks.append(f"<{kind}>{''.join(items)}</{kind}>")
        elif kind == "div":
            blocks.append(f"<div><p>{draw(inline(words))}</p>{draw(inline(words))}</div>")
        else:
            blocks.append(f"<{kind}>{draw(inline(words))}</{kind}>")
    in_main = draw(st.booleans())
    body = "\n".join(blocks)
    if in_main:
        body = f"<header>{draw(SCRIPT)}</header><main>{body}</main>"
    page = (f"<!doctype html><html><head><title>T</title>{draw(STYLE)}</head>"
            f"<body>{body}</body></html>")
    return page, words, in_main


@SLOW
@given(documents())
def test_extraction_keeps_every_visible_word_and_no_script(doc: tuple[str, list[str], bool]
                                                           ) -> None:
    page, words, in_main = doc
    extracted = extract_html(page, ["main"] if in_main else [])
    got = set(text_words(extracted.lines))
    missing = [w for w in words if line_words(w) and not set(line_words(w)) <= got]
    assert not missing, (missing, extracted.lines)
    assert not any(w.startswith(("zqscript", "zqstyle")) for w in got), extracted.lines
    assert not any(is_placeholder(line) for line in extracted.lines)


# --- comparison ----------------------------------------------------------------------------


@FAST
@given(st.lists(ANY_TEXT, max_size=12))
def test_a_text_is_the_same_as_itself(lines: list[str]) -> None:
    assert compare(lines, list(lines)).kind == "same"


@FAST
@given(st.lists(ANY_TEXT, max_size=10), st.lists(ANY_TEXT, max_size=10))
def test_compare_never_raises(old: list[str], new: list[str]) -> None:
    verdict = compare(old, new)
    assert verdict.kind in ("same", "noise", "change", "truncated", "blocked")
    assert verdict.kind == "same" or verdict.reason


VOCABULARY = """account activity address advertising agree apply automatically available
    based billing business cancel choose collect communications company complete consent
    content contract control cookies country customer data delete describe device disclose
    email ensure entity explain features fees file government identify improve include
    information interest legal limit location maintain marketing member message mobile notice
    obtain operate order partner payment period personal phone platform portion prevent
    process product protect provide purchase purpose reasonable receive record regulator
    remove request require research retain review right safety secure security service settings
    share store subscription support suspend third transfer update usage user verify website
    withdraw""".split()
DICTIONARY_WORD = st.sampled_from(VOCABULARY)


@st.composite
def policies(draw: st.DrawFn) -> list[str]:
    lines = ["# Privacy Policy"]
    for section in range(1, draw(st.integers(1, 4)) + 1):
        lines.append(f"## {section}. {draw(DICTIONARY_WORD).capitalize()}")
        for _ in range(draw(st.integers(1, 3))):
            sentences_ = [
                " ".join(draw(st.lists(DICTIONARY_WORD, min_size=4, max_size=14, unique=True)))
                .capitalize() + "." for _ in range(draw(st.integers(1, 3)))]
            lines.append(" ".join(sentences_))
    return lines


@SLOW
@given(policies(), st.data())
def test_an_appended_sentence_is_a_change(policy: list[str], data: st.DataObject) -> None:
    paragraphs = [i for i, line in enumerate(policy) if not line.startswith("#")]
    at = data.draw(st.sampled_from(paragraphs))
    # Distinct words: a sentence that only repeats the word before it ("... account. Account.")
    # is an "accidentally doubled word" to line_words, by design.
    added = data.draw(st.lists(DICTIONARY_WORD, min_size=3, max_size=12, unique=True))
    changed = list(policy)
    changed[at] = f"{policy[at]} {' '.join(added).capitalize()}."
    verdict = compare(policy, changed)
    assert verdict.kind == "change", (verdict, policy[at], changed[at])

"""The analysis's one tokeniser: words, sentence keys, and sentences of a block.

Every part of the analysis (the sentence diff, the clause reading, editorial checks, the
scores) cuts text here, so "the same word" and "the same sentence" mean one thing throughout.
A word keeps inner apostrophes, dots, @, slashes and hyphens ("don't", "e.g", "dpo@x.org",
"and/or", "opt-out"); punctuation around it is not part of it.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

# a word, and (in TOKEN) any other non-space character as a token of its own
WORD = re.compile(r"\w+(?:['.@/-]\w+)*")
TOKEN = re.compile(r"\w+(?:['.@/-]\w+)*|[^\w\s]")
_NON_WORD = re.compile(r"[^\w@.%$€£]+")
_DIGITS = re.compile(r"\d[\d,. ]*\d|\d")


def words(text: str) -> list[str]:
    """The words of a text, as written."""
    return WORD.findall(text)


def tokens(text: str) -> list[str]:
    """Lower-cased words and punctuation marks."""
    return [t.lower() for t in TOKEN.findall(text)]


@lru_cache(maxsize=65536)
def sentence_key(sentence: str) -> str:
    """What two sentences must share to count as the same sentence: the words, case-folded
    (punctuation-only and whitespace-only edits are noise upstream and no rewording here)."""
    return _NON_WORD.sub(" ", sentence.lower()).strip(" .")


@lru_cache(maxsize=32768)
def shape(text: str) -> tuple[tuple[str, ...], Counter[str]]:
    """Tokens with every number as "0", and their counts (cached: a sentence is compared with
    several candidates)."""
    toks = tuple(tokens(_DIGITS.sub("0", text)))
    return toks, Counter(toks)


# --- sentences ----------------------------------------------------------------------------

# A full stop after one of these does not end a sentence.
_ABBREV = frozenset(
    "e.g i.e etc inc ltd llc co corp no nos vs mr mrs ms dr st jr sr approx art arts sec para "
    "u.s u.k e.u fig cf al p pp s.a b.v gmbh ag plc".split()
)
# A sentence ends at . ! or ? before a space and a capital, or at a full stop glued to the
# next sentence by a lost space ("your account.For more details"). The clauses of a list
# written as one sentence are statements of their own: a semicolon ends one ("...; and those
# that provide fraud detection services"), and so does a colon or comma before an enumerator
# ("when: (1) you provide Feedback ..., or (2) ...").
_SPLIT = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|(?<=[a-z]{2}[.?!])(?=[A-Z][a-z])"
                    r"|;\s+(?=[\"'(\[]?\w)"
                    r"|[:,]\s+(?=(?:(?:and|or)\s+)?\((?:\d{1,2}|[a-h]|[ivx]{1,4})\)\s)")
# Line-break markup shown as text ("Device Information<br>* Cookies", escaped by the page)
# separates the items of a list written inside one paragraph or table cell.
_BREAK = re.compile(r"\s*(?:<br\s*/?>\s*)+(?:[*-]\s+)?", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences of one block (headings are one sentence each)."""
    if "<br" in text or "<BR" in text:
        return [s for part in _BREAK.split(text) for s in split_sentences(part)]
    out: list[str] = []
    start = 0
    for m in _SPLIT.finditer(text):
        before = text[start : m.start()].rsplit(" ", 1)[-1].lower().lstrip("(\"'")
        if before in _ABBREV or (len(before) == 1 and before.isalpha()):
            continue
        piece = text[start : m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out

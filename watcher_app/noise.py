"""Kinds of page noise, recognised line by line (the vocabulary of compare.py's decision).

Each predicate here answers one narrow question about a line or a block of lines: is it an
update banner, a menu entry, a language switcher, a date line, site furniture? None of them
decides alone: compare.py applies them only to the lines that differ, and only where their
shape fits (a menu entry only outside the document's prose, a date line only when nothing but
the date moved). Every predicate refuses list items, table rows, numbers and sentences unless
it says otherwise, because that is where clauses live.
"""

from __future__ import annotations

import re
import unicodedata

# The document itself, as an update notice names it.
_DOC = (r"(?:terms|policy|policies|agreement|notice|statement|conditions|guidelines|version"
        r"|updates?|changes)")
# An announcement that the document itself is being or has been updated, in the first person
# (a clause saying how future updates work is policy text, not a banner; "we have updated our
# retention practices: …" names no document and stays a change).
ANNOUNCEMENT = re.compile(
    r"(?:\bwe(?:'ve| have)? (?:recently )?updated|\bwe(?:'re| are) (?:updating|changing|making)"
    r"|\bwe (?:have )?made (?:some )?(?:updates|changes)|\bwe will be updating)"
    rf"\b[^.;]{{0,40}}?\b{_DOC}\b"
    r"|\byou accept the updated\b|\bupdate to our\b|\bthis page is the updated\b",
    re.IGNORECASE,
)
# Wording of a dated notice: "this version … will go into effect on <date>".
DATED_NOTICE = re.compile(
    rf"\b{_DOC}\b[^.;]{{0,60}}?\b(?:go(?:es)?|come(?:s)?|take(?:s)?) (?:into )?effect\b"
    r"|\beffective (?:until|from|on|as of)\b"
    r"|\b(?:updated|new) (?:user agreement|terms|privacy policy|policy|version)\b"
    r"|\bprevious version\b",
    re.IGNORECASE,
)
RULE_LIKE = re.compile(r"\bmay\b(?!\s+\d)|\bfrom time to time\b|\bwill notify\b|\bdays? after\b",
                       re.IGNORECASE)
DATE = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)? )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
    r"[a-z]*\.?(?: \d{1,2}(?:st|nd|rd|th)?,?)? \d{4}\b|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    re.IGNORECASE,
)
BANNER_MAX_WORDS = 90
# Words of a banner's call to action and of the names a document goes by ("See a preview of
# the new terms", "User Agreement Preview More details", "Archived versions | Download PDF").
CALL_TO_ACTION = frozenset(
    """see review read learn click tap view preview download more details detail here summary
    key changes change archived archive versions version previous print pdf dismiss close ok
    got it accept continue below above for the a an of our this these new updated current what
    s whats coming to in on and faq faqs find out information effective until from as link
    page terms term policy privacy agreement user notice statement conditions service services
    use guidelines update updates""".split()
)
# Words a date line may hold besides its date ("Last updated: July 2026", "Effective Date:").
DATE_LINE_WORDS = frozenset(
    """last updated update modified revised revision effective date dated as of on from since
    version published posted this these the our policy terms privacy notice statement
    agreement conditions service use user guidelines of""".split()
)
LANGUAGE_NAMES = frozenset(
    """english deutsch german français francais french español espanol spanish italiano italian
    português portugues portuguese nederlands dutch polski polish svenska swedish dansk danish
    norsk bokmål nynorsk norwegian suomi finnish türkçe turkish русский russian українська
    ukrainian 日本語 japanese 한국어 korean 中文 简体中文 繁體中文 繁体中文 chinese हिन्दी hindi
    العربية arabic עברית hebrew ελληνικά greek čeština czech magyar hungarian română romanian
    bahasa indonesia indonesian melayu malay tiếng việt vietnamese ไทย thai български bulgarian
    hrvatski croatian slovenčina slovak slovenščina slovenian eesti estonian latviešu latvian
    lietuvių lithuanian català catalan galego galician euskara basque filipino tagalog বাংলা
    bengali فارسی persian اردو urdu தமிழ் tamil తెలుగు telugu मराठी marathi ગુજરાતી gujarati
    ಕನ್ನಡ kannada മലയാളം malayalam ਪੰਜਾਬੀ punjabi srpski српски serbian íslenska icelandic
    gaeilge irish kiswahili swahili afrikaans""".split()
)
LOCALE_CODE = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2,4})?$")
PARENTHESES = re.compile(r"[(（][^()（）]*[)）]")
SENTENCE_END = (".", ":", ";", "?", "!")


def notice(text: str) -> bool:
    """An update notice: announced in the first person, or dated, and not a rule about how
    updates work ("we may update these Terms…")."""
    if RULE_LIKE.search(text):
        return False
    return bool(ANNOUNCEMENT.search(text) or (DATED_NOTICE.search(text) and DATE.search(text)))


def call_to_action(text: str, key: tuple[str, ...]) -> bool:
    """A banner's link line ("- Review a summary of key changes", "Effective 22 May 2024 |
    Archived versions"): short, and every word is a call to action, a document name or part
    of a date. "- We sell your data" has words of its own and is never one."""
    if len(key) > 10 or not key:
        return False
    dated = {w for d in DATE.findall(text) for w in _plain_words(d)}
    return all(w in CALL_TO_ACTION or w in dated for w in key)


def banner(texts: list[str], keys: list[tuple[str, ...]]) -> bool:
    """A short notice that the document is being or has been updated: every line is the notice
    itself or its call to action, so a clause inserted beside a banner still alerts."""
    if sum(len(k) for k in keys) > BANNER_MAX_WORDS:
        return False
    kinds = [notice(t) for t in texts]
    return any(kinds) and all(
        n or call_to_action(t, k) for t, k, n in zip(texts, keys, kinds, strict=True))


def _plain_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


# --- menus, switchers and furniture --------------------------------------------------------


def _script(char: str) -> str:
    try:
        return unicodedata.name(char).split()[0]
    except ValueError:
        return ""


def split_glued(text: str) -> tuple[list[str], int]:
    """The words of a line whose link texts were rendered without spaces between them
    ("Video SDKCo-BrowseAI Services", "EnglishDeutsch한국어日本語"), and how many such joins
    it holds. A join is a lower-case letter followed by a capital, an acronym followed by a
    capitalised word, or a change of script inside a word."""
    words: list[str] = []
    glue = 0
    for token in re.findall(r"[^\W\d_]+", text):
        start = 0
        for i in range(1, len(token)):
            prev, cur = token[i - 1], token[i]
            nxt = token[i + 1] if i + 1 < len(token) else ""
            if ((prev.islower() and cur.isupper())
                    or (prev.isupper() and cur.isupper() and nxt.islower())
                    or (prev.isalpha() and cur.isalpha() and _script(prev) != _script(cur))):
                words.append(token[start:i])
                start = i
                glue += 1
        words.append(token[start:])
    return words, glue


def _body(text: str) -> str:
    return text.lstrip("#").strip().removeprefix("- ").strip()


def _lead_in(text: str) -> tuple[str, str]:
    """(a short label ending in a colon, the rest): "Also available in: English, Deutsch"."""
    body = _body(text)
    head, sep, tail = body.partition(":")
    return (head.casefold().strip(), tail) if sep and len(head.split()) <= 4 else ("", body)


def language_line(text: str) -> bool:
    """A switcher or a list of translations: only names of languages (each perhaps with its
    region in parentheses, "Português (Brasil)"), after at most a short label ending in a
    colon ("Also available in:")."""
    if any(c.isdigit() for c in text):
        return False
    words, _ = split_glued(PARENTHESES.sub(" ", _lead_in(text)[1]))
    return bool(words) and all(
        w.casefold() in LANGUAGE_NAMES or LOCALE_CODE.match(w.casefold()) for w in words)


def translations(old: str, new: str) -> bool:
    """The same list of translations with languages added or removed (its label unchanged:
    "Support in: English" → "No support in: English" is a change)."""
    return (language_line(old) and language_line(new)
            and _plain_words(_lead_in(old)[0]) == _plain_words(_lead_in(new)[0]))


def label(text: str, key: tuple[str, ...]) -> bool:
    """A bare interface label ("EEA/UK/CH", "Contents", "Select a language"): at most three
    words, no digits, no address, no sentence, not a list item or a table cell: never a clause
    of a policy on its own."""
    return (0 < len(key) <= 3 and not text.startswith(("- ", "|"))
            and not any(c.isdigit() for c in text) and "@" not in text
            and not text.rstrip("*_ ").endswith(SENTENCE_END))


def run_together(text: str) -> bool:
    """A menu whose entries were captured as one run of glued link texts: several joins, no
    digits, no sentence punctuation at the end, not a list item or a table row."""
    if text.startswith(("- ", "|")) or any(c.isdigit() for c in text) or "@" in text:
        return False
    if text.rstrip("*_ ").endswith(SENTENCE_END):
        return False
    words, glue = split_glued(text)
    return glue >= 2 and len(words) <= 40


def copyright_line(key: tuple[str, ...]) -> bool:
    return len(key) <= 15 and ("copyright" in key or (
        "all" in key and "rights" in key and "reserved" in key))


def furniture(text: str, key: tuple[str, ...]) -> bool:
    """A line of the site around the document (menu heading, glued menu, language switcher,
    copyright notice). Only meaningful outside the document's prose (see compare._Doc)."""
    if text.startswith("#"):
        return not any(c.isdigit() for c in text) and len(key) <= 6
    switcher = language_line(text) and not _lead_in(text)[0]  # a labelled list: see translations
    return label(text, key) or run_together(text) or switcher or (
        "\u00a9" in text or copyright_line(key))


def prose(text: str, key: tuple[str, ...]) -> bool:
    """A sentence of the document: what the site's furniture never is. (Lengths in characters
    too: Chinese or Japanese text has no spaces between its words.)"""
    if text.startswith("#"):
        return False
    ends = text.rstrip("*_\"') ").endswith(SENTENCE_END + ("\u3002", "\uff01", "\uff1f"))
    long_ = len(key) >= 15 or len(text) >= 120
    return ((len(key) >= 8 or len(text) >= 50) and ends) or (long_ and split_glued(text)[1] < 3)


# --- dates -----------------------------------------------------------------------------------


def date_line(text: str) -> bool:
    """A line that only dates the document ("Last updated: July 2026", "Effective Date: August
    11, 2023"): a date, and nothing else but the words that introduce it."""
    dates = DATE.findall(text)
    if not dates or len(_plain_words(text)) > 14:
        return False
    rest = DATE.sub(" ", text)
    return all(w in DATE_LINE_WORDS for w in _plain_words(rest))


def redated(old: str, new: str) -> bool:
    """Two date lines that differ only in their dates."""
    return (date_line(old) and date_line(new)
            and _plain_words(DATE.sub(" ", old)) == _plain_words(DATE.sub(" ", new))
            and [d.lower() for d in DATE.findall(old)] != [d.lower() for d in DATE.findall(new)])

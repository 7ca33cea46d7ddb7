"""Is the new text a real change of the policy, or only noise? The alerting decision.

Two texts are compared by their words (normalize.line_words), so punctuation, markup, block
structure, link targets and invisible characters never count. Where the words differ, every
differing region ("hunk") is explained by one of a few general kinds of noise that real policy
pages show, or it is a real change:

- navigation: tables of contents (entries repeating the document's own headings), language
  switchers, lone headings appearing or vanishing;
- announcement banners: a short notice that the policy is being / has been updated (the alert
  belongs to the new wording, not to the banner);
- an announced version taking effect: the superseded copy is dropped, the banner becomes the
  plain "Effective: <same date>" line;
- localisation: a label rendered in another language, a language named in another language;
- e-mail obfuscation and typo fixes (one misspelt word corrected to a word the document uses);
- another page appended under its own top-level heading (a declaration that combines a page);
- a truncated capture (the text stops early) is not the policy at all.

Only a hunk that none of these explain makes a change. The rules look at structure and general
vocabulary, never at a particular site.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from watcher_app.extract.normalize import line_words

BANNER_MAX_WORDS = 90
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


def _notice(text: str) -> bool:
    """An update notice: announced in the first person, or dated, and not a rule about how
    updates work ("we may update these Terms…")."""
    if RULE_LIKE.search(text):
        return False
    return bool(ANNOUNCEMENT.search(text) or (DATED_NOTICE.search(text) and DATE.search(text)))


DATE = re.compile(
    r"\b(?:\d{1,2} )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
    r"(?: \d{1,2},?)? \d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d+")
LANGUAGE_NAMES = frozenset(
    """english deutsch german français francais french español espanol spanish italiano italian
    português portugues portuguese nederlands dutch polski polish svenska swedish dansk danish
    norsk norwegian suomi finnish türkçe turkish русский russian українська ukrainian
    日本語 japanese 한국어 korean 中文 简体中文 繁體中文 chinese हिन्दी hindi العربية arabic
    עברית hebrew ελληνικά greek čeština czech magyar hungarian română romanian bahasa indonesia
    indonesian melayu malay tiếng việt vietnamese ไทย thai""".split()
)
LOCALE_CODE = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2,4})?$")
# Function and interface words of the languages a policy page most often falls back to.
FOREIGN_WORDS = frozenset(
    """gültig ab seit vorherige version ansehen anzeigen sprache bedingungen datenschutz der die
    das und oder von zu mit für auf aus bei nach über unter vom zum zur des dem den ein eine
    en vigueur depuis version précédente voir afficher langue conditions le la les et ou du de
    des pour par sur dans avec vigente desde versión anterior ver idioma términos el los las y
    o del para por con valido dal versione precedente visualizza lingua termini il lo gli e
    di da per con em vigor versão anterior ver idioma termos o os as e do da dos das""".split()
)


@dataclass(frozen=True)
class Verdict:
    kind: str  # "same" | "noise" | "change" | "truncated"
    reason: str = ""
    noise: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Doc:
    lines: list[str]
    keys: list[tuple[str, ...]]
    headings: set[tuple[str, ...]]
    counts: Counter[str]

    @classmethod
    def of(cls, lines: list[str]) -> _Doc:
        kept = [(line, tuple(line_words(line))) for line in lines]
        kept = [(line, key) for line, key in kept if key]
        texts = [line for line, _ in kept]
        keys = [key for _, key in kept]
        headings = {_strip_numbering(k) for t, k in kept if t.startswith("#")}
        counts: Counter[str] = Counter(word for key in keys for word in key)
        return cls(texts, keys, headings, counts)

    def words(self) -> list[str]:
        return [w for key in self.keys for w in key]


def _strip_numbering(key: tuple[str, ...]) -> tuple[str, ...]:
    """'1 who your contract is with' and 'who your contract is with' name the same heading."""
    i = 0
    while i < len(key) and (key[i].isdigit() or (len(key[i]) == 1 and i == 0)):
        i += 1
    return key[i:] or key


def _n_words(keys: list[tuple[str, ...]]) -> int:
    return sum(len(k) for k in keys)


# --- kinds of noise for a pure insertion or deletion of lines ------------------------------


def _is_navigation_line(text: str, key: tuple[str, ...], doc: _Doc, other: _Doc) -> bool:
    if all(w in LANGUAGE_NAMES or LOCALE_CODE.match(w) for w in key):
        return True  # a language switcher
    # a table-of-contents entry repeats a heading of the document
    stripped = _strip_numbering(key)
    return not text.startswith("#") and (stripped in doc.headings or stripped in other.headings)


def _navigation(texts: list[str], keys: list[tuple[str, ...]], doc: _Doc, other: _Doc) -> bool:
    """Lone headings, TOC entries, language switchers (and short tab labels among them)."""
    if all(t.startswith("#") for t in texts):
        return True
    if all(_label(t, k) for t, k in zip(texts, keys, strict=True)):
        return True
    nav = [_is_navigation_line(t, k, doc, other) for t, k in zip(texts, keys, strict=True)]
    if all(nav):
        return True
    # A TOC block often carries a short label ("EEA/UK/CH", "Contents") with it.
    labels = [not n and len(k) <= 3 and not t.startswith("- ") for t, k, n in
              zip(texts, keys, nav, strict=True)]
    return sum(nav) >= 3 and all(n or lab for n, lab in zip(nav, labels, strict=True))


def _label(text: str, key: tuple[str, ...]) -> bool:
    """A bare interface label ("EEA/UK/CH", "Contents"): at most three words, no digits, no
    sentence, not a list item: never a clause of a policy on its own."""
    return (len(key) <= 3 and not text.startswith("- ") and not any(c.isdigit() for c in text)
            and not text.rstrip().endswith((".", ":", ";")))


def _banner(texts: list[str], keys: list[tuple[str, ...]]) -> bool:
    """A short notice that the document is being or has been updated."""
    return _n_words(keys) <= BANNER_MAX_WORDS and _notice(" ".join(texts))


def _superseded_copy(keys: list[tuple[str, ...]], remaining: _Doc, announced: bool) -> bool:
    """A long run of deleted lines that mostly still stand in the new text: the old copy of a
    document shown beside its announced successor, dropped when the successor takes effect.
    Only where the old text announced an update: a page that holds two similar regional
    versions and drops one of them is a real change."""
    if not announced or len(keys) < 8:
        return False
    still = set(remaining.keys)
    twins = sum(key in still for key in keys)
    return twins >= 0.5 * len(keys)


def _appended_document(texts: list[str], at_end: bool, doc: _Doc) -> bool:
    """Another page appended under its own top-level heading (a combined source)."""
    return (
        at_end and len(texts) >= 3 and texts[0].startswith("# ")
        and any(t.startswith("# ") for t in doc.lines)
    )


# --- kinds of noise inside a reworded region -----------------------------------------------


def _edit_distance_le(a: str, b: str, limit: int) -> bool:
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _word_noise(old: list[str], new: list[str], old_doc: _Doc, new_doc: _Doc) -> str | None:
    """Name the noise that explains one replaced run of words, or None for a real edit."""
    if not old or not new:
        return None
    if len(old) == 1 and len(new) == 1:
        a, b = old[0], new[0]
        if "@email" in (a, b) and "@" in a + b:
            return "e-mail obfuscation"
        if a in LANGUAGE_NAMES and b in LANGUAGE_NAMES:
            return "language name localised"
        if (min(len(a), len(b)) >= 5 and _edit_distance_le(a, b, 2)
                and old_doc.counts[a] == 1 and new_doc.counts[b] >= 2):
            return "typo fixed"
    return None


def _localised(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """A short line rendered in another language: same numbers, and the words that differ on
    one side are mostly words of another language."""
    if len(old) > 15 or len(new) > 15:
        return False
    if [w for w in old if w.isdigit()] != [w for w in new if w.isdigit()]:
        return False
    for side, other in ((new, old), (old, new)):
        only = [w for w in side if w not in other and not w.isdigit()]
        foreign = [w for w in only if w in FOREIGN_WORDS or not w.isascii()]
        if only and len(foreign) >= max(2, 0.6 * len(only)):
            return True
    return False


RELATIVE_WORDS = frozenset(
    "a an one two three four five six seven eight nine ten few several over about almost less "
    "than more just now today yesterday this last past week weeks month months year years day "
    "days hour hours minute minutes second seconds ago recently".split()
)
RELATIVE_CUES = frozenset("ago today yesterday this last past recently now".split())
BYLINE_WORDS = frozenset("updated modified posted published edited revised".split())


YEAR = re.compile(r"^(?:19|20)\d\d$")


def _has_run(words: tuple[str, ...], run: tuple[str, ...]) -> bool:
    return any(words[i:i + len(run)] == run for i in range(len(words) - len(run) + 1))


def _moving_number(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """Only numbers moved, on a line that is page furniture changing by itself: a copyright
    notice whose year rolled over ("© 2025 Acme. All rights reserved.") or a helpfulness
    counter ("12 out of 20 found this helpful"). Numbers in clauses ("90 days", "16 years
    old") have neither context, whatever other words stand around them."""
    if len(old) != len(new) or len(old) > 16:
        return False
    pairs = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    if not pairs or not all(a.isdigit() and b.isdigit() for a, b in pairs):
        return False
    notice = "copyright" in new or _has_run(new, ("all", "rights", "reserved"))
    if notice and all(YEAR.match(a) and YEAR.match(b) for a, b in pairs):
        return True
    return _has_run(new, ("found", "this", "helpful"))


def _relative_date(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """A byline whose relative date moved with the clock ("Updated 3 days ago" → "Updated this
    week"). A changed period in a clause ("3 days" → "3 weeks") has no "ago"/"this"/"last"."""
    if not (BYLINE_WORDS & set(old) and BYLINE_WORDS & set(new)) or max(len(old), len(new)) > 12:
        return False
    only = [w for w in old if w not in new] + [w for w in new if w not in old]
    return bool(only) and all(w in RELATIVE_WORDS or w.isdigit() for w in only) and bool(
        RELATIVE_CUES & (set(old) | set(new)))


def _reworded(old_keys: list[tuple[str, ...]], new_keys: list[tuple[str, ...]],
              old_doc: _Doc, new_doc: _Doc) -> str | None:
    """Explain a replaced block of lines word by word; None when any edit is real."""
    old_words = [w for k in old_keys for w in k]
    new_words = [w for k in new_keys for w in k]
    if old_words == new_words:
        return "text reflowed"
    if len(old_keys) == len(new_keys) and all(
        a == b or _localised(a, b) or _relative_date(a, b) or _moving_number(a, b)
        for a, b in zip(old_keys, new_keys, strict=True)
    ):
        return "label localised, relative date or counter moved"
    reasons = []
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        reason = _word_noise(old_words[i1:i2], new_words[j1:j2], old_doc, new_doc)
        if reason is None:
            return None
        reasons.append(reason)
    return ", ".join(sorted(set(reasons)))


def _took_effect(old_texts: list[str], new_texts: list[str], new_keys: list[tuple[str, ...]]
                 ) -> bool:
    """The banner of an announced version replaced by its plain effective-date line."""
    if not _banner(old_texts, [tuple(line_words(t)) for t in old_texts]):
        return False
    if _n_words(new_keys) > 12:
        return False
    new_dates = {d.lower() for t in new_texts for d in DATE.findall(t)}
    old_dates = {d.lower() for t in old_texts for d in DATE.findall(t)}
    return bool(new_dates) and new_dates <= old_dates


def compare(old_lines: list[str], new_lines: list[str]) -> Verdict:
    old, new = _Doc.of(old_lines), _Doc.of(new_lines)
    if old.words() == new.words():
        return Verdict("same")
    cut = len(new.keys)
    if cut < len(old.keys) and old.keys[:cut] == new.keys and not old.lines[cut].startswith("#"):
        # The text stops in the middle of a section: a broken capture. (Whole sections
        # removed from the end start with their heading, and are a real change.)
        missing = len(old.keys) - len(new.keys)
        return Verdict("truncated", f"the text stops early: its last {missing} paragraphs are "
                                    "missing (a truncated capture?)")
    matcher = difflib.SequenceMatcher(None, [" ".join(k) for k in old.keys],
                                      [" ".join(k) for k in new.keys], autojunk=False)
    opcodes = matcher.get_opcodes()
    announced = any(_notice(t) for tag, i1, i2, _, _ in opcodes if tag != "equal"
                    for t in old.lines[i1:i2])
    noise: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        o_t, o_k = old.lines[i1:i2], old.keys[i1:i2]
        n_t, n_k = new.lines[j1:j2], new.keys[j1:j2]
        reason = None
        if tag == "delete":
            if _navigation(o_t, o_k, old, new):
                reason = "navigation removed"
            elif _banner(o_t, o_k):
                reason = "update notice removed"
            elif _superseded_copy(o_k, new, announced):
                reason = "superseded copy dropped as the announced version took effect"
        elif tag == "insert":
            if _navigation(n_t, n_k, new, old):
                reason = "navigation added"
            elif _banner(n_t, n_k):
                reason = "update notice added"
            elif _appended_document(n_t, j2 == len(new.keys), new):
                reason = f"another page appended ({n_t[0].lstrip('# ')[:60]})"
        else:
            reason = _reworded(o_k, n_k, old, new)
            if reason is None and _took_effect(o_t, n_t, n_k):
                reason = "announced version took effect"
        if reason is None:
            where = (n_t or o_t)[0][:80]
            return Verdict("change", f"wording changed near \u201c{where}\u201d", tuple(noise))
        noise.append(reason)
    return Verdict("noise", "only noise: " + "; ".join(sorted(set(noise))), tuple(noise))

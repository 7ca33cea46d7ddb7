"""Is the new text a real change of the policy, or only noise? The alerting decision.

Two texts are compared by their words (normalize.line_words, the tokeniser shared with the
stored comparison key), so punctuation, markup, block structure, link targets and invisible
characters never count. Where the words differ, every differing region ("hunk") is explained by
one of a few general kinds of noise that real policy pages show, or it is a real change:

- navigation: tables of contents, language switchers and lists of translations, lone
  headings, and site furniture (menus, glued menu entries, copyright lines) outside the
  document's prose;
- a whole section moved, with the same words, under the same parent heading;
- announcement banners; an announced version taking effect (superseded copy dropped);
- a date line re-dated with no clause changed since the old date was published;
- localisation, e-mail obfuscation, typo fixes (a slip of the keys, a split word joined);
- another page appended under its own top-level heading;
- a truncated capture (the text stops early) is not the policy at all;
- a text that returns, up to noise, to a recent earlier version (a flapping section).

Only a hunk that none of these explain makes a change. The rules look at structure and general
vocabulary, never at a particular site; noise/mutation tests in tests/test_compare*.py try to
hide a real edit in each of them.

Time is bounded (issue 12): the alignment is diff.py's budgeted aligner, and whatever it leaves
unresolved when the budget runs out stays one big differing region, which is a change: a
slower comparison may alert, it never silences.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from watcher_app import noise
from watcher_app.diff import _align, _opcodes
from watcher_app.extract.normalize import line_words

SHRINK_RATIO = 0.5  # a capture under half the policy's words may be another page
BUDGET_S = 3.0  # alignment budget of one comparison (a 3 MB page: see bench_large_page.py)
FLAP_HISTORY = 6  # earlier versions a text may flap back to, up to noise
REDATE_HISTORY = 12  # earlier versions searched for the first one carrying the old date
History = Callable[[], Sequence[list[str]]]  # earlier versions' lines, newest first


@dataclass(frozen=True)
class Verdict:
    kind: str  # "same" | "noise" | "change" | "truncated" | "blocked" (another page)
    reason: str = ""
    noise: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Doc:
    lines: list[str]
    keys: list[tuple[str, ...]]
    headings: set[tuple[str, ...]]
    counts: Counter[str]
    title: tuple[str, ...] = ()  # the first top-level heading
    head_end: int = 0  # lines before this index precede the document's prose (site header)
    foot_start: int = 0  # lines from this index follow it (site footer)
    line_counts: Counter[tuple[str, ...]] = field(default_factory=Counter)

    @classmethod
    def of(cls, lines: list[str]) -> _Doc:
        kept = [(line, tuple(line_words(line))) for line in lines]
        kept = [(line, key) for line, key in kept if key]
        texts = [line for line, _ in kept]
        keys = [key for _, key in kept]
        headings = {_strip_numbering(k) for t, k in kept if t.startswith("#")}
        counts: Counter[str] = Counter(word for key in keys for word in key)
        title = next((k for t, k in kept if t.startswith("# ")), ())
        doc = cls(texts, keys, headings, counts, title, line_counts=Counter(keys))
        prose = [i for i, (t, k) in enumerate(kept) if noise.prose(t, k)]
        if prose:
            title_at = next((i for i, t in enumerate(texts) if t.startswith("# ")), len(texts))
            doc.head_end, doc.foot_start = min(prose[0], title_at), prose[-1] + 1
        else:  # no prose at all: no zone is furniture
            doc.head_end, doc.foot_start = 0, len(texts)
        return doc

    def words(self) -> list[str]:
        return [w for key in self.keys for w in key]

    def level(self, i: int) -> int:
        text = self.lines[i]
        return len(text) - len(text.lstrip("#")) if text.startswith("#") else 0


def _strip_numbering(key: tuple[str, ...]) -> tuple[str, ...]:
    """'1 who your contract is with' and 'who your contract is with' name the same heading."""
    i = 0
    while i < len(key) and (key[i].isdigit() or (len(key[i]) == 1 and i == 0)):
        i += 1
    return key[i:] or key


def _n_words(keys: list[tuple[str, ...]]) -> int:
    return sum(len(k) for k in keys)


def _segments(a: Sequence[object], b: Sequence[object], deadline: float
              ) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes from diff.py's budgeted aligner (prefix/suffix, patience anchors,
    difflib on small gaps only). Ranges left when the deadline passes stay unmatched."""
    ids: dict[object, int] = {}
    ia = [ids.setdefault(x, len(ids)) for x in a]
    ib = [ids.setdefault(x, len(ids)) for x in b]
    blocks, _complete = _align(ia, ib, deadline)
    out = []
    for i1, i2, j1, j2, equal in _opcodes(blocks, len(ia), len(ib)):
        tag = ("equal" if equal else "delete" if j1 == j2 else "insert" if i1 == i2
               else "replace")
        out.append((tag, i1, i2, j1, j2))
    return out


# --- kinds of noise for a pure insertion or deletion of lines ------------------------------


def _is_navigation_line(text: str, key: tuple[str, ...], doc: _Doc, other: _Doc) -> bool:
    if noise.language_line(text):
        return True  # a language switcher, a list of translations
    # a table-of-contents entry repeats a heading of the document
    stripped = _strip_numbering(key)
    return not text.startswith("#") and (stripped in doc.headings or stripped in other.headings)


def _navigation(texts: list[str], keys: list[tuple[str, ...]], doc: _Doc, other: _Doc) -> bool:
    """Lone headings, TOC entries, language switchers (and short labels among them)."""
    if all(t.startswith("#") for t in texts):
        return True
    # (a lone heading is navigation too: it may be a TOC entry's twin that the alignment
    # paired the other way round)
    nav = [t.startswith("#") or _is_navigation_line(t, k, doc, other)
           for t, k in zip(texts, keys, strict=True)]
    if all(nav):
        return True
    # A TOC block or a switcher often carries a short label ("Contents", "Select a language").
    labels = [not n and noise.label(t, k) for t, k, n in zip(texts, keys, nav, strict=True)]
    languages = any(noise.language_line(t) for t in texts)
    return (sum(nav) >= 3 or languages) and all(
        n or lab for n, lab in zip(nav, labels, strict=True))


def _furniture(tag_range: tuple[int, int, int, int], old: _Doc, new: _Doc) -> bool:
    """Site furniture (menus, glued menu entries, switchers, copyright) changed where the
    site's header or footer was captured with the document: before its prose on both sides,
    or after it on both sides. Any prose, list item, table row or number in the region makes
    it a change."""
    i1, i2, j1, j2 = tag_range
    lines = old.lines[i1:i2] + new.lines[j1:j2]
    keys = old.keys[i1:i2] + new.keys[j1:j2]
    if not all(noise.furniture(t, k) for t, k in zip(lines, keys, strict=True)):
        return False
    head = i2 <= old.head_end and j2 <= new.head_end
    foot = i1 >= old.foot_start and j1 >= new.foot_start
    return head or foot


def _superseded_copy(i1: int, i2: int, old: _Doc, remaining: _Doc, announced: bool) -> bool:
    """A long run of deleted lines that mostly still stand in the new text: the old copy of a
    document shown beside its announced successor, dropped when the successor takes effect.
    Only where the old text announced an update: a page that holds two similar regional
    versions and drops one of them is a real change.

    A line the two copies share must survive, or the announced text lost it too: a deleted
    line that also stands in the kept copy must stand in the new text; and where the run
    straddles both copies (clauses before its first heading), so must every line it holds
    twice."""
    keys = old.keys[i1:i2]
    if not announced or len(keys) < 8:
        return False
    still = set(remaining.keys)
    in_run = Counter(keys)
    if any(key not in still for key in keys if old.line_counts[key] > in_run[key]):
        return False
    for line, key in zip(old.lines[i1:i2], keys, strict=True):
        if line.startswith("#"):  # the copy's heading: the run starts with a copy
            break
        if not (noise.label(line, key) or noise.call_to_action(line, key)
                or noise.notice(line)):  # clauses before the heading: it straddles two copies
            if any(key not in still for key in keys if in_run[key] >= 2):
                return False
            break
    twins = sum(key in still for key in keys)
    return twins >= 0.5 * len(keys)


def _appended_document(texts: list[str], at_end: bool, doc: _Doc) -> bool:
    """Another page appended under its own top-level heading (a combined source)."""
    return (
        at_end and len(texts) >= 3 and texts[0].startswith("# ")
        and any(t.startswith("# ") for t in doc.lines)
    )


def _sections(doc: _Doc, i1: int, i2: int) -> tuple[int, tuple[str, ...], bool] | None:
    """(level, parent heading, whole) when lines i1:i2 are sections: they start with a heading
    and hold no heading above its level; whole when the next line is a heading of its level
    or above (or the end)."""
    level = doc.level(i1) if i2 > i1 else 0
    if not level or any(0 < doc.level(i) < level for i in range(i1, i2)):
        return None
    whole = i2 == len(doc.lines) or 0 < doc.level(i2) <= level
    parent = next((doc.keys[i] for i in range(i1 - 1, -1, -1) if 0 < doc.level(i) < level), ())
    return level, parent, whole


def _moved_sections(opcodes: list[tuple[str, int, int, int, int]], old: _Doc, new: _Doc
                    ) -> set[tuple[str, int, int, int, int]]:
    """Pairs of a deleted and an inserted block with the same words that are sections at the
    same level under the same parent heading: a section moved, nothing reworded. (A
    paragraph moved into another section, or a section moved under another parent, changes
    what it applies to, and stays a change.)"""
    deleted: dict[tuple[tuple[str, ...], ...], list[tuple[str, int, int, int, int]]] = {}
    for op in opcodes:
        if op[0] == "delete":
            deleted.setdefault(tuple(old.keys[op[1]:op[2]]), []).append(op)
    moved: set[tuple[str, int, int, int, int]] = set()
    for op in opcodes:
        if op[0] != "insert":
            continue
        for gone in deleted.get(tuple(new.keys[op[3]:op[4]]), []):
            there, here = _sections(old, gone[1], gone[2]), _sections(new, op[3], op[4])
            # a whole section on one side at least: where it lands before unheaded text (an
            # introduction), that text did not move and keeps its words and place
            if (gone not in moved and there and here and there[:2] == here[:2]
                    and (there[2] or here[2])):
                moved.update((op, gone))
                break
    return moved


# --- kinds of noise inside a reworded region -----------------------------------------------


def _slip(a: str, b: str) -> bool:
    """b is a misspelt a's correction by one slip of the keys: two neighbouring letters
    swapped ("teh" → "the"), or, in a longer word, one letter doubled, dropped, added or
    replaced inside it ("affilitates" → "affiliates"). First and last letters stay: an
    edit there is a prefix or an ending ("lawful"/"unlawful", "month"/"months")."""
    if a == b or not (a.isalpha() and b.isalpha()) or min(len(a), len(b)) < 3:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
                and a[diff[1]] == b[diff[0]]:
            return True
        return len(diff) == 1 and len(a) >= 6 and 0 < diff[0] < len(a) - 1
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) != 1 or len(short) < 5:
        return False
    return any(long_[:i] + long_[i + 1:] == short for i in range(1, len(long_) - 1))


def _word_noise(old: list[str], new: list[str], old_doc: _Doc, new_doc: _Doc) -> str | None:
    """Name the noise that explains one replaced run of words, or None for a real edit."""
    if not old or not new:
        return None
    if len(old) == 1 and len(new) == 1:
        a, b = old[0], new[0]
        if "@email" in (a, b) and "@" in a + b:
            return "e-mail obfuscation"
        if a in noise.LANGUAGE_NAMES and b in noise.LANGUAGE_NAMES:
            return "language name localised"
        # a misspelt word (used nowhere else, and gone) corrected to a word the text uses
        if _slip(a, b) and old_doc.counts[a] == 1 and new_doc.counts[a] == 0 \
                and new_doc.counts[b] >= 2:
            return "typo fixed"
    if len(old) + len(new) <= 4 and "".join(old) == "".join(new) and "".join(old).isalpha():
        return "split word joined"  # "can not" → "cannot", "infor- mation" → "information"
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


# Function and interface words of the languages a policy page most often falls back to.
FOREIGN_WORDS = frozenset(
    """gültig ab seit vorherige version ansehen anzeigen sprache bedingungen datenschutz der die
    das und oder von zu mit für auf aus bei nach über unter vom zum zur des dem den ein eine
    en vigueur depuis version précédente voir afficher langue conditions le la les et ou du de
    des pour par sur dans avec vigente desde versión anterior ver idioma términos el los las y
    o del para por con valido dal versione precedente visualizza lingua termini il lo gli e
    di da per con em vigor versão anterior ver idioma termos o os as e do da dos das""".split()
)
RELATIVE_WORDS = frozenset(
    "a an one two three four five six seven eight nine ten few several over about almost less "
    "than more just now today yesterday this last past week weeks month months year years day "
    "days hour hours minute minutes second seconds ago recently".split()
)
RELATIVE_CUES = frozenset("ago today yesterday this last past recently now".split())
BYLINE_WORDS = frozenset("updated modified posted published edited revised".split())


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
    if notice and all(len(a) == 4 and len(b) == 4 and a[:2] in ("19", "20") and b[:2] in (
            "19", "20") for a, b in pairs):
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


REDATED = "re-dated"


class _Noise(str):
    """A hunk's noise reason (for people), with the kinds of noise its lines showed: what the
    decision reads (never the sentence, which may quote a page's heading)."""

    kinds: frozenset[str] = frozenset()


def _line_pair_noise(a_text: str, b_text: str, a: tuple[str, ...], b: tuple[str, ...]
                     ) -> str | None:
    if a == b:
        return "same"
    if noise.redated(a_text, b_text):
        return REDATED
    if noise.translations(a_text, b_text):
        return "list of translations changed"
    if _localised(a, b) or _relative_date(a, b) or _moving_number(a, b):
        return "label localised, relative date or counter moved"
    return None


def _reworded(o_t: list[str], o_k: list[tuple[str, ...]], n_t: list[str],
              n_k: list[tuple[str, ...]], old: _Doc, new: _Doc, deadline: float) -> str | None:
    """Explain a replaced block of lines; None when any edit is real."""
    old_words = [w for k in o_k for w in k]
    new_words = [w for k in n_k for w in k]
    if old_words == new_words:
        return "text reflowed"
    if len(o_k) == len(n_k):
        pairs = [_line_pair_noise(*x) for x in zip(o_t, n_t, o_k, n_k, strict=True)]
        if all(pairs):
            kinds = {p for p in pairs if p and p != "same"}
            explained = _Noise(", ".join(sorted(kinds)))
            explained.kinds = frozenset(kinds)
            return explained
    reasons = []
    for tag, i1, i2, j1, j2 in _segments(old_words, new_words, deadline):
        if tag == "equal":
            continue
        reason = _word_noise(old_words[i1:i2], new_words[j1:j2], old, new)
        if reason is None:
            return None
        reasons.append(reason)
    return ", ".join(sorted(set(reasons)))


def _took_effect(old_texts: list[str], new_texts: list[str], new_keys: list[tuple[str, ...]]
                 ) -> bool:
    """The banner of an announced version replaced by its plain effective-date line."""
    if not noise.banner(old_texts, [tuple(line_words(t)) for t in old_texts]):
        return False
    if _n_words(new_keys) > 12:
        return False
    new_dates = {d.lower() for t in new_texts for d in noise.DATE.findall(t)}
    old_dates = {d.lower() for t in old_texts for d in noise.DATE.findall(t)}
    return bool(new_dates) and new_dates <= old_dates


def _another_page(old: _Doc, new: _Doc) -> str | None:
    """The capture shrank to less than half and is another page: most of what it says is
    not in the policy, and it does not carry the policy's title (a hub, a region chooser, a
    marketing page the address now leads to). A policy rewritten shorter keeps its title."""
    n_old, n_new = len(old.words()), len(new.words())
    if not n_new or n_new >= SHRINK_RATIO * n_old:
        return None
    kept = set(old.keys)
    shared = sum(len(k) for k in new.keys if k in kept)
    if shared >= 0.5 * n_new or (old.title and old.title == new.title):
        return None
    return (f"another page: the text shrank to {100 * n_new // n_old} % and "
            f"{100 * shared // n_new} % of it is in the policy (a hub, a region chooser?)")


# --- the decision ---------------------------------------------------------------------------


def _explain(tag: str, i1: int, i2: int, j1: int, j2: int, old: _Doc, new: _Doc,
             announced: bool, deadline: float) -> str | None:
    """The noise that explains one hunk, or None when it is a real change."""
    o_t, o_k = old.lines[i1:i2], old.keys[i1:i2]
    n_t, n_k = new.lines[j1:j2], new.keys[j1:j2]
    if _furniture((i1, i2, j1, j2), old, new):
        return "site furniture (menus) around the document changed"
    if tag == "delete":
        if _navigation(o_t, o_k, old, new):
            return "navigation removed"
        if noise.banner(o_t, o_k):
            return "update notice removed"
        if _superseded_copy(i1, i2, old, new, announced):
            return "superseded copy dropped as the announced version took effect"
        return None
    if tag == "insert":
        if _navigation(n_t, n_k, new, old):
            return "navigation added"
        if noise.banner(n_t, n_k):
            return "update notice added"
        if _appended_document(n_t, j2 == len(new.keys), new):
            return f"another page appended ({n_t[0].lstrip('# ')[:60]})"
        return None
    if (reason := _reworded(o_t, o_k, n_t, n_k, old, new, deadline)) is not None:
        return reason
    if _took_effect(o_t, n_t, n_k):
        return "announced version took effect"
    return None


def _verdict(old: _Doc, new: _Doc, deadline: float) -> tuple[Verdict, list[str]]:
    """The verdict on two texts, and the old date lines a re-dating explained away."""
    if old.words() == new.words():
        return Verdict("same"), []
    cut = len(new.keys)
    if (cut < len(old.keys) and old.keys[:cut] == new.keys and not old.lines[cut].startswith("#")
            and not _navigation(old.lines[cut:], old.keys[cut:], old, new)
            and not _furniture((cut, len(old.keys), cut, cut), old, new)):
        # The text stops in the middle of a section: a broken capture. (Whole sections
        # removed from the end start with their heading, and are a real change.)
        missing = len(old.keys) - len(new.keys)
        return Verdict("truncated", f"the text stops early: its last {missing} paragraphs are "
                                    "missing (a truncated capture?)"), []
    if (reason := _another_page(old, new)) is not None:
        return Verdict("blocked", reason), []
    opcodes = _segments(old.keys, new.keys, deadline)
    announced = any(noise.notice(t) for tag, i1, i2, _, _ in opcodes if tag != "equal"
                    for t in old.lines[i1:i2])
    moved = _moved_sections(opcodes, old, new)
    reasons: list[str] = []
    redated: list[str] = []
    for op in opcodes:
        tag, i1, i2, j1, j2 = op
        if tag == "equal":
            continue
        reason = ("section moved with the same words" if op in moved
                  else _explain(tag, i1, i2, j1, j2, old, new, announced, deadline))
        if reason is None:
            where = (new.lines[j1:j2] or old.lines[i1:i2])[0][:80]
            return Verdict("change", f"wording changed near \u201c{where}\u201d",
                           tuple(reasons)), []
        if isinstance(reason, _Noise) and REDATED in reason.kinds:
            redated += [t for t in old.lines[i1:i2] if noise.date_line(t)]
        reasons.append(reason)
    return Verdict("noise", "only noise: " + "; ".join(sorted(set(reasons))),
                   tuple(reasons)), redated


def _dated_since(redated: list[str], new: _Doc, history: Sequence[list[str]],
                 deadline: float) -> Verdict | None:
    """A re-dated text is noise when no clause changed since the old date was published. The
    oldest recent version that still carries the old date line is where it was published; if
    the new text differs from that one by more than noise, the new date marks a change made
    since (seen then without a new date), and it alerts as a change."""
    wanted = set(redated)
    published = None
    for lines in history[:REDATE_HISTORY]:
        if not wanted <= set(lines):
            break
        published = lines
    if published is None:
        return None
    verdict, _ = _verdict(_Doc.of(published), new, deadline)
    if verdict.kind in ("same", "noise"):
        return None
    return Verdict("change", "re-dated: the text changed since the old date was published ("
                   + verdict.reason + ")")


def _flap(new: _Doc, history: Sequence[list[str]], deadline: float) -> Verdict | None:
    """The text is back, up to noise, to a recent earlier version: a section that comes and
    goes between captures (a text exactly equal to one is the monitor's plain flap)."""
    for back, lines in enumerate(history[:FLAP_HISTORY], start=1):
        if time.perf_counter() > deadline:
            return None
        verdict, _ = _verdict(_Doc.of(lines), new, deadline)
        if verdict.kind in ("same", "noise"):
            return Verdict("noise", f"flap: back to the version {back} before the current one"
                           f" ({verdict.reason or 'same words'})", verdict.noise)
    return None


def compare(old_lines: list[str], new_lines: list[str], *, history: History | None = None,
            budget_s: float = BUDGET_S) -> Verdict:
    """The alerting decision on the current version's lines and a new capture's. `history`
    gives earlier versions' lines, newest first, when the decision needs them (a re-dated
    text, a text that may flap back); it is only called then."""
    deadline = time.perf_counter() + budget_s
    new = _Doc.of(new_lines)
    verdict, redated = _verdict(_Doc.of(old_lines), new, deadline)
    if history is None or verdict.kind not in ("noise", "change"):
        return verdict
    if verdict.kind == "noise":
        if redated:
            return _dated_since(redated, new, history(), deadline) or verdict
        return verdict
    return _flap(new, history(), deadline) or verdict

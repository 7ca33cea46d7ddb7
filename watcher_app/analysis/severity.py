"""Severity of a change (low / medium / high) from its findings, and the reason in words.

Findings come from the clause reading (clauses.py: a reworded clause whose act, figure or list
moved) and from the statement triggers of resources/rules/severity.json (a sentence that adds a
class-action waiver, removes a promise not to sell, ...: fired only on a phrase new to the
document). The most consequential finding decides, and the reason quotes it. Without any
finding: low when every edit is editorial (dates, names, contact details, pointers) or the change
is a small clarification, medium otherwise (anything non-editorial is at least medium).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from watcher_app.analysis.acts import LEVELS, Finding, clip, is_limited, lexicon
from watcher_app.analysis.categories import is_novel, occurrences
from watcher_app.analysis.params import Params
from watcher_app.analysis.rules import (
    Folded,
    Pattern,
    Rules,
    in_address,
    is_negated,
    is_users_doing,
    load_rules,
    make_pattern,
)
from watcher_app.analysis.sections import SentenceEdit, TextDiff
from watcher_app.analysis.tokens import words

# A change whose substantive edits add up to at most this many words, and that fires no
# trigger, is a clarification (low).
SMALL_CHANGE_WORDS = 60
SMALL_CHANGE_EDITS = 3  # ... and touches at most this many sentences (a clarification is local)
DISTINCT_WORDS = 3  # a trigger phrase this long is counted verbatim across the document
_NUMBER = re.compile(r"^\d[\d,.]*$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_LINKISH = re.compile(r"[./@]|^[\w]+(-[\w]+){1,}$")


@dataclass(frozen=True)
class Trigger:
    level: str  # "high" | "medium"
    id: str
    category: str
    reason: str
    pattern: Pattern
    on: frozenset[str]
    reasons: dict[str, str]  # per direction, when it needs other words ("removes a promise ...")
    act: str = ""  # the clauses.json act it states (see summary._unread)


@dataclass(frozen=True)
class Fired:
    trigger: Trigger
    evidence: str  # the sentence it fired on
    direction: str = "added"
    span: tuple[int, int] = (0, 0)  # the phrase it fired on, in `evidence`
    path: tuple[str, ...] = ()  # the headings of the sentence

    @property
    def reason(self) -> str:
        return self.trigger.reasons.get(self.direction, self.trigger.reason)


_COMPILED: dict[int, tuple[list[Trigger], Folded]] = {}


def _triggers(rules: Rules) -> tuple[list[Trigger], Folded]:
    """The triggers of a rule set, compiled once, and a regex matching wherever any could."""
    key = id(rules.severity)
    if key not in _COMPILED:
        triggers = _compile_triggers(rules)
        union = Folded("|".join(f"(?:{t.pattern.regex.source})" for t in triggers))
        _COMPILED[key] = (triggers, union)
    return _COMPILED[key]


def _compile_triggers(rules: Rules) -> list[Trigger]:
    out = []
    for level in ("high", "medium"):
        for spec in rules.severity.get(level, []):
            pattern = make_pattern(spec)
            reasons = {k.removeprefix("reason_"): v for k, v in spec.items()
                       if k.startswith("reason_")}
            out.append(Trigger(level, spec["id"], spec.get("category", ""), spec["reason"],
                               pattern, frozenset(spec["on"]), reasons, spec.get("act", "")))
    return out


# --- editorial edits ---------------------------------------------------------------------


def is_editorial(edit: SentenceEdit, rules: Rules | None = None) -> bool:
    """Does this edit leave the policy's substance alone (a date, a renamed entity, a contact
    address, a pointer to a summary, an announcement banner)?"""
    cfg = (rules or load_rules()).editorial
    sentence = edit.new or edit.old
    n_words = len(words(sentence))
    for _kind, limit, regex in _editorial_res(cfg):
        if n_words <= limit and regex.search(sentence):
            return True
    if edit.kind != "reworded":
        return _is_bare_date(sentence, cfg) or _is_names(sentence, n_words, cfg)
    return not substantive_tokens(edit, cfg)


def _is_names(sentence: str, n_words: int, cfg: dict[str, Any]) -> bool:
    """A short line of names, numbers and codes: "Reddit, Inc.", "San Francisco, CA 94104"
    (a title-case label such as "Device Information" is not: it names a topic)."""
    if n_words > cfg["names_max_words"]:
        return False
    skip = set(cfg["stopwords"])
    found = words(sentence)
    if not all(not w[:1].islower() or w.lower() in skip for w in found):
        return False
    return n_words <= 2 or any(any(c.isdigit() for c in w) or w.lower() in skip for w in found)


_EDITORIAL_KINDS = ("announcement", "boilerplate", "contact", "definition")
_EDITORIAL_RES: dict[int, list[tuple[str, int, Folded]]] = {}


def _editorial_res(cfg: dict[str, Any]) -> list[tuple[str, int, Folded]]:
    key = id(cfg)
    if key not in _EDITORIAL_RES:
        _EDITORIAL_RES[key] = [(k, int(cfg[f"{k}_max_words"]), Folded(cfg[k]))
                               for k in _EDITORIAL_KINDS]
    return _EDITORIAL_RES[key]


def _is_bare_date(sentence: str, cfg: dict[str, Any]) -> bool:
    found = [w.lower() for w in words(sentence)]
    return bool(found) and all(w in cfg["months"] or _NUMBER.match(w) for w in found)


def substantive_tokens(edit: SentenceEdit, cfg: dict[str, Any]) -> list[str]:
    """The changed words of a rewording that are more than dates, numbers, links, pronouns
    or a renamed proper noun."""
    skip = set(cfg["stopwords"]) | set(cfg["pronouns"]) | set(cfg["months"])
    units = set(cfg["units"])
    cues = set(cfg["number_cues_before"])
    rename = bool(edit.deleted) and bool(edit.inserted)
    # "Twitter gives" -> "We give", "may offer" -> "may be offered": the same word inflected
    # (markdown emphasis moved across a comma, "page_," -> "page,_", changes no word: "_" is
    # markup, not part of the word)
    words_on = {"old": [w.lower().strip("_") for w in edit.deleted],
                "new": [w.lower().strip("_") for w in edit.inserted]}
    short = set(cfg["short_words"])
    out: list[str] = []
    for side, spans, sentence in (("old", edit.old_spans, edit.old),
                                  ("new", edit.new_spans, edit.new)):
        for start, end in spans:
            following = words(sentence[end:end + 30])[:1]
            preceding = words(sentence[max(0, start - 30):start])[-1:]
            # "90 days" or "under the age of 14" is a rule, not a date; but figures in a table
            # are statistics
            counted = edit.block_kind != "row" and (
                bool(following) and following[0].lower() in units
                or bool(preceding) and preceding[0].lower() in cues
                or sentence[max(0, start - 1):start] in ("$", "€", "£")
                or sentence[end:end + 1] == "%")
            for word in words(sentence[start:end]):
                low = word.lower().strip("_")
                if not low:
                    continue
                if low in units:
                    out.append(word)
                elif _NUMBER.match(word) or _YEAR.match(word):
                    if counted:
                        out.append(word)
                elif low in skip or _LINKISH.search(word):
                    continue
                elif len(low) <= 2 and low not in short:
                    continue  # a fragment ("/en/" left from a link)
                elif any(_same_word(low, w) for w in words_on["new" if side == "old" else "old"]):
                    continue
                elif rename and word[:1].isupper():
                    continue  # Twitter International -> X Internet: a rename
                else:
                    out.append(word)
    return out


def _same_word(a: str, b: str) -> bool:
    """The same word inflected: give/gives, offer/offered, twitter/twitter's."""
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.startswith(short) and \
        long[len(short):] in {"", "s", "es", "d", "ed", "ing", "'s", "'"}


def change_size(edits: Sequence[SentenceEdit], editorial: Sequence[bool],
                rules: Rules | None = None) -> int:
    """Words of substance the change adds, removes or rewrites."""
    cfg = (rules or load_rules()).editorial
    size = 0
    for edit, ed in zip(edits, editorial, strict=True):
        if ed:
            continue
        if edit.kind == "reworded":
            size += len(substantive_tokens(edit, cfg))
        else:
            size += len(words(edit.new or edit.old))
    return size


# --- triggers -------------------------------------------------------------------------------


def _doc_counts(sentences: Sequence[str], pattern: Pattern, phrase: str,
                rules: Rules) -> tuple[int, int]:
    """(affirmative, negated) statements of this phrase (or, when phrase is empty, of
    anything the pattern matches) anywhere in one version."""
    joined = "\n".join(sentences)
    if phrase and phrase not in joined.lower():
        return 0, 0
    starts = [0]
    for s in sentences[:-1]:
        starts.append(starts[-1] + len(s) + 1)
    counts = [0, 0]
    # one pass of the regex over the whole text: per-sentence calls cost far more
    for m in pattern.regex.finditer(joined):
        if phrase and m.group().lower() != phrase:
            continue
        i = bisect_right(starts, m.start()) - 1
        sentence, pos = sentences[i], m.start() - starts[i]
        if pattern.unless is not None and pattern.unless.search(sentence):
            continue
        if pattern.platform and is_users_doing(sentence, pos, rules):
            continue
        if in_address(sentence, pos, pos + len(m.group())):
            continue
        counts[is_negated(sentence, pos, rules)] += 1
    return counts[0], counts[1]


def _grows(trigger: Trigger, direction: str, phrase: str, diff: TextDiff, rules: Rules) -> bool:
    """Does the document as a whole state this more (or, for removals, less) often than
    before? A clause reworded, moved or restated elsewhere is no new practice."""
    old = _doc_counts(diff.old_sentences, trigger.pattern, phrase, rules)
    new = _doc_counts(diff.new_sentences, trigger.pattern, phrase, rules)
    slot = 1 if direction.endswith("_negated") else 0
    return new[slot] > old[slot] if direction.startswith("added") else new[slot] < old[slot]


def fire_triggers(diff: TextDiff, editorial: Sequence[bool],
                  rules: Rules | None = None) -> list[Fired]:
    rules = rules or load_rules()
    triggers, union = _triggers(rules)
    # only edits where some trigger could fire are examined, trigger by trigger (a heading
    # names a section, it states nothing: "How We Share Information" is no new sharing)
    candidates = [not ed and e.block_kind != "heading" and bool(union.search(e.old + "\n" + e.new))
                  for e, ed in zip(diff.edits, editorial, strict=True)]
    fired: list[Fired] = []
    for trigger in triggers:
        found = _fire_one(trigger, diff, candidates, rules)
        if found is not None:
            fired.append(found)
    return fired


def _fire_one(trigger: Trigger, diff: TextDiff, candidates: Sequence[bool],
              rules: Rules) -> Fired | None:
    grows: dict[tuple[str, str], bool] = {}
    for edit, candidate in zip(diff.edits, candidates, strict=True):
        if not candidate or not (trigger.pattern.regex.search(edit.new)
                                 or trigger.pattern.regex.search(edit.old)):
            continue
        for o in occurrences(edit, trigger.pattern, rules):
            direction = o.direction
            if direction in ("added", "removed") and o.negated:
                direction += "_negated"
            if direction not in trigger.on:
                continue
            if direction != "near":
                other = diff.new_norm if direction.startswith("removed") else diff.old_norm
                if not is_novel(o, other):  # an existing clause restated or moved
                    continue
                # an added distinctive phrase is counted as itself; a single word ("train") by
                # its pattern, since "training" elsewhere states the same practice; and a
                # removal counts only if the document has fewer such statements overall
                distinct = len(o.phrase.split()) >= DISTINCT_WORDS
                phrase = o.phrase.lower() if distinct and direction == "added" else ""
                key = (direction, phrase)
                if trigger.level == "high":
                    if key not in grows:
                        grows[key] = _grows(trigger, direction, key[1], diff, rules)
                    if not grows[key]:
                        continue
            return Fired(trigger, o.sentence, direction, (o.start, o.end), edit.path)
    return None


CONTEXT_WORDS = 4  # words either side of a trigger's phrase in its quote


def fired_findings(fired: Sequence[Fired], categories: Sequence[str]) -> list[Finding]:
    """The statement triggers that fired, as findings quoting their sentence."""
    out = []
    for f in fired:
        words = [m.span() for m in re.finditer(r"\S+", f.evidence)]
        a, b = f.span
        first = next((k for k, (s, e) in enumerate(words) if e > a), 0)
        last = next((k for k, (s, e) in reversed(list(enumerate(words))) if s < b), first)
        lo = words[max(0, first - CONTEXT_WORDS)][0] if words else a
        hi = words[min(len(words) - 1, last + CONTEXT_WORDS)][1] if words else b
        quote = clip(f.evidence, [(lo, hi)], max_words=2 * CONTEXT_WORDS + 4)
        removed = f.direction.startswith("removed")
        topic = f.trigger.category or (categories[0] if categories else "")
        limited = is_limited(f.evidence, f.path)
        out.append(Finding("statement", topic, f.trigger.level, "worse", f.reason,
                           quote if removed else "", "" if removed else quote, f.trigger.id,
                           limited))
    return out


_KIND_ORDER = {"state": 0, "quantity": 0, "licence": 0, "list": 1, "venue": 2, "statement": 3}
_EFFECT_ORDER = {"worse": 0, "neutral": 1, "better": 2}


def by_consequence(findings: Sequence[Finding], categories: Sequence[str] = ()) -> list[Finding]:
    """Findings, most consequential first: the highest level; at a level, a worsening before a
    neutral change before an improvement; a clause read old-against-new before a statement;
    then the main topic first."""
    rank = {c: k for k, c in enumerate(categories)}
    return sorted(findings, key=lambda f: (-f.rank, _EFFECT_ORDER[f.effect], _KIND_ORDER[f.kind],
                                           rank.get(f.topic, len(rank))))


def calibrate(findings: Sequence[Finding], params: Params) -> list[Finding]:
    """Findings with the fitted cap applied: a protection or user control weakened or removed
    only for some users or places is medium when `params.limited_cap` (a practice allowed or
    a promise dropped there is not capped: it is what the users concerned get)."""
    kinds = {a.id: a.kind for a in lexicon().acts}
    out = []
    for f in findings:
        guards = kinds.get(f.act) in ("protection", "control")
        capped = (f.level == "high" and f.effect == "worse" and params.limited_cap
                  and f.limited and guards)
        out.append(replace(f, level="medium") if capped else f)
    return out


def deciding(findings: Sequence[Finding], categories: Sequence[str] = ()) -> Finding | None:
    ordered = by_consequence(findings, categories)
    return ordered[0] if ordered else None


def decide(diff: TextDiff, editorial: Sequence[bool], findings: Sequence[Finding],
           categories: Sequence[str], params: Params, rules: Rules | None = None,
           size: int | None = None) -> tuple[str, str]:
    """(severity, reason in words); `size` = change_size() when the caller has it."""
    rules = rules or load_rules()
    if not diff.edits:
        return "low", "Low: no wording changed (layout or order only)"
    top = deciding(findings, categories)
    if top is not None and top.rank >= LEVELS.index("medium"):
        level = top.level
        side = " (in users' favour)" if top.effect == "better" else ""
        return level, f"{level.capitalize()}: {top.quoted()}{side} ({top.topic})"
    if all(editorial):
        return "low", "Low: editorial change only (dates, names, contact details or pointers)"
    if size is None:
        size = change_size(diff.edits, editorial, rules)
    topics = ", ".join(c for c in categories if c != "editorial")
    if size <= params.small_words and editorial.count(False) <= params.small_edits:
        return "low", f"Low: a small clarification ({size} words of substance changed)"
    return "medium", f"Medium: substantive rewording ({size} words) of {topics or 'the text'}"

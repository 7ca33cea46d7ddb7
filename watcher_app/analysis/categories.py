"""Topic categories of a change, from phrase rules kept as data in resources/rules/.

The rules are applied to the changed text only (added and removed sentences, and the edited
part of reworded sentences) plus the heading path each change sits under, so a topic is named
because the change touches it, not because its words appear somewhere nearby. Every hit keeps
its direction (added / removed / edited in place / mere context) and whether it sits under a
negation, which severity.py uses to tell "we sell" from "we do not sell".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from watcher_app.analysis.acts import LEVELS, Finding
from watcher_app.analysis.params import Params
from watcher_app.analysis.renames import retitled, swept_edits
from watcher_app.analysis.rules import (
    Pattern,
    Rules,
    in_address,
    is_negated,
    is_users_doing,
    load_rules,
)
from watcher_app.analysis.sections import SentenceEdit, TextDiff

# How much a hit counts, by where it sits: a phrase the change adds or removes counts fully; a
# phrase already in a reworded sentence counts less, and less again when the edit is elsewhere
# in that sentence (it is context, not what changed).
DIRECTION_FACTOR = {"added": 1.0, "removed": 1.0, "near": 0.6, "context": 0.15}
NEAR_CHARS = 40  # a phrase this close to an edited span is "near" the edit
RESTATED_FACTOR = 0.3  # an added phrase the old text already had (with its context), or vice versa
HEADING_BONUS = 1.0  # a changed sentence under a heading that names the topic
LEAD_FACTOR = 0.5  # a topic phrase in the paragraph that introduces a changed list item
EDIT_CAP = 8.0  # one long sentence (a table row) must not outweigh many ordinary changes
# Each edit carries EDIT_UNIT points of attention (less when its best topic scores under
# FULL_EDIT), shared among its topics in proportion to score ** SHARPEN.
EDIT_UNIT = 3.0
FULL_EDIT = 3.0
SHARPEN = 2.0
SUMMARY_FACTOR = 0.3  # edits under a "Summary" / "Key updates" heading restate the terms
# A category is reported when its score reaches MIN_SCORE and either REL_SCORE x the best
# one's or, in one single edit, STRONG_EDIT (a heading added or removed that names the topic
# with SECTION_TOPIC points counts as such an edit: a whole section on it); at most
# MAX_CATEGORIES of them.
MIN_SCORE = 1.0
REL_SCORE = 0.3
STRONG_EDIT = 4.0
SECTION_TOPIC = 2.0
MAX_CATEGORIES = 4
EVIDENCE_MAX = 3  # quotes kept per category
# An editorial change of at most LOCAL_EDITS sentences (a renamed document, a removed contact
# address) is named by the topic of the clause it edits when one edit states that topic with at
# least EDITORIAL_TOPIC points ("the right to contact our Data Protection Officer").
LOCAL_EDITS = 3
EDITORIAL_TOPIC = 1.2
# An edit the clause reading understood counts FINDING_SCORE for each finding's topic (a full
# edit) and FOCUS_FACTOR of its other topic words.
FINDING_SCORE = 4.0
FOCUS_FACTOR = 0.3


@dataclass(frozen=True)
class CategoryHit:
    name: str
    score: float
    evidence: tuple[str, ...]  # the matched phrases, each quoted with a little context


@dataclass(frozen=True)
class Occurrence:
    direction: str  # "added" | "removed" | "near" | "context"
    negated: bool
    phrase: str
    sentence: str
    start: int
    end: int
    flipped: bool = False  # the old sentence said the same with the opposite polarity


_LIST_BREAK = re.compile(r"[,;:]")


def _near(sentence: str, start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    """Is the phrase at start:end close to an edited span, in the same clause? Words beyond a
    comma, semicolon or colon are the edit's neighbours in a list, not what it changed
    ("verifying your identity, estimating your age, and defending against fraud")."""
    for s, e in spans:
        if start < e + NEAR_CHARS and end > s - NEAR_CHARS:
            between = sentence[e:start] if start >= e else sentence[end:s] if s >= end else ""
            if not _LIST_BREAK.search(between):
                return True
    return False


def _matches(sentence: str, block: str, pattern: Pattern, rules: Rules,
             lead: str = "", duties: bool = True) -> list[tuple[re.Match[str], bool]]:
    """Matches in a sentence, each with its negation; `also` may be found anywhere in the
    sentence's paragraph (a table row or list item often names the data in another cell).
    `lead` introduces the list the sentence is an item of ("You may not:"). With `duties`,
    a platform pattern skips rules for the user ("you may not sell data you obtain")."""
    if not sentence:
        return []
    if duties and pattern.platform and lead and rules.user_duty.search(lead):
        return []  # an item of a list of things the user must not do
    if pattern.also is not None and not (pattern.also.search(sentence)
                                         or (block and pattern.also.search(block))):
        return []
    if pattern.unless is not None and pattern.unless.search(sentence):
        return []
    out = []
    for m in pattern.regex.finditer(sentence):
        if pattern.platform and is_users_doing(sentence, m.start(), rules, duties):
            continue
        if in_address(sentence, m.start(), m.end()):
            continue
        out.append((m, is_negated(sentence, m.start(), rules)))
    return out


def occurrences(edit: SentenceEdit, pattern: Pattern, rules: Rules,
                duties: bool = True) -> list[Occurrence]:
    """Where a pattern occurs in one edit, and in which direction (`duties`: see _matches)."""
    def occ(direction: str, m: re.Match[str], neg: bool, sentence: str,
            flipped: bool = False) -> Occurrence:
        return Occurrence(direction, neg, sentence[m.start():m.end()], sentence, m.start(),
                          m.end(), flipped)

    new = _matches(edit.new, edit.new_block, pattern, rules, edit.lead, duties)
    old = _matches(edit.old, edit.old_block, pattern, rules, edit.lead, duties)
    if edit.kind == "added" or edit.variant:
        # a variant is a new sentence modelled on one that stays: all of it is newly stated
        # (what it restates word for word is discounted as restated, see is_novel)
        return [occ("added", m, n, edit.new) for m, n in new]
    if edit.kind == "removed":
        return [occ("removed", m, n, edit.old) for m, n in old]
    old_keys = {(m.group().lower(), n) for m, n in old}
    new_keys = {(m.group().lower(), n) for m, n in new}
    out: list[Occurrence] = []
    for m, n in new:
        if (m.group().lower(), n) not in old_keys:
            # "we do not use ... to train" -> "we may use ... to train" flips the statement
            out.append(occ("added", m, n, edit.new, (m.group().lower(), not n) in old_keys))
        elif _near(edit.new, m.start(), m.end(), edit.new_spans):
            out.append(occ("near", m, n, edit.new))
        else:
            out.append(occ("context", m, n, edit.new))
    out += [occ("removed", m, n, edit.old, (m.group().lower(), not n) in new_keys)
            for m, n in old if (m.group().lower(), n) not in new_keys]
    return out


def quote(o: Occurrence, width: int = 60) -> str:
    """The matched phrase with a little context, as evidence."""
    s = o.sentence
    a, b = max(0, o.start - width), min(len(s), o.end + width)
    while a > 0 and s[a - 1] != " ":
        a -= 1
    while b < len(s) and s[b] != " ":
        b += 1
    text = ("…" if a > 0 else "") + s[a:b].strip() + ("…" if b < len(s) else "")
    verb = {"added": "adds", "removed": "removes", "near": "edits", "context": "edits"}
    neg = " (negated)" if o.negated else ""
    return f"{verb[o.direction]}{neg}: “{text}”"


# --- scoring ----------------------------------------------------------------------------------


_WORD_RUN = re.compile(r"\S+")


def is_novel(o: Occurrence, other_norm: str) -> bool:
    """Is the phrase, with a few words either side, absent from the other version? A clause
    restated in a new summary or moved elsewhere is not what the change is about. A flipped
    statement ("we do not ..." -> "we ...") is always new."""
    if o.flipped:
        return True
    # the text itself from the third word before to the third word after (a phrase that ends
    # a sentence keeps its full stop attached, as the other version has it)
    before = list(_WORD_RUN.finditer(o.sentence, 0, o.start))[-3:]
    after = list(_WORD_RUN.finditer(o.sentence, o.end))[:3]
    a = before[0].start() if before else o.start
    b = after[-1].end() if after else o.end
    window = " ".join(o.sentence[a:b].split()).lower()
    return window not in other_norm


@dataclass(frozen=True)
class Scored:
    hits: tuple[CategoryHit, ...]  # best first
    significance: list[float]  # per edit: the weight of the topic phrases it touches
    peak: dict[str, float]  # per category: its strongest single edit
    modifiers: frozenset[str] = frozenset()  # categories saying who is affected (minors)
    # per edit: each category's share of that edit's attention (what `hits` sums)
    contributions: tuple[dict[str, float], ...] = ()


def score_categories(diff: TextDiff, editorial: Sequence[bool],
                     rules: Rules | None = None,
                     findings: Sequence[Sequence[Finding]] | None = None) -> Scored:
    """Every category the substantive edits touch, best first, with evidence; and how
    significant each edit is (the weight of the topic phrases it adds, removes or edits).

    `findings` (per edit, from the clause reading) focus an edit on what it does: its
    findings' topics count as a whole edit each, and the other topic words of that edit,
    which the reading took as context or as the modality of the act ("unless you opt out"),
    count FOCUS_FACTOR of their weight."""
    rules = rules or load_rules()
    edits = diff.edits
    findings = findings or [()] * len(edits)
    scores: dict[str, float] = defaultdict(float)
    evidence: dict[str, list[tuple[float, str]]] = defaultdict(list)
    significance: list[float] = []
    contributions: list[dict[str, float]] = []
    peak: dict[str, float] = {}
    summary = re.compile(rules.editorial["summary_headings"], re.IGNORECASE)
    pointer = re.compile(rules.editorial["pointer"], re.IGNORECASE)
    swept = swept_edits(edits, rules)
    for k, (edit, is_editorial, found) in enumerate(zip(edits, editorial, findings,
                                                        strict=True)):
        raw: dict[str, float] = {}
        if not is_editorial:
            text = "\n".join((edit.old, edit.new, edit.lead))
            for cat, patterns in rules.patterns.items():
                if not rules.any_pattern[cat].search(text):
                    continue
                total, direct = _score_edit(edit, patterns, rules, diff, evidence[cat],
                                            k in swept and cat not in rules.modifiers)
                if cat in rules.modifiers:
                    total = direct  # who is affected must be named by the change itself
                heading = next((t for t in reversed(edit.path)
                                if any(h.search(t) for h in rules.headings[cat])), None)
                if total and heading is not None and (direct or k not in swept):
                    total += HEADING_BONUS
                    if not direct:  # the heading is the evidence that this edit is on topic
                        verb = {"added": "adds", "removed": "removes"}.get(edit.kind, "edits")
                        evidence[cat].append((HEADING_BONUS, f"{verb} under ‘{heading}’: "
                                              f"“{(edit.new or edit.old)[:120]}”"))
                if total:
                    raw[cat] = min(total, EDIT_CAP)
            focus = {f.topic for f in found if f.topic in rules.patterns}
            if focus:
                for cat in raw:
                    if cat not in focus and cat not in rules.modifiers:
                        raw[cat] *= FOCUS_FACTOR
                for f in found:
                    if f.topic in rules.patterns:
                        raw[f.topic] = max(raw.get(f.topic, 0.0), FINDING_SCORE)
                        evidence[f.topic].append((FINDING_SCORE + f.rank, f.quoted()))
                for cat in [c for c in raw if c in rules.modifiers]:
                    # the clause that changed names who it is for ("users under the age of
                    # 18"): what it does, it does to them
                    raw[cat] = max(raw[cat], FINDING_SCORE)
        significance.append(sum(raw.values()))
        contributions.append({})
        if not raw:
            continue
        # Each edit has one unit of attention (less when its best topic is weak), shared among
        # its topics with the main one favoured: a long sentence listing data types for a
        # training purpose is mostly about training, not a little about everything it names.
        factor = 1.0
        if summary.search(" ".join(edit.path)) or pointer.search(edit.new or edit.old) or (
                edit.block_kind == "heading" and (edit.kind == "reworded"
                                                  or retitled(edit, edits))):
            # a summary restates the terms below it; a pointer names a page, and a retitled
            # section its topic, without changing either
            factor = SUMMARY_FACTOR
        mass = min(1.0, max(raw.values()) / FULL_EDIT) * factor
        # a finding about who is affected (an age limit) makes that the edit's main topic
        focus = {f.topic for f in found}
        topical = {c: v for c, v in raw.items() if c not in rules.modifiers or c in focus}
        # the topics share the attention their own strength earns: a strong word about who is
        # affected ("age rating") does not make a weak, restated topic word a full edit
        topical_mass = min(1.0, max(topical.values(), default=0.0) / FULL_EDIT) * factor
        section = edit.block_kind == "heading" and edit.kind != "reworded" and mass == 1.0
        norm = sum(v ** SHARPEN for v in topical.values())
        for cat, v in raw.items():
            # a modifier (minors) is scored beside the sentence's topic, not against it
            share = v ** SHARPEN / norm if cat in topical else 1.0
            m = topical_mass if cat in topical else mass
            scores[cat] += EDIT_UNIT * m * share
            contributions[-1][cat] = EDIT_UNIT * m * share
            # how strongly one single edit is about this topic (see select_categories)
            peak[cat] = max(peak.get(cat, 0.0), v * m * min(1.0, 2 * share))
            if section and v >= SECTION_TOPIC:
                # a whole section on this topic added or removed: however big the rest of the
                # change, the topic is part of it
                peak[cat] = max(peak[cat], STRONG_EDIT)
    hits = []
    for cat, value in sorted(scores.items(), key=lambda kv: -kv[1]):
        if value <= 0:
            continue
        seen: list[str] = []
        for _, text in sorted(evidence[cat], key=lambda e: -e[0]):
            if text not in seen:
                seen.append(text)
            if len(seen) == EVIDENCE_MAX:
                break
        hits.append(CategoryHit(cat, round(value, 2), tuple(seen)))
    return Scored(tuple(hits), significance, peak, rules.modifiers, tuple(contributions))


def _score_edit(edit: SentenceEdit, patterns: Sequence[Pattern], rules: Rules, diff: TextDiff,
                evidence: list[tuple[float, str]], swept: bool = False) -> tuple[float, float]:
    """One category's score for one edit, and the part of it the edit states directly (not
    mere context): each pattern counts once, at its best occurrence. In a `swept` edit (a
    term replaced throughout the document) a phrase next to the replaced term is context."""
    total = direct = 0.0
    for pattern in patterns:
        best: tuple[float, Occurrence] | None = None
        # a rule for the user about a topic (developers must get consent before sharing
        # data) is about that topic, though it is no practice of the platform
        for o in occurrences(edit, pattern, rules, duties=False):
            if swept and o.direction == "near":
                o = replace(o, direction="context")
            value = pattern.weight * DIRECTION_FACTOR[o.direction]
            if o.direction in ("added", "removed"):
                other = diff.old_norm if o.direction == "added" else diff.new_norm
                if not is_novel(o, other):
                    value *= RESTATED_FACTOR
            if best is None or value > best[0]:
                best = (value, o)
        if best is not None:
            total += best[0]
            if best[1].direction != "context":
                direct += best[0]
                evidence.append((best[0], quote(best[1])))
        elif edit.lead and _matches(edit.lead, "", pattern, rules):
            # an item added under "Mistral AI will not be liable:" is about liability
            total += pattern.weight * LEAD_FACTOR
            verb = "removes" if edit.kind == "removed" else "adds"
            item = edit.new or edit.old
            evidence.append((pattern.weight * LEAD_FACTOR,
                             f"{verb} under “{edit.lead[-80:]}”: “{item[:120]}”"))
    return total, direct


def editorial_topics(diff: TextDiff, rules: Rules | None = None) -> tuple[CategoryHit, ...]:
    """The topics of the clauses a small, purely editorial change edits: a renamed entity or a
    removed contact address inside a clause about a topic touches that topic. Only phrases the
    edit itself adds, removes or edits next to count; a wide editorial sweep (a company renamed
    throughout the document) names no topic."""
    rules = rules or load_rules()
    if not diff.edits or len(diff.edits) > LOCAL_EDITS:
        return ()
    best: dict[str, float] = {}
    evidence: dict[str, list[tuple[float, str]]] = defaultdict(list)
    skip = {*rules.editorial["stopwords"], *rules.editorial["pronouns"]}
    for edit in diff.edits:
        if edit.kind == "reworded" and (all(
                w.lower() in skip or not w[:1].isalnum() for w in edit.deleted + edit.inserted)
                or _letters(edit.deleted) == _letters(edit.inserted)):
            continue  # a fixed preposition or comma, or moved emphasis, touches no topic
        text = "\n".join((edit.old, edit.new))
        for cat, patterns in rules.patterns.items():
            if cat in rules.modifiers or not rules.any_pattern[cat].search(text):
                continue
            _, direct = _score_edit(edit, patterns, rules, diff, evidence[cat])
            best[cat] = max(best.get(cat, 0.0), direct)
    hits = []
    for cat, value in sorted(best.items(), key=lambda kv: -kv[1]):
        if value >= EDITORIAL_TOPIC:
            quotes = dict.fromkeys(t for _, t in sorted(evidence[cat], key=lambda e: -e[0]))
            hits.append(CategoryHit(cat, round(value, 2), tuple(quotes)[:EVIDENCE_MAX]))
    return tuple(hits[:MAX_CATEGORIES])


_NOT_LETTERS = re.compile(r"[\W_]+")


def _letters(tokens: Sequence[str]) -> str:
    """The letters and digits of some tokens ("page_", "," -> "page"; markup is not a word)."""
    return _NOT_LETTERS.sub("", "".join(tokens)).lower()


def select_categories(scored: Scored, params: Params | None = None,
                      findings: Sequence[Finding] = ()) -> tuple[str, ...]:
    """The categories a change materially touches: strong enough on their own and compared
    with the strongest one (a big rewrite touches every topic a little), or stated outright
    by one edit (one added arbitration clause matters however long the rest of the change),
    or the topic of a finding of at least `params.finding_level`."""
    params = params or Params()
    hits = scored.hits
    if not hits:
        return ()
    # a topic is weighed against the strongest topic, not against who is affected (a policy
    # for children names "children" in every sentence)
    top = max((h.score for h in hits if h.name not in scored.modifiers), default=hits[0].score)
    def strong(name: str) -> float:
        return params.cat_modifier if name in scored.modifiers else params.cat_strong

    chosen = [h.name for h in hits if h.score >= params.cat_min and (
        h.score >= params.cat_rel * top or scored.peak.get(h.name, 0.0) >= strong(h.name))]
    chosen = chosen[:params.cat_max]
    if params.finding_level in LEVELS:
        floor = LEVELS.index(params.finding_level)
        named = {h.name for h in hits}
        for f in sorted(findings, key=lambda f: -f.rank):
            if f.rank >= floor and f.topic in named and f.topic not in chosen:
                chosen.append(f.topic)
    return tuple(chosen)

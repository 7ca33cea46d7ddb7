"""Clause reading: how a change moved each clause for the user.

A reworded clause is compared act by act (acts.py: old state -> new state), figure by figure
and list by list (figures.py). A removed and an added sentence stating the same act in the same
place are one clause rewritten. A whole sentence removed that held a protection or a user
control (the document stating it less often afterwards) removes it; one added adds it, and one
newly stating a practice or an obligation adds that. Each result is a `Finding`: which topic,
worse or better for the user, how serious, and the two quotes that show it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from watcher_app.analysis.acts import (
    ABSENT,
    HEDGE_CHARS,
    IMPROVEMENT_LEVEL,
    LEVELS,
    STOP_WORDS,
    Act,
    ActRead,
    Finding,
    clip,
    counterpart,
    is_limited,
    lexicon,
    near_spans,
    read_act,
    read_acts,
    topic_of,
)
from watcher_app.analysis.figures import (
    licence_findings,
    list_findings,
    quantity_findings,
    venue_findings,
)
from watcher_app.analysis.rules import Rules, load_rules
from watcher_app.analysis.sections import SentenceEdit, TextDiff, word_changes
from watcher_app.analysis.tokens import TOKEN

__all__ = ["LEVELS", "Finding", "clip", "compare_clause", "folded_opt_outs", "is_limited",
           "sentence_findings"]

# --- comparing two versions of a clause ---------------------------------------------------

OPT_OUT_ACT = "opt-out"  # the user control folded into a practice on by default (see below)
CLASS_NAMES = {"protection": "a protection", "control": "a user control"}
_PHRASES = {
    # (kind group, old state, new state) -> words; {name} is the act's name
    ("more", "to3"): "{name} is now allowed",
    ("more", "to2"): "{name} is now on by default (users must opt out)",
    ("more", "to1"): "{name} is now possible with consent or in narrow cases",
    ("more", "2to3"): "the opt-out from {name} is gone",
    ("more", "1to3"): "{name} no longer needs consent",
    ("more", "added"): "adds {name}",
    ("less", "to0"): "{name} is ruled out",
    ("less", "to1"): "{name} now needs consent or is limited",
    ("less", "to2"): "adds an opt-out from {name}",
    ("less", "dropped"): "drops {name}",
    ("protect", "removed"): "removes {cls}: {name}",
    ("protect", "weaker"): "weakens {cls}: {name} is now at the platform's discretion",
    ("protect", "narrow"): "weakens {cls}: {name} now applies only in narrow cases",
    ("protect", "added"): "adds {cls}: {name}",
    ("protect", "firmer"): "strengthens {cls}: {name} is now firm",
}


def _explain(act: Act, old: int, new: int) -> tuple[str, str]:
    """(effect, words) of an act's state moving from old to new."""
    if act.more_is_worse:
        if new > old:
            if old == ABSENT and new == 3:
                key = "added"
            elif new == 3:
                key = "2to3" if old == 2 else "1to3" if old == 1 else "to3"
            else:
                key = f"to{new}"
            return "worse", _PHRASES[("more", key)].format(name=act.name)
        key = "dropped" if new == ABSENT else f"to{max(new, 0)}"
        return "better", _PHRASES[("less", key)].format(name=act.name)
    cls = CLASS_NAMES.get(act.kind, act.kind)
    if new < old:
        key = "removed" if new <= 0 else "weaker" if new == 2 else "narrow"
        return "worse", _PHRASES[("protect", key)].format(name=act.name, cls=cls)
    key = "added" if old <= 0 else "firmer"
    return "better", _PHRASES[("protect", key)].format(name=act.name, cls=cls)


def _level_for(act: Act, effect: str, new_state: int) -> str:
    if effect == "better":
        return IMPROVEMENT_LEVEL
    level = act.level
    if act.more_is_worse and new_state == 1:
        level = "medium"  # now possible, but only with consent (a safeguard)
    if act.kind == "protection" and new_state == 2:
        level = "medium"  # weakened ("may notify"), not removed
    return level


class DocCounts:
    """How much more (or less) often the new version states an act than the old one
    (affirmatively: state >= 2; or, for a promise, ruled out: state <= 1). An act that one
    version of a reworded clause states and the other does not is only added (or removed)
    when the document as a whole states it more (or less) often: a clause rewritten while its
    practice moved to another sentence changes nothing.

    Sentences outside the changed ones are the same in both versions and cancel out, so only
    the edits are read: the difference is their new sides' count minus their old sides'."""

    def __init__(self, diff: TextDiff | None, rules: Rules) -> None:
        self.edits = diff.edits if diff is not None else None
        self.rules = rules
        self.deltas: dict[tuple[str, bool], int] = {}

    def changed(self, act: Act, added: bool, promise: bool = False) -> bool:
        """Does the new version state the act (or, with `promise`, rule it out) more often
        than the old one (`added`), or less often?"""
        if self.edits is None:
            return True
        delta = self.delta(act, promise)
        return delta > 0 if added else delta < 0

    def delta(self, act: Act, promise: bool) -> int:
        key = (act.id, promise)
        if key not in self.deltas:
            assert self.edits is not None
            n = 0
            for e in self.edits:
                n += self._states(e.new, act, promise)
                if not e.variant:  # an announced copy leaves the clause in force in place
                    n -= self._states(e.old, act, promise)
            self.deltas[key] = n
        return self.deltas[key]

    def _states(self, sentence: str, act: Act, promise: bool) -> int:
        if not sentence:
            return 0
        read = read_act(sentence, act, rules=self.rules)
        if read is None:
            return 0
        return int(read.state <= 1 if promise else read.state >= 2)


def compare_clause(edit: SentenceEdit, rules: Rules | None = None,
                   counts: DocCounts | None = None, editorial: bool = False,
                   paired: bool = False) -> list[Finding]:
    """Findings of one reworded sentence: acts whose state moved, figures that moved, lists
    that grew or shrank, a licence broadened or narrowed, a venue changed. An `editorial`
    edit (a renamed party, a date) is read for what its words could hide (a state, a figure)
    but not for lists or forums, which a rename looks like. A `paired` edit is a removed and
    an added sentence read as one clause because they state one act: an act stated on one
    side only is quoted alone (the other sentence is not its old or new wording)."""
    rules = rules or load_rules()
    counts = counts or DocCounts(None, rules)
    old_acts = read_acts(edit.old, edit.old_block, edit.lead, rules)
    new_acts = read_acts(edit.new, edit.new_block, edit.lead, rules)
    limited = is_limited(edit.new, edit.path, rules)
    # an opt-out or a consent that is the modality of a practice ("may be used to train ...
    # unless you opt out") is part of that practice's finding, not a control of its own
    consumed = {side: [c for r in acts.values() if r.act.more_is_worse for c in r.cues]
                for side, acts in (("old", old_acts), ("new", new_acts))}
    out: list[Finding] = []
    for act_id in dict.fromkeys([*old_acts, *new_acts]):
        o, n = old_acts.get(act_id), new_acts.get(act_id)
        act = (o or new_acts[act_id]).act  # act_id is a key of one side at least
        if act.kind in ("venue", "licence"):
            continue  # read as figures of their own below
        if not act.more_is_worse and any(
                r is not None and any(a <= r.span[0] < b for a, b in consumed[side])
                for r, side in ((o, "old"), (n, "new"))):
            continue
        so = o.state if o else ABSENT
        sn = n.state if n else ABSENT
        if so == sn == 2 and o is not None and n is not None and act.kind == "protection":
            # "we will attempt to provide prior notice" -> "we may attempt to": a protection
            # already hedged is hedged again (or, the other way, less)
            hedges_old, hedges_new = _hedges(o, edit.old, rules), _hedges(n, edit.new, rules)
            if hedges_new != hedges_old:
                so, sn = (3, 2) if hedges_new > hedges_old else (2, 3)
        if so == sn or {so, sn} <= {ABSENT, 0} and act.more_is_worse:
            continue
        if not act.more_is_worse and {so, sn} <= {ABSENT, 0}:
            continue
        if o is not None and n is None and _restated(o, edit.old, edit.new, edit.old_spans) \
                or n is not None and o is None and _restated(n, edit.new, edit.old,
                                                             edit.new_spans):
            continue  # the act's words are untouched: its conditions moved, not the act
        if (o is None or n is None) and not counts.changed(act, added=o is None):
            continue  # stated elsewhere as often as before: moved, not added or removed
        effect, what = _explain(act, so, sn)
        level = _level_for(act, effect, sn)
        old_q = clip(edit.old, (*o.cues, o.span, *near_spans(o.span, edit.old_spans))) if o \
            else "" if paired else counterpart(edit, n, "old")
        new_q = clip(edit.new, (*n.cues, n.span, *near_spans(n.span, edit.new_spans))) if n \
            else "" if paired else counterpart(edit, o, "new")
        topic = topic_of(act, edit.old, edit.new, rules=rules,
                         context=(edit.old_block, edit.new_block))
        out.append(Finding("state", topic, level,
                           effect, what, old_q, new_q, act.id, limited))
    out += quantity_findings(edit, rules, limited)
    if not editorial:
        out += list_findings(edit, old_acts, new_acts, rules, limited)
    out += licence_findings(edit, old_acts, new_acts, rules)
    if not editorial:
        out += venue_findings(edit, old_acts, new_acts, rules)
    return _dedupe(out)


def _hedges(read: ActRead, sentence: str, rules: Rules) -> int:
    """How many words of discretion come shortly before a protection ("may", "attempt to",
    "where feasible"): each one makes the promise softer."""
    window = sentence[max(0, read.span[0] - HEDGE_CHARS):read.span[0]]
    return sum(1 for _ in lexicon(rules).discretion.finditer(window))


def _restated(read: ActRead, text: str, other: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Is an act found on one side only in fact unchanged: its phrase untouched by the edit
    and still in the other version (which states it in a way the pattern does not catch)?"""
    a, b = read.span
    touched = any(s < b and e > a for s, e in spans) or any(s == e and a < s < b
                                                            for s, e in spans)
    return not touched and text[a:b].lower() in other.lower()



def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in sorted(findings, key=lambda f: -f.rank):
        key = (f.topic, f.effect, f.what)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out



# --- whole sentences added or removed ---------------------------------------------------------


def sentence_findings(diff: TextDiff, editorial: Sequence[bool],
                      rules: Rules | None = None) -> list[list[Finding]]:
    """Per edit, its findings: a reworded clause compared with its old self; a removed
    sentence that held a protection or a user control (stated less often in the new text)
    removes it; an added one adds it."""
    rules = rules or load_rules()
    lex = lexicon(rules)
    out: list[list[Finding]] = [[] for _ in diff.edits]
    counts = DocCounts(diff, rules)
    pointer = re.compile(rules.editorial["pointer"], re.IGNORECASE)
    pairs = _pair_by_act(diff.edits, rules)
    for k, (edit, ed) in enumerate(zip(diff.edits, editorial, strict=True)):
        if ed and edit.kind != "reworded" and k not in pairs or k in pairs.values() \
                or edit.block_kind == "heading":
            continue  # a heading names a section; it is no clause
        # (an editorial-looking rewording is still read: "30 days" -> "7 days" before changes
        # "take effect" looks like a date line)
        if k in pairs:
            old = diff.edits[pairs[k]]
            # the removed half of the pair is the same clause: it shares the findings
            out[k] = out[pairs[k]] = compare_clause(reword(old, edit), rules, counts,
                                                    paired=True)
        elif edit.kind == "reworded":
            # (a variant, an announced version of a clause shown above the one in force, is
            # read against that clause: what the announcement changes)
            out[k] = compare_clause(edit, rules, counts, ed)
        elif lex.any_act.search(edit.old + "\n" + edit.new + "\n" + edit.lead) \
                and not pointer.search(edit.new or edit.old):
            # (a pointer, "learn more about our training methods", names a practice without
            # stating it)
            out[k] = _whole(edit, rules, counts)
    return out


def folded_opt_outs(edits: Sequence[SentenceEdit], per_edit: Sequence[Sequence[Finding]],
                    rules: Rules | None = None) -> frozenset[Finding]:
    """The findings to leave out of the list a user reads: an opt-out added in the paragraph
    of a practice that now reads "on by default (users must opt out)" is that practice's
    modality, already said by its finding; listed again as "adds a user control: an opt-out
    (in users' favour)" beside it, it reads as a contradiction. An opt-out added anywhere
    else is still a control added. (Scoring keeps it: the edit is about that practice.)"""
    names = {a.id: a.name for a in lexicon(rules or load_rules()).acts}
    by_default = {(edits[k].new_block, f.topic) for k, found in enumerate(per_edit)
                  for f in found
                  if f.kind == "state" and f.effect == "worse" and f.act in names
                  and f.what == _PHRASES[("more", "to2")].format(name=names[f.act])}
    if not by_default:
        return frozenset()
    return frozenset(f for k, found in enumerate(per_edit) for f in found
                     if f.act == OPT_OUT_ACT and f.effect == "better" and f.whole
                     and edits[k].new_block and (edits[k].new_block, f.topic) in by_default)


MAX_ACT_PAIRS = 200  # sentences looked at for act pairing (a wholesale rewrite has thousands)


def _pair_by_act(edits: Sequence[SentenceEdit], rules: Rules) -> dict[int, int]:
    """{added edit: removed edit} for sentences too reworded to be paired by their words but
    stating the same act under the same heading: "You can delete your data at any time" ->
    "You may ask us to delete your data; we may decline" is one clause rewritten."""
    removed: dict[tuple[str, ...], list[tuple[int, set[str]]]] = {}
    added: list[tuple[int, set[str]]] = []
    pointer = re.compile(rules.editorial["pointer"], re.IGNORECASE)
    for k, e in enumerate(edits):
        if pointer.search(e.new or e.old):
            continue
        # (an editorial-looking sentence is paired too: "... before changes take effect"
        # reads like an announcement)
        if e.variant or e.kind == "reworded" or e.block_kind == "heading" \
                or len(added) + len(removed) > MAX_ACT_PAIRS:
            continue
        # the topics of the acts stated: "deleted after 24 hours" and "kept until you delete
        # them" are one retention clause though one names deletion and the other keeping
        acts = {r.act.topic for r in read_acts(e.new or e.old, e.new_block or e.old_block,
                                               e.lead, rules).values() if r.act.kind != "venue"}
        if not acts:
            continue
        if e.kind == "removed":
            removed.setdefault(e.path, []).append((k, acts))
        else:
            added.append((k, acts))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    per_region: dict[int, int] = {}
    for k, _ in added:
        per_region[edits[k].region] = per_region.get(edits[k].region, 0) + 1
    for items in removed.values():
        for j, _ in items:
            per_region[edits[j].region] = per_region.get(edits[j].region, 0) + 1
    for k, acts in added:
        best = (0.0, -1)
        for j, old_acts in removed.get(edits[k].path, []):
            if j in used or not acts & old_acts:
                continue
            overlap = _overlap(edits[j].old, edits[k].new)
            # one small paragraph replaced by another in the same place is one clause
            # rewritten, however different its words
            if edits[j].region == edits[k].region >= 0 and \
                    per_region[edits[k].region] <= 2 * REGION_SENTENCES:
                overlap = max(overlap, PAIR_OVERLAP)
            best = max(best, (overlap, j))
        if best[0] >= PAIR_OVERLAP:
            pairs[k] = best[1]
            used.add(best[1])
    return pairs


REGION_SENTENCES = 3  # a changed region of at most this many sentences a side is local


PAIR_OVERLAP = 0.3  # shared content words (Jaccard) for two sentences to be one clause rewritten


def _overlap(a: str, b: str) -> float:
    wa = {w.lower() for w in TOKEN.findall(a) if w[:1].isalnum()} - STOP_WORDS
    wb = {w.lower() for w in TOKEN.findall(b) if w[:1].isalnum()} - STOP_WORDS
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def reword(old: SentenceEdit, new: SentenceEdit) -> SentenceEdit:
    """A removed and an added sentence read as one reworded clause."""
    old_spans, new_spans, deleted, inserted = word_changes(old.old, new.new)
    return SentenceEdit("reworded", old.old, new.new, new.path, old_spans, new_spans, deleted,
                        inserted, old.old_block, new.new_block, new.block_kind, new.lead)


def _whole(edit: SentenceEdit, rules: Rules, counts: DocCounts) -> list[Finding]:
    """A sentence added or removed whole: a protection or control it holds is added or
    removed; a practice or obligation it newly states is added (at the act's `added_level`);
    a new promise not to do something is added in users' favour. Each only when the document
    as a whole states it more (or less) often than before: restated or moved, it is not new.
    (A promise removed is the statement triggers' business: severity.json.)"""
    added = edit.kind == "added" or edit.variant
    sentence = edit.new if added else edit.old
    block = edit.new_block if added else edit.old_block
    acts = read_acts(sentence, block, edit.lead, rules)
    limited = is_limited(sentence, edit.path, rules)
    out: list[Finding] = []
    for read in acts.values():
        act = read.act
        if act.kind == "venue":
            continue  # where things happen is read in reworded clauses only
        quote = clip(sentence, (*read.cues, read.span), 2)
        topic = topic_of(act, sentence, rules=rules, context=(block,))
        if act.more_is_worse:
            if not added:
                # an obligation no longer stated anywhere is dropped (a practice no longer
                # described is often only described elsewhere; a promise dropped is the
                # statement triggers' business: severity.json)
                if act.kind == "obligation" and read.state >= 2 and act.added_level \
                        and counts.changed(act, False):
                    effect, what = _explain(act, read.state, ABSENT)
                    out.append(Finding("state", topic, IMPROVEMENT_LEVEL, effect, what, quote,
                                       "", act.id, limited, whole=True))
                continue
            if read.state >= 2 and act.added_level and counts.changed(act, True):
                effect, what = _explain(act, ABSENT, read.state)
                level = act.added_level  # on, or on by default (an opt-out is no safeguard)
                out.append(Finding("state", topic, level, effect, what, "", quote, act.id,
                                   limited, whole=True))
            elif read.state <= 1 and counts.changed(act, True, promise=True):
                effect, what = _explain(act, 3, read.state)
                out.append(Finding("state", topic, IMPROVEMENT_LEVEL, effect, what, "", quote,
                                   act.id, limited, whole=True))
            continue
        if read.state < 2 or not counts.changed(act, added):
            continue  # stated as often as before: moved or restated, not added or removed
        effect, what = _explain(act, ABSENT if added else read.state,
                                read.state if added else ABSENT)
        if added:
            out.append(Finding("state", topic, IMPROVEMENT_LEVEL, effect, what, "", quote,
                               act.id, limited, whole=True))
        else:
            out.append(Finding("state", topic, act.level, effect, what, quote, "", act.id,
                               limited, whole=True))
    return out

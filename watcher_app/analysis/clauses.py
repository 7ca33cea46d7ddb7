"""Clause reading: what a changed clause does, and how that moved for the user.

Every changed sentence is read for the *acts* of resources/rules/clauses.json (training on
users' data, selling, sharing, keeping data, binding arbitration, a licence over user content,
encryption, notice before disclosure, the right to delete, refunds, ...). Each act found gets a
state from its clause:

    0  ruled out             "is not used to train", "we never sell"
    1  narrow / consent      "only with your consent", "not ... except as required by law"
    2  default with opt-out  "may be used ... unless you opt out"; a protection only "may"
    3  done / offered        "we may share", "we will notify you", "you can delete"

A reworded clause is compared act by act (old state -> new state), figure by figure
(quantities with units: 30 days -> 7 days of notice) and list by list (recipients, data,
purposes, prohibitions growing or shrinking). A whole sentence removed that held a protection
or a user control (with the document stating it less often afterwards) removes it; one added
adds it. Each result is a `Finding`: which topic, worse or better for the user, how serious,
and the two quotes that show it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from watcher_app.analysis.rules import (
    Folded,
    Pattern,
    Rules,
    in_address,
    is_negated,
    load_rules,
    make_pattern,
)
from watcher_app.analysis.sections import SentenceEdit, TextDiff, word_changes
from watcher_app.analysis.tokens import TOKEN

LEVELS = ("low", "medium", "high")
ABSENT = -1  # the act is not stated in this version of the clause
QUOTE_WORDS = 8  # a sentence longer than this is cut to the words around its cues
IMPROVEMENT_LEVEL = "medium"  # a change in users' favour is still a meaningful one
EDITORIAL_ROW = "row"  # figures in table rows are statistics, not terms


@dataclass(frozen=True)
class Finding:
    """One thing a change does to a clause, for the user."""

    kind: str  # "state" | "quantity" | "list" | "licence" | "venue" | "statement"
    topic: str  # a category name
    level: str  # "low" | "medium" | "high"
    effect: str  # "worse" | "better" | "neutral" (for the user)
    what: str  # in words: "AI training on users' data is now on by default"
    old: str = ""  # the old clause, quoted around what changed ("" when added)
    new: str = ""  # the new clause, likewise ("" when removed)
    act: str = ""  # the act or rule it comes from
    limited: bool = False  # applies only to some users or regions, or "as required by law"
    whole: bool = False  # a whole sentence added or removed (not a clause rewritten in place)

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level)

    def quoted(self) -> str:
        """“old” became “new” — what, or adds/removes: “…” — what."""
        if self.old and self.new:
            return f"“{self.old}” became “{self.new}” — {self.what}"
        if self.new:
            return f"“{self.new}” is new — {self.what}"
        if self.old:
            return f"“{self.old}” is gone — {self.what}"
        return self.what

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "topic": self.topic, "level": self.level,
                "effect": self.effect, "what": self.what, "old": self.old, "new": self.new,
                "act": self.act, "limited": self.limited, "whole": self.whole}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(data["kind"], data["topic"], data["level"], data["effect"], data["what"],
                   data.get("old", ""), data.get("new", ""), data.get("act", ""),
                   bool(data.get("limited", False)), bool(data.get("whole", False)))


# --- the lexicon ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    id: str
    kind: str  # "practice" | "obligation" | "protection" | "control" | "venue" | "licence"
    topic: str
    level: str
    name: str
    pattern: Pattern
    ignore_negation: bool = False  # "you may not bring a class action" *is* the waiver
    about_practice: bool = False  # an opt-out from a practice is about that practice
    added_level: str = ""  # level of a whole sentence newly stating it ("" = not read so)

    @property
    def more_is_worse(self) -> bool:
        return self.kind in ("practice", "obligation", "licence")


@dataclass(frozen=True)
class QuantityRule:
    unit: str  # "duration" | "age" | "money" | "percent"
    topic: str
    cue: Folded | None
    also: Folded | None
    worse: str  # "up" | "down"
    level: str
    what: str
    better: str
    big_factor: float = 0.0
    big_level: str = ""


@dataclass(frozen=True)
class Lexicon:
    acts: tuple[Act, ...]
    any_act: Folded
    consent: Folded
    opt_out: Folded
    discretion: Folded
    exception: Folded
    refusal: Folded
    absence: Folded
    scope_limit: re.Pattern[str]
    scope_headings: re.Pattern[str]
    rules: tuple[QuantityRule, ...]
    numbers: dict[str, float]
    durations: dict[str, float]
    forever: Folded
    sensitive: Folded
    prohibition: Folded
    licence_terms: tuple[tuple[str, Folded], ...]
    quantity: re.Pattern[str]


_LEXICONS: dict[int, Lexicon] = {}  # keyed by id: a rule set holds unhashable dicts


def lexicon(rules: Rules | None = None) -> Lexicon:
    """clauses.json compiled once per rule set."""
    rules = rules or load_rules()
    key = id(rules.clauses)
    if key not in _LEXICONS:
        _LEXICONS[key] = _compile(rules.clauses)
    return _LEXICONS[key]


def _compile(cfg: dict[str, Any]) -> Lexicon:
    acts = tuple(Act(k, a["kind"], a["topic"], a["level"], a["name"],
                     make_pattern({"re": a["re"], "with": a.get("with"),
                                   "unless": a.get("unless"), "w": 1.0},
                                  bool(a.get("platform", False))),
                     a.get("negation") == "ignore", bool(a.get("about_practice")),
                     a.get("added_level", ""))
                 for k, a in cfg["acts"].items())
    q = cfg["quantities"]
    rules = tuple(QuantityRule(r["unit"], r["topic"], Folded(r["cue"]) if r.get("cue") else None,
                               Folded(r["with"]) if r.get("with") else None, r["worse"],
                               r["level"], r["what"], r["better"],
                               float(r.get("big_factor", 0)), r.get("big_level", ""))
                  for r in q["rules"])
    words = "|".join(sorted((re.escape(w) for w in q["numbers"]), key=len, reverse=True))
    units = "|".join(sorted((re.escape(u) for u in q["durations"]), key=len, reverse=True))
    number = rf"(?:\d[\d,]*(?:\.\d+)?|{words})"
    quantity = re.compile(
        # "30 days", "thirty (30) days", "a year", "12-month"; "13 years old" is an age
        rf"\b(?P<n>{number})(?:\s*\(\d+\))?[\s-](?P<unit>{units})\b(?P<old>\s+(?:old|of age))?"
        # "under 13", "under the age of 16", "at least 18", "aged 13"
        rf"|\b(?P<cue>under|over|below|above|at least|younger than|older than|aged?|ages)"
        rf"\s+(?:the\s+age\s+of\s+)?(?P<age>\d{{1,2}})\b(?!\s*(?:{units}|%|percent))"
        rf"|\b(?P<age2>\d{{1,2}})\s*\+"
        # "$100", "€50", "100 USD"
        r"|(?P<cur>[$€£])\s?(?P<amt>\d[\d,]*(?:\.\d+)?)"
        r"|\b(?P<amt2>\d[\d,]*(?:\.\d+)?)\s?(?P<cur2>USD|EUR|GBP|dollars|euros|pounds)\b"
        r"|\b(?P<pct>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)",
        re.IGNORECASE)
    lists = cfg["lists"]
    mod = cfg["modality"]
    return Lexicon(
        acts=acts,
        any_act=Folded("|".join(f"(?:{a.pattern.regex.source})" for a in acts)),
        consent=Folded(mod["consent"]), opt_out=Folded(mod["opt_out"]),
        discretion=Folded(mod["discretion"]), exception=Folded(mod["exception"]),
        refusal=Folded(mod["refusal"]), absence=Folded(mod["absence"]),
        scope_limit=re.compile(cfg["scope_limit"]),
        scope_headings=re.compile(cfg["scope_headings"]),
        rules=rules, numbers={k: float(v) for k, v in q["numbers"].items()},
        durations={k: float(v) for k, v in q["durations"].items()},
        forever=Folded(q["forever"]),
        sensitive=Folded(lists["sensitive"]), prohibition=Folded(lists["prohibition"]),
        licence_terms=tuple((name, Folded(rx)) for name, rx in cfg["licence_terms"].items()),
        quantity=quantity,
    )


# --- reading one clause ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActRead:
    act: Act
    state: int
    span: tuple[int, int]  # the act's phrase
    cues: tuple[tuple[int, int], ...]  # the negation / modality cues that set the state


_NEG_CUE = Folded(r"\b(not|never|no longer|no|neither|nor|cannot|can't|won't|don't|"
                  r"doesn't|isn't|aren't|without)\b")


def read_acts(sentence: str, block: str = "", lead: str = "",
              rules: Rules | None = None) -> dict[str, ActRead]:
    """The acts a sentence states, each at its strongest state (a sentence that rules a
    practice out in one case and allows it in another allows it)."""
    rules = rules or load_rules()
    lex = lexicon(rules)
    out: dict[str, ActRead] = {}
    if not sentence or not lex.any_act.search(sentence):
        return out
    for act in lex.acts:
        p = act.pattern
        if p.also is not None and not (p.also.search(sentence) or (block and p.also.search(block))):
            continue
        if p.unless is not None and p.unless.search(sentence):
            continue
        if p.platform and lead and rules.user_duty.search(lead):
            continue  # an item of a list of things the user must not do
        for m in p.regex.finditer(sentence):
            if p.platform and act.kind == "practice" and users_act(sentence, m.start(), rules):
                continue
            if in_address(sentence, m.start(), m.end()):
                continue
            read = _state(sentence, m.start(), m.end(), act, lex, rules)
            if act.id not in out or read.state > out[act.id].state:
                out[act.id] = read
    return out


_USER_SUBJECT = re.compile(r"(?:^|\W)(you|users?|members?|people|others)\s+(?:[\w'-]+\s+){0,3}$",
                           re.IGNORECASE)
_PLATFORM_SUBJECT = re.compile(r"\b(we|us)\b", re.IGNORECASE)


def users_act(sentence: str, pos: int, rules: Rules) -> bool:
    """Is the act at `pos` done by the user ("you can choose to share your playlists", "you
    may not sell data you obtain from us") rather than by the platform ("content you submit
    may be used to train", "we use what you post to train")?"""
    if rules.user_duty.search(sentence[:pos]):
        return True
    clause = _last_clause(sentence[:pos], rules).rsplit(",", 1)[-1]
    m = _USER_SUBJECT.search(clause)
    return m is not None and not _PLATFORM_SUBJECT.search(clause[:m.start()])


def _state(sentence: str, start: int, end: int, act: Act, lex: Lexicon,
           rules: Rules) -> ActRead:
    cues: list[tuple[int, int]] = []

    def cue(rx: Folded, text: str, offset: int = 0) -> bool:
        last = None
        for last in rx.finditer(text):  # noqa: B007 - the last one: the cue nearest the act
            pass
        if last is not None:
            cues.append((offset + last.start(), offset + last.end()))
            return True
        return False

    negated = not act.ignore_negation and (is_negated(sentence, start, rules) or bool(
        _NEG_CUE.search(_last_clause(sentence[start:end], rules))))
    if negated:
        clause_start = max(0, sentence.rfind(",", 0, start))
        if not cue(_NEG_CUE, sentence[clause_start:end], clause_start):
            cue(_NEG_CUE, sentence[:end])
    after = sentence[end:]
    excepted = bool(lex.exception.search(after)) or bool(
        re.search(r"\bonly\b", sentence[max(0, start - 40):start], re.IGNORECASE))
    if act.kind in ("practice", "obligation", "licence", "venue"):
        if negated:
            state = 1 if excepted or cue(lex.consent, sentence) else 0
        elif cue(lex.consent, sentence):
            state = 1
        elif cue(lex.opt_out, sentence):
            state = 2
        elif excepted:
            state = 1
        else:
            state = 3
        if state >= 2:
            cue(lex.discretion, sentence[max(0, start - 60):start], max(0, start - 60))
    else:  # a protection or a user control: less of it is worse
        if negated:
            state = 1 if excepted else 0
        elif act.kind == "protection" and cue(lex.absence, sentence[start:end + 40], start):
            state = 0  # "we may change these terms at any time without notice"
        elif act.kind == "control" and cue(lex.refusal, sentence):
            state = 2  # a right the platform may refuse
        elif act.kind == "protection" and cue(
                lex.discretion, sentence[max(0, start - 50):start], max(0, start - 50)):
            state = 2
        else:
            state = 3
    return ActRead(act, state, (start, end), tuple(cues))


def topic_of(act: Act, *sentences: str, rules: Rules | None = None) -> str:
    """The topic of a finding on `act`: a control over a practice ("you can opt out of model
    training") is about the practice its sentence names, else the act's own topic."""
    if act.about_practice:
        for practice in lexicon(rules).acts:
            if practice.kind == "practice" and any(
                    s and practice.pattern.regex.search(s) and (
                        practice.pattern.also is None or practice.pattern.also.search(s))
                    for s in sentences):
                return practice.topic
    return act.topic


def _last_clause(text: str, rules: Rules) -> str:
    breaks = list(rules.clause_break.finditer(text))
    return text[breaks[-1].end():] if breaks else text


def is_limited(sentence: str, path: Sequence[str], rules: Rules | None = None) -> bool:
    """Does the clause apply only to some users or places ("if you live in the EEA", a
    section for California residents, "as required by law")?"""
    lex = lexicon(rules)
    # the document's own title ("European Regional Privacy Notice") limits nothing within it
    return bool(lex.scope_limit.search(sentence)) or any(
        lex.scope_headings.search(h) for h in path[1:])


# --- quotes -----------------------------------------------------------------------------------


def _word_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\S+", text)]


_AUX = frozenset("is are was were be been being will would shall should may might can could "
                 "must do does did has have had".split())
MAX_PART = 12  # a quoted run longer than this shows its first and last words
JOIN_GAP = 4  # spans at most this many words apart are quoted as one run


def clip(sentence: str, spans: Iterable[tuple[int, int]], lead_words: int = 0,
         max_words: int = QUOTE_WORDS) -> str:
    """The words of `sentence` around `spans` (cues and the act): each span with an auxiliary
    verb before it ("is not used"), and `lead_words` more words of context, nearby spans
    joined, gaps shown as “…”. A short sentence is quoted whole."""
    words = _word_spans(sentence)
    if not words:
        return ""
    spans = sorted(s for s in spans if s[1] > s[0])
    if len(words) <= max_words or not spans:
        return _strip(sentence) if len(words) <= max_words else _strip(
            " ".join(sentence[a:b] for a, b in words[:max_words])) + " …"
    starts = [a for a, _ in words]
    keep: list[tuple[int, int]] = []  # word index ranges
    for a, b in spans:
        first = bisect_right(starts, a) - 1
        i = max(0, first - lead_words)
        if i > 0 and sentence[words[i - 1][0]:words[i - 1][1]].lower() in _AUX:
            i -= 1
        j = max(i, bisect_right(starts, b - 1) - 1)
        if keep and i <= keep[-1][1] + 1 + JOIN_GAP:
            keep[-1] = (keep[-1][0], max(keep[-1][1], j))
        else:
            keep.append((i, j))
    parts = []
    for i, j in keep:
        if j - i + 1 > MAX_PART:  # a long edited run: its start and its end
            parts.append(" ".join(sentence[words[k][0]:words[k][1]]
                                  for k in range(i, i + MAX_PART // 2)) + " … " + " ".join(
                sentence[words[k][0]:words[k][1]] for k in range(j - MAX_PART // 2 + 1, j + 1)))
        else:
            parts.append(" ".join(sentence[words[k][0]:words[k][1]] for k in range(i, j + 1)))
    return " … ".join(_strip(p) for p in parts)


def _strip(text: str) -> str:
    return text.strip().rstrip(".,;:").strip("“”\"'")


# --- comparing two versions of a clause ---------------------------------------------------

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


def _level_for(act: Act, effect: str, new_state: int, limited: bool) -> str:
    if effect == "better":
        return IMPROVEMENT_LEVEL
    level = act.level
    if act.more_is_worse and new_state == 1:
        level = "medium"  # now possible, but only with consent (a safeguard)
    if act.kind == "protection" and new_state == 2:
        level = "medium"  # weakened ("may notify"), not removed
    return level


class DocCounts:
    """How many sentences of each version state an act (affirmatively: state >= 2), counted on
    first use. An act that one version of a reworded clause states and the other does not is
    only added (or removed) when the document as a whole states it more (or less) often: a
    clause rewritten while its practice moved to another sentence changes nothing."""

    def __init__(self, diff: TextDiff | None, rules: Rules) -> None:
        self.diff = diff
        self.rules = rules
        self.counts: dict[tuple[str, str], int] = {}

    def changed(self, act: Act, added: bool, promise: bool = False) -> bool:
        """Does the new version state the act (or, with `promise`, rule it out) more often
        than the old one (`added`), or less often?"""
        if self.diff is None:
            return True
        old = self.count(act, "old", promise)
        new = self.count(act, "new", promise)
        return new > old if added else new < old

    def count(self, act: Act, side: str, promise: bool = False) -> int:
        key = (act.id, side + ("-promise" if promise else ""))
        if key not in self.counts:
            assert self.diff is not None
            sentences = self.diff.old_sentences if side == "old" else self.diff.new_sentences
            n = 0
            if act.pattern.regex.search("\n".join(sentences)):
                for s in sentences:
                    if act.pattern.regex.search(s):
                        read = read_acts(s, "", "", self.rules).get(act.id)
                        if read is not None:
                            n += read.state <= 1 if promise else read.state >= 2
            self.counts[key] = n
        return self.counts[key]


def compare_clause(edit: SentenceEdit, rules: Rules | None = None,
                   counts: DocCounts | None = None) -> list[Finding]:
    """Findings of one reworded sentence: acts whose state moved, figures that moved, lists
    that grew or shrank, a licence broadened or narrowed, a venue changed."""
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
        act = (o or n).act  # type: ignore[union-attr]
        if act.kind in ("venue", "licence"):
            continue  # read as figures of their own below
        if not act.more_is_worse and any(
                r is not None and any(a <= r.span[0] < b for a, b in consumed[side])
                for r, side in ((o, "old"), (n, "new"))):
            continue
        so = o.state if o else ABSENT
        sn = n.state if n else ABSENT
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
        level = _level_for(act, effect, sn, limited)
        old_q = clip(edit.old, (*o.cues, o.span, *_near(o.span, edit.old_spans))) if o \
            else _counterpart(edit, n, "old")
        new_q = clip(edit.new, (*n.cues, n.span, *_near(n.span, edit.new_spans))) if n \
            else _counterpart(edit, o, "new")
        out.append(Finding("state", topic_of(act, edit.old, edit.new, rules=rules), level,
                           effect, what, old_q, new_q, act.id, limited))
    out += _quantities(edit, rules, limited)
    out += _lists(edit, old_acts, new_acts, rules, limited)
    out += _licence(edit, old_acts, new_acts, rules)
    out += _venue(edit, old_acts, new_acts, rules)
    return _dedupe(out)


def _restated(read: ActRead, text: str, other: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Is an act found on one side only in fact unchanged: its phrase untouched by the edit
    and still in the other version (which states it in a way the pattern does not catch)?"""
    a, b = read.span
    touched = any(s < b and e > a for s, e in spans) or any(s == e and a < s < b
                                                            for s, e in spans)
    return not touched and text[a:b].lower() in other.lower()


def _near(span: tuple[int, int], spans: Sequence[tuple[int, int]],
          reach: int = 40) -> list[tuple[int, int]]:
    """The edited spans close to an act's phrase (they belong in its quote)."""
    return [(a, b) for a, b in spans if b > a and a < span[1] + reach and b > span[0] - reach]


def _counterpart(edit: SentenceEdit, read: ActRead | None, side: str) -> str:
    """What stands, on one side of a reworded sentence, where the other side states the act:
    the edited span paired with the one holding (or nearest to) the act's phrase."""
    if read is None:
        return _changed_quote(edit, side)
    mine = edit.new_spans if side == "old" else edit.old_spans
    theirs = edit.old_spans if side == "old" else edit.new_spans
    if not mine or len(mine) != len(theirs):
        return _changed_quote(edit, side)
    a, b = read.span
    k = min(range(len(mine)), key=lambda i: 0 if mine[i][0] < b and mine[i][1] > a else
            min(abs(mine[i][0] - b), abs(mine[i][1] - a)) + 1)
    sentence = edit.old if side == "old" else edit.new
    start, end = theirs[k]
    if end <= start:  # the act's words were inserted here: quote the words around the place
        return clip(sentence, [(max(0, start - 1), min(len(sentence), end + 1))], 2)
    return clip(sentence, [(start, end)], 1)


def _changed_quote(edit: SentenceEdit, side: str) -> str:
    """The edited words of one side of a reworded sentence, with a word of context."""
    sentence = edit.old if side == "old" else edit.new
    spans = edit.old_spans if side == "old" else edit.new_spans
    spans = tuple(s for s in spans if s[1] > s[0]) or spans
    return clip(sentence, spans, 1) if any(b > a for a, b in spans) else clip(sentence, ())


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in sorted(findings, key=lambda f: -f.rank):
        key = (f.topic, f.effect, f.what)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    unit: str  # "duration" | "age" | "money" | "percent"
    value: float
    span: tuple[int, int]
    text: str


def quantities(sentence: str, rules: Rules | None = None) -> list[Quantity]:
    """Figures with units: durations in days, ages in years, amounts, percentages."""
    lex = lexicon(rules)
    out: list[Quantity] = []
    for m in lex.quantity.finditer(sentence):
        g = m.groupdict()
        if g["n"]:
            value = _number(g["n"], lex)
            if value is None:
                continue
            if g["old"] or (g["unit"].lower().startswith("year") and _age_context(sentence)
                            and re.search(r"\bold\b|\bof age\b", sentence[m.end():m.end() + 12],
                                          re.IGNORECASE)):
                out.append(Quantity("age", value, m.span(), m.group()))
            else:
                out.append(Quantity("duration", value * lex.durations[g["unit"].lower()],
                                    m.span(), m.group()))
        elif g["age"] or g["age2"]:
            if _age_context(sentence) or (g["cue"] or "").lower().startswith("age"):
                out.append(Quantity("age", float(g["age"] or g["age2"]), m.span(), m.group()))
        elif g["amt"] or g["amt2"]:
            out.append(Quantity("money", float((g["amt"] or g["amt2"]).replace(",", "")),
                                m.span(), m.group()))
        elif g["pct"]:
            out.append(Quantity("percent", float(g["pct"]), m.span(), m.group()))
    for m in lex.forever.finditer(sentence):
        out.append(Quantity("duration", float("inf"), m.span(), m.group()))
    return sorted(out, key=lambda q: q.span)


_AGE_WORDS = re.compile(r"\b(age|aged|ages|old|children|child|minors?|teens?|teenagers?|kids?|"
                        r"parent\w*|guardian|young)\b", re.IGNORECASE)


def _age_context(sentence: str) -> bool:
    return bool(_AGE_WORDS.search(sentence))


def _number(text: str, lex: Lexicon) -> float | None:
    low = text.lower()
    if low in lex.numbers:
        return lex.numbers[low]
    try:
        return float(low.replace(",", ""))
    except ValueError:
        return None


def _quantities(edit: SentenceEdit, rules: Rules, limited: bool) -> list[Finding]:
    if edit.block_kind == EDITORIAL_ROW:
        return []
    lex = lexicon(rules)
    old_q, new_q = quantities(edit.old, rules), quantities(edit.new, rules)
    if not old_q or not new_q:
        return []
    out: list[Finding] = []
    for unit in ("duration", "age", "money", "percent"):
        olds = [q for q in old_q if q.unit == unit]
        news = [q for q in new_q if q.unit == unit]
        if not olds or not news or [q.value for q in olds] == [q.value for q in news]:
            continue
        pairs = list(zip(olds, news, strict=False)) if len(olds) == len(news) else \
            [(max(olds, key=lambda q: q.value), max(news, key=lambda q: q.value)),
             (min(olds, key=lambda q: q.value), min(news, key=lambda q: q.value))]
        for a, b in pairs:
            if a.value == b.value:
                continue
            rule = _rule_for(unit, edit.new, edit.new_block, lex)
            if rule is None:
                continue
            up = b.value > a.value
            worse = up == (rule.worse == "up")
            level = rule.level if worse else IMPROVEMENT_LEVEL
            ratio = (max(a.value, b.value) / min(a.value, b.value)) if min(a.value,
                                                                            b.value) > 0 else 0
            if worse and rule.big_factor and (ratio >= rule.big_factor or ratio == 0
                                              or b.value == float("inf")):
                level = rule.big_level or level
            what = f"{rule.what if worse else rule.better} ({a.text} → {b.text})"
            out.append(Finding("quantity", rule.topic, level, "worse" if worse else "better",
                               what, clip(edit.old, [a.span], 3), clip(edit.new, [b.span], 3),
                               f"{unit}:{rule.topic}", limited))
            break  # one finding per unit: the pairs are two views of one figure
    return out


def _rule_for(unit: str, sentence: str, block: str, lex: Lexicon) -> QuantityRule | None:
    for rule in lex.rules:
        if rule.unit != unit:
            continue
        if rule.cue is not None and not rule.cue.search(sentence):
            continue
        if rule.also is not None and not (rule.also.search(sentence) or rule.also.search(block)):
            continue
        return rule
    return None


# --- lists --------------------------------------------------------------------------------

_JOIN = {",", "and", "or", ";", "and/or", "as", "well"}
_STOP = frozenset("a an the and or of to in on at by for with as is are be been will may can "
                  "we you your our us it its this that these those such any all not".split())


def _items(edit: SentenceEdit) -> tuple[list[tuple[str, tuple[int, int]]],
                                        list[tuple[str, tuple[int, int]]]]:
    """(items added to, items removed from) a list inside a reworded sentence: words inserted
    or deleted next to a comma or a conjunction."""
    om = list(TOKEN.finditer(edit.old))
    nm = list(TOKEN.finditer(edit.new))
    ot = [m.group().lower() for m in om]
    nt = [m.group().lower() for m in nm]
    sm = SequenceMatcher(None, ot, nt, autojunk=False)
    added: list[tuple[str, tuple[int, int]]] = []
    removed: list[tuple[str, tuple[int, int]]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        old_words = [t for t in ot[i1:i2] if t not in _JOIN]
        new_words = [t for t in nt[j1:j2] if t not in _JOIN]
        if new_words and not old_words and _listy(nt, j1, j2):
            added.append((_span_text(edit.new, nm, j1, j2), (nm[j1].start(), nm[j2 - 1].end())))
        elif old_words and not new_words and _listy(ot, i1, i2):
            removed.append((_span_text(edit.old, om, i1, i2),
                            (om[i1].start(), om[i2 - 1].end())))
    return added, removed


def _listy(toks: list[str], i: int, j: int) -> bool:
    inside = toks[i:j]
    before = toks[i - 1] if i > 0 else ""
    after = toks[j] if j < len(toks) else ""
    return bool({inside[0], inside[-1], before, after} & {",", "and", "or", ";", "and/or"})


def _span_text(sentence: str, matches: list[re.Match[str]], i: int, j: int) -> str:
    text = sentence[matches[i].start():matches[j - 1].end()]
    return text.strip(" ,;").removeprefix("and ").removeprefix("or ").strip(" ,;")


def _lists(edit: SentenceEdit, old_acts: dict[str, ActRead], new_acts: dict[str, ActRead],
           rules: Rules, limited: bool) -> list[Finding]:
    lex = lexicon(rules)
    added, removed = _items(edit)
    if not added and not removed:
        return []
    out: list[Finding] = []
    for items, acts, sentence, grew in ((added, new_acts, edit.new, True),
                                        (removed, old_acts, edit.old, False)):
        for text, span in items:
            if not _is_item(text):
                continue
            prohibited = lex.prohibition.search(sentence) or (
                edit.lead and lex.prohibition.search(edit.lead))
            governing = _governing(acts, span)
            if prohibited and (governing is None or governing.act.kind != "practice"):
                what = ("adds to what users may not do" if grew
                        else "removes something users were not allowed to do")
                out.append(Finding("list", "acceptable-use", "medium",
                                   "worse" if grew else "better", f"{what}: “{text}”",
                                   "" if grew else clip(sentence, [span]),
                                   clip(sentence, [span]) if grew else "", "prohibition",
                                   limited))
                continue
            if governing is None or governing.state == 0:
                continue  # a list in a negated clause: "we do not share X, Y" growing is better
            act = governing.act
            if act.kind in ("venue", "licence"):
                continue
            worse = grew == act.more_is_worse
            if worse:
                level = act.level if (lex.sensitive.search(text) or not act.more_is_worse) \
                    else "medium"
            else:
                level = IMPROVEMENT_LEVEL
            verb = "widens" if grew else "narrows"
            what = f"{verb} {act.name}: {'adds' if grew else 'drops'} “{text}”"
            quote = clip(sentence, [span, governing.span])
            out.append(Finding("list", act.topic, level, "worse" if worse else "better", what,
                               "" if grew else quote, quote if grew else "", act.id, limited))
    return out


MAX_ITEM_WORDS = 8  # a longer insertion is a clause of its own, not an item of a list
_NOT_ITEMS = frozenset("then also required applicable including include includes such as "
                       "etc other others inc ltd llc corp co limited".split()) | _STOP


def _is_item(text: str) -> bool:
    """Does an inserted or deleted run read as a list item (a few words with one of substance,
    not a parenthesis, a company suffix or a connective)?"""
    words = [w for w in TOKEN.findall(text) if w[:1].isalnum()]
    if not words or len(words) > MAX_ITEM_WORDS or text.lstrip().startswith("("):
        return False
    return any(len(w) >= 3 and w.lower() not in _NOT_ITEMS for w in words)


def _governing(acts: dict[str, ActRead], span: tuple[int, int]) -> ActRead | None:
    """The act whose list an item belongs to: the nearest one stated before it (else after)."""
    before = [a for a in acts.values() if a.span[0] <= span[0]]
    if before:
        return max(before, key=lambda a: a.span[0])
    after = [a for a in acts.values() if a.span[0] > span[0]]
    return min(after, key=lambda a: a.span[0]) if after else None


# --- licences and venues --------------------------------------------------------------------


def _licence(edit: SentenceEdit, old_acts: dict[str, ActRead], new_acts: dict[str, ActRead],
             rules: Rules) -> list[Finding]:
    if "licence" not in old_acts and "licence" not in new_acts:
        return []
    lex = lexicon(rules)
    old_terms = {name for name, rx in lex.licence_terms if rx.search(edit.old)}
    new_terms = {name for name, rx in lex.licence_terms if rx.search(edit.new)}
    gained, lost = sorted(new_terms - old_terms), sorted(old_terms - new_terms)
    if not gained and not lost:
        return []
    act = (new_acts.get("licence") or old_acts["licence"]).act
    if gained:
        what = f"broadens {act.name}: now {', '.join(gained)}"
        return [Finding("licence", act.topic, act.level, "worse", what,
                        _changed_quote(edit, "old"), _changed_quote(edit, "new"), act.id)]
    what = f"narrows {act.name}: no longer {', '.join(lost)}"
    return [Finding("licence", act.topic, IMPROVEMENT_LEVEL, "better", what,
                    _changed_quote(edit, "old"), _changed_quote(edit, "new"), act.id)]


_PLACE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")


def _venue(edit: SentenceEdit, old_acts: dict[str, ActRead], new_acts: dict[str, ActRead],
           rules: Rules) -> list[Finding]:
    """A clause on courts or governing law whose place or forum words changed."""
    read = new_acts.get("venue") or old_acts.get("venue")
    if read is None or "venue" not in old_acts or "venue" not in new_acts:
        return []
    changed = [edit.new[a:b] for a, b in edit.new_spans] + [edit.old[a:b] for a, b in
                                                            edit.old_spans]
    if not any(_PLACE.search(c) or re.search(r"\b(courts?|arbitrat\w+|exclusive\w*|county|state|"
                                             r"country|residence|laws?)\b", c, re.IGNORECASE)
               for c in changed):
        return []
    act = read.act
    return [Finding("venue", act.topic, act.level, "neutral", f"changes {act.name}",
                    _changed_quote(edit, "old"), _changed_quote(edit, "new"), act.id)]


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
            out[k] = out[pairs[k]] = compare_clause(reword(old, edit), rules, counts)
        elif edit.kind == "reworded" and not edit.variant:
            out[k] = compare_clause(edit, rules, counts)
        elif lex.any_act.search(edit.old + "\n" + edit.new + "\n" + edit.lead):
            out[k] = _whole(edit, rules, counts)
    return out


MAX_ACT_PAIRS = 200  # sentences looked at for act pairing (a wholesale rewrite has thousands)


def _pair_by_act(edits: Sequence[SentenceEdit], rules: Rules) -> dict[int, int]:
    """{added edit: removed edit} for sentences too reworded to be paired by their words but
    stating the same act under the same heading: "You can delete your data at any time" ->
    "You may ask us to delete your data; we may decline" is one clause rewritten."""
    removed: dict[tuple[str, ...], list[tuple[int, set[str]]]] = {}
    added: list[tuple[int, set[str]]] = []
    for k, e in enumerate(edits):
        # (an editorial-looking sentence is paired too: "... before changes take effect"
        # reads like an announcement)
        if e.variant or e.kind == "reworded" or e.block_kind == "heading" \
                or len(added) + len(removed) > MAX_ACT_PAIRS:
            continue
        acts = set(read_acts(e.new or e.old, e.new_block or e.old_block, e.lead, rules))
        acts -= {"venue"}
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
    wa = {w.lower() for w in TOKEN.findall(a) if w[:1].isalnum()} - _STOP
    wb = {w.lower() for w in TOKEN.findall(b) if w[:1].isalnum()} - _STOP
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
        quote = clip(sentence, (*read.cues, read.span), 2)
        topic = topic_of(act, sentence, rules=rules)
        if act.more_is_worse:
            if not added:
                continue
            if read.state >= 2 and act.added_level and counts.changed(act, True):
                effect, what = _explain(act, ABSENT, read.state)
                level = act.added_level if read.state == 3 else "medium"
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

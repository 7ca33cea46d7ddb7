"""What a clause does: the acts of resources/rules/clauses.json a sentence states, each with
its state, and the quotes that show them.

An act is something a clause says is done or offered: a practice the platform carries out on
users' data or content (training AI on it, selling, sharing, keeping it), an obligation put on
users (binding arbitration, a class-action waiver, an indemnity), a licence over their content,
a protection (encryption, notice before disclosure or changes) or a user control (deleting data,
an opt-out, refunds). Its state, read from polarity and modality in its clause:

    0  ruled out             "is not used to train", "we never sell"
    1  narrow / consent      "only with your consent", "not ... except as required by law"
    2  default with opt-out  "may be used ... unless you opt out"; a protection only "may",
                             a right the platform "may decline"
    3  done / offered        "we may share", "we will notify you", "you can delete"

clauses.py compares the states of two versions of a clause; figures.py reads the figures and
lists inside it. The quotes (`clip`) keep the cues and the act: "is not used to train".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
from watcher_app.analysis.sections import SentenceEdit
from watcher_app.analysis.tokens import split_sentences

LEVELS = ("low", "medium", "high")
ABSENT = -1  # the act is not stated in this version of the clause
QUOTE_WORDS = 8  # a sentence longer than this is cut to the words around its cues
IMPROVEMENT_LEVEL = "medium"  # a change in users' favour is still a meaningful one
HEDGE_CHARS = 50  # words of discretion this close before a protection make it only "may"


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
    topics: tuple[tuple[Folded, str], ...] = ()  # another topic where the clause says so
    key: Folded | None = None  # words one of which every match contains (a cheap test first)

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
    opt_out_alone: Folded  # an opt-out naming nothing it opts out of ("opt out at any time")
    discretion: Folded
    exception: Folded
    refusal: Folded
    absence: Folded
    negated_after: Folded
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
                     a.get("added_level", ""),
                     tuple((Folded(rx), t) for rx, t in a.get("topics", {}).items()),
                     Folded(a["key"]) if a.get("key") else None)
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
        any_act=Folded("|".join(f"(?:{a.key.source if a.key else a.pattern.regex.source})"
                                for a in acts)),
        consent=Folded(mod["consent"]), opt_out=Folded(mod["opt_out"]),
        opt_out_alone=Folded(mod["opt_out_alone"]),
        discretion=Folded(mod["discretion"]), exception=Folded(mod["exception"]),
        refusal=Folded(mod["refusal"]), absence=Folded(mod["absence"]),
        negated_after=Folded(mod["negated_after"]),
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


_WITHOUT = re.compile(r"\bwithout\s+(?:[\w'-]+\s+){0,2}$", re.IGNORECASE)  # "without prior"


_READS: dict[tuple[int, str, str, str], dict[str, ActRead]] = {}
_READS_MAX = 20_000  # sentences remembered (a sentence is read for pairing, counts, findings)


def read_acts(sentence: str, block: str = "", lead: str = "",
              rules: Rules | None = None) -> dict[str, ActRead]:
    """The acts a sentence states, each at its strongest state (a sentence that rules a
    practice out in one case and allows it in another allows it)."""
    rules = rules or load_rules()
    lex = lexicon(rules)
    if not sentence or not lex.any_act.search(sentence):
        return {}
    key = (id(lex), sentence, block, lead)
    if key not in _READS:
        if len(_READS) >= _READS_MAX:
            _READS.clear()
        out: dict[str, ActRead] = {}
        for act in lex.acts:
            read = read_act(sentence, act, block, lead, rules)
            if read is not None:
                out[act.id] = read
        _READS[key] = out
    return _READS[key]


def read_act(sentence: str, act: Act, block: str = "", lead: str = "",
             rules: Rules | None = None) -> ActRead | None:
    """One act in a sentence, at its strongest state, or None."""
    if act.key is not None and not act.key.search(sentence):
        return None
    rules = rules or load_rules()
    lex = lexicon(rules)
    p = act.pattern
    if p.also is not None and not (p.also.search(sentence) or (block and p.also.search(block))):
        return None
    if p.unless is not None and p.unless.search(sentence):
        return None
    if p.platform and lead and rules.user_duty.search(lead):
        return None  # an item of a list of things the user must not do
    best: ActRead | None = None
    for m in p.regex.finditer(sentence):
        if p.platform and act.kind == "practice" and users_act(sentence, m.start(), rules):
            continue
        if in_address(sentence, m.start(), m.end()):
            continue
        read = _state(sentence, m.start(), m.end(), act, lex, rules)
        if best is None or read.state > best.state:
            best = read
    if best is not None and best.state == 3 and act.kind == "practice" and block \
            and _paragraph_opt_out(sentence, block, act, lex):
        # "We use your content to train our models. You can opt out at any time." is on by
        # default with an opt-out, though the opt-out is a sentence of its own
        best = ActRead(act, 2, best.span, best.cues)
    return best


def _paragraph_opt_out(sentence: str, block: str, act: Act, lex: Lexicon) -> bool:
    """Does another sentence of the paragraph offer an opt-out from this practice: one that
    names it ("you can opt out of model training"), or names nothing ("you can opt out at any
    time")? An opt-out from something else ("opt out of marketing e-mails") is not one."""
    if sentence not in block or not lex.opt_out.search(block.replace(sentence, " ")):
        return False  # (the cheap test first: most paragraphs offer no opt-out at all)
    for other in split_sentences(block):
        if other == sentence or other in sentence or not lex.opt_out.search(other):
            continue
        if act.key is not None and act.key.search(other):
            return True
        if lex.opt_out_alone.search(other) and not any(
                a.kind == "practice" and a.key is not None and a.key.search(other)
                for a in lex.acts):
            return True
    return False


_USER_SUBJECT = re.compile(r"(?:^|\W)(you|users?|members?|people|others)\s+(?:[\w'-]+\s+){0,4}$",
                           re.IGNORECASE)
_PLATFORM_SUBJECT = re.compile(r"\b(we|us)\b", re.IGNORECASE)


def users_act(sentence: str, pos: int, rules: Rules) -> bool:
    """Is the act at `pos` done by the user ("you can choose to share your playlists", "you
    may not sell data you obtain from us") rather than by the platform ("content you submit
    may be used to train", "we use what you post to train")?"""
    if rules.user_duty.search(sentence[:pos]):
        return True
    clause = last_clause(sentence[:pos], rules).rsplit(",", 1)[-1]
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

    # a negation inside the phrase counts before its key word ("we are not liable"), not
    # after it ("suspend your account at any time without notice" is no negation)
    key = act.key.search(sentence[start:end]) if act.key is not None else None
    head = sentence[start:start + key.start()] if key is not None else sentence[start:end]
    negated = not act.ignore_negation and (is_negated(sentence, start, rules) or bool(
        _NEG_CUE.search(last_clause(head, rules))) or bool(
        _WITHOUT.search(sentence[max(0, start - 40):start])))
    if not negated and act.kind in ("protection", "control"):
        # a protection named first and denied after: "refunds are not available"
        after_neg = lex.negated_after.search(sentence[end:])
        if after_neg is not None:
            negated = True
            cues.append((end + after_neg.start(), end + after_neg.end()))
    if negated:
        clause_start = max(0, sentence.rfind(",", 0, start))
        if not cue(_NEG_CUE, sentence[clause_start:start + len(head)], clause_start):
            cue(_NEG_CUE, sentence[:start + len(head)])
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
                lex.discretion, sentence[max(0, start - HEDGE_CHARS):start],
                max(0, start - HEDGE_CHARS)):
            state = 2
        else:
            state = 3
    return ActRead(act, state, (start, end), tuple(cues))


def topic_of(act: Act, *sentences: str, rules: Rules | None = None,
             context: Sequence[str] = ()) -> str:
    """The topic of a finding on `act`: a control over a practice ("you can opt out of model
    training") is about the practice its sentence names, or when the sentence names none
    ("you can opt out of this at any time"), the practice its paragraph (`context`) names;
    an act may name another topic in some clauses (`topics`); else the act's own topic."""
    for rx, topic in act.topics:
        if any(s and rx.search(s) for s in sentences):
            return topic
    if act.about_practice:
        for texts in (sentences, context):
            # a practice first ("opt out of model training"), then a duty put on users ("opt
            # out of the agreement to arbitrate" is about how disputes are resolved)
            for kind in ("practice", "obligation"):
                for practice in lexicon(rules).acts:
                    if practice.kind == kind and any(
                            s and practice.pattern.regex.search(s) and (
                                practice.pattern.also is None
                                or practice.pattern.also.search(s))
                            for s in texts):
                        return practice.topic
    return act.topic


def last_clause(text: str, rules: Rules) -> str:
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


def near_spans(span: tuple[int, int], spans: Sequence[tuple[int, int]],
          reach: int = 40) -> list[tuple[int, int]]:
    """The edited spans close to an act's phrase (they belong in its quote)."""
    return [(a, b) for a, b in spans if b > a and a < span[1] + reach and b > span[0] - reach]


def counterpart(edit: SentenceEdit, read: ActRead | None, side: str) -> str:
    """What stands, on one side of a reworded sentence, where the other side states the act:
    the edited span paired with the one holding (or nearest to) the act's phrase."""
    if read is None:
        return changed_quote(edit, side)
    mine = edit.new_spans if side == "old" else edit.old_spans
    theirs = edit.old_spans if side == "old" else edit.new_spans
    if not mine or len(mine) != len(theirs):
        return changed_quote(edit, side)
    a, b = read.span
    k = min(range(len(mine)), key=lambda i: 0 if mine[i][0] < b and mine[i][1] > a else
            min(abs(mine[i][0] - b), abs(mine[i][1] - a)) + 1)
    sentence = edit.old if side == "old" else edit.new
    start, end = theirs[k]
    if end <= start:  # the act's words were inserted here: quote the words around the place
        return clip(sentence, [(max(0, start - 1), min(len(sentence), end + 1))], 2)
    return clip(sentence, [(start, end)], 1)


def changed_quote(edit: SentenceEdit, side: str) -> str:
    """The edited words of one side of a reworded sentence, with a word of context."""
    sentence = edit.old if side == "old" else edit.new
    spans = edit.old_spans if side == "old" else edit.new_spans
    spans = tuple(s for s in spans if s[1] > s[0]) or spans
    return clip(sentence, spans, 1) if any(b > a for a, b in spans) else clip(sentence, ())


STOP_WORDS = frozenset("a an the and or of to in on at by for with as is are be been will may can "
                       "we you your our us it its this that these those such any all not".split())

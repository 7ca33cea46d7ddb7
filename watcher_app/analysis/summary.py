"""analyze_change(): where a recorded change sits, what it is, which topics it touches, how
severe it is, and a one- or two-sentence summary a user can read in a notification."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from watcher_app.analysis.acts import Finding
from watcher_app.analysis.categories import (
    CategoryHit,
    Scored,
    editorial_topics,
    score_categories,
    select_categories,
)
from watcher_app.analysis.clauses import folded_opt_outs, sentence_findings
from watcher_app.analysis.dates import find_effective_date
from watcher_app.analysis.params import Params, load_params
from watcher_app.analysis.rules import Rules, load_rules
from watcher_app.analysis.sections import (
    DIFF_BUDGET_S,
    SectionChange,
    SentenceEdit,
    TextDiff,
    diff_sentences,
)
from watcher_app.analysis.severity import (
    Fired,
    by_consequence,
    calibrate,
    change_size,
    decide,
    fire_triggers,
    fired_findings,
    is_editorial,
)

MAX_QUOTED = 5  # sentences kept in added_sentences / removed_sentences
MAX_TRIGGER_EDITS = 1000  # beyond this many changed sentences, severity is judged on a sample
MAX_ANALYSED_EDITS = 250  # ... and topics beyond this many
MAX_CLAUSE_EDITS = 500  # ... and clauses read beyond this many
MAX_FINDINGS = 12  # findings kept in the analysis (the most consequential first)
QUOTE_CHARS = 160  # a quoted sentence in the summary is cut here
PATH_SEP = " › "


@dataclass(frozen=True)
class Analysis:
    severity: str  # "low" | "medium" | "high"
    severity_reason: str  # the finding or rule that decided it, quoting the clause
    categories: tuple[str, ...]  # names from CATEGORIES, most significant first
    category_hits: tuple[CategoryHit, ...]
    summary: str
    sections: tuple[SectionChange, ...]
    added_sentences: tuple[str, ...]  # most significant first
    removed_sentences: tuple[str, ...]
    reworded: int  # sentences reworded
    effective_date: str | None  # ISO date stated by the new text
    moved: int = 0  # sentences moved or copied verbatim to another place
    findings: tuple[Finding, ...] = ()  # what the change does to its clauses, worst first
    coarse: bool = False  # a very large change read on a coarse diff or a sample of it

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (tuples become lists); from_json() reverses it."""
        return {
            "severity": self.severity,
            "severity_reason": self.severity_reason,
            "categories": list(self.categories),
            "category_hits": [{"name": h.name, "score": h.score, "evidence": list(h.evidence)}
                              for h in self.category_hits],
            "summary": self.summary,
            "sections": [{"path": list(s.path), "added": s.added, "removed": s.removed,
                          "changed": s.changed} for s in self.sections],
            "added_sentences": list(self.added_sentences),
            "removed_sentences": list(self.removed_sentences),
            "reworded": self.reworded,
            "effective_date": self.effective_date,
            "moved": self.moved,
            "findings": [f.to_json() for f in self.findings],
            "coarse": self.coarse,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        return cls(
            severity=data["severity"],
            severity_reason=data["severity_reason"],
            categories=tuple(data["categories"]),
            category_hits=tuple(CategoryHit(h["name"], h["score"], tuple(h["evidence"]))
                                for h in data["category_hits"]),
            summary=data["summary"],
            sections=tuple(SectionChange(tuple(s["path"]), s["added"], s["removed"],
                                         s["changed"]) for s in data["sections"]),
            added_sentences=tuple(data["added_sentences"]),
            removed_sentences=tuple(data["removed_sentences"]),
            reworded=data["reworded"],
            effective_date=data.get("effective_date"),
            moved=data.get("moved", 0),
            findings=tuple(Finding.from_json(f) for f in data.get("findings", ())),
            coarse=bool(data.get("coarse", False)),
        )


@dataclass(frozen=True)
class Reading:
    """What the analysis reads from two texts before any fitted threshold is applied (the
    expensive part; judge() turns it into an Analysis in microseconds, so the scorer can try
    many thresholds on one reading)."""

    diff: TextDiff
    judged: TextDiff  # the edits severity is judged on (all, or an even sample)
    editorial: tuple[bool, ...]  # per judged edit
    clause_findings: tuple[Finding, ...]  # from the clause reading
    statement_findings: tuple[Finding, ...]  # from the statement triggers (need categories)
    scored: Scored
    local: tuple[CategoryHit, ...]  # topics of a small, purely editorial change
    editorial_hit: CategoryHit
    summary: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    reworded: int
    effective_date: str | None
    size: int  # words of substance changed (severity.change_size)


def analyze_change(old_text: str, new_text: str, *, params: Params | None = None,
                   budget_s: float | None = DIFF_BUDGET_S) -> Analysis:
    """Analyse the change from one normalised text (docs/dev/text-format.md) to the next."""
    return judge(read_change(old_text, new_text, budget_s=budget_s), params)


def read_change(old_text: str, new_text: str, *, rules: Rules | None = None,
                budget_s: float | None = DIFF_BUDGET_S) -> Reading:
    rules = rules or load_rules()
    diff = diff_sentences(old_text, new_text, budget_s=budget_s)
    # A wholesale rewrite (a document replaced by another) is judged on an even sample of its
    # sentence edits, topics on a smaller one: thousands of changed sentences say no more.
    wide = _sample(len(diff.edits), MAX_TRIGGER_EDITS)
    judged = replace(diff, edits=tuple(diff.edits[i] for i in wide))
    editorial = [is_editorial(e, rules) for e in judged.edits]
    # the clause reading of a wholesale rewrite looks at an even sample of its sentences
    clause_sample = _sample(len(wide), MAX_CLAUSE_EDITS)
    sampled = sentence_findings(replace(judged, edits=tuple(judged.edits[k]
                                                            for k in clause_sample)),
                                [editorial[k] for k in clause_sample], rules)
    per_edit: list[list[Finding]] = [[] for _ in wide]
    for k, found in zip(clause_sample, sampled, strict=True):
        per_edit[k] = found
    # a clause the reading understood is not editorial, whatever its words look like ("30
    # days" -> "7 days" before changes "take effect")
    editorial = [ed and not found for ed, found in zip(editorial, per_edit, strict=True)]
    narrow = _sample(len(wide), MAX_ANALYSED_EDITS)
    scored = score_categories(replace(diff, edits=tuple(judged.edits[k] for k in narrow)),
                              [editorial[k] for k in narrow], rules,
                              [per_edit[k] for k in narrow])
    significance = [0.0] * len(diff.edits)
    for k, value in zip(narrow, scored.significance, strict=True):
        significance[wide[k]] = value
    fired = fire_triggers(judged, editorial, rules)
    folded = folded_opt_outs(judged.edits, per_edit, rules)
    local = editorial_topics(judged, rules) if diff.edits and all(editorial) else ()
    # the sentences a finding or trigger is about come first, then the weightiest by topic
    weight = [0.0] * len(diff.edits)
    for k, found in enumerate(per_edit):
        weight[wide[k]] = max((1 + f.rank for f in found), default=0.0)
    firing = {f.evidence for f in fired}
    ranked = sorted(range(len(diff.edits)), key=lambda i: (
        -weight[i], -(diff.edits[i].new in firing or diff.edits[i].old in firing),
        -significance[i], i))
    edits = [diff.edits[i] for i in ranked]
    added = tuple(e.new for e in edits if e.kind == "added" or e.variant)
    removed = tuple(e.old for e in edits if e.kind == "removed")
    reworded = [e for e in edits if e.kind == "reworded" and not e.variant]
    return Reading(
        diff=diff, judged=judged, editorial=tuple(editorial),
        # (the two halves of a clause rewritten share one list of findings: counted once)
        clause_findings=tuple(dict.fromkeys(f for found in per_edit for f in found
                                            if f not in folded)),
        statement_findings=tuple(_unread(fired, judged.edits, per_edit)),
        scored=scored, local=local,
        editorial_hit=_editorial_hit(judged.edits, editorial),
        summary=summarize(diff, added, removed, reworded, edits[0] if edits else None),
        added=added, removed=removed, reworded=len(reworded),
        effective_date=find_effective_date(new_text),
        size=change_size(judged.edits, editorial, rules),
    )


def _unread(fired: Sequence[Fired], edits: Sequence[SentenceEdit],
            per_edit: Sequence[Sequence[Finding]]) -> list[Finding]:
    """The statement triggers as findings, except where the clause reading compared that very
    sentence on the trigger's topic ("we will never share" -> "we may share with your
    consent" is read as sharing now possible with consent, not as a promise dropped)."""
    understood: dict[str, set[str]] = {}
    for edit, found in zip(edits, per_edit, strict=True):
        for f in found:
            for sentence in (edit.old, edit.new):
                if sentence and f.kind == "state":
                    understood.setdefault(sentence, set()).add(f.act)
    return [finding for f, finding in zip(fired, fired_findings(fired, ()), strict=True)
            if not f.trigger.act or f.trigger.act not in understood.get(f.evidence, set())]


def judge_categories(reading: Reading, params: Params) -> tuple[tuple[str, ...],
                                                                 tuple[CategoryHit, ...]]:
    """The categories of a reading and the hits that show them."""
    hits = reading.scored.hits
    categories = select_categories(reading.scored, params, reading.clause_findings)
    if not categories and reading.diff.edits:
        # nothing topical changed: a date, a name, an address, a pointer or a clarification;
        # a small one inside a topical clause is named by that clause's topic
        if reading.local:
            return tuple(h.name for h in reading.local), reading.local
        return ("editorial",), (reading.editorial_hit, *hits)
    return categories, hits


def judge(reading: Reading, params: Params | None = None) -> Analysis:
    """Severity and categories of a reading, by the fitted thresholds."""
    params = params or load_params()
    diff = reading.diff
    categories, hits = judge_categories(reading, params)
    findings = list(reading.clause_findings)
    # a trigger without a topic of its own is about the change's main topic; one that only
    # restates what the clause reading found on its topic adds nothing
    read_levels: dict[str, int] = {}
    for f in findings:
        read_levels[f.topic] = max(read_levels.get(f.topic, -1), f.rank)
    for f in reading.statement_findings:
        f = f if f.topic else replace(f, topic=categories[0] if categories else "")
        if read_levels.get(f.topic, -1) < f.rank:
            findings.append(f)
    findings = calibrate(findings, params)
    severity, reason = decide(reading.judged, reading.editorial, findings, categories, params,
                              size=reading.size)
    ordered = by_consequence(findings, categories)  # the deciding one first
    if ordered and ordered[0].topic in categories[1:]:
        # the topic of what decided the severity is named first ("AI training, data
        # retention" when training on by default made it high, not the order of the scores)
        categories = (ordered[0].topic, *(c for c in categories if c != ordered[0].topic))
    return Analysis(
        severity=severity,
        severity_reason=reason,
        categories=categories,
        category_hits=hits,
        summary=reading.summary,
        sections=diff.sections,
        added_sentences=reading.added[:MAX_QUOTED],
        removed_sentences=reading.removed[:MAX_QUOTED],
        reworded=reading.reworded,
        effective_date=reading.effective_date,
        moved=diff.moved,
        findings=tuple(ordered[:MAX_FINDINGS]),
        coarse=diff.coarse or len(reading.judged.edits) < len(diff.edits),
    )


def _editorial_hit(edits: Sequence[SentenceEdit], editorial: Sequence[bool]) -> CategoryHit:
    """The evidence for "editorial": the edits themselves (editorial ones first)."""
    verbs = {"added": "adds", "removed": "removes", "reworded": "edits"}
    ordered = [e for e, ed in zip(edits, editorial, strict=True) if ed] + \
        [e for e, ed in zip(edits, editorial, strict=True) if not ed]
    evidence = tuple(f"{verbs[e.kind]}: {_quote(e.new or e.old)}" for e in ordered[:3])
    return CategoryHit("editorial", float(sum(editorial)), evidence)


def _sample(n: int, limit: int) -> list[int]:
    """All edit indices, or for a wholesale rewrite an even sample: the topics of thousands of
    changed sentences show as well in a few hundred, at a fraction of the time."""
    if n <= limit:
        return list(range(n))
    step = n / limit
    return [int(k * step) for k in range(limit)]


def _quote(sentence: str) -> str:
    text = sentence if len(sentence) <= QUOTE_CHARS else sentence[:QUOTE_CHARS].rsplit(" ", 1)[0]
    return f"“{text}{' …' if text != sentence else ''}”"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarize(diff: TextDiff, added: Sequence[str], removed: Sequence[str],
              reworded: Sequence[SentenceEdit], lead: SentenceEdit | None = None) -> str:
    """E.g. "2 paragraphs changed under 'Privacy › Model training'; adds: “We may use …”".
    `lead` = the most significant edit: it is the one quoted (else the first addition)."""
    if not diff.edits and not diff.sections:
        return "No wording changed."
    paragraphs = sum(s.added + s.removed + s.changed for s in diff.sections)
    where = ""
    located = [s for s in diff.sections if s.path]
    if located:
        main = max(located, key=lambda s: s.added + s.removed + s.changed)
        touched = len({s.path for s in diff.sections})
        label = PATH_SEP.join(main.path)
        where = (f" under '{label}'" if touched == 1
                 else f" in {touched} sections, most under '{label}'")
    head = f"{_plural(paragraphs, 'paragraph')} changed{where}"
    kind = "" if lead is None else "added" if lead.variant else lead.kind
    if kind == "removed" or (not kind and removed and not added):
        what = f"removes: {_quote(lead.old if lead else removed[0])}"
    elif kind == "added" or (not kind and added):
        what = f"adds: {_quote(lead.new if lead else added[0])}"
    elif reworded:
        edit = lead if kind == "reworded" and lead is not None else reworded[0]
        what = f"rewords: {_quote(edit.old)} → {_quote(edit.new)}"
    else:
        what = ""
    n_add, n_rem, n_rew = len(added), len(removed), len(reworded)
    parts = []
    if n_add > 1 or (n_add and (n_rem or n_rew)):
        parts.append(f"{_plural(n_add, 'sentence')} added")
    if n_rem and (n_add or n_rem > 1 or n_rew):
        parts.append(f"{n_rem} removed")
    if n_rew and (n_add or n_rem or n_rew > 1):
        parts.append(f"{n_rew} reworded")
    if diff.moved:
        parts.append(f"{diff.moved} moved")
    tail = f" ({', '.join(parts)})" if parts else ""
    return f"{head}; {what}{tail}" if what else f"{head}{tail}."

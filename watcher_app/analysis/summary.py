"""analyze_change(): where a recorded change sits, what it is, which topics it touches, how
severe it is, and a one- or two-sentence summary a user can read in a notification."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from watcher_app.analysis.categories import (
    CategoryHit,
    editorial_topics,
    load_rules,
    score_categories,
    select_categories,
)
from watcher_app.analysis.dates import find_effective_date
from watcher_app.analysis.sections import SectionChange, SentenceEdit, TextDiff, diff_texts
from watcher_app.analysis.severity import decide, fire_triggers, is_editorial

MAX_QUOTED = 5  # sentences kept in added_sentences / removed_sentences
MAX_TRIGGER_EDITS = 1000  # beyond this many changed sentences, severity is judged on a sample
MAX_ANALYSED_EDITS = 250  # ... and topics beyond this many
QUOTE_CHARS = 160  # a quoted sentence in the summary is cut here
PATH_SEP = " › "


@dataclass(frozen=True)
class Analysis:
    severity: str  # "low" | "medium" | "high"
    severity_reason: str  # the rule that decided it, in words
    categories: tuple[str, ...]  # names from CATEGORIES, most significant first
    category_hits: tuple[CategoryHit, ...]
    summary: str
    sections: tuple[SectionChange, ...]
    added_sentences: tuple[str, ...]  # most significant first
    removed_sentences: tuple[str, ...]
    reworded: int  # sentences reworded
    effective_date: str | None  # ISO date stated by the new text
    moved: int = 0  # sentences moved or copied verbatim to another place

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
        )


def analyze_change(old_text: str, new_text: str) -> Analysis:
    """Analyse the change from one normalised text (docs/dev/text-format.md) to the next."""
    rules = load_rules()
    diff = diff_texts(old_text, new_text)
    # A wholesale rewrite (a document replaced by another) is judged on an even sample of its
    # sentence edits, topics on a smaller one: thousands of changed sentences say no more.
    wide = _sample(len(diff.edits), MAX_TRIGGER_EDITS)
    judged = replace(diff, edits=tuple(diff.edits[i] for i in wide))
    editorial = [is_editorial(e, rules) for e in judged.edits]
    narrow = _sample(len(wide), MAX_ANALYSED_EDITS)
    scored = score_categories(replace(diff, edits=tuple(judged.edits[k] for k in narrow)),
                              [editorial[k] for k in narrow], rules)
    hits = scored.hits
    significance = [0.0] * len(diff.edits)
    for k, value in zip(narrow, scored.significance, strict=True):
        significance[wide[k]] = value
    categories = select_categories(scored)
    if not categories and diff.edits:
        # nothing topical changed: a date, a name, an address, a pointer or a clarification;
        # a small one inside a topical clause is named by that clause's topic
        local = editorial_topics(judged, rules) if all(editorial) else ()
        if local:
            categories, hits = tuple(h.name for h in local), local
        else:
            categories = ("editorial",)
            hits = (_editorial_hit(judged.edits, editorial), *hits)
    fired = fire_triggers(judged, editorial, rules)
    severity, reason = decide(judged, editorial, categories, rules, fired)
    # the sentences a trigger fired on come first, then the weightiest by topic phrases
    firing = {f.evidence for f in fired}
    ranked = sorted(range(len(diff.edits)), key=lambda i: (
        -(diff.edits[i].new in firing or diff.edits[i].old in firing), -significance[i], i))
    edits = [diff.edits[i] for i in ranked]
    added = tuple(e.new for e in edits if e.kind == "added" or e.variant)
    removed = tuple(e.old for e in edits if e.kind == "removed")
    reworded = [e for e in edits if e.kind == "reworded" and not e.variant]
    return Analysis(
        severity=severity,
        severity_reason=reason,
        categories=categories,
        category_hits=hits,
        summary=summarize(diff, added, removed, reworded, edits[0] if edits else None),
        sections=diff.sections,
        added_sentences=added[:MAX_QUOTED],
        removed_sentences=removed[:MAX_QUOTED],
        reworded=len(reworded),
        effective_date=find_effective_date(new_text),
        moved=diff.moved,
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

"""The analysis rules (resources/rules/*.json) and the phrase primitives every rule uses: a
case-folded regex, negation within a clause, "is this something the user does?", and "is this
inside an address?". Data only here; what the rules mean is in categories.py (topics),
clauses.py (clause reading) and severity.py (levels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "ai-training", "data-collection", "data-sharing", "data-retention", "user-rights",
    "dispute-resolution", "liability", "content-license", "acceptable-use", "termination",
    "payments", "changes-to-terms", "minors", "law-enforcement", "security", "editorial",
)


@dataclass(frozen=True)
class Rules:
    patterns: dict[str, tuple[Pattern, ...]]
    headings: dict[str, tuple[re.Pattern[str], ...]]
    negation: re.Pattern[str]
    clause_break: re.Pattern[str]
    user_duty: re.Pattern[str]
    user_subject: re.Pattern[str]
    window: int
    severity: dict[str, Any]
    editorial: dict[str, Any]
    modifiers: frozenset[str] = frozenset()
    clauses: dict[str, Any] = field(default_factory=dict)  # clauses.json (clauses.py reads it)
    # one regex per category matching wherever any of its patterns could: a quick "no"
    any_pattern: dict[str, Folded] = field(default_factory=dict)


def _rx(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Lower case with the same length (so match offsets hold for the original text)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class Folded:
    """A case-insensitive rule regex, run on lower-cased text: about twice as fast as
    re.IGNORECASE, which matters on 300 KB documents. Match groups come back lower-cased."""

    __slots__ = ("source", "_rx")

    def __init__(self, source: str) -> None:
        self.source = source
        if re.search(r"\\[A-Z]", source):  # \W, \S ... would change meaning when lowered
            self._rx = re.compile(source, re.IGNORECASE)
        else:
            self._rx = re.compile(source.lower())

    def search(self, text: str) -> re.Match[str] | None:
        return self._rx.search(_fold(text))

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self._rx.finditer(_fold(text))


@dataclass(frozen=True)
class Pattern:
    regex: Folded
    also: Folded | None  # must also occur in the same sentence
    weight: float
    platform: bool = False  # only statements about what the platform does, not user duties
    unless: Folded | None = None  # a sentence with this is not a match


def make_pattern(spec: dict[str, Any], platform: bool = False) -> Pattern:
    return Pattern(Folded(spec["re"]), Folded(spec["with"]) if spec.get("with") else None,
                   float(spec.get("w", 1.0)), bool(spec.get("platform", platform)),
                   Folded(spec["unless"]) if spec.get("unless") else None)


def rules_dir() -> Path:
    """resources/rules, wherever the resources are installed."""
    try:
        from watcher_app.config import resources_dir

        return resources_dir() / "rules"
    except (ImportError, FileNotFoundError):  # a bare checkout without the catalogue
        return Path(__file__).resolve().parents[2] / "resources" / "rules"


@cache
def load_rules(folder: Path | None = None) -> Rules:
    folder = folder or rules_dir()

    def read(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
        return data

    cats = read("categories.json")["categories"]
    unknown = set(cats) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"rules name unknown categories: {sorted(unknown)}")
    neg = read("negation.json")
    return Rules(
        patterns={c: tuple(make_pattern(p, spec.get("platform", False)) for p in spec["patterns"])
                  for c, spec in cats.items()},
        headings={c: tuple(_rx(h) for h in spec.get("headings", ())) for c, spec in cats.items()},
        negation=_rx(neg["cues"]),
        clause_break=_rx(neg["clause_break"]),
        user_duty=_rx(neg["user_duty"]),
        user_subject=_rx(neg["user_subject"]),
        window=int(neg.get("window_words", 8)),
        severity=read("severity.json"),
        editorial=read("editorial.json"),
        modifiers=frozenset(c for c, spec in cats.items() if spec.get("modifier")),
        clauses=read("clauses.json"),
        any_pattern={c: Folded("|".join(f"(?:{p['re']})" for p in spec["patterns"]))
                     for c, spec in cats.items()},
    )


# --- occurrences ----------------------------------------------------------------------------


def _clause_before(sentence: str, pos: int, rules: Rules) -> str:
    before = sentence[:pos]
    breaks = list(rules.clause_break.finditer(before))
    return before[breaks[-1].end():] if breaks else before


def is_negated(sentence: str, pos: int, rules: Rules) -> bool:
    """Is the phrase at `pos` under a negation cue earlier in its clause?"""
    words = _clause_before(sentence, pos, rules).split()[-rules.window:]
    return bool(rules.negation.search(" ".join(words)))


def is_users_doing(sentence: str, pos: int, rules: Rules, duties: bool = True) -> bool:
    """Is the phrase at `pos` something the user must, may or chooses to do, rather than
    something the platform does ("you may not sell data obtained from us")? Without
    `duties`, only what the user chooses to do counts (a rule for the user about sharing
    data is still about sharing data)."""
    # the user's own clause ends at any comma: "If you choose to use X, Meta receives ..."
    clause = _clause_before(sentence, pos, rules).rsplit(",", 1)[-1]
    return bool(duties and rules.user_duty.search(sentence[:pos])
                or rules.user_subject.search(clause))


def in_address(text: str, start: int, end: int) -> bool:
    """Is text[start:end] part of an e-mail address or a URL ("dpo@example.org" names no data
    protection officer)?"""
    a = text.rfind(" ", 0, start) + 1
    b = text.find(" ", end)
    token = text[a:] if b < 0 else text[a:b]
    return "@" in token or "://" in token or token.lower().startswith("www.")

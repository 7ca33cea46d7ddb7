"""Changes that rename rather than rewrite: a term replaced throughout the document, a section
given a new title. Their words look new, but the clauses around them say what they said."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from watcher_app.analysis.rules import Rules
from watcher_app.analysis.sections import SentenceEdit

SWEEP_EDITS = 3  # a term deleted alone from this many reworded sentences is replaced throughout
_POSSESSIVE = re.compile(r"['’]s$|s['’]$")


def _deleted_terms(edit: SentenceEdit, skip: set[str]) -> frozenset[str]:
    words = (_POSSESSIVE.sub("", w.lower().strip("_*.,;:()\"“”'’")) for w in edit.deleted)
    return frozenset(w for w in words if w and w[:1].isalnum() and w not in skip)


def swept_edits(edits: Sequence[SentenceEdit], rules: Rules) -> set[int]:
    """The rewordings that only replace a term the change replaces throughout ("Children" ->
    "users of the Under 13 Experience" in sentence after sentence): the clauses around the
    term say what they said, to whomever they now name."""
    skip = {*rules.editorial["stopwords"], *rules.editorial["pronouns"]}
    deleted = {k: _deleted_terms(e, skip) for k, e in enumerate(edits)
               if e.kind == "reworded" and not e.variant}
    counts: dict[frozenset[str], int] = defaultdict(int)
    for terms in deleted.values():
        if terms:
            counts[terms] += 1
    replaced = set().union(*(t for t, n in counts.items() if n >= SWEEP_EDITS))
    return {k for k, terms in deleted.items() if terms and terms <= replaced}


def retitled(heading: SentenceEdit, edits: Sequence[SentenceEdit]) -> bool:
    """Is an added (removed) heading a new title for a section whose text stays, with no
    sentence under it added (removed)? "How We Share Children's Information" becoming "How
    We Share Information of Users of the Under 13 Experience" adds no section on sharing."""
    depth = len(heading.path)
    return not any(e is not heading and e.kind == heading.kind and e.path[:depth] == heading.path
                   for e in edits)

"""The few numbers of the analysis that are fitted to labelled data, not written by hand.

Everything else (lexicons, acts, directions, levels) is hand-written and general. These are
thresholds: how strong a topic must be to be named, how small an unexplained change stays low.
`bench/score_analysis.py --fit` fits them on all labelled changes of ../shared/realworld and
writes resources/rules/fitted.json; its leave-one-document-out mode fits them again in every
fold without the held-out document, so the figures it reports are honest.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

FITTED_FILE = "fitted.json"


@dataclass(frozen=True)
class Params:
    # categories: a topic is named when its score reaches cat_min and either cat_rel x the
    # strongest topic's or, in one single edit, cat_strong; at most cat_max of them; a finding
    # of at least finding_level names its topic whatever the scores ("none": never)
    cat_min: float = 1.0
    cat_rel: float = 0.3
    cat_strong: float = 4.0
    cat_max: int = 4
    cat_modifier: float = 4.0  # cat_strong for a category saying who is affected (minors)
    finding_level: str = "medium"
    # severity: a change no finding explains stays low when its substance is at most
    # small_words words in at most small_edits sentences
    small_words: int = 60
    small_edits: int = 3
    # severity cap (severity.calibrate): a protection or control weakened or removed only for
    # some users or places counts medium when limited_cap
    limited_cap: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def with_(self, **changes: Any) -> Params:
        return replace(self, **changes)


# The values each parameter may take when fitted (a small grid: few parameters, few values,
# so that a fold's fit cannot memorise its documents).
GRID: dict[str, tuple[Any, ...]] = {
    "cat_min": (0.5, 1.0, 1.5, 2.0, 3.0),
    "cat_rel": (0.15, 0.2, 0.25, 0.3, 0.4, 0.5),
    "cat_strong": (2.5, 3.0, 4.0, 5.0, 99.0),
    "cat_max": (3, 4, 5),
    "cat_modifier": (2.0, 3.0, 4.0, 5.0, 99.0),
    "finding_level": ("medium", "high", "none"),
    "small_words": (20, 40, 60, 100, 150),
    "small_edits": (1, 2, 3, 5, 8),
    "limited_cap": (True, False),
}
CATEGORY_PARAMS = ("cat_min", "cat_rel", "cat_strong", "cat_max", "cat_modifier",
                   "finding_level")
SEVERITY_PARAMS = ("small_words", "small_edits", "limited_cap")


def fitted_path(folder: Path | None = None) -> Path:
    from watcher_app.analysis.rules import rules_dir

    return (folder or rules_dir()) / FITTED_FILE


@cache
def load_params(folder: Path | None = None) -> Params:
    """The shipped, fitted parameters (defaults when the file is missing)."""
    path = fitted_path(folder)
    if not path.exists():
        return Params()
    return Params.from_json(json.loads(path.read_text(encoding="utf-8"))["params"])

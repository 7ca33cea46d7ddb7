"""Offline analysis of a recorded change: where it sits (heading paths), what it is (sentences
added, removed, reworded, moved), which topics it touches (rules in resources/rules/), how
severe it is and why, and the effective date the new text states."""

from watcher_app.analysis.acts import Finding
from watcher_app.analysis.categories import CategoryHit
from watcher_app.analysis.dates import find_effective_date
from watcher_app.analysis.rules import CATEGORIES
from watcher_app.analysis.sections import SectionChange
from watcher_app.analysis.summary import Analysis, analyze_change

__all__ = [
    "CATEGORIES",
    "Analysis",
    "CategoryHit",
    "Finding",
    "SectionChange",
    "analyze_change",
    "find_effective_date",
]

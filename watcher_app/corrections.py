"""The user's own reading of a change: a severity, topics and a note, kept beside the app's.

A correction never touches the app's analysis (`Change.severity`, `categories`, `analysis`):
it lives in `Change.user_*`, so the app's reading stays on record and "Reset to the app's
reading" is always possible. Everything that shows a severity or topics shows the *effective*
one (the user's when there is one) and says whose it is (`Judgement`).

`correct_change` and `reset_correction` are the only writers: the input is validated first
(a bad severity or topic refuses the whole request and nothing is stored), then one
transaction reads the change and writes the correction. A value equal to the app's is stored
as "no correction" for that field, so "your rating" always means the user disagreed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import peewee

from watcher_app.controls import strip_controls
from watcher_app.store.models import Change, database_proxy, utcnow

SEVERITIES: Final = ("low", "medium", "high")
SEVERITY_LABELS: Final = {"high": "High", "medium": "Medium", "low": "Low"}
NOTE_LIMIT = 2000  # characters: a note, not a memo
REASON_PREFIX = re.compile(r"^(?:high|medium|low):\s*", re.IGNORECASE)


class CorrectionError(ValueError):
    """A correction that cannot be stored; the message is one line for the user."""


class _Keep:
    """"Leave this field as it is stored" (a CLI flag the user did not give)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


def label(severity: str | None) -> str:
    return SEVERITY_LABELS.get(severity or "", severity or "Unrated")


def reason_text(reason: str | None) -> str:
    """The analysis' reason without its leading "High: " (shown next to the level already)."""
    return REASON_PREFIX.sub("", (reason or "").strip(), count=1)


def deciding_finding(analysis: dict[str, Any] | None) -> dict[str, Any] | None:
    """The finding that set the severity (the analysis lists it first), or None when a rule
    did (a size, an editorial change) or the analysis predates findings."""
    data = analysis or {}
    findings = data.get("findings") or []
    top = findings[0] if findings else None
    if top and top.get("level") == data.get("severity") and top.get("level") != "low":
        return dict(top)
    return None


def explain(analysis: dict[str, Any] | None, *, clip: int | None = None) -> str:
    """Why a change got its severity, meaning first: "AI training on users' data is now on by
    default: “is not used to train” became “may be used to train …”". Read from the deciding
    finding (never parsed from the reason's words); else the reason without its "High: ".
    `clip`: keep each quote to that many words (a notification)."""
    data = analysis or {}
    top = deciding_finding(data)
    if top is None:
        return reason_text(data.get("severity_reason"))
    what = str(top.get("what") or "")
    old, new = str(top.get("old") or ""), str(top.get("new") or "")
    if clip:
        old, new = _clip(old, clip), _clip(new, clip)
    quotes = (f"“{old}” became “{new}”" if old and new else f"now says “{new}”" if new
              else f"no longer says “{old}”" if old else "")
    favour = " (in users' favour)" if top.get("effect") == "better" else ""
    head = f"{what[:1].upper()}{what[1:]}{favour}"
    return f"{head}: {quotes}" if quotes else head


def brief_reason(analysis: dict[str, Any] | None, limit: int = 200) -> str:
    """Why, in a notification's few lines: explain() with short quotes, cut at a word."""
    text = explain(analysis, clip=9)
    return text if len(text) <= limit else _cut(text, limit)


def _clip(quote: str, words: int) -> str:
    parts = quote.split()
    return quote if len(parts) <= words else " ".join(parts[:words]) + " …"


def _cut(text: str, limit: int) -> str:
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"


@dataclass(frozen=True)
class Judgement:
    """The app's reading of a change and the user's correction of it, if any."""

    app_severity: str | None
    app_categories: tuple[str, ...]
    reason: str = ""  # why, meaning first, quoting the clause (explain())
    user_severity: str | None = None
    user_categories: tuple[str, ...] | None = None
    note: str | None = None
    corrected_at: dt.datetime | None = None

    @classmethod
    def of(cls, change: Any) -> Judgement:
        """From a Change row (or anything with its fields)."""
        analysis = getattr(change, "analysis", None) or {}
        user_cats = getattr(change, "user_categories", None)
        return cls(
            app_severity=change.severity or analysis.get("severity"),
            app_categories=tuple(change.categories or ()),
            reason=explain(analysis) if analysis else "",
            user_severity=getattr(change, "user_severity", None),
            user_categories=None if user_cats is None else tuple(user_cats),
            note=getattr(change, "user_note", None),
            corrected_at=getattr(change, "corrected_at", None))

    @property
    def severity(self) -> str | None:
        """The severity to show and to filter by: the user's, else the app's."""
        return self.user_severity or self.app_severity

    @property
    def categories(self) -> tuple[str, ...]:
        return self.user_categories if self.user_categories is not None else self.app_categories

    @property
    def corrected(self) -> bool:
        return self.corrected_at is not None

    @property
    def severity_is_users(self) -> bool:
        return self.user_severity is not None

    @property
    def categories_are_users(self) -> bool:
        return self.user_categories is not None

    def severity_label(self) -> str:
        """"High", or "High (your rating; the app said Medium)"."""
        if not self.severity_is_users:
            return label(self.app_severity) if self.app_severity else "Unrated"
        return (f"{label(self.user_severity)} (your rating; the app said "
                f"{label(self.app_severity) if self.app_severity else 'nothing'})")

    def short_label(self) -> str:
        """For narrow places (a table cell): "High", or "High (yours)"."""
        if not self.severity:
            return "—"
        return label(self.severity) + (" (yours)" if self.severity_is_users else "")

    def app_reading(self) -> str:
        """The app's severity and why, in one line: "High — AI training … : “…” became “…”"."""
        why = self.reason
        head = label(self.app_severity) if self.app_severity else "Unrated"
        return f"{head} — {why}" if why else head

    def lines(self, topic: Any = None) -> list[str]:
        """Plain-text lines for a tooltip, a notification or the command line: the severity
        (whose), why, the topics, the note. `topic` names a category (default: its id)."""
        name = topic or (lambda c: c)
        out = [f"Severity: {self.severity_label()}"]
        why = self.reason
        if why:
            out.append(f"Why the app said {label(self.app_severity)}: {why}"
                       if self.severity_is_users else f"Why: {why}")
        if self.categories:
            topics = ", ".join(name(c) for c in self.categories)
            if self.categories_are_users:
                app = ", ".join(name(c) for c in self.app_categories) or "none"
                out.append(f"Topics: {topics} (yours; the app said {app})")
            else:
                out.append(f"Topics: {topics}")
        if self.note:
            out.append(f"Your note: {self.note}")
        return out


# --- validation ------------------------------------------------------------------------------


def parse_severity(value: str | None) -> str | None:
    """"high" / "High" → "high"; None or "" → None (no rating of the user's)."""
    if value is None or not value.strip():
        return None
    key = value.strip().lower()
    if key not in SEVERITIES:
        raise CorrectionError(f"unknown severity {value.strip()!r}: use high, medium or low")
    return key


def parse_categories(values: Iterable[str] | str) -> tuple[str, ...]:
    """Category ids from the analysis' vocabulary, in the given order without repeats
    ("a,b" or a list). At least one: a change with no topic at all is not a reading."""
    from watcher_app.analysis.rules import CATEGORIES  # (the analysis loads only when needed)

    items = values.split(",") if isinstance(values, str) else list(values)
    names = [v.strip().lower() for v in items if v and v.strip()]
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown:
        raise CorrectionError(f"unknown topic{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(repr(u) for u in unknown)}: use "
                              f"{', '.join(CATEGORIES)}")
    if not names:
        raise CorrectionError("give at least one topic (e.g. editorial for a wording change)")
    return tuple(dict.fromkeys(names))


def clean_note(value: str | None) -> str | None:
    """The note as stored: control characters dropped, trimmed, None when empty."""
    if value is None:
        return None
    text = strip_controls(value).strip()
    if len(text) > NOTE_LIMIT:
        raise CorrectionError(f"the note has {len(text):,} characters; keep it under "
                              f"{NOTE_LIMIT:,}")
    return text or None


# --- the commands ------------------------------------------------------------------------------


def correct_change(change_id: int, *, severity: str | None | _Keep = KEEP,
                   categories: Iterable[str] | str | None | _Keep = KEEP,
                   note: str | None | _Keep = KEEP,
                   db: peewee.Database | None = None) -> Judgement:
    """Store the user's reading of a change, in one transaction. A field left as KEEP stays as
    stored; None clears it (the app's stands). Raises CorrectionError (nothing stored) for an
    unknown change, severity or topic, or an overlong note."""
    new_severity = severity if isinstance(severity, _Keep) else parse_severity(severity)
    new_categories = (categories if isinstance(categories, _Keep) or categories is None
                      else parse_categories(categories))
    new_note = note if isinstance(note, _Keep) else clean_note(note)
    with (db or database_proxy).atomic():
        change = _get(change_id)
        current = Judgement.of(change)
        user_sev = current.user_severity if isinstance(new_severity, _Keep) else new_severity
        user_cats = (current.user_categories if isinstance(new_categories, _Keep)
                     else new_categories)
        user_note = current.note if isinstance(new_note, _Keep) else new_note
        if user_sev == current.app_severity:
            user_sev = None  # agreeing with the app is no correction
        if user_cats is not None and set(user_cats) == set(current.app_categories):
            user_cats = None
        corrected = user_sev is not None or user_cats is not None or bool(user_note)
        values = {"user_severity": user_sev,
                  "user_categories": list(user_cats) if user_cats is not None else None,
                  "user_note": user_note,
                  "corrected_at": utcnow() if corrected else None}
        Change.update(**values).where(Change.id == change.id).execute()
    return Judgement.of(_get(change_id))


def reset_correction(change_id: int, *, db: peewee.Database | None = None) -> Judgement:
    """Back to the app's reading: the user's severity, topics and note are removed."""
    with (db or database_proxy).atomic():
        change = _get(change_id)
        Change.update(user_severity=None, user_categories=None, user_note=None,
                      corrected_at=None).where(Change.id == change.id).execute()
    return Judgement.of(_get(change_id))


def _get(change_id: int) -> Change:
    change = Change.get_or_none(Change.id == change_id)
    if change is None:
        raise CorrectionError(f"no change {change_id} in this database")
    return change


def correction_json(change: Change) -> dict[str, Any]:
    """The user's fields as `history --json` and the exports give them."""
    return {"user_severity": change.user_severity,
            "user_categories": (list(change.user_categories)
                                if change.user_categories is not None else None),
            "user_note": change.user_note,
            "corrected_at": (change.corrected_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                             if change.corrected_at else None)}

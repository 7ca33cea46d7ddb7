"""The user's correction of a change (watcher_app.corrections): stored beside the app's reading
in one transaction, refused whole when invalid, shown as the user's."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest

from tests.support.judged import HOSTILE, WHY, add_flip
from tests.support.watch_db import add_document
from watcher_app import corrections
from watcher_app.corrections import CorrectionError, Judgement, brief_reason
from watcher_app.store.models import Change


@pytest.fixture
def flip(db: peewee.SqliteDatabase) -> Change:
    return add_flip(add_document("acme", "Privacy Policy", platform_name="Acme"))


def _row(change: Change) -> tuple:
    """Everything the app's analysis stored, to prove a correction leaves it alone."""
    fresh = Change.get_by_id(change.id)
    return fresh.severity, fresh.categories, fresh.summary, fresh.analysis, fresh.stats


def _statements(db: peewee.SqliteDatabase) -> list[str]:
    """Record every SQL statement the connection runs (sqlite3's own trace hook)."""
    seen: list[str] = []
    db.connection().set_trace_callback(seen.append)
    return seen


def test_correction_is_stored_beside_the_app_reading_in_one_transaction(
        db: peewee.SqliteDatabase, flip: Change) -> None:
    app = _row(flip)
    seen = _statements(db)
    judged = corrections.correct_change(flip.id, severity="Medium",
                                        categories="data-retention, ai-training,security",
                                        note="  Only EU users, per the blog post.\x1b[2J ")
    db.connection().set_trace_callback(None)
    writes = [s for s in seen if s.split()[0].upper() in ("UPDATE", "INSERT", "DELETE")]
    assert len(writes) == 1 and writes[0].upper().startswith('UPDATE "CHANGE"')
    begins = [s for s in seen if s.upper().startswith(("BEGIN", "SAVEPOINT"))]
    commits = [s for s in seen if s.upper().startswith(("COMMIT", "RELEASE"))]
    assert len(begins) == 1 and len(commits) == 1  # one transaction around read + write
    assert seen.index(begins[0]) < seen.index(writes[0]) < seen.index(commits[0])

    stored = Change.get_by_id(flip.id)
    assert (stored.user_severity, stored.user_categories) == (
        "medium", ["data-retention", "ai-training", "security"])
    assert stored.user_note == "Only EU users, per the blog post.[2J"  # controls dropped
    assert stored.corrected_at is not None
    assert _row(flip) == app  # the app's own reading is untouched
    assert judged.severity == "medium" and judged.app_severity == "high"
    assert judged.severity_label() == "Medium (your rating; the app said High)"
    assert judged.short_label() == "Medium (yours)"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"severity": "critical"}, "unknown severity 'critical'"),
    ({"categories": "ai-training,cookies"}, "unknown topic 'cookies'"),
    ({"categories": " , "}, "at least one topic"),
    ({"severity": "low", "note": "x" * (corrections.NOTE_LIMIT + 1)}, "keep it under"),
])
def test_invalid_input_is_refused_and_nothing_is_stored(
        db: peewee.SqliteDatabase, flip: Change, kwargs: dict, message: str) -> None:
    before = Change.select().where(Change.id == flip.id).dicts().get()
    seen = _statements(db)
    with pytest.raises(CorrectionError, match=message):
        corrections.correct_change(flip.id, **{"severity": "low", **kwargs})
    db.connection().set_trace_callback(None)
    assert not [s for s in seen if s.upper().startswith("UPDATE")]
    assert Change.select().where(Change.id == flip.id).dicts().get() == before


def test_an_unknown_change_is_refused(db: peewee.SqliteDatabase, flip: Change) -> None:
    with pytest.raises(CorrectionError, match="no change 999"):
        corrections.correct_change(999, severity="low")


def test_keep_clear_and_agreeing_with_the_app(db: peewee.SqliteDatabase, flip: Change) -> None:
    corrections.correct_change(flip.id, severity="low", note="first note")
    # a flag left out keeps what is stored
    judged = corrections.correct_change(flip.id, categories=["editorial"])
    assert (judged.user_severity, judged.user_categories, judged.note) == (
        "low", ("editorial",), "first note")
    # the app's own values are no correction: stored as "none"
    judged = corrections.correct_change(flip.id, severity="high",
                                        categories=list(reversed(flip.categories)))
    assert judged.user_severity is None and judged.user_categories is None
    assert judged.corrected and judged.note == "first note"  # the note still stands
    judged = corrections.correct_change(flip.id, note="")
    assert not judged.corrected and Change.get_by_id(flip.id).corrected_at is None


def test_reset_returns_to_the_app_reading(db: peewee.SqliteDatabase, flip: Change) -> None:
    app = _row(flip)
    corrections.correct_change(flip.id, severity="low", categories="editorial", note="n")
    judged = corrections.reset_correction(flip.id)
    stored = Change.get_by_id(flip.id)
    assert (stored.user_severity, stored.user_categories, stored.user_note,
            stored.corrected_at) == (None, None, None, None)
    assert _row(flip) == app
    assert judged.severity == "high" and judged.severity_label() == "High"


def test_judgement_lines_say_whose_reading_it_is(db: peewee.SqliteDatabase,
                                                 flip: Change) -> None:
    plain = Judgement.of(flip).lines()
    assert plain[0] == "Severity: High"
    assert plain[1].startswith(f"Why: {WHY}")
    assert plain[2] == "Topics: ai-training, data-retention"
    judged = corrections.correct_change(flip.id, severity="medium", categories="ai-training",
                                        note="Opt-out is one click.")
    lines = judged.lines()
    assert lines[0] == "Severity: Medium (your rating; the app said High)"
    assert lines[1].startswith(f"Why the app said High: {WHY}")
    assert lines[2] == "Topics: ai-training (yours; the app said ai-training, data-retention)"
    assert lines[3] == "Your note: Opt-out is one click."


def test_brief_reason_for_a_notification(db: peewee.SqliteDatabase, flip: Change) -> None:
    brief = brief_reason(flip.analysis)
    assert brief.startswith(WHY)
    assert len(brief) <= 200 and HOSTILE not in brief  # the long quote is cut short
    # no deciding finding: the reason itself, without its "Low: ", cut at a word
    long = {"severity": "low", "severity_reason": "Low: " + "word " * 100, "findings": []}
    cut = brief_reason(long, limit=60)
    assert cut.endswith("…") and len(cut) <= 60 and not cut.startswith("Low")
    assert brief_reason(None) == ""


def test_explain_reads_the_deciding_finding_never_the_reason_words() -> None:
    def analysis(severity: str, *findings: dict) -> dict:
        return {"severity": severity, "severity_reason": f"{severity.title()}: as the rule said",
                "findings": list(findings)}

    better = {"level": "medium", "effect": "better", "what": "adds a protection: encryption",
              "new": "we encrypt your messages"}
    assert corrections.explain(analysis("medium", better)) == (
        "Adds a protection: encryption (in users' favour): now says “we encrypt your messages”")
    gone = {"level": "high", "effect": "worse", "what": "removes a right: appeal",
            "old": "you can appeal"}
    assert corrections.explain(analysis("high", gone)) == (
        "Removes a right: appeal: no longer says “you can appeal”")
    # the first finding did not set the severity (a size rule did), or it is only low: the
    # reason itself, without its level
    assert corrections.explain(analysis("high", better)) == "as the rule said"
    assert corrections.explain(analysis("low", dict(better, level="low"))) == "as the rule said"
    assert corrections.explain({}) == "" and corrections.explain(None) == ""


def test_parse_helpers() -> None:
    assert corrections.parse_severity(" HIGH ") == "high"
    assert corrections.parse_severity("") is None
    assert corrections.parse_categories(["ai-training", "AI-Training", "minors"]) == (
        "ai-training", "minors")
    assert corrections.clean_note("   ") is None
    assert corrections.reason_text("Medium: substantive rewording") == "substantive rewording"
    assert Judgement("low", ()).corrected is False
    assert Judgement(None, (), corrected_at=dt.datetime(2025, 1, 1)).short_label() == "—"

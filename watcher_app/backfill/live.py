"""The app's own capture against Open Terms Archive's latest record of the same document.

After a backfill, the current version is the archive's latest record. The first live capture is
compared with it and the result is shown ("matches Open Terms Archive's record of 2026-08-20",
or "differs from it in 3 paragraphs", the diff a click away), but it never alerts: the archive
and the app read pages with different selectors and filters, so a difference between the two
is not news about the policy. The capture is recorded as the app's first own version (with its
snapshot as evidence), and from then on the app alerts on changes against its own captures.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from watcher_app.compare import compare
from watcher_app.outcomes import Code, Origin, Outcome, VersionKind
from watcher_app.store.models import Document, Version
from watcher_app.validate import Problem

if TYPE_CHECKING:
    from watcher_app.capture import Capture
    from watcher_app.check_result import CheckResult
    from watcher_app.recorder import Recorder


def paragraphs_differing(old: str, new: str) -> int:
    """How many paragraphs differ between two texts (added, removed, reworded or moved)."""
    from watcher_app.diff import diff_texts

    stats = diff_texts(old, new, budget_s=1.0).stats
    return stats.lines_added + stats.lines_removed + stats.lines_changed + stats.lines_moved


def comparison(archived: Version, lines: list[str]) -> tuple[str, str, int]:
    """(code, sentence, paragraphs differing) for a live text against an archived version."""
    when = f"{archived.first_seen:%Y-%m-%d}"
    verdict = compare(archived.text.split("\n"), lines)
    if verdict.kind == "same":
        return Code.ARCHIVE_MATCH, f"matches Open Terms Archive's record of {when}", 0
    if verdict.kind == "noise":
        return (Code.ARCHIVE_MATCH, f"matches Open Terms Archive's record of {when} apart from "
                f"noise ({'; '.join(sorted(set(verdict.noise)))})", 0)
    count = paragraphs_differing(archived.text, "\n".join(lines))
    plural = "paragraph" if count == 1 else "paragraphs"
    return (Code.ARCHIVE_DIFFERS, f"differs from Open Terms Archive's record of {when} in "
            f"{count} {plural}", count)


def first_live_capture(recorder: Recorder, doc: Document, cap: Capture, started: dt.datetime,
                       current: Version) -> CheckResult | None:
    """The monitor's step when the current version is an archived one that no capture of the
    app's own came after. None otherwise (the page flapped back to an archived text after the
    app's first capture): then the monitor goes on as usual, alerts included."""
    if Version.select().where((Version.document == doc) & (Version.origin == Origin.LIVE)
                              & (Version.first_seen >= current.first_seen)).exists():
        return None
    if compare(current.text.split("\n"), cap.lines).kind == "truncated":
        cap.problem = Problem(Outcome.BLOCKED, "the text stops early compared with Open Terms "
                              "Archive's latest record (a truncated capture?)", Code.TRUNCATED)
        return recorder.failure(doc, cap, started)
    code, sentence, count = comparison(current, cap.lines)
    cap.detail = {**cap.detail, "archive_version": current.id,
                  "archive_date": f"{current.first_seen:%Y-%m-%d}", "paragraphs": count}
    reason = f"first live capture: {sentence}" + (
        " (no alert: compare them in the timeline)" if count else "")
    return recorder.version(doc, cap, started, current, VersionKind.FIRST, code, reason)


def live_note(doc: Document) -> str | None:
    """After a backfill, how the app's newest own capture compares with the archive's latest
    record (None when the app has no capture of the document yet)."""
    live = (Version.select().where((Version.document == doc) & (Version.origin == Origin.LIVE))
            .order_by(Version.first_seen.desc(), Version.id.desc()).first())
    archived = (Version.select().where((Version.document == doc)
                                       & (Version.origin == Origin.OPEN_TERMS_ARCHIVE))
                .order_by(Version.first_seen.desc(), Version.id.desc()).first())
    if live is None or archived is None:
        return None
    return "the app's latest capture " + comparison(archived, live.text.split("\n"))[1]

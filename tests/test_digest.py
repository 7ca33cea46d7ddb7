"""watcher_app.digest: the weekly digest built from a real SQLite database."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import sys

import pytest

from watcher_app.digest import UPCOMING_DAYS, Digest, build_digest
from watcher_app.store.models import Change, Document, Platform, Version

NOW = dt.datetime(2025, 5, 19, 9, 0)  # naive UTC, as in the database


def _platform(pid: str, name: str, watched: bool = True) -> Platform:
    return Platform.create(id=pid, name=name, declaration={"name": name, "terms": {}},
                           watched=watched)


def _document(platform: Platform, doc_type: str, **fields: object) -> Document:
    return Document.create(platform=platform, type=doc_type,
                           sources=[{"url": f"https://{platform.id}.example/{doc_type}"}],
                           **fields)


def _change(doc: Document, *, days_ago: float, severity: str | None = "medium",
            summary: str = "1 paragraph changed.", categories: list[str] | None = None,
            effective: str | None = None) -> Change:
    texts = [f"v{n} of {doc.type} ({days_ago})" for n in (1, 2)]
    old, new = (Version.create(document=doc, text=t, sha256=t, key_sha256=t, extractor_version=1)
                for t in texts)
    return Change.create(document=doc, from_version=old, to_version=new,
                         detected_at=NOW - dt.timedelta(days=days_ago), severity=severity,
                         categories=categories or [], summary=summary, effective_date=effective)


@pytest.fixture
def two_platforms(db):  # noqa: ANN001, ANN201 - the conftest fixture
    acme, beta = _platform("acme", "Acme"), _platform("beta", "Beta Social")
    return {
        "acme-pp": _document(acme, "Privacy Policy"),
        "acme-tos": _document(acme, "Terms of Service"),
        "beta-tos": _document(beta, "Terms of Service"),
    }


def test_an_empty_week(db) -> None:  # noqa: ANN001
    digest = build_digest(NOW)
    assert isinstance(digest, Digest)
    assert digest.changes == [] and digest.upcoming == [] and digest.failing == []
    assert digest.counts == {"high": 0, "medium": 0, "low": 0}
    assert digest.period_end == NOW and digest.period_start == NOW - dt.timedelta(days=7)
    assert digest.title() == "No policy changes this week"
    assert "No watched document changed" in digest.text()
    page = digest.html()
    assert page.startswith("<!doctype html>") and "No policy changes this week" in page


def test_changes_of_the_period_most_severe_first(two_platforms) -> None:  # noqa: ANN001
    docs = two_platforms
    low = _change(docs["acme-tos"], days_ago=1, severity="low", summary="Date updated.")
    high = _change(docs["beta-tos"], days_ago=2, severity="high", summary="Adds arbitration.",
                   categories=["dispute-resolution"])
    medium = _change(docs["acme-pp"], days_ago=3, severity="medium", summary="Keeps logs longer.",
                     categories=["data-retention"])
    newer_medium = _change(docs["acme-pp"], days_ago=0.5, severity="medium")
    _change(docs["acme-tos"], days_ago=8, severity="high")  # before the period
    _change(docs["acme-tos"], days_ago=-1, severity="high")  # after `now`
    digest = build_digest(NOW)
    assert [i.change_id for i in digest.changes] == [high.id, newer_medium.id, medium.id, low.id]
    assert digest.counts == {"high": 1, "medium": 2, "low": 1}
    assert digest.title() == "4 policy changes this week (1 high)"
    first = digest.changes[0]
    assert (first.platform, first.document, first.severity) == ("Beta Social",
                                                                "Terms of Service", "high")
    assert first.categories == ("dispute-resolution",) and first.summary == "Adds arbitration."
    assert first.detected_at == NOW - dt.timedelta(days=2)


def test_text_is_grouped_by_platform_high_first(two_platforms) -> None:  # noqa: ANN001
    docs = two_platforms
    _change(docs["acme-tos"], days_ago=1, severity="low", summary="Date updated.")
    _change(docs["acme-pp"], days_ago=2, severity="medium", summary="Keeps logs longer.",
            categories=["data-retention"], effective="2025-06-30")
    _change(docs["beta-tos"], days_ago=3, severity="high", summary="Adds arbitration.")
    text = build_digest(NOW).text()
    assert text.splitlines()[0] == "3 policy changes this week (1 high)"
    # Beta (a high change) comes before Acme; within Acme the medium change comes first
    assert text.index("Beta Social") < text.index("Acme")
    acme = text[text.index("\nAcme"):]
    assert acme.index("[MEDIUM] Privacy Policy") < acme.index("[LOW] Terms of Service")
    assert "Topics: data-retention · Effective 2025-06-30" in text
    assert "By severity: 1 high, 1 medium, 1 low." in text


def test_one_change_and_other_periods(two_platforms) -> None:  # noqa: ANN001
    _change(two_platforms["acme-pp"], days_ago=0.2, severity="low")
    assert build_digest(NOW).title() == "1 policy change this week"
    assert build_digest(NOW, days=1).title() == "1 policy change in the last day"
    assert build_digest(NOW, days=30).title() == "1 policy change in the last 30 days"
    with pytest.raises(ValueError):
        build_digest(NOW, days=0)


def test_upcoming_effective_dates(two_platforms) -> None:  # noqa: ANN001
    docs = two_platforms
    soon = _change(docs["acme-pp"], days_ago=20, effective="2025-05-25")  # detected long ago
    today = _change(docs["beta-tos"], days_ago=1, severity="high", effective="2025-05-19")
    edge = _change(docs["acme-tos"], days_ago=2, effective="2025-06-02")  # today + 14
    _change(docs["acme-tos"], days_ago=2, effective="2025-06-03")  # beyond the horizon
    _change(docs["acme-tos"], days_ago=2, effective="2025-05-18")  # already in effect
    _change(docs["acme-tos"], days_ago=2, effective="not a date")
    digest = build_digest(NOW)
    assert UPCOMING_DAYS == 14
    assert [i.change_id for i in digest.upcoming] == [today.id, soon.id, edge.id]
    assert [i.effective_date for i in digest.upcoming] == ["2025-05-19", "2025-05-25",
                                                           "2025-06-02"]
    text = digest.text()
    assert "Taking effect in the next 14 days" in text
    assert "  2025-05-25  Acme — Privacy Policy [medium]" in text
    assert "Taking effect in the next 14 days" in digest.html()


def test_failing_documents_and_unwatched_platforms(db) -> None:  # noqa: ANN001
    acme, gone = _platform("acme", "Acme"), _platform("gone", "Gone", watched=False)
    blocked = _document(acme, "Privacy Policy", last_outcome="blocked",
                        last_reason="a bot challenge page")
    _document(acme, "Terms of Service", last_outcome="error", last_reason="")
    _document(acme, "Cookie Policy", last_outcome="verified")
    _document(acme, "Community Guidelines", last_outcome="error", last_reason="x", active=False)
    hidden = _document(gone, "Terms of Service", last_outcome="blocked", last_reason="y")
    _change(hidden, days_ago=1, severity="high", effective="2025-05-20")
    _change(blocked, days_ago=1, severity="low")
    digest = build_digest(NOW)
    assert digest.failing == [("Acme", "Privacy Policy", "a bot challenge page"),
                              ("Acme", "Terms of Service", "error")]
    assert [i.platform for i in digest.changes] == ["Acme"]  # not the unwatched platform
    assert digest.upcoming == []
    assert "Acme — Privacy Policy: a bot challenge page" in digest.text()
    assert "Could not be verified" in digest.html()


def test_html_escapes_and_is_self_contained(two_platforms) -> None:  # noqa: ANN001
    docs = two_platforms
    platform = docs["acme-pp"].platform
    platform.name = "Acme <b>&</b> Co"
    platform.save()
    _change(docs["acme-pp"], days_ago=1, severity="high",
            summary="adds: “<script>alert('x')</script>” & more", categories=["ai-training"],
            effective="2025-05-20")
    Document.update(last_outcome="blocked", last_reason="<img src=x onerror=y>").where(
        Document.id == docs["beta-tos"].id).execute()
    page = build_digest(NOW).html()
    assert "<script>" not in page and "<img" not in page and "<b>&</b>" not in page
    assert html.escape("<script>alert('x')</script>") in page
    assert html.escape("Acme <b>&</b> Co") in page
    assert html.escape("<img src=x onerror=y>") in page
    # self-contained and readable in dark mode: no remote resources, scripts or links
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?:", page)
    assert "prefers-color-scheme:dark" in page and "color-scheme" in page
    # the plain text keeps the words as they are
    assert "<script>alert('x')</script>" in build_digest(NOW).text()


def test_aware_now_is_converted_to_utc(two_platforms) -> None:  # noqa: ANN001
    _change(two_platforms["acme-pp"], days_ago=6.9)
    aware = (NOW + dt.timedelta(hours=2)).replace(tzinfo=dt.timezone(dt.timedelta(hours=2)))
    digest = build_digest(aware)
    assert digest.period_end == NOW and len(digest.changes) == 1


def test_unrated_changes_are_counted_last(two_platforms) -> None:  # noqa: ANN001
    _change(two_platforms["acme-pp"], days_ago=1, severity=None, summary="(analysis failed)")
    _change(two_platforms["beta-tos"], days_ago=2, severity="low")
    digest = build_digest(NOW)
    assert [i.severity for i in digest.changes] == ["low", "unrated"]
    assert digest.counts == {"high": 0, "medium": 0, "low": 1, "unrated": 1}
    assert "[UNRATED] Privacy Policy" in digest.text()


def test_the_digest_never_imports_qt() -> None:
    code = ("import sys, watcher_app.digest; "
            "sys.exit(any(m.split('.')[0] == 'PySide6' for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _checked(doc: Document, when: dt.datetime, outcome: str = "verified") -> None:
    from watcher_app.store.models import Check

    Check.create(document=doc, started_at=when, outcome=outcome,
                 code="connect-failed" if outcome == "error" else "same-text")


def test_weekly_digest_notification_once_a_week(db) -> None:  # noqa: ANN001
    from watcher_app.notify import AlertCenter, CallbackNotifier
    from watcher_app.store.models import Alert, utcnow

    shown: list[tuple[str, str]] = []
    center = AlertCenter(db, [CallbackNotifier(lambda t, b, u: shown.append((t, b)) or True)])
    doc = _document(_platform("acme", "Acme"), "Privacy Policy")
    now = utcnow()  # alerts are stamped with the real clock
    _checked(doc, now - dt.timedelta(days=8, hours=1), "first")
    _checked(doc, now - dt.timedelta(hours=1))
    first = center.alert_digest_if_due(now)
    assert first is not None and first.kind == "digest" and shown
    assert shown[0][0] == "No policy changes this week"
    assert shown[0][1] == "Every watched document was verified unchanged."
    _checked(doc, now + dt.timedelta(days=7))
    assert center.alert_digest_if_due(now + dt.timedelta(days=3)) is None
    assert center.alert_digest_if_due(now + dt.timedelta(days=7, minutes=1)) is not None
    assert Alert.select().where(Alert.kind == "digest").count() == 2


def test_no_digest_at_the_first_capture(db) -> None:  # noqa: ANN001
    """Issue 10: the digest fired at the first capture ("No policy changes this week" minutes
    after picking platforms). The first comes a week after the first check."""
    from watcher_app.notify import AlertCenter, CallbackNotifier
    from watcher_app.store.models import Alert, utcnow

    shown: list[str] = []
    center = AlertCenter(db, [CallbackNotifier(lambda t, b, u: shown.append(t) or True)])
    doc = _document(_platform("acme", "Acme"), "Privacy Policy")
    now = utcnow()
    assert center.alert_digest_if_due(now) is None  # nothing checked at all
    _checked(doc, now - dt.timedelta(minutes=2), "first")
    assert center.alert_digest_if_due(now) is None  # the first capture
    assert center.alert_digest_if_due(now + dt.timedelta(days=6)) is None
    _checked(doc, now + dt.timedelta(days=7))
    assert center.alert_digest_if_due(now + dt.timedelta(days=7, minutes=1)) is not None
    assert shown == ["No policy changes this week"]
    assert Alert.select().where(Alert.kind == "digest").count() == 1


def test_no_digest_claims_no_changes_when_nothing_was_checked(db) -> None:  # noqa: ANN001
    """Offline all week: every check failed, so "No policy changes this week" would be a
    guess; no digest until a check succeeds again."""
    from watcher_app.notify import AlertCenter, CallbackNotifier
    from watcher_app.store.models import utcnow

    shown: list[str] = []
    center = AlertCenter(db, [CallbackNotifier(lambda t, b, u: shown.append(t) or True)])
    doc = _document(_platform("acme", "Acme"), "Privacy Policy")
    now = utcnow()
    _checked(doc, now - dt.timedelta(days=20), "first")
    for day in range(1, 7):
        _checked(doc, now - dt.timedelta(days=day), "error")
    assert center.alert_digest_if_due(now) is None and shown == []
    _checked(doc, now)
    assert center.alert_digest_if_due(now + dt.timedelta(minutes=1)) is not None

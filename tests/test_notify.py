"""The alert pipeline: a fake notification service on a private session bus, the fallbacks
to tray and banner, and the notification log (`Alert` rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee
import pytest

from tests.paths import PAGES
from tests.support.dbus_session import private_session_bus
from tests.support.fake_notifications import FakeNotificationServer
from tests.support.setup import add_custom_doc, make_fetcher
from tests.support.watch_db import add_document, fresh_database
from watcher_app.monitor import CheckResult
from watcher_app.notify import (
    AlertCenter,
    BannerNotifier,
    DBusNotifier,
    Notifier,
    PlyerNotifier,
    TrayNotifier,
)
from watcher_app.settings import Settings, save_settings
from watcher_app.store.models import Alert, Change, Check, Document, Version, utcnow

NOON = dt.datetime(2025, 3, 1, 12, 0)


@pytest.fixture(scope="module")
def bus() -> Iterator[str]:
    with private_session_bus() as address:
        yield address


@pytest.fixture
def db(tmp_path: Path) -> Iterator[peewee.SqliteDatabase]:
    database = fresh_database(tmp_path)
    yield database
    database.close()


class Recorder:
    """A UI callback (tray message or banner) that records what it was asked to show."""

    def __init__(self, answer: bool | None = None) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answer = answer

    def __call__(self, title: str, body: str, urgency: str) -> bool | None:
        self.shown.append((title, body, urgency))
        return self.answer


def make_change(doc: Document, *, severity: str | None = "high",
                summary: str | None = "Inputs may now be used to train models.\nMore text.",
                stats: dict[str, Any] | None = None, effective_date: str | None = None,
                detected_at: dt.datetime | None = None) -> Change:
    old = Version.create(document=doc, text="old", sha256="a", key_sha256="a",
                         extractor_version=1, kind="first")
    new = Version.create(document=doc, text="new", sha256="b", key_sha256="b",
                         extractor_version=1, current=True)
    return Change.create(document=doc, from_version=old, to_version=new, severity=severity,
                         summary=summary, stats=stats or {"lines_added": 4, "lines_removed": 1},
                         effective_date=effective_date, detected_at=detected_at or utcnow())


def center(bus: str, tray: Recorder | None = None, banner: Recorder | None = None,
           now: dt.datetime = NOON) -> AlertCenter:
    dbus = DBusNotifier(bus)
    notifiers: list[Notifier] = [dbus, PlyerNotifier(dbus), TrayNotifier(tray),
                                 BannerNotifier(banner)]
    return AlertCenter(Change._meta.database, notifiers, now=lambda: now)


# --- the D-Bus notifier on its own ---------------------------------------------------------

def test_dbus_notifier_sends_summary_body_and_urgency(bus: str) -> None:
    notifier = DBusNotifier(bus)
    with FakeNotificationServer(bus) as server:
        assert notifier.available()
        assert notifier.send("Title", "Body", urgency="critical") is True
        [shown] = server.wait_for(1)
    assert (shown.app_name, shown.summary, shown.body, shown.urgency) == (
        "Governance Watcher", "Title", "Body", 2)


def test_dbus_notifier_escapes_markup_only_when_the_server_reads_it(bus: str) -> None:
    with FakeNotificationServer(bus, capabilities=("body", "body-markup")) as server:
        assert DBusNotifier(bus).send("T", "a <b> & c", urgency="low")
        [shown] = server.wait_for(1)
    assert shown.body == "a &lt;b&gt; &amp; c" and shown.urgency == 0


def test_dbus_notifier_without_a_service_or_a_bus(bus: str) -> None:
    notifier = DBusNotifier(bus)
    assert not notifier.available()
    assert notifier.problem == "no notification service on the session bus"
    assert not notifier.send("T", "B", urgency="normal")
    assert not DBusNotifier("unix:path=/nonexistent/bus").available()


@pytest.mark.parametrize("mode", ["error", "zero"])
def test_dbus_notifier_is_false_unless_an_id_comes_back(bus: str, mode: str) -> None:
    notifier = DBusNotifier(bus)
    with FakeNotificationServer(bus, mode=mode) as server:
        assert notifier.available()
        assert notifier.send("T", "B", urgency="normal") is False
        server.wait_for(1)
    assert notifier.problem


@pytest.mark.filterwarnings("ignore:The Python dbus package")  # plyer's own Linux backend
def test_plyer_is_unavailable_on_linux_without_the_dbus_service(
        bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not PlyerNotifier(DBusNotifier(bus), platform="linux").available()
    assert not PlyerNotifier(None, platform="linux").available()
    sent: list[dict] = []
    from plyer import notification

    monkeypatch.setattr(notification, "notify", lambda **kw: sent.append(kw))
    windows = PlyerNotifier(platform="win")
    assert windows.available() and windows.send("T" * 100, "B", urgency="normal")
    assert len(sent[0]["title"]) < 64


# --- the alert center ----------------------------------------------------------------------

def test_change_alert_reaches_the_native_service(bus: str, db: peewee.Database) -> None:
    change = make_change(add_document("anthropic", platform_name="Anthropic"))
    tray = Recorder()
    with FakeNotificationServer(bus) as server:
        alert = center(bus, tray).alert_change(change)
        [shown] = server.wait_for(1)
    assert shown.summary == "Anthropic — Usage Policy changed (High)"
    assert shown.body == "Inputs may now be used to train models."
    assert shown.urgency == 2
    assert (alert.kind, alert.channel, alert.delivered) == ("change", "native", True)
    assert alert.title == shown.summary and alert.change_id == change.id
    assert tray.shown == []
    assert Change.get_by_id(change.id).notified


def test_no_service_falls_back_to_the_tray(bus: str, db: peewee.Database) -> None:
    change = make_change(add_document(platform_name="Anthropic"), summary=None,
                         severity=None)
    tray = Recorder()
    alert = center(bus, tray, Recorder()).alert_change(change)
    assert tray.shown == [("Anthropic — Usage Policy changed",
                           "4 lines added, 1 removed.", "normal")]
    assert (alert.channel, alert.delivered) == ("tray", True)
    assert alert.detail == "no notification service on the session bus; fell back to tray"


def test_then_to_the_banner_and_finally_to_nothing(bus: str, db: peewee.Database) -> None:
    doc = add_document()
    banner = Recorder()
    # no tray in this session (e.g. a desktop without a system tray)
    alert = center(bus, None, banner).alert_change(make_change(doc))
    assert (alert.channel, alert.delivered) == ("banner", True) and len(banner.shown) == 1
    assert "fell back to banner" in alert.detail

    # a tray that could not show it, then a banner that could not either
    change = make_change(doc)
    alert = center(bus, Recorder(answer=False), Recorder(answer=False)).alert_change(change)
    assert (alert.channel, alert.delivered) == ("none", False)
    assert "no channel could show it" in alert.detail
    assert not Change.get_by_id(change.id).notified  # still pending
    assert Alert.select().count() == 2  # both logged


def test_threshold(bus: str, db: peewee.Database) -> None:
    doc = add_document()
    banner = Recorder()
    save_settings(Settings(notify_threshold="medium"))
    low = center(bus, None, banner).alert_change(make_change(doc, severity="low"))
    assert (low.channel, low.delivered) == ("none", False) and banner.shown == []
    assert "below the notification level" in low.detail
    unknown = center(bus, None, banner).alert_change(make_change(doc, severity=None))
    assert unknown.delivered  # no severity counts as medium

    save_settings(Settings(notify_threshold="high"))
    medium = center(bus, None, banner).alert_change(make_change(doc, severity="medium"))
    high = center(bus, None, banner).alert_change(make_change(doc, severity="high"))
    assert (medium.delivered, high.delivered) == (False, True)
    assert Change.select().where(Change.notified == True).count() == 4  # noqa: E712


def test_quiet_hours_show_only_the_banner(bus: str, db: peewee.Database) -> None:
    save_settings(Settings(quiet_hours=(22, 7)))
    tray, banner = Recorder(), Recorder()
    with FakeNotificationServer(bus) as server:
        late = dt.datetime(2025, 3, 1, 23, 15)
        alert = center(bus, tray, banner, now=late).alert_change(make_change(add_document()))
        assert server.received == []
    assert tray.shown == [] and len(banner.shown) == 1
    assert alert.channel == "banner"
    assert alert.detail.startswith("quiet hours (22:00–7:00): no popup")


def test_native_notifications_turned_off(bus: str, db: peewee.Database) -> None:
    save_settings(Settings(notify_native=False))
    tray = Recorder()
    with FakeNotificationServer(bus) as server:
        alert = center(bus, tray).alert_change(make_change(add_document()))
        assert server.received == []
    assert alert.channel == "tray" and len(tray.shown) == 1


def test_a_change_is_alerted_once(bus: str, db: peewee.Database) -> None:
    change = make_change(add_document())
    tray = Recorder()
    first = center(bus, tray).alert_change(change)
    again = center(bus, tray).alert_change(change)
    assert again.id == first.id and len(tray.shown) == 1


def test_failure_alert_once_per_streak(bus: str, db: peewee.Database) -> None:
    doc = add_document(platform_name="Anthropic")
    tray = Recorder()
    alerts = center(bus, tray)

    def fail(times: int) -> Document:
        for _ in range(times):
            Check.create(document=doc, outcome="blocked", reason="HTTP 403")
        Document.update(consecutive_failures=Document.consecutive_failures + times).where(
            Document.id == doc.id).execute()
        return Document.get_by_id(doc.id)

    Check.create(document=doc, outcome="verified", reason="verified")
    assert alerts.alert_failure(fail(2), "HTTP 403") is None  # below failure_alert_after
    alert = alerts.alert_failure(fail(1), "HTTP 403")
    assert alert is not None and alert.kind == "failure" and alert.channel == "tray"
    assert alert.title == "Anthropic — Usage Policy: 3 checks failed in a row"
    assert alerts.alert_failure(fail(1), "HTTP 403") is None  # same streak
    # recovery: a successful check, then a new streak alerts again
    Check.create(document=doc, outcome="verified", reason="verified", started_at=utcnow())
    Document.update(consecutive_failures=0).where(Document.id == doc.id).execute()
    assert alerts.alert_failure(fail(3), "timeout") is not None
    assert len(tray.shown) == 2


def test_stale_document_alert(bus: str, db: peewee.Database) -> None:
    doc = add_document()
    Check.create(document=doc, outcome="verified", started_at=utcnow() - dt.timedelta(days=4))
    alert = center(bus, Recorder()).alert_failure(doc, "the page could not be verified")
    assert alert is not None and "not verified for 3 days" in alert.title
    fresh = add_document("openai")
    Check.create(document=fresh, outcome="verified")
    assert center(bus, Recorder()).alert_failure(fresh, "whatever") is None
    # the periodic sweep finds the stale one only, and only once
    Alert.delete().execute()
    assert [a.document_id for a in center(bus, Recorder()).alert_stale_documents()] == [doc.id]
    assert center(bus, Recorder()).alert_stale_documents() == []


def test_reminder_once_per_change(bus: str, db: peewee.Database) -> None:
    doc = add_document(platform_name="Anthropic")
    detected = dt.datetime(2025, 2, 1, 9, 0)
    change = make_change(doc, effective_date="2025-03-01", detected_at=detected)
    # a date before the detection is a "last updated" date: nothing to remind
    past = make_change(doc, effective_date="2020-01-01", detected_at=detected)
    later = make_change(doc, effective_date="2025-04-01", detected_at=detected)
    alerts = center(bus, Recorder())
    assert [c.id for c in alerts.due_reminders(dt.date(2025, 2, 28))] == []
    assert [c.id for c in alerts.due_reminders(dt.date(2025, 3, 1))] == [change.id]
    first = alerts.alert_reminder(change)
    assert first.kind == "reminder" and "takes effect" in first.title
    assert first.body.startswith("Effective 2025-03-01.")
    assert alerts.alert_reminder(change).id == first.id
    assert alerts.due_reminders(dt.date(2025, 3, 1)) == []
    assert [c.id for c in alerts.due_reminders(dt.date(2025, 5, 1))] == [later.id]
    assert past.id not in [c.id for c in alerts.due_reminders(dt.date(2030, 1, 1))]


def test_handle_result_wires_scheduler_results(bus: str, db: peewee.Database) -> None:
    doc = add_document()
    change = make_change(doc)
    tray = Recorder()
    alerts = center(bus, tray)
    changed = CheckResult("anthropic", "Usage Policy", "changed", change=change.id)
    assert [a.kind for a in alerts.handle_result(doc.id, changed)] == ["change"]
    Document.update(consecutive_failures=3).where(Document.id == doc.id).execute()
    error = CheckResult("anthropic", "Usage Policy", "error", reason="check hung for 300 s")
    [failure] = alerts.handle_result(doc.id, error)
    assert failure.kind == "failure" and "check hung for 300 s" in failure.body


def test_end_to_end_a_real_check_raises_one_alert(bus: str, db: peewee.Database) -> None:
    """The real Monitor on a loopback server, run by the scheduler, wired to the alert center
    the way the UI wires them: a first version is silent, a confirmed change alerts once."""
    from tests.loopback import LoopbackServer
    from watcher_app.monitor import Monitor
    from watcher_app.scheduler import CheckScheduler

    pages = PAGES
    tray = Recorder()
    alerts = center(bus, tray)
    with LoopbackServer() as server:
        server.route("/privacy", (pages / "base.html").read_bytes())
        doc = add_custom_doc(db, server.url("/privacy"))
        scheduler = CheckScheduler(
            db, lambda: Monitor(db, make_fetcher(), confirm_delay_s=0), startup_delay_s=0,
            watchdog_s=30)
        scheduler.on_check_finished = alerts.handle_result
        try:
            scheduler.start()  # never checked: due now
            assert scheduler.wait_idle(20)
            assert Document.get_by_id(doc.id).last_outcome == "first" and tray.shown == []
            server.route("/privacy", (pages / "changed.html").read_bytes())
            scheduler.check_now([doc.id])
            assert scheduler.wait_idle(20)
        finally:
            scheduler.shutdown(wait=True)
    [(title, body, _)] = tray.shown
    assert title.startswith("Acme Cloud — Privacy Policy changed")
    assert body
    [alert] = Alert.select()
    assert (alert.channel, alert.kind) == ("tray", "change")
    assert Change.get().notified


def test_change_alert_body_says_why(bus: str, db: peewee.Database) -> None:
    """The notification carries the deciding clause, shortened, and where it is; a policy's
    markup stays text (escaped for a server that reads markup)."""
    from tests.support.judged import add_flip

    change = add_flip(add_document("acme", "Privacy Policy", platform_name="Acme"))
    Change.update(notified=False).where(Change.id == change.id).execute()
    with FakeNotificationServer(bus) as server:
        center(bus).alert_change(change)
        [shown] = server.wait_for(1)
    assert shown.summary == "Acme — Privacy Policy changed (High)"
    why, where = shown.body.split("\n")
    assert why.startswith("AI training on users' data is now on by default (users must opt "
                          "out): “is not used to train” became “may be used to train our")
    assert len(why) <= 200 and where == "Under “Privacy Policy › AI features”"
    assert Alert.get().body == shown.body

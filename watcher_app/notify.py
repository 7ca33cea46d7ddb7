"""Alerts: a chain of notification channels that ends in one that always works, and a log.

Desktop notifications fail silently in many setups (no notification daemon in a minimal
session, a Flatpak sandbox, a Windows focus assistant), so every channel says whether it really
showed something and the alert center falls through them in order: the native service, the
tray balloon, the in-app banner. Every alert, delivered or not, is stored as an `Alert` row
naming the channel used and why the ones before it were skipped, so "I never got an alert" can
be answered from the notification log. No Qt here: tray and banner are callables the UI
registers (they may be called from the checks' worker thread; the UI re-emits them as signals).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable
from typing import Any, Protocol

import peewee

from watcher_app import APP_ID, APP_NAME
from watcher_app.check_result import CheckResult
from watcher_app.corrections import brief_reason
from watcher_app.outcomes import Origin, Outcome
from watcher_app.settings import load_settings
from watcher_app.store.models import Alert, Change, Check, Document, Platform, Version, utcnow
from watcher_app.watchlist import active_documents

log = logging.getLogger(__name__)

# jeepney (D-Bus) exists on Linux only, and only as keyring's dependency there: it is imported
# by the D-Bus notifier when it runs, never with this module (Windows and macOS have none).
NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
URGENCY_LEVELS = {"low": 0, "normal": 1, "critical": 2}  # the spec's byte values
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}
THRESHOLD_RANK = {"all": 0, "medium": 1, "high": 2}
# a check that read the page: it ends a run of failures (and a failure alert)
SUCCESS_OUTCOMES = tuple(str(o) for o in Outcome if not o.failed and o is not Outcome.SKIPPED)


class Notifier(Protocol):
    name: str  # the channel recorded in Alert.channel: native | tray | banner

    def available(self) -> bool: ...

    def send(self, title: str, body: str, *, urgency: str) -> bool: ...


class DBusNotifier:
    """org.freedesktop.Notifications on the session bus, spoken directly with jeepney: unlike
    plyer, a True from `send` means the server returned a notification id."""

    name = "native"
    label = "the desktop notification service"

    def __init__(self, bus: str = "SESSION", *, timeout_s: float = 3.0,
                 expire_ms: int = -1) -> None:
        self.bus = bus  # "SESSION" or a bus address (tests use a private bus)
        self.timeout_s = timeout_s
        self.expire_ms = expire_ms  # -1: the server's default
        self.problem = ""  # why the last probe or send failed, for the alert log

    def available(self) -> bool:
        try:
            from jeepney import DBusAddress, MessageType, new_method_call
            from jeepney.bus_messages import message_bus
            from jeepney.io.blocking import open_dbus_connection

            notifications = DBusAddress(NOTIFICATIONS_PATH, bus_name=NOTIFICATIONS_NAME,
                                        interface=NOTIFICATIONS_NAME)
            with open_dbus_connection(self.bus) as conn:
                owned = conn.send_and_get_reply(message_bus.NameHasOwner(NOTIFICATIONS_NAME),
                                                timeout=self.timeout_s).body[0]
                if not owned:
                    # a daemon started on demand (D-Bus activation) has no owner until called
                    names = conn.send_and_get_reply(message_bus.ListActivatableNames(),
                                                    timeout=self.timeout_s).body[0]
                    if NOTIFICATIONS_NAME not in names:
                        self.problem = "no notification service on the session bus"
                        return False
                reply = conn.send_and_get_reply(
                    new_method_call(notifications, "GetServerInformation"), timeout=self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - no bus, no address, timeout: all "unavailable"
            self.problem = f"no session bus ({type(exc).__name__}: {exc})"
            return False
        if reply.header.message_type != MessageType.method_return:
            self.problem = "the notification service did not answer"
            return False
        self.problem = ""
        return True

    def send(self, title: str, body: str, *, urgency: str) -> bool:
        hints = {"urgency": ("y", URGENCY_LEVELS.get(urgency, 1)),
                 "desktop-entry": ("s", APP_ID)}
        try:
            from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
            from jeepney.io.blocking import open_dbus_connection

            notifications = DBusAddress(NOTIFICATIONS_PATH, bus_name=NOTIFICATIONS_NAME,
                                        interface=NOTIFICATIONS_NAME)
            with open_dbus_connection(self.bus) as conn:
                caps = conn.send_and_get_reply(
                    new_method_call(notifications, "GetCapabilities"), timeout=self.timeout_s)
                if caps.header.message_type == MessageType.method_return and \
                        "body-markup" in caps.body[0]:
                    body = html.escape(body, quote=False)  # "<" in a policy text is not markup
                reply = conn.send_and_get_reply(new_method_call(
                    notifications, "Notify", "susssasa{sv}i",
                    (APP_NAME, 0, APP_ID, title, body, [], hints, self.expire_ms)),
                    timeout=self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - any failure means "not shown"
            self.problem = f"the notification service failed ({type(exc).__name__}: {exc})"
            return False
        if reply.header.message_type != MessageType.method_return:
            why = reply.body[0] if reply.body else reply.header.fields.get(
                HeaderFields.error_name, "an error")
            self.problem = f"the notification service refused: {why}"
            return False
        ok = isinstance(reply.body[0], int) and reply.body[0] > 0
        self.problem = "" if ok else "the notification service returned no id"
        return ok


class PlyerNotifier:
    """plyer's notification facade, for Windows and macOS. On Linux plyer returns normally even
    when nothing is shown, so it only counts as available when the D-Bus service is there."""

    name = "native"
    label = "the system notifications (plyer)"

    def __init__(self, linux_probe: DBusNotifier | None = None, *,
                 platform: str | None = None) -> None:
        self.linux_probe = linux_probe
        self._platform = platform
        self.problem = ""

    @property
    def platform(self) -> str:
        if self._platform is None:
            from plyer.utils import platform as plyer_platform

            self._platform = str(plyer_platform)
        return self._platform

    def available(self) -> bool:
        if self.platform == "linux":
            ok = self.linux_probe is not None and self.linux_probe.available()
            self.problem = "" if ok else "no notification service on the session bus"
            return ok
        ok = self.platform in ("win", "macosx")
        self.problem = "" if ok else f"plyer has no notifications on {self.platform}"
        return ok

    def send(self, title: str, body: str, *, urgency: str) -> bool:
        try:
            from plyer import notification

            # Windows balloon tips hold 64 / 256 characters; longer text makes the call fail.
            notification.notify(title=title[:63], message=body[:255], app_name=APP_NAME,
                                timeout=10)
        except Exception as exc:  # noqa: BLE001 - plyer raises anything from its backends
            self.problem = f"plyer failed ({type(exc).__name__}: {exc})"
            return False
        self.problem = ""
        return True


class CallbackNotifier:
    """A channel the UI provides (tray balloon, in-app banner). The callable gets
    (title, body, urgency); returning False means it could not show the message."""

    name = "callback"
    label = "the app"

    def __init__(self, callback: Callable[[str, str, str], bool | None] | None = None) -> None:
        self.callback = callback
        self.problem = ""

    def register(self, callback: Callable[[str, str, str], bool | None] | None) -> None:
        self.callback = callback

    def available(self) -> bool:
        self.problem = "" if self.callback is not None else f"no {self.name} in this session"
        return self.callback is not None

    def send(self, title: str, body: str, *, urgency: str) -> bool:
        if self.callback is None:
            return False
        try:
            ok = self.callback(title, body, urgency) is not False
        except Exception as exc:  # noqa: BLE001 - a UI bug must not lose the alert
            log.exception("the %s callback failed", self.name)
            self.problem = f"the {self.name} failed ({type(exc).__name__})"
            return False
        self.problem = "" if ok else f"the {self.name} could not show it"
        return ok


class TrayNotifier(CallbackNotifier):
    name = "tray"
    label = "the tray icon"


class BannerNotifier(CallbackNotifier):
    name = "banner"
    label = "the in-app banner"


POPUP_CHANNELS = ("native", "tray")  # silenced in quiet hours; the banner is not a popup


class AlertCenter:
    """Builds alert texts, applies the user's threshold and quiet hours, delivers through the
    first channel that works and logs every alert as an `Alert` row."""

    def __init__(self, db: peewee.Database, notifiers: list[Notifier], *,
                 now: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.db = db
        self.notifiers = list(notifiers)
        self.now = now  # local time, for quiet hours

    # --- the three kinds of alert ---------------------------------------------------------

    def alert_change(self, change: Change) -> Alert:
        """Alert one detected change (once: a second call returns the first Alert)."""
        change = Change.get_by_id(change.id)  # fresh: `notified` may have been set meanwhile
        if change.notified:
            earlier: Alert | None = (
                Alert.select().where((Alert.change == change) & (Alert.kind == "change"))
                .order_by(Alert.id.desc()).first())
            if earlier is not None:
                return earlier
        doc = _document(change.document_id)
        severity = (change.severity or "").lower() or None
        title = f"{_doc_label(doc)} changed" + (f" ({severity.capitalize()})" if severity else "")
        body = change_body(change)
        settings = load_settings()
        rank = SEVERITY_RANK.get(severity or "medium", 1)  # unknown severity counts as medium
        below = rank < THRESHOLD_RANK.get(settings.notify_threshold, 0)
        if below:
            alert = self._log("change", title, body, "none", False,
                              f"below the notification level ({settings.notify_threshold})",
                              change=change, document=doc)
        else:
            urgency = {"high": "critical", "low": "low"}.get(severity or "", "normal")
            alert = self._deliver("change", title, body, urgency, change=change, document=doc)
        if alert.delivered or below:
            # notified: the user was told, or chose not to be; a failed delivery stays pending
            Change.update(notified=True).where(Change.id == change.id).execute()
        return alert

    def alert_failure(self, document: Document, reason: str) -> Alert | None:
        """Alert a failing or stale document, once per failure streak; None when no alert is
        due (not enough failures yet, or already alerted since the last successful check)."""
        doc = _document(document.id)
        settings = load_settings()
        last_ok = (Check.select(peewee.fn.MAX(Check.started_at))
                   .where((Check.document == doc) & (Check.outcome.in_(SUCCESS_OUTCOMES)))
                   .scalar())
        failing = doc.consecutive_failures >= settings.failure_alert_after
        stale_since = last_ok or doc.created_at
        stale = utcnow() - stale_since >= dt.timedelta(days=settings.stale_alert_days)
        if not (failing or stale):
            return None
        already = Alert.select().where((Alert.document == doc) & (Alert.kind == "failure"))
        if last_ok is not None:
            already = already.where(Alert.created_at > last_ok)  # a recovery starts a new streak
        if already.exists():
            return None
        if failing:
            title = f"{_doc_label(doc)}: {doc.consecutive_failures} checks failed in a row"
        else:
            title = f"{_doc_label(doc)}: not verified for {settings.stale_alert_days} days"
        body = f"{reason} — changes to this document may go unnoticed."
        return self._deliver("failure", title, body, "normal", document=doc)

    def alert_reminder(self, change: Change) -> Alert:
        """The effective date of a change is reached (once per change)."""
        change = Change.get_by_id(change.id)
        earlier: Alert | None = (
            Alert.select().where((Alert.change == change) & (Alert.kind == "reminder"))
            .order_by(Alert.id.desc()).first())
        if earlier is not None:
            return earlier
        doc = _document(change.document_id)
        title = f"{_doc_label(doc)}: the new version takes effect"
        when = change.effective_date or "today"
        body = f"Effective {when}. " + (_first_line(change.summary) or _stats_line(change.stats))
        return self._deliver("reminder", title, body.strip(), "normal", change=change,
                             document=doc)

    def alert_digest_if_due(self, now: dt.datetime, days: int = 7) -> Alert | None:
        """The weekly digest: one notification every `days` (the first a week after the app
        first ran it), with the digest's title and its high/medium counts."""
        from watcher_app.digest import build_digest

        last = (Alert.select().where(Alert.kind == "digest").order_by(Alert.id.desc()).first())
        if last is not None and now - last.created_at < dt.timedelta(days=days):
            return None
        digest = build_digest(now, days)
        parts = [f"{n} {sev}" for sev, n in digest.counts.items() if n]
        if digest.upcoming:
            parts.append(f"{len(digest.upcoming)} taking effect within two weeks")
        if digest.failing:
            parts.append(f"{len(digest.failing)} document(s) need attention")
        body = " · ".join(parts) or "Every watched document was verified unchanged."
        return self._deliver("digest", digest.title(), body, "low")

    def handle_result(self, document_id: int, result: CheckResult) -> list[Alert]:
        """Convenience for wiring `CheckScheduler.on_check_finished`: alert the change a check
        found, or a failure streak it extended."""
        alerts: list[Alert] = []
        change_id = result.change
        if change_id is not None:
            change = Change.get_or_none(Change.id == change_id)
            if change is not None:
                alerts.append(self.alert_change(change))
        if result.outcome.failed:
            doc = Document.get_or_none(Document.id == document_id)
            failure = self.alert_failure(doc, result.reason) if doc else None
            if failure is not None:
                alerts.append(failure)
        return alerts

    def alert_stale_documents(self) -> list[Alert]:
        """Run the failure/stale rule over every active document (the UI calls this now and
        then, e.g. after each batch of checks): a document nobody could verify for days alerts
        even when its checks do not fail outright (say the scheduler was paused)."""
        alerts = []
        for doc in active_documents():
            alert = self.alert_failure(doc, doc.last_reason or "no successful check")
            if alert is not None:
                alerts.append(alert)
        return alerts

    def due_reminders(self, today: dt.date) -> list[Change]:
        """Changes whose effective date is reached and not yet reminded of."""
        reminded = Alert.select(Alert.change).where(
            (Alert.kind == "reminder") & Alert.change.is_null(False))
        live = Version.select(Version.id).where(Version.origin == Origin.LIVE)
        return list(Change.select().where(
            Change.effective_date.is_null(False) & (Change.effective_date <= today.isoformat())
            & (peewee.fn.date(Change.detected_at) < Change.effective_date)
            & Change.id.not_in(reminded)
            & Change.to_version.in_(live)))  # an imported history is never notified

    # --- delivery ---------------------------------------------------------------------------

    def _deliver(self, kind: str, title: str, body: str, urgency: str, *,
                 change: Change | None = None, document: Document | None = None) -> Alert:
        settings = load_settings()
        quiet = settings.in_quiet_hours(self.now())
        notes: dict[str, None] = {}  # ordered, without repeats (two native channels, one cause)
        for notifier in self.notifiers:
            if notifier.name in POPUP_CHANNELS and quiet:
                start, end = settings.quiet_hours or (0, 0)
                notes[f"quiet hours ({start}:00–{end}:00): no popup"] = None
                continue
            if notifier.name == "native" and not settings.notify_native:
                notes["desktop notifications are turned off"] = None
                continue
            if not notifier.available():
                notes[_problem(notifier, "not available")] = None
                continue
            if notifier.send(title, body, urgency=urgency):
                if notes:
                    notes[f"fell back to {notifier.name}"] = None
                return self._log(kind, title, body, notifier.name, True,
                                 "; ".join(notes) or f"shown by {_label(notifier)}",
                                 change=change, document=document)
            notes[_problem(notifier, "failed")] = None
        notes["no channel could show it"] = None
        return self._log(kind, title, body, "none", False, "; ".join(notes), change=change,
                         document=document)

    def _log(self, kind: str, title: str, body: str, channel: str, delivered: bool,
             detail: str, *, change: Change | None, document: Document | None) -> Alert:
        log.info("alert (%s) via %s: %s — %s", kind, channel, title, detail)
        return Alert.create(kind=kind, change=change, document=document, title=title, body=body,
                            channel=channel, delivered=delivered, detail=detail)


# --- text helpers -------------------------------------------------------------------------

def _document(doc_id: int) -> Document:
    return Document.select(Document, Platform).join(Platform).where(Document.id == doc_id).get()


def _doc_label(doc: Document) -> str:
    return f"{doc.platform.name} — {doc.type}"


def change_body(change: Change) -> str:
    """A change alert's text: why it got its severity (the deciding clause, quoted short),
    then where it is; the summary alone when the analysis gave no reason."""
    why = brief_reason(change.analysis)
    if not why:
        return _first_line(change.summary) or _stats_line(change.stats or {})
    sections = [s for s in (change.analysis or {}).get("sections") or [] if s.get("path")]
    if not sections:
        return why
    main = max(sections, key=lambda s: s.get("added", 0) + s.get("removed", 0)
               + s.get("changed", 0))
    return f"{why}\nUnder “{' › '.join(main['path'])}”"


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _stats_line(stats: dict[str, Any]) -> str:
    added, removed = stats.get("lines_added", 0), stats.get("lines_removed", 0)
    changed = stats.get("lines_changed", 0)
    parts = [f"{added} lines added", f"{removed} removed"]
    if changed:
        parts.append(f"{changed} changed")
    return ", ".join(parts) + "."


def _label(notifier: Notifier) -> str:
    return str(getattr(notifier, "label", notifier.name))


def _problem(notifier: Notifier, fallback: str) -> str:
    return str(getattr(notifier, "problem", "") or f"{_label(notifier)}: {fallback}")

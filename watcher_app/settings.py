"""Typed user settings, persisted one key per row in the `setting` table (value as JSON).

One dataclass is the single source of the defaults, so the GUI, the scheduler and the alert
pipeline agree on them. Loading is forgiving (a value written by an older or newer version that
does not fit falls back to its default, so a bad row never stops the app from starting); saving
is strict (a value the user typed that does not fit is refused with a sentence they can act on).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, fields
from typing import Any

from watcher_app.config import DEFAULT_CHECK_INTERVAL_S, MIN_CHECK_INTERVAL_S
from watcher_app.loopback import is_loopback_url
from watcher_app.ota import DEFAULT_SOURCES as DEFAULT_OTA_SOURCES
from watcher_app.store.models import Document, Setting, database_proxy

log = logging.getLogger(__name__)

THRESHOLDS: tuple[str, ...] = ("all", "medium", "high")
# The scheduler uses at most a quarter of a document's interval of it, whatever is set here.
MAX_JITTER_S = 3600
# The minimum interval protects the platforms' servers; a document served from this machine
# (the demo's built-in site, `--demo`) may be checked far more often.
LOOPBACK_MIN_CHECK_INTERVAL_S = 5


class SettingsError(ValueError):
    """A setting refused with a message for the user; nothing was saved."""


@dataclass
class Settings:
    check_interval_s: int = DEFAULT_CHECK_INTERVAL_S
    jitter_s: int = 600  # ± seconds, stable per document, so checks do not all fire together
    paused: bool = False
    notify_threshold: str = "all"  # "all" | "medium" | "high"
    quiet_hours: tuple[int, int] | None = None  # (start, end) local hours; may wrap midnight
    failure_alert_after: int = 3  # consecutive failed checks
    stale_alert_days: int = 3  # days without a successful check
    start_at_login: bool = False
    start_minimized: bool = True
    notify_native: bool = True
    tray_hint_shown: bool = False
    # Catalogue updates from Open Terms Archive: the declaration archives read (earlier wins a
    # tie), the weekly background update, and when it last ran (ISO UTC; see ota/sync.py)
    ota_sources: tuple[str, ...] = DEFAULT_OTA_SOURCES
    ota_weekly_update: bool = True
    ota_last_attempt_at: str | None = None
    ota_last_success_at: str | None = None

    def interval_for(self, doc: Document) -> int:
        """The check interval of one document: its own (Document.check_interval_s, the one
        home of a per-document interval), else the global setting. Never below the minimum,
        whatever an old database holds (a document served from this machine has a lower
        minimum: it burdens no one)."""
        chosen = doc.check_interval_s or self.check_interval_s
        local = bool(doc.sources) and all(is_loopback_url(str(s.get("url", "")))
                                          for s in doc.sources)
        return max(int(chosen), LOOPBACK_MIN_CHECK_INTERVAL_S if local else MIN_CHECK_INTERVAL_S)

    def in_quiet_hours(self, when: dt.datetime) -> bool:
        """Whether local time `when` falls inside the quiet hours (end hour excluded)."""
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        if start == end:  # an empty window: (22, 22) means "no quiet hours", not "always"
            return False
        if start < end:
            return start <= when.hour < end
        return when.hour >= start or when.hour < end  # wraps midnight, e.g. 22 → 7


# --- coercion (JSON → typed) ---------------------------------------------------------------

def _coerce(name: str, raw: Any) -> Any:
    """Turn a stored JSON value into the field's type; raises ValueError/TypeError when it
    cannot be (the caller decides whether that is a default or an error)."""
    if name in {"check_interval_s", "jitter_s", "failure_alert_after", "stale_alert_days"}:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != int(raw):
            raise TypeError(f"{name} must be a whole number")
        return int(raw)
    if name in {"paused", "start_at_login", "start_minimized", "notify_native",
                "tray_hint_shown", "ota_weekly_update"}:
        if not isinstance(raw, bool):
            raise TypeError(f"{name} must be true or false")
        return raw
    if name == "notify_threshold":
        if not isinstance(raw, str):
            raise TypeError("notify_threshold must be text")
        return raw
    if name == "quiet_hours":
        if raw is None:
            return None
        start, end = raw  # JSON has no tuples: a stored list comes back here
        for hour in (start, end):
            if isinstance(hour, bool) or not isinstance(hour, int):
                raise TypeError("quiet hours must be whole hours")
        return (start, end)
    if name == "ota_sources":
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise TypeError("ota_sources must be a list of archive URLs")
        return tuple(v.strip() for v in raw if v.strip())
    if name in {"ota_last_attempt_at", "ota_last_success_at"}:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise TypeError(f"{name} must be a date")
        dt.datetime.fromisoformat(raw)  # ValueError when it is not one
        return raw
    raise KeyError(name)


def _validate(s: Settings) -> None:
    """Raise SettingsError with a sentence for the user when a value cannot be saved."""
    minimum_min = MIN_CHECK_INTERVAL_S // 60
    for name in ("check_interval_s", "jitter_s", "failure_alert_after", "stale_alert_days",
                 "quiet_hours", "notify_threshold", "ota_sources", "ota_last_attempt_at",
                 "ota_last_success_at"):
        try:
            setattr(s, name, _coerce(name, getattr(s, name)))
        except (TypeError, ValueError, KeyError) as exc:
            raise SettingsError(f"Invalid setting: {exc}.") from exc
    if s.check_interval_s < MIN_CHECK_INTERVAL_S:
        raise SettingsError(
            f"Checks can run at most every {minimum_min} minutes, to stay polite to the "
            "platforms' servers; choose a longer interval.")
    if not 0 <= s.jitter_s <= MAX_JITTER_S:
        raise SettingsError(f"The spread of check times must be between 0 and "
                            f"{MAX_JITTER_S // 60} minutes.")
    if s.notify_threshold not in THRESHOLDS:
        raise SettingsError(f"Unknown notification level {s.notify_threshold!r}; choose one of "
                            f"{', '.join(THRESHOLDS)}.")
    if s.quiet_hours is not None and not all(0 <= h <= 23 for h in s.quiet_hours):
        raise SettingsError("Quiet hours are whole hours from 0 to 23.")
    if s.failure_alert_after < 1:
        raise SettingsError("Alert after at least one failed check.")
    if s.stale_alert_days < 1:
        raise SettingsError("The 'not verified' alert needs at least one day.")
    for name in ("paused", "start_at_login", "start_minimized", "notify_native",
                 "tray_hint_shown", "ota_weekly_update"):
        if not isinstance(getattr(s, name), bool):
            raise SettingsError(f"Invalid setting: {name} must be true or false.")
    from watcher_app.ota.archive import DownloadError, check_source_url

    for url in s.ota_sources:
        try:
            check_source_url(url)
        except DownloadError as exc:
            raise SettingsError(f"Catalogue source refused: {exc}.") from None


# --- public -----------------------------------------------------------------------------

def load_settings() -> Settings:
    """The saved settings over the defaults. Unknown keys are ignored (a newer version may
    have written them) and unusable values fall back to the default, with a log line."""
    settings = Settings()
    stored = {row.key: row.value for row in Setting.select()}
    for f in fields(Settings):
        if f.name not in stored:
            continue
        try:
            setattr(settings, f.name, _coerce(f.name, stored[f.name]))
        except (TypeError, ValueError, KeyError):
            log.warning("setting %s has an unusable stored value; using the default", f.name)
    try:
        _validate(settings)
    except SettingsError as exc:
        # a stored value out of range (e.g. an interval below a raised minimum): defaults
        # for the whole object would lose unrelated choices, so fix only what is wrong
        log.warning("stored settings out of range (%s); repairing", exc)
        settings = _repair(settings)
    return settings


def _repair(s: Settings) -> Settings:
    default = Settings()
    s.check_interval_s = max(s.check_interval_s, MIN_CHECK_INTERVAL_S)
    if not 0 <= s.jitter_s <= MAX_JITTER_S:
        s.jitter_s = default.jitter_s
    if s.notify_threshold not in THRESHOLDS:
        s.notify_threshold = default.notify_threshold
    if s.quiet_hours is not None and not all(0 <= h <= 23 for h in s.quiet_hours):
        s.quiet_hours = None
    s.failure_alert_after = max(s.failure_alert_after, 1)
    s.stale_alert_days = max(s.stale_alert_days, 1)
    from watcher_app.ota.archive import DownloadError, check_source_url

    kept = []
    for url in s.ota_sources:
        try:
            check_source_url(url)
        except DownloadError:
            continue
        kept.append(url)
    s.ota_sources = tuple(kept)
    return s


def save_settings(s: Settings) -> None:
    """Validate and store every field in one transaction (all or nothing)."""
    _validate(s)
    with database_proxy.atomic():
        values = {f.name: _to_json(getattr(s, f.name)) for f in fields(Settings)}
        # The value column is NOT NULL (JSONField stores None as NULL): "no value" is stored
        # as no row, which loads back as the field's default, None.
        empty = [key for key, value in values.items() if value is None]
        Setting.delete().where(Setting.key.in_(empty)).execute()
        rows = [{"key": k, "value": v} for k, v in values.items() if v is not None]
        Setting.insert_many(rows).on_conflict_replace().execute()


def set_document_interval(document_id: int, seconds: int | None) -> None:
    """A document's own check interval (None: follow the global setting)."""
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)):
        raise SettingsError("Invalid setting: an interval is a whole number of seconds.")
    if seconds is not None and seconds < MIN_CHECK_INTERVAL_S:
        raise SettingsError(
            f"Checks can run at most every {MIN_CHECK_INTERVAL_S // 60} minutes, to stay "
            "polite to the platforms' servers; choose a longer interval.")
    with database_proxy.atomic():
        Document.update(check_interval_s=seconds).where(Document.id == document_id).execute()


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value

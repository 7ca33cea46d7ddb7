"""Typed settings in the `setting` table: defaults, round trip, validation, repair, mirror."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from tests.support.watch_db import add_document, fresh_database
from watcher_app.config import DEFAULT_CHECK_INTERVAL_S, MIN_CHECK_INTERVAL_S
from watcher_app.settings import (
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    set_document_interval,
)
from watcher_app.store.models import Document, Setting


@pytest.fixture
def db(tmp_path: Path) -> Iterator[peewee.SqliteDatabase]:
    database = fresh_database(tmp_path)
    yield database
    database.close()


def test_defaults_when_nothing_is_stored(db: peewee.Database) -> None:
    s = load_settings()
    assert s == Settings()
    assert s.check_interval_s == DEFAULT_CHECK_INTERVAL_S == 21600
    assert (s.jitter_s, s.paused, s.notify_threshold, s.quiet_hours) == (600, False, "all", None)
    assert (s.failure_alert_after, s.stale_alert_days) == (3, 3)
    assert (s.start_at_login, s.start_minimized, s.notify_native, s.tray_hint_shown) == (
        False, True, True, False)


def test_round_trip_keeps_types(db: peewee.Database) -> None:
    s = Settings(check_interval_s=3600, jitter_s=120, paused=True, notify_threshold="high",
                 quiet_hours=(22, 7), failure_alert_after=5, stale_alert_days=7,
                 start_at_login=True, start_minimized=False, notify_native=False,
                 tray_hint_shown=True,
                 ota_sources=("https://example.org/a-declarations/main.zip",),
                 ota_weekly_update=False, ota_last_attempt_at="2026-08-01T10:00:00+00:00",
                 ota_last_success_at="2026-07-25T10:00:00+00:00")
    save_settings(s)
    loaded = load_settings()
    assert loaded == s
    assert loaded.quiet_hours == (22, 7) and isinstance(loaded.quiet_hours, tuple)
    # one row per field
    assert {row.key for row in Setting.select()} == {f.name for f in dataclasses.fields(s)}
    save_settings(dataclasses.replace(s, quiet_hours=None))  # None is stored as "no row"
    assert load_settings().quiet_hours is None


@pytest.mark.parametrize(("change", "words"), [
    ({"check_interval_s": MIN_CHECK_INTERVAL_S - 1}, "15 minutes"),
    ({"notify_threshold": "urgent"}, "notification level"),
    ({"quiet_hours": (22, 24)}, "0 to 23"),
    ({"quiet_hours": (-1, 7)}, "0 to 23"),
    ({"failure_alert_after": 0}, "at least one"),
    ({"stale_alert_days": 0}, "at least one day"),
    ({"jitter_s": -5}, "spread"),
    ({"check_interval_s": "often"}, "whole number"),
    ({"paused": "yes"}, "true or false"),
])
def test_invalid_values_are_refused_and_nothing_is_saved(
        db: peewee.Database, change: dict, words: str) -> None:
    save_settings(Settings(check_interval_s=7200))
    with pytest.raises(SettingsError, match=words):
        save_settings(dataclasses.replace(Settings(check_interval_s=3600), **change))
    assert load_settings().check_interval_s == 7200


def test_minimum_interval_is_accepted(db: peewee.Database) -> None:
    save_settings(Settings(check_interval_s=MIN_CHECK_INTERVAL_S))
    assert load_settings().check_interval_s == 900


def test_unusable_stored_values_fall_back_without_losing_the_others(
        db: peewee.Database) -> None:
    Setting.insert_many([
        {"key": "check_interval_s", "value": "soon"},  # wrong type: default
        {"key": "quiet_hours", "value": [1, 2, 3]},  # wrong shape: default
        {"key": "notify_threshold", "value": "high"},  # fine: kept
        {"key": "from_a_newer_version", "value": 1},  # unknown: ignored
    ]).execute()
    s = load_settings()
    assert s.check_interval_s == DEFAULT_CHECK_INTERVAL_S
    assert s.quiet_hours is None
    assert s.notify_threshold == "high"


def test_out_of_range_stored_values_are_repaired(db: peewee.Database) -> None:
    Setting.insert_many([
        {"key": "check_interval_s", "value": 60},
        {"key": "notify_threshold", "value": "loud"},
        {"key": "paused", "value": True},
    ]).execute()
    s = load_settings()
    assert s.check_interval_s == MIN_CHECK_INTERVAL_S
    assert s.notify_threshold == "all"
    assert s.paused is True  # unrelated choices survive the repair


def test_a_document_interval_has_one_home(db: peewee.Database) -> None:
    first, second = add_document("anthropic"), add_document("openai")
    set_document_interval(first.id, 3600)
    set_document_interval(second.id, 7200)
    assert Document.get_by_id(first.id).check_interval_s == 3600
    set_document_interval(first.id, None)
    s = load_settings()
    assert s.interval_for(Document.get_by_id(first.id)) == DEFAULT_CHECK_INTERVAL_S
    assert s.interval_for(Document.get_by_id(second.id)) == 7200
    with pytest.raises(SettingsError, match="15 minutes"):
        set_document_interval(second.id, 60)
    assert Document.get_by_id(second.id).check_interval_s == 7200  # refused: unchanged


def test_interval_never_below_minimum_even_from_an_old_column(db: peewee.Database) -> None:
    doc = add_document(check_interval_s=10)
    assert Settings().interval_for(doc) == MIN_CHECK_INTERVAL_S


@pytest.mark.parametrize(("hours", "hour", "quiet"), [
    ((22, 7), 23, True), ((22, 7), 0, True), ((22, 7), 6, True), ((22, 7), 7, False),
    ((22, 7), 12, False), ((22, 7), 21, False), ((9, 17), 9, True), ((9, 17), 16, True),
    ((9, 17), 17, False), ((9, 17), 8, False), ((5, 5), 5, False), (None, 3, False),
])
def test_quiet_hours_wrap_midnight(hours: tuple[int, int] | None, hour: int,
                                   quiet: bool) -> None:
    when = dt.datetime(2025, 3, 1, hour, 30)
    assert Settings(quiet_hours=hours).in_quiet_hours(when) is quiet

"""The demo's history is what the app itself records, and a demo session leaves nothing
behind: its folder, the environment and the network guard are restored when it closes."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import keyring
import peewee

from watcher_app import autostart, clock
from watcher_app.demo import offline
from watcher_app.demo.keystore import DemoKeyring
from watcher_app.demo.seed import ORIGIN
from watcher_app.demo.session import FOLDER_PREFIX, DemoSession, remove_stale_folders
from watcher_app.demo.site import DemoSite, Pace
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Outcome
from watcher_app.render import RENDER_ENV
from watcher_app.settings import load_settings
from watcher_app.store.models import (
    Alert,
    Change,
    Check,
    Document,
    Platform,
    Snapshot,
    Version,
    utcnow,
)
from watcher_app.watchlist import add_custom


def kinds(platform: str, doc_type: str) -> list[str]:
    doc = Document.get((Document.platform == platform) & (Document.type == doc_type))
    return [v.kind for v in Version.select().where(Version.document == doc).order_by(Version.id)]


def test_session_records_the_history_and_cleans_up(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv(offline.OFFLINE_ENV, raising=False)
    monkeypatch.setenv(RENDER_ENV, "1")
    monkeypatch.setattr(autostart, "is_enabled", lambda: True)  # the user's real login entry
    real_keyring = keyring.get_keyring()
    before = utcnow()
    progress: list[tuple[int, int]] = []
    session = DemoSession(Pace(), progress=lambda done, total: progress.append((done, total)))
    try:
        folder = session.data_dir
        # a throw-away folder of its own, never the user's
        assert folder.parent == Path(tempfile.gettempdir()).resolve() or \
            folder.parent == Path(tempfile.gettempdir())
        assert folder.name.startswith(f"{FOLDER_PREFIX}{os.getpid()}-")
        assert (folder / "watcher.sqlite3").exists()
        # nothing leaves this machine, in this process and in its check processes
        assert offline.active() and os.environ[offline.OFFLINE_ENV] == "1"
        assert os.environ[RENDER_ENV] == "0"
        # nothing of the user's is touched: not their password store, not their login entry
        assert isinstance(keyring.get_keyring(), DemoKeyring)
        assert load_settings().start_at_login  # saving the demo's settings keeps it as it is

        # recorded by the real check path: first versions, verified checks, changes with their
        # analysis, noise versions, a blocked maintenance page
        outcomes = session.report.outcomes
        assert outcomes[str(Outcome.FIRST)] == 9
        assert outcomes[str(Outcome.CHANGED)] == 8
        assert outcomes[str(Outcome.NOISE)] == 2
        assert outcomes[str(Outcome.BLOCKED)] == 1
        assert outcomes[str(Outcome.VERIFIED)] >= 40
        assert progress[-1] == (session.report.checks, session.report.checks)
        assert kinds("quillmind", "Privacy Policy") == ["first", "noise", "change"]
        assert kinds("bazaarloop", "Privacy Policy") == ["first", "change", "noise"]
        assert kinds("murmurly", "Terms of Service") == ["first", "change"]
        blocked = Check.get(Check.outcome == "blocked")
        assert blocked.document.type == "Terms of Service" and "server error page" in \
            blocked.reason
        noise = {v.document.platform_id: v for v in Version.select().where(Version.kind == "noise")}
        assert Check.get(Check.version == noise["quillmind"]).reason == "only noise: typo fixed"
        assert Check.get(Check.version == noise["bazaarloop"]).code == "layout-only"

        # at past dates, in every table (the clock of the checks was the past's)
        first, last = (Check.select(peewee.fn.MIN(Check.started_at)).scalar(),
                       Check.select(peewee.fn.MAX(Check.started_at)).scalar())
        assert before - first > dt.timedelta(days=110)
        assert dt.timedelta(minutes=5) < before - last < dt.timedelta(minutes=20)
        assert Snapshot.select(peewee.fn.MIN(Snapshot.fetched_at)).scalar() < \
            before - dt.timedelta(days=110)
        assert clock.clock_override is None
        changes = list(Change.select())
        assert all(c.read and c.notified and c.severity and c.summary for c in changes)
        assert all(c.detected_at < before - dt.timedelta(days=10) for c in changes)
        severities = {c.severity for c in changes}
        assert {"high", "medium"} <= severities
        alerts = list(Alert.select().where(Alert.kind == "change"))
        assert len(alerts) == 8 and all(a.channel == "banner" and a.delivered for a in alerts)
        # weekly digests through the past, the first a week after the first capture (never
        # at it: issue 10)
        digests = list(Alert.select().where(Alert.kind == "digest").order_by(Alert.id))
        assert len(digests) >= 8 and digests[0].created_at - first >= dt.timedelta(days=7)
        assert all(a.created_at < before for a in Alert.select())

        # offered in the picker, not watched yet; checked every minute once watched
        platforms = list(Platform.select())
        assert {p.id for p in platforms} == {"quillmind", "murmurly", "bazaarloop"}
        assert all(p.origin == ORIGIN and not p.watched for p in platforms)
        settings = load_settings()
        assert {settings.interval_for(d) for d in Document.select()} == {60}
        assert all(d.consecutive_failures == 0 for d in Document.select())
    finally:
        session.close()
    assert not folder.exists()
    assert not offline.active()
    assert offline.OFFLINE_ENV not in os.environ and os.environ[RENDER_ENV] == "1"
    assert keyring.get_keyring() is real_keyring


def test_stale_demo_folders_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f"{FOLDER_PREFIX}999999999-abc"
    mine = tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-def"
    other = tmp_path / "governance-watcher-data"
    for folder in (dead, mine, other):
        folder.mkdir()
        (folder / "watcher.sqlite3").write_text("x")
    assert remove_stale_folders(tmp_path) == [dead]
    assert not dead.exists() and mine.exists() and other.exists()


def test_scheduled_edits_through_the_monitor(db: peewee.Database) -> None:
    """The app's own pipeline judges the demo pages: each substantive edit is a confirmed
    change with the expected topic; the cosmetic edit records noise, then a flap, never a
    change."""
    now = [1_000_000.0]
    with DemoSite(every_s=75, clock=lambda: now[0]) as site, \
            Monitor(db, Fetcher(retries=0), confirm_delay_s=0) as monitor:
        for platform in site.platforms:
            add_custom(db, platform.id, site.declaration(platform))
        docs = {(d.platform_id, d.type): d for d in Document.select()}
        for doc in docs.values():
            assert monitor.check(doc).outcome is Outcome.FIRST
        site.start_changes()
        expected = [("quillmind", "Privacy Policy", "ai-training"),
                    ("bazaarloop", "Privacy Policy", None),
                    ("murmurly", "Privacy Policy", "data-retention"),
                    ("bazaarloop", "Terms of Service", "dispute-resolution")] * 2
        for step, (pid, dtype, topic) in enumerate(expected, start=1):
            now[0] += 75
            assert site.step == step
            result = monitor.check(docs[pid, dtype])
            if topic is None:
                assert result.outcome is (Outcome.NOISE if step == 2 else Outcome.FLAP), result
                assert result.change is None
            else:
                assert result.outcome is Outcome.CHANGED, (step, result)
                assert topic in result.categories, (step, result.categories)
            for other in docs.values() if step <= 4 else ():  # the rest stays as it was
                if (other.platform_id, other.type) != (pid, dtype):
                    assert monitor.check(other).outcome is Outcome.VERIFIED
        assert Change.select().count() == 6

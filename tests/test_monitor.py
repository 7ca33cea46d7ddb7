"""A check end to end against a real HTTP server on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import PAGES
from watcher_app import extract
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.store.models import Change, Check, Document, Snapshot, Version
from watcher_app.watchlist import add_custom


def page(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


@pytest.fixture
def setup(db, server: LoopbackServer):
    server.route("/privacy", page("base"))
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"}}})
    doc = Document.get()
    with Monitor(db, Fetcher(retries=0, timeout_s=2, sleep=lambda s: None),
                 confirm_delay_s=0) as monitor:
        yield server, doc, monitor


def serve(server: LoopbackServer, name: str) -> None:
    server.route("/privacy", page(name))


def test_first_then_noise_is_unchanged(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    assert first.status == "first" and first.version_id and first.sha256
    for variant in ("nonce", "uuid-link", "tracking-url", "utm-link", "invisible", "cfemail-key",
                    "no-placeholder"):
        serve(server, variant)
        result = monitor.check(Document.get_by_id(doc.id))
        assert result.status == "unchanged", (variant, result)
        assert result.version_id == first.version_id
    assert Version.select().count() == 1
    assert Change.select().count() == 0
    assert Check.select().count() == 8
    assert Snapshot.select().count() == 1  # raw bytes kept as evidence of the version only


def test_punctuation_is_kept_silently(setup) -> None:
    server, doc, monitor = setup
    monitor.check(doc)
    serve(server, "punctuation")
    result = monitor.check(doc)
    assert result.status == "unchanged"
    assert Version.get_by_id(result.version_id).kind == "noise"
    assert Change.select().count() == 0


def test_real_change_is_confirmed_and_recorded(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    serve(server, "changed")
    hits_before = server.hits("/privacy")
    result = monitor.check(doc)
    assert result.status == "changed"
    assert server.hits("/privacy") - hits_before == 2  # the change was fetched twice
    change = Change.get_by_id(result.change)
    assert change.from_version_id == first.version_id and change.to_version_id == result.version_id
    assert change.stats["lines_changed"] + change.stats["lines_added"] >= 1
    assert not change.read and not change.notified
    assert "train" in Version.get_by_id(result.version_id).text


def test_unconfirmed_change_records_nothing(setup) -> None:
    server, doc, monitor = setup
    monitor.check(doc)
    answers = iter([page("changed"), page("base")])
    server.handler("/privacy", lambda info: Route(body=next(answers)))
    result = monitor.check(doc)
    assert result.status == "unchanged" and "unconfirmed" in result.reason
    assert Version.select().count() == 1 and Change.select().count() == 0


def test_flap_back_to_an_earlier_version(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    serve(server, "changed")
    assert monitor.check(doc).status == "changed"
    serve(server, "base")
    back = monitor.check(doc)
    assert back.status == "unchanged" and "flap" in back.reason
    assert back.version_id == first.version_id and Version.get_by_id(first.version_id).current
    assert Change.select().count() == 1


@pytest.mark.parametrize(
    ("fixture", "words"),
    [("blocked-cloudflare", "Cloudflare"), ("blocked-app-error", "client-side"),
     ("blocked-soft404", "not found"), ("blocked-js-shell", "shell"),
     ("blocked-captcha", "captcha"), ("blocked-imperva", "Incapsula"),
     ("blocked-redesign", "`article` still holds the text")],
)
def test_pages_that_are_not_the_policy_are_blocked(setup, fixture: str, words: str) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    serve(server, fixture)
    result = monitor.check(doc)
    assert result.status == "blocked" and words in result.reason
    assert result.version_id is None
    assert Version.select().count() == 1 and Version.get_by_id(first.version_id).current
    serve(server, "nonce")
    assert monitor.check(doc).status == "unchanged"


def test_blocked_first_capture_stores_nothing(setup) -> None:
    server, doc, monitor = setup
    serve(server, "blocked-cloudflare")
    assert monitor.check(doc).status == "blocked"
    assert Version.select().count() == 0
    serve(server, "base")
    assert monitor.check(doc).status == "first"


def test_errors_keep_the_version_and_count_failures(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    server.route("/privacy", b"down", status=503)
    for n in (1, 2):
        result = monitor.check(Document.get_by_id(doc.id))
        assert result.status == "error" and "503" in result.reason
        assert Document.get_by_id(doc.id).consecutive_failures == n
    serve(server, "base")
    assert monitor.check(Document.get_by_id(doc.id)).status == "unchanged"
    assert Document.get_by_id(doc.id).consecutive_failures == 0
    assert Version.get_by_id(first.version_id).current


def test_conditional_get_304_counts_as_verified(setup) -> None:
    server, doc, monitor = setup
    body = page("base")

    def conditional(info: RequestInfo) -> Route:
        if info.headers.get("if-none-match") == '"v1"':
            return Route(status=304, headers={"ETag": '"v1"'})
        return Route(body=body, headers={"ETag": '"v1"'})

    server.handler("/privacy", conditional)
    first = monitor.check(doc)
    result = monitor.check(doc)
    assert result.status == "unchanged" and result.version_id == first.version_id
    assert server.requests[-1].headers.get("if-none-match") == '"v1"'
    assert Check.select().order_by(Check.id.desc()).first().http_status == 304


def test_new_extractor_is_a_technical_upgrade(setup, monkeypatch) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", extract.EXTRACTOR_VERSION + 1)
    result = monitor.check(doc)
    assert result.status == "unchanged"
    upgrade = Check.select().where(Check.outcome == "upgrade").get()
    assert "technical upgrade" in upgrade.reason
    assert Version.get_by_id(first.version_id).extractor_version == extract.EXTRACTOR_VERSION
    assert Change.select().count() == 0


def test_unconfirmed_collapse_is_blocked(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    stub = (b"<html><body><main><h1>Privacy Policy</h1><p>" + b"Short text here. " * 15
            + b"</p></main></body></html>")
    answers = iter([stub, page("base")])
    server.handler("/privacy", lambda info: Route(body=next(answers)))
    result = monitor.check(doc)
    assert result.status == "blocked" and "collapsed" in result.reason
    assert Version.get_by_id(first.version_id).current and Version.select().count() == 1


def test_retry_after_is_remembered_for_the_scheduler(setup) -> None:
    import datetime as dt

    from watcher_app.scheduler import next_due
    from watcher_app.settings import Settings

    server, doc, monitor = setup
    monitor.check(doc)
    server.route("/privacy", b"busy", status=429, headers={"Retry-After": "90"})
    result = monitor.check(doc)
    assert result.status == "error" and result.retry_after_s == 90
    fresh = Document.get_by_id(doc.id)
    assert fresh.retry_not_before is not None
    settings = Settings(check_interval_s=900, jitter_s=0)
    soon = fresh.last_check_at + dt.timedelta(seconds=1)
    assert next_due(fresh, settings, soon) >= fresh.retry_not_before


def test_a_check_never_reverts_edits_made_while_it_ran(setup) -> None:
    server, doc, monitor = setup
    monitor.check(doc)
    Document.update(active=False, consecutive_failures=2).where(Document.id == doc.id).execute()
    server.route("/privacy", b"down", status=503)
    monitor.check(doc)  # `doc` is the stale object loaded before the edit
    fresh = Document.get_by_id(doc.id)
    assert fresh.active is False and fresh.consecutive_failures == 3


def test_errors_outside_the_monitor_count_like_failed_checks(setup, db) -> None:
    from watcher_app.monitor import record_error

    server, doc, monitor = setup
    monitor.check(doc)
    result = record_error(db, doc, "internal error: boom", duration_s=1.25)
    assert result.status == "error" and result.duration_s == 1.25
    fresh = Document.get_by_id(doc.id)
    assert fresh.consecutive_failures == 1 and fresh.last_outcome == "error"
    assert Check.select().order_by(Check.id.desc()).first().reason == "internal error: boom"

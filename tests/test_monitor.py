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
    # seven identical "verified" checks are one row with a count (the first check has its own)
    assert [(c.outcome, c.repeats) for c in Check.select().order_by(Check.id)] == [
        ("first", 1), ("verified", 7)]
    run = Check.get(Check.outcome == "verified")
    assert run.first_started_at is not None and run.first_started_at < run.started_at
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


def test_a_redesign_is_read_through_a_fallback_selector(setup) -> None:
    # The declared `main` is gone but `article` still holds the text: the check reads it with
    # that (degraded), no alert (tests/test_drift.py has the rest).
    server, doc, monitor = setup
    first = monitor.check(doc)
    serve(server, "blocked-redesign")
    result = monitor.check(doc)
    # (this fixture's text also differs a little from `base`: a silent noise version)
    assert result.status == "unchanged" and result.outcome in ("degraded", "noise"), result
    assert Change.select().count() == 0 and first.version_id
    check = Check.select().order_by(Check.id.desc()).get()
    assert check.detail["read_with"][0]["select"] == ["article"]


@pytest.mark.parametrize(
    ("fixture", "words"),
    [("blocked-cloudflare", "Cloudflare"), ("blocked-app-error", "client-side"),
     ("blocked-soft404", "not found"), ("blocked-js-shell", "shell"),
     ("blocked-captcha", "captcha"), ("blocked-imperva", "Incapsula")],
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


# --- an unchanged check costs next to nothing; a change waits for its confirmation --------

def no_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    import watcher_app.capture as capture

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged page must not be extracted again")

    monkeypatch.setattr(capture, "extract_document", refuse)


def test_the_same_bytes_are_verified_without_reading_them_again(
        setup, monkeypatch: pytest.MonkeyPatch) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    no_extraction(monkeypatch)
    result = monitor.check(Document.get_by_id(doc.id))
    assert (result.outcome, result.code) == ("verified", "same-text")
    assert result.version_id == first.version_id


def test_a_304_is_verified_without_reading_the_snapshot_again(
        setup, monkeypatch: pytest.MonkeyPatch) -> None:
    server, doc, monitor = setup
    body = page("base")
    server.handler("/privacy", lambda info: Route(status=304, headers={"ETag": '"v1"'})
                   if info.headers.get("if-none-match") == '"v1"'
                   else Route(body=body, headers={"ETag": '"v1"'}))
    monitor.check(doc)
    no_extraction(monkeypatch)
    result = monitor.check(Document.get_by_id(doc.id))
    assert result.outcome == "verified"
    row = Check.select().order_by(Check.id.desc()).first()
    assert row.http_status == 304 and row.raw_sha256 == Snapshot.get().sha256


def test_other_bytes_with_the_same_words_skip_the_word_comparison(
        setup, monkeypatch: pytest.MonkeyPatch) -> None:
    import watcher_app.monitor as monitor_module

    server, doc, monitor = setup
    monitor.check(doc)
    serve(server, "nonce")  # other raw bytes (a nonce), the very same text

    def refuse(*args: object) -> None:
        raise AssertionError("equal key hashes need no word-by-word comparison")

    monkeypatch.setattr(monitor_module, "compare", refuse)
    assert monitor.check(Document.get_by_id(doc.id)).outcome == "verified"


def test_a_change_waits_for_its_confirmation_without_holding_anything(setup, db) -> None:
    from watcher_app.pending import PendingChange
    from watcher_app.store import lease

    server, doc, monitor = setup
    monitor.confirm_delay_s = 30
    monitor.check(doc)
    serve(server, "changed")
    pending = monitor.first_pass(Document.get_by_id(doc.id))
    assert isinstance(pending, PendingChange)
    assert pending.label == "Acme Cloud Privacy Policy" and pending.due_at > monitor.clock() + 25
    assert PendingChange.from_json(pending.to_json()) == pending  # it crosses processes
    assert Version.select().count() == 1 and Change.select().count() == 0
    assert Check.select().count() == 1  # nothing recorded yet
    assert lease.holder(doc.id) == pending.lease_owner  # the document stays taken…
    again = monitor.first_pass(Document.get_by_id(doc.id))
    assert again.outcome == "skipped"  # …so no other check can record the same change
    result = monitor.confirm(pending)
    assert result.outcome == "changed" and Change.select().count() == 1
    assert lease.holder(doc.id) is None


def test_a_confirmation_that_disagrees_records_the_first_fetch(setup) -> None:
    server, doc, monitor = setup
    monitor.check(doc)
    serve(server, "changed")
    pending = monitor.first_pass(Document.get_by_id(doc.id))
    serve(server, "base")
    result = monitor.confirm(pending)
    assert result.outcome == "unconfirmed" and Version.select().count() == 1
    row = Check.select().order_by(Check.id.desc()).first()
    assert (row.outcome, row.raw_sha256) == ("unconfirmed", pending.raw_sha256)


def test_bytes_last_seen_as_the_current_text_are_not_read_again(
        setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """A site deploys a new build: other bytes, the same text. The first fetch of the new
    bytes is read (and verified); later fetches of those bytes are not read again."""
    server, doc, monitor = setup
    first = monitor.check(doc)
    serve(server, "nonce")  # a new build id: other bytes, the same text
    assert monitor.check(Document.get_by_id(doc.id)).outcome == "verified"
    seen = Check.select().order_by(Check.id.desc()).first().raw_sha256
    assert Version.get_by_id(first.version_id).raw_sha256 == seen != Snapshot.get().sha256
    no_extraction(monkeypatch)
    result = monitor.check(Document.get_by_id(doc.id))
    assert result.outcome == "verified" and result.version_id == first.version_id

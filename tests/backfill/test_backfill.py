"""Backfill end to end on a dataset written for the tests: judgement, recording, idempotence,
cancel and resume, bad input, the first live capture afterwards, never an alert."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import peewee
import pytest

from tests.backfill import maker
from tests.backfill.rangefile import RangeFile
from tests.loopback import LoopbackServer, Route
from watcher_app.backfill.markdown import page_html
from watcher_app.backfill.run import BackfillError, Progress, backfill
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.notify import AlertCenter
from watcher_app.outcomes import Code, Outcome
from watcher_app.reports import diff_report, version_history
from watcher_app.store.models import Alert, Change, Check, Document, Version
from watcher_app.watchlist import import_declaration


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "example-versions.zip"
    path.write_bytes(maker.dataset_zip())
    return path


@pytest.fixture
def platform(db: peewee.Database, tmp_path: Path, server: LoopbackServer) -> str:
    import_declaration(db, maker.declaration(tmp_path, server.url("/site").rstrip("/")))
    return "example-service"


def kinds(doc_type: str = maker.PRIVACY) -> list[str]:
    return [v["kind"] for v in version_history("example-service", doc_type)]


def test_every_archived_version_is_judged_and_recorded(db: peewee.Database, platform: str,
                                                       dataset: Path) -> None:
    reports = backfill(db, platform, dataset=str(dataset))
    by_doc = {r.document: r.to_json() for r in reports}
    assert by_doc[maker.PRIVACY] == {
        "document": maker.PRIVACY, "imported": 5, "changes": 2, "noise": 2, "blocked": 2,
        "first_at": "2024-01-01T00:00:00Z", "last_at": "2024-05-01T06:00:00Z"}
    assert by_doc[maker.TERMS]["changes"] == 1
    assert kinds() == maker.EXPECTED
    history = version_history(platform, maker.PRIVACY)
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5]
    assert {h["origin"] for h in history} == {"open-terms-archive"}
    change = history[2]
    assert change["severity"] and change["summary"] and isinstance(change["categories"], list)
    doc = Document.get(Document.type == maker.PRIVACY)
    versions = list(Version.select().where(Version.document == doc).order_by(Version.first_seen))
    for version, (stamp, markdown, _) in zip(versions, [h for h in maker.PRIVACY_HISTORY
                                                        if h[2] != "blocked"], strict=True):
        assert version.sha256 == hashlib.sha256(version.text.encode()).hexdigest()
        prov = version.provenance
        assert prov["path"] == f"{maker.SERVICE}/{maker.PRIVACY}/{stamp}.md"
        assert prov["markdown_sha256"] == hashlib.sha256(markdown.encode()).hexdigest()
        assert prov["dataset"] == "example-versions" and prov["verdict"]["code"]
        assert version.first_seen == dt.datetime.strptime(stamp, "%Y-%m-%dT%H-%M-%SZ")
    assert [v.current for v in versions] == [False] * 4 + [True]
    # history, not news: read, notified, no alert and no check row of the app's own
    assert Change.select().count() == 3
    assert all(c.read and c.notified for c in Change.select())
    assert Alert.select().count() == 0 and Check.select().count() == 0
    assert doc.last_outcome is None


def test_the_same_backfill_twice_imports_nothing_twice(db: peewee.Database, platform: str,
                                                       server: LoopbackServer,
                                                       dataset: Path) -> None:
    served = RangeFile(dataset.read_bytes())
    server.handler("/ds.zip", served)
    first = backfill(db, platform, dataset=server.url("/ds.zip"))
    count = Version.select().count()
    served.reset_counts()
    again = backfill(db, platform, dataset=server.url("/ds.zip"))
    assert [r.to_json()["imported"] for r in again] == [0, 0]
    assert [r.blocked for r in again] == [0, 0]  # judged once, remembered
    assert [r.already for r in again] == [7, 2]
    assert Version.select().count() == count == sum(r.imported for r in first)
    # only the table of contents travelled the second time (this small file: one probe of
    # its tail; the fixture test below counts a directory larger than the probe)
    assert len(served.ranges) == 1 and served.ranges[0][0] + served.sent == len(
        dataset.read_bytes())


def test_cancel_keeps_what_was_judged_and_the_next_run_resumes(db: peewee.Database,
                                                               platform: str,
                                                               dataset: Path) -> None:
    calls: list[Progress] = []

    def progress(p: Progress) -> None:
        calls.append(p)

    reports = backfill(db, platform, document=maker.PRIVACY, dataset=str(dataset),
                       progress=progress, cancelled=lambda: len(calls) >= 3)
    assert reports[0].cancelled and 0 < reports[0].imported < 5
    assert any(p.phase == "directory" for p in calls) and calls[-1].phase == "done"
    assert calls[-1].total == 7 and "archived versions judged" in calls[-1].text()
    resumed = backfill(db, platform, document=maker.PRIVACY, dataset=str(dataset))
    assert reports[0].imported + resumed[0].imported == 5
    assert kinds() == maker.EXPECTED  # the same verdicts as one uninterrupted run


def test_bad_input_is_refused_before_anything_is_touched(db: peewee.Database, platform: str,
                                                         dataset: Path, tmp_path: Path) -> None:
    backfill(db, platform, document=maker.TERMS, dataset=str(dataset))
    before = _state()
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(dataset.read_bytes()[:-40])
    cases = [
        ({"dataset": str(corrupt)}, "corrupt"),
        ({"dataset": str(tmp_path / "absent.zip")}, "no dataset file"),
        ({"dataset": str(dataset), "service": "Nobody"}, "no service 'Nobody'"),
        ({"dataset": str(dataset), "document": "Cookie Policy"}, "no document 'Cookie Policy'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(BackfillError, match=message) as err:
            backfill(db, platform, **kwargs)  # type: ignore[arg-type]
        assert "\n" not in str(err.value)
    with pytest.raises(BackfillError, match="not watched|no platform"):
        backfill(db, "no-such-platform", dataset=str(dataset))
    assert _state() == before


def _state() -> list[tuple]:
    return [tuple(Version.select(Version.id, Version.sha256, Version.current).tuples()),
            tuple(Change.select(Change.id).tuples()), tuple(Check.select(Check.id).tuples())]


def _serve_policy(server: LoopbackServer, markdown: str) -> None:
    server.route("/site/privacy", page_html(markdown))
    server.route("/site/terms", page_html(maker.TERMS_HISTORY[-1][1]))


def test_first_live_capture_is_compared_with_the_archive_and_never_alerts(
        db: peewee.Database, platform: str, dataset: Path, server: LoopbackServer) -> None:
    backfill(db, platform, dataset=str(dataset))
    latest = maker.PRIVACY_HISTORY[5][1]
    _serve_policy(server, latest)
    doc = Document.get(Document.type == maker.PRIVACY)
    with Monitor(db, Fetcher(), confirm_delay_s=0) as monitor:
        result = monitor.check(doc)
    assert result.outcome is Outcome.FIRST and result.change is None
    assert result.code == Code.ARCHIVE_MATCH
    assert result.reason == "first live capture: matches Open Terms Archive's record of 2024-05-01"
    live = Version.get_by_id(result.version_id)
    assert live.origin == "live" and live.current and live.kind == "first"
    assert Check.get(Check.version == live).detail["archive_date"] == "2024-05-01"
    assert AlertCenter(db, []).handle_result(doc.id, result) == []
    # the diff works across the two origins (v5 archived, v6 live)
    assert "v5" in diff_report(platform, maker.PRIVACY, 5, 6, "text")
    # from now on the app alerts on its own captures
    _serve_policy(server, maker.policy(retention="two years", ai_clause=True))
    with Monitor(db, Fetcher(), confirm_delay_s=0) as monitor:
        changed = monitor.check(doc)
    assert changed.outcome is Outcome.CHANGED and changed.change is not None


def test_a_live_capture_that_differs_from_the_archive_says_how_much(
        db: peewee.Database, platform: str, dataset: Path, server: LoopbackServer) -> None:
    backfill(db, platform, document=maker.PRIVACY, dataset=str(dataset))
    _serve_policy(server, maker.policy(retention="two years", ai_clause=True))
    doc = Document.get(Document.type == maker.PRIVACY)
    with Monitor(db, Fetcher(), confirm_delay_s=0) as monitor:
        result = monitor.check(doc)
    assert result.outcome is Outcome.FIRST and result.code == Code.ARCHIVE_DIFFERS
    assert result.reason.startswith("first live capture: differs from Open Terms Archive's "
                                    "record of 2024-05-01 in 1 paragraph")
    assert Change.select().where(Change.to_version == result.version_id).count() == 0
    assert kinds()[-1] == "first" and version_history(platform, maker.PRIVACY)[-1]["origin"] \
        == "live"


def test_an_archive_older_than_the_live_captures_slots_in_before_them(
        db: peewee.Database, platform: str, dataset: Path, server: LoopbackServer) -> None:
    _serve_policy(server, maker.policy(retention="two years", ai_clause=True))
    doc = Document.get(Document.type == maker.PRIVACY)
    with Monitor(db, Fetcher(), confirm_delay_s=0) as monitor:
        live_id = monitor.check(doc).version_id
    reports = backfill(db, platform, document=maker.PRIVACY, dataset=str(dataset))
    assert reports[0].live_note == ("the app's latest capture differs from Open Terms "
                                    "Archive's record of 2024-05-01 in 1 paragraph")
    history = version_history(platform, maker.PRIVACY)
    assert [h["origin"] for h in history] == ["open-terms-archive"] * 5 + ["live"]
    assert Version.get_by_id(live_id).current  # the app's own capture stays current
    assert "v6" in diff_report(platform, maker.PRIVACY, None, None, "text")


def test_imported_changes_are_never_notified(db: peewee.Database, platform: str,
                                             dataset: Path) -> None:
    from watcher_app.digest import build_digest
    from watcher_app.ui.queries import sidebar_status

    backfill(db, platform, dataset=str(dataset))
    Change.update(effective_date="2024-03-01").execute()  # reminders would be due today
    center = AlertCenter(db, [])
    assert center.due_reminders(dt.date.today()) == []
    newest = Change.select(peewee.fn.MAX(Change.detected_at)).scalar()
    assert build_digest(newest + dt.timedelta(days=1)).changes == []
    assert all(p.unread == 0 for p in sidebar_status())


def test_latest_published_dataset_from_the_release_api(db: peewee.Database, platform: str,
                                                       dataset: Path, server: LoopbackServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    served = RangeFile(dataset.read_bytes())
    server.handler("/assets/example-versions.zip", served)
    # GitHub answers the download URL with a redirect to its asset host
    server.route("/download/2024-06-02/example-versions.zip", status=302,
                 headers={"Location": server.url("/assets/example-versions.zip")})
    release = {"tag_name": "2024-06-02", "assets": [
        {"name": "notes.txt", "size": 10, "browser_download_url": server.url("/notes.txt")},
        {"name": "example-versions.zip", "size": len(dataset.read_bytes()),
         "browser_download_url": server.url("/download/2024-06-02/example-versions.zip")}]}
    server.handler("/api/repos/OpenTermsArchive/examples-versions/releases/latest",
                   lambda req: Route(body=json.dumps(release).encode(),
                                     content_type="application/json"))
    monkeypatch.setenv("GOVERNANCE_WATCHER_OTA_API", server.url("/api"))
    reports = backfill(db, platform, document=maker.TERMS, collection="examples")
    assert reports[0].imported == 2
    version = Version.select().where(Version.origin == "open-terms-archive").first()
    assert version.provenance["release"] == "2024-06-02"
    assert version.provenance["collection"] == "examples"
    with pytest.raises(BackfillError, match="no dataset for the collection 'nothing'"):
        backfill(db, platform, collection="nothing")


def test_a_flap_back_to_an_archived_text_still_alerts_the_next_change(
        db: peewee.Database, platform: str, server: LoopbackServer, tmp_path: Path) -> None:
    """After the first live capture, the page returns to a recent archived text (a flap: the
    archived version becomes current again); a real change after that is an alert, not another
    "first live capture"."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    older, newer = (now - dt.timedelta(days=d) for d in (20, 10))
    a, b = maker.policy(), maker.policy(retention="ninety days")
    recent = tmp_path / "recent.zip"
    stamp = "%Y-%m-%dT%H-%M-%SZ"
    recent.write_bytes(maker.dataset_zip({(maker.SERVICE, maker.PRIVACY): [
        (older.strftime(stamp), a, "first"), (newer.strftime(stamp), b, "change")]}))
    backfill(db, platform, document=maker.PRIVACY, dataset=str(recent))
    doc = Document.get(Document.type == maker.PRIVACY)
    outcomes = []
    with Monitor(db, Fetcher(), confirm_delay_s=0) as monitor:
        for markdown in (b, a, maker.policy(retention="five years")):
            _serve_policy(server, markdown)
            outcomes.append(monitor.check(Document.get_by_id(doc.id)).outcome)
    assert outcomes == [Outcome.FIRST, Outcome.FLAP, Outcome.CHANGED]


def test_the_service_id_comes_from_the_catalogue_origin(db: peewee.Database) -> None:
    """The catalogue records each bundled platform's OTA origin (`_ota`); without one, the
    platform's name and then its id are tried."""
    from watcher_app.backfill.run import ota_identity
    from watcher_app.store.models import Platform

    declared = Platform(id="anthropic", name="Anthropic (Claude)", origin="imported",
                        declaration={"name": "Anthropic (Claude)", "terms": {},
                                     "_ota": {"collection": "genai-eu", "service": "Claude.ai",
                                              "licence": "AGPL-3.0",
                                              "also": [{"collection": "genai-contrib",
                                                        "service": "Claude"}]}})
    identity = ota_identity(declared)
    assert identity.services == ("Claude.ai", "Claude", "Anthropic (Claude)", "anthropic")
    assert identity.collection == "genai-eu"
    plain = Platform(id="acme", name="Acme Cloud", origin="custom", declaration={})
    assert ota_identity(plain).services == ("Acme Cloud", "acme")
    assert ota_identity(plain).collection is None
    synced = Platform(id="booking.com", name="Booking", origin="ota:contrib", declaration={})
    assert ota_identity(synced).collection == "contrib"
    bundled = Platform(id="anthropic", name="Anthropic (Claude)", origin="bundled",
                       declaration={})
    assert ota_identity(bundled).services[0] == "Claude.ai"

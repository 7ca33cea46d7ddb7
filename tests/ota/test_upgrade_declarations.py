"""A watched document whose OTA declaration was replaced follows the newer one after a
catalogue update, recorded as a technical upgrade and never as an alert; a hand-written
declaration is never replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tests.ota.helpers import make_archive
from tests.support.watch_db import add_document
from watcher_app.capture import Capture, SourceCapture
from watcher_app.drift import SWITCH_KEY, pending_switch
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.ota.sync import update_catalog
from watcher_app.ota.upgrade import upgrade_declarations
from watcher_app.outcomes import VersionKind
from watcher_app.recorder import Recorder
from watcher_app.store.models import Change, Check, Document, Setting, Version, utcnow

URL = "https://acme.example/terms"  # OTA declarations are https and public only
POLICY = ("Acme Terms of Service. These terms govern your use of the Acme service and form a "
          "contract between you and Acme. You must be at least sixteen years old to use it. "
          "We may suspend accounts that break these terms after notice by email. ")


def old_source(select: str = ".old") -> dict:
    return {"url": URL, "select": [select], "remove": [], "executeClientScripts": False}


def install(tmp_path: Path, data_dir: Path) -> None:
    """Acme's terms: `#legal` now; `.old` until 2025 (in the history)."""
    archive = tmp_path / "src" / "alpha-declarations-main.zip"
    archive.parent.mkdir()
    archive.write_bytes(make_archive("alpha", {"Acme": {"name": "Acme", "terms": {
        "Terms of Service": {"fetch": URL, "select": ["#legal"]}}}},
        history={"Acme": {"Terms of Service": [
            {"fetch": URL, "select": [".old"], "validUntil": "2025-01-01T00:00:00Z"}]}}))
    assert update_catalog(data_dir, [str(archive)])[0].status == "updated"


def store_first_version(db, doc: Document, page: bytes, lines: list[str]) -> None:
    # The stored version is recorded directly (its URL is a public https one, never fetched
    # in tests); everything after is the app's own code.
    cap = Capture(sources=[SourceCapture(URL, 200, {}, "text/html", page)], lines=lines)
    Recorder(db).version(doc, cap, utcnow(), None, VersionKind.FIRST, "first-version",
                         "first version")


@pytest.fixture
def data_dir(db) -> Path:
    return Path(db.database).parent


def test_a_replaced_declaration_is_followed_and_the_stored_page_re_read(
        db, data_dir: Path, tmp_path: Path) -> None:
    doc = add_document("acme", "Terms of Service", sources=[old_source()])
    page = (f"<html><body><div class='old'><p>{POLICY}</p></div><div id='legal'><p>{POLICY}"
            f"</p><p>Last updated 1 March 2026.</p></div></body></html>").encode()
    store_first_version(db, doc, page, [POLICY.strip()])
    install(tmp_path, data_dir)
    switched = upgrade_declarations(db, data_dir)
    assert [(s.label, s.collection, s.reread) for s in switched] == [
        ("Acme Terms of Service", "alpha", True)]
    doc = Document.get_by_id(doc.id)
    assert doc.sources[0]["select"] == ["#legal"]
    kinds = [v.kind for v in Version.select().order_by(Version.id)]
    assert kinds == ["first", "upgrade"] and Change.select().count() == 0
    check = Check.select().order_by(Check.id.desc()).get()
    assert (check.outcome, check.code) == ("upgrade", "declaration-upgrade")
    assert "newer alpha declaration" in check.reason
    # Done once: the next update switches nothing.
    assert upgrade_declarations(db, data_dir) == []


def test_a_hand_written_declaration_is_never_replaced(db, data_dir: Path,
                                                      tmp_path: Path) -> None:
    add_document("acme", "Terms of Service", sources=[old_source(".my-own-selector")])
    install(tmp_path, data_dir)
    assert upgrade_declarations(db, data_dir) == []
    assert Document.get().sources[0]["select"] == [".my-own-selector"]


def test_without_a_readable_snapshot_the_next_capture_is_the_new_baseline(
        db, data_dir: Path, tmp_path: Path) -> None:
    doc = add_document("acme", "Terms of Service", sources=[old_source()])
    install(tmp_path, data_dir)
    (item,) = upgrade_declarations(db, data_dir)
    assert not item.reread and "next capture is the new baseline" in item.line()
    assert pending_switch(Document.get_by_id(doc.id))


def test_the_first_differing_capture_after_a_switch_never_alerts(
        db, server: LoopbackServer) -> None:
    server.route("/terms", f"<html><body><main><p>{POLICY}</p></main></body></html>".encode())
    doc = add_document("acme", "Terms of Service", sources=[
        {"url": server.url("/terms"), "select": ["main"]}])
    with Monitor(db, Fetcher(retries=0, timeout_s=2, sleep=lambda s: None),
                 confirm_delay_s=0) as monitor:
        assert monitor.check(doc).status == "first"
        # as upgrade_declarations leaves a switch whose old snapshot could not be re-read
        Setting.create(key=SWITCH_KEY.format(document=doc.id),
                       value={"reason": "technical upgrade: switched (no alert)"})
        server.route("/terms", f"<html><body><main><p>{POLICY}</p><p>A paragraph the new "
                               f"declaration also reads, about support hours.</p></main>"
                               f"</body></html>".encode())
        result = monitor.check(Document.get_by_id(doc.id))
        assert (result.outcome, result.code) == ("upgrade", "declaration-upgrade"), result
        assert Change.select().count() == 0 and pending_switch(doc) is None
        # after the baseline, changes alert as always
        server.route("/terms", f"<html><body><main><p>{POLICY.replace('sixteen', 'thirteen')}"
                               f"</p><p>A paragraph the new declaration also reads, about "
                               f"support hours.</p></main></body></html>".encode())
        assert monitor.check(Document.get_by_id(doc.id)).status == "changed"

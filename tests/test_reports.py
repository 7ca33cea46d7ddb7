"""The read side shared by the command line and the app (reports.py): versions found by their
number within each document, the version history with the app's verdicts, the check history
with its changes, diffs as text / HTML / JSON, and `verify`. Versions are recorded by the real
monitor from the loopback server into a real SQLite file, on a clock stepped a day per check."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib

import pytest

from tests.loopback import LoopbackServer
from watcher_app import clock
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Origin, VersionKind
from watcher_app.reports import (
    NotFound,
    diff_report,
    find_version,
    history,
    previous_version,
    verify,
    version_history,
)
from watcher_app.store import content
from watcher_app.store.models import Change, Chunk, Document, Snapshot, Version
from watcher_app.watchlist import add_custom

CLAUSES = [
    "We collect the name, email address and payment details you give us when you register.",
    "We use your data to provide and secure the service and to answer your requests.",
    "We share personal data only with the processors that host and support the service.",
    "We keep your conversations for thirty days after you delete them, then remove them.",
    "You may ask for a copy of your data, have it corrected or deleted, at any time.",
]
START = dt.datetime(2026, 3, 1, 9, 0)


def policy(clauses: list[str], title: str) -> str:
    body = "".join(f"<p>{c}</p>" for c in clauses)
    return f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main>" \
           "</body></html>"


def reworded(k: int, old: str, new: str) -> list[str]:
    out = list(CLAUSES)
    out[k] = out[k].replace(old, new)
    return out


@pytest.fixture
def recorded(db, server: LoopbackServer, quick_fetcher, monkeypatch):  # noqa: ANN001
    """Two documents of one platform, their checks interleaved so that row ids and per-document
    numbers differ: Privacy v1, Terms v1, Privacy v2 (a change), Terms noise, Privacy blocked,
    Privacy v3 (a change), one day apart from 2026-03-01."""
    now = [START - dt.timedelta(days=1)]  # each check moves it a day on, the first to START
    monkeypatch.setattr(clock, "clock_override", lambda: now[0])
    server.route("/privacy", policy(CLAUSES, "Privacy Policy"))
    server.route("/terms", policy(CLAUSES, "Terms of Service"))
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"},
        "Terms of Service": {"fetch": server.url("/terms"), "select": "main"}}})
    privacy, terms = (Document.get(Document.type == t) for t in ("Privacy Policy",
                                                                  "Terms of Service"))
    with Monitor(db, quick_fetcher, confirm_delay_s=0, sleep=lambda s: None) as monitor:

        def check(doc: Document, html: str | None = None, path: str = "/privacy") -> str:
            now[0] += dt.timedelta(days=1)
            if html is not None:
                server.route(path, html)
            return str(monitor.check(Document.get_by_id(doc.id)).status)

        assert check(privacy) == "first"
        assert check(terms) == "first"
        assert check(privacy, policy(reworded(3, "thirty days", "five years"),
                                     "Privacy Policy")) == "changed"
        assert check(terms, policy([c.replace(",", ";") for c in CLAUSES], "Terms of Service"),
                     "/terms") == "unchanged"
        assert check(privacy, "<html><head><title>Just a moment...</title></head></html>") \
            == "blocked"
        third = reworded(3, "thirty days", "five years")
        third[2] = third[2].replace("only with the processors", "with advertisers and partners")
        assert check(privacy, policy(third, "Privacy Policy")) == "changed"
    return Document.get_by_id(privacy.id), Document.get_by_id(terms.id)


def test_find_version_counts_within_each_document(recorded) -> None:  # noqa: ANN001
    privacy, terms = recorded
    ids = [v.id for v in Version.select().order_by(Version.id)]
    assert len(ids) == 5  # privacy v1, terms v1, privacy v2, terms noise, privacy v3
    assert [find_version("acme", "Privacy Policy", n).id for n in (1, 2, 3)] == [
        ids[0], ids[2], ids[4]]
    assert [find_version("acme", "terms of service", n).id for n in (1, 2)] == [ids[1], ids[3]]
    assert find_version("acme", "PRIVACY POLICY").id == ids[4]  # no number: the current one
    assert find_version("acme", "Terms of Service").kind == VersionKind.NOISE
    with pytest.raises(NotFound, match=r"has no version 4 \(it has v1–v3\)"):
        find_version("acme", "Privacy Policy", 4)
    with pytest.raises(NotFound, match="has no version 0"):
        find_version("acme", "Privacy Policy", 0)
    with pytest.raises(NotFound, match=r"no platform 'nobody'"):
        find_version("nobody", "Privacy Policy")
    with pytest.raises(NotFound, match=r"has no document 'Cookies' \(it has: Privacy Policy, "
                                       r"Terms of Service\)"):
        find_version("acme", "Cookies")
    Version.delete().where(Version.document == terms.id).execute()
    with pytest.raises(NotFound, match="Terms of Service has no version yet"):
        find_version("acme", "Terms of Service")


def test_version_history_gives_the_verdicts_in_time_order(recorded) -> None:  # noqa: ANN001
    privacy, _ = recorded
    rows = version_history("acme", "Privacy Policy")
    assert [(r["version"], r["kind"], r["captured_at"]) for r in rows] == [
        (1, "first", "2026-03-01T09:00:00Z"), (2, "change", "2026-03-03T09:00:00Z"),
        (3, "change", "2026-03-06T09:00:00Z")]
    assert rows[0]["severity"] is None and rows[0]["categories"] == []
    change = Change.get(Change.to_version == find_version("acme", "Privacy Policy", 2))
    assert rows[1]["severity"] == change.severity and rows[1]["summary"] == change.summary
    assert rows[1]["categories"] == list(change.categories or [])
    assert all(r["origin"] == Origin.LIVE for r in rows)
    assert rows[2]["sha256"] == hashlib.sha256(find_version(
        "acme", "Privacy Policy").text.encode()).hexdigest()
    terms = version_history("acme", "Terms of Service")
    assert [r["kind"] for r in terms] == ["first", "noise"]
    # an imported version from before the app's first capture slots in as v1; an upgrade
    # (a technical re-reading) reads as noise
    Version.update(kind=VersionKind.UPGRADE).where(
        Version.id == find_version("acme", "Privacy Policy", 2).id).execute()
    Version.create(document=privacy, text="An archived text.", sha256="0" * 64,
                   key_sha256="0" * 64, extractor_version=1, kind=VersionKind.FIRST,
                   first_seen=START - dt.timedelta(days=400), origin=Origin.OPEN_TERMS_ARCHIVE)
    rows = version_history("acme", "Privacy Policy")
    assert [(r["version"], r["origin"], r["kind"]) for r in rows] == [
        (1, "open-terms-archive", "first"), (2, "live", "first"), (3, "live", "noise"),
        (4, "live", "change")]
    assert find_version("acme", "Privacy Policy", 1).text == "An archived text."


def test_history_lists_every_check_newest_first(recorded) -> None:  # noqa: ANN001
    rows = history("acme")
    assert [(r["document"], r["outcome"]) for r in rows] == [
        ("Privacy Policy", "changed"), ("Privacy Policy", "blocked"),
        ("Terms of Service", "noise"), ("Privacy Policy", "changed"),
        ("Terms of Service", "first"), ("Privacy Policy", "first")]
    assert rows[0]["at"] == "2026-03-06 09:00:00"
    newest, blocked, noise = rows[0], rows[1], rows[2]
    assert newest["version"] == 3 and newest["change"]["from"] == 2
    assert newest["change"]["to"] == 3 and newest["change"]["stats"]
    assert blocked["version"] is None and blocked["change"] is None
    assert blocked["code"] == "bot-challenge" and blocked["reason"].startswith("bot challenge")
    assert noise["version"] == 2 and noise["change"] is None  # terms v2: noise, no change
    only = history("acme", "privacy policy")
    assert [r["version"] for r in only] == [3, None, 2, 1]
    with pytest.raises(NotFound):
        history("nobody")
    with pytest.raises(NotFound):
        history("acme", "Cookies")


def test_diff_report_in_text_html_and_json(recorded) -> None:  # noqa: ANN001
    text = diff_report("acme", "Privacy Policy", None, None, "text")
    header, body = text.split("\n", 1)
    assert header == "acme / Privacy Policy: v2 (2026-03-03) → v3 (2026-03-06)"
    assert "advertisers and partners" in body
    data = json.loads(diff_report("acme", "Privacy Policy", 1, 3, "json"))
    assert (data["from"], data["to"], data["changed"]) == (1, 3, True)
    assert data["chunks"] and data["stats"]
    html = diff_report("acme", "Privacy Policy", 1, 2, "html")
    assert "v1 · 2026-03-01 09:00" in html and "v2 · 2026-03-03 09:00" in html
    assert diff_report("acme", "Privacy Policy", None, 2, "text").startswith(
        "acme / Privacy Policy: v1 (2026-03-01) → v2 (2026-03-03)")
    with pytest.raises(NotFound, match="version 1 is the first"):
        diff_report("acme", "Privacy Policy", None, 1, "text")
    # a version stored before extraction dropped control characters: none reach the terminal
    latest = find_version("acme", "Privacy Policy")
    latest.text = latest.text + "\nA line with an escape \x1b[31m inside."
    latest.save()  # the text is stored in compressed chunks: written through the model
    coloured = diff_report("acme", "Privacy Policy", None, None, "text")
    assert "\x1b[31m" not in coloured and "A line with an escape" in coloured


def test_previous_version_follows_changes_then_time(recorded) -> None:  # noqa: ANN001
    _, terms = recorded
    v3 = find_version("acme", "Privacy Policy", 3)
    assert previous_version(v3) == find_version("acme", "Privacy Policy", 2)
    noise = find_version("acme", "Terms of Service", 2)  # no change links it: time decides
    assert previous_version(noise) == find_version("acme", "Terms of Service", 1)
    assert previous_version(find_version("acme", "Terms of Service", 1)) is None


def test_verify_rehashes_every_text_and_snapshot(db, recorded) -> None:  # noqa: ANN001
    privacy, _ = recorded
    problems, counted = verify(db)
    assert problems == [] and counted == {"versions": 5, "snapshots": Snapshot.select().count()}
    assert counted["snapshots"] >= 3
    v1 = find_version("acme", "Privacy Policy", 1)
    Version.update(sha256=hashlib.sha256(b"tampered").hexdigest()).where(
        Version.id == v1.id).execute()
    # snapshots live in compressed chunks: corrupt one chunk, and rewrite another validly
    snaps = list(Snapshot.select().order_by(Snapshot.id))
    first = content.unpack(snaps[0].raw_chunks)[0]
    Chunk.update(data=b"not zlib").where(Chunk.id == first).execute()
    other = content.unpack(snaps[1].raw_chunks)[0]
    Chunk.update(data=zlib.compress(b"other bytes")).where(Chunk.id == other).execute()
    # a change pointing at another document's version
    change = Change.get(Change.document == privacy)
    Change.update(to_version=find_version("acme", "Terms of Service", 1)).where(
        Change.id == change.id).execute()
    problems, _ = verify(db)
    assert problems[1].startswith(
        f"snapshot {snaps[0].id}: compressed bytes are corrupt (chunk {first} is corrupt")
    problems[1] = "corrupt"
    assert problems == [
        f"version {v1.id}: text does not match its SHA-256", "corrupt",
        f"snapshot {snaps[1].id}: bytes do not match their SHA-256",
        "1 change(s) point at a version of another document"]

"""Exports: a ZIP whose SHA256SUMS `sha256sum -c` verifies, a manifest, reports, citations."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tests.paths import PAGES
from tests.support.setup import add_custom_doc, make_fetcher
from watcher_app.export import citation, export_platform, timeline_csv
from watcher_app.monitor import Monitor
from watcher_app.store.models import Change, Document, Version


@pytest.fixture
def history(db, server: LoopbackServer) -> Document:
    server.route("/p", (PAGES / "base.html").read_bytes())
    doc = add_custom_doc(db, server.url("/p"))
    with Monitor(db, make_fetcher(), confirm_delay_s=0) as monitor:
        monitor.check(doc)
        server.route("/p", (PAGES / "changed.html").read_bytes())
        assert monitor.check(doc).status == "changed"
        server.route("/p", b"oops", status=503)
        monitor.check(doc)
    return doc


def test_export_zip_verifies_with_sha256sum(history: Document, tmp_path: Path) -> None:
    out = export_platform("acme", tmp_path / "acme.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    doc = manifest["documents"][0]
    assert manifest["platform"] == {"id": "acme", "name": "Acme Cloud"}
    assert len(doc["versions"]) == 2 and len(doc["changes"]) == 1
    for version in doc["versions"]:
        assert (folder / version["file"]).read_text() == Version.get_by_id(version["id"]).text
        assert version["snapshots"] and version["snapshots"][0]["http_status"] == 200
    report = (folder / doc["changes"][0]["report"]).read_text()
    assert "Acme Cloud — Privacy Policy changed" in report and "train" in report
    if shutil.which("sha256sum"):
        run = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                             text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.count(": OK") == len(list(folder.rglob("*"))) - sum(
            1 for p in folder.rglob("*") if p.is_dir()) - 1  # every file but SHA256SUMS


def test_tampered_export_fails_verification(history: Document, tmp_path: Path) -> None:
    if not shutil.which("sha256sum"):
        pytest.skip("sha256sum (coreutils) is not installed")
    out = export_platform("acme", tmp_path / "acme.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    victim = next((folder / "privacy-policy" / "versions").iterdir())
    victim.write_text(victim.read_text() + " (edited)")
    run = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True)
    assert run.returncode != 0


def test_citation_and_timeline(history: Document) -> None:
    change = Change.get()
    text = citation(change.to_version)
    for part in ("Acme Cloud", "Privacy Policy", change.to_version.sha256, "Governance Watcher",
                 "http://127.0.0.1"):
        assert part in text
    rows = list(csv.DictReader(io.StringIO(timeline_csv(history))))
    assert [r["outcome"] for r in rows] == ["first", "changed", "error"]
    assert rows[1]["change"] == str(change.id)


def test_exports_keep_the_app_reading_and_the_user_correction(history: Document,
                                                              tmp_path: Path) -> None:
    from watcher_app.corrections import correct_change

    change = Change.get()
    app_severity, app_categories = change.severity, list(change.categories)
    other = "low" if app_severity != "low" else "high"
    correct_change(change.id, severity=other, categories="minors",
                   note="Checked with <b>legal</b> & counsel")
    out = export_platform("acme", tmp_path / "acme.zip")
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        [entry] = manifest["documents"][0]["changes"]
        report = archive.read(entry["report"]).decode()
        csv_rows = list(csv.DictReader(io.StringIO(
            archive.read("privacy-policy/timeline.csv").decode())))
        json_rows = json.loads(archive.read("privacy-policy/timeline.json"))
    # manifest: the app's fields as recorded, the user's beside them
    assert (entry["severity"], entry["categories"]) == (app_severity, app_categories)
    assert (entry["user_severity"], entry["user_categories"]) == (other, ["minors"])
    assert entry["user_note"] == "Checked with <b>legal</b> & counsel"
    assert entry["corrected_at"].endswith("Z") and entry["severity_reason"]
    # report.html: both readings, labelled; the note escaped
    assert "<h2>Your correction</h2>" in report and "<h2>The app's reading</h2>" in report
    assert f"<b>Severity (yours):</b> {other.title()}" in report
    assert f"(the app said {app_severity.title()})" in report
    assert f"<b>Severity (the app's):</b> {app_severity.title()}" in report
    assert "<b>Categories (yours):</b> minors" in report
    assert "Checked with &lt;b&gt;legal&lt;/b&gt; &amp; counsel" in report
    # timeline CSV and JSON: the app's columns unchanged, the user's next to them
    for rows in (csv_rows, json_rows):
        [changed] = [r for r in rows if r["change"] not in ("", None)]
        assert changed["severity"] == app_severity
        assert (changed["user_severity"], changed["user_categories"]) == (other, "minors")
        assert changed["user_note"].startswith("Checked with") and changed["corrected_at"]
        assert [r["user_severity"] for r in rows if r is not changed] == ["", ""]

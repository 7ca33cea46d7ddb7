"""`governance-watcher correct` and what `history` prints of a change's severity: run as a real
process on a real database holding an analysed AI-training flip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.judged import HOSTILE, WHY, add_flip
from tests.support.watch_db import add_document, fresh_database
from tests.test_cli import gw
from watcher_app.store.models import Change


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, int]:
    """A data folder with one analysed change (v1 → v2 of acme's Privacy Policy)."""
    folder = tmp_path / "home"
    db = fresh_database(folder)
    change = add_flip(add_document("acme", "Privacy Policy", platform_name="Acme"))
    add_document("acme", "Terms of Service", platform_name="Acme")
    db.close()
    return folder, change.id


def _stored(folder: Path, change_id: int) -> Change:
    db = fresh_database(folder)
    try:
        return Change.get_by_id(change_id)
    finally:
        db.close()


def test_correct_by_id_then_by_version_and_reset(home: tuple[Path, int]) -> None:
    folder, change_id = home
    out = gw(folder, "correct", "acme", "--document", "privacy policy", "--change",
             str(change_id), "--severity", "Medium", "--categories", "ai-training,minors",
             "--note", "Only for EU users")
    assert out.returncode == 0, out.stderr
    assert f"change #{change_id} corrected" in out.stdout
    assert "Severity: Medium (your rating; the app said High)" in out.stdout
    stored = _stored(folder, change_id)
    assert (stored.user_severity, stored.user_categories, stored.user_note) == (
        "medium", ["ai-training", "minors"], "Only for EU users")
    assert (stored.severity, stored.categories) == ("high", ["ai-training", "data-retention"])

    # "v2": the change that produced version 2, as `history --versions` numbers it; only the
    # flags given change, the note stays
    out = gw(folder, "correct", "acme", "--document", "Privacy Policy", "--change", "v2",
             "--severity", "low", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["change"] == change_id and data["severity"] == "high"  # the app's, kept
    assert (data["user_severity"], data["user_categories"], data["user_note"]) == (
        "low", ["ai-training", "minors"], "Only for EU users")
    assert data["corrected_at"].endswith("Z")

    out = gw(folder, "correct", "acme", "--document", "Privacy Policy", "--change",
             str(change_id), "--reset")
    assert out.returncode == 0 and "reset to the app's reading" in out.stdout
    stored = _stored(folder, change_id)
    assert (stored.user_severity, stored.user_categories, stored.user_note,
            stored.corrected_at) == (None, None, None, None)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--severity", "critical"], 2, "unknown severity 'critical': use high, medium or low"),
    (["--categories", "ai-training,cookies"], 2, "unknown topic 'cookies': use ai-training"),
    (["--categories", ""], 2, "give at least one topic"),
    ([], 2, "give --severity, --categories or --note (or --reset)"),
    (["--reset", "--severity", "low"], 2, "--reset goes alone"),
])
def test_bad_flags_are_usage_errors_and_store_nothing(home: tuple[Path, int], args: list[str],
                                                      code: int, message: str) -> None:
    folder, change_id = home
    out = gw(folder, "correct", "acme", "--document", "Privacy Policy", "--change",
             str(change_id), *args)
    assert out.returncode == code and message in out.stderr
    assert len([line for line in out.stderr.splitlines() if "error:" in line]) == 1
    assert _stored(folder, change_id).corrected_at is None


@pytest.mark.parametrize(("platform", "document", "change", "message"), [
    ("nope", "Privacy Policy", "1", "no platform 'nope'"),
    ("acme", "Cookie Policy", "1", "acme has no document 'Cookie Policy'"),
    ("acme", "Terms of Service", "{id}", "acme / Terms of Service has no change {id}"),
    ("acme", "Privacy Policy", "v1", "no change produced version v1"),
    ("acme", "Privacy Policy", "twelve", "give a change id (e.g. 12) or the version"),
])
def test_unknown_changes_are_refused(home: tuple[Path, int], platform: str, document: str,
                                     change: str, message: str) -> None:
    folder, change_id = home
    out = gw(folder, "correct", platform, "--document", document, "--change",
             change.format(id=change_id), "--severity", "low")
    assert out.returncode == 1
    assert message.format(id=change_id) in out.stderr
    assert _stored(folder, change_id).corrected_at is None


def test_history_prints_the_reason_and_the_correction(home: tuple[Path, int]) -> None:
    folder, change_id = home
    versions = gw(folder, "history", "acme", "--document", "Privacy Policy", "--versions")
    assert versions.returncode == 0, versions.stderr
    assert "[High]" in versions.stdout
    assert f"change #{change_id} · Severity: High" in versions.stdout
    assert f"Why: {WHY}" in versions.stdout
    assert gw(folder, "correct", "acme", "--document", "Privacy Policy", "--change",
              str(change_id), "--severity", "medium", "--note", "seen").returncode == 0
    versions = gw(folder, "history", "acme", "--document", "Privacy Policy", "--versions")
    assert "[Medium (yours)]" in versions.stdout
    assert "Severity: Medium (your rating; the app said High)" in versions.stdout
    assert "Why the app said High:" in versions.stdout and "Your note: seen" in versions.stdout

    data = json.loads(gw(folder, "history", "acme", "--document", "Privacy Policy",
                         "--versions", "--json").stdout)
    changed = data[1]
    assert changed["change"] == change_id and changed["severity"] == "high"
    assert (changed["user_severity"], changed["user_categories"], changed["user_note"]) == (
        "medium", None, "seen")
    assert changed["corrected_at"] and HOSTILE in changed["severity_reason"]
    assert data[0]["user_severity"] is None and data[0]["change"] is None


def test_history_of_checks_prints_the_change_with_its_reason(tmp_path: Path) -> None:
    """A check that recorded the change (as the monitor writes it): `history` names the
    change, its severity and why; --json carries the correction fields."""
    from watcher_app.store.models import Check

    folder = tmp_path / "home"
    db = fresh_database(folder)
    change = add_flip(add_document("acme", "Privacy Policy", platform_name="Acme"))
    Check.create(document=change.document, outcome="first", version=change.from_version)
    Check.create(document=change.document, outcome="changed", version=change.to_version,
                 reason="confirmed by a second fetch")
    db.close()
    out = gw(folder, "history", "acme")
    assert out.returncode == 0, out.stderr
    assert f"    change #{change.id} · Severity: High" in out.stdout
    assert f"    Why: {WHY}" in out.stdout
    rows = json.loads(gw(folder, "history", "acme", "--json").stdout)
    [changed] = [r for r in rows if r["change"]]
    assert {"severity_reason", "user_severity", "user_categories", "user_note",
            "corrected_at"} <= set(changed["change"])


def test_check_prints_why_a_change_got_its_severity(tmp_path: Path, server) -> None:  # noqa: ANN001
    from tests.paths import PAGES

    server.route("/terms", (PAGES / "base.html").read_bytes())
    declaration = tmp_path / "acme.json"
    declaration.write_text(json.dumps({"name": "Acme", "documents": {
        "Terms of Service": {"fetch": server.url("/terms"), "select": "main"}}}))
    folder = tmp_path / "home"
    assert gw(folder, "import", str(declaration)).returncode == 0
    assert gw(folder, "check", "--confirm-delay", "0").returncode == 0
    server.route("/terms", (PAGES / "changed.html").read_bytes())
    out = gw(folder, "check", "--confirm-delay", "0")
    assert out.returncode == 0, out.stderr
    line, *details = [x for x in out.stdout.splitlines() if x.strip()]
    assert " changed " in line
    assert details[0].startswith("    change #") and "Severity: " in details[0]
    assert details[1].startswith("    Why: ")

"""The analysis as a user of the command line gets it: `check --json` against pages served on a
loopback server, for the flagship edits of issue 11 (training on by default, human review,
a notice period cut)."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

from tests.analysis.policies import AI_FEATURES, PRIVACY, swap
from tests.loopback import LoopbackServer
from watcher_app.store.db import open_database
from watcher_app.store.models import Change


def page(text: str) -> bytes:
    """A simple HTML page of a policy written in the normalised text format."""
    body = []
    items: list[str] = []
    for line in text.split("\n"):
        if line.startswith("- "):
            items.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if items:
            body.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        else:
            body.append(f"<p>{html.escape(line)}</p>")
    if items:
        body.append("<ul>" + "".join(items) + "</ul>")
    return ("<!doctype html><html><head><title>Policy</title></head><body><nav>Home</nav>"
            f"<main>{''.join(body)}</main></body></html>").encode()


def gw(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=120)


TRAINING = ("Content submitted through the AI Features is not used to train our models.",
            "Content submitted through the AI Features may be used to train our models unless "
            "you opt out.")
REVIEW = ("Conversations flagged by our safety systems are reviewed by automated systems.",
          "Conversations flagged by our safety systems are reviewed by our staff and "
          "contractors.")
NOTICE = ("We will notify you at least 30 days before changes to this policy take effect.",
          "We will notify you at least 7 days before changes to this policy take effect.")


def test_check_json_reports_the_analysis_of_the_flagship_edits(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with LoopbackServer() as server:
        server.route("/ai", page(AI_FEATURES))
        server.route("/privacy", page(PRIVACY))
        declaration = tmp_path / "lumen.json"
        declaration.write_text(json.dumps({"name": "Lumen", "documents": {
            "Generative AI Policy": {"fetch": server.url("/ai"), "select": "main"},
            "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"}}}))
        assert gw(home, "import", str(declaration)).returncode == 0
        first = gw(home, "check", "--json", "--confirm-delay", "0")
        assert first.returncode == 0, first.stderr
        assert {i["status"] for i in json.loads(first.stdout)} == {"first"}

        # AI training turned on by default, and people now read flagged conversations
        server.route("/ai", page(swap(swap(AI_FEATURES, *TRAINING), *REVIEW)))
        server.route("/privacy", page(swap(PRIVACY, *NOTICE)))
        second = gw(home, "check", "--json", "--confirm-delay", "0")
        assert second.returncode == 0, second.stderr
        got = {i["document"]: i for i in json.loads(second.stdout)}

    ai = got["Generative AI Policy"]
    assert ai["status"] == "changed"
    assert ai["severity"] == "high"
    assert ai["categories"] == ["ai-training", "data-sharing"]
    assert "may be used to train our models unless you opt out" in ai["summary"]

    privacy = got["Privacy Policy"]
    assert privacy["status"] == "changed"
    assert (privacy["severity"], privacy["categories"]) == ("medium", ["changes-to-terms"])
    assert "7 days" in privacy["summary"]

    # the stored analysis carries what the app shows: the reason quoting the clause, and
    # the findings with both versions of it
    db = open_database(home)
    try:
        stored = {c.document.type: c.analysis for c in Change.select()}
    finally:
        db.close()
    reason = stored["Generative AI Policy"]["severity_reason"]
    assert reason.startswith("High: “is not used to train” became “may be used to train")
    findings = stored["Generative AI Policy"]["findings"]
    assert {(f["topic"], f["level"], f["effect"]) for f in findings} >= {
        ("ai-training", "high", "worse"), ("data-sharing", "high", "worse")}
    assert all(f["old"] and f["new"] for f in findings if f["kind"] == "state")
    assert "30 days" in stored["Privacy Policy"]["severity_reason"]


def test_each_flagship_edit_alone(tmp_path: Path) -> None:
    """The human-review edit alone: high, data-sharing, reason naming who now reads."""
    home = tmp_path / "home"
    with LoopbackServer() as server:
        server.route("/ai", page(AI_FEATURES))
        declaration = tmp_path / "lumen.json"
        declaration.write_text(json.dumps({"name": "Lumen", "documents": {
            "Generative AI Policy": {"fetch": server.url("/ai"), "select": "main"}}}))
        assert gw(home, "import", str(declaration)).returncode == 0
        assert gw(home, "check", "--json", "--confirm-delay", "0").returncode == 0
        server.route("/ai", page(swap(AI_FEATURES, *REVIEW)))
        [item] = json.loads(gw(home, "check", "--json", "--confirm-delay", "0").stdout)
    assert (item["status"], item["severity"], item["categories"]) == (
        "changed", "high", ["data-sharing"])
    assert "staff and contractors" in item["summary"]

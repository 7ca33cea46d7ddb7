"""The command-line contract, run as a real process (as other tools and the replay run it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tests.paths import PAGES


def gw(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def declaration(tmp_path: Path, server: LoopbackServer) -> Path:
    server.route("/terms", (PAGES / "base.html").read_bytes())
    server.route("/privacy", (PAGES / "nonce.html").read_bytes())
    path = tmp_path / "acme-cloud.json"
    path.write_text(json.dumps({"name": "Acme Cloud", "documents": {
        "Terms of Service": {"fetch": server.url("/terms"), "select": ["main"]},
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"}}}))
    return path


def test_catalog_and_help(tmp_path: Path) -> None:
    out = gw(tmp_path, "catalog", "--json")
    assert out.returncode == 0
    ids = {p["id"] for p in json.loads(out.stdout)}
    assert {"anthropic", "openai", "x", "meta-ai"} <= ids
    helped = gw(tmp_path, "--help")
    assert helped.returncode == 0 and "check" in helped.stdout
    assert gw(tmp_path, "frobnicate").returncode == 2
    assert gw(tmp_path, "check", "--confirm-delay", "soon").returncode == 2


def test_watch_limit_refuses_the_eleventh(tmp_path: Path) -> None:
    ids = ["anthropic", "openai", "google-gemini", "meta-ai", "microsoft-copilot",
           "github-copilot", "xai-grok", "mistral", "perplexity", "deepseek"]
    assert gw(tmp_path, "watch", *ids).returncode == 0
    refused = gw(tmp_path, "watch", "x")
    assert refused.returncode == 1 and "at most 10 platforms" in refused.stderr
    listed = json.loads(gw(tmp_path, "watching", "--json").stdout)
    assert sorted(p["id"] for p in listed) == sorted(ids)
    assert gw(tmp_path, "unwatch", "deepseek").returncode == 0
    assert gw(tmp_path, "watch", "x").returncode == 0
    assert gw(tmp_path, "watch", "no-such-platform").returncode == 1


def test_import_check_history_diff_show_verify(tmp_path: Path, declaration: Path,
                                              server: LoopbackServer) -> None:
    home = tmp_path / "home"
    assert gw(home, "import", str(declaration)).returncode == 0
    first = gw(home, "check", "--json", "--confirm-delay", "0")
    assert first.returncode == 0, first.stderr
    items = json.loads(first.stdout)
    assert {(i["platform"], i["document"], i["status"]) for i in items} == {
        ("acme-cloud", "Terms of Service", "first"), ("acme-cloud", "Privacy Policy", "first")}
    for item in items:
        assert set(item) >= {"platform", "document", "status", "version", "sha256", "reason",
                             "severity", "categories", "summary", "effective_date"}
    server.route("/terms", (PAGES / "changed.html").read_bytes())
    server.route("/privacy", b"gone", status=404)
    second = {i["document"]: i for i in json.loads(
        gw(home, "check", "acme-cloud", "--json", "--confirm-delay", "0").stdout)}
    assert second["Terms of Service"]["status"] == "changed"
    assert second["Privacy Policy"]["status"] == "error"
    assert second["Privacy Policy"]["version"] is None

    history = json.loads(gw(home, "history", "acme-cloud", "--json").stdout)
    assert [h["outcome"] for h in history if h["document"] == "Terms of Service"] == [
        "changed", "first"]
    text = gw(home, "diff", "acme-cloud", "Terms of Service")
    assert text.returncode == 0 and "train" in text.stdout
    html = gw(home, "diff", "acme-cloud", "Terms of Service", "--format", "html").stdout
    assert html.lstrip().lower().startswith("<!doctype html")
    as_json = json.loads(gw(home, "diff", "acme-cloud", "Terms of Service", "--format",
                            "json").stdout)
    assert as_json["to"] == second["Terms of Service"]["version"]
    shown = gw(home, "show", "acme-cloud", "Terms of Service").stdout
    assert shown.startswith("# Privacy Policy")
    missing = gw(home, "show", "acme-cloud", "Cookie Policy")
    assert missing.returncode == 1 and "has no document" in missing.stderr
    verified = gw(home, "verify")
    assert verified.returncode == 0 and "OK" in verified.stdout


def test_verify_detects_tampering(tmp_path: Path, declaration: Path) -> None:
    import sqlite3

    home = tmp_path / "home"
    gw(home, "import", str(declaration))
    gw(home, "check", "--json", "--confirm-delay", "0")
    import zlib

    from watcher_app.store import content

    with sqlite3.connect(home / "watcher.sqlite3") as conn:
        # the text is stored compressed in chunks: edit one piece, validly compressed
        (chunks,) = conn.execute("SELECT text_chunks FROM version WHERE id = 1").fetchone()
        first = content.unpack(chunks)[0]
        (data,) = conn.execute("SELECT data FROM chunk WHERE id = ?", (first,)).fetchone()
        edited = zlib.compress(zlib.decompress(data) + b" (edited)")
        conn.execute("UPDATE chunk SET data = ? WHERE id = ?", (edited, first))
    out = gw(home, "verify")
    assert out.returncode == 1 and "version 1: text does not match its SHA-256" in out.stderr


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_home = tmp_path / "env-home"
    out = subprocess.run([sys.executable, "-m", "watcher_app", "watch", "anthropic"],
                         capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "GOVERNANCE_WATCHER_HOME": str(env_home)})
    assert out.returncode == 0
    assert (env_home / "watcher.sqlite3").exists()

"""`catalog --update [--source …]` and `catalog --json`, as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.loopback import LoopbackServer
from tests.ota.helpers import COLLECTIONS, fixture_archive, serve_fixtures


def gw(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def test_update_from_the_four_archives_then_list_420_services(tmp_path: Path) -> None:
    sources = [a for c in COLLECTIONS for a in ("--source", str(fixture_archive(c)))]
    out = gw(tmp_path, "catalog", "--update", *sources)
    assert out.returncode == 0, out.stderr
    assert "contrib: updated (" in out.stdout and "skipped Tagged.json: " in out.stdout
    listed = json.loads(gw(tmp_path, "catalog", "--json").stdout)
    assert len(listed) >= 420
    origins = {p["id"]: p["origin"] for p in listed}
    assert origins["anthropic"] == "bundled" and origins["alibaba.com"] == "ota:contrib"
    anthropic = next(p for p in listed if p["id"] == "anthropic")
    assert {"collection": "genai-eu", "service": "Claude.ai"} in anthropic["ota"]
    assert all(p["documents"] and p["name"] for p in listed)
    assert gw(tmp_path, "watch", "alibaba.com").returncode == 0
    watching = json.loads(gw(tmp_path, "watching", "--json").stdout)
    assert [(p["id"], p["origin"]) for p in watching] == [("alibaba.com", "ota:contrib")]


def test_update_json_and_failures(tmp_path: Path, server: LoopbackServer) -> None:
    urls = serve_fixtures(server)
    out = gw(tmp_path, "catalog", "--update", "--json", *[a for u in urls[:2]
                                                          for a in ("--source", u)],
             "--source", str(tmp_path / "missing.zip"))
    assert out.returncode == 1  # one source failed; the others were still read
    report = json.loads(out.stdout)
    assert [r["status"] for r in report] == ["updated", "updated", "failed"]
    assert report[0]["downloaded_bytes"] > 0 and report[0]["licence"] == "EUPL-1.2"
    assert "no such file" in report[2]["detail"]
    assert gw(tmp_path, "catalog", "--source", urls[0]).returncode == 2  # needs --update
    bundled_only = json.loads(gw(tmp_path / "fresh", "catalog", "--json").stdout)
    assert {p["origin"] for p in bundled_only} == {"bundled"}
    assert not (tmp_path / "fresh" / "watcher.sqlite3").exists()  # listing creates nothing

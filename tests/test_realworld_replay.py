"""The real-world histories in ../shared/realworld, replayed through the installed command line
exactly as the scorer does it: every real change must alert, nothing else may."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REALWORLD

REPLAY = REALWORLD.parent / "tools" / "replay.py"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (REALWORLD / "truth.tsv").exists() or not REPLAY.exists(),
                       reason="../shared/realworld (real captures and labels) is not present"),
]


@pytest.mark.parametrize("truth", ["truth.tsv", "versions-truth.tsv"])
def test_replay_is_perfect(truth: str, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(REPLAY), "--data", str(REALWORLD), "--truth", str(REALWORLD / truth),
         "--cmd", f"{sys.executable} -m watcher_app", "--out", str(out)],
        capture_output=True, text=True, timeout=900)
    print(run.stdout[-3000:])
    summary = json.loads(out.read_text())["summary"]
    assert summary["captures"] > 0
    assert summary["false_alerts"] == 0, run.stdout
    assert summary["missed_changes"] == 0, run.stdout
    assert summary["blocked_stored_as_version"] == 0, run.stdout
    assert summary["precision"] == 1.0 and summary["recall"] == 1.0
    crashed = [r for r in json.loads(out.read_text())["results"] if r["got"] == "crash"]
    assert not crashed, crashed[:3]

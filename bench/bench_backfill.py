"""Backfill of the largest fixture history (Claude.ai's privacy policy, 587 archived versions)
through the command line, from a loopback server honouring Range requests (target ≤ 20 s for
a document of 600 versions), with the bytes the server sent.

    python bench/bench_backfill.py [--runs 3] [--service Claude.ai] [--document "Privacy Policy"]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.backfill.rangefile import RangeFile  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402
from tests.paths import OTA  # noqa: E402

DATASET = OTA / "fixture-versions-dataset.zip"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platform", default="anthropic")
    parser.add_argument("--service", default="Claude.ai")
    parser.add_argument("--document", default="Privacy Policy")
    args = parser.parse_args()
    served = RangeFile(DATASET.read_bytes())
    times, sent = [], []
    with LoopbackServer() as server:
        server.handler("/fixture.zip", served)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [sys.executable, "-m", "watcher_app", "--data-dir", tmp]
                subprocess.run([*cmd, "watch", args.platform], check=True, capture_output=True)
                served.reset_counts()
                started = time.perf_counter()
                out = subprocess.run([*cmd, "backfill", args.platform, "--document",
                                      args.document, "--service", args.service, "--dataset",
                                      server.url("/fixture.zip"), "--json"],
                                     check=True, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                sent.append(served.sent)
                report = json.loads(out.stdout)[0]
    print(f"backfill {args.service} / {args.document}: {report['imported']} imported "
          f"({report['changes']} changes, {report['noise']} noise, {report['blocked']} blocked); "
          f"median {statistics.median(times):.1f} s, min {min(times):.1f} s over {args.runs} "
          f"runs (whole command: interpreter start to JSON); {sent[-1]:,} bytes sent of a "
          f"{len(served.data):,}-byte dataset")


if __name__ == "__main__":
    main()

"""`check` of one document from a cold process (target ≤ 0.4 s), against a loopback server.

    python bench/bench_check_cold.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.loopback import LoopbackServer  # noqa: E402

PAGE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pages" / "base.html"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-pyc", action="store_true",
                        help="recompile every module at each start (PYTHONDONTWRITEBYTECODE)")
    args = parser.parse_args()
    with LoopbackServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.route("/p", PAGE.read_bytes())
        decl = Path(tmp) / "acme.json"
        decl.write_text(json.dumps({"name": "Acme", "terms": {
            "Privacy Policy": {"fetch": server.url("/p"), "select": "main"}}}))
        home = Path(tmp) / "home"
        cmd = [sys.executable, "-m", "watcher_app", "--data-dir", str(home)]
        # as a user's install runs: bytecode cached (--no-pyc: as this container sets it)
        env = dict(os.environ)
        if not args.no_pyc:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([*cmd, "import", str(decl)], check=True, capture_output=True, env=env)
        subprocess.run([*cmd, "check", "--json"], check=True, capture_output=True, env=env)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([*cmd, "check", "--json"], check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - started)
    print(f"cold `check --json` of one document: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s over {args.runs} runs")


if __name__ == "__main__":
    main()

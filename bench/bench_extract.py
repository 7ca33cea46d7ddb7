"""Extract + normalise + hash the largest real snapshot (target ≤ 15 ms).

    python bench/bench_extract.py [--runs 30] [FILE.html --select main]

Uses ../shared/realworld's largest HTML snapshot by default (the 1.09 MB Claude privacy page).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
import tracemalloc
from pathlib import Path

from watcher_app.extract import extract_document
from watcher_app.extract.normalize import text_words
from watcher_app.validate import validate_source

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"


def largest_snapshot() -> Path:
    return max((REALWORLD / "snapshots").rglob("*.html"), key=lambda p: p.stat().st_size)


def pipeline(raw: bytes, select: list[str]) -> str:
    extracted = extract_document(raw, select, [])
    validate_source(extracted, None, requested_url="https://x/", final_url="https://x/")
    text = "\n".join(extracted.lines)
    hashlib.sha256("\n".join(text_words(extracted.lines)).encode()).hexdigest()
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--select", default="main")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path = args.file or largest_snapshot()
    raw = path.read_bytes()
    pipeline(raw, [args.select])  # warm-up: imports, regex compilation
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pipeline(raw, [args.select])
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    pipeline(raw, [args.select])
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{path.name} ({len(raw) / 2**20:.2f} MB): median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms over {args.runs} runs; peak Python memory {peak:.1f} MB")


if __name__ == "__main__":
    main()

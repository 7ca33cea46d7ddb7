"""Time watcher_app.diff on a synthetic ~300 KB policy and on two real consecutive versions.

Usage: python bench/bench_diff.py [--runs 30] [--data /work/shared/realworld/versions]

The synthetic case is deterministic (seeded): ~3000 lines of policy-like headings, list items,
table rows and paragraphs (~300 KB), then a new version with a few dozen scattered rewordings,
additions, removals and moved paragraphs. The real case picks, among all documents under --data,
the two consecutive .md versions (by file name) with the largest combined size, converted lightly
to lines (stripped, blank lines dropped). Prints median/min wall time over --runs runs, and the
peak Python heap (tracemalloc) of one extra run, measured apart because tracing slows the code.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(ROOT))

from watcher_app.diff import DiffResult, apply_chunks, diff_lines  # noqa: E402

DEFAULT_DATA = Path("/work/shared/realworld/versions")
_WORDS = (
    "we", "you", "your", "data", "personal", "information", "service", "services", "use", "may",
    "share", "collect", "process", "provide", "third", "parties", "partners", "account",
    "content", "law", "legal", "rights", "request", "delete", "retain", "purposes", "including",
    "such", "as", "other", "with", "without", "consent", "to", "of", "and", "or", "the", "a",
    "in", "for", "by", "on", "when", "where", "how", "this", "these", "our", "us", "any", "all",
    "model", "models", "training", "improve", "safety", "security", "advertising", "cookies",
    "settings", "controls", "country", "region", "transfer", "storage", "period", "necessary",
    "contract", "legitimate", "interest", "obligation", "comply", "authorities", "children",
    "minimum", "age", "notice",
)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", ";", ":"])


def _line(rng: random.Random, k: int) -> str:
    if k % 17 == 0:
        return f"## {k // 17}. " + _sentence(rng, 2, 6)[:-1].title()
    kind = rng.random()
    if kind < 0.25:
        return "- " + _sentence(rng, 6, 20)
    if kind < 0.32:
        return "| " + " | ".join(_sentence(rng, 1, 4) for _ in range(3)) + " |"
    return " ".join(_sentence(rng, 6, 18) for _ in range(rng.randint(1, 2)))


def synthetic(seed: int = 7, lines: int = 3000) -> tuple[list[str], list[str]]:
    """An old version of about 300 KB and a new one with ~50 scattered edits."""
    rng = random.Random(seed)
    old = [_line(rng, k) for k in range(lines)]
    new = list(old)
    for k in rng.sample(range(len(new)), 20):  # rewordings: swap, drop or add a few words
        words = new[k].split()
        for _ in range(rng.randint(1, 4)):
            p = rng.randrange(len(words))
            op = rng.random()
            if op < 0.4:
                words[p] = rng.choice(_WORDS)
            elif op < 0.7 and len(words) > 3:
                del words[p]
            else:
                words.insert(p, rng.choice(_WORDS))
        new[k] = " ".join(words)
    for k in sorted(rng.sample(range(len(new)), 10), reverse=True):  # removals
        del new[k]
    for k in sorted(rng.sample(range(len(new)), 10), reverse=True):  # additions
        new.insert(k, _sentence(rng, 10, 30))
    for _ in range(6):  # moved paragraphs (long ones, so they qualify as moves)
        src = rng.choice([k for k, s in enumerate(new) if len(s.split()) >= 12])
        line = new.pop(src)
        new.insert(rng.randrange(len(new)), line)
    return old, new


def _ota_lines(path: Path) -> list[str]:
    return [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]


def real_pair(root: Path) -> tuple[Path, Path] | None:
    """The two consecutive versions of one document with the largest combined size."""
    best: tuple[int, Path, Path] | None = None
    for doc in sorted({p.parent for p in root.rglob("*.md")}):
        files = sorted(doc.glob("*.md"))
        for a, b in zip(files, files[1:], strict=False):
            size = a.stat().st_size + b.stat().st_size
            if best is None or size > best[0]:
                best = (size, a, b)
    return (best[1], best[2]) if best else None


def measure(name: str, old: list[str], new: list[str], runs: int) -> None:
    times: list[float] = []
    result: DiffResult | None = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = diff_lines(old, new)
        times.append(time.perf_counter() - t0)
    assert result is not None and apply_chunks(old, result) == new
    tracemalloc.start()
    diff_lines(old, new)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = sum(map(len, old)) + sum(map(len, new))
    s = result.stats
    print(f"{name}: {len(old)} -> {len(new)} lines, {size / 2000:.0f} KB avg per version")
    print(f"  median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms "
          f"over {runs} runs; peak traced memory {peak / 1e6:.1f} MB; degraded={result.degraded}")
    print(f"  chunks {len(result.chunks)}: +{s.lines_added} -{s.lines_removed} "
          f"~{s.lines_changed} changed, {s.lines_moved} moved; "
          f"+{s.words_added}/-{s.words_removed} words")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    old, new = synthetic()
    measure("synthetic", old, new, args.runs)
    pair = real_pair(args.data) if args.data.is_dir() else None
    if pair:
        print(f"real: {pair[0].relative_to(args.data)} -> {pair[1].name}")
        measure("real", _ota_lines(pair[0]), _ota_lines(pair[1]), args.runs)
    else:
        print(f"real: skipped ({args.data} not found)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

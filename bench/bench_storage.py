"""Two simulated years of watching, through the real Monitor and recorder: how big is the data
folder, and what does each table cost? Target: ≤ 30 MB, raw snapshots included.

    python bench/bench_storage.py [--days 730] [--docs 40] [--changes 200] [--big 500]

A fake clock and a fake fetcher stand in for time and the network (two years cannot be waited
for); everything else is the app's own code: capture, extraction, validation, comparison, the
confirming second fetch, analysis and the recorder, into a real SQLite file. The scenario:
40 documents (texts of 10–120 KB, median ~45 KB, pages ~3x that with scripts and navigation),
checked twice a day; 200 real changes spread over 39 of them; one document that moves 500
times (two thirds real edits, one third punctuation-only noise versions); every site deploys a
new build once a week (other raw bytes, the same text); 0.3 % of fetches fail with HTTP 503.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("GOVERNANCE_WATCHER_RENDER", "0")

from _pages import Policy  # noqa: E402

from watcher_app.fetch import FetchError, FetchResult  # noqa: E402

START = dt.datetime(2024, 1, 1, 6, 0, 0)
TYPES = ("Terms of Service", "Privacy Policy", "Cookie Policy", "Acceptable Use Policy")


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def install_clock(clock: FakeClock) -> None:
    """Every module that reads the time through store.models.utcnow reads the fake clock."""
    import watcher_app.store.models as models

    original = models.utcnow
    for name, module in list(sys.modules.items()):
        if name.startswith("watcher_app") and getattr(module, "utcnow", None) is original:
            module.utcnow = clock  # type: ignore[attr-defined]


class FakeFetcher:
    """Serves each document's current page; a few fetches fail like an overloaded server."""

    def __init__(self, pages: dict[str, Policy], rng: random.Random) -> None:
        self.pages = pages
        self.build: dict[str, int] = dict.fromkeys(pages, 1)
        self.rng = rng
        self.fetches = 0

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              extra_headers: dict[str, str] | None = None) -> FetchResult:
        self.fetches += 1
        if self.rng.random() < 0.003:
            raise FetchError("http-503", f"{url} answered HTTP 503", 503)
        body = self.pages[url].html(build=f"b{self.build[url]}")
        return FetchResult(url=url, status=200, headers={"content-type": "text/html"},
                           body=body, content_type="text/html", charset="utf-8",
                           not_modified=False, elapsed_s=0.0, attempts=1, redirects=())

    def close(self) -> None:
        pass


def sizes(folder: Path) -> tuple[int, dict[str, int], dict[str, int]]:
    path = folder / "watcher.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    objects = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
    per_table: dict[str, int] = {}
    for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        table = objects.get(name, name)
        if table.startswith("sqlite_autoindex_"):
            table = table.split("_")[2]
        per_table[table] = per_table.get(table, 0) + int(size)
    rows = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for t in sorted(set(objects.values())) if not t.startswith("sqlite_")}
    conn.close()
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return total, per_table, rows


def timeline_ms(document_id: int) -> tuple[float, float]:
    """The 500-version document's timeline: its first page and every page (ms, median of 5)."""
    from watcher_app.ui import queries

    first, full = [], []
    for _ in range(5):
        started = time.perf_counter()
        queries.timeline_page(document_id, 0)
        first.append((time.perf_counter() - started) * 1000)
        started, offset = time.perf_counter(), 0
        while page := queries.timeline_page(document_id, offset):
            offset += len(page)
        full.append((time.perf_counter() - started) * 1000)
    return statistics.median(first), statistics.median(full)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--big", type=int, default=500, help="versions of the busiest document")
    parser.add_argument("--keep", metavar="DIR", help="build the data folder here and keep it")
    args = parser.parse_args()

    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Document
    from watcher_app.watchlist import add_custom

    rng = random.Random(2024)
    kbs = [max(10, min(120, int(rng.lognormvariate(3.8, 0.55)))) for _ in range(args.docs)]
    kbs[0] = 45
    pages = {f"https://site{i // 4}.example/doc{i % 4}": Policy(seed=i, kb=kb)
             for i, kb in enumerate(kbs)}
    urls = list(pages)
    rounds = args.days * 2
    # which round each event happens before: 200 real changes over documents 1…39, and the
    # busy document 0 moving (big - 1) times after its first version
    events: dict[int, list[tuple[str, str]]] = {}
    for _ in range(args.changes):
        events.setdefault(rng.randrange(1, rounds), []).append((rng.choice(urls[1:]), "change"))
    for k in range(args.big - 1):
        when = 1 + (k * (rounds - 2)) // max(1, args.big - 1)
        kind = "noise" if k % 3 == 2 else "change"
        events.setdefault(when, []).append((urls[0], kind))

    clock = FakeClock()
    tmp = None if args.keep else tempfile.TemporaryDirectory()
    folder = Path(args.keep or tmp.name) / "home"  # type: ignore[union-attr]
    db = open_database(folder)
    install_clock(clock)
    for site in range(0, args.docs, 4):
        terms = {TYPES[i % 4]: {"fetch": urls[i], "select": "main"}
                 for i in range(site, min(site + 4, args.docs))}
        add_custom(db, f"site{site // 4}", {"name": f"Site {site // 4}", "terms": terms})
    docs = list(Document.select().order_by(Document.id))
    by_url = {d.sources[0]["url"]: d for d in docs}
    fetcher = FakeFetcher(pages, random.Random(5))
    monitor = Monitor(db, fetcher, confirm_delay_s=60, sleep=clock.sleep)  # type: ignore[arg-type]
    outcomes: dict[str, int] = {}
    cpu: list[float] = []
    started = time.perf_counter()
    for r in range(rounds):
        clock.now = START + dt.timedelta(hours=12 * r)
        if r % 14 == 0:  # a weekly deploy on every site: new raw bytes, the same text
            for url in urls:
                fetcher.build[url] += 1
        for url, kind in events.get(r, []):
            (pages[url].change if kind == "change" else pages[url].punctuate)(rng)
        for url in urls:
            clock.sleep(30)
            t0 = time.process_time()
            result = monitor.check(by_url[url])
            cpu.append(time.process_time() - t0)
            outcomes[str(result.outcome)] = outcomes.get(str(result.outcome), 0) + 1
        if r % 146 == 0:
            print(f"  day {r // 2:4d}: {time.perf_counter() - started:6.0f} s", flush=True)
    built = time.perf_counter() - started
    first_ms, full_ms = timeline_ms(by_url[urls[0]].id)
    monitor.close()
    db.close()

    total, per_table, rows = sizes(folder)
    print(f"{args.days} days, {args.docs} documents, {len(cpu)} checks "
          f"({', '.join(f'{n} {o}' for o, n in sorted(outcomes.items()))}); built in "
          f"{built:.0f} s, median CPU per check {statistics.median(cpu) * 1000:.1f} ms")
    print(f"data folder: {total / 1e6:.1f} MB (target ≤ 30 MB)")
    for table, size in sorted(per_table.items(), key=lambda kv: -kv[1]):
        n = rows.get(table, 0)
        each = f", {size / n:,.0f} B/row" if n else ""
        print(f"  {table:16s} {size / 1e6:7.2f} MB  {n:7d} rows{each}")
    print(f"timeline of the {args.big}-version document: first page {first_ms:.1f} ms, "
          f"all pages {full_ms:.1f} ms")
    if tmp is not None:
        tmp.cleanup()
    _ = Any


if __name__ == "__main__":
    main()

"""A 3 MB policy page with 10 % of its paragraphs changed: the whole check, and its parts.

    python bench/bench_large_page.py [--paragraphs 50000] [--changed 0.1] [--analyze]

Issue 12 item 10: the alerting comparison used to run difflib without a time budget (50,000
paragraphs with 5,000 changed took 38 s). Measured here, in one process:
- extract: `extract_document` of the new page;
- compare: `compare.compare` of the stored text and the new one (the alerting decision);
- check: `Monitor.check` end to end against a loopback server (fetch, extract, validate,
  compare, confirmation fetch, record in SQLite; the analysis only with --analyze, since the
  analysis helper bounds that side).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.loopback import LoopbackServer  # noqa: E402
from watcher_app.compare import compare  # noqa: E402
from watcher_app.extract import extract_document  # noqa: E402

WORDS = """account activity address advertising agree apply available based billing business
    cancel choose collect company consent content contract control cookies country customer data
    delete device disclose email entity features fees government improve information interest
    legal limit location marketing member message notice partner payment period personal
    platform process product protect provide purchase purpose receive record request retain
    review right safety security service settings share store subscription support transfer
    update usage user verify website withdraw""".split()


def page(paragraphs: list[str]) -> bytes:
    body = []
    for i, text in enumerate(paragraphs):
        if i % 25 == 0:
            body.append(f"<h2>Section {i // 25}</h2>")
        body.append(f"<p>{text}</p>")
    return ("<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1>"
            + "".join(body) + "</main></body></html>").encode()


def texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"Clause {i}: we " + " ".join(rng.choice(WORDS) for _ in range(5)) + "."
            for i in range(n)]


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn()
    print(f"{label:<44} {time.perf_counter() - started:7.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=50_000)
    parser.add_argument("--changed", type=float, default=0.1)
    parser.add_argument("--analyze", action="store_true")
    args = parser.parse_args()

    old = texts(args.paragraphs, 1)
    rng = random.Random(2)
    new = list(old)
    for i in rng.sample(range(len(old)), int(len(old) * args.changed)):
        new[i] = old[i].replace(" we ", " we never ", 1)
    old_page, new_page = page(old), page(new)
    print(f"page: {len(new_page) / 1e6:.2f} MB, {args.paragraphs} paragraphs, "
          f"{int(args.paragraphs * args.changed)} changed")

    old_lines = extract_document(old_page).lines
    new_lines = timed("extract (new page)", lambda: extract_document(new_page).lines)
    verdict = timed("compare (alerting decision)", lambda: compare(old_lines, new_lines))
    print(f"  verdict: {verdict.kind}: {verdict.reason[:70]}")

    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Document
    from watcher_app.watchlist import add_custom

    with LoopbackServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.route("/p", old_page)
        db = open_database(Path(tmp))
        add_custom(db, "acme", {"name": "Acme", "terms": {
            "Privacy Policy": {"fetch": server.url("/p"), "select": "main"}}})
        doc = Document.get()
        monitor = Monitor(db, Fetcher(retries=0), confirm_delay_s=0, analyze=args.analyze)
        timed("check: first version (3 MB)", lambda: monitor.check(doc))
        server.route("/p", new_page)
        result = timed("check: 10 % changed (whole check)", lambda: monitor.check(doc))
        print(f"  status: {result.status}: {result.reason[:70]}")


if __name__ == "__main__":
    main()

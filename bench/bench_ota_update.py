"""What a catalogue update from Open Terms Archive costs: time and bytes for the four
declaration archives (../shared/opentermsarchive) served from a loopback server, first run
(download, verify, validate every declaration, swap in) and a second run (conditional GET:
304), and listing the merged catalogue afterwards (what `catalog --json` and the picker read).

    python bench/bench_ota_update.py [--runs 5]

Loopback has no network latency: on the real internet add GitHub's transfer time for the
bytes reported (~385 KB for all four today).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.loopback import LoopbackServer  # noqa: E402
from tests.ota.helpers import COLLECTIONS, serve_archive  # noqa: E402
from tests.paths import OTA  # noqa: E402
from watcher_app.ota import store  # noqa: E402
from watcher_app.ota.entries import catalog_entries  # noqa: E402
from watcher_app.ota.sync import update_catalog  # noqa: E402


def one_run(server: LoopbackServer, urls: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        started = time.perf_counter()
        first = update_catalog(data, urls)
        t_first = time.perf_counter() - started
        assert all(r.status == "updated" for r in first), [r.line() for r in first]
        started = time.perf_counter()
        second = update_catalog(data, urls)
        t_second = time.perf_counter() - started
        assert all(r.status == "unchanged" for r in second)
        store._CACHE.clear()  # a new process: nothing read yet
        started = time.perf_counter()
        entries = catalog_entries(data)
        t_list = time.perf_counter() - started
        started = time.perf_counter()
        catalog_entries(data)
        t_list_again = time.perf_counter() - started
        stored = sum(p.stat().st_size for p in store.ota_dir(data).iterdir())
    return {"first": t_first, "second": t_second, "list": t_list, "list_again": t_list_again,
            "bytes_first": sum(r.downloaded_bytes for r in first),
            "bytes_second": sum(r.downloaded_bytes for r in second),
            "entries": len(entries), "stored": stored,
            "skipped": sum(len(r.skipped) for r in first)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not OTA.is_dir():
        sys.exit("../shared/opentermsarchive is absent")
    with LoopbackServer() as server:
        urls = [serve_archive(server, c, (OTA / f"{c}-declarations-main.zip").read_bytes())
                for c in COLLECTIONS]
        runs = [one_run(server, urls) for _ in range(args.runs)]
        requests = len(server.requests) // args.runs
    last = runs[-1]
    print(f"{last['entries']} services listed, {last['skipped']} declarations/documents "
          f"skipped; {requests} requests per run (4 downloads + 4 conditional GETs)")
    print(f"bytes: first run {last['bytes_first']:,} downloaded, second run "
          f"{last['bytes_second']:,} (304); {last['stored']:,} bytes stored")
    for key, label in (("first", "first run (download + verify + validate + swap)"),
                       ("second", "second run (304)"),
                       ("list", "listing, cold (read + validate 4 archives)"),
                       ("list_again", "listing, warm (cached)")):
        values = [r[key] * 1000 for r in runs]
        print(f"{label:52s} median {statistics.median(values):7.1f} ms  "
              f"min {min(values):7.1f} ms")


if __name__ == "__main__":
    main()

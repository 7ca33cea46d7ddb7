"""A whole check cycle: 40 documents of 10 platforms, each platform on its own loopback host
that answers after 100 ms. Targets: 40 unchanged documents in ≤ 0.8 s from the command line
(network floor 0.4 s: 4 documents per host, one request at a time per host) and ≤ 2 s in the
desktop app; 40 documents that all changed in ≤ the confirmation delay + 10 s.

    python bench/bench_cycle.py [--runs 5] [--latency 0.1] [--confirm-delay 5]
                                [--parts cpu,cli,app] [--scenarios unchanged,nonce,changed]

Scenarios: `unchanged` serves the same bytes again; `nonce` serves the same text with a fresh
CSP nonce in every answer (the raw bytes differ, the text does not); `changed` edits every
page, so each document needs its confirming second fetch. The CLI part times
`governance-watcher check --json` as a new process (what a user or cron runs); the app part
drives the app's real scheduler and check worker (no window) from this process. The cpu
part is the CPU time of one unchanged check in process (Monitor.check with a fetcher that
answers at once; target ≤ 5 ms): the same bytes again, and the same text in other bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("GOVERNANCE_WATCHER_RENDER", "0")

from _pages import Policy, nonce_for  # noqa: E402

from tests.loopback import LoopbackServer, RequestInfo, Route  # noqa: E402

TYPES = ("Terms of Service", "Privacy Policy", "Cookie Policy", "Acceptable Use Policy")


class Site:
    """10 hosts (127.0.0.1 … 127.0.0.10), 4 pages each, every answer after `latency`."""

    def __init__(self, hosts: int, per_host: int, latency: float, kb: int) -> None:
        self.latency = latency
        self.nonce = False
        self.servers = [LoopbackServer(f"127.0.0.{h + 1}") for h in range(hosts)]
        self.policies = {(h, k): Policy(seed=100 * h + k, kb=kb, title=TYPES[k])
                         for h in range(hosts) for k in range(per_host)}
        self.bodies: dict[tuple[int, int], bytes] = {}
        self.requests = 0
        self._lock = threading.Lock()
        self.render_all()

    def render_all(self) -> None:
        self.bodies = {key: p.html(build="b1") for key, p in self.policies.items()}

    def change_all(self, rng: random.Random) -> None:
        for policy in self.policies.values():
            policy.change(rng)
        self.render_all()

    def __enter__(self) -> Site:
        for h, server in enumerate(self.servers):
            server.start()
            for k in range(len(TYPES)):
                if (h, k) in self.policies:
                    server.handler(f"/d{k}", self._handler(h, k))
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.stop()

    def _handler(self, h: int, k: int) -> Callable[[RequestInfo], Route]:
        def answer(_: RequestInfo) -> Route:
            time.sleep(self.latency)
            with self._lock:
                self.requests += 1
                count = self.requests
            if self.nonce:
                return Route(body=self.policies[(h, k)].html(nonce=nonce_for(h, k, count)))
            return Route(body=self.bodies[(h, k)])

        return answer

    def declarations(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for h, server in enumerate(self.servers):
            terms = {TYPES[k]: {"fetch": server.url(f"/d{k}"), "select": "main"}
                     for k in range(len(TYPES)) if (h, k) in self.policies}
            out[f"bench-{h}"] = {"name": f"Bench {h}", "terms": terms}
        return out


def env() -> dict[str, str]:
    # As a user's install runs: with its bytecode cached (this container sets
    # PYTHONDONTWRITEBYTECODE, which recompiles every module at each start: ~0.15 s).
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return out


def cli_check(home: Path, confirm_delay: float) -> tuple[float, list[str]]:
    cmd = [sys.executable, "-m", "watcher_app", "--data-dir", str(home), "check", "--json",
           "--confirm-delay", f"{confirm_delay:g}"]
    started = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, check=True)
    took = time.perf_counter() - started
    return took, [r["status"] for r in json.loads(out.stdout)]


def prepare(site: Site, home: Path) -> None:
    from watcher_app.store.db import open_database
    from watcher_app.watchlist import add_custom

    db = open_database(home)
    for pid, decl in site.declarations().items():
        add_custom(db, pid, decl)
    db.close()


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
            f"max {max(times):.2f} s over {len(times)} run(s)")


def count(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))


def run_scenarios(label: str, site: Site, args: argparse.Namespace, rng: random.Random,
                  cycle: Callable[[], tuple[float, list[str]]]) -> None:
    """Each scenario's runs of `cycle` (the CLI's or the app's), timed and summarised."""
    for scenario in args.scenarios:
        times: list[float] = []
        seen: list[str] = []
        runs = args.runs if scenario != "changed" else args.changed_runs
        for _ in range(runs):
            site.nonce = scenario == "nonce"
            if scenario == "changed":
                site.change_all(rng)
            took, statuses = cycle()
            times.append(took)
            seen += statuses
        site.nonce = False
        extra = f" (confirm delay {args.confirm_delay:g} s)" if scenario == "changed" else ""
        print(f"  {label} {scenario:9s}{extra}: {summary(times)} [{count(seen)}]")


def run_cli(site: Site, args: argparse.Namespace, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        prepare(site, home)
        took, statuses = cli_check(home, 0)
        print(f"  CLI first cycle (first versions): {took:.2f} s ({count(statuses)})")
        run_scenarios("CLI", site, args, rng, lambda: cli_check(home, args.confirm_delay))


def app_runner(home: Path, confirm_delay: float) -> Callable[[], Any]:
    """The desktop app's own check runner: its long-lived worker process when this version
    has one, else a new process per check (the app before it)."""
    import watcher_app.isolated as isolated

    if hasattr(isolated, "CheckWorker"):
        return lambda: isolated.CheckWorker(home, confirm_delay_s=confirm_delay)
    return lambda: isolated.ChildProcessMonitor(home, confirm_delay_s=confirm_delay)


def run_app(site: Site, args: argparse.Namespace, rng: random.Random) -> None:
    from watcher_app.scheduler import CheckScheduler
    from watcher_app.store.db import open_database

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        prepare(site, home)
        db = open_database(home)
        scheduler = CheckScheduler(db, app_runner(home, args.confirm_delay), startup_delay_s=0,
                                   tick_s=3600)
        results: list[str] = []
        scheduler.on_check_finished = lambda _doc, result: results.append(str(result.status))

        def cycle() -> tuple[float, list[str]]:
            results.clear()
            started = time.perf_counter()
            scheduler.check_now(None)
            time.sleep(0.05)  # the worker picks the queue up
            assert scheduler.wait_idle(3600)
            return time.perf_counter() - started, list(results)

        try:
            scheduler.start()  # queues the never-checked documents: their first versions
            started = time.perf_counter()
            time.sleep(0.05)
            assert scheduler.wait_idle(3600)
            print(f"  app first cycle (first versions, worker start): "
                  f"{time.perf_counter() - started:.2f} s")
            run_scenarios("app", site, args, rng, cycle)
        finally:
            scheduler.shutdown(wait=True)
            db.close()


def run_cpu(site: Site, args: argparse.Namespace, rng: random.Random) -> None:
    from watcher_app.fetch import FetchResult
    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Document

    policy = site.policies[(0, 0)]
    # two bodies that differ by their nonce alone, made beforehand (not timed)
    other_bytes = [policy.html(nonce=nonce_for(k)) for k in range(2)]

    class Instant:
        def __init__(self) -> None:
            self.nonce = False
            self.count = 0

        def fetch(self, url: str, **_: object) -> FetchResult:
            self.count += 1
            body = other_bytes[self.count % 2] if self.nonce else site.bodies[(0, 0)]
            return FetchResult(url, 200, {"content-type": "text/html"}, body, "text/html",
                               "utf-8", False, 0.0, 1, ())

        def close(self) -> None:
            pass

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        prepare(site, home)
        db = open_database(home)
        doc = Document.select().order_by(Document.id).first()
        fetcher = Instant()
        monitor = Monitor(db, fetcher, confirm_delay_s=0)  # type: ignore[arg-type]
        monitor.check(doc)
        for nonce in (False, True):
            fetcher.nonce = nonce
            times = []
            for _ in range(max(30, args.runs * 10)):
                fresh = Document.get_by_id(doc.id)
                started = time.process_time()
                result = monitor.check(fresh)
                times.append((time.process_time() - started) * 1000)
            what = "same text, other bytes" if nonce else "the same bytes"
            print(f"  CPU of one unchanged check ({what}, {result.outcome}): median "
                  f"{statistics.median(times):.1f} ms, min {min(times):.1f} ms")
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changed-runs", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--confirm-delay", type=float, default=5.0)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--kb", type=int, default=45, help="text size of each policy")
    parser.add_argument("--parts", default="cpu,cli,app")
    parser.add_argument("--scenarios", default="unchanged,nonce,changed")
    args = parser.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    rng = random.Random(1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.hosts * args.per_host} documents on {args.hosts} hosts, {args.latency * 1000:.0f}"
          f" ms per answer, ~{args.kb} KB of text per page; load average {load:.2f}")
    with Site(args.hosts, args.per_host, args.latency, args.kb) as site:
        for part in args.parts.split(","):
            {"cpu": run_cpu, "cli": run_cli, "app": run_app}[part](site, args, rng)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""A check cycle at the network floor: documents of different hosts at once, one request at a
time per host, and every change's confirmation during one shared wait.

Checked one after the other, 40 documents cost 40 round trips, and each change held the whole
cycle for its confirmation delay (40 changes: 40 minutes). Here the first passes of documents on
different hosts overlap (never two of ours in flight to one host: politeness, and fetch.py
enforces it again per process); the changes they find wait for their second fetch together,
and the confirmations overlap in turn, so a cycle takes about one confirmation delay at most.

`run_checks` is the command line's cycle; the desktop scheduler (scheduler.py) applies the same
rule (`hosts_of`, `HostSlots`) to its queue, with confirmations scheduled among other checks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from watcher_app.check_result import CheckResult
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Outcome
from watcher_app.pending import PendingChange
from watcher_app.recorder import record_error
from watcher_app.store.db import is_corruption
from watcher_app.store.models import Document

log = logging.getLogger(__name__)

PARALLEL = 10  # checks in flight at once (each on its own host)

T = TypeVar("T")
R = TypeVar("R")


def hosts_of(doc: Document) -> frozenset[str]:
    """The hosts a check of `doc` fetches from (its sources' host names)."""
    hosts = set()
    for source in doc.sources or []:
        try:
            host = urlsplit(str(source.get("url", ""))).hostname
        except ValueError:
            host = None
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)


class HostSlots:
    """Which hosts have our checks in flight (at most `per_host` each), and how many run."""

    def __init__(self, parallel: int = PARALLEL, per_host: int = 1) -> None:
        self.parallel = max(1, parallel)
        self.per_host = max(1, per_host)
        self.busy: dict[str, int] = {}
        self.running = 0

    def free(self, hosts: frozenset[str]) -> bool:
        return self.running < self.parallel and all(
            self.busy.get(h, 0) < self.per_host for h in hosts)

    def take(self, hosts: frozenset[str]) -> None:
        for h in hosts:
            self.busy[h] = self.busy.get(h, 0) + 1
        self.running += 1

    def give(self, hosts: frozenset[str]) -> None:
        for h in hosts:
            self.busy[h] -= 1
            if not self.busy[h]:
                del self.busy[h]
        self.running -= 1


def run_spread(items: Sequence[T], hosts: Callable[[T], frozenset[str]],
               work: Callable[[T], R], parallel: int = PARALLEL,
               on_start: Callable[[T], None] | None = None, per_host: int = 1) -> list[R]:
    """`work(item)` for every item, in threads, at most `per_host` at once on one host;
    results in the order of `items`. `work` must not raise (callers record their own
    failures)."""
    results: dict[int, R] = {}
    waiting = list(range(len(items)))
    slots = HostSlots(parallel, per_host)
    cond = threading.Condition()
    keys = [hosts(item) for item in items]

    def run(index: int) -> None:
        try:
            results[index] = work(items[index])
        finally:
            with cond:
                slots.give(keys[index])
                cond.notify_all()

    with cond:
        while waiting:
            index = next((i for i in waiting if slots.free(keys[i])), None)
            if index is None:
                cond.wait()
                continue
            waiting.remove(index)
            slots.take(keys[index])
            if on_start is not None:
                on_start(items[index])
            threading.Thread(target=run, args=(index,), name="gw-check", daemon=True).start()
        cond.wait_for(lambda: slots.running == 0)
    return [results[i] for i in range(len(items))]


def run_checks(monitor: Monitor, docs: Sequence[Document], *, parallel: int = PARALLEL,
               report: Callable[[str], None] | None = None) -> list[CheckResult]:
    """Check `docs`: first passes spread over hosts, one wait for every change's confirmation,
    confirmations spread again. Each document's unexpected failure is recorded as its error,
    never stops the others. Results in the order of `docs`."""
    say = report or (lambda _message: None)
    fatal: list[BaseException] = []  # a damaged database: never write into it

    def record(doc: Document, exc: Exception, what: str) -> CheckResult:
        if is_corruption(exc):
            fatal.append(exc)
            return CheckResult(doc.platform_id, doc.type, Outcome.ERROR, "", str(exc),
                               document_id=doc.id)
        log.exception("the %s of document %s raised", what, doc.id)
        return record_error(monitor.db, doc, f"internal error: {type(exc).__name__}: {exc}")

    def first(doc: Document) -> CheckResult | PendingChange:
        try:
            return monitor.first_pass(doc)
        except Exception as exc:  # noqa: BLE001 - reported in the result and the history
            return record(doc, exc, "check")
        finally:
            monitor.db.close()  # this thread's own connection (peewee keeps one per thread)

    def start(doc: Document) -> None:
        say(f"checking {doc.platform_id} / {doc.type} …")

    # Two checks per host: while one reads and records its page, the next waits on the
    # fetcher's host lock (fetch.py: one request per host in the process, so politeness is
    # unchanged) and sends its request the moment the previous answer is in, instead of after
    # that answer was read. Ten threads reading at once after each round of answers had added
    # ~30 ms per document of a host to the cycle.
    outcomes = run_spread(docs, hosts_of, first, 2 * parallel, start, per_host=2)
    if fatal:
        raise fatal[0]  # main() says what to do with a damaged database
    pending = [(doc, p) for doc, p in zip(docs, outcomes, strict=True)
               if isinstance(p, PendingChange)]
    if pending:
        wait = max(0.0, min(p.due_at for _, p in pending) - time.time())
        say(f"confirming {len(pending)} change{'s' if len(pending) != 1 else ''} "
            f"(second fetch in {wait:.0f} s) …")

        def second(item: tuple[Document, PendingChange]) -> CheckResult:
            doc, change = item
            time.sleep(max(0.0, change.due_at - time.time()))
            try:
                return monitor.confirm(change)
            except Exception as exc:  # noqa: BLE001 - as above
                return record(doc, exc, "confirmation")
            finally:
                monitor.db.close()

        confirmed = run_spread(pending, lambda item: hosts_of(item[0]), second, 2 * parallel,
                               per_host=2)
        if fatal:
            raise fatal[0]
        done = {doc.id: result for (doc, _), result in zip(pending, confirmed, strict=True)}
        outcomes = [done.get(doc.id, out) for doc, out in zip(docs, outcomes, strict=True)]
    return [out for out in outcomes if isinstance(out, CheckResult)]

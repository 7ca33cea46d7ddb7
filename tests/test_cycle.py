"""The command line's check cycle: hosts at once, one request at a time per host, and the
confirmations of every change during one shared wait (real servers on 127.0.0.1…3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import peewee
import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import PAGES
from watcher_app.cycle import hosts_of, run_checks
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Outcome
from watcher_app.store.models import Document
from watcher_app.watchlist import active_documents, add_custom

TYPES = ("Terms of Service", "Privacy Policy", "Cookie Policy")


class Hosts:
    """Three hosts with three pages each; every answer takes a little while, and what was in
    flight at once is counted per host and overall."""

    def __init__(self) -> None:
        self.servers = [LoopbackServer(f"127.0.0.{n}") for n in (1, 2, 3)]
        self.page = (PAGES / "base.html").read_bytes()
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.total = self.most_total = 0
        self.log: list[tuple[float, str]] = []  # (when, path) of every request

    def answer(self, host: str) -> object:
        def handle(info: RequestInfo) -> Route:
            with self.lock:
                self.now[host] = self.now.get(host, 0) + 1
                self.most[host] = max(self.most.get(host, 0), self.now[host])
                self.total += 1
                self.most_total = max(self.most_total, self.total)
                self.log.append((time.time(), f"{host}{info.path}"))
            time.sleep(0.1)
            with self.lock:
                self.now[host] -= 1
                self.total -= 1
            return Route(body=self.page)
        return handle


@pytest.fixture
def hosts(db: peewee.Database) -> Iterator[Hosts]:
    site = Hosts()
    for n, server in enumerate(site.servers):
        server.start()
        terms = {}
        for k, doc_type in enumerate(TYPES):
            server.handler(f"/d{k}", site.answer(server.host))  # type: ignore[arg-type]
            terms[doc_type] = {"fetch": server.url(f"/d{k}"), "select": "main"}
        add_custom(db, f"site{n}", {"name": f"Site {n}", "terms": terms})
    yield site
    for server in site.servers:
        server.stop()


def test_hosts_are_checked_at_once_but_each_one_request_at_a_time(
        db: peewee.Database, hosts: Hosts) -> None:
    docs = active_documents()
    assert {hosts_of(d) for d in docs} == {frozenset({f"127.0.0.{n}"}) for n in (1, 2, 3)}
    with Monitor(db, Fetcher(retries=0), confirm_delay_s=0) as monitor:
        results = run_checks(monitor, docs)
    assert [r.outcome for r in results] == [Outcome.FIRST] * 9
    assert [r.document_id for r in results] == [d.id for d in docs]  # in the asked order
    assert max(hosts.most.values()) == 1  # polite: never two requests to one host
    assert hosts.most_total > 1  # …but several hosts at once


def test_every_change_is_confirmed_during_one_shared_wait(db: peewee.Database,
                                                         hosts: Hosts) -> None:
    with Monitor(db, Fetcher(retries=0), confirm_delay_s=0) as monitor:
        run_checks(monitor, active_documents())
    hosts.page = (PAGES / "changed.html").read_bytes()
    hosts.log.clear()
    said: list[str] = []
    delay = 1.0
    with Monitor(db, Fetcher(retries=0), confirm_delay_s=delay) as monitor:
        results = run_checks(monitor, active_documents(), report=said.append)
    assert [r.outcome for r in results] == [Outcome.CHANGED] * 9
    firsts = {path: when for when, path in reversed(hosts.log)}  # each page's first request
    seconds = {path: when for when, path in hosts.log}  # and its last (the confirmation)
    assert len(hosts.log) == 18  # two fetches per document, no more
    assert max(firsts.values()) < min(seconds.values())  # one wait for all of them
    assert all(seconds[p] - firsts[p] >= delay for p in firsts)
    assert any(m.startswith("confirming 9 changes (second fetch in ") for m in said)
    assert max(hosts.most.values()) == 1
    assert Document.select().count() == 9

"""The check scheduler against a real SQLite file, a fake monitor and an injected clock."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import peewee
import pytest

from tests.support.watch_db import add_document, fresh_database
from watcher_app.monitor import CheckResult
from watcher_app.pending import PendingChange
from watcher_app.progress import Progress
from watcher_app.scheduler import CheckScheduler, due_documents, jitter_for
from watcher_app.settings import Settings, load_settings, save_settings
from watcher_app.store.models import Check, Document, Platform

START = dt.datetime(2025, 3, 1, 12, 0, 0)  # naive UTC, like the database
HOUR = 3600.0
WAIT_S = 10.0  # generous upper bounds for waits, never a speed assertion


class FakeClock:
    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start.replace(tzinfo=dt.UTC).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def utc(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now, dt.UTC).replace(tzinfo=None)


class FakeMonitor:
    """Records checks and writes what a real check writes (a Check row, last_check_at) using
    the fake clock. `gate[doc_id]` makes that check wait; `hang` makes it hang until the test
    ends (and then return without touching the database); `changes[doc_id]` makes its first
    pass see a change whose confirmation is due that many seconds later."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[int] = []
        self.first_times: list[float] = []
        self.confirmed: list[tuple[int, float]] = []  # (document, when) of each confirmation
        self.gates: dict[int, threading.Event] = {}
        self.hang: set[int] = set()
        self.release_hung = threading.Event()
        self.fail: set[int] = set()
        self.changes: dict[int, float] = {}
        self.started = threading.Condition()
        self.in_flight = self.most_in_flight = 0

    def close(self) -> None:
        pass

    def first_pass(self, doc: Document) -> CheckResult | PendingChange:
        with self.started:
            self.calls.append(doc.id)
            self.first_times.append(time.time())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.started.notify_all()
        try:
            return self._check(doc)
        finally:
            with self.started:
                self.in_flight -= 1

    def confirm(self, pending: PendingChange) -> CheckResult:
        self.confirmed.append((pending.document_id, time.time()))
        return self._record(Document.get_by_id(pending.document_id), "changed")

    def _check(self, doc: Document) -> CheckResult | PendingChange:
        if doc.id in self.hang:
            self.release_hung.wait()
            return CheckResult(doc.platform_id, doc.type, "verified")
        if doc.id in self.gates:
            self.gates[doc.id].wait(WAIT_S)
        if doc.id in self.fail:
            raise ValueError("parser exploded")
        if doc.id in self.changes:
            return PendingChange(doc.id, doc.platform_id, doc.type, f"{doc.platform_id} {doc.type}",
                                 "owner", 1, "key", "a clause changed", False,
                                 self.clock.utc().isoformat(), time.time() + self.changes[doc.id])
        return self._record(doc, "verified")

    def _record(self, doc: Document, outcome: str) -> CheckResult:
        when = self.clock.utc()
        Check.create(document=doc.id, started_at=when, outcome=outcome, reason=outcome)
        Document.update(last_check_at=when, last_outcome=outcome, consecutive_failures=0
                        ).where(Document.id == doc.id).execute()
        return CheckResult(doc.platform_id, doc.type, outcome, reason=outcome)

    def wait_started(self, count: int) -> None:
        with self.started:
            assert self.started.wait_for(lambda: len(self.calls) >= count, WAIT_S)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[peewee.SqliteDatabase]:
    database = fresh_database(tmp_path)
    yield database
    database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def monitor(clock: FakeClock) -> Iterator[FakeMonitor]:
    fake = FakeMonitor(clock)
    yield fake
    fake.release_hung.set()  # let abandoned threads end
    for gate in fake.gates.values():
        gate.set()


@pytest.fixture
def make_scheduler(db: peewee.Database, clock: FakeClock, monitor: FakeMonitor
                   ) -> Iterator[Callable[..., CheckScheduler]]:
    made: list[CheckScheduler] = []

    def make(**kwargs: float) -> CheckScheduler:
        # one check at a time unless a test says otherwise: most tests here are about order
        options = {"clock": clock, "startup_delay_s": 0, "max_parallel": 1, **kwargs}
        scheduler = CheckScheduler(db, lambda: monitor, **options)  # type: ignore[arg-type]
        made.append(scheduler)
        return scheduler

    yield make
    monitor.release_hung.set()
    for scheduler in made:
        scheduler.shutdown(wait=False)


def ago(clock: FakeClock, hours: float) -> dt.datetime:
    return clock.utc() - dt.timedelta(hours=hours)


# --- due-time derivation -----------------------------------------------------------------

def test_never_checked_is_due_now(db: peewee.Database, clock: FakeClock) -> None:
    doc = add_document()
    [(planned, due)] = due_documents(clock.utc(), Settings())
    assert planned.id == doc.id and due == clock.utc()


def test_checked_an_hour_ago_is_due_in_five_hours_with_a_stable_jitter(
        db: peewee.Database, clock: FakeClock) -> None:
    doc = add_document(last_check_at=ago(clock, 1))
    [(_, due)] = due_documents(clock.utc(), Settings())
    expected = clock.utc() + dt.timedelta(hours=5)
    assert abs((due - expected).total_seconds()) <= 600
    assert (due - expected).total_seconds() == jitter_for(doc.id, 600, 21600)
    # stable: the same due time on every call (and so after a restart)
    assert due_documents(clock.utc(), Settings())[0][1] == due
    # and an aware "now" gives the same answer
    assert due_documents(clock.utc().replace(tzinfo=dt.UTC), Settings())[0][1] == due


def test_jitter_spreads_documents_and_stays_within_bounds() -> None:
    offsets = {jitter_for(doc_id, 600, 21600) for doc_id in range(1, 50)}
    assert len(offsets) > 40
    assert all(-600 <= o <= 600 for o in offsets)
    assert all(abs(jitter_for(i, 600, 900)) <= 225 for i in range(1, 50))  # quarter interval
    assert jitter_for(7, 0, 21600) == 0


def test_per_document_interval_override(db: peewee.Database, clock: FakeClock) -> None:
    own = add_document("anthropic", last_check_at=ago(clock, 1), check_interval_s=2 * 3600)
    default = add_document("openai", last_check_at=ago(clock, 1))
    settings = Settings(jitter_s=0, check_interval_s=3 * 3600)
    due = {doc.id: when for doc, when in due_documents(clock.utc(), settings)}
    assert due[own.id] == clock.utc() + dt.timedelta(hours=1)
    assert due[default.id] == clock.utc() + dt.timedelta(hours=2)


def test_only_active_documents_of_watched_platforms(db: peewee.Database,
                                                    clock: FakeClock) -> None:
    kept = add_document("anthropic")
    add_document("anthropic", "Privacy Policy", active=False)
    add_document("openai")
    Platform.update(watched=False).where(Platform.id == "openai").execute()
    assert [doc.id for doc, _ in due_documents(clock.utc(), Settings())] == [kept.id]


def test_a_last_check_in_the_future_does_not_freeze_the_document(
        db: peewee.Database, clock: FakeClock) -> None:
    add_document(last_check_at=clock.utc() + dt.timedelta(days=30))  # clock was set back
    [(_, due)] = due_documents(clock.utc(), Settings(jitter_s=0))
    assert due == clock.utc() + dt.timedelta(hours=6)


# --- running -----------------------------------------------------------------------------

def test_overdue_documents_run_once_at_start(make_scheduler: Callable[..., CheckScheduler],
                                             monitor: FakeMonitor, clock: FakeClock) -> None:
    never = add_document("anthropic")
    overdue = add_document("openai", last_check_at=ago(clock, 7))
    add_document("mistral", last_check_at=ago(clock, 1))  # not due
    scheduler = make_scheduler()
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S)
    assert sorted(monitor.calls) == sorted([never.id, overdue.id])
    assert scheduler.tick() == []  # the database now says they are not due


def test_restart_does_not_double_a_check(make_scheduler: Callable[..., CheckScheduler],
                                         monitor: FakeMonitor, clock: FakeClock) -> None:
    docs = [add_document(p) for p in ("anthropic", "openai", "mistral")]
    first = make_scheduler()
    first.start()
    assert first.wait_idle(WAIT_S)
    first.shutdown(wait=True)
    clock.advance(10 * 60)  # restarted ten minutes later
    second = make_scheduler()
    second.start()
    assert second.wait_idle(WAIT_S)
    assert sorted(monitor.calls) == sorted(d.id for d in docs)
    assert Check.select().count() == 3


def test_sleep_runs_each_overdue_document_exactly_once(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    docs = [add_document(p, last_check_at=ago(clock, 1)) for p in ("anthropic", "openai")]
    scheduler = make_scheduler()
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == []
    clock.advance(10 * HOUR)  # the lid was closed; monotonic time did not move
    with caplog.at_level(logging.INFO, logger="watcher_app.scheduler"):
        queued = scheduler.tick()
        scheduler.tick()  # APScheduler's coalesced tick and ours: still once
    assert sorted(queued) == sorted(d.id for d in docs)
    assert "woke from sleep" in caplog.text
    assert scheduler.wait_idle(WAIT_S)
    scheduler.tick()
    assert scheduler.wait_idle(WAIT_S)
    assert sorted(monitor.calls) == sorted(d.id for d in docs)


def test_a_check_made_meanwhile_is_not_repeated(make_scheduler: Callable[..., CheckScheduler],
                                                monitor: FakeMonitor, clock: FakeClock) -> None:
    busy = add_document("anthropic", last_check_at=ago(clock, 1))
    other = add_document("openai", last_check_at=ago(clock, 1))
    monitor.gates[busy.id] = threading.Event()
    scheduler = make_scheduler()
    scheduler.start()
    scheduler.check_now([busy.id])
    monitor.wait_started(1)
    clock.advance(6 * HOUR)
    assert scheduler.tick() == [other.id]  # busy is running: not queued twice
    # the command line checks `other` while it waits in the queue
    Document.update(last_check_at=clock.utc()).where(Document.id == other.id).execute()
    monitor.gates[busy.id].set()
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [busy.id]


def test_check_now_dedupes(make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor,
                           clock: FakeClock) -> None:
    a, b, c = (add_document(p, last_check_at=ago(clock, 1)) for p in ("a", "b", "c"))
    monitor.gates[a.id] = threading.Event()
    scheduler = make_scheduler()
    scheduler.start()
    assert scheduler.check_now([a.id]) == [a.id]
    monitor.wait_started(1)
    assert scheduler.running() == a.id
    assert scheduler.check_now([b.id, b.id, c.id]) == [b.id, c.id]
    assert scheduler.check_now([b.id]) == []
    assert scheduler.check_now(None) == []  # a is running, b and c are queued
    assert scheduler.check_now([a.id, 9999]) == []  # unknown ids are ignored
    monitor.gates[a.id].set()
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [a.id, b.id, c.id]
    assert scheduler.check_now(None) == [a.id, b.id, c.id]  # nothing queued: all again
    assert scheduler.wait_idle(WAIT_S)
    assert len(monitor.calls) == 6


def test_check_now_goes_ahead_of_background_checks(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor,
        clock: FakeClock) -> None:
    first, second, wanted = (add_document(p) for p in ("a", "b", "c"))
    Document.update(last_check_at=clock.utc()).where(Document.id == wanted.id).execute()
    monitor.gates[first.id] = threading.Event()
    scheduler = make_scheduler()
    scheduler.start()  # queues the never-checked first and second
    monitor.wait_started(1)
    scheduler.check_now([wanted.id])
    assert scheduler.queued() == [wanted.id, second.id]
    monitor.gates[first.id].set()
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [first.id, wanted.id, second.id]


def test_pause_and_resume_are_persisted(make_scheduler: Callable[..., CheckScheduler],
                                        monitor: FakeMonitor, clock: FakeClock) -> None:
    doc = add_document(last_check_at=ago(clock, 1))
    scheduler = make_scheduler()
    scheduler.start()
    scheduler.pause()
    assert load_settings().paused and scheduler.paused
    clock.advance(10 * HOUR)
    assert scheduler.tick() == []
    assert make_scheduler().tick() == []  # a restarted app stays paused
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == []
    scheduler.resume()
    assert not load_settings().paused
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [doc.id]


def test_paused_at_start_checks_nothing_but_check_now_works(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    doc = add_document()
    save_settings(Settings(paused=True))
    scheduler = make_scheduler()
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == []
    scheduler.check_now([doc.id])
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == [doc.id]


def test_watchdog_records_a_hung_check_and_moves_on(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    hung, fine = add_document("anthropic"), add_document("openai")
    monitor.hang.add(hung.id)
    finished: list[tuple[int, CheckResult]] = []
    scheduler = make_scheduler(watchdog_s=0.5)
    scheduler.on_check_finished = lambda doc_id, result: finished.append((doc_id, result))
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [hung.id, fine.id]
    row = Check.get(Check.document == hung.id)
    assert (row.outcome, row.reason) == ("error", "check hung for 0.5 s (watchdog)")
    doc = Document.get_by_id(hung.id)
    assert (doc.consecutive_failures, doc.last_outcome) == (1, "error")
    assert finished[0][0] == hung.id and finished[0][1].status == "error"
    assert finished[1][0] == fine.id and finished[1][1].status == "unchanged"


def test_a_check_that_raises_is_recorded_as_an_error(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    doc = add_document()
    monitor.fail.add(doc.id)
    scheduler = make_scheduler()
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S)
    row = Check.get(Check.document == doc.id)
    assert row.outcome == "error" and "parser exploded" in row.reason
    assert Document.get_by_id(doc.id).consecutive_failures == 1


def test_callbacks_report_progress_and_idle(make_scheduler: Callable[..., CheckScheduler],
                                            monitor: FakeMonitor) -> None:
    docs = [add_document(p) for p in ("a", "b")]
    events: list[tuple] = []
    idle = threading.Event()
    scheduler = make_scheduler()
    scheduler.on_check_started = lambda doc_id: events.append(("started", doc_id))
    scheduler.on_check_finished = lambda doc_id, r: events.append(("finished", doc_id))
    scheduler.on_progress = lambda p: events.append(("progress", p.done, p.total, p.checking))
    scheduler.on_idle = lambda: (events.append(("idle",)), idle.set())
    scheduler.start()
    assert idle.wait(WAIT_S)
    a, b = (d.id for d in docs)
    # (progress events come from two threads around the hand-over: their order there varies)
    assert [e for e in events if e[0] != "progress"] == [
        ("started", a), ("finished", a), ("started", b), ("finished", b), ("idle",)]
    assert ("progress", 0, 2, ("A Usage Policy",)) in events
    assert ("progress", 1, 2, ("B Usage Policy",)) in events
    assert events[-2:] == [("progress", 2, 2, ()), ("idle",)]


def test_a_failing_callback_does_not_stop_the_checks(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    docs = [add_document(p) for p in ("a", "b")]
    scheduler = make_scheduler()

    def broken(doc_id: int) -> None:
        raise RuntimeError("UI bug")

    scheduler.on_check_started = broken
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [d.id for d in docs]


def test_startup_delay_holds_background_checks_but_not_check_now(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    doc = add_document()
    scheduler = make_scheduler(startup_delay_s=3600)
    scheduler.start()
    assert scheduler.tick() == []  # the network gets its half minute (here: an hour)
    assert monitor.calls == []
    scheduler.check_now([doc.id])
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == [doc.id]


def test_next_due_times_for_the_ui(make_scheduler: Callable[..., CheckScheduler],
                                   clock: FakeClock) -> None:
    doc = add_document(last_check_at=ago(clock, 1))
    save_settings(Settings(jitter_s=0))
    assert make_scheduler().next_due_times() == {doc.id: clock.utc() + dt.timedelta(hours=5)}


def test_apscheduler_runs_the_first_tick_after_the_startup_delay(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    doc = add_document()
    scheduler = make_scheduler(startup_delay_s=0.2)
    scheduler.start()
    assert monitor.calls == []  # held for the network at first
    monitor.wait_started(1)  # then BackgroundScheduler's first tick queues it
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == [doc.id]


def test_the_same_scheduler_can_be_restarted(make_scheduler: Callable[..., CheckScheduler],
                                             monitor: FakeMonitor, clock: FakeClock) -> None:
    doc = add_document(last_check_at=ago(clock, 1))
    scheduler = make_scheduler()
    scheduler.start()
    scheduler.shutdown(wait=True)
    scheduler.start()
    assert scheduler.check_now([doc.id]) == [doc.id]
    assert scheduler.wait_idle(WAIT_S) and monitor.calls == [doc.id]


# --- concurrency: hosts at once, one request per host, confirmations that overlap ----------

def test_documents_of_different_hosts_are_checked_at_once(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    docs = [add_document(p) for p in ("a", "b", "c")]  # three hosts: a.example, b.example…
    for doc in docs:
        monitor.gates[doc.id] = threading.Event()
    scheduler = make_scheduler(max_parallel=8)
    scheduler.start()
    monitor.wait_started(3)  # all three in flight while none has finished
    assert sorted(scheduler.running_ids()) == sorted(d.id for d in docs)
    assert "Checking 3 documents" in scheduler.progress().message()
    for doc in docs:
        monitor.gates[doc.id].set()
    assert scheduler.wait_idle(WAIT_S) and monitor.most_in_flight == 3


def test_one_host_gets_one_check_at_a_time(make_scheduler: Callable[..., CheckScheduler],
                                          monitor: FakeMonitor) -> None:
    first = add_document("acme", "Terms of Service")
    second = add_document("acme", "Privacy Policy")  # the same host
    other = add_document("other")
    monitor.gates[first.id] = threading.Event()
    scheduler = make_scheduler(max_parallel=8)
    scheduler.start()
    monitor.wait_started(2)
    assert sorted(monitor.calls) == sorted([first.id, other.id])
    assert scheduler.queued() == [second.id]  # waits for its host, not for a free slot
    monitor.gates[first.id].set()
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls[-1] == second.id


def test_confirmations_overlap_instead_of_holding_a_worker(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    """Every document changed: each first pass hands back its change at once, the second
    fetches are scheduled, and the whole cycle takes about one confirmation delay, not one
    per change, even with a single check at a time: every first pass is over before the
    first confirmation starts."""
    docs = [add_document(p) for p in ("a", "b", "c", "d", "e", "f")]
    delay = 3.0  # ample for six first passes, even on a loaded machine
    for doc in docs:
        monitor.changes[doc.id] = delay
    seen: list[Progress] = []
    finished: list[tuple[int, str]] = []
    scheduler = make_scheduler(max_parallel=1)
    scheduler.on_progress = seen.append
    scheduler.on_check_finished = lambda doc_id, r: finished.append((doc_id, r.outcome))
    scheduler.start()
    assert scheduler.wait_idle(WAIT_S)
    assert sorted(finished) == sorted((d.id, "changed") for d in docs)
    assert len(monitor.confirmed) == len(docs)
    first_confirmation = min(when for _, when in monitor.confirmed)
    assert max(monitor.first_times) < first_confirmation  # the waits overlap
    assert first_confirmation >= min(monitor.first_times) + delay  # each waits its delay
    waiting = [p for p in seen if len(p.confirming) == len(docs)]
    assert waiting, "progress never showed every change waiting for its second fetch"
    assert waiting[0].message().startswith(f"Confirming {len(docs)} changes (next second "
                                           "fetch in ")
    assert seen[-1].done == seen[-1].total == len(docs)


def test_a_document_waiting_for_its_confirmation_is_not_checked_again(
        make_scheduler: Callable[..., CheckScheduler], monitor: FakeMonitor) -> None:
    doc = add_document("a")
    monitor.changes[doc.id] = 1.0
    scheduler = make_scheduler()
    scheduler.start()
    deadline = time.time() + WAIT_S
    while scheduler.confirming() != [doc.id] and time.time() < deadline:
        time.sleep(0.01)
    assert scheduler.confirming() == [doc.id]
    assert scheduler.check_now([doc.id]) == []  # its change is being confirmed already
    message = scheduler.progress().message()
    assert message.startswith("Confirming a change on a Usage Policy (second fetch in ")
    assert scheduler.wait_idle(WAIT_S)
    assert monitor.calls == [doc.id] and len(monitor.confirmed) == 1

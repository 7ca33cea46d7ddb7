"""Background checks: when each document is due comes from the database, never from memory.

A document is due at `last_check_at + interval + a stable per-document jitter`. Because that is
recomputed from the database on every tick (and again just before a check runs), a restart, a
laptop sleep or a check made meanwhile by the command line can neither lose nor double a check;
APScheduler only provides the heartbeat (a `tick` every minute, coalesced after a sleep) and a
precise wake-up for the next due document.

A dispatcher thread starts the queued checks, several at once but never two on one host
(cycle.HostSlots: the network floor, and politeness). A change's first pass returns a
PendingChange; its confirmation is queued again when due (`confirm_delay_s` later) and runs
among the other checks, so confirmations overlap instead of holding a worker each. Each check
runs in its own short-lived thread under a watchdog, so a check stuck in a network call or a
parser is recorded as an error and abandoned (Python threads cannot be killed) while the others
go on. No Qt here: the callbacks are plain callables, called from the scheduler's threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import peewee
from apscheduler.schedulers.background import BackgroundScheduler

from watcher_app.check_result import CheckResult
from watcher_app.cycle import PARALLEL, HostSlots, hosts_of
from watcher_app.outcomes import Code, Outcome
from watcher_app.pending import PendingChange
from watcher_app.progress import Confirming, Progress
from watcher_app.recorder import result_for, settle
from watcher_app.settings import Settings, load_settings, save_settings
from watcher_app.store.models import Document, Platform
from watcher_app.watchlist import active_documents

log = logging.getLogger(__name__)

# How far the wall clock may run ahead of the monotonic clock between two ticks before we call
# it a wake from sleep (CLOCK_MONOTONIC stops while suspended; NTP nudges are far smaller).
WAKE_GAP_S = 120.0
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


def _naive_utc(when: dt.datetime) -> dt.datetime:
    """The database stores naive UTC; accept an aware datetime too."""
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def jitter_for(doc_id: int, jitter_s: int, interval_s: int) -> int:
    """A stable offset in [-spread, +spread] seconds, the same for a document on every run (a
    random one would move the due time at each restart). Capped at a quarter of the interval,
    so a short interval is never eaten by the spread."""
    spread = min(jitter_s, interval_s // 4)
    if spread <= 0:
        return 0
    digest = hashlib.sha256(f"governance-watcher:jitter:{doc_id}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return round((2 * fraction - 1) * spread)


def next_due(doc: Document, settings: Settings, now: dt.datetime) -> dt.datetime:
    """When `doc` should next be checked (naive UTC). Never checked: now."""
    now = _naive_utc(now)
    if doc.last_check_at is None:
        return now
    interval = settings.interval_for(doc)
    offset = dt.timedelta(seconds=interval + jitter_for(doc.id, settings.jitter_s, interval))
    # A last check "in the future" (the clock was set back) must not freeze the document.
    due = min(doc.last_check_at + offset, now + offset)
    # A server that asked us to come back later (Retry-After) is not asked sooner.
    retry = getattr(doc, "retry_not_before", None)
    return max(due, retry) if retry is not None else due


def due_documents(now: dt.datetime, settings: Settings) -> list[tuple[Document, dt.datetime]]:
    """Every active document with its next due time, soonest first; those due at or before
    `now` are the overdue ones. Pure apart from reading the database."""
    now = _naive_utc(now)
    planned = [(doc, next_due(doc, settings, now)) for doc in active_documents()]
    planned.sort(key=lambda pair: (pair[1], pair[0].id))
    return planned


class CheckRunner(Protocol):
    """What the scheduler needs of a monitor: the in-process Monitor and the desktop app's
    CheckWorker (a long-lived check process) both are one. Both steps may be called from
    several threads at once."""

    def first_pass(self, doc: Document) -> CheckResult | PendingChange: ...

    def confirm(self, pending: PendingChange) -> CheckResult: ...

    def close(self) -> None: ...


@dataclass
class _Job:
    doc_id: int
    forced: bool  # "check now": runs even when not due or paused
    pending: PendingChange | None = None  # set: the confirming second fetch of a change
    hosts: frozenset[str] | None = None  # known once the document was read
    label: str = ""
    retries: int = 0  # a check cut short through no fault of its own runs once more


class CheckScheduler:
    def __init__(self, db: peewee.Database, monitor_factory: Callable[[], CheckRunner], *,
                 clock: Callable[[], float] = time.time, startup_delay_s: float = 30.0,
                 watchdog_s: float = 300.0, tick_s: float = 60.0,
                 max_parallel: int = PARALLEL) -> None:
        self.db = db
        self.monitor_factory = monitor_factory
        self.clock = clock
        self.startup_delay_s = startup_delay_s
        self.watchdog_s = watchdog_s
        self.tick_s = tick_s
        self.max_parallel = max_parallel
        # Set by the UI; called from the scheduler's threads, one call at a time (re-emit them
        # as queued Qt signals). on_progress gets a progress.Progress.
        self.on_check_started: Callable[[int], None] | None = None
        self.on_check_finished: Callable[[int, CheckResult], None] | None = None
        self.on_progress: Callable[[Progress], None] | None = None
        self.on_idle: Callable[[], None] | None = None

        self._cond = threading.Condition()
        # Checks end in several threads at once; the callbacks (alert bookkeeping, notifiers)
        # were written for one caller at a time and keep getting one.
        self._callbacks = threading.Lock()
        self._queue: list[_Job] = []  # confirmations, then forced jobs, each document once
        self._active: dict[int, _Job] = {}  # running now, by document
        self._waiting: dict[int, PendingChange] = {}  # changes before their second fetch
        self._slots = HostSlots(max_parallel)
        self._done = self._total = 0  # progress of the current batch
        self._stopping = False
        self._generation = 0  # a worker left over from an earlier start() exits, never doubles
        self._plan_lock = threading.Lock()
        self._hold_until = 0.0  # monotonic time before which background checks wait
        self._last_wall = self._last_mono = 0.0
        self._monitor: CheckRunner | None = None
        self._monitor_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._aps: BackgroundScheduler | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._aps is not None:
            raise RuntimeError("the scheduler is already running")
        self._last_wall, self._last_mono = self.clock(), time.monotonic()
        # Overdue documents wait a little at start: the network may not be up yet at login.
        self._hold_until = self._last_mono + self.startup_delay_s
        with self._cond:
            self._stopping = False
            self._generation += 1
        self._worker = threading.Thread(target=self._dispatch, args=(self._generation,),
                                        name="gw-check-dispatcher", daemon=True)
        self._worker.start()
        self._aps = BackgroundScheduler(timezone=dt.UTC, job_defaults=dict(JOB_DEFAULTS))
        # (+0.5 s: the hold is measured on the monotonic clock, APScheduler fires on the wall one)
        first = self.startup_delay_s + 0.5 if self.startup_delay_s > 0 else self.tick_s
        self._aps.add_job(self.tick, "interval", seconds=self.tick_s, id="tick",
                          next_run_time=_real_in(first))
        self._aps.start()
        if self.startup_delay_s <= 0:
            try:
                self.tick()  # no delay wanted: plan now, in the caller's thread (deterministic)
            except peewee.PeeweeException:
                log.exception("the first planning failed; the next tick retries")

    def shutdown(self, wait: bool = True) -> None:
        """Stop planning and drop the queue and the waiting confirmations (re-derived from the
        database at the next start: a change not yet confirmed recorded nothing, so its
        document is still due). With `wait`, let the running checks finish (bounded by the
        watchdog). At quit, wait=False is safe: a check commits in one transaction, so a check
        cut short by the process ending leaves nothing half-written."""
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._waiting.clear()
            self._cond.notify_all()
        if self._aps is not None:
            self._aps.shutdown(wait=wait)
            self._aps = None
        if wait and self._worker is not None:
            self._worker.join(timeout=5)
            with self._cond:
                self._cond.wait_for(lambda: not self._active, self.watchdog_s + 5)
        self._worker = None
        with self._cond:
            running = bool(self._active)
        with self._monitor_lock:
            monitor, self._monitor = self._monitor, None
        if monitor is not None and not running:
            monitor.close()  # its connections or process; a check still running keeps it

    # --- planning -----------------------------------------------------------------------

    def tick(self) -> list[int]:
        """Re-plan from the database: queue the overdue documents. Returns the ids queued."""
        with self._plan_lock:
            wall, mono = self.clock(), time.monotonic()
            jump = (wall - self._last_wall) - (mono - self._last_mono)
            known = self._last_wall > 0  # no reference before start(): nothing to compare
            self._last_wall, self._last_mono = wall, mono
            if known and jump > WAKE_GAP_S:
                log.info("woke from sleep (wall clock %.0f s ahead of monotonic)", jump)
                if self.startup_delay_s > 0:  # give Wi-Fi time to reconnect first
                    self._hold_until = mono + self.startup_delay_s
                    self._schedule_tick("wake", self.startup_delay_s + 0.5)
            settings = load_settings()
            if settings.paused or mono < self._hold_until:
                return []
            now = self._now()
            planned = due_documents(now, settings)
            queued = self._enqueue([doc.id for doc, due in planned if due <= now], forced=False)
            upcoming = [due for _, due in planned if due > now]
            if upcoming:
                # a precise wake-up when the next document falls due before the next tick
                self._schedule_tick("next-due", (upcoming[0] - now).total_seconds() + 0.5)
            return queued

    def check_now(self, document_ids: list[int] | None = None) -> list[int]:
        """Queue immediate checks (every active document when None), ahead of the background
        ones; a document already queued or running is not queued twice. Works while paused:
        the user asked for it. Returns the ids newly queued."""
        if document_ids is None:
            ids = [doc.id for doc in active_documents()]
        else:
            wanted = list(dict.fromkeys(document_ids))
            known = {d.id for d in Document.select(Document.id).where(Document.id.in_(wanted))}
            ids = [i for i in wanted if i in known]
        return self._enqueue(ids, forced=True)

    def pause(self) -> None:
        """Stop background checks (persisted); queued background checks are dropped (changes
        already seen still get their confirmation)."""
        self._set_paused(True)
        with self._cond:
            dropped = [job for job in self._queue if not job.forced and job.pending is None]
            self._queue = [job for job in self._queue if job not in dropped]
            self._total -= len(dropped)

    def resume(self) -> None:
        self._set_paused(False)
        self._hold_until = 0.0  # the user is here: no startup delay
        self.tick()

    @property
    def paused(self) -> bool:
        return load_settings().paused

    # --- introspection (for the UI and the tests) -----------------------------------------

    def queued(self) -> list[int]:
        with self._cond:
            return [job.doc_id for job in self._queue if job.pending is None]

    def running(self) -> int | None:
        """A document being checked right now (the first one, when several are)."""
        with self._cond:
            return next(iter(self._active), None)

    def running_ids(self) -> list[int]:
        with self._cond:
            return list(self._active)

    def confirming(self) -> list[int]:
        """Documents whose change waits for (or is making) its confirming second fetch."""
        with self._cond:
            return [*self._waiting, *(d for d, j in self._active.items() if j.pending)]

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued, running or waiting for its confirmation; False on
        timeout."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def next_due_times(self) -> dict[int, dt.datetime]:
        return {doc.id: due for doc, due in due_documents(self._now(), load_settings())}

    # --- internals ------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).replace(tzinfo=None)

    def _set_paused(self, value: bool) -> None:
        settings = load_settings()
        settings.paused = value
        save_settings(settings)

    def _schedule_tick(self, job_id: str, delay_s: float) -> None:
        if self._aps is None or not self._aps.running or delay_s >= self.tick_s:
            return  # the regular tick comes first anyway
        self._aps.add_job(self.tick, "date", run_date=_real_in(max(delay_s, 0.0)), id=job_id,
                          replace_existing=True)

    def _idle(self) -> bool:
        return not self._queue and not self._active and not self._waiting

    def _busy(self, doc_id: int) -> bool:
        return doc_id in self._active or doc_id in self._waiting

    def _enqueue(self, ids: list[int], *, forced: bool) -> list[int]:
        added: list[int] = []
        with self._cond:
            if self._idle():
                self._done = self._total = 0  # a new batch
            for doc_id in ids:
                existing = next((job for job in self._queue
                                 if job.doc_id == doc_id and job.pending is None), None)
                if existing is not None:
                    if forced and not existing.forced:  # promote it ahead of background jobs
                        self._queue.remove(existing)
                        existing.forced = True
                        self._insert(existing)
                    continue
                if self._busy(doc_id):
                    continue  # running or confirming now: as fresh as a new check's result
                self._insert(_Job(doc_id, forced))
                self._total += 1
                added.append(doc_id)
            if added:
                self._cond.notify_all()
        return added

    def _insert(self, job: _Job) -> None:
        """Confirmations first (they are due), then forced checks, then background ones."""
        def rank(queued: _Job) -> int:
            return 0 if queued.pending is not None else 1 if queued.forced else 2

        at = next((i for i, queued in enumerate(self._queue) if rank(queued) > rank(job)),
                  len(self._queue))
        self._queue.insert(at, job)

    def _dispatch(self, generation: int) -> None:
        """Start every queued job whose hosts are free, move due confirmations into the queue,
        and report progress (every second while changes wait, for the countdown)."""
        last_report = 0.0
        while True:
            self._learn_hosts()
            with self._cond:
                if self._stopping or generation != self._generation:
                    return
                now = time.time()  # PendingChange.due_at is wall-clock time, not the planning clock
                for doc_id, pending in list(self._waiting.items()):
                    if pending.due_at <= now:
                        del self._waiting[doc_id]
                        self._insert(_Job(doc_id, True, pending, label=pending.label))
                self._start_ready()
                next_due = min((p.due_at for p in self._waiting.values()), default=None)
                timeout = None if next_due is None else max(0.05, min(1.0, next_due - now))
                tick = bool(self._waiting) and time.monotonic() - last_report >= 1.0
            if tick:  # the countdown of the waiting confirmations
                last_report = time.monotonic()
                self._report()
            with self._cond:
                if self._stopping or generation != self._generation:
                    return
                if not self._ready() and not self._due(time.time()):
                    self._cond.wait(timeout)

    def _learn_hosts(self) -> None:
        """Read the hosts of queued documents (outside the lock: it is a database read)."""
        with self._cond:
            unknown = [job for job in self._queue if job.hosts is None]
        if not unknown:
            return
        try:
            docs = {d.id: d for d in Document.select(Document.id, Document.sources).where(
                Document.id.in_([job.doc_id for job in unknown]))}
        except peewee.PeeweeException:
            log.exception("could not read the documents to check")
            docs = {}
        with self._cond:
            for job in unknown:
                doc = docs.get(job.doc_id)
                job.hosts = hosts_of(doc) if doc is not None else frozenset()

    def _ready(self) -> bool:
        """Something to do at once: a job to start, or one whose hosts are not known yet."""
        return any(job.hosts is None or self._startable(job) for job in self._queue)

    def _startable(self, job: _Job) -> bool:
        return (job.hosts is not None and job.doc_id not in self._active
                and self._slots.free(job.hosts))

    def _due(self, now: float) -> bool:
        return any(p.due_at <= now for p in self._waiting.values())

    def _start_ready(self) -> None:
        """Under the lock: start every queued job that may run now, in queue order."""
        for job in list(self._queue):
            if not self._startable(job):
                continue
            self._queue.remove(job)
            self._slots.take(job.hosts or frozenset())
            self._active[job.doc_id] = job
            threading.Thread(target=self._job, args=(job,), name=f"gw-check-{job.doc_id}",
                             daemon=True).start()

    def _job(self, job: _Job) -> None:
        """One check (or one confirmation) in its own thread."""
        ended: bool | PendingChange = False
        try:
            ended = self._run(job)
        except Exception:  # noqa: BLE001 - the scheduler must survive anything one check does
            log.exception("scheduling the check of document %s failed", job.doc_id)
            ended = True
        finally:
            try:
                self.db.close()  # this thread's own connection (peewee keeps one per thread)
            except peewee.PeeweeException:
                log.debug("could not close a check thread's connection", exc_info=True)
            with self._cond:
                self._active.pop(job.doc_id, None)
                self._slots.give(job.hosts or frozenset())
                if isinstance(ended, PendingChange):
                    if not self._stopping:  # its second fetch, when due (see _dispatch)
                        self._waiting[job.doc_id] = ended
                elif ended:
                    self._done += 1
                idle = self._idle() and not self._stopping
                self._cond.notify_all()
        self._report()
        if idle:
            self._emit(self.on_idle)

    def _run(self, job: _Job) -> bool | PendingChange:
        """Check one document unless the database says it is no longer due (a confirmation
        always runs). Returns the change awaiting its confirmation, True for a final result
        or False for a check queued again."""
        doc = (Document.select(Document, Platform).join(Platform)
               .where(Document.id == job.doc_id).first())
        if doc is None:
            return True
        if job.pending is None:
            if not job.forced:
                settings, now = load_settings(), self._now()
                if settings.paused or not (doc.active and doc.platform.watched):
                    return True
                if next_due(doc, settings, now) > now:
                    return True  # checked meanwhile (the CLI, a previous run): never double
            job.label = f"{doc.platform.name} {doc.type}"
            self._emit(self.on_check_started, doc.id)
        self._report()
        outcome = self._with_watchdog(doc, job)
        if outcome is None:  # cut short by another check's failure: once more, later
            return False
        if isinstance(outcome, PendingChange):
            return outcome
        self._emit(self.on_check_finished, doc.id, outcome)
        return True

    def _runner(self) -> CheckRunner:
        # One monitor for every check: its fetcher keeps the per-host politeness state.
        with self._monitor_lock:
            if self._monitor is None:
                self._monitor = self.monitor_factory()
            return self._monitor

    def _with_watchdog(self, doc: Document, job: _Job) -> CheckResult | PendingChange | None:
        """Every way a check can end comes out as a result that is recorded exactly once:
        the monitor records its own, and a failure it could not record (a check process that
        was killed, an exception, a hung thread) is recorded here through the one recorder.
        None: the check was cut short by another one's failure and is queued again."""
        started, clock = self._now(), time.monotonic()
        box: dict[str, Any] = {}
        try:
            monitor = self._runner()
        except Exception as exc:  # noqa: BLE001 - recorded like any failed check
            box["error"] = exc
        else:
            runner = threading.Thread(target=self._guarded, args=(monitor, doc, job, box),
                                      name=f"gw-run-{doc.id}", daemon=True)
            runner.start()
            runner.join(self.watchdog_s)
        if "error" not in box and "result" not in box:
            box["abandoned"] = True
            with self._monitor_lock:
                if self._monitor is monitor:  # the hung one may hold a connection: afresh
                    self._monitor = None
            reason = f"check hung for {self.watchdog_s:g} s (watchdog)"
            log.warning("document %s: %s; moving on", doc.id, reason)
            code: str = Code.HUNG
        elif "error" in box:
            failure: BaseException = box["error"]
            if getattr(failure, "retryable", False) and job.retries < 1:
                log.info("the check of document %s was cut short (%s); queued again",
                         doc.id, failure)
                with self._cond:
                    if not self._stopping:
                        self._insert(_Job(doc.id, True, job.pending, job.hosts, job.label,
                                          job.retries + 1))
                return None
            reason = f"internal error: {type(failure).__name__}: {failure}"
            log.error("the check of document %s raised", doc.id, exc_info=failure)
            code = Code.INTERNAL
        else:
            outcome = box["result"]
            if isinstance(outcome, PendingChange):
                return outcome
            return self._settle(doc, outcome, started)
        duration = time.monotonic() - clock
        failed = result_for(doc, Outcome.ERROR, code, reason, duration_s=duration)
        failed.recorded = False
        return self._settle(doc, failed, started)

    def _guarded(self, monitor: CheckRunner, doc: Document, job: _Job,
                 box: dict[str, Any]) -> None:
        """The body of a check thread: the result or the exception goes into `box`."""
        try:
            if job.pending is not None:
                box["result"] = monitor.confirm(job.pending)
            else:
                box["result"] = monitor.first_pass(doc)
        except BaseException as exc:  # noqa: BLE001 - reported by the waiting job thread
            box["error"] = exc
        finally:
            try:
                self.db.close()  # this thread's own connection (peewee keeps one per thread)
            except peewee.PeeweeException:
                log.debug("could not close a check thread's connection", exc_info=True)
            if box.get("abandoned"):
                log.warning("the abandoned check of document %s ended after all", doc.id)

    def _settle(self, doc: Document, result: CheckResult, started: dt.datetime
                ) -> CheckResult:
        try:
            return settle(self.db, doc, result, started=started)
        except peewee.PeeweeException:
            log.exception("could not record the failed check of document %s", doc.id)
            return result

    def progress(self) -> Progress:
        """What is happening now (also sent to on_progress whenever it changes)."""
        with self._cond:
            checking = tuple(job.label for job in self._active.values()
                             if job.pending is None and job.label)
            confirming = [Confirming(doc_id, p.label, p.due_at)
                          for doc_id, p in self._waiting.items()]
            confirming += [Confirming(doc_id, job.label, job.pending.due_at)
                           for doc_id, job in self._active.items() if job.pending is not None]
            return Progress(self._done, self._total, checking,
                            tuple(sorted(confirming, key=lambda c: c.due_at)), time.time())

    def _report(self) -> None:
        self._emit(self.on_progress, self.progress())

    def _emit(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            with self._callbacks:
                callback(*args)
        except Exception:  # noqa: BLE001 - a UI bug must not stop the checks
            log.exception("a scheduler callback failed")


def _real_in(seconds: float) -> dt.datetime:
    """An aware UTC time `seconds` from now by the real clock: APScheduler runs on real time
    even when the planning clock is injected (tests)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)

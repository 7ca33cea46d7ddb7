"""Background checks: when each document is due comes from the database, never from memory.

A document is due at `last_check_at + interval + a stable per-document jitter`. Because that is
recomputed from the database on every tick (and again just before a check runs), a restart, a
laptop sleep or a check made meanwhile by the command line can neither lose nor double a check;
APScheduler only provides the heartbeat (a `tick` every minute, coalesced after a sleep) and a
precise wake-up for the next due document.

One worker thread runs the checks one after the other. Each check runs in its own short-lived
thread under a watchdog, so a check stuck in a network call or a parser is recorded as an error
and abandoned (Python threads cannot be killed) while the worker goes on with the next document.
No Qt here: the callbacks are plain callables, called from the worker thread.
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
from watcher_app.outcomes import Code, Outcome
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
    ChildProcessMonitor both are one."""

    def check(self, doc: Document) -> CheckResult: ...

    def close(self) -> None: ...


@dataclass
class _Job:
    doc_id: int
    forced: bool  # "check now": runs even when not due or paused


class CheckScheduler:
    def __init__(self, db: peewee.Database, monitor_factory: Callable[[], CheckRunner], *,
                 clock: Callable[[], float] = time.time, startup_delay_s: float = 30.0,
                 watchdog_s: float = 300.0, tick_s: float = 60.0) -> None:
        self.db = db
        self.monitor_factory = monitor_factory
        self.clock = clock
        self.startup_delay_s = startup_delay_s
        self.watchdog_s = watchdog_s
        self.tick_s = tick_s
        # Set by the UI; called from the worker thread (re-emit them as queued Qt signals).
        self.on_check_started: Callable[[int], None] | None = None
        self.on_check_finished: Callable[[int, CheckResult], None] | None = None
        self.on_progress: Callable[[int, int], None] | None = None
        self.on_idle: Callable[[], None] | None = None

        self._cond = threading.Condition()
        self._queue: list[_Job] = []  # forced jobs first, each document at most once
        self._running: int | None = None
        self._done = self._total = 0  # progress of the current batch
        self._stopping = False
        self._generation = 0  # a worker left over from an earlier start() exits, never doubles
        self._plan_lock = threading.Lock()
        self._hold_until = 0.0  # monotonic time before which background checks wait
        self._last_wall = self._last_mono = 0.0
        self._monitor: CheckRunner | None = None
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
        self._worker = threading.Thread(target=self._work, args=(self._generation,),
                                        name="gw-check-worker", daemon=True)
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
        """Stop planning and drop the queue (it is re-derived from the database at the next
        start). With `wait`, let the running check finish (bounded by the watchdog, so up to
        `watchdog_s`). At quit, wait=False is safe: a check commits in one transaction, so a
        check cut short by the process ending leaves nothing half-written."""
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cond.notify_all()
        if self._aps is not None:
            self._aps.shutdown(wait=wait)
            self._aps = None
        if wait and self._worker is not None:
            self._worker.join(timeout=self.watchdog_s + 5)
        self._worker = None
        monitor, self._monitor = self._monitor, None
        if monitor is not None and self._running is None:
            monitor.close()  # its connections; a check still running keeps it (quit path)

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
        """Stop background checks (persisted); queued background checks are dropped."""
        self._set_paused(True)
        with self._cond:
            dropped = [job for job in self._queue if not job.forced]
            self._queue = [job for job in self._queue if job.forced]
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
            return [job.doc_id for job in self._queue]

    def running(self) -> int | None:
        return self._running

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and self._running is None,
                                       timeout)

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

    def _enqueue(self, ids: list[int], *, forced: bool) -> list[int]:
        added: list[int] = []
        with self._cond:
            for doc_id in ids:
                existing = next((job for job in self._queue if job.doc_id == doc_id), None)
                if existing is not None:
                    if forced and not existing.forced:  # promote it ahead of background jobs
                        self._queue.remove(existing)
                        self._insert(_Job(doc_id, True))
                    continue
                if doc_id == self._running:
                    continue  # running now: its result is as fresh as a new check's
                self._insert(_Job(doc_id, forced))
                self._total += 1
                added.append(doc_id)
            if added:
                self._cond.notify_all()
        return added

    def _insert(self, job: _Job) -> None:
        if not job.forced:
            self._queue.append(job)
            return
        at = next((i for i, queued in enumerate(self._queue) if not queued.forced),
                  len(self._queue))
        self._queue.insert(at, job)

    def _work(self, generation: int) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._stopping
                                    or generation != self._generation)
                if self._stopping or generation != self._generation:
                    return
                job = self._queue.pop(0)
                self._running = job.doc_id
                progress = (self._done, self._total)
            idle = False
            try:
                self._emit(self.on_progress, *progress)
                self._run(job)
            except Exception:  # noqa: BLE001 - the worker must survive anything one check does
                log.exception("scheduling the check of document %s failed", job.doc_id)
            finally:
                with self._cond:
                    self._running = None
                    self._done += 1
                    progress = (self._done, self._total)
                    if not self._queue:
                        idle, self._done, self._total = True, 0, 0
                    self._cond.notify_all()
            self._emit(self.on_progress, *progress)
            if idle and not self._stopping:
                self._emit(self.on_idle)

    def _run(self, job: _Job) -> bool:
        """Check one document unless the database says it is no longer due. Returns whether a
        check ran."""
        settings = load_settings()
        doc = (Document.select(Document, Platform).join(Platform)
               .where(Document.id == job.doc_id).first())
        if doc is None:
            return False
        if not job.forced:
            now = self._now()
            if settings.paused or not (doc.active and doc.platform.watched):
                return False
            if next_due(doc, settings, now) > now:
                return False  # checked meanwhile (the CLI, a previous run): never double
        self._emit(self.on_check_started, doc.id)
        result = self._check_with_watchdog(doc)
        self._emit(self.on_check_finished, doc.id, result)
        return True

    def _check_with_watchdog(self, doc: Document) -> CheckResult:
        """Every way a check can end comes out as a result that is recorded exactly once:
        the monitor records its own, and a failure it could not record (a child process that
        was killed, an exception, a hung thread) is recorded here through the one recorder."""
        started, clock = self._now(), time.monotonic()
        box: dict[str, Any] = {}
        try:
            # One monitor for many checks: its fetcher keeps the per-host politeness state.
            monitor = self._monitor = self._monitor or self.monitor_factory()
        except Exception as exc:  # noqa: BLE001 - recorded like any failed check
            box["error"] = exc
        else:
            runner = threading.Thread(target=self._guarded_check, args=(monitor, doc, box),
                                      name=f"gw-check-{doc.id}", daemon=True)
            runner.start()
            runner.join(self.watchdog_s)
        if "error" not in box and "result" not in box:
            box["abandoned"] = True
            self._monitor = None  # the hung one may hold a fetcher connection: start afresh
            reason = f"check hung for {self.watchdog_s:g} s (watchdog)"
            log.warning("document %s: %s; moving on", doc.id, reason)
            code: str = Code.HUNG
        elif "error" in box:
            exc = box["error"]
            reason = f"internal error: {type(exc).__name__}: {exc}"
            log.error("the check of document %s raised", doc.id, exc_info=exc)
            code = Code.INTERNAL
        else:
            return self._settle(doc, box["result"], started)
        duration = time.monotonic() - clock
        failed = result_for(doc, Outcome.ERROR, code, reason, duration_s=duration)
        failed.recorded = False
        return self._settle(doc, failed, started)

    def _guarded_check(self, monitor: CheckRunner, doc: Document, box: dict[str, Any]) -> None:
        """The body of a check thread: the result or the exception goes into `box`."""
        try:
            box["result"] = monitor.check(doc)
        except BaseException as exc:  # noqa: BLE001 - reported by the waiting worker
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

    @staticmethod
    def _emit(callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - a UI bug must not stop the checks
            log.exception("a scheduler callback failed")


def _real_in(seconds: float) -> dt.datetime:
    """An aware UTC time `seconds` from now by the real clock: APScheduler runs on real time
    even when the planning clock is injected (tests)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)

"""Checks in a long-lived worker process, for the desktop app.

A check is CPU-bound Python for a while (extraction, comparison, diff, analysis of 300 KB
texts). Run in a thread of the GUI process it competes with the GUI thread for the GIL, and
the window stalls (bench/bench_gui_stall.py measured ~140 ms). In another process it cannot;
SQLite's WAL lets both processes use the database. The worker is the app's own command line
(`check-worker`), so a frozen build runs the same code.

One process serves every check (a new interpreter per check cost ~0.25 s each): the app sends
one JSON line per request (a first pass or a confirmation) and reads one JSON line back per
answer; the worker runs requests in threads, so checks of different hosts overlap there too
(fetch.py keeps one request per host within the process). A hung check is stopped by killing
the worker: that check is recorded as hung (by the app, through recorder.settle) and the other
checks it cut short are run again (`WorkerLost.retryable`). The worker ends with the app (its
input closes) and after `idle_s` without work; the next check starts it again.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import peewee

from watcher_app.check_result import SCHEMA, CheckResult, ContractError
from watcher_app.launch import own_command
from watcher_app.outcomes import Code, Outcome
from watcher_app.pending import PendingChange, PendingContractError
from watcher_app.recorder import record_error, result_for
from watcher_app.store.models import Document

log = logging.getLogger(__name__)

PARALLEL = 10
QUIT_GRACE_S = 30.0
# Checks are background work: the worker runs at a lower CPU priority, so on a busy laptop
# (two cores, a change cycle's analyses) the scheduler gives the window's thread the CPU first.
NICE = 10  # checks in flight when the app quits may finish (they record themselves)
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


class WorkerLost(Exception):
    """The worker was stopped (another check hung) while this check ran: it recorded
    nothing, and may simply run again."""

    retryable = True


@dataclass
class _Call:
    doc_id: int
    proc: subprocess.Popen[str] | None = None  # the worker it was sent to
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None
    failure: str | None = None  # "lost" (we stopped the worker) or why the worker died


class CheckWorker:
    """The CheckRunner of the desktop app: Monitor's two steps, in a long-lived process."""

    # A request is abandoned before the scheduler's watchdog (300 s) would abandon the
    # waiting thread: a hung check ends as a recorded error, not as a leaked process.
    def __init__(self, data_dir: Path, *, confirm_delay_s: float = 60.0,
                 timeout_s: float = 270.0, parallel: int = PARALLEL,
                 idle_s: float = 600.0) -> None:
        self.data_dir = data_dir
        self.confirm_delay_s = confirm_delay_s
        self.timeout_s = timeout_s
        self.parallel = parallel
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._stderr: deque[str] = deque(maxlen=20)
        self._idle_timer: threading.Timer | None = None
        self._reader: threading.Thread | None = None

    # --- CheckRunner ----------------------------------------------------------------------

    def first_pass(self, doc: Document) -> CheckResult | PendingChange:
        return self._call(doc.id, doc, {"op": "first_pass", "document_id": doc.id})

    def confirm(self, pending: PendingChange) -> CheckResult:
        doc = Document.get_or_none(Document.id == pending.document_id)
        if doc is None:
            return CheckResult(pending.platform, pending.document, Outcome.SKIPPED, "",
                               "the document was removed meanwhile; nothing recorded")
        out = self._call(doc.id, doc, {"op": "confirm", "pending": pending.to_json()})
        if isinstance(out, PendingChange):  # a confirmation never asks for another one
            return self._unrecorded(doc, Code.CHILD_FAILED, "the check process answered a "
                                    "confirmation with another pending change")
        return out

    def close(self, timeout_s: float = 5.0) -> None:
        """Let the worker go: with nothing in flight it exits at once; a check still running
        in it may finish (it records itself) for up to `timeout_s`, then it is stopped."""
        with self._lock:
            proc, self._proc = self._proc, None
            reader = self._reader
            if self._idle_timer is not None:
                self._idle_timer.cancel()
        if proc is None:
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        if reader is not None:
            reader.join(timeout_s)
            if reader.is_alive():
                self._stop(proc)
                reader.join(timeout_s)

    def pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None else None

    # --- the pipe ---------------------------------------------------------------------------

    def _call(self, doc_id: int, doc: Document, request: dict[str, Any]
              ) -> CheckResult | PendingChange:
        call = _Call(doc_id)
        with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            proc = call.proc = self._ensure()
            rid = next(self._ids)
            self._calls[rid] = call
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps({"id": rid, **request}) + "\n")
                proc.stdin.flush()
            except OSError as exc:
                call.failure = f"the check process is gone ({exc})"
                call.done.set()
        try:
            if not call.done.wait(self.timeout_s):
                self._stop(proc)  # the others in flight are cut short and run again
                return self._unrecorded(doc, Code.HUNG, "check did not finish within "
                                        f"{self.timeout_s:g} s (the check process was stopped)")
        finally:
            with self._lock:
                self._calls.pop(rid, None)
                self._arm_idle_timer()
        if call.failure == "lost":
            raise WorkerLost("the check process was stopped while this check ran")
        if call.failure is not None:
            return self._unrecorded(doc, Code.CHILD_FAILED, call.failure)
        return self._read(doc, call.reply or {})

    def _read(self, doc: Document, reply: dict[str, Any]) -> CheckResult | PendingChange:
        try:
            if "pending" in reply:
                return PendingChange.from_json(reply["pending"])
            if "result" in reply:
                return CheckResult.from_json(reply["result"])
        except (ContractError, PendingContractError) as exc:
            return self._unrecorded(doc, Code.CHILD_FAILED,
                                    f"the check process answered something unreadable: {exc}")
        return self._unrecorded(doc, Code.CHILD_FAILED, "the check process failed: "
                                f"{str(reply.get('error') or 'no answer')[:300]}")

    def _ensure(self) -> subprocess.Popen[str]:
        """Under the lock: the running worker, started when there is none."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        cmd = own_command("--data-dir", str(self.data_dir), "check-worker",
                          "--confirm-delay", f"{self.confirm_delay_s:g}",
                          "--parallel", str(self.parallel))
        env = dict(os.environ)
        # The worker must import this very watcher_app, even when run from a source tree.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
        posix = os.name == "posix"
        proc = subprocess.Popen(  # noqa: S603 - our own program
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", bufsize=1, env=env, start_new_session=posix,
            creationflags=0 if posix else (getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
                                           | getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)))
        self._proc = proc
        errors = threading.Thread(target=self._read_errors, args=(proc,), name="gw-worker-err",
                                  daemon=True)
        errors.start()
        self._reader = threading.Thread(target=self._read_answers, args=(proc, errors),
                                        name="gw-worker-out", daemon=True)
        self._reader.start()
        return proc

    def _read_answers(self, proc: subprocess.Popen[str], errors: threading.Thread) -> None:
        """Deliver each answer to its caller; at the end, reap the process, close its pipes
        and fail whatever it left unanswered."""
        assert proc.stdout is not None
        with contextlib.suppress(OSError, ValueError):
            self._answers(proc)
        proc.wait()
        errors.join(5)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        tail = " | ".join(list(self._stderr)[-3:])[-300:] or "no message"
        self._fail_all(proc, f"the check process ended ({proc.returncode}): {tail}")
        with self._lock:
            if self._proc is proc:
                self._proc = None

    def _answers(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a stray print: not ours to understand
            if not isinstance(message, dict):
                continue
            hello = message.get("hello")
            if isinstance(hello, dict):
                if hello.get("schema") != SCHEMA:
                    self._fail_all(proc, f"the check process speaks schema "
                                         f"{hello.get('schema')!r}, this app {SCHEMA}")
                    self._stop(proc, lost=False)
                continue
            with self._lock:
                call = self._calls.get(message["id"]) if "id" in message else None
            if call is not None and not call.done.is_set():
                call.reply = message
                call.done.set()

    def _read_errors(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        with contextlib.suppress(OSError, ValueError):
            for line in proc.stderr:
                if line.strip():
                    self._stderr.append(line.strip())

    def _fail_all(self, proc: subprocess.Popen[str], why: str) -> None:
        with self._lock:
            calls = [c for c in self._calls.values() if c.proc is proc]
        for call in calls:
            if not call.done.is_set():
                call.failure = call.failure or why
                call.done.set()

    def _stop(self, proc: subprocess.Popen[str], *, lost: bool = True) -> None:
        """Kill the worker (and what it started in its group); checks still in flight in it
        are "lost": they recorded nothing and may run again."""
        with self._lock:
            if self._proc is proc:
                self._proc = None
            calls = [c for c in self._calls.values() if c.proc is proc and not c.done.is_set()]
        for call in calls:
            if lost:
                call.failure = "lost"
        with contextlib.suppress(OSError):
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)  # reaped: its leases now read as held by a dead process
        for call in calls:
            call.done.set()

    def _arm_idle_timer(self) -> None:
        """Under the lock: stop an idle worker after `idle_s` (it costs memory; starting it
        again costs a fraction of a second)."""
        if self._calls or self._proc is None or self.idle_s <= 0:
            return
        timer = threading.Timer(self.idle_s, self._idle)
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _idle(self) -> None:
        with self._lock:
            if self._calls:
                return
        self.close()

    @staticmethod
    def _unrecorded(doc: Document, code: str, reason: str) -> CheckResult:
        """A failure the worker could not write down: the scheduler records it (settle)."""
        result = result_for(doc, Outcome.ERROR, code, reason)
        result.recorded = False
        return result


# --- the worker's side (`governance-watcher check-worker`) ----------------------------------


def serve(db: peewee.Database, confirm_delay_s: float, parallel: int,
          stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    """Answer requests from the app until its end of the pipe closes."""
    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor

    lock = threading.Lock()
    in_flight = threading.Semaphore(0)
    count = [0]

    def answer(message: dict[str, Any]) -> None:
        with lock:
            stdout.write(json.dumps(message) + "\n")
            stdout.flush()

    def handle(monitor: Monitor, request: dict[str, Any]) -> None:
        rid = request.get("id")
        try:
            answer({"id": rid, **_handle(db, monitor, request)})
        except Exception as exc:  # noqa: BLE001 - told to the app, which records it
            answer({"id": rid, "error": f"{type(exc).__name__}: {exc}"})
        finally:
            with contextlib.suppress(peewee.PeeweeException):
                db.close()  # this thread's own connection
            with lock:
                count[0] -= 1
            in_flight.release()

    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(NICE)  # (Windows: BELOW_NORMAL_PRIORITY_CLASS, set when it is started)
    answer({"hello": {"schema": SCHEMA, "pid": os.getpid()}})
    with Fetcher() as fetcher:
        monitor = Monitor(db, fetcher, confirm_delay_s=confirm_delay_s)
        pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="gw-work")
        for line in stdin:
            try:
                request = json.loads(line)
            except ValueError:
                continue
            if not isinstance(request, dict):
                continue
            with lock:
                count[0] += 1
            pool.submit(handle, monitor, request)
        # The app is gone or done: what is in flight may finish (and record itself).
        pool.shutdown(wait=False)
        with lock:
            waiting = count[0]
        for _ in range(waiting):
            if not in_flight.acquire(timeout=QUIT_GRACE_S):
                break
    return 0


def _handle(db: peewee.Database, monitor: Any, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "first_pass":
        doc = Document.get_or_none(Document.id == request.get("document_id"))
        if doc is None:
            return {"error": f"no document with id {request.get('document_id')!r}"}
        try:
            out = monitor.first_pass(doc)
        except Exception as exc:  # noqa: BLE001 - recorded here, as the command line does
            log.exception("the check of document %s raised", doc.id)
            out = record_error(db, doc, f"internal error: {type(exc).__name__}: {exc}")
    elif op == "confirm":
        pending = PendingChange.from_json(request.get("pending"))
        doc = Document.get_or_none(Document.id == pending.document_id)
        try:
            out = monitor.confirm(pending)
        except Exception as exc:  # noqa: BLE001 - as above
            if doc is None:
                raise
            log.exception("the confirmation of document %s raised", doc.id)
            out = record_error(db, doc, f"internal error: {type(exc).__name__}: {exc}")
    else:
        return {"error": f"unknown request {op!r}"}
    if isinstance(out, PendingChange):
        return {"pending": out.to_json()}
    return {"result": out.to_json()}

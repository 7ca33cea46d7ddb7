"""Checks in a child process, for the desktop app.

A check is CPU-bound Python for a while (extraction, comparison, diff, analysis of 300 KB
texts). Run in a thread of the GUI process it competes with the GUI thread for the GIL, and
the window stalls (bench/bench_gui_stall.py measured ~140 ms). In a child process it cannot;
SQLite's WAL lets both processes use the database. The child is the app's own command line
(`check-document`), so a frozen build runs the same code.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from watcher_app.check_result import CheckResult, ContractError
from watcher_app.launch import own_command
from watcher_app.outcomes import Code, Outcome
from watcher_app.recorder import result_for
from watcher_app.store.models import Document


class ChildProcessMonitor:
    """Same `check(doc) -> CheckResult` as Monitor, in a child process."""

    # Killed before the scheduler's watchdog (300 s) would abandon the waiting thread: a
    # hung check ends as a recorded error, not as a leaked process.
    def __init__(self, data_dir: Path, *, confirm_delay_s: float = 60.0,
                 timeout_s: float = 270.0) -> None:
        self.data_dir = data_dir
        self.confirm_delay_s = confirm_delay_s
        self.timeout_s = timeout_s

    def close(self) -> None:
        """Nothing to release: each check is its own process."""

    def check(self, doc: Document) -> CheckResult:
        cmd = own_command("--data-dir", str(self.data_dir), "check-document", str(doc.id),
                          "--confirm-delay", f"{self.confirm_delay_s:g}")
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:  # the child is killed; the check recorded nothing
            return self._unrecorded(doc, Code.HUNG, "check did not finish within "
                                    f"{self.timeout_s:g} s (the check process was stopped)")
        if out.returncode != 0:
            tail = (out.stderr.strip().splitlines() or ["no output"])[-1][:300]
            return self._unrecorded(doc, Code.CHILD_FAILED,
                                    f"the check process failed ({out.returncode}): {tail}")
        try:
            return CheckResult.from_json(json.loads(out.stdout))
        except (ValueError, ContractError) as exc:
            return self._unrecorded(doc, Code.CHILD_FAILED,
                                    f"the check process answered something unreadable: {exc}")

    @staticmethod
    def _unrecorded(doc: Document, code: str, reason: str) -> CheckResult:
        """A failure the child could not write down: the scheduler records it (settle)."""
        result = result_for(doc, Outcome.ERROR, code, reason)
        result.recorded = False
        return result

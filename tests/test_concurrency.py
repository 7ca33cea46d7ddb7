"""Two checks of one data folder at once (the app and the command line, or two terminals):
one writer wins, the other waits or says the document is already being checked, and a change
is recorded (and alerted) exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.support.setup import add_custom_doc
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Outcome
from watcher_app.store import lease
from watcher_app.store.db import open_database
from watcher_app.store.models import Change, Check, Document, Version
from watcher_app.watchlist import add_custom

PARAGRAPH = ("We collect the account details you give us and the content you submit, and we "
             "use them to provide, secure and improve the service for you. ")


def page(variant: int) -> bytes:
    body = "".join(f"<p>{PARAGRAPH} Clause {i}.</p>" for i in range(12))
    return (f"<html><body><main><h1>Privacy Policy</h1>{body}"
            f"<p>We keep your data for {30 + variant} days after you close your account.</p>"
            "</main></body></html>").encode()


def gw(data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "watcher_app", "--data-dir", str(data), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_check_processes_record_a_change_once(server: LoopbackServer,
                                                  tmp_path: Path) -> None:
    data = tmp_path / "data"
    state = {"variant": 0}

    def slow_page(_: RequestInfo) -> Route:
        time.sleep(0.25)  # both processes are in flight at once
        return Route(body=page(state["variant"]))

    server.handler("/privacy", slow_page)
    db = open_database(data)
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"}}})
    db.close()
    first = gw(data, "check", "--json", "--confirm-delay", "0")
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    rounds = 6
    for variant in range(1, rounds + 1):
        state["variant"] = variant
        procs = [gw(data, "check", "--json", "--confirm-delay", "0") for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for proc, (out, err) in zip(procs, outs, strict=True):
            assert proc.returncode == 0, err
            (result,) = json.loads(out)
            assert result["status"] in ("changed", "unchanged", "skipped"), result
            assert "locked" not in result["reason"], result
        statuses = sorted(json.loads(out)[0]["status"] for out, _ in outs)
        assert statuses.count("changed") == 1, statuses
    db = open_database(data)
    assert Version.select().count() == rounds + 1
    assert Change.select().count() == rounds
    assert Check.select().where(Check.outcome == Outcome.ERROR).count() == 0
    assert Document.get().lease_owner is None  # every lease was released
    db.close()


def test_a_lease_held_by_a_live_check_skips_the_second(db, server: LoopbackServer) -> None:
    server.route("/p", page(0))
    doc = add_custom_doc(db, server.url("/p"), name="Acme")
    owner = lease.acquire(db, doc.id, 60, owner="elsewhere:1:1")  # another machine: trusted
    assert owner == "elsewhere:1:1"
    with Monitor(db, confirm_delay_s=0) as monitor:
        result = monitor.check(doc)
    assert result.outcome is Outcome.SKIPPED and "already being checked" in result.reason
    assert Check.select().count() == 0 and Version.select().count() == 0


def test_a_lease_left_by_a_dead_process_is_taken_over(db, server: LoopbackServer) -> None:
    server.route("/p", page(0))
    doc = add_custom_doc(db, server.url("/p"), name="Acme")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    owner = f"{lease.owner_id().split(':')[0]}:{dead.stdout.strip()}:1"
    assert lease.acquire(db, doc.id, 600, owner=owner) == owner  # killed mid-check, say
    with Monitor(db, confirm_delay_s=0) as monitor:
        result = monitor.check(doc)
    assert result.outcome is Outcome.FIRST
    assert Document.get().lease_owner is None

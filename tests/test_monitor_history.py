"""The monitor gives compare the earlier versions it needs (re-dating, flaps up to noise), and
a first capture that is not the policy is never stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import LoopbackServer
from tests.support.setup import add_custom_doc, make_fetcher
from watcher_app.monitor import Monitor
from watcher_app.store.models import Document, Version

CLAUSES = [f"We keep the records of kind {n} for as long as your account stays open, and we "
           "delete them within a month after you close it." for n in range(6)]


def page(date: str, extra: str = "") -> bytes:
    body = "".join(f"<p>{c}</p>" for c in CLAUSES) + (f"<p>{extra}</p>" if extra else "")
    return (f"<html><body><main><h1>Privacy Policy</h1><p>Last updated: {date}</p>{body}"
            "</main></body></html>").encode()


@pytest.fixture
def monitor(db) -> Iterator[Monitor]:  # noqa: ANN001
    with Monitor(db, make_fetcher(), confirm_delay_s=0, analyze=False) as made:
        yield made


def setup(db, server: LoopbackServer) -> Document:  # noqa: ANN001
    return add_custom_doc(db, server.url("/p"), name="Acme")


def test_re_dating_alone_is_noise_but_after_an_undated_change_alerts(db, server, monitor) -> None:
    doc = setup(db, server)
    server.route("/p", page("March 3, 2026"))
    assert monitor.check(doc).status == "first"
    server.route("/p", page("April 9, 2026"))
    result = monitor.check(doc)
    assert result.status == "unchanged" and "re-dated" in result.reason
    new_clause = "We use your messages to train our models unless you opt out."
    server.route("/p", page("April 9, 2026", new_clause))
    assert monitor.check(doc).status == "changed"  # added without a new date
    server.route("/p", page("May 2, 2026", new_clause))
    result = monitor.check(doc)  # the date now marks that change: it alerts again
    assert result.status == "changed" and "re-dated" in result.reason


def test_first_capture_that_is_a_page_of_links_is_blocked(db, server, monitor) -> None:
    doc = setup(db, server)
    links = "".join(f"<li><a href='/{n}'>Region {n}</a></li>" for n in range(40))
    server.route("/p", f"<html><body><main><h1>Choose your region</h1><ul>{links}</ul></main>"
                       "</body></html>".encode())
    result = monitor.check(doc)
    assert result.status == "blocked" and "not the policy" in result.reason
    assert Version.select().count() == 0

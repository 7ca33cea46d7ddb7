"""Fixtures for the desktop app's tests: a real SQLite database, a loopback web server, the
app controller with its real scheduler, and documents with versions built directly."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import watcher_app.ui  # noqa: E402, F401 - applies the binding's refcount guard first
from tests.loopback import LoopbackServer  # noqa: E402
from tests.support.setup import add_custom_doc, make_fetcher  # noqa: E402
from watcher_app.diff import diff_texts  # noqa: E402
from watcher_app.extract.normalize import text_words, words_sha256  # noqa: E402
from watcher_app.fetch import Fetcher  # noqa: E402
from watcher_app.monitor import Monitor  # noqa: E402
from watcher_app.store.models import Change, Document, Version  # noqa: E402

PARAGRAPHS = [
    "We collect the name, email address and payment details you give us when you register.",
    "We use your data to provide and secure the service, to answer your requests and to meet "
    "our legal obligations under the laws that apply to us.",
    "We share personal data only with the processors that host and support the service, "
    "under written contracts that limit their use of it.",
    "We keep your conversations for thirty days after you delete them, and then remove them "
    "from every system we control.",
    "You may ask for a copy of your data, have it corrected or deleted, and complain to your "
    "data protection authority at any time.",
]


def policy_html(paragraphs: list[str], title: str = "Privacy Policy") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title></head><body><nav>Menu</nav>"
            f"<main><h1>{title}</h1>{body}</main></body></html>")


def changed_paragraphs() -> list[str]:
    """The policy after a real change: one paragraph reworded, one added."""
    new = list(PARAGRAPHS)
    new[3] = new[3].replace("thirty days", "five years")
    new.insert(2, "We use your conversations to train our models unless you opt out in your "
                  "privacy settings.")
    return new


@pytest.fixture(autouse=True)
def _drain_thread_pool() -> Iterator[None]:
    """Tasks still running after a test would call back into its deleted widgets."""
    yield
    from watcher_app.ui.runtime import wait_all

    wait_all(10_000)


@pytest.fixture
def data_dir(db) -> Path:  # noqa: ANN001 - the db fixture of tests/conftest.py
    return Path(db.database).parent


@pytest.fixture
def fetcher_factory() -> Callable[[], Fetcher]:
    return make_fetcher


@pytest.fixture
def monitor_factory(db, fetcher_factory) -> Iterator[Callable[[], Monitor]]:  # noqa: ANN001
    made: list[Monitor] = []

    def make() -> Monitor:
        made.append(Monitor(db, fetcher_factory(), confirm_delay_s=0, sleep=lambda s: None))
        return made[-1]

    yield make
    for monitor in made:
        monitor.close()


@pytest.fixture
def acme(db, server: LoopbackServer) -> Document:  # noqa: ANN001
    """A custom platform whose privacy policy is served by the loopback server."""
    server.route("/privacy", policy_html(PARAGRAPHS))
    return add_custom_doc(db, server.url("/privacy"))


@pytest.fixture
def controller(qtbot, db, data_dir, monitor_factory):  # noqa: ANN001
    from watcher_app.ui.app import AppController

    app = AppController(db, data_dir, monitor_factory=monitor_factory, native=[],
                        startup_delay_s=3600, use_tray=True)
    qtbot.addWidget(app.window)
    yield app
    app.shutdown(wait=True)


def add_versions(doc: Document, texts: list[str], *, analysis: dict | None = None
                 ) -> list[Change]:
    """Versions of `doc` (first, then changes) written directly, as the monitor would."""
    changes, previous = [], None
    for k, text in enumerate(texts):
        digest = hashlib.sha256(text.encode()).hexdigest()
        Version.update(current=False).where(Version.document == doc).execute()
        version = Version.create(document=doc, text=text, sha256=digest,
                                 key_sha256=words_sha256(text_words(text.split("\n"))),
                                 extractor_version=1,
                                 kind="first" if k == 0 else "change", current=True)
        if previous is not None:
            result = diff_texts(previous.text, text)
            changes.append(Change.create(
                document=doc, from_version=previous, to_version=version,
                stats=asdict(result.stats), severity="medium", summary=f"Change {k}",
                categories=["data-retention"], analysis=analysis))
        previous = version
    return changes


def record_change(acme: Document, server: LoopbackServer, monitor_factory) -> Change:  # noqa: ANN001
    """Three versions of `acme` recorded by the real monitor: first, noise, a real change."""
    monitor = monitor_factory()
    assert monitor.check(acme).status == "first"
    # punctuation only: a "noise" version, kept and never alerted
    server.route("/privacy", policy_html([p.replace(",", ";", 1) for p in PARAGRAPHS]))
    assert monitor.check(Document.get_by_id(acme.id)).status == "unchanged"
    server.route("/privacy", policy_html(changed_paragraphs()))
    result = monitor.check(Document.get_by_id(acme.id))
    assert result.status == "changed"
    return Change.get_by_id(result.change)


def make_window(qtbot, db, data_dir):  # noqa: ANN001, ANN201 - a MainWindow
    """The main window, shown and active (shortcuts only reach the active window)."""
    from PySide6.QtTest import QTest

    from watcher_app.ui.main_window import MainWindow

    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)  # shortcuts only reach the active window
    return window

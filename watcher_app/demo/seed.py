"""The demo's history, recorded by the app itself.

Nothing is written into the database by hand: the demo site serves each document as it stood
on a past day, and the real Monitor checks it (fetch, extract, validate, compare, confirm,
analyse, record) while the clock reads that day (`watcher_app.clock.clock_override`). The versions,
noise versions, changes with their analysis, blocked checks and past alerts are therefore
exactly what the app would have recorded had it been watching for four months. Past changes
are marked read, as after a user looked at them; the platforms end up unwatched, so the user
picks them in the picker like any other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import peewee

from watcher_app import clock as app_clock
from watcher_app.check_result import CheckResult
from watcher_app.demo.content import PlatformSpec, load_platforms
from watcher_app.demo.site import DemoSite, Pace, history_state
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.notify import AlertCenter, BannerNotifier
from watcher_app.store.models import Change, Document, Platform
from watcher_app.watchlist import add_custom

ORIGIN = "demo"  # Platform.origin of the demo's platforms (the picker shows it)
EVERY_DAYS = 15  # every document's past checks, thinned out (the app checks more often)
LAST_ROUND = dt.timedelta(minutes=15)  # the newest past check, before the demo opened


@dataclass
class SeedReport:
    checks: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, result: CheckResult) -> None:
        self.checks += 1
        key = str(result.outcome)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


@contextlib.contextmanager
def past_clock() -> Iterator[list[dt.datetime]]:
    """`utcnow()` reads the time put in the yielded box, running on from there as real time
    passes (checks take their real duration)."""
    box = [app_clock.utcnow()]
    mark = [time.monotonic()]
    previous = app_clock.clock_override
    last = [box[0]]

    def now() -> dt.datetime:
        if box[0] != last[0]:  # moved to another day: count from there
            last[0], mark[0] = box[0], time.monotonic()
        return box[0] + dt.timedelta(seconds=time.monotonic() - mark[0])

    app_clock.clock_override = now
    try:
        yield box
    finally:
        app_clock.clock_override = previous


def seed_history(db: peewee.Database, site: DemoSite, pace: Pace | None = None, *,
                 now: dt.datetime | None = None,
                 progress: Callable[[int, int], None] | None = None) -> SeedReport:
    """Record the demo platforms' past in `db` (an empty database) through the real check
    path, against `site`. `progress(done, total)` is called after each check (a window can
    repaint its splash). Returns what was recorded."""
    pace = pace or Pace()
    started = time.monotonic()
    now = now or app_clock.utcnow()
    start_day = site.today
    report = SeedReport()
    platforms = load_platforms()
    plan = _plan(platforms)
    total = sum(len(keys) for _, _, keys in plan)
    alerts = AlertCenter(db, [BannerNotifier(lambda title, body, urgency: True)])
    fetcher = Fetcher(retries=0, sleep=lambda s: None)
    monitor = Monitor(db, fetcher, confirm_delay_s=0, sleep=lambda s: None)
    try:
        with past_clock() as clock:
            for day in sorted({day for day, _, _ in plan}, reverse=True):
                at = now - (LAST_ROUND if day == 0 else dt.timedelta(days=day, hours=-1))
                site.pin({d.key: history_state(d, day, start_day) for p in platforms
                          for d in p.documents if p.first_days_ago >= day})
                for k, (_, platform, keys) in enumerate(r for r in plan if r[0] == day):
                    clock[0] = at + dt.timedelta(minutes=4 * k)
                    if platform.first_days_ago == day:
                        add_custom(db, platform.id, site.declaration(platform))
                        Platform.update(origin=ORIGIN).where(Platform.id == platform.id).execute()
                    for doc in Document.select().where(Document.platform == platform.id):
                        if _key(doc) not in keys:
                            continue
                        result = monitor.check(doc)
                        report.count(result)
                        if progress is not None:
                            progress(report.checks, total)
                        if result.change is not None:
                            alerts.alert_change(Change.get_by_id(result.change))
                        clock[0] += dt.timedelta(seconds=40)
                alerts.alert_digest_if_due(clock[0])
    finally:
        site.pin(None)
        monitor.close()
    ids = [p.id for p in platforms]
    with db.atomic():
        Change.update(read=True).where(Change.document.in_(
            Document.select(Document.id).where(Document.platform.in_(ids)))).execute()
        # Checked every minute or so while the demo runs: the loopback site burdens nobody
        # (settings.interval_for allows it for documents served from this machine).
        Document.update(check_interval_s=pace.check_every_s).where(
            Document.platform.in_(ids)).execute()
        Platform.update(watched=False).where(Platform.id.in_(ids)).execute()
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _key(doc: Document) -> str:
    """The demo site's key of a stored document (its URL's path)."""
    url = str((doc.sources or [{}])[0].get("url", ""))
    return url.split("://", 1)[-1].split("/", 1)[-1]


def _plan(platforms: tuple[PlatformSpec, ...]) -> list[tuple[int, PlatformSpec, set[str]]]:
    """(days ago, platform, keys of the documents checked that day), oldest day first. Every
    document is checked on the periodic days, on its platform's first day and on the last
    day; a document is also checked on the day of each of its history steps (an edit, a
    redesign, an outage)."""
    periodic = {0} | set(range(max(p.first_days_ago for p in platforms), 0, -EVERY_DAYS))
    plan = []
    for day in sorted(periodic | {p.first_days_ago for p in platforms}
                      | {s.days_ago for p in platforms for d in p.documents for s in d.history},
                      reverse=True):
        for platform in platforms:
            if platform.first_days_ago < day:
                continue
            every = day in periodic or day == platform.first_days_ago
            keys = {d.key for d in platform.documents
                    if every or any(s.days_ago == day for s in d.history)}
            if keys:
                plan.append((day, platform, keys))
    return plan

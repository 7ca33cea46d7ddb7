"""The weekly digest: what changed on the watched platforms over a period, what takes effect
soon, and which documents could not be verified - as a title, plain text and an HTML page.

Everything is read from the database (no network, no Qt), so the app, the command line or a
scheduled job can build it the same way. Times are the database's naive UTC.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from dataclasses import dataclass, field

import peewee

from watcher_app.outcomes import Origin, Outcome
from watcher_app.store.models import Change, Document, Platform, Version

SEVERITIES = ("high", "medium", "low")
UNRATED = "unrated"  # a change whose analysis failed or did not run
UPCOMING_DAYS = 14  # changes taking effect within this many days are listed as upcoming
FAILING_OUTCOMES = (str(Outcome.BLOCKED), str(Outcome.ERROR))


@dataclass(frozen=True)
class DigestItem:
    platform: str  # the platform's name
    document: str  # the document type ("Privacy Policy")
    severity: str  # "high" | "medium" | "low" | "unrated"
    summary: str
    categories: tuple[str, ...]
    detected_at: dt.datetime  # naive UTC
    change_id: int
    effective_date: str | None  # ISO date stated by the new text

    @property
    def label(self) -> str:
        return f"{self.platform} — {self.document}"


@dataclass
class Digest:
    period_start: dt.datetime  # naive UTC, exclusive
    period_end: dt.datetime  # naive UTC, inclusive
    changes: list[DigestItem]  # high first, then medium, low, unrated; newest first within
    # changes per severity: high, medium and low always, unrated when there are any
    counts: dict[str, int] = field(default_factory=dict)
    upcoming: list[DigestItem] = field(default_factory=list)  # by effective date
    failing: list[tuple[str, str, str]] = field(default_factory=list)  # platform, doc, reason

    @property
    def days(self) -> int:
        return max(1, round((self.period_end - self.period_start) / dt.timedelta(days=1)))

    def _period_words(self) -> str:
        if self.days == 7:
            return "this week"
        return "in the last day" if self.days == 1 else f"in the last {self.days} days"

    def title(self) -> str:
        """"3 policy changes this week (1 high)" / "No policy changes this week"."""
        n = len(self.changes)
        if not n:
            return f"No policy changes {self._period_words()}"
        noun = "policy change" if n == 1 else "policy changes"
        high = self.counts.get("high", 0)
        return f"{n} {noun} {self._period_words()}" + (f" ({high} high)" if high else "")

    def period(self) -> str:
        """The covered days, e.g. "12 May – 19 May 2025 (UTC)"."""
        start, end = self.period_start, self.period_end
        first = f"{start.day} {start:%b}" + ("" if start.year == end.year else f" {start.year}")
        return f"{first} – {end.day} {end:%b %Y} (UTC)"

    def by_platform(self) -> list[tuple[str, list[DigestItem]]]:
        """The changes grouped by platform: the platform with the most severe change first,
        and within a platform the order of `changes` (high first)."""
        groups: dict[str, list[DigestItem]] = {}
        for item in self.changes:  # already in severity order
            groups.setdefault(item.platform, []).append(item)
        return sorted(groups.items(), key=lambda g: (_rank(g[1][0].severity), g[0].lower()))

    def text(self) -> str:
        """Plain text (an e-mail body, a notification's details, a file)."""
        lines = [self.title(), self.period(), ""]
        if self.changes:
            lines.append(_count_line(self.counts))
            for platform, items in self.by_platform():
                lines += ["", platform]
                for item in items:
                    lines.append(f"  [{item.severity.upper()}] {item.document} — detected "
                                 f"{item.detected_at:%Y-%m-%d %H:%M} UTC")
                    if item.summary:
                        lines.append(f"    {_one_line(item.summary)}")
                    details = _details(item)
                    if details:
                        lines.append(f"    {details}")
        else:
            lines.append("No watched document changed its wording in this period.")
        if self.upcoming:
            lines += ["", f"Taking effect in the next {UPCOMING_DAYS} days"]
            for item in self.upcoming:
                lines.append(f"  {item.effective_date}  {item.label} [{item.severity}]")
        if self.failing:
            lines += ["", "Could not be verified (changes may go unnoticed)"]
            for platform, document, reason in self.failing:
                lines.append(f"  {platform} — {document}: {_one_line(reason)}")
        return "\n".join(lines).rstrip() + "\n"

    def html(self) -> str:
        """A self-contained HTML page (inline style, no scripts or remote resources) that
        reads well in light and dark mode."""
        e = html.escape
        parts = [f"<h1>{e(self.title())}</h1>", f"<p class='muted'>{e(self.period())}</p>"]
        if self.changes:
            parts.append(f"<p>{e(_count_line(self.counts))}</p>")
            for platform, items in self.by_platform():
                parts.append(f"<h2>{e(platform)}</h2><ul class='changes'>")
                for item in items:
                    details = _details(item)
                    parts.append(
                        f"<li><span class='sev sev-{e(item.severity)}'>"
                        f"{e(item.severity.capitalize())}</span> <b>{e(item.document)}</b> "
                        f"<span class='muted'>detected {item.detected_at:%Y-%m-%d %H:%M} UTC"
                        f"</span>"
                        + (f"<p>{e(item.summary)}</p>" if item.summary else "")
                        + (f"<p class='muted'>{e(details)}</p>" if details else "")
                        + "</li>")
                parts.append("</ul>")
        else:
            parts.append("<p>No watched document changed its wording in this period.</p>")
        if self.upcoming:
            rows = "".join(
                f"<tr><td>{e(item.effective_date or '')}</td><td>{e(item.label)}</td>"
                f"<td><span class='sev sev-{e(item.severity)}'>"
                f"{e(item.severity.capitalize())}</span></td></tr>" for item in self.upcoming)
            parts.append(f"<h2>Taking effect in the next {UPCOMING_DAYS} days</h2>"
                         f"<table><tr><th>Date</th><th>Document</th><th>Severity</th></tr>"
                         f"{rows}</table>")
        if self.failing:
            failing = "".join(f"<li><b>{e(p)} — {e(d)}</b>: {e(r)}</li>"
                              for p, d, r in self.failing)
            parts.append("<h2>Could not be verified</h2><p class='muted'>Changes to these "
                         f"documents may go unnoticed.</p><ul>{failing}</ul>")
        body = "\n".join(parts)
        return (f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
                f"<meta name='color-scheme' content='light dark'>"
                f"<title>{e(self.title())}</title><style>{_CSS}</style></head>\n"
                f"<body>\n{body}\n</body></html>\n")


_CSS = (
    ":root{color-scheme:light dark;--fg:#1d1d1f;--bg:#ffffff;--muted:#5f6368;--line:#d0d4da;"
    "--high:#b3261e;--medium:#8a5a00;--low:#2e6b30;--unrated:#5f6368}"
    "@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#1f1f1f;--muted:#a8adb3;"
    "--line:#3c4043;--high:#f28b82;--medium:#fdd663;--low:#81c995;--unrated:#a8adb3}}"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
    "background:var(--bg);max-width:46em;margin:2em auto;padding:0 1em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid "
    "var(--line)}ul{padding-left:1.2em}li{margin:.6em 0}li p{margin:.2em 0}"
    ".muted{color:var(--muted)}table{border-collapse:collapse}td,th{text-align:left;"
    "padding:.2em .8em .2em 0;border-bottom:1px solid var(--line)}"
    ".sev{font-weight:600;border:1px solid currentColor;border-radius:.6em;padding:0 .45em;"
    "font-size:.85em}.sev-high{color:var(--high)}.sev-medium{color:var(--medium)}"
    ".sev-low{color:var(--low)}.sev-unrated{color:var(--unrated)}"
)


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _count_line(counts: dict[str, int]) -> str:
    parts = [f"{counts[s]} {s}" for s in (*SEVERITIES, UNRATED) if counts.get(s)]
    return "By severity: " + ", ".join(parts) + "."


def _details(item: DigestItem) -> str:
    parts = []
    if item.categories:
        parts.append("Topics: " + ", ".join(item.categories))
    if item.effective_date:
        parts.append(f"Effective {item.effective_date}")
    return " · ".join(parts)


def _utc(moment: dt.datetime) -> dt.datetime:
    """The database's naive UTC for any datetime (an aware one is converted)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _item(change: Change) -> DigestItem:
    doc = change.document
    severity = (change.user_severity or change.severity or "").lower()  # the user's when corrected
    return DigestItem(
        platform=doc.platform.name,
        document=doc.type,
        severity=severity if severity in SEVERITIES else UNRATED,
        summary=change.summary or "",
        categories=tuple(change.categories or ()),
        detected_at=change.detected_at,
        change_id=change.id,
        effective_date=change.effective_date,
    )


def _watched_changes() -> peewee.ModelSelect[Change]:
    return (Change.select(Change, Document, Platform)
            .join(Document, on=(Change.document == Document.id))
            .join(Platform, on=(Document.platform == Platform.id))
            .where((Platform.watched == True)  # noqa: E712
                   # an imported history is never notified, the digest included
                   & Change.to_version.in_(Version.select(Version.id)
                                           .where(Version.origin == Origin.LIVE))))


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def build_digest(now: dt.datetime, days: int = 7) -> Digest:
    """The digest of the `days` days up to `now` over the watched platforms: the changes
    detected then (most severe first), their count per severity, the changes that take effect
    within the next UPCOMING_DAYS days, and the documents whose last check was blocked or
    failed."""
    if days < 1:
        raise ValueError("a digest covers at least one day")
    end = _utc(now)
    start = end - dt.timedelta(days=days)
    detected = _watched_changes().where((Change.detected_at > start)
                                        & (Change.detected_at <= end))
    newest_first = sorted((_item(c) for c in detected),
                          key=lambda i: (i.detected_at, i.change_id), reverse=True)
    changes = sorted(newest_first, key=lambda i: _rank(i.severity))  # stable: newest first
    tally = Counter(i.severity for i in changes)
    counts = {s: tally[s] for s in SEVERITIES} | ({UNRATED: tally[UNRATED]}
                                                  if tally[UNRATED] else {})

    today = end.date()
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)
    dated = _watched_changes().where(
        Change.effective_date.is_null(False)
        & (Change.effective_date >= today.isoformat())
        & (Change.effective_date <= horizon.isoformat()))
    upcoming = []
    for change in dated:
        when = _iso_date(change.effective_date)
        if when is not None and today <= when <= horizon:
            upcoming.append(_item(change))
    upcoming.sort(key=lambda i: (i.effective_date or "", _rank(i.severity), i.platform.lower()))

    failing_docs = (Document.select(Document, Platform).join(Platform)
                    .where((Platform.watched == True)  # noqa: E712
                           & (Document.active == True)  # noqa: E712
                           & Document.last_outcome.in_(FAILING_OUTCOMES))
                    .order_by(Platform.name, Document.type))
    # last_outcome is never NULL here: the query keeps failing outcomes only
    failing = [(d.platform.name, d.type, d.last_reason or d.last_outcome or "")
               for d in failing_docs]
    return Digest(start, end, changes, counts, upcoming, failing)

"""The vocabulary of a check: what happened (an `Outcome`) and why, as a machine-readable code.

Every module that records, renders or reacts to a check decides from these values, never from
the wording of a reason: the reason is for people and may be reworded at any time, the outcome
and the code are a contract (stored in the database, sent between the check process and the
app, printed by `check --json`).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The result of one check of one document (the `check.outcome` column)."""

    FIRST = "first"  # the first version of the document was recorded
    VERIFIED = "verified"  # the page still says what the current version says
    NOISE = "noise"  # the page moved, but only by noise: a version kept, never alerted
    FLAP = "flap"  # the page went back to a recent earlier version: no alert
    UNCONFIRMED = "unconfirmed"  # a change that a second fetch did not show: nothing recorded
    CHANGED = "changed"  # a confirmed real change: a new version, a change, an alert
    DEGRADED = "degraded"  # read through a fallback selector; the text itself was verified
    BLOCKED = "blocked"  # the capture is not the policy (error page, challenge, shell…)
    ERROR = "error"  # the page could not be fetched or read at all
    UPGRADE = "upgrade"  # a newer extractor re-read a stored snapshot: a technical version
    SKIPPED = "skipped"  # another process was checking this document: nothing done here

    @property
    def failed(self) -> bool:
        """Counts towards the document's consecutive failures (and failure alerts)."""
        return self in (Outcome.BLOCKED, Outcome.ERROR)

    @property
    def status(self) -> Status:
        """The coarser status of the `check --json` contract that scripts rely on."""
        return _STATUS[self]


class Status(StrEnum):
    """`check --json`'s `status`: first | unchanged | changed | blocked | error, and rarely
    upgrade (a technical re-reading) or skipped (another process was checking it)."""

    FIRST = "first"
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    BLOCKED = "blocked"
    ERROR = "error"
    UPGRADE = "upgrade"
    SKIPPED = "skipped"


_STATUS: dict[Outcome, Status] = {
    Outcome.FIRST: Status.FIRST,
    Outcome.VERIFIED: Status.UNCHANGED,
    Outcome.NOISE: Status.UNCHANGED,
    Outcome.FLAP: Status.UNCHANGED,
    Outcome.UNCONFIRMED: Status.UNCHANGED,
    Outcome.DEGRADED: Status.UNCHANGED,
    Outcome.CHANGED: Status.CHANGED,
    Outcome.BLOCKED: Status.BLOCKED,
    Outcome.ERROR: Status.ERROR,
    Outcome.UPGRADE: Status.UPGRADE,
    Outcome.SKIPPED: Status.SKIPPED,
}


class VersionKind(StrEnum):
    """Why a version was stored (the `version.kind` column)."""

    FIRST = "first"
    CHANGE = "change"  # alerted (or, for an imported history, would have been)
    NOISE = "noise"  # the text moved by noise only: kept for the record, never alerted
    UPGRADE = "upgrade"  # re-extracted from a stored snapshot by a newer extractor

    @property
    def is_real(self) -> bool:
        return self in (VersionKind.FIRST, VersionKind.CHANGE)


class Origin(StrEnum):
    """Where a version's text came from (the `version.origin` column)."""

    LIVE = "live"  # the app's own capture
    OPEN_TERMS_ARCHIVE = "open-terms-archive"  # imported from an OTA versions dataset


class Code(StrEnum):
    """Detail codes that the app branches on. Fetch errors keep their own short codes
    (`timeout`, `http-503`, `too-large`…, see fetch.FetchError.reason), stored as they are."""

    # verified / first / changed
    SAME_TEXT = "same-text"
    FIRST_VERSION = "first-version"
    CONFIRMED_CHANGE = "confirmed-change"
    LAYOUT_ONLY = "layout-only"  # same words, other punctuation or layout
    NOISE = "noise"  # compare.py explained every difference as noise
    FLAP = "flap"
    UNCONFIRMED = "second-fetch-disagreed"
    FALLBACK_SELECTOR = "fallback-selector"
    EXTRACTOR_UPGRADE = "extractor-upgrade"
    DECLARATION_UPGRADE = "declaration-upgrade"
    # the first live capture after a history import, compared with the archive's latest record
    # (recorded as the app's first own version, never alerted)
    ARCHIVE_MATCH = "matches-archive"
    ARCHIVE_DIFFERS = "differs-from-archive"
    # blocked
    CHALLENGE = "bot-challenge"
    CAPTCHA = "captcha"
    ACCESS_DENIED = "access-denied"
    CLIENT_ERROR_PAGE = "client-error-page"
    SOFT_404 = "soft-404"
    SERVER_ERROR_PAGE = "server-error-page"
    APP_SHELL = "app-shell"
    LOGIN_WALL = "login-wall"
    REGION_WALL = "region-wall"  # "not available in your country"
    LOGIN_REDIRECT = "login-redirect"
    SELECTOR_MISS = "selector-miss"
    NO_TEXT_LAYER = "no-text-layer"
    TOO_LITTLE_TEXT = "too-little-text"
    TRUNCATED = "truncated"
    COLLAPSED = "collapsed-unconfirmed"
    NOT_THE_POLICY = "not-the-policy"  # a hub of links, a region chooser, another page
    # error
    UNREADABLE = "unreadable"  # a PDF or a body that could not be decoded into text
    INTERNAL = "internal-error"
    HUNG = "hung"  # the watchdog gave up on the check
    CHILD_FAILED = "check-process-failed"
    ALREADY_CHECKING = "already-being-checked"


# Blocked verdicts that a real browser cannot turn into the policy: the renderer is not tried.
BROWSER_CANNOT_HELP: frozenset[str] = frozenset({
    Code.LOGIN_REDIRECT, Code.LOGIN_WALL, Code.SOFT_404, Code.SERVER_ERROR_PAGE,
    Code.NO_TEXT_LAYER, Code.REGION_WALL,
})

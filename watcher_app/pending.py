"""`PendingChange`: a change seen by a first fetch, waiting for its confirming second fetch.

A real change is believed only when a second fetch, `confirm_delay_s` later, shows the same
words. That wait is not a sleep inside a check: `Monitor.first_pass` returns this small record
(nothing is recorded yet, the document's lease stays taken by `lease_owner`), the caller
schedules `Monitor.confirm(pending)` for `due_at`, and other checks run meanwhile. It crosses
the boundary between the app and its check worker process as JSON, so like CheckResult its
form is versioned and checked when read back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SCHEMA = 1


class PendingContractError(ValueError):
    """A PendingChange in JSON that this version of the app cannot read."""


@dataclass(frozen=True)
class PendingChange:
    document_id: int
    platform: str  # platform id and document type, as in CheckResult
    document: str
    label: str  # "OpenAI Terms of Service": what progress messages call it
    lease_owner: str  # holds the document's lease until the confirmation ends
    current_id: int  # the version the first fetch differed from
    key_sha256: str  # the first fetch's comparison key: the second must show the same
    reason: str  # compare.py's verdict on the first fetch
    shrank: bool  # the text collapsed to under 40 %: unconfirmed means "broken page"
    started_at: str  # ISO time the check began (naive UTC, like the database)
    due_at: float  # when the second fetch is due (seconds since the epoch)
    http_status: int | None = None  # what the first fetch got, for the check row
    raw_sha256: str | None = None
    duration_s: float = 0.0  # the first pass's own time

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> PendingChange:
        schema = data.get("schema") if isinstance(data, dict) else None
        if schema != SCHEMA:
            raise PendingContractError(f"pending change schema {schema!r}, this app reads "
                                       f"{SCHEMA}: the check process is another version")
        kwargs: dict[str, Any] = {}
        for name, kinds in _FIELDS.items():
            value = data.get(name)
            optional = name in _OPTIONAL
            if value is None and optional:
                continue
            if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
                raise PendingContractError(f"pending change field {name!r}: unexpected {value!r}")
            kwargs[name] = value
        return cls(**kwargs)


_OPTIONAL = {"http_status", "raw_sha256"}
_FIELDS: dict[str, tuple[type, ...]] = {
    "document_id": (int,), "platform": (str,), "document": (str,), "label": (str,),
    "lease_owner": (str,), "current_id": (int,), "key_sha256": (str,), "reason": (str,),
    "shrank": (bool,), "started_at": (str,), "due_at": (int, float), "http_status": (int,),
    "raw_sha256": (str,), "duration_s": (int, float),
}

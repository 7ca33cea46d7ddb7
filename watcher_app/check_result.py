"""`CheckResult`: what one check of one document reports, and the contract that carries it.

The same object is printed by `check --json`, sent as JSON from the check process to the desktop
app, and shown by the app, so its JSON form is versioned (`schema`) and checked when it is read
back: a mismatch is a clear error, never a half-understood result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watcher_app.outcomes import Outcome, Status

SCHEMA = 2  # 1: the untyped form before outcomes and codes (status, reason only)


class ContractError(ValueError):
    """A CheckResult in JSON that this version of the app cannot read."""


@dataclass
class CheckResult:
    platform: str
    document: str
    outcome: Outcome
    code: str = ""
    reason: str = ""
    version: int | None = None  # the version's number within its document (v1, v2, …)
    version_id: int | None = None  # its row id in the database
    sha256: str | None = None
    change: int | None = None
    severity: str | None = None
    categories: list[str] = field(default_factory=list)
    summary: str | None = None
    effective_date: str | None = None
    duration_s: float = 0.0
    retry_after_s: float | None = None
    document_id: int | None = None
    # False for a failure that happened where nothing could write it down (a child process
    # that was killed, a check that raised): the caller must record it (recorder.settle).
    recorded: bool = True

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)  # a plain string from a caller becomes the enum

    @property
    def status(self) -> Status:
        return self.outcome.status

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "platform": self.platform, "document": self.document,
            "status": str(self.status), "outcome": str(self.outcome), "code": self.code,
            "reason": self.reason, "version": self.version, "version_id": self.version_id,
            "sha256": self.sha256, "change": self.change, "severity": self.severity,
            "categories": list(self.categories), "summary": self.summary,
            "effective_date": self.effective_date, "duration_s": self.duration_s,
            "retry_after_s": self.retry_after_s, "document_id": self.document_id,
            "recorded": self.recorded,
        }

    @classmethod
    def from_json(cls, data: Any) -> CheckResult:
        if not isinstance(data, dict):
            raise ContractError("a check result must be a JSON object")
        if data.get("schema") != SCHEMA:
            raise ContractError(f"check result schema {data.get('schema')!r}, this app reads "
                                f"{SCHEMA}: the check process is another version of the app")
        try:
            outcome = Outcome(data["outcome"])
        except (KeyError, ValueError) as exc:
            raise ContractError(f"unknown outcome {data.get('outcome')!r}") from exc
        kwargs: dict[str, Any] = {"outcome": outcome}
        for name, kinds in _FIELDS.items():
            value = data.get(name)
            if value is None and name not in _REQUIRED:
                continue
            if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
                raise ContractError(f"check result field {name!r}: unexpected {value!r}")
            kwargs[name] = value
        categories = kwargs.get("categories", [])
        if not all(isinstance(c, str) for c in categories):
            raise ContractError("check result field 'categories': a list of strings")
        return cls(**kwargs)


_REQUIRED = {"platform", "document"}
_FIELDS: dict[str, tuple[type, ...]] = {
    "platform": (str,), "document": (str,), "code": (str,), "reason": (str,),
    "version": (int,), "version_id": (int,), "sha256": (str,), "change": (int,),
    "severity": (str,), "categories": (list,), "summary": (str,), "effective_date": (str,),
    "duration_s": (int, float), "retry_after_s": (int, float), "document_id": (int,),
    "recorded": (bool,),
}

"""The CheckResult contract between the check process, the app and `check --json`."""

from __future__ import annotations

import json

import pytest

from watcher_app.check_result import SCHEMA, CheckResult, ContractError
from watcher_app.outcomes import Code, Outcome, Status


def test_round_trip_keeps_every_field() -> None:
    result = CheckResult("acme", "Privacy Policy", Outcome.CHANGED, Code.CONFIRMED_CHANGE,
                         "wording changed", version=3, version_id=17, sha256="ab" * 32,
                         change=5, severity="high", categories=["ai-training"],
                         summary="AI training now on by default", effective_date="2026-12-01",
                         duration_s=0.42, document_id=9)
    data = json.loads(json.dumps(result.to_json()))
    assert data["schema"] == SCHEMA and data["status"] == "changed"
    assert CheckResult.from_json(data) == result


@pytest.mark.parametrize("outcome, status", [
    (Outcome.VERIFIED, Status.UNCHANGED), (Outcome.NOISE, Status.UNCHANGED),
    (Outcome.FLAP, Status.UNCHANGED), (Outcome.UNCONFIRMED, Status.UNCHANGED),
    (Outcome.DEGRADED, Status.UNCHANGED), (Outcome.FIRST, Status.FIRST),
    (Outcome.BLOCKED, Status.BLOCKED), (Outcome.ERROR, Status.ERROR),
])
def test_status_is_the_coarse_contract_of_check_json(outcome: Outcome, status: Status) -> None:
    assert CheckResult("a", "b", outcome).to_json()["status"] == status


@pytest.mark.parametrize("bad, message", [
    ([], "JSON object"),
    ({"schema": 1, "platform": "a", "document": "b", "status": "unchanged"}, "schema 1"),
    ({"schema": SCHEMA, "platform": "a", "document": "b", "outcome": "unchanged"},
     "unknown outcome"),
    ({"schema": SCHEMA, "platform": "a", "document": "b", "outcome": "verified",
      "version": "3"}, "'version'"),
    ({"schema": SCHEMA, "platform": "a", "document": "b", "outcome": "verified",
      "recorded": "yes"}, "'recorded'"),
    ({"schema": SCHEMA, "document": "b", "outcome": "verified"}, "'platform'"),
    ({"schema": SCHEMA, "platform": "a", "document": "b", "outcome": "changed",
      "categories": [1]}, "categories"),
])
def test_an_unreadable_result_is_a_clear_error(bad: object, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        CheckResult.from_json(bad)


def test_only_failures_count_as_failures() -> None:
    assert {o for o in Outcome if o.failed} == {Outcome.BLOCKED, Outcome.ERROR}

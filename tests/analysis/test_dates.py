"""watcher_app.analysis.dates: the effective (else last-updated) date a policy states."""

from __future__ import annotations

import pytest

from watcher_app.analysis import find_effective_date


@pytest.mark.parametrize(("text", "expected"), [
    ("Effective: June 9, 2025", "2025-06-09"),
    ("Last Updated: 2024-10-01", "2024-10-01"),
    ("Effective 1 January 2026", "2026-01-01"),
    ("Last modified: 14 March 2023", "2023-03-14"),
    ("Updated: January 16, 2026", "2026-01-16"),
    ("These terms take effect on 3rd February 2027.", "2027-02-03"),
    ("This version will go into effect on Sept. 22, 2023.", "2023-09-22"),
    ("Effective as of 13 April 2026", "2026-04-13"),
    ("Last revised 12/31/2024", "2024-12-31"),
    ("Effective date: 31.12.2024", "2024-12-31"),
    ("Last updated: July 2026", "2026-07-01"),
    ("Effective: February 30, 2025", None),
    ("We were founded on June 9, 2015.", None),
    ("No dates here at all.", None),
])
def test_effective_date_formats(text: str, expected: str | None) -> None:
    assert find_effective_date(text) == expected


def test_effective_date_is_preferred_over_last_updated() -> None:
    text = "# Terms\nLast updated: May 29, 2025\nEffective June 28, 2025.\nBody text."
    assert find_effective_date(text) == "2025-06-28"


def test_effective_until_is_not_an_effective_date() -> None:
    text = ("Effective until July 28, 2025\nThe current policy is below.\n"
            "Last updated: May 21, 2025")
    assert find_effective_date(text) == "2025-05-21"


def test_announced_future_date_wins_when_shown_first() -> None:
    text = ("This version of the Terms will go into effect on January 15, 2026.\n"
            "# Terms\nEffective: November 4, 2025")
    assert find_effective_date(text) == "2026-01-15"

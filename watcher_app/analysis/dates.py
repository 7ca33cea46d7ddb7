"""The effective date a policy states about itself ("Effective: June 9, 2025", "Last Updated:
2024-10-01", "Effective 1 January 2026", "takes effect on ...", "Last modified: 14 March 2023").

An effective date is preferred over a last-updated one; a future date is fine (announced terms).
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{}>(?:19|20)\d\d)"
_DATE = re.compile(
    "|".join([
        # June 9, 2025 / June 9th 2025
        rf"\b{_MONTH.format('m1')}\s+{_DAY.format('d1')},?\s+{_YEAR.format('y1')}\b",
        # 9 June 2025 / 9th of June, 2025
        rf"\b{_DAY.format('d2')}\s+(?:of\s+)?{_MONTH.format('m2')},?\s+{_YEAR.format('y2')}\b",
        # 2024-10-01 / 2024/10/01
        r"\b(?P<y3>(?:19|20)\d\d)[-/.](?P<m3>[01]?\d)[-/.](?P<d3>[0-3]?\d)\b",
        # 10/01/2024 (US order unless the first number cannot be a month) / 01.10.2024 (day first)
        r"\b(?P<a4>[0-3]?\d)(?P<sep4>[/.-])(?P<b4>[0-3]?\d)(?P=sep4)(?P<y4>(?:19|20)\d\d)\b",
        # July 2026 (no day: the first of the month, used only when nothing better is stated)
        rf"\b{_MONTH.format('m5')},?\s+{_YEAR.format('y5')}\b",
    ]),
    re.IGNORECASE,
)
# "effective until" names the end of the previous version, not this one's start.
_EFFECTIVE = re.compile(
    r"\beffective(?!\s+until)\b|\btakes?\s+effect\b|\b(?:go|goes|come|comes|came|went)\s+into\s+"
    r"effect\b|\bin\s+effect\s+(?:from|as\s+of|on)\b|\bentr(?:y|ies)\s+into\s+force\b",
    re.IGNORECASE,
)
_UPDATED = re.compile(
    r"\b(?:last\s+)?(?:updated|modified|revised|amended|update|revision)\b\s*(?:on|:)?",
    re.IGNORECASE,
)
# A date belongs to a cue that precedes it closely ("Effective as of 1 July 2026").
_CUE_REACH = 60


def _to_iso(m: re.Match[str]) -> tuple[str, bool] | None:
    """(ISO date, has a day) for one date match, or None when it is not a real date."""
    g = m.groupdict()
    try:
        if g["m1"]:
            d = date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
        elif g["m2"]:
            d = date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
        elif g["y3"]:
            d = date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        elif g["y4"]:
            a, b = int(g["a4"]), int(g["b4"])
            day_first = g["sep4"] == "." or a > 12
            d = date(int(g["y4"]), a if not day_first else b, b if not day_first else a)
        else:
            return date(int(g["y5"]), _MONTHS[g["m5"].lower()], 1).isoformat(), False
    except ValueError:
        return None
    return d.isoformat(), True


def find_effective_date(text: str) -> str | None:
    """The ISO date (yyyy-mm-dd) a policy says it takes effect, else when it was last updated.

    Among several, a full date beats a month and year ("July 2026" gives the 1st), a short
    line ("Effective: June 9, 2025") beats a date inside running text, and an earlier one beats
    a later one (announced terms are shown above the current ones)."""
    best: tuple[tuple[int, int, int, int], str] | None = None
    position = 0
    for line in text.split("\n"):
        if not re.search(r"(19|20)\d\d", line):
            position += 1
            continue
        short = len(line.split()) <= 20
        for m in _DATE.finditer(line):
            parsed = _to_iso(m)
            if parsed is None:
                continue
            iso, has_day = parsed
            window = line[max(0, m.start() - _CUE_REACH):m.start()]
            cues = [(c.end(), 0) for c in _EFFECTIVE.finditer(window)]
            cues += [(c.end(), 1) for c in _UPDATED.finditer(window)]
            if not cues:
                continue
            # the cue closest to the date decides what kind of date it is
            kind = max(cues)[1]
            rank = (kind, 0 if has_day else 1, 0 if short else 1, position)
            if best is None or rank < best[0]:
                best = (rank, iso)
        position += 1
    return best[1] if best else None

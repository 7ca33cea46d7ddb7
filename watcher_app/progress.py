"""What a check cycle is doing, as the scheduler reports it to the app (`on_progress`).

A typed event rather than two numbers, so the window can say what the wait is for: "Confirming
a change on OpenAI Terms of Service (second fetch in 40 s)", not a bar stuck at 3/9.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Confirming:
    """A change seen by a first fetch, waiting for (or making) its confirming second fetch."""

    document_id: int
    label: str  # "OpenAI Terms of Service"
    due_at: float  # when the second fetch is due (seconds since the epoch)


@dataclass(frozen=True)
class Progress:
    done: int  # documents of this batch with a final result
    total: int  # documents in this batch
    checking: tuple[str, ...] = ()  # documents being fetched and read right now
    confirming: tuple[Confirming, ...] = ()  # changes awaiting their second fetch
    at: float = field(default_factory=time.time)  # when this was true

    @property
    def busy(self) -> bool:
        return bool(self.checking or self.confirming) or self.done < self.total

    def message(self) -> str:
        """One line for a status bar."""
        parts = []
        if len(self.checking) == 1:
            parts.append(f"checking {self.checking[0]}")
        elif self.checking:
            parts.append(f"checking {len(self.checking)} documents")
        if self.confirming:
            soonest = min(c.due_at for c in self.confirming) - self.at
            when = f"in {soonest:.0f} s" if soonest >= 0.5 else "now"
            if len(self.confirming) == 1:
                parts.append(f"confirming a change on {self.confirming[0].label} "
                             f"(second fetch {when})")
            else:
                parts.append(f"confirming {len(self.confirming)} changes "
                             f"(next second fetch {when})")
        if not parts:
            return f"{self.done} of {self.total} checked" if self.total else "Idle"
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "\u2026"

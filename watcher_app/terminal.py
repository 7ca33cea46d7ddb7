"""What the command line prints goes to a terminal, which obeys control sequences: ESC and C1
controls (colours, cursor moves, OSC 8 hyperlinks, OSC 52 clipboard writes, window titles), and
bidi overrides that make text read backwards. Pages and declarations can hold all of them."""

from __future__ import annotations

import json
from typing import Any, TextIO

from watcher_app.controls import UNSAFE_FOR_TERMINAL, strip_controls


class SafeStream:
    """A text stream that drops control characters (newline and tab kept) and bidi overrides
    and isolates from everything written through it. ``trusted_write`` is for output already
    made safe that carries our own colour codes (`diff` on a terminal)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.trusted_write(strip_controls(text))
        return len(text)

    def trusted_write(self, text: str) -> int:
        try:
            return self.inner.write(text)
        except UnicodeEncodeError:
            # A lone surrogate (from argv or a declaration), or a console code page without
            # "→": shown as "?" rather than a traceback.
            encoding = getattr(self.inner, "encoding", None) or "utf-8"
            return self.inner.write(text.encode(encoding, "replace").decode(encoding))

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, close...
        return getattr(self.inner, name)


def json_text(data: Any) -> str:
    """JSON whose strings keep every character, the ones a terminal would obey escaped (json
    escapes C0 controls itself; C1 controls and bidi controls it leaves raw)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=1,
                                                         default=str)
    return UNSAFE_FOR_TERMINAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

"""Characters a terminal (or a bidi-aware renderer) obeys rather than shows, in one place for
extraction, the command line's output and the app's labels.

C0 and C1 control characters other than newline and tab (ESC starts colour, cursor and OSC
sequences such as hyperlinks and clipboard writes; BEL; CSI and OSC have one-byte C1 forms),
and the bidi overrides and isolates, which make text read in another order than it is stored.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# In stored text each control becomes a space: like any other non-word character it already
# separated words, so comparison keys stay what they were (extract.normalize.clean_line).
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
UNSAFE_FOR_TERMINAL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI_CONTROLS}]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (newline and tab kept) and bidi overrides and
    isolates: safe to print on a terminal, whatever a page or a declaration put in it."""
    return UNSAFE_FOR_TERMINAL.sub("", text) if UNSAFE_FOR_TERMINAL.search(text) else text

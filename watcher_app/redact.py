"""Query values that look like secrets are redacted where a URL leaves the app as evidence.

A citation is pasted into memos and filings, and an export's manifest is sent to others; a
document URL may carry a session token, a signed-link signature or an API key in its query
(`?token=…`, `&X-Amz-Signature=…`). The URL the app fetches is never changed: only what it
writes out for people. A value is redacted when its parameter name says it is a secret, or when
it looks like one (long, and mixing letters with digits, as generated tokens do); ordinary
values (`?lang=en`, `?version=2024-05-01`) are kept.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
SECRET_NAMES = re.compile(
    r"(?:^|[_\-.])(?:token|access[_\-]?token|id[_\-]?token|auth|authorization|key|api[_\-]?key|"
    r"apikey|secret|sig|signature|session|sessionid|sid|password|passwd|pwd|jwt|code|ticket|"
    r"credential|credentials|x-amz-[a-z-]+)$", re.IGNORECASE)
MIN_TOKEN_CHARS = 16


def looks_like_token(value: str) -> bool:
    """Long and machine-made: letters and digits mixed (hex digests, base64, JWTs)."""
    if len(value) < MIN_TOKEN_CHARS or " " in value:
        return False
    letters = sum(ch.isalpha() for ch in value)
    digits = sum(ch.isdigit() for ch in value)
    return letters > 0 and digits > 0 and (letters + digits) >= 0.75 * len(value)


def redact_url(url: str) -> str:
    """`url` with secret-looking query values (and a user:password@) replaced by REDACTED."""
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    kept = [(name, REDACTED if value and (SECRET_NAMES.search(name) or looks_like_token(value))
             else value) for name, value in pairs]
    if kept == pairs and netloc == parts.netloc:
        return url  # nothing secret: the URL exactly as it was
    query = urlencode(kept, safe="/:,")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

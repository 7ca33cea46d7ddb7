"""Open Terms Archive service ids ("Claude.ai", "Booking.com", "DALL·E") and this app's
platform ids ("anthropic", "booking.com", "dall-e").

A bundled platform names its OTA service(s) in its catalogue file: `_ota` (the service it
follows and the others with its history, see catalog_origin.py) or `otaServiceId`. A service
no bundled platform claims gets the slug of its id; a slug equal to a bundled id is that
platform.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata


def slug(service_id: str) -> str:
    """A platform id for an OTA service id: ASCII-folded, lowercase, runs of other characters
    as one '-'; dots kept ("Booking.com" → "booking.com"). Never empty, at most 80 chars."""
    text = unicodedata.normalize("NFKD", service_id).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\.{2,}", ".", re.sub(r"[^a-z0-9.]+", "-", text)).strip("-.")[:64].strip("-.")
    if not text:  # a name of symbols only: a stable id from its hash
        text = "ota-" + hashlib.sha256(service_id.encode()).hexdigest()[:12]
    return text

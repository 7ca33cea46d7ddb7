"""Decoding a fetched HTML or text body to text: the charset a browser would use.

Kept apart from fetch.py so that extraction (which decodes stored snapshots too) never needs the
HTTP client."""

from __future__ import annotations

import codecs
import contextlib
import re

_DECLARED_RE = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)"""
    rb"""|<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)""",
    re.IGNORECASE,
)
_BOMS = (  # UTF-32-LE before UTF-16-LE: its BOM starts with the same two bytes
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)  # fmt: skip


def _usable_charset(name: str | bytes | None, *, in_document: bool = False) -> str | None:
    """Canonical codec name for a declared charset, or None when Python cannot use it."""
    name = (name.decode("ascii", "ignore") if isinstance(name, bytes) else name or "").strip()
    try:
        canonical = codecs.lookup(name.strip("\"'").lower()).name if name else ""
        b"a".decode(canonical)  # rejects bytes-to-bytes codecs such as "base64" or ""
    except (LookupError, ValueError):
        return None
    if canonical in ("iso8859-1", "ascii"):
        return "cp1252"  # WHATWG: on the web these labels mean windows-1252
    if in_document and canonical.startswith(("utf-16", "utf-32")):
        return "utf-8"  # we just read the declaration as ASCII, so it cannot be UTF-16
    return canonical


def decode_html(body: bytes, charset: str | None) -> str:
    """Decode an HTML/text body: BOM, header charset, in-document declaration (``<meta>`` or
    ``<?xml?>`` in the first 4 KB), strict UTF-8, charset_normalizer's guess, UTF-8 with
    replacement. Unknown or invalid labels fall through to the next step; never raises."""
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):  # byte-level proof: overrides any label, as in browsers
            return body[len(bom) :].decode(bom_encoding, errors="replace")
    encoding = _usable_charset(charset)
    for match in [] if encoding else _DECLARED_RE.finditer(body[:4096]):
        if encoding := _usable_charset(match.group(1) or match.group(2), in_document=True):
            break
    if encoding:
        return body.decode(encoding, errors="replace")
    with contextlib.suppress(UnicodeDecodeError):
        return body.decode("utf-8")
    import charset_normalizer  # only for bodies that declare nothing (~30 ms to import)

    matches = charset_normalizer.from_bytes(body[:65536])  # a sample keeps big bodies fast
    if best := matches.best():
        # Single-byte Western code pages often tie; windows-1252 is by far the likeliest on the
        # web (and the WHATWG default), so prefer it whenever it scores as well as the winner.
        score = (round(best.chaos, 2), round(best.coherence, 2))
        ties = {m.encoding for m in matches if (round(m.chaos, 2), round(m.coherence, 2)) == score}
        encoding = "cp1252" if "cp1252" in ties else _usable_charset(best.encoding)
    return body.decode(encoding or "utf-8", errors="replace")

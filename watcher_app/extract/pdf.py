"""PDF to plain text for policy documents served as PDF (pypdf, no OCR).

The text feeds the same normaliser and diff as HTML, so the rules here are about stability:
keep pypdf's line structure (a line break in the PDF is usually meaningful), drop trailing
spaces and collapse runs of blank lines, because those vary with the producing software and
would otherwise show up as noise in diffs.

Typographic ligatures (U+FB00-FB06) are spelled out for the same reason.

Outcomes are deliberately distinct:
- text found                      -> the text;
- a readable PDF with no text     -> "" (a scan: the caller can say "no text layer");
- corrupt, truncated, or locked   -> PdfError, so a broken download never becomes a version.
"""

from __future__ import annotations

import io
import logging
import re

from pypdf import PasswordType, PdfReader

from watcher_app.extract.errors import PdfError  # re-exported: callers import it here too

log = logging.getLogger(__name__)

_BLANK_RUN = re.compile(r"\n{3,}")
# Typographic ligatures come from the font, not the words: a PDF re-exported with another
# font or tool flips "ﬁ" <-> "fi" everywhere, which would read as a change in every paragraph.
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
     "\ufb05": "st", "\ufb06": "st", "\x00": None}
)  # fmt: skip


def _open(data: bytes) -> PdfReader:
    """Parse and, when needed, decrypt; every failure becomes PdfError."""
    if b"%PDF-" not in data[:1024]:  # the spec allows a little junk before the header
        raise PdfError("not a PDF: no %PDF- header in the first 1024 bytes")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # Many policy PDFs carry only an owner password ("no editing"): they open with the
        # empty user password and must work. Anything else needs a password we lack.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PdfError("the PDF is password-protected")
        _ = len(reader.pages)  # forces the page tree to be read, where corruption shows
    except PdfError:
        raise
    except Exception as exc:
        # pypdf reports damage with a wide range of exception types (its own errors, but also
        # ValueError, KeyError, TypeError, zlib errors...), so catching broadly is the only
        # way to honour "corrupt input -> PdfError". DependencyError (AES without the
        # cryptography package) lands here as well, with its explanatory message.
        raise PdfError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    return reader


def _tidy(text: str) -> str:
    """Keep the line structure; strip trailing spaces; collapse runs of blank lines to one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LIGATURES)
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def pdf_to_text(data: bytes) -> str:
    """Text of every page joined by ``"\\n"``; ``""`` for a PDF without a text layer.

    Raises PdfError for corrupt or password-protected files. A single page whose text cannot
    be extracted is skipped with a warning (the rest of the document is still worth
    watching, and the same bytes always give the same text); if no page can be extracted
    at all the file is treated as unreadable.
    """
    reader = _open(data)
    texts: list[str] = []
    failed = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:  # same reasoning as in _open: pypdf raises many types
            failed += 1
            log.warning("skipping page %d of PDF: %s: %s", number, type(exc).__name__, exc)
    if failed and not texts:
        raise PdfError(f"no page of the PDF could be read ({failed} failed)")
    return _tidy("\n".join(texts))

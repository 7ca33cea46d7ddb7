"""Extraction: raw bytes of one source → structured, normalised text (docs/dev/text-format.md).

`EXTRACTOR_VERSION` is stored with every version. Raise it whenever a change here can change the
text of an unchanged page: the next check then re-extracts the stored snapshot and records a
"technical upgrade" instead of alerting.
"""

from __future__ import annotations

from collections.abc import Sequence

from watcher_app.catalog import Selector
from watcher_app.extract.html import Extracted, extract_html
from watcher_app.extract.normalize import clean_line, is_placeholder

# 2: accordions are read open; the OTA filters a declaration names are run.
EXTRACTOR_VERSION = 2

__all__ = ["EXTRACTOR_VERSION", "Extracted", "extract_document", "extract_html"]


def _pdf_lines(text: str) -> list[str]:
    """PDF text has hard line breaks inside paragraphs: join wrapped lines back into
    paragraphs (a blank line or a line ending a sentence followed by a capital starts anew)."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = clean_line(raw)
        if not line or is_placeholder(line):
            if lines and lines[-1] != "":
                lines.append("")
            continue
        if lines and lines[-1] and not lines[-1].endswith((".", ":", ";", "?", "!")) \
                and not line[:1].isupper():
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return [line for line in lines if line]


def extract_document(
    body: bytes | str,
    select: Sequence[Selector] = (),
    remove: Sequence[Selector] = (),
    *,
    content_type: str = "text/html",
    charset: str | None = None,
    base_url: str = "",
    filters: Sequence[str | dict[str, object]] = (),
) -> Extracted:
    """Extract one fetched source. PDFs go through pypdf; everything else is HTML, on which
    the declaration's OTA `filter` functions that the app knows run first (ota_filters.py)."""
    if content_type == "application/pdf" or (
        isinstance(body, bytes) and body.startswith(b"%PDF-")
    ):
        from watcher_app.extract.pdf import pdf_to_text  # pypdf is imported only when needed

        data = body if isinstance(body, bytes) else body.encode("latin-1")
        return Extracted(lines=_pdf_lines(pdf_to_text(data)))
    if isinstance(body, bytes):
        from watcher_app.charset import decode_html

        body = decode_html(body, charset)
    return extract_html(body, select, remove, base_url, filters)

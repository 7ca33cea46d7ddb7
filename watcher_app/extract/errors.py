"""Extraction errors, apart from their modules so that catching one does not import pypdf
(which, with cryptography, costs a cold `check` ~50 ms)."""


class PdfError(Exception):
    """The bytes are not a usable PDF: corrupt, truncated, or encrypted with a password."""

"""pdf_to_text on generated fixtures (see tests/fixtures/pdf/make_fixtures.py)."""

from __future__ import annotations

import pytest

from tests.paths import PDFS
from watcher_app.extract import pdf as pdf_module
from watcher_app.extract.pdf import PdfError, pdf_to_text

FIXTURES = PDFS
EXPECTED = (
    "Terms of Service\n"
    "1. We collect your email address.\n"
    "2. We never sell personal data.\n"
    "Contact: privacy@example.com\n"
    "Last updated: 1 March 2025"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_text_pdf() -> None:
    assert pdf_to_text(fixture("text.pdf")) == EXPECTED


def test_pdf_without_text_layer_gives_empty_string() -> None:
    assert pdf_to_text(fixture("scanned.pdf")) == ""


def test_owner_password_only_opens_with_empty_password() -> None:
    assert pdf_to_text(fixture("owner-only.pdf")) == EXPECTED


def test_password_protected_pdf_is_an_error() -> None:
    with pytest.raises(PdfError, match="password"):
        pdf_to_text(fixture("encrypted.pdf"))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a pdf at all",
        b"<html><body>Access denied</body></html>",
        b"%PDF-1.4\n" + b"\x00garbage" * 50,
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>",
    ],
    ids=["empty", "text", "html", "garbage", "dangling-pages"],
)
def test_corrupt_bytes_are_an_error(data: bytes) -> None:
    with pytest.raises(PdfError):
        pdf_to_text(data)


def test_truncated_pdf_is_an_error() -> None:
    data = fixture("text.pdf")
    for cut in (20, len(data) // 3, len(data) // 2):
        with pytest.raises(PdfError):
            pdf_to_text(data[:cut])


def test_tidy_keeps_lines_strips_trailing_space_and_collapses_blank_runs() -> None:
    raw = "Title  \r\n\r\n\r\n\n  Indented line \t\nNext\n\n\n\nEnd \n\n"
    assert pdf_module._tidy(raw) == "Title\n\n  Indented line\nNext\n\nEnd"


def test_tidy_spells_out_ligatures() -> None:
    assert pdf_module._tidy("\ufb01nal o\ufb00er, \ufb02ow\x00") == "final offer, flow"

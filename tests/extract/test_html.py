"""Extraction and normalisation: every kind of markup noise yields the same text and links."""

from __future__ import annotations

import pytest

from tests.paths import PAGES, PDFS
from watcher_app.extract import extract_document, extract_html
from watcher_app.extract.normalize import clean_line, line_words, normalize_url, text_words

NOISE = ["nonce", "uuid-link", "tracking-url", "utm-link", "invisible", "cfemail-key",
         "no-placeholder"]


def extract(name: str):
    return extract_document((PAGES / f"{name}.html").read_bytes(), ["main"], [])


def test_structure_is_kept() -> None:
    lines = extract("base").lines
    assert lines[0] == "# Privacy Policy"
    assert "## 1. Information we collect" in lines
    assert "- Content: files and prompts you upload to the service." in lines
    assert "| Category | Retention |" in lines and "| Logs | 90 days |" in lines
    # chrome and consent banners are never policy text
    text = "\n".join(lines)
    assert "cookies" not in text and "Careers" not in text and "Home" not in text
    # Cloudflare e-mail obfuscation is decoded; the loading placeholder is gone
    assert lines[-1] == "Write to privacy@acme.example or see our help centre."
    assert "…" not in text


@pytest.mark.parametrize("variant", NOISE)
def test_noise_gives_identical_text_and_links(variant: str) -> None:
    base, other = extract("base"), extract(variant)
    assert other.lines == base.lines
    assert other.links == base.links


def test_punctuation_only_change_keeps_the_words() -> None:
    base, other = extract("base"), extract("punctuation")
    assert other.lines != base.lines
    assert text_words(other.lines) == text_words(base.lines)


def test_real_change_changes_the_words() -> None:
    assert text_words(extract("changed").lines) != text_words(extract("base").lines)


def test_remove_and_multiple_selects() -> None:
    html = ("<body><div class=a><p>Alpha para</p><p class=x>drop me</p></div>"
            "<div class=b><p>Beta para</p></div><div class=c>Gamma</div></body>")
    got = extract_html(html, [".a", ".b"], [".x"])
    assert got.lines == ["Alpha para", "Beta para"]
    assert got.selector_matched


def test_range_selectors() -> None:
    html = ("<body><h2 id=s>Start</h2><p>one</p><div><p>two</p><h2 id=e>End</h2><p>three</p>"
            "</div><p>four</p></body>")
    assert extract_html(html, [{"startAfter": "#s", "endBefore": "#e"}]).lines == ["one", "two"]
    assert extract_html(html, [{"startBefore": "#s", "endAfter": "#e"}]).lines == [
        "## Start", "one", "two", "## End"]
    removed = extract_html(html, ["body"], [{"startAfter": "#s", "endBefore": "#e"}])
    assert removed.lines == ["## Start", "## End", "three", "four"]


def test_selector_miss_is_reported() -> None:
    got = extract_html("<body><p>text</p></body>", ["#policy"])
    assert not got.selector_matched and got.unmatched == ["#policy"]


def test_hidden_and_form_controls_dropped() -> None:
    html = ("<main><p hidden>secret</p><p style='display: none'>gone</p>"
            "<select name='Locale Select'><option>English</option></select>"
            "<button>Copy link</button><p>Kept</p></main>")
    assert extract_html(html, ["main"]).lines == ["Kept"]


def test_clean_line_and_words() -> None:
    messy = "  We\u00a0don\u2019t\u200b sell \u201cdata\u201d\u2060 "
    assert clean_line(messy) == 'We don\'t sell "data"'
    assert line_words("See https://x.example/a?b=1 and and Copyright@X.example.") == [
        "see", "and", "copyright@x.example"]
    assert line_words("Email: [email protected]") == ["email", "@email"]
    assert line_words("Cell one<br><br>cell two") == ["cell", "one", "cell", "two"]


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://www.example.com/a/?utm_source=x&fbclid=1&id=7", "https://example.com/a?id=7"),
        ("/r/website.v1.d137b5a2-b2bf-455d-aa2f-e7829acf46ab/x", "https://example.com/r/website.v1.{id}/x"),
        ("https://www.bing.com/ck/a?!&&p=abc&u=a1aHR0cHM6Ly9leGFtcGxlLmNvbS9wb2xpY3k&ntb=1",
         "https://example.com/policy"),
        ("mailto:Privacy@Example.com?subject=hi", "mailto:privacy@example.com"),
        ("javascript:void(0)", ""),
        ("https://help.example.com/en/articles/9307344-responsible-use-guidelines",
         "https://help.example.com/en/articles/9307344-responsible-use-guidelines"),
    ],
)
def test_normalize_url(href: str, expected: str) -> None:
    assert normalize_url(href, "https://example.com/legal") == expected


def test_pdf_goes_through_pypdf() -> None:
    pdfs = sorted((PDFS).glob("*text*.pdf"))
    if not pdfs:
        pytest.skip("no PDF fixture with text")
    got = extract_document(pdfs[0].read_bytes(), content_type="application/pdf")
    assert got.lines and all(line.strip() for line in got.lines)

"""Collapsed content is policy text: accordions are read open, chrome stays out.

The fixture (tests/fixtures/pages/accordion.html) reproduces the patterns of real policy pages:
FAQ questions in `<button aria-controls>` with answers in `aria-hidden` / `hidden` /
`display:none` panels, a nested accordion, `<details>`, `hidden="until-found"`; beside a menu
button in the header, a cookie banner's preferences panel, a share popup and a dialog.
"""

from __future__ import annotations

from tests.paths import PAGES
from watcher_app.extract import EXTRACTOR_VERSION, extract_document, extract_html

PAGE = (PAGES / "accordion.html").read_text(encoding="utf-8")


def _text(select: list[str]) -> str:
    return "\n".join(extract_html(PAGE, select).lines)


def test_questions_and_collapsed_answers_are_kept() -> None:
    lines = extract_html(PAGE, ["main"]).lines
    # a question holding a heading keeps it, and each answer follows its question
    assert lines[lines.index("### How can I use Acme in my business?") + 1] == (
        "Deploy Acme Workspace for your employees.")
    assert lines[lines.index("### Does Acme train its models on my business data?") + 1] == (
        "By default, we do not use your business data for training our models.")
    assert lines[lines.index("Who owns inputs and outputs?") + 1] == (
        "You retain all rights to the inputs you provide.")
    # the nested accordion (a role=button trigger) opens too
    assert "Outputs you share with others stay yours as well." in lines


def test_details_and_until_found_are_kept() -> None:
    text = _text(["main"])
    assert "How long do you keep logs?\nWe keep access logs for 30 days." in text
    assert "Regional notice: residents of the EEA may object to processing." in text


def test_menus_banners_popups_and_dialogs_stay_out() -> None:
    for select in (["main"], []):  # with a selector and on the whole page
        text = _text(select)
        for chrome in ("Menu", "Products", "Pricing", "Log in", "We use cookies",
                       "Strictly necessary", "Manage preferences", "Share", "social media",
                       "Contact sales", "Copy link", "\u2192"):
            assert chrome not in text, (select, chrome)


def test_a_page_without_accordions_is_unchanged() -> None:
    html = ("<main><h1>Terms</h1><p>One.</p><button>Print</button><div hidden><p>Draft</p>"
            "</div><p aria-hidden=true>Decoration</p></main>")
    assert extract_html(html, ["main"]).lines == ["# Terms", "One."]


def test_tab_panels_stay_as_the_page_shows_them() -> None:
    html = ("<main><div role=tablist><button role=tab aria-controls=us aria-selected=true>US"
            "</button><button role=tab aria-controls=eu>EU</button></div>"
            "<div id=us role=tabpanel><p>US terms.</p></div>"
            "<div id=eu role=tabpanel hidden><p>EU terms.</p></div></main>")
    assert extract_html(html, ["main"]).lines == ["US terms."]


def test_a_panel_id_that_is_not_a_css_identifier_is_handled() -> None:
    html = ('<main><button aria-controls="radix-:r1:" aria-expanded="false">Q?</button>'
            '<div id="radix-:r1:" hidden><p>A.</p></div></main>')
    assert extract_document(html, ["main"]).lines == ["Q?", "A."]


def test_the_extractor_version_says_the_text_of_old_pages_changed() -> None:
    # Stored snapshots with accordions now give more text: a re-extraction, never an alert.
    assert EXTRACTOR_VERSION >= 2

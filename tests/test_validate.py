"""Is this capture the policy at all? (validate.py) Every verdict it can return, with the code
the app branches on: pages served with 200 that are error pages, bot challenges, captchas,
soft 404s, app shells, login walls and redirects, region walls, selectors that stopped
matching, a PDF without text, too little text (a loading placeholder), a page that is not a
document; and the policy itself passing, menus, tables and all. End to end, a blocked page
served by the loopback server is never stored.

(Login and region walls in depth: test_validate_walls.py; soft 404s inside site menus, hubs and
region choosers: test_validate_shells.py.)"""

from __future__ import annotations

import pytest

from watcher_app.extract import Extracted, extract_document
from watcher_app.monitor import Monitor
from watcher_app.outcomes import Code, Outcome
from watcher_app.store.models import Check, Snapshot, Version
from watcher_app.validate import (
    MIN_WORDS,
    collapsed,
    not_a_document,
    signature_of,
    validate_source,
)

URL = "https://acme.example/privacy"
CLAUSE = ("We process the personal data you give us only to provide the service you asked "
          "for, and we keep it no longer than we need to.")
POLICY = "".join(f"<p>{CLAUSE} This is clause {n}.</p>" for n in range(12))


def page(body: str, title: str = "Privacy Policy | Acme") -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


def verdict(html: str, select: tuple[str, ...] = ("main",), *, final_url: str = URL):
    """(code, reason) of validate_source on the page as a check extracts it, or None."""
    problem = validate_source(extract_document(html, select), html, requested_url=URL,
                              final_url=final_url)
    if problem is None:
        return None
    assert problem.outcome == Outcome.BLOCKED  # none of these is ever stored
    return problem.code, problem.reason


# (what the page says, where) → the code; each page is served with status 200
PAGES_200 = [
    ("cloudflare", page("<main><h1>Checking your browser before accessing acme.example</h1>"
                        "<p>This process is automatic.</p></main>", "Just a moment..."),
     Code.CHALLENGE, "bot challenge (Cloudflare)"),
    ("incapsula", page("<main><p>Request unsuccessful. Incapsula incident ID: 123-456</p>"
                       "</main>", "Acme"), Code.CHALLENGE, "bot challenge (Imperva/Incapsula)"),
    ("akamai", page("<main><h1>Pardon Our Interruption</h1><p>As you were browsing something "
                    "about your browser made us think you were a bot.</p></main>", "Acme"),
     Code.CHALLENGE, "bot challenge (Akamai)"),
    ("captcha", page("<main><h1>Please verify you are a human</h1><p>Press &amp; hold the "
                     "button.</p></main>", "Acme"), Code.CAPTCHA, "captcha"),
    ("access denied", page("<main><h1>Access denied</h1><p>You don't have access.</p></main>",
                           "Acme"), Code.ACCESS_DENIED, "access denied"),
    ("client error", page("<main><h2>Application error: a client-side exception has occurred "
                          "(see the browser console for more information).</h2></main>", "Acme"),
     Code.CLIENT_ERROR_PAGE, "client-side error page"),
    ("soft 404", page("<main><h1>404</h1><p>This page could not be found.</p></main>", "Acme"),
     Code.SOFT_404, "not found (soft 404)"),
    ("server error", page("<main><h1>503 Service Temporarily Unavailable</h1></main>", "Acme"),
     Code.SERVER_ERROR_PAGE, "server error page"),
    ("app shell", page("<noscript>You need to enable JavaScript to run this app.</noscript>"
                       "<div id=root></div>", "Acme"), Code.APP_SHELL, "empty app shell"),
    ("login wall", page("<main><p>Sign in to continue to Acme.</p></main>", "Acme"),
     Code.LOGIN_WALL, "login wall"),
    ("region wall", page("<main><h2>Acme Assistant is not available in your region</h2>"
                         "</main>", "Acme"), Code.REGION_WALL, "not available in this region"),
]


@pytest.mark.parametrize(("html", "code", "label"), [p[1:] for p in PAGES_200],
                         ids=[p[0] for p in PAGES_200])
def test_pages_that_are_not_the_policy_are_named(html: str, code: Code, label: str) -> None:
    found = verdict(html)
    assert found is not None and found[0] == code
    assert found[1].startswith(f"{label}: \u201c")  # the label, then the words it read
    # the same page found where the declared selector no longer matches: the same verdict
    missed = verdict(html, (".legal-body",))
    assert missed is not None and missed[0] == code


def test_the_policy_passes_even_when_it_mentions_those_words() -> None:
    assert verdict(page(f"<main><h1>Privacy Policy</h1>{POLICY}</main>")) is None
    # deep inside a long policy, the same words are the policy's own
    late = ("<p>If a page is not found, or something went wrong, contact us; please enable "
            "JavaScript for the account pages.</p>")
    assert verdict(page(f"<main><h1>Privacy Policy</h1>{POLICY * 3}{late}</main>")) is None
    # a data table of sub-processors is a policy's content, not a page of labels
    rows = "".join(f"<tr><td>Vendor {n}</td><td>Hosting</td><td>Ireland</td></tr>"
                   for n in range(40))
    table = f"<main><h1>Sub-processors</h1><p>{CLAUSE}</p><table>{rows}</table></main>"
    assert verdict(page(table)) is None


def test_a_login_redirect_to_another_host_is_blocked() -> None:
    html = page(f"<main>{POLICY}</main>")
    found = verdict(html, final_url="https://accounts.example/signin?continue=privacy")
    assert found is not None and found[0] == Code.LOGIN_REDIRECT
    assert "accounts.example/signin" in found[1]
    found = verdict(html, final_url="https://sso.acme-corp.example/start")
    assert found is not None and found[0] == Code.LOGIN_REDIRECT
    # the same host, or another host that is not a login page: the text decides
    assert verdict(html, final_url="https://acme.example/login-help/privacy") is None
    assert verdict(html, final_url="https://www.acme.example/legal/privacy") is None


def test_a_selector_that_stopped_matching_needs_attention() -> None:
    found = verdict(page(f"<div class=new-layout>{POLICY}</div>"), (".legal-body", "#terms"))
    assert found is not None and found[0] == Code.SELECTOR_MISS
    assert found[1].startswith("needs attention: selector no longer matches (.legal-body, #terms)")
    assert "consider it" not in found[1]  # no generic container holds the text here


def test_too_little_text_and_a_loading_placeholder() -> None:
    found = verdict(page("<main><h1>Privacy</h1><p>Coming soon.</p></main>"))
    assert found == (Code.TOO_LITTLE_TEXT, "too little text to be the policy (3 words)")
    # a client-side page caught before it rendered: the placeholder is not text at all
    found = verdict(page("<main><p>Loading\u2026</p><p>Please wait...</p><p>null</p></main>"))
    assert found == (Code.TOO_LITTLE_TEXT, "too little text to be the policy (0 words)")
    words = " ".join(f"word{k}" for k in range(MIN_WORDS))
    assert verdict(page(f"<main><p>{words}.</p></main>")) is None  # exactly enough


def test_a_pdf_without_a_text_layer() -> None:
    problem = validate_source(Extracted(lines=[]), None, requested_url=URL, final_url=URL)
    assert problem is not None and problem.code == Code.NO_TEXT_LAYER
    assert "scanned" in problem.reason
    # a PDF's text is cut into short lines: it is never judged "not a document"
    lines = [f"{CLAUSE[:30]} {n}" for n in range(40)]
    assert validate_source(Extracted(lines=lines), None, requested_url=URL,
                           final_url=URL) is None


def test_a_page_of_links_and_labels_is_not_a_document() -> None:
    labels = [f"Product {n}" for n in range(60)]
    reason = not_a_document(["# Acme", *labels, "Contact us."])
    assert reason is not None and reason.startswith("not the policy: a page of links and labels")
    assert not_a_document([CLAUSE] * 6) is None  # sentences: a document
    # one layout cell holding a whole policy still reads as sentences
    run_in = " ".join(["We collect data. We use it. We share it. We keep it."] * 20)
    assert not_a_document([run_in, *labels]) is None
    assert not_a_document([]) is None  # nothing at all is judged elsewhere (too little text)
    found = verdict(page(f"<main><h1>Acme</h1><ul>{''.join(f'<li>{x}</li>' for x in labels)}"
                         "</ul></main>"))
    assert found is not None and found[0] == Code.NOT_THE_POLICY


def test_signatures_read_the_title_and_the_first_lines_only() -> None:
    assert signature_of("Just a moment...", [CLAUSE], anywhere=False) is not None
    assert signature_of("Acme", ["Privacy Policy", "404"], anywhere=False) is not None
    late = [CLAUSE] * 5 + ["Something went wrong? Write to us."]
    assert signature_of("Acme", late, anywhere=False) is None
    assert signature_of("Acme", late, anywhere=True) is not None  # a short page: anywhere
    too_long = "Access denied " + "x" * 200  # a long first line is a paragraph, not a label
    assert signature_of("Acme", [too_long], anywhere=False) is None
    # "Log in" alone is a header link; as the title, or with a login form, it is the wall
    assert signature_of("Acme", ["Log in", CLAUSE], anywhere=True) is None
    assert signature_of("Log in", [CLAUSE], anywhere=False) is not None
    assert signature_of("Acme", ["Log in"], anywhere=True, login_form=lambda: True) is not None


def test_a_collapse_of_the_text_waits_for_confirmation() -> None:
    assert collapsed(39, 100) and not collapsed(40, 100)
    assert not collapsed(0, 0)  # no earlier text: nothing collapsed
    assert not collapsed(5000, 100)


@pytest.mark.parametrize(("name", "html", "code"), [
    ("challenge", PAGES_200[0][1], Code.CHALLENGE),
    ("soft 404", PAGES_200[6][1], Code.SOFT_404),
    ("placeholder", page("<main><p>Loading...</p></main>"), Code.TOO_LITTLE_TEXT),
])
def test_a_blocked_page_served_with_200_is_never_stored(db, server, custom_doc, quick_fetcher,  # noqa: ANN001
                                                        name: str, html: str, code: Code) -> None:
    doc = custom_doc(html)
    with Monitor(db, quick_fetcher, confirm_delay_s=0) as monitor:
        result = monitor.check(doc)
        assert result.outcome == Outcome.BLOCKED and result.code == code, name
        assert Version.select().count() == 0 and Snapshot.select().count() == 0
        check = Check.get()
        assert (check.outcome, check.code, check.http_status) == ("blocked", code, 200)
        server.route("/privacy", page(f"<main><h1>Privacy Policy</h1>{POLICY}</main>"))
        assert monitor.check(doc).outcome == Outcome.FIRST  # the policy itself, once it is back
    assert Version.select().count() == 1

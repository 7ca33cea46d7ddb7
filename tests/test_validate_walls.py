"""Pages that are not the policy: a login wall is a login form in the content, not a "Log in"
link in the header; a region wall says the service is not offered where it was fetched from.

Before, a selector miss on a page whose navigation had a "Login" link was reported as
"login wall: Login" (seen on two catalogue pages): the user was told to log in where the
declaration needed a new selector.
"""

from __future__ import annotations

from watcher_app.extract import extract_html
from watcher_app.validate import has_login_form, validate_source

URL = "https://policies.example/terms"
PARAGRAPH = ("These terms govern your use of the service, the content you share, the fees you "
             "pay and how either of us may end the agreement at any time with notice. ")


def _verdict(html: str, select: list[str]) -> str | None:
    problem = validate_source(extract_html(html, select), html, requested_url=URL, final_url=URL)
    return None if problem is None else problem.reason


def _page(body: str, title: str = "Terms of Service | Example") -> str:
    return (f"<!doctype html><html><head><title>{title}</title></head><body><header><nav>"
            f"<a href='/'>Home</a></nav><a href='/login'>Login</a></header>{body}</body></html>")


def test_a_selector_miss_with_a_login_link_is_a_selector_miss_with_its_suggestion() -> None:
    html = _page(f"<main><h1>Terms of Service</h1><p>{PARAGRAPH * 12}</p></main>")
    reason = _verdict(html, [".legal-body"])
    assert reason is not None and reason.startswith("needs attention: selector no longer matches")
    assert ".legal-body" in reason and "`main` still holds the text" in reason


def test_a_short_selected_text_next_to_a_login_link_is_not_a_login_wall() -> None:
    html = _page(f"<main><p>Login</p><h1>Sharing policy</h1><p>{PARAGRAPH * 3}</p></main>")
    assert _verdict(html, ["main"]) is None


def test_a_login_form_in_the_content_is_a_login_wall() -> None:
    html = _page("<main><h1>Log in</h1><form action='/session'><input name=email>"
                 "<input type=password name=pw><button>Log in</button></form></main>")
    assert has_login_form(html)
    reason = _verdict(html, ["main"])
    assert reason is not None and reason.startswith("login wall")
    reason = _verdict(html, [".legal-body"])  # the same wall found on a selector miss
    assert reason is not None and reason.startswith("login wall")


def test_a_hidden_login_dialog_is_not_a_login_form() -> None:
    dialog = ("<div class='login-modal' hidden><h2>Log in</h2><input type=password></div>"
              "<dialog><input type=password></dialog>")
    html = _page(f"<main><p>Login</p><p>{PARAGRAPH * 3}</p></main>{dialog}")
    assert not has_login_form(html)
    assert _verdict(html, ["main"]) is None


def test_a_page_titled_sign_in_or_asking_to_log_in_is_a_login_wall() -> None:
    html = _page("<main><p>Welcome back.</p></main>", title="Sign in - Example")
    reason = _verdict(html, [".legal-body"])
    assert reason is not None and reason.startswith("login wall")
    html = _page("<main><p>You must be logged in to view this page.</p></main>")
    reason = _verdict(html, ["main"])
    assert reason is not None and reason.startswith("login wall")


def test_a_region_wall_is_named_as_such() -> None:
    # Seen on Meta's Llama API pages, fetched from a country the service is not offered in.
    html = _page("<div id=root><h2>Model API isn't available in your country yet</h2>"
                 "<a href='/docs'>Explore the Model API documentation</a></div>")
    reason = _verdict(html, [".legal-body"])
    assert reason is not None and reason.startswith("not available in this region")
    # a policy saying that a feature may not be available is still the policy
    html = _page(f"<main><h1>Terms</h1><p>Some features may not be available in your country."
                 f"</p><p>{PARAGRAPH * 3}</p></main>")
    assert _verdict(html, ["main"]) is None

"""Captures that are not the policy are blocked, first capture included (validate.py)."""

from __future__ import annotations

from watcher_app.extract import extract_document
from watcher_app.validate import validate_source

MENU = "".join(f"<li><a href='/{w}'>{w.title()} products and solutions</a></li>" for w in
               "cloud phone meetings chat rooms webinars events contact whiteboard mail "
               "calendar notes docs clips scheduler workflows".split())
FOOTER = "".join(f"<p><a href='/{w}'>{w.title()}</a></p>" for w in
                 "about blog careers press investors partners support legal".split())
CLAUSES = " ".join(f"<p>We process the personal data of clause {n} only to provide the service "
                   "you asked for, and we keep it no longer than we need to.</p>"
                   for n in range(12))


def check(body: str, select: tuple[str, ...] = ()) -> str | None:
    html = f"<html><head><title>Acme</title></head><body>{body}</body></html>"
    extracted = extract_document(html, select)
    problem = validate_source(extracted, html, requested_url="https://acme.example/privacy",
                              final_url="https://acme.example/privacy")
    return problem.reason if problem else None


def test_soft_404_below_the_site_menus_is_blocked() -> None:
    body = (f"<header><ul>{MENU}</ul></header><main><h1>Page not found</h1><p>Sorry, we "
            f"looked everywhere.</p></main><footer>{FOOTER}</footer>")
    reason = check(body)
    assert reason and ("not found" in reason or "not the policy" in reason)


def test_region_chooser_and_hub_of_links_are_blocked() -> None:
    countries = "".join(f"<li><a href='/{c}'>{c}</a></li>" for c in (
        "United States", "Deutschland", "France", "España", "Italia", "日本", "Brasil",
        "Canada", "Australia", "India", "Nederland", "Sverige", "Polska", "México"))
    reason = check(f"<h1>Choose your country or region</h1><ul>{countries}{MENU}</ul>")
    assert reason and "not the policy" in reason
    hub = "".join(f"<h3><a href='/{d}'>{d}</a></h3><p>Read the {d}.</p>" for d in (
        "Terms of Service", "Privacy Policy", "Cookie Policy", "Acceptable Use Policy",
        "Brand Guidelines", "Law Enforcement Guidelines", "Developer Terms"))
    reason = check(f"<h1>Legal</h1>{hub}<ul>{MENU}</ul>")
    assert reason and "not the policy" in reason


def test_a_real_policy_with_menus_and_footer_passes() -> None:
    body = (f"<header><ul>{MENU}</ul></header><main><h1>Privacy Policy</h1>{CLAUSES}</main>"
            f"<footer>{FOOTER}</footer>")
    assert check(body) is None
    # a short policy with a heading that mentions data not found elsewhere still passes
    short = ("<h1>AI Use Policy</h1><h2>When records are not found</h2>" + CLAUSES[:900])
    assert check(short) is None

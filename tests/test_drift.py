"""Selector drift: a site restyles and the declared selector matches nothing, while the policy
is still on the page. The check reads the same bytes with a fallback (Open Terms Archive's
newer declaration, then the page's structure), says so (degraded, with what it read with),
and never alerts on the switch itself; a real edit seen through the fallback still alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tests.ota.helpers import make_archive
from watcher_app.drift import (
    STRUCTURE,
    Fallback,
    finder_for,
    ota_fallbacks,
    structural_fallbacks,
    trim_to_baseline,
)
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.ota.sync import update_catalog
from watcher_app.store.models import Change, Check, Document, Version
from watcher_app.watchlist import add_custom

CLAUSES = [
    "Acme Cloud Privacy Policy",
    "This policy explains what personal data Acme Cloud collects when you use our services, "
    "why we collect it, and the choices you have about it.",
    "We collect the information you give us when you create an account, such as your name, "
    "your email address and your billing details.",
    "We keep account data for as long as your account is open and delete it within thirty "
    "days after you close your account, unless the law requires us to keep it longer.",
    "We share personal data with service providers who process it on our behalf under "
    "contracts that require them to protect it and to use it only for our instructions.",
    "You may access, correct or delete your personal data at any time from your account "
    "settings, and you may object to processing based on our legitimate interests.",
    "Contact our data protection officer at privacy@acme.example with any question.",
]


def paragraphs(clauses: list[str]) -> str:
    """The policy's body (all but its title) as paragraphs."""
    return "".join(f"<p>{c}</p>" for c in clauses[1:])


def old_markup(clauses: list[str]) -> bytes:
    body = paragraphs(clauses)
    return (f"<html><head><title>Privacy</title></head><body><nav>Home Pricing Login</nav>"
            f"<div class='legal-article'><h1>{clauses[0]}</h1>{body}</div>"
            f"<footer>© Acme Cloud</footer></body></html>").encode()


def new_markup(clauses: list[str], container: str = "main") -> bytes:
    """The restyled page: `.legal-article` is gone; `container` holds a site banner, the
    policy and a related-links block."""
    body = paragraphs(clauses)
    return (f"<html><head><title>Privacy</title></head><body><nav>Home Pricing Login</nav>"
            f"<{container}><div class='banner'><p>New: Acme Cloud 3.0 is here, read the "
            f"announcement on our blog today.</p></div><h1>{clauses[0]}</h1>{body}"
            f"<div class='related'><p>Related pages: Terms of Service, Cookie Policy, "
            f"Acceptable Use Policy and the Trust Center.</p></div></{container}>"
            f"<footer>© Acme Cloud</footer></body></html>").encode()


@pytest.fixture
def setup(db, server: LoopbackServer):
    server.route("/privacy", old_markup(CLAUSES))
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": ".legal-article"}}})
    with Monitor(db, Fetcher(retries=0, timeout_s=2, sleep=lambda s: None),
                 confirm_delay_s=0) as monitor:
        yield server, Document.get(), monitor


def test_a_restyled_page_is_read_with_the_page_structure_without_an_alert(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    assert first.status == "first"
    server.route("/privacy", new_markup(CLAUSES))
    result = monitor.check(doc)
    assert result.outcome == "degraded" and result.code == "fallback-selector", result
    assert result.status == "unchanged" and result.version_id == first.version_id
    assert "fallback selector" in result.reason and "main" in result.reason
    assert Version.select().count() == 1 and Change.select().count() == 0
    check = Check.select().order_by(Check.id.desc()).get()
    assert check.detail["read_with"] == [{"source": server.url("/privacy"), "select": ["main"],
                                          "from": "the page's structure"}]
    # The next identical check is counted into the same row.
    monitor.check(doc)
    assert Check.select().order_by(Check.id.desc()).get().repeats == 2


def test_a_real_edit_seen_through_the_fallback_still_alerts(setup) -> None:
    server, doc, monitor = setup
    monitor.check(doc)
    server.route("/privacy", new_markup(CLAUSES))
    monitor.check(doc)
    edited = [c.replace("within thirty days", "within three years") for c in CLAUSES]
    server.route("/privacy", new_markup(edited))
    result = monitor.check(doc)
    assert result.status == "changed", result
    change = Change.get()
    assert "three years" in change.to_version.text
    # the banner and the related links the wider container brings are not part of the text
    assert "Acme Cloud 3.0" not in change.to_version.text
    assert "Related pages" not in change.to_version.text


def test_open_terms_archive_s_declarations_for_the_same_url_are_offered_first(
        db, tmp_path: Path) -> None:
    url = "https://acme.example/privacy"  # OTA declarations are https and public only
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": url, "select": ".legal-article"}}})
    archive = tmp_path / "src" / "alpha-declarations-main.zip"
    archive.parent.mkdir()
    archive.write_bytes(make_archive("alpha", {"Acme": {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": url, "select": ["#policy-v2"], "remove": [".ad"]},
        "Terms of Service": {"fetch": "https://acme.example/terms", "select": ["main"]}}}}))
    data_dir = Path(db.database).parent
    assert update_catalog(data_dir, [str(archive)])[0].status == "updated"
    doc = Document.get()
    found = finder_for(data_dir)(doc, 0, doc.sources[0])
    assert found[0] == Fallback(("#policy-v2",), (".ad",), (), "Open Terms Archive (alpha)")
    assert [f.select for f in found[1:]] == [(sel,) for sel in STRUCTURE]
    # another URL, or the very selectors already declared, are not offered
    assert ota_fallbacks(data_dir, doc, {"url": "https://acme.example/other"}) == []
    assert ota_fallbacks(data_dir, doc, {"url": url, "select": ["#policy-v2"]}) == []


def test_the_first_fallback_that_reads_the_policy_wins(db, server: LoopbackServer) -> None:
    # The OTA fallback is given directly (a stored OTA declaration must be https and public,
    # which a loopback page is not); the order and the reading are the app's own.
    server.route("/privacy", old_markup(CLAUSES))
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": ".legal-article"}}})
    ota = Fallback(("#policy-v2",), (), (), "Open Terms Archive (alpha)")
    with Monitor(db, Fetcher(retries=0, timeout_s=2, sleep=lambda s: None), confirm_delay_s=0,
                 fallbacks=lambda doc, i, src: [ota, *structural_fallbacks(src)]) as monitor:
        doc = Document.get()
        monitor.check(doc)
        body = paragraphs(CLAUSES)
        server.route("/privacy", (
            f"<html><body><main><p>Site-wide banner text that is not the policy at all, about "
            f"a product launch.</p><div id='policy-v2'><h1>{CLAUSES[0]}</h1>{body}</div></main>"
            f"</body></html>").encode())
        result = monitor.check(doc)
    assert result.outcome == "degraded", result
    check = Check.select().order_by(Check.id.desc()).get()
    assert check.detail["read_with"][0]["from"] == "Open Terms Archive (alpha)"
    assert check.detail["read_with"][0]["select"] == ["#policy-v2"]


def test_no_fallback_reads_the_policy_and_the_selector_miss_stands(setup) -> None:
    server, doc, monitor = setup
    monitor.check(doc)
    server.route("/privacy", b"<html><body><div class='x'><p>Nothing here but a short note."
                             b"</p></div></body></html>")
    result = monitor.check(doc)
    assert result.outcome == "blocked" and result.code == "selector-miss", result


def test_trim_to_baseline_cuts_only_edges_the_version_never_had() -> None:
    base = ["Title", "a", "b", "c"]
    assert trim_to_baseline(["Banner", "Title", "a", "b", "c", "Related"], base) == base
    # the first paragraph itself changed: nothing cut at the start (the edit must be seen)
    assert trim_to_baseline(["Banner", "New title", "a", "b", "c", "Related"], base) == [
        "Banner", "New title", "a", "b", "c"]
    assert trim_to_baseline(["x"], None) == ["x"]


def test_health_says_read_with_a_fallback_and_the_declared_selector_comes_back(setup) -> None:
    from watcher_app.ui.queries import sidebar_status
    from watcher_app.ui.sidebar import doc_line

    server, doc, monitor = setup
    monitor.check(doc)
    server.route("/privacy", new_markup(CLAUSES))
    monitor.check(doc)
    (status,) = [d for p in sidebar_status() for d in p.documents]
    assert status.health == "degraded"
    assert doc_line(status).startswith("Read with a fallback selector")
    # the site restores its markup: the declared selector is used again, and health is ok
    server.route("/privacy", old_markup(CLAUSES))
    result = monitor.check(doc)
    assert (result.outcome, result.code) == ("verified", "same-text"), result
    (status,) = [d for p in sidebar_status() for d in p.documents]
    assert status.health == "ok"


def test_the_largest_text_block_when_no_common_container_holds_it(setup) -> None:
    server, doc, monitor = setup
    first = monitor.check(doc)
    body = paragraphs(CLAUSES)
    server.route("/privacy", (
        f"<html><body><div class='top'><p>Home</p></div><div class='legal-body-v2'>"
        f"<h1>{CLAUSES[0]}</h1>{body}</div><div class='foot'><p>© Acme</p></div>"
        f"</body></html>").encode())
    result = monitor.check(doc)
    assert result.outcome == "degraded" and result.version_id == first.version_id, result
    check = Check.select().order_by(Check.id.desc()).get()
    assert check.detail["read_with"][0] == {"source": server.url("/privacy"),
                                            "select": ["div.legal-body-v2"],
                                            "from": "the page's largest text block"}

"""OTA's named filters, re-implemented in Python: each does on a small page of ours what its
`.filters.js` does, filters run before `remove`/`select`, and the gaps are reported."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import OTA, REPO
from watcher_app.catalog import parse_declaration
from watcher_app.extract import extract_document
from watcher_app.extract.ota_filters import (
    COST_NOISE,
    COST_NONE,
    FILTERS,
    NOT_RUN,
    document_filter_gaps,
    filter_gaps,
)

ARCHIVES = sorted(OTA.glob("*-declarations-main.zip"))


def _run(html: str, filters: list[Any], select: list[str] | None = None):
    return extract_document(f"<html><body>{html}</body></html>", select or [], [],
                            base_url="https://s.example/p", filters=filters)


def _lines(html: str, *filters: Any) -> list[str]:
    return _run(html, list(filters)).lines


def _hrefs(html: str, *filters: Any) -> list[str]:
    return [link["href"] for link in _run(html, list(filters)).links]


def test_remove_query_params_with_its_parameter() -> None:
    html = ("<p><a href='https://a.example/x?h=AT0abc&keep=1'>one</a>"
            "<a href='https://a.example/y?locale2=fr_FR&h=2'>two</a></p>")
    assert _hrefs(html, {"removeQueryParams": ["h", "locale2"]}) == [
        "https://a.example/x?keep=1", "https://a.example/y"]


@pytest.mark.parametrize(("name", "before", "after"), [
    ("cleanUrls", "https://l.facebook.com/l.php?u=https%3A%2F%2Fb.example%2Fdocs&h=AT1",
     "https://b.example/docs"),
    ("cleanUrls", "https://l.instagram.com/?u=https%3A%2F%2Fc.example%2F&e=AT2",
     "https://c.example/"),
    ("removeTrackingIDs", "https://www.facebook.com/help/1?h=AT3&ref=x",
     "https://facebook.com/help/1?ref=x"),
    ("removeLabelAndSidFromUrls", "https://www.booking.com/c.html?label=gen173&sid=9f&lang=en",
     "https://booking.com/c.html?lang=en"),
    ("removeAmpDeviceId", "https://zoom.us/trust?amp_device_id=Zx1&x=1", "https://zoom.us/trust?x=1"),
    ("removeRedirectFromLinks", "https://claude.ai/redirect/website.v1.abc/settings",
     "https://claude.ai/settings"),
    ("useXHelpCenterBaseURL", "https://help.twitter.com/en/rules", "https://help.x.com/en/rules"),
])
def test_link_filters(name: str, before: str, after: str) -> None:
    assert _hrefs(f"<p><a href='{before}'>link</a></p>", name) == [after]


def test_links_and_empty_anchors() -> None:
    html = "<p><a href='#'>top</a> <a href='https://a.example/'>site</a></p>"
    assert _hrefs(html, "removeEmptyAnchorsLinks") == ["https://a.example/"]
    assert _hrefs(html, "removeLinks") == []
    assert _lines(html, "removeLinks") == ["top site"]  # the words stay
    dl = "<p>May be <a href='/brand.html'>downloaded for use</a>.</p>"
    assert _hrefs(dl, "removeDownloadedForUseLinkExtension") == ["https://s.example/brand"]


def test_microsoft_modules() -> None:
    html = ("<div id=navigationHeader>Jump to</div>"
            "<div class=divModuleDescription><span id=moduleName>mainpersonaldatamodule</span>"
            "<p>General part.</p></div>"
            "<div class=divModuleDescription><span id=moduleName>mainxboxmodule</span>"
            "<p>Xbox part.</p></div>"
            "<div class=divModuleDescription><span class=FileName>14a_Xbox</span><p>Xbox terms.</p>"
            "</div><div class=divModuleDescription><span class=FileName>14_general</span>"
            "<p>General terms.</p></div><p class=displayNone>Printable summary</p>")
    lines = _lines(html, "removeIrrelevantModulesFromPrivacyPolicy",
                   "removeIrrelevantModulesFromTos", "removeNavigationHeaders",
                   "removeModuleIDs", "removeInvisibleText")
    assert lines == ["General part.", "General terms."]
    # OTA runs them in the declared order: ids removed first leave every module in place
    assert "Xbox part." in _lines(html, "removeModuleIDs",
                                  "removeIrrelevantModulesFromPrivacyPolicy")


def test_google_country_version() -> None:
    html = ("<p><a data-name='country-version' href='#cv'>Country version: France</a></p>"
            "<h2>Terms</h2><p>Main text.</p><h3 id=footnote-country-version>Country version</h3>"
            "<p>These terms apply in France.</p><h3 id=footnote-disclaimer>Disclaimer</h3>"
            "<p>Disclaimer text.</p>")
    assert _lines(html, "removeCountryVersion") == [
        "## Terms", "Main text.", "### Disclaimer", "Disclaimer text."]


def test_meta_buttons_and_images() -> None:
    html = ("<p>Read this <a href='/help'><img src='https://scontent.example/i.png'></a>"
            "<span class=_t3o>Return to top</span>"
            "<img src='https://static.example/851547_537948159656190_540847388_n.png?x=1'>"
            " Note.</p><p class=_vpi>cookie image</p>")
    got = _run(html, ["removeHelpButtons", "removeReturnToTopButtons",
                      "replaceInfoImageWithEmoji", "removeImgFromCookiesPolicy"])
    assert got.lines == ["Read this \u2139\ufe0f Note."]
    assert got.links == []


def test_text_filters() -> None:
    assert _lines("<p>Posted <time datetime='2025-03-02'>3 days ago</time>.</p>",
                  "replaceTimeAgoByDate") == ["Posted 2025-03-02."]
    assert _lines("<p>Caf\ufffd\ufffd is open, isn\ufffd\ufffd\ufffdt it?</p>",
                  "recoverReplacementCharacters") == ["Caf\u00e9 is open, isn't it?"]
    yuka = ("<meta property='article:modified_time' content='2024-05-01'><h1>Privacy</h1>"
            "<div><img src='a.png'><div>Updated 3 days ago by Julie</div></div>")
    assert _lines(yuka, "replaceDaysAgo")[-1] == "Updated 2024-05-01 by Julie"
    asus = "<h2>Policy</h2><p>Text.</p><h3>Latest security updates</h3><p>Update 1</p><p>U2</p>"
    assert _lines(asus, "removeSecurityUpdates") == ["## Policy", "Text."]


def test_structure_filters() -> None:
    html = ("<ol><li>First</li><span>stray</span><ol><li>Nested</li></ol><li>Second</li></ol>"
            "<a href='/x'><svg></svg></a><a href='/y'> </a>"
            "<script id=en_US_tpl type='text/template'><p>English text.</p></script>")
    got = _run(html, ["numberListCorrectly", "removeEmptySVGLinks", "removeEmptyLinks",
                      "convertScriptToDiv"])
    assert got.lines == ["- First", "- Nested", "- Second", "English text."]
    assert got.links == []


def test_builtin_ones_change_nothing_and_count_as_run() -> None:
    html = ("<p>Mail <a class=__cf_email__ "
            "data-cfemail='5a2a28332c3b39231a3b39373f743f223b372a363f'>x</a></p>")
    assert _lines(html, {"removeCloudflareEmailProtection": "a@b.example"}, "removeScripts",
                  "unifyEmailProtectedAddresses") == ["Mail privacy@acme.example"]
    assert filter_gaps(["removeScripts", {"removeCloudflareEmailProtection": "x"}]) == []


def test_filters_run_before_remove_and_select() -> None:
    html = ("<main><div class=navigationHeader><p>Jump</p></div><p>Body.</p></main>"
            "<aside>Aside</aside>")
    got = extract_document(html, ["main"], [".gone"], filters=["removeNavigationHeaders"])
    assert got.lines == ["Body."] and got.filters_skipped == []


def test_unknown_and_failing_filters_are_skipped_and_reported() -> None:
    got = _run("<p>Text <span class=x>kept</span></p>", ["removeBanners", "removeQueryParams"])
    assert got.lines == ["Text kept"]
    assert got.filters_skipped == ["removeBanners"]


def test_gaps_say_what_not_running_costs() -> None:
    gaps = filter_gaps(["cleanUrls", "downloadImages", "removeSpecialOffer", "downloadImages",
                        {"removeQueryParams": ["h"]}])
    assert [(g.name, g.cost) for g in gaps] == [("downloadImages", COST_NONE),
                                                ("removeSpecialOffer", COST_NOISE)]
    assert "noise" in gaps[1].detail


def test_declaration_filters_reach_the_document_gaps() -> None:
    spec = parse_declaration({"name": "F", "terms": {"Privacy Policy": {
        "filter": ["cleanUrls", "moveAppPrivacyPolicyIntoGlobalPrivacyPolicy"],
        "combine": [{"fetch": "https://f.example/a"},
                    {"fetch": "https://f.example/b", "filter": ["mysteryFilter"]}]}}}, "f")
    doc = spec.documents["Privacy Policy"]
    assert doc.sources[0].filters == ("cleanUrls", "moveAppPrivacyPolicyIntoGlobalPrivacyPolicy")
    assert doc.sources[1].filters == ("mysteryFilter",)  # a source's own list replaces it
    assert [g.name for g in document_filter_gaps(doc)] == [
        "moveAppPrivacyPolicyIntoGlobalPrivacyPolicy", "mysteryFilter"]
    again = parse_declaration(spec.to_declaration(), "f")
    assert again == spec


def _usage_module() -> Any:
    path = REPO / "scripts" / "ota_filter_usage.py"
    module_spec = importlib.util.spec_from_file_location("ota_filter_usage", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module  # dataclasses look their module up there
    module_spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not ARCHIVES, reason="../shared/opentermsarchive is absent")
def test_every_filter_the_ota_declarations_use_is_run_or_costed() -> None:
    usage = _usage_module().usage([Path(p) for p in ARCHIVES])
    assert usage.documents > 1000 and usage.documents_with_filters > 50
    unknown = [name for name in usage.uses if name not in FILTERS and name not in NOT_RUN]
    assert unknown == []
    assert usage.share_of_uses_run >= 0.95

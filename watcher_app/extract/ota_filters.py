"""Open Terms Archive's named `filter` functions, re-implemented on the parsed page.

An OTA declaration may name filters (`"filter": ["removeTrackingIDs", {"removeQueryParams":
["h"]}]`) that its engine runs on the page before `remove` and `select`. They are JavaScript in
each service's `.filters.js` (a few are built into OTA's engine), which this app cannot run, so
the ones the declarations use are written again here, by name. Where two services define the
same name differently, the function does what each of them does on its own pages (the markers
they look for do not occur on the other's pages).

Most of them only clean link targets; the app compares texts by their words and never alerts on
a link target, so for those the cost of not running them would be nil. The ones that remove or
rewrite text matter: without them the stored text holds what OTA drops (another product's
module, a "3 days ago" line), which can make a check alert on noise.

`filter_gaps()` says which filters of a declaration the app does not run, and what that costs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

FilterSpec = str | dict[str, Any]  # a name, or {name: parameter} for OTA's parameterised ones
FilterFunction = Callable[[LexborHTMLParser, Any], None]

# What not running a filter costs, by kind of effect.
COST_NONE = "none"  # only link targets, images or layout: the compared words are the same
COST_NOISE = "noise"  # text that changes between fetches may be stored, and alert
COST_TEXT = "text"  # the stored text keeps (or lacks) passages OTA's text does not


# --- helpers ----------------------------------------------------------------------------------


def _remove_all(tree: LexborHTMLParser, css: str) -> None:
    for node in tree.css(css):
        node.decompose()


def _rewrite_hrefs(tree: LexborHTMLParser, rewrite: Callable[[str], str], css: str = "a[href]",
                   attr: str = "href") -> None:
    for node in tree.css(css):
        old = node.attributes.get(attr) or ""
        new = rewrite(old)
        if new != old:
            node.attrs[attr] = new


def _without_params(url: str, drop: Callable[[str], bool]) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not drop(k)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _drop_params(tree: LexborHTMLParser, names: Iterable[str]) -> None:
    wanted = set(names)
    _rewrite_hrefs(tree, lambda url: _without_params(url, wanted.__contains__))
    _rewrite_hrefs(tree, lambda url: _without_params(url, wanted.__contains__), "img[src]", "src")


def _replace_text(node: LexborNode, old: re.Pattern[str], new: str) -> None:
    for child in list(node.traverse(include_text=True)):
        if child.tag == "-text" and old.search(child.text_content or ""):
            child.replace_with(old.sub(new, child.text_content or ""))


def _parent_text(node: LexborNode) -> str:
    return node.text(separator=" ", strip=True)


# --- the filters (name → function), in the order of how often OTA's declarations use them -----


def remove_query_params(tree: LexborHTMLParser, params: Any) -> None:
    """OTA's engine built-in: drop these query parameters from links and images."""
    _drop_params(tree, [params] if isinstance(params, str) else list(params or ()))


def clean_urls(tree: LexborHTMLParser, _: Any) -> None:
    """Facebook, Instagram: `href="#"` goes; l.facebook.com / l.instagram.com redirects are
    replaced by the page they lead to."""
    for node in tree.css("[href='#']"):
        del node.attrs["href"]

    def unwrap(url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname in ("l.facebook.com", "l.instagram.com"):
            target = dict(parse_qsl(parts.query)).get("u")
            return unquote(target) if target else url
        return url

    _rewrite_hrefs(tree, unwrap)


def remove_tracking_ids(tree: LexborHTMLParser, _: Any) -> None:
    """Meta's pages (`h`), LinkedIn's (`trk`): per-visit click tokens in links."""
    _drop_params(tree, ("h", "trk"))


def remove_navigation_headers(tree: LexborHTMLParser, _: Any) -> None:
    _remove_all(tree, "#navigationHeader, .navigationHeader")


def remove_module_ids(tree: LexborHTMLParser, _: Any) -> None:
    _remove_all(tree, "#moduleName, .FileName")


def remove_invisible_text(tree: LexborHTMLParser, _: Any) -> None:
    _remove_all(tree, ".displayNone, .printsummary, .printDetailedContent")


# The Microsoft privacy statement holds every product's module; OTA keeps the general ones.
# (Skype's list, which Microsoft, MSN and Microsoft Store use; Bing's swaps Bing for Skype.)
OTHER_MICROSOFT_MODULES = frozenset(
    "mainenterprisedeveloperproductsmodule mainenterpriseservicesmodule "
    "mainenterprisedevsoftwareappsmodule mainteamsmodule mainofficeservicesmodule "
    "mainonedrivemodule mainoutlookmodule mainlinkedinmodule mainsearchaimodule mainbingmodule "
    "maincortanamodule mainmsedgemodule mainMicrosoftTranslatormodule mainswiftkeymodule "
    "mainwindowsmodule mainactivationmodule mainactivityhistorymodule mainadvertisingidmodule "
    "maindiagnosticsmodule mainfeedbackhubmodule mainlocationservicesmotionsensingmodule "
    "mainsecurityandsafetyfeaturesmodule mainspeechinkingtypingmodule mainsyncsettingsmodule "
    "mainupdateservicesmodule mainwebbrowsersmodule mainwindowsappsmodule "
    "mainwindowsmediaplayermodule mainwindowshellomodule mainwindowssearchmodule "
    "mainyourphonemodule mainentertainmentmodule mainxboxmodule mainwindowsstoremodule "
    "mainmainmodule mainmixermodule maingroovemusicmoviestvmodule mainsilverlightmodule "
    "mainwindowsmixedrealitymodule".split()
)
OTHER_MICROSOFT_TERMS = re.compile(r"^14[^e_]")  # section 14 but its general part and Skype's


def remove_irrelevant_modules_from_privacy_policy(tree: LexborHTMLParser, _: Any) -> None:
    for module in tree.css(".divModuleDescription"):
        name = module.css_first("#moduleName")
        if name is not None and _parent_text(name) in OTHER_MICROSOFT_MODULES:
            module.decompose()


def remove_irrelevant_modules_from_tos(tree: LexborHTMLParser, _: Any) -> None:
    for module in tree.css(".divModuleDescription"):
        name = module.css_first(".FileName")
        text = _parent_text(name) if name is not None else ""
        if OTHER_MICROSOFT_TERMS.match(text) or text == "serviceslist":
            module.decompose()


def remove_country_version(tree: LexborHTMLParser, _: Any) -> None:
    """Google: the "country version" link and the footnote section it points to."""
    link = tree.css_first('a[data-name="country-version"]')
    if link is not None and link.parent is not None:
        link.parent.decompose()
    start = tree.css_first("#footnote-country-version")
    stop = tree.css_first("#footnote-disclaimer")
    if start is None or stop is None or start.parent is None:
        return
    siblings: list[LexborNode] = []
    node: LexborNode | None = start
    while node is not None and node.mem_id != stop.mem_id:
        siblings.append(node)
        node = node.next
    # OTA refuses to cut a section holding more than one h3: so does this (nothing is cut)
    if node is None or sum(d.tag == "h3" for n in siblings for d in n.traverse()) > 1:
        return
    for node in siblings:
        node.decompose()


def remove_help_buttons(tree: LexborHTMLParser, _: Any) -> None:
    """Facebook: image-only help links; Facebook Payments: `._254` icons."""
    for img in tree.css('a > img[src*="https://scontent"]'):
        link = img.parent
        if link is not None and not _parent_text(link):
            link.decompose()
    _remove_all(tree, "._254")


def remove_return_to_top_buttons(tree: LexborHTMLParser, _: Any) -> None:
    _remove_all(tree, "._t3o")


def remove_empty_svg_links(tree: LexborHTMLParser, _: Any) -> None:
    for link in tree.css("a"):
        children = [c for c in link.iter() if c.tag and not c.tag.startswith("-")]
        if len(children) == 1 and children[0].tag == "svg":
            link.decompose()


def remove_label_and_sid_from_urls(tree: LexborHTMLParser, _: Any) -> None:
    _drop_params(tree, ("label", "sid"))


def remove_empty_anchors_links(tree: LexborHTMLParser, _: Any) -> None:
    for node in tree.css("[href='#']"):
        del node.attrs["href"]


INFO_IMAGES = ('img[src*="/851547_537948159656190_540847388_n.png?"], '
               'img[src*="10574689_373883339436400_1359386031_n.png?"]')


def replace_info_image_with_emoji(tree: LexborHTMLParser, _: Any) -> None:
    for img in tree.css(INFO_IMAGES):
        img.replace_with("\u2139\ufe0f")


def remove_security_updates(tree: LexborHTMLParser, _: Any) -> None:
    """ASUS: the "Latest security updates" list, a feed, not the policy."""
    for heading in tree.css("h3"):
        if (heading.text_content or heading.text()) == "Latest security updates":
            while heading.next is not None:
                heading.next.decompose()
            heading.decompose()
            return


REPLACEMENTS = ((re.compile("\ufffd\ufffd\ufffd"), "'"), (re.compile("\ufffd\ufffd"), "\u00e9"))


def recover_replacement_characters(tree: LexborHTMLParser, _: Any) -> None:
    if tree.body is not None:
        for pattern, value in REPLACEMENTS:
            _replace_text(tree.body, pattern, value)


def number_list_correctly(tree: LexborHTMLParser, _: Any) -> None:
    for ol in tree.css("ol"):
        child = ol.child
        while child is not None:
            following = child.next
            if child.tag not in ("li", "ol") and not (child.tag or "").startswith("-"):
                child.decompose()
            child = following
    for nested in tree.css("ol > ol"):
        previous = nested.prev
        while previous is not None and previous.tag != "li":
            previous = previous.prev
        if previous is not None:
            previous.insert_child(nested)  # inserts a copy: the original goes
            nested.decompose()


def remove_img_from_cookies_policy(tree: LexborHTMLParser, _: Any) -> None:
    node = tree.css_first("._vpi")
    if node is not None:
        node.decompose()


def remove_empty_links(tree: LexborHTMLParser, _: Any) -> None:
    for link in tree.css("a"):
        if link.inner_html in (" ", "<b> </b>"):
            link.decompose()


def convert_script_to_div(tree: LexborHTMLParser, _: Any) -> None:
    """WeChat Open Platform: the English text is a template inside a <script>."""
    script = tree.css_first("#en_US_tpl")
    if script is None or script.tag != "script":
        return
    body = LexborHTMLParser(f"<div id=en_US_tpl>{script.text()}</div>").css_first("div")
    if body is not None:
        script.insert_before(body)
    script.decompose()


UPDATED_BY = re.compile(r"Updated(.*)( by.*)")


def replace_days_ago(tree: LexborHTMLParser, _: Any) -> None:
    """Yuka: "Updated 3 days ago by …" becomes the article's modification date."""
    meta = tree.css_first('meta[property="article:modified_time"]')
    box = tree.css_first("h1+div > img+div")
    if meta is not None and box is not None:
        date = meta.attributes.get("content") or ""
        _replace_text(box, UPDATED_BY, f"Updated {date}\\2")


def remove_amp_device_id(tree: LexborHTMLParser, _: Any) -> None:
    _drop_params(tree, ("amp_device_id",))


REDIRECT = re.compile(r"/redirect/[^/]+/")


def remove_redirect_from_links(tree: LexborHTMLParser, _: Any) -> None:
    _rewrite_hrefs(tree, lambda url: REDIRECT.sub("/", url, count=1))


def remove_downloaded_for_use_link_extension(tree: LexborHTMLParser, _: Any) -> None:
    for link in tree.css("a[href]"):
        if link.inner_html == "downloaded for use":
            link.attrs["href"] = (link.attributes.get("href") or "").replace(".html", "", 1)


def replace_time_ago_by_date(tree: LexborHTMLParser, _: Any) -> None:
    """Quora: "3 days ago" becomes the date in the element's datetime attribute."""
    for node in tree.css("time"):
        node.replace_with(node.attributes.get("datetime") or "")


def use_x_help_center_base_url(tree: LexborHTMLParser, _: Any) -> None:
    _rewrite_hrefs(tree, lambda url: url.replace("https://help.twitter.com", "https://help.x.com",
                                                 1), 'a[href^="https://help.twitter.com"]')


def remove_links(tree: LexborHTMLParser, _: Any) -> None:
    for link in tree.css("a[href]"):
        del link.attrs["href"]


def builtin(tree: LexborHTMLParser, _: Any) -> None:
    """What the filter does, the app's extractor always does (see BUILT_IN)."""


FILTERS: dict[str, FilterFunction] = {
    "removeQueryParams": remove_query_params,
    "cleanUrls": clean_urls,
    "removeTrackingIDs": remove_tracking_ids,
    "removeNavigationHeaders": remove_navigation_headers,
    "removeModuleIDs": remove_module_ids,
    "removeInvisibleText": remove_invisible_text,
    "removeLinks": remove_links,
    "useXHelpCenterBaseURL": use_x_help_center_base_url,
    "removeIrrelevantModulesFromPrivacyPolicy": remove_irrelevant_modules_from_privacy_policy,
    "removeIrrelevantModulesFromTos": remove_irrelevant_modules_from_tos,
    "removeCountryVersion": remove_country_version,
    "removeHelpButtons": remove_help_buttons,
    "removeReturnToTopButtons": remove_return_to_top_buttons,
    "removeCloudflareEmailProtection": builtin,
    "removeEmptySVGLinks": remove_empty_svg_links,
    "removeLabelAndSidFromUrls": remove_label_and_sid_from_urls,
    "removeEmptyAnchorsLinks": remove_empty_anchors_links,
    "replaceInfoImageWithEmoji": replace_info_image_with_emoji,
    "removeSecurityUpdates": remove_security_updates,
    "recoverReplacementCharacters": recover_replacement_characters,
    "numberListCorrectly": number_list_correctly,
    "removeImgFromCookiesPolicy": remove_img_from_cookies_policy,
    "unifyEmailProtectedAddresses": builtin,
    "removeEmptyLinks": remove_empty_links,
    "removeScripts": builtin,
    "convertScriptToDiv": convert_script_to_div,
    "replaceDaysAgo": replace_days_ago,
    "removeAmpDeviceId": remove_amp_device_id,
    "removeRedirectFromLinks": remove_redirect_from_links,
    "removeDownloadedForUseLinkExtension": remove_downloaded_for_use_link_extension,
    "replaceTimeAgoByDate": replace_time_ago_by_date,
}
# Filters whose whole purpose the extractor already serves on every page.
BUILT_IN = {
    "removeCloudflareEmailProtection": "Cloudflare-protected e-mail addresses are decoded",
    "unifyEmailProtectedAddresses": "Cloudflare-protected e-mail addresses are decoded",
    "removeScripts": "scripts are never text",
}
# Filters OTA's declarations use that the app does not run, with what that costs.
NOT_RUN: dict[str, tuple[str, str]] = {
    "moveAppPrivacyPolicyIntoGlobalPrivacyPolicy": (
        COST_NONE, "moves a section within the page: the same words, in another order than "
        "OTA's; stable from one check to the next"),
    "downloadImages": (COST_NONE, "embeds images: images are not part of the compared text"),
    "correctTitleIndentation": (COST_NONE, "adds a line break for OTA's Markdown layout only"),
}
UNKNOWN_COST = (COST_NOISE, "a site-specific script of the declaration's author: what it "
                "removes or rewrites is kept as published, which may show as noise")


def filter_name(spec: FilterSpec) -> str:
    if isinstance(spec, dict):
        return next(iter(spec), "") if len(spec) == 1 else ""
    return spec


def apply_filters(tree: LexborHTMLParser, filters: Sequence[FilterSpec],
                  base_url: str = "") -> list[str]:
    """Run a source's filters on the whole page, in the declared order (as OTA does, before
    `remove` and `select`). Returns the names it could not run. A filter that fails on a page
    it was not written for changes nothing further (OTA would fail the extraction)."""
    skipped: list[str] = []
    for spec in filters:
        name = filter_name(spec)
        function = FILTERS.get(name)
        if function is None:
            skipped.append(name or repr(spec))
            continue
        try:
            function(tree, spec.get(name) if isinstance(spec, dict) else None)
        except Exception:  # a page of unexpected shape: the filter's markers are not there
            skipped.append(name)
    return skipped


@dataclass(frozen=True)
class FilterGap:
    """A filter a declaration names that the app does not run, and what that costs."""

    name: str
    cost: str  # COST_NONE | COST_NOISE | COST_TEXT
    detail: str


def filter_gaps(filters: Iterable[FilterSpec]) -> list[FilterGap]:
    """The filters of one source (or of a whole document: pass them all) that the app does
    not run, once each. An empty list: the app reads the page as OTA does."""
    gaps: dict[str, FilterGap] = {}
    for spec in filters:
        name = filter_name(spec)
        if name in FILTERS or name in gaps:
            continue
        cost, detail = NOT_RUN.get(name, UNKNOWN_COST)
        gaps[name] = FilterGap(name or repr(spec), cost, detail)
    return list(gaps.values())


def document_filter_gaps(document: Any) -> list[FilterGap]:
    """`filter_gaps` over every source of a catalogue `DocumentSpec` (or anything whose
    `sources` have `filters`), for the picker's mark."""
    return filter_gaps(spec for source in document.sources for spec in source.filters)

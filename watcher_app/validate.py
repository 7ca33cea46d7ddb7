"""Is this capture the policy at all? Never store an error page, a challenge or a shell.

Every verdict carries a specific reason the user can act on. The checks look at what a reader
of the page would see (title, first lines, amount of text), never at byte sizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from watcher_app import noise
from watcher_app.extract import Extracted
from watcher_app.extract.normalize import clean_line, line_words, text_words
from watcher_app.outcomes import Code, Outcome

MIN_WORDS = 40  # fewer words than a short paragraph: not a policy
COLLAPSE_RATIO = 0.4  # under 40 % of the last good text: suspicious until confirmed
SHORT_PAGE_WORDS = 400  # a signature counts anywhere on a page shorter than this
HEADINGS_SCANNED = 60  # headings this early in the page are read for a signature too
# A page of links and labels (a hub, a region chooser, a soft 404 with the site's menus):
# less than this share of its text is sentences, and less than this many characters. The
# shortest real policy in ../shared/realworld has about 1,600 characters of sentences (67 %).
PROSE_MIN_SHARE = 0.3
PROSE_MIN_CHARS = 600

# (reason, pattern): what a reader would recognise. Order matters: the first match names it.
SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        ("bot challenge (Cloudflare)", r"just a moment\.\.\.|attention required! \| cloudflare|"
         r"checking (?:if the site connection is secure|your browser)|cf-browser-verification|"
         r"enable javascript and cookies to continue|performance & security by cloudflare"),
        ("bot challenge (Imperva/Incapsula)", r"incapsula incident id|request unsuccessful\. "
         r"incapsula"),
        ("bot challenge (Akamai)", r"access denied.{0,80}you don't have permission to access|"
         r"reference #\d+\.[0-9a-f]+\.\d+|pardon our interruption"),
        ("captcha", r"\bcaptcha\b|verify (?:that )?you are (?:a )?human|are you a robot|"
         r"unusual traffic from your computer|press (?:and|&) hold|px-captcha|datadome"),
        ("access denied", r"^(?:403 )?(?:access denied|forbidden|request blocked)\b|"
         r"you have been blocked|your access to this (?:site|page) has been"),
        ("client-side error page", r"application error: a client-side exception has occurred|"
         r"something went wrong|an (?:unexpected )?error (?:has )?occurred|oops[!,.]"),
        ("not found (soft 404)", r"^(?:error )?404\b|page (?:was )?not found|"
         r"this page (?:could not be found|isn't available|does not exist|doesn't exist)|"
         r"we can(?:no|')t find (?:that|the|this) page|no longer available|^not found$"),
        ("server error page", r"^(?:500 )?internal server error|^50[234]\b|"
         r"service (?:temporarily )?unavailable|bad gateway|gateway time-?out"),
        ("empty app shell", r"you need to enable javascript to run this app|"
         r"(?:please )?enable javascript|javascript (?:is )?(?:required|disabled)|"
         r"this (?:site|app) requires javascript"),
        ("not available in this region", r"^[\w .'-]{0,60}\b(?:isn't|is not|not) (?:yet )?"
         r"available in your (?:country|region|location)\b"),
        ("login wall", r"(?:sign|log) ?in to (?:continue|view|see|access|read)\b|"
         r"you must be (?:logged|signed) in|(?:log|sign) ?in (?:or|and) (?:sign|create)"),
    )
)
# The code the app branches on for each kind of page above (the label is for people).
SIGNATURE_CODES: dict[str, Code] = {
    "bot challenge (Cloudflare)": Code.CHALLENGE,
    "bot challenge (Imperva/Incapsula)": Code.CHALLENGE,
    "bot challenge (Akamai)": Code.CHALLENGE,
    "captcha": Code.CAPTCHA,
    "access denied": Code.ACCESS_DENIED,
    "client-side error page": Code.CLIENT_ERROR_PAGE,
    "not found (soft 404)": Code.SOFT_404,
    "server error page": Code.SERVER_ERROR_PAGE,
    "empty app shell": Code.APP_SHELL,
    "not available in this region": Code.REGION_WALL,
    "login wall": Code.LOGIN_WALL,
}
# "Log in" alone is a link or button label that most pages carry in their header: it names a
# login wall only as the page's title, or when the content itself holds a login form.
LOGIN_LABEL = re.compile(r"^(?:sign in|log in|login)\b(?! to (?:your|the) )", re.IGNORECASE)
# Where a password field is not the page's content: chrome, and login dialogs kept hidden
# until someone clicks "Log in".
FORM_CHROME = ("nav, header, footer, dialog, [role=dialog], [role=navigation], [role=banner], "
               "[hidden], [aria-hidden=true], [style*='display:none'], [style*='display: none'], "
               "[class*=modal], [class*=Modal], [id*=modal]")
LOGIN_URL = re.compile(r"(?:^|[/.=_-])(?:login|log-in|signin|sign-in|sso|auth|account)s?"
                       r"(?:[/.?_-]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """Why a capture cannot be a version: blocked (not the policy) or error (unreadable)."""

    outcome: Outcome
    reason: str  # for people
    code: str = Code.NOT_THE_POLICY  # for the app: outcomes.Code or a fetch error code


def signature_problem(title: str, lines: list[str], *, anywhere: bool,
                      login_form: Callable[[], bool] = lambda: False) -> Problem | None:
    """The kind of non-policy page this looks like, from its title, first lines and early
    headings (or from all of a short page's lines). Early headings matter for a soft 404 that
    carries the site's menus above its "Page not found" heading. `login_form` tells (lazily)
    whether the content holds a login form, which turns a bare "Log in" line into a login
    wall."""
    early = [line for line in lines[4:HEADINGS_SCANNED] if line.startswith("#")
             and len(line.split()) <= 9]
    candidates = [title] + (lines if anywhere else lines[:4] + early)
    for position, text in enumerate(candidates):
        text = text.lstrip("#-| ").strip()
        if not text or (not anywhere and len(text) > 160):
            continue
        for label, pattern in SIGNATURES:
            if pattern.search(text):
                return Problem(Outcome.BLOCKED, f"{label}: \u201c{text[:120]}\u201d",
                               SIGNATURE_CODES[label])
        if LOGIN_LABEL.search(text) and (position == 0 or login_form()):
            return Problem(Outcome.BLOCKED, f"login wall: \u201c{text[:120]}\u201d",
                           Code.LOGIN_WALL)
    return None


def signature_of(title: str, lines: list[str], *, anywhere: bool,
                 login_form: Callable[[], bool] = lambda: False) -> str | None:
    """The reason of `signature_problem`, for callers that only show it."""
    problem = signature_problem(title, lines, anywhere=anywhere, login_form=login_form)
    return None if problem is None else problem.reason


def has_login_form(raw_html: str | None) -> bool:
    """A password field in the page's content (not in its chrome or a hidden login dialog)."""
    if not raw_html or "password" not in raw_html.lower():
        return False
    tree = LexborHTMLParser(raw_html)
    chrome = {node.mem_id for node in tree.css(FORM_CHROME)}
    for field in tree.css("input[type=password]"):
        parent, inside = field.parent, False
        while parent is not None and not inside:
            inside, parent = parent.mem_id in chrome, parent.parent
        if not inside:
            return True
    return False


def _page_lines(raw_html: str) -> list[str]:
    tree = LexborHTMLParser(raw_html)
    body = tree.body
    if body is None:
        return []
    # <noscript> stays: "enable JavaScript to run this app" is how an empty shell identifies itself
    for node in body.css("script, style, template, svg"):
        node.decompose()
    return [line for line in (clean_line(t) for t in body.text(separator="\n").split("\n"))
            if line]


def _suggestion(raw_html: str) -> str:
    """When a declared selector stops matching: does a generic container still hold text?"""
    tree = LexborHTMLParser(raw_html)
    for candidate in ("main", "article", "[role=main]", "#content", ".content"):
        node = tree.css_first(candidate)
        if node is not None and len(node.text(separator=" ").split()) >= MIN_WORDS * 5:
            return f"; `{candidate}` still holds the text: consider it as the selector"
    return ""


def validate_source(
    extracted: Extracted, raw_html: str | None, *, requested_url: str, final_url: str
) -> Problem | None:
    """Problems with one fetched source, before its text is compared with anything."""
    requested, final = urlsplit(requested_url), urlsplit(final_url)
    if final.hostname and requested.hostname and final.hostname != requested.hostname and (
        LOGIN_URL.search(final.path) or LOGIN_URL.search(final.hostname or "")
    ):
        return Problem(Outcome.BLOCKED,
                       f"redirected to a login page on another host ({final_url})",
                       Code.LOGIN_REDIRECT)
    if not extracted.selector_matched:
        page = _page_lines(raw_html) if raw_html else []
        problem = signature_problem(extracted.title, page,
                                    anywhere=len(text_words(page)) < 2000,
                                    login_form=lambda: has_login_form(raw_html))
        if problem:
            return problem
        wanted = ", ".join(extracted.unmatched) or "the declared selector"
        hint = _suggestion(raw_html) if raw_html else ""
        return Problem(Outcome.BLOCKED,
                       f"needs attention: selector no longer matches ({wanted}){hint}",
                       Code.SELECTOR_MISS)
    words = text_words(extracted.lines)
    problem = signature_problem(extracted.title, extracted.lines,
                                anywhere=len(words) < SHORT_PAGE_WORDS,
                                login_form=lambda: has_login_form(raw_html))
    if problem:
        return problem
    if not extracted.lines and raw_html is None:
        return Problem(Outcome.BLOCKED, "the PDF has no text layer (a scanned document?)",
                       Code.NO_TEXT_LAYER)
    if len(words) < MIN_WORDS:
        return Problem(Outcome.BLOCKED, f"too little text to be the policy ({len(words)} words)",
                       Code.TOO_LITTLE_TEXT)
    if raw_html is not None and (reason := not_a_document(extracted.lines)):
        return Problem(Outcome.BLOCKED, reason, Code.NOT_THE_POLICY)
    return None


def not_a_document(lines: list[str]) -> str | None:
    """A page that holds almost no sentences is not a policy, whatever its size: a hub of
    links, a region or language chooser, a soft 404 wrapped in the site's menus. (HTML only:
    a PDF's text layer is cut into short lines.)"""
    total = prose = 0
    for line in lines:
        size = len(line.lstrip("#-| "))
        total += size
        if noise.prose(line, tuple(line_words(line))) or _holds_sentences(line):
            prose += size
            if prose >= PROSE_MIN_CHARS:
                return None  # enough sentences: a long policy is not read to the end
    if total and prose < PROSE_MIN_CHARS and prose < PROSE_MIN_SHARE * total:
        return (f"not the policy: a page of links and labels with almost no sentences "
                f"({prose} of {total} characters; a hub, a region chooser or an error page?)")
    return None


# a sentence ending inside a line and the next one starting: a layout table that put a whole
# policy into one cell still reads as sentences ("… we collect. We use …")
INNER_SENTENCE = re.compile(r"[a-z\)][.!?] +[A-Z]")


def _holds_sentences(line: str) -> bool:
    """Content a policy is made of beyond single sentences: a paragraph run into one layout
    cell, or a row of a data table (a list of sub-processors is a table, not a hub of links)."""
    if line.startswith("|") and line.count("|") >= 3:
        return True
    return len(INNER_SENTENCE.findall(line)) >= 3


def collapsed(new_words: int, previous_words: int) -> bool:
    """A sudden collapse of the text is more likely a broken page than a rewrite: it must be
    confirmed by a second fetch before it is believed."""
    return previous_words > 0 and new_words < COLLAPSE_RATIO * previous_words

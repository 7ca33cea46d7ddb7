"""Generic normalisation: what two captures of the same policy must agree on.

Three layers, each stricter than the last:
- `clean_line`: the stored text. Invisible characters, odd spaces and typographic quote
  variants go; the wording stays exactly as published.
- `line_words`: the comparison key of a line: its words, case-folded, without punctuation or
  markup, with an accidentally doubled word counted once. Two texts with the same words in the
  same order say the same thing, whatever their punctuation, markup or block structure.
- `normalize_url`: link targets without per-request tokens (UUIDs, click-trackers, utm_*,
  fbclid, session ids), so a link is compared by where it really goes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

# Re-exported: extraction and every output share one definition of what a terminal obeys.
from watcher_app.controls import (  # noqa: F401
    BIDI_CONTROLS,
    CONTROLS,
    UNSAFE_FOR_TERMINAL,
    strip_controls,
)

# Zero-width and formatting characters that pages sprinkle in (U+2060 word joiner, U+200B
# zero-width space, soft hyphen, BOM, bidi marks, overrides and isolates): invisible to a
# reader, so never a change, and the bidi ones can make text read backwards.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff\u200e\u200f"
                              + BIDI_CONTROLS), None)
SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
        "\u2024": ".", "\u2027": "-",
    }
)
# A line that is only a loading indicator or the residue of a client-side render
# ("Loading…", "…", a literal `false` where a banner was not rendered).
PLACEHOLDER = re.compile(
    r"^(?:loading|chargement|cargando|wird geladen|please wait|false|true|null|undefined|nan"
    r"|\[object object\])?[\s.\u2026·•-]*$",
    re.IGNORECASE,
)
WORD = re.compile(r"\w+")
# Cloudflare replaces e-mail addresses by this placeholder for clients without JavaScript.
CF_EMAIL_PLACEHOLDER = "[email protected]"
CF_PLACEHOLDER = re.compile(r"\[\s*email\s+protected\s*\]?")


def _chars_of(table: Mapping[int, object]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in table) + "]")


# str.translate with a dict walks every character in Python-level lookups (about a third of
# extracting a 1 MB page); most lines have none of these characters, which a regex finds in C.
_HAS_INVISIBLE = _chars_of(INVISIBLE)
_HAS_TYPOGRAPHIC = _chars_of(TYPOGRAPHIC)


def clean_line(text: str) -> str:
    """The stored form of one block: NFC, no invisible characters, single spaces, straight
    quotes. Wording is untouched."""
    if _HAS_INVISIBLE.search(text):
        text = text.translate(INVISIBLE)
    text = unicodedata.normalize("NFC", text)
    if _HAS_TYPOGRAPHIC.search(text):
        text = text.translate(TYPOGRAPHIC)
    return SPACES.sub(" ", CONTROLS.sub(" ", text)).strip()


def is_placeholder(line: str) -> bool:
    body = line.lstrip("#-| ").strip()
    return bool(PLACEHOLDER.match(body))


URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s)\]>\"']+", re.IGNORECASE)
# Markup shown as text (an escaped <br> in a table cell) is residue of rendering, not wording.
MARKUP_IN_TEXT = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>")
TOKEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+")


def line_words(line: str) -> list[str]:
    """The comparison key of a line (see module docstring). A URL printed in the text is a link
    target, not wording; an e-mail address is one token; Cloudflare's e-mail placeholder is the
    token "@email" so that it can be matched against the address it hides.

    This is the one tokeniser of the comparison: the stored key (text_words), compare.py and
    validate.py all read lines through it."""
    return list(_line_key(line))


# One check reads each line's key several times (validation, the stored key, the comparison
# with the current version, the collapse test): on a 3 MB page that was most of the check's
# time. Large enough for two versions of a 50,000-paragraph page; checks run in a child
# process, so the cache lives as long as one check.
@functools.lru_cache(maxsize=1 << 17)
def _line_key(line: str) -> tuple[str, ...]:
    text = line.casefold().translate(INVISIBLE)  # stored lines are clean; raw ones may not be
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    # The substitutions are rare; testing for their trigger first keeps this hot path cheap.
    if "\\" in text:
        text = text.replace("\\", "")
    if "protected" in text:
        text = CF_PLACEHOLDER.sub(" cfemailplaceholder ", text)
    if "<" in text:
        text = MARKUP_IN_TEXT.sub(" ", text)
    if "http" in text or "www." in text:
        text = URL_IN_TEXT.sub(" ", text)
    if "_" in text:
        text = text.replace("_", " ")
    out: list[str] = []
    last = ""
    for word in (TOKEN.findall(text) if "@" in text else WORD.findall(text)):
        if "@" in word:
            word = word.strip(".")
        elif word == "cfemailplaceholder":
            word = "@email"
        if word != last or len(word) < 3:
            out.append(word)
            last = word
    return tuple(out)


def words_sha256(words: list[str]) -> str:
    """The identity of a text's comparison key (stored with each version as key_sha256)."""
    return hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()


def text_words(lines: list[str]) -> list[str]:
    words: list[str] = []
    for line in lines:
        words.extend(_line_key(line))
    return words


# --- links ----------------------------------------------------------------------------------

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# An opaque per-request token: one long run of letters and digits mixed (not a readable slug,
# whose words are separated by hyphens), or a long hex string.
LONG_TOKEN = re.compile(
    r"\b(?:(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{24,}|[0-9a-fA-F]{16,})\b"
)
TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_[ce]id|_hs(?:enc|mi)|igshid|"
    r"yclid|twclid|ttclid|li_fat_id|oly_(?:anon|enc)_id|vero_id|_ga|_gl|ref_src|ref_url|"
    r"spm|scm|trk|trkinfo|tracking_?id|entry_point|clickid|click_id|ncid|cmpid|campaign_id|"
    r"sessionid|session_id|sid|jsessionid|phpsessid|aspsessionid|token|nonce|cache|cb|_|"
    r"__cf_chl_\w+|cf_chl_\w+|x-amz-\w+|fclid|ntb|ptn|ver|hsh|psq)$",
    re.IGNORECASE,
)


def _decode_bing_click(query: dict[str, str]) -> str | None:
    """bing.com/ck/a?...&u=a1<base64url of the target>: recover the real target."""
    encoded = query.get("u", "")
    if not encoded.startswith("a1"):
        return None
    payload = encoded[2:]
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def normalize_url(href: str, base: str = "") -> str:
    """The stable identity of a link target (see module docstring)."""
    href = clean_line(href)
    if not href or href.startswith(("javascript:", "data:")):
        return ""
    if href.startswith("mailto:"):
        # decoded once, with "%" re-escaped, so that normalising twice changes nothing
        address = unquote(href[7:].split("?")[0]).strip().lower()
        return "mailto:" + address.replace("%", "%25")
    url = urljoin(base, href) if base else href
    parts = urlsplit(url)
    host = re.sub(r"^(?:www\.)+", "", parts.hostname or "")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    # Redirectors and click-trackers: the link really goes to the target they wrap.
    if host.endswith("bing.com") and parts.path.startswith("/ck/"):
        target = _decode_bing_click(query)
        return normalize_url(target) if target else "https://www.bing.com/ck/a"
    redirector = host.startswith(("l.", "lm.", "out.")) or parts.path in (
        "/url", "/redirect", "/l.php"
    )
    for key in ("url", "u", "q", "target", "redirect", "dest"):
        # a key may repeat (q=&q=https://…): the first value that is a URL, whatever the order,
        # so that normalising the result again finds the same target
        wrapped = next((v for k, v in pairs if k == key
                        and v.startswith(("http://", "https://"))), "")
        if redirector and wrapped:
            return normalize_url(wrapped)
    kept = [(k, v) for k, v in pairs if not TRACKING_PARAMS.match(k)]
    path = UUID.sub("{id}", parts.path)
    path = LONG_TOKEN.sub("{token}", path)
    kept = [(k, "{id}" if UUID.fullmatch(v) or LONG_TOKEN.fullmatch(v) else v) for k, v in kept]
    # An in-page anchor is navigation, not a destination.
    netloc = re.sub(r"^(?:www\.)+", "", parts.netloc.lower())
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    # (a space before a trailing slash would end the result, and a second pass strips it)
    path = path.rstrip("/").rstrip() or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(kept)), ""))

"""Small OTA versions datasets written for the tests (fictional policies, OTA's layout).

The history of "Example Service / Privacy Policy" has one of each kind of archived version:
the first, a link-only difference, a real change, a punctuation fix, a truncated capture, a
real change, an error page. Its verdicts are EXPECTED.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

SERVICE = "Example Service"
PRIVACY, TERMS = "Privacy Policy", "Terms of Service"

_SECTIONS = [
    ("Information we collect", [
        "We collect the information you give us when you create an account, such as your name, "
        "your e-mail address and the language you prefer to use the service in.",
        "We also collect information about how you use the service: the pages you visit, the "
        "features you use and the times at which you use them.",
    ]),
    ("How we use information", [
        "We use the information to provide the service, to keep it secure and to improve it. "
        "We do not sell your personal information to anyone.",
        "We use aggregated statistics to understand which features are popular and which ones "
        "need work, and we share those statistics only in aggregate form.",
    ]),
    ("How long we keep information", [
        "We keep your account information for as long as your account is open. We keep usage "
        "logs for {retention} and then delete them.",
        "When you close your account we delete your information within sixty days, except "
        "where the law requires us to keep it longer.",
    ]),
    ("Your choices", [
        "You can see, correct and download your information from the settings page at any "
        "time, and you can ask us to delete it by writing to [our privacy team]({link}).",
        "You can object to our use of your information for statistics in the settings page.",
    ]),
    ("Contact", [
        "Write to the privacy team of Example Service, 1 Example Street, Exampleton, if you "
        "have any question about this policy or about how we handle your information.",
    ]),
]


def policy(*, retention: str = "thirty days", link: str = "https://example.com/contact?s=1",
           punctuation: str = ".", ai_clause: bool = False, cut: int | None = None) -> str:
    lines = ["Privacy Policy", "==============", "", "Effective January 1, 2024", ""]
    paragraphs = 0
    for heading, texts in _SECTIONS:
        lines += [heading, "-" * len(heading), ""]
        for text in texts:
            if cut is not None and paragraphs >= cut:
                return "\n".join(lines)
            lines += [text.format(retention=retention, link=link).rstrip(".") + punctuation, ""]
            paragraphs += 1
        if ai_clause and heading == "How we use information":
            lines += ["We use the content you create to train our artificial intelligence "
                      "models, unless you opt out in the settings page.", ""]
    return "\n".join(lines)


# (fetch date in OTA's file name, Markdown, the app's verdict: kind or "blocked")
PRIVACY_HISTORY: list[tuple[str, str, str]] = [
    ("2024-01-01T00-00-00Z", policy(), "first"),
    ("2024-02-01T06-00-00Z", policy(link="https://example.com/contact?s=2"), "noise"),
    ("2024-03-01T06-00-00Z", policy(retention="ninety days", link="https://example.com/c?s=2"),
     "change"),
    ("2024-03-15T06-00-00Z", policy(retention="ninety days", link="https://example.com/c?s=2",
                                    punctuation=";"), "noise"),
    ("2024-04-01T06-00-00Z", policy(retention="ninety days", cut=5), "blocked"),
    ("2024-05-01T06-00-00Z", policy(retention="ninety days", ai_clause=True,
                                    link="https://example.com/c?s=2"), "change"),
    ("2024-05-20T06-00-00Z", "Page not found\n\nSorry, this page isn't available.", "blocked"),
]
EXPECTED = [kind for _, _, kind in PRIVACY_HISTORY if kind != "blocked"]
TERMS_HISTORY = [
    ("2024-01-01T00-00-00Z", policy().replace("Privacy Policy", "Terms of Service"), "first"),
    ("2024-06-01T00-00-00Z", policy(retention="one year").replace("Privacy Policy",
                                                                   "Terms of Service"), "change"),
]


def dataset_zip(histories: dict[tuple[str, str], list[tuple[str, str, str]]] | None = None,
                basename: str = "example-versions") -> bytes:
    histories = histories or {(SERVICE, PRIVACY): PRIVACY_HISTORY, (SERVICE, TERMS): TERMS_HISTORY}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{basename}/README.md", "# A test dataset\n")
        for (service, terms_type), versions in histories.items():
            for stamp, markdown, _ in versions:
                zf.writestr(f"{basename}/{service}/{terms_type}/{stamp}.md", markdown)
        zf.writestr(f"{basename}/LICENSE", "ODC-BY 1.0\n")
    return buffer.getvalue()


def declaration(tmp_path: Path, url: str, *, name: str = SERVICE,
                stem: str = "example-service") -> Path:
    """A watched platform whose two documents are read from `url` (+ /privacy, /terms)."""
    path = tmp_path / f"{stem}.json"
    path.write_text(json.dumps({"name": name, "documents": {
        PRIVACY: {"fetch": f"{url}/privacy", "select": "main"},
        TERMS: {"fetch": f"{url}/terms", "select": "main"}}}))
    return path

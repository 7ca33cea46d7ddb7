"""Every bundled catalogue document still reads its policy on today's pages.

`../shared/catalog-snapshots` holds Open Terms Archive's latest capture of the catalogue's pages
and OTA's text for each. Each capture is served on 127.0.0.1, the bundled declaration is imported
with every `fetch` pointed there (selectors, removals and filters unchanged), a real check runs
(in-process Monitor, real SQLite), and the stored text is compared word by word with OTA's.

A document passes when it is not blocked and its words are at least 0.9 similar to OTA's
(difflib's ratio over the word sequences, see `_compare`; OTA's Markdown list numbers left
out), unless it is
in EXCEPTIONS below (also stated in resources/catalog/README.md), which says why OTA's text
cannot be the yardstick and what is checked instead. Skipped when ../shared is absent.
Run with `-s` to print the figures.
"""

from __future__ import annotations

import csv
import difflib
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import LoopbackServer
from tests.paths import CATALOG_DIR, CATALOG_SNAPSHOTS
from watcher_app.catalog import bundled_catalog
from watcher_app.extract.normalize import text_words
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.render import RENDER_ENV
from watcher_app.store.models import Document, Version
from watcher_app.watchlist import add_custom

INDEX = CATALOG_SNAPSHOTS / "index.tsv"
pytestmark = pytest.mark.skipif(not INDEX.is_file(), reason="../shared/catalog-snapshots absent")

MIN_SIMILARITY = 0.9
EXACT_BELOW = 0.95
OTA_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[*+-])\s+")

# A declared URL whose page was captured under the URL it replaced (the old one serves it).
CAPTURED_AS = {
    "https://help.openai.com/en/articles/20001152-what-to-know-about-the-sora-discontinuation":
        "https://openai.com/policies/creating-images-and-videos-in-line-with-our-policies/",
}


@dataclass(frozen=True)
class Exception_:
    kind: str  # older | combined | not-policy | no-text | region-wall | unchecked
    floor: float  # what is checked instead (see `_verdict`)
    reason: str


OLDER = "OTA's text is an older version: OTA last recorded it {}, the page now says {}"
EXCEPTIONS: dict[tuple[str, str], Exception_] = {
    ("xai-grok", "Terms of Service"): Exception_(
        "older", 0.8, OLDER.format("2026-05-18", "effective June 26, 2026")),
    ("xai-grok", "Acceptable Use Policy"): Exception_(
        "older", 0.45, OLDER.format("2026-05-18 (January 2, 2025 text)", "August 14, 2026")),
    ("xai-grok", "Commercial Terms"): Exception_(
        "older", 0.3, OLDER.format("2026-05-18 (May 12, 2026 text)", "August 14, 2026")),
    ("xai-grok", "Trackers Policy"): Exception_(
        "older", 0.8, OLDER.format("2026-05-18 (April 4 text)", "effective August 12, 2026")),
    ("xai-grok", "Privacy Policy"): Exception_(
        "no-text", 3000, "OTA's text is kept apart as evaluation data: checked for words only"),
    ("cursor", "Terms of Service"): Exception_(
        "older", 0.7, OLDER.format("2025-09-18 (June 2025 text)", "last updated August 13, 2026")),
    ("google", "Privacy Policy"): Exception_(
        "combined", 0.98, "OTA's text (Google Generative AI Services) adds the Gemini Apps "
        "Privacy Hub to Google's Privacy Policy: the catalogue's Google text must be inside it"),
    ("microsoft-copilot", "Privacy Policy"): Exception_(
        "not-policy", 20000, "OTA's text is 10 words (its old selectors match a heading only); "
        "the declaration (genai-eu) reads the whole Microsoft Privacy Statement"),
    ("microsoft-copilot", "Terms of Service"): Exception_(
        "unchecked", 0, "the captured bing.com URL now redirects to a Microsoft 365 product "
        "page; the declaration (genai-eu) reads the terms' new URL, which OTA has not captured"),
    ("llama", "Terms of Service"): Exception_(
        "region-wall", 0, "the capture is Meta's \"Model API isn't available in your country "
        "yet\" page, not the policy: blocked with that reason is right"),
    ("llama", "Acceptable Use Policy"): Exception_(
        "region-wall", 0, "as above (region wall)"),
    ("llama", "Privacy Policy"): Exception_(
        "region-wall", 0, "as above (region wall)"),
    ("meta-ai", "Terms of Service"): Exception_(
        "no-text", 1500, "OTA's text is kept apart as evaluation data: checked for words only"),
}


@dataclass
class Outcome:
    platform: str
    document: str
    status: str
    reason: str
    words: int
    ota_words: int
    similarity: float
    inside_ota: float  # share of the app's words found, in order, in OTA's text
    blocked_before: bool


def _rows() -> list[dict[str, str]]:
    with INDEX.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _ota_words(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return text_words([OTA_LIST_MARKER.sub("", line) for line in lines])


def _compare(app: list[str], ota: list[str]) -> tuple[float, float]:
    """(similarity, share of the app's words found in order in OTA's). difflib's junk heuristic
    (frequent words are not used as anchors) finds a little less than the exact alignment and
    is many times faster on 20,000-word policies; under EXACT_BELOW the exact one is used."""
    if not app or not ota:
        return 0.0, 0.0
    matcher = difflib.SequenceMatcher(None, app, ota, autojunk=True)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    if 2 * matched / (len(app) + len(ota)) < EXACT_BELOW:
        matcher = difflib.SequenceMatcher(None, app, ota, autojunk=False)
        matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matched / (len(app) + len(ota)), matched / len(app)


def _plan() -> dict[tuple[str, str], list[dict[str, str]] | None]:
    """Each bundled document that OTA captured: its sources' index rows, in declaration order
    (None when one of its sources has no capture)."""
    rows = {(r["platform"], r["document_type"], r["source_url"]): r for r in _rows()}
    groups = {(platform, doc_type) for platform, doc_type, _ in rows}
    plan: dict[tuple[str, str], list[dict[str, str]] | None] = {}
    for spec in bundled_catalog().values():
        for doc in spec.documents.values():
            if (spec.id, doc.type) not in groups:
                continue
            found = [rows.get((spec.id, doc.type, CAPTURED_AS.get(s.url, s.url)))
                     for s in doc.sources]
            plan[(spec.id, doc.type)] = (
                [r for r in found if r is not None] if all(found) else None)
    return plan


def _declaration(platform: str, server: LoopbackServer,
                 rows: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    spec = bundled_catalog()[platform]
    declaration = spec.to_declaration()
    terms: dict[str, Any] = {}
    for doc_type, captured in rows.items():
        doc = declaration["terms"][doc_type]
        sources = doc.get("combine", [doc])
        for source, row in zip(sources, captured, strict=True):
            path = "/" + row["snapshot_file"]
            is_pdf = path.endswith(".pdf")
            server.route(path, (CATALOG_SNAPSHOTS / row["snapshot_file"]).read_bytes(),
                         content_type="application/pdf" if is_pdf else "text/html; charset=utf-8")
            source["fetch"] = server.url(path)
        terms[doc_type] = doc
    return {"name": spec.name, "terms": terms}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    from watcher_app.store.db import open_database

    plan = _plan()
    by_platform: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(dict)
    for (platform, doc_type), rows in plan.items():
        if rows is not None:
            by_platform[platform][doc_type] = rows
    out: dict[tuple[str, str], Outcome] = {}
    with pytest.MonkeyPatch.context() as patch, LoopbackServer() as server:
        patch.setenv(RENDER_ENV, "0")  # the captures are what OTA's browser saw: no Chromium
        fetcher = Fetcher(retries=0, timeout_s=10, sleep=lambda s: None)
        for platform, docs in sorted(by_platform.items()):
            db = open_database(tmp_path_factory.mktemp(platform))
            try:
                # its own id: a bundled id is reserved for the bundled declaration
                add_custom(db, f"{platform}-snapshot", _declaration(platform, server, docs))
                monitor = Monitor(db, fetcher, confirm_delay_s=0, analyze=False)
                for doc in Document.select():
                    result = monitor.check(doc)
                    rows = docs[doc.type]
                    text = (Version.get_by_id(result.version_id).text
                            if result.version_id is not None else "")
                    app = text_words(text.splitlines())
                    ota_file = rows[0]["ota_text_file"]
                    ota = _ota_words(CATALOG_SNAPSHOTS / ota_file) if ota_file else []
                    similarity, inside = _compare(app, ota)
                    out[(platform, doc.type)] = Outcome(
                        platform, doc.type, result.status, result.reason, len(app), len(ota),
                        similarity, inside,
                        any(row["checked_status"] != "first" for row in rows))
            finally:
                db.close()
        fetcher.close()
    return out


def _verdict(outcome: Outcome, exception: Exception_ | None) -> str | None:
    """None when the document passes, else what is wrong."""
    where = f"{outcome.platform} / {outcome.document}"
    kind = exception.kind if exception else "policy"
    if kind == "region-wall":
        ok = outcome.status == "blocked" and "not available in this region" in outcome.reason
        return None if ok else f"{where}: expected a region wall, got {outcome.status}"
    if outcome.status != "first":
        return f"{where}: {outcome.status}: {outcome.reason}"
    if kind == "policy" and outcome.similarity < MIN_SIMILARITY:
        return f"{where}: similarity {outcome.similarity:.3f} < {MIN_SIMILARITY}"
    assert exception is not None or kind == "policy"
    if kind == "older" and outcome.similarity < exception.floor:  # type: ignore[union-attr]
        return f"{where}: similarity {outcome.similarity:.3f} fell under its floor"
    if kind == "combined" and outcome.inside_ota < exception.floor:  # type: ignore[union-attr]
        return f"{where}: only {outcome.inside_ota:.3f} of its words are in OTA's text"
    if kind in ("not-policy", "no-text") and outcome.words < exception.floor:  # type: ignore[union-attr]
        return f"{where}: {outcome.words} words"
    return None


def test_every_captured_document_is_checked_or_excepted() -> None:
    plan = _plan()
    unchecked = sorted(key for key, rows in plan.items() if rows is None)
    excepted = sorted(key for key, e in EXCEPTIONS.items() if e.kind == "unchecked")
    assert unchecked == excepted
    assert set(EXCEPTIONS) <= set(plan), "an exception for a document that has no capture"


def test_every_document_reads_its_policy(outcomes: dict[tuple[str, str], Outcome]) -> None:
    problems = [v for key, outcome in sorted(outcomes.items())
                if (v := _verdict(outcome, EXCEPTIONS.get(key)))]
    assert not problems, "\n".join(problems)


def test_exceptions_are_stated_in_the_catalogue_readme() -> None:
    readme = (CATALOG_DIR / "README.md").read_text(encoding="utf-8")
    for platform, doc_type in EXCEPTIONS:
        assert f"| `{platform}` | {doc_type} |" in readme, (platform, doc_type)


def test_print_figures(outcomes: dict[tuple[str, str], Outcome]) -> None:
    policy = [o.similarity for key, o in outcomes.items() if key not in EXCEPTIONS]
    every = [o.similarity for o in outcomes.values() if o.ota_words]
    print(f"\ncatalogue snapshots: {len(outcomes)} documents checked, "
          f"{sum(o.blocked_before for o in outcomes.values())} blocked at main@9a300d9, "
          f"{sum(o.status == 'blocked' for o in outcomes.values())} blocked now "
          f"({sum(o.status not in ('first', 'blocked') for o in outcomes.values())} other)")
    print(f"similarity, documents held to 0.9 ({len(policy)}): min {min(policy):.3f}, "
          f"median {statistics.median(policy):.3f}; all with OTA text ({len(every)}): "
          f"min {min(every):.3f}, median {statistics.median(every):.3f}")
    for key, o in sorted(outcomes.items()):
        mark = EXCEPTIONS[key].kind if key in EXCEPTIONS else ""
        print(f"  {o.platform:18} {o.document:32} {o.status:8} {o.words:6} {o.ota_words:6} "
              f"{o.similarity:.3f} {o.inside_ota:.3f} {mark}")
    assert policy and min(policy) >= MIN_SIMILARITY

"""The labelled windows: the backfilled verdicts against ../shared/realworld/versions-truth.tsv.

The 16 histories of OTA's fixture dataset are imported (the same documents that the labelled
8-version windows were cut from, recorded by other OTA collections). A window row (previous
version → version, labelled `changed` or `unchanged`) lies inside a fixture history when both
of its Markdown files are in it, byte for byte; the backfill's verdicts on the fixture's versions
between the two (the fixture may hold more captures than the window) must agree with the label:
some `change` for `changed`, only `noise` for `unchanged`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from tests.paths import OTA, REALWORLD
from watcher_app.store.models import Document, Version

DATASET = OTA / "fixture-versions-dataset.zip"
TRUTH = REALWORLD / "versions-truth.tsv"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (DATASET.exists() and TRUTH.exists()),
                                 reason="../shared fixtures absent")]
PLATFORMS = {"Claude.ai": "anthropic", "DeepSeek": "deepseek", "Grok": "xai-grok",
             "LinkedIn": "linkedin", "Microsoft Copilot": "microsoft-copilot",
             "Mistral AI": "mistral", "Reddit": "reddit", "Spotify": "spotify",
             "TikTok": "tiktok", "WhatsApp": "whatsapp"}
# Windows where the fixture holds a capture the window does not, and the verdict on it differs
# from the window's label (see the closing note of issue 10): the OTA record of TikTok's terms
# of 2026-07-21 carries the page's CSS as text (a change for compare.py today), then a flap back.
KNOWN_DISAGREEMENTS = {("TikTok", "Terms of Service", "2026-07-24T113703Z")}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], dict]]:
    from watcher_app.backfill.run import backfill
    from watcher_app.store.db import open_database
    from watcher_app.watchlist import watch

    db: peewee.Database = open_database(tmp_path_factory.mktemp("windows"))
    watch(db, list(PLATFORMS.values()))
    counts = {}
    for service, platform in PLATFORMS.items():
        for report in backfill(db, platform, dataset=str(DATASET), service=service):
            counts[(service, report.document)] = report.to_json()
    yield counts
    db.close()


def test_every_fixture_history_is_imported(imported: dict[tuple[str, str], dict]) -> None:
    import zipfile

    names = [n.split("/") for n in zipfile.ZipFile(DATASET).namelist()]
    expected: dict[tuple[str, str], int] = {}
    for parts in names:
        if len(parts) == 4:
            expected[(parts[1], parts[2])] = expected.get((parts[1], parts[2]), 0) + 1
    assert len(imported) == len(expected) == 16
    print()
    for key, report in sorted(imported.items()):
        assert report["imported"] + report["blocked"] == expected[key]
        assert report["imported"] == report["changes"] + report["noise"] + 1  # + the first
        print(f"{key[0]:18s} {key[1]:17s} {expected[key]:4d} versions: {report['changes']:3d} "
              f"changes, {report['noise']:4d} noise, {report['blocked']} blocked")


def _when(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp.replace("-", "")[:15], "%Y%m%dT%H%M%S")


def test_labelled_windows_agree(imported: dict[tuple[str, str], dict]) -> None:
    rows = list(csv.DictReader(TRUTH.read_text(encoding="utf-8").splitlines(), delimiter="\t"))
    by_path = {r["local_path"]: r for r in rows}
    histories: dict[tuple[str, str], list[Version]] = {}
    agree, disagree, outside = 0, [], 0
    for row in rows:
        key = (row["service"], row["document_type"])
        if key not in imported or row["expected"] not in ("changed", "unchanged") \
                or not row["previous_path"]:
            continue
        if key not in histories:
            doc = Document.get((Document.platform == PLATFORMS[key[0]])
                               & (Document.type == key[1]))
            histories[key] = list(Version.select(Version.first_seen, Version.kind,
                                                 Version.provenance)
                                  .where(Version.document == doc)
                                  .order_by(Version.first_seen, Version.id))
        history = histories[key]
        before = _locate(history, by_path[row["previous_path"]])
        after = _locate(history, row)
        if before is None or after is None or after <= before:
            outside += 1
            continue
        verdicts = {v.kind for v in history[before + 1:after + 1]}
        got = "changed" if "change" in verdicts else "unchanged"
        if got == row["expected"]:
            agree += 1
        else:
            disagree.append((row["service"], row["document_type"], row["timestamp"]))
    print(f"\nlabelled windows inside the fixture: {agree} of {agree + len(disagree)} agree "
          f"({outside} windows lie outside its histories); disagreements: {disagree}")
    assert agree >= 25
    assert set(disagree) <= KNOWN_DISAGREEMENTS


def _locate(history: list[Version], row: dict[str, str]) -> int | None:
    """The fixture version with the same Markdown bytes, nearest in time to the row's."""
    digest = hashlib.sha256((REALWORLD / row["local_path"]).read_bytes()).hexdigest()
    when = _when(row["timestamp"])
    hits = [i for i, v in enumerate(history)
            if (v.provenance or {}).get("markdown_sha256") == digest]
    return min(hits, key=lambda i: abs((history[i].first_seen - when).total_seconds()),
               default=None)


def test_markdown_is_read_as_the_replay_serves_it() -> None:
    """The rendered page is the replay's own bytes; the block-by-block reading gives the very
    lines and links of extracting that whole page (every fixture version)."""
    import importlib.util
    import zipfile

    from tests.paths import REPLAY_TOOL
    from watcher_app.backfill.markdown import Reader, extract_page, page_html
    from watcher_app.extract.normalize import text_words, words_sha256

    if not REPLAY_TOOL.exists():
        pytest.skip("../shared/tools/replay.py absent")
    spec = importlib.util.spec_from_file_location("replay", REPLAY_TOOL)
    assert spec is not None and spec.loader is not None
    replay = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay)
    reader = Reader()
    with zipfile.ZipFile(DATASET) as zf:
        for name in sorted(zf.namelist()):
            if name.count("/") != 3:
                continue
            md = zf.read(name).decode("utf-8")
            assert page_html(md) == replay.markdown_page(md), name
            whole, read = extract_page(md), reader.read(md)
            assert (read.lines, read.links) == (whole.lines, whole.links), name
            assert read.key_sha256 == words_sha256(text_words(whole.lines))


def test_versions_of_a_document_stay_apart(imported: dict[tuple[str, str], dict]) -> None:
    """No version was imported twice (one row per archive path)."""
    paths = [v.provenance["path"] for v in Version.select(Version.provenance)]
    assert len(paths) == len(set(paths)) == sum(r["imported"] for r in imported.values())


def test_fixture_is_not_in_the_repository() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert not list(repo.glob("**/fixture-versions-dataset*"))

"""Import one document's archived history: every version through the app's own judgement.

Versions are judged in time order, each against the version just before it (imported earlier,
or a live capture): validation (is it the policy at all?), comparison (compare.compare: same,
noise, a flap back to a recent text, a truncated capture, or a real change) and, for a real
change, the monitor's own analysis. They are recorded in batches through the recorder, so an
interrupted import keeps what it recorded and the next run imports only what is missing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from watcher_app.backfill.dataset import Dataset, OtaVersion
from watcher_app.backfill.markdown import Read, Reader
from watcher_app.backfill.source import Cancelled, DatasetError
from watcher_app.compare import compare
from watcher_app.extract.normalize import text_words
from watcher_app.outcomes import Code, Origin, VersionKind
from watcher_app.recorder import SKIPPED_KEY, ImportedVersion, Recorder, sha256
from watcher_app.store.models import Document, Setting, Version
from watcher_app.validate import (
    SHORT_PAGE_WORDS,
    collapsed,
    signature_problem,
    validate_source,
)

FLAP_HISTORY = 6  # as the monitor: how many earlier versions a flap may return to
FLAP_WINDOW = dt.timedelta(days=30)  # ... if they were still the text this recently
BATCH = 40  # versions per transaction
BATCH_S = 1.0  # ... or this long since the last one


@dataclass
class Progress:
    """What the backfill is doing, for a progress bar: `done` of `total` versions judged."""

    document: str
    done: int
    total: int
    imported: int = 0
    transferred: int = 0  # bytes downloaded (or read) so far
    phase: str = "importing"  # "directory" | "importing" | "done"

    def text(self) -> str:
        if self.phase == "directory":
            return "Reading the dataset's table of contents\u2026"
        size = f"{self.transferred / 1e6:.1f} MB" if self.transferred >= 1e5 else \
            f"{self.transferred / 1e3:.0f} kB"
        return (f"{self.document}: {self.done} of {self.total} archived versions judged, "
                f"{self.imported} imported ({size} downloaded)")


@dataclass
class DocumentReport:
    document: str
    service: str
    imported: int = 0
    changes: int = 0
    noise: int = 0
    blocked: int = 0
    first_at: dt.datetime | None = None  # the archived history as stored after the run
    last_at: dt.datetime | None = None
    already: int = 0  # versions an earlier run imported (or judged not the policy)
    cancelled: bool = False
    live_note: str | None = None  # the app's own capture against the archive's latest record

    def to_json(self) -> dict[str, Any]:
        return {"document": self.document, "imported": self.imported, "changes": self.changes,
                "noise": self.noise, "blocked": self.blocked, "first_at": _iso(self.first_at),
                "last_at": _iso(self.last_at)}


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Node:
    """A version on the document's timeline: stored, or judged and waiting for its batch."""

    first_seen: dt.datetime
    key_sha256: str
    version: Version | None = None  # once stored
    complete: bool = False  # `version` was read with its text (a change needs it)
    batch_index: int | None = None  # while waiting in the current batch
    text: str | None = None
    end: dt.datetime | None = None  # when the next version replaced it

    def lines(self) -> list[str]:
        if self.text is None:
            assert self.version is not None
            if not self.complete:
                self.version, self.complete = Version.get_by_id(self.version.id), True
            self.text = self.version.text
        return self.text.split("\n")


@dataclass
class _Run:
    doc: Document
    dataset: Dataset
    recorder: Recorder
    report: DocumentReport
    provenance: dict[str, Any]
    analyze: Callable[[str, str], dict[str, Any] | None]
    nodes: list[_Node] = field(default_factory=list)
    batch: list[ImportedVersion] = field(default_factory=list)
    batch_nodes: list[_Node] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    flushed_at: float = field(default_factory=time.perf_counter)


def imported_state(doc: Document) -> tuple[set[str], dict[str, str]]:
    """Archive paths already imported for the document, and those judged not the policy."""
    paths = {str((v.provenance or {}).get("path")) for v in Version.select(Version.provenance)
             .where((Version.document == doc) & (Version.origin == Origin.OPEN_TERMS_ARCHIVE))}
    row = Setting.get_or_none(Setting.key == SKIPPED_KEY.format(document=doc.id))
    skipped = row.value if row is not None and isinstance(row.value, dict) else {}
    return paths, skipped


def import_document(run: _Run, versions: list[OtaVersion],
                    progress: Callable[[Progress], None], cancelled: Callable[[], bool]) -> None:
    doc, report = run.doc, run.report
    paths, skipped = imported_state(doc)
    todo = [v for v in versions if v.path not in paths and v.path not in skipped]
    report.already = len(versions) - len(todo)
    stored = (Version.select(Version.id, Version.first_seen, Version.key_sha256,
                             Version.last_verified)
              .where(Version.document == doc).order_by(Version.first_seen, Version.id))
    run.nodes = [_Node(v.first_seen, v.key_sha256, version=v) for v in stored]
    _link_ends(run.nodes)
    source = run.dataset.source
    done = 0
    reads = _reads(run.dataset, todo)
    try:
        for (ota, read, digest), following in _with_next(reads):
            if cancelled():
                raise Cancelled()
            _judge(run, ota, read, digest, following)
            done += 1
            if len(run.batch) >= BATCH or time.perf_counter() - run.flushed_at > BATCH_S:
                _flush(run)
            progress(Progress(doc.type, done, len(todo), report.imported, source.transferred))
        _flush(run)
    except Cancelled:
        _flush(run)  # what was judged is kept: the next run goes on from there
        report.cancelled = True
    except DatasetError:
        _flush(run)  # a broken download or entry: what came before it stays
        raise
    progress(Progress(doc.type, done, len(todo), report.imported, source.transferred, "done"))


def _reads(dataset: Dataset, todo: list[OtaVersion]) -> Iterator[tuple[OtaVersion, Read, str]]:
    """The versions read (with the SHA-256 of their Markdown), in time order (entries arrive
    in file order, which is usually the same)."""
    by_entry = {v.entry.offset: v for v in todo}
    order = sorted(todo, key=lambda v: (v.fetched_at, v.path))
    waiting: dict[str, tuple[OtaVersion, bytes]] = {}
    reader = Reader()
    position = 0
    for entry, data in dataset.index.read_entries(v.entry for v in todo):
        ota = by_entry[entry.offset]
        waiting[ota.path] = (ota, data)
        while position < len(order) and order[position].path in waiting:
            ready, raw = waiting.pop(order[position].path)
            position += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(f"{ready.path} is not UTF-8 text: a corrupt dataset") from exc
            yield ready, reader.read(text), sha256(raw)


def _with_next(reads: Iterator[tuple[OtaVersion, Read, str]]
               ) -> Iterator[tuple[tuple[OtaVersion, Read, str], Read | None]]:
    """Each version with the next one read (a collapse is believed when the next keeps it)."""
    previous: tuple[OtaVersion, Read, str] | None = None
    for item in reads:
        if previous is not None:
            yield previous, item[1]
        previous = item
    if previous is not None:
        yield previous, None


def _link_ends(nodes: list[_Node]) -> None:
    for node, after in zip(nodes, nodes[1:], strict=False):
        node.end = after.first_seen


def _judge(run: _Run, ota: OtaVersion, read: Read, digest: str, following: Read | None
           ) -> None:
    report = run.report
    at = ota.fetched_at
    position = bisect.bisect_left([n.first_seen for n in run.nodes], at)
    previous = run.nodes[position - 1] if position else None
    if read.words < SHORT_PAGE_WORDS:  # the whole of validate_source: cheap for short texts
        problem = validate_source(read.extracted(), "", requested_url=_URL, final_url=_URL)
    else:  # what validate_source checks of a long text whose selector matched (its word
        # count, computed again there, is known here)
        problem = signature_problem(read.extracted().title, read.lines, anywhere=False)
    kind, code, reason = VersionKind.CHANGE, str(Code.CONFIRMED_CHANGE), ""
    analysis = None
    text = "\n".join(read.lines)
    if problem is not None:
        return _skip(run, ota, str(problem.code))
    if previous is None:
        kind, code, reason = VersionKind.FIRST, str(Code.FIRST_VERSION), "first version"
    elif read.key_sha256 == previous.key_sha256:
        same = text == "\n".join(previous.lines())
        kind, code = VersionKind.NOISE, str(Code.SAME_TEXT if same else Code.LAYOUT_ONLY)
        reason = ("the same text (the archive recorded a difference the app does not read: "
                  "link targets or markup)" if same else "only punctuation or layout changed")
    elif (target := _flap_target(run.nodes[:position - 1], read.key_sha256, at)) is not None:
        kind, code = VersionKind.NOISE, str(Code.FLAP)
        reason = f"flap: the text is back to the version of {target.first_seen:%Y-%m-%d %H:%M}"
    else:
        old_lines = previous.lines()
        verdict = compare(old_lines, read.lines)
        if verdict.kind == "truncated":
            return _skip(run, ota, str(Code.TRUNCATED))
        if verdict.kind in ("noise", "same"):
            kind, code, reason = VersionKind.NOISE, str(Code.NOISE), verdict.reason
        else:
            old_words = len(text_words(old_lines))
            if collapsed(read.words, old_words) and (
                    following is None or not collapsed(following.words, old_words)):
                # the monitor believes a collapse only when a second fetch shows it; here the
                # archive's next record must keep it (the last record has none: not believed)
                return _skip(run, ota, str(Code.COLLAPSED))
            reason = verdict.reason
            analysis = run.analyze("\n".join(old_lines), text)
    provenance = {**run.provenance, "path": ota.path, "fetched_at": _iso(at),
                  "markdown_sha256": digest, "verdict": {"code": code, "reason": reason}}
    node = _Node(at, read.key_sha256, text=text)
    run.nodes.insert(position, node)
    _link_ends(run.nodes[max(0, position - 1):position + 2])
    item = ImportedVersion(text, read.key_sha256, read.links, kind, at, provenance,
                           _ref(previous), analysis)
    node.batch_index = len(run.batch)
    run.batch.append(item)
    run.batch_nodes.append(node)
    report.imported += 1
    if kind is VersionKind.CHANGE:
        report.changes += 1
    elif kind is VersionKind.NOISE:
        report.noise += 1


_URL = "https://opentermsarchive.org/"  # validation compares hosts: one and the same


def _ref(node: _Node | None) -> Version | int | None:
    if node is None:
        return None
    if node.version is not None:
        if not node.complete:  # read without its text: the change needs it
            node.version, node.complete = Version.get_by_id(node.version.id), True
        return node.version
    return node.batch_index


def _flap_target(earlier: list[_Node], key: str, at: dt.datetime) -> _Node | None:
    """A recent earlier text (before the previous one) with exactly these words."""
    for node in reversed(earlier[-FLAP_HISTORY:]):
        if node.key_sha256 == key and (node.end or at) >= at - FLAP_WINDOW:
            return node
    return None


def _skip(run: _Run, ota: OtaVersion, code: str) -> None:
    run.skipped[ota.path] = code
    run.report.blocked += 1


def _flush(run: _Run) -> None:
    if run.batch or run.skipped:
        stored = run.recorder.import_versions(run.doc, run.batch, run.skipped)
        for node, version in zip(run.batch_nodes, stored, strict=True):
            if version is not None:
                node.version, node.complete = version, True
            node.batch_index = None
        run.batch, run.batch_nodes, run.skipped = [], [], {}
    run.flushed_at = time.perf_counter()

"""One OTA declarations archive (a GitHub branch ZIP) → validated services.

Layout read (anything else in the archive is ignored, and nothing is ever extracted to disk):

    <repo>-<branch>/declarations/<Service id>.json          current declaration
    <repo>-<branch>/declarations/<Service id>.history.json  older ones, each with validUntil
    <repo>-<branch>/declarations/<Service id>.filters.js    site filters (JavaScript, not run)
    <repo>-<branch>/LICENSE, README.md, metadata.yml

Every member goes through `watcher_app.catalog`'s validation and caps. A bad declaration (or
document, or history entry) is skipped with its reason; the rest load. A ZIP that is not
readable as a whole (truncated, corrupt, a bomb) is refused: `ArchiveError`.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from watcher_app.catalog import (
    LIMITS,
    CatalogError,
    DocumentSpec,
    PlatformSpec,
    parse_declaration_partial,
    parse_document,
    parse_json_bytes,
)
from watcher_app.ota.ids import slug

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024  # LICENSE/README; declarations have LIMITS.file_bytes
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # the whole archive, uncompressed (a ZIP bomb stops here)
COLLECTION_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_MEMBER = re.compile(r"^[^/]+/declarations/([^/]+?)(\.history\.json|\.filters\.js|\.json)$")


class ArchiveError(ValueError):
    """The archive as a whole cannot be used; one line for the user."""


@dataclass(frozen=True)
class Skip:
    file: str  # path inside the archive
    reason: str


@dataclass(frozen=True)
class HistoryEntry:
    document: DocumentSpec
    valid_until: dt.datetime


@dataclass(frozen=True)
class OtaService:
    service_id: str  # OTA's id, the file stem: "Claude.ai", "Booking.com"
    collection: str  # "genai-eu"
    spec: PlatformSpec  # validated documents; spec.id is slug(service_id)
    history: dict[str, tuple[HistoryEntry, ...]] = field(default_factory=dict)  # oldest first
    filters_file: bool = False  # a .filters.js exists (its functions are not run here)


@dataclass(frozen=True)
class Licence:
    spdx: str  # "EUPL-1.2", "AGPL-3.0", or "unknown"
    attribution: str


@dataclass
class ArchiveContents:
    collection: str
    repository: str  # "OpenTermsArchive/genai-eu-declarations"
    commit: str | None  # from the ZIP comment (git archive writes it), when present
    archive_date: dt.datetime | None  # the members' time stamp: the commit's date on GitHub
    licence: Licence
    services: dict[str, OtaService]
    skipped: list[Skip]  # whole declarations, documents and history entries left out
    retired: list[str]  # services tracked no more: empty terms, or a history file only


def _text(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    with zf.open(info) as handle:  # read at most cap + 1: a lying size header cannot flood us
        return handle.read(cap + 1)


def _check_archive(zf: zipfile.ZipFile, verify: bool) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{len(infos):,} files in the archive, over the {MAX_MEMBERS:,} cap")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES or any(i.file_size > MAX_MEMBER_BYTES for i in infos):
        raise ArchiveError("the archive unpacks to more than the size caps "
                           f"({MAX_TOTAL_BYTES // 2**20} MB in all, "
                           f"{MAX_MEMBER_BYTES // 2**20} MB per file)")
    if any(i.flag_bits & 0x1 for i in infos):
        raise ArchiveError("the archive is encrypted")
    bad = zf.testzip() if verify else None  # reads every member: CRC errors, cut-off data
    if bad is not None:
        raise ArchiveError(f"the archive is corrupt (bad data in {bad})")
    return infos


def _licence(text: str, readme: str, collection: str, repository: str) -> Licence:
    """Which licence covers the declarations: the LICENSE file, else the README's words."""
    head, words = text[:2000].upper(), readme.upper()
    known = (("EUPL-1.2", "EUROPEAN UNION PUBLIC LICENCE", "1.2"),
             ("AGPL-3.0", "GNU AFFERO GENERAL PUBLIC LICENSE", "VERSION 3"))
    spdx = next((sid for sid, title, version in known if title in head and version in head),
                None)  # the LICENSE file decides; the README's words only without one
    spdx = spdx or next((sid for sid, title, _v in known if title[:-2] in words), "unknown")
    terms = f"under {spdx}" if spdx != "unknown" else "under the licence in its LICENSE file"
    return Licence(spdx, f"Declarations from Open Terms Archive's {collection} collection "
                         f"({repository}), by its contributors, {terms}.")


def _metadata_value(metadata: str, key: str) -> str | None:
    match = re.search(rf"^{key}:\s*(\S+)\s*$", metadata, re.MULTILINE)
    return match.group(1).strip("'\"") if match else None


def _parse_date(value: object, where: str) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise CatalogError(f"{where}: 'validUntil' must be an ISO date")
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CatalogError(f"{where}: 'validUntil' is not an ISO date: {value[:40]!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _history(data: object, sid: str, collection: str
             ) -> tuple[dict[str, tuple[HistoryEntry, ...]], list[str]]:
    """{doc type: [entry + validUntil, ...]}; bad entries are left out with their reason."""
    if not isinstance(data, dict):
        return {}, [f"{sid}: a history file is a JSON object"]
    out: dict[str, tuple[HistoryEntry, ...]] = {}
    reasons: list[str] = []
    for doc_type, entries in list(data.items())[: LIMITS.documents]:
        where = f"{sid} / {doc_type} (history)"
        if not isinstance(entries, list):
            reasons.append(f"{where}: a list of older declarations is expected")
            continue
        kept = []
        for entry in entries[: LIMITS.sources]:
            try:
                if not isinstance(entry, dict):
                    raise CatalogError(f"{where}: each older declaration is a JSON object")
                # OTA writes validUntil; one real file writes ValidUntil: accept both
                key = next((k for k in entry if k.lower() == "validuntil"), "validUntil")
                until = _parse_date(entry.get(key), where)
                body = {k: v for k, v in entry.items() if k != key}
                kept.append(HistoryEntry(parse_document(doc_type, body, where,
                                                        require_https=True), until))
            except CatalogError as exc:
                reasons.append(str(exc))
        if kept:
            out[str(doc_type)] = tuple(sorted(kept, key=lambda h: h.valid_until))
    return out, reasons


def read_archive(path: Path, *, source: str = "", verify: bool = True) -> ArchiveContents:
    """Validate and read one declarations archive; raises ArchiveError when unusable.
    `verify`: check every member's CRC first (a new download); off for an archive that was
    verified when stored (a damaged member is then skipped with its reason)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"not a ZIP archive (truncated or corrupt: {exc})") from None
    with zf:
        try:
            infos = _check_archive(zf, verify)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                zlib.error) as exc:
            if isinstance(exc, ArchiveError):
                raise
            raise ArchiveError(f"the archive is corrupt ({exc})") from None
        tops = {i.filename.split("/", 1)[0] for i in infos if "/" in i.filename}
        if len(tops) != 1:
            raise ArchiveError("not a declarations archive (expected one top folder)")
        top = tops.pop()
        members = {i.filename: i for i in infos}

        def small(name: str) -> str:
            info = members.get(f"{top}/{name}")
            try:
                raw = _text(zf, info, MAX_MEMBER_BYTES) if info else b""
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
                raw = b""  # only informative files: the declarations decide
            return raw.decode("utf-8", "replace")

        metadata = small("metadata.yml")
        collection = (_metadata_value(metadata, "id")
                      or re.sub(r"-declarations(-[^-]+)?$", "", top)).lower()
        if not COLLECTION_PATTERN.match(collection):
            raise ArchiveError(f"unusable collection name {collection[:40]!r}")
        repository = _repository(source, _metadata_value(metadata, "declarations"), top)
        licence = _licence(small("LICENSE"), small("README.md"), collection, repository)
        declarations: dict[str, zipfile.ZipInfo] = {}
        histories: dict[str, zipfile.ZipInfo] = {}
        filters: set[str] = set()
        for info in infos:
            match = _MEMBER.match(info.filename)
            if not match or not info.filename.startswith(f"{top}/"):
                continue
            sid, kind = match.groups()
            if kind == ".json":
                declarations[sid] = info
            elif kind == ".history.json":
                histories[sid] = info
            else:
                filters.add(sid)
        if not declarations:
            raise ArchiveError("no declarations/*.json in the archive")
        services, skipped = {}, []
        for sid, info in sorted(declarations.items()):
            service, reasons = _service(zf, sid, info, histories.get(sid), sid in filters,
                                        collection)
            skipped += [Skip(info.filename, r) for r in dict.fromkeys(reasons)]
            if service is not None:
                services[sid] = service
        comment = zf.comment.decode("ascii", "replace").strip()
        commit = comment if re.fullmatch(r"[0-9a-f]{40}", comment) else None
        stamps = [i.date_time for i in infos if i.date_time[0] >= 1980]
        date = dt.datetime(*max(stamps), tzinfo=dt.UTC) if stamps else None
    # OTA retires a service by emptying its terms (the selectors move to its history)
    retired = sorted(set(histories) - set(declarations)
                     | {sid for sid, s in services.items() if not s.spec.documents})
    return ArchiveContents(collection, repository, commit, date, licence, services, skipped,
                           retired)


def _service(zf: zipfile.ZipFile, sid: str, info: zipfile.ZipInfo,
             history: zipfile.ZipInfo | None, has_filters: bool, collection: str
             ) -> tuple[OtaService | None, list[str]]:
    if not sid.strip() or len(sid) > LIMITS.name_chars or not sid.isprintable():
        return None, [f"unusable service id {sid[:60]!r}"]
    ident = slug(sid)
    try:
        data = parse_json_bytes(_text(zf, info, LIMITS.file_bytes), f"{sid}.json")
        spec, reasons = parse_declaration_partial(data, ident, require_https=True, label=sid)
    except CatalogError as exc:
        return None, [str(exc)]
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        return None, [f"{sid}: unreadable in the archive ({exc})"]
    past: dict[str, tuple[HistoryEntry, ...]] = {}
    if history is not None:
        try:
            raw = parse_json_bytes(_text(zf, history, LIMITS.file_bytes), f"{sid}.history.json")
            past, more = _history(raw, sid, collection)
            reasons += more
        except CatalogError as exc:
            reasons.append(str(exc))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            reasons.append(f"{sid}: history unreadable in the archive ({exc})")
    return OtaService(sid, collection, spec, past, has_filters), reasons


def _repository(source: str, declared: str | None, top: str) -> str:
    """owner/name of the repository: from the GitHub URL it came from, else metadata.yml."""
    for text in (source, declared or ""):
        match = re.match(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?:/|$)", text)
        if match:
            return match.group(1)
    return top

"""`catalog --update`, the app's "Update catalogue" and its weekly check: one function each.

Each source (an archive URL or a local ZIP) is handled on its own: one failing never stops
the others, and never touches what is stored for it. A new archive is verified as a whole and
read declaration by declaration before it replaces the stored one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from watcher_app.ota.archive import MAX_ARCHIVE_BYTES, DownloadError, download, make_client
from watcher_app.ota.reader import ArchiveContents, ArchiveError, Skip, read_archive
from watcher_app.ota.store import (
    CollectionRecord,
    install,
    now_iso,
    ota_dir,
    records,
    sha256_file,
    temp_path,
    write_record,
)

if TYPE_CHECKING:
    from watcher_app.settings import Settings

UPDATE_EVERY = dt.timedelta(days=7)
RETRY_AFTER = dt.timedelta(hours=6)  # after a failed weekly update (offline laptop, outage)


@dataclass
class UpdateResult:
    source: str
    status: str  # "updated" | "unchanged" | "failed"
    detail: str = ""
    collection: str | None = None
    services: int = 0
    retired: int = 0
    skipped: list[Skip] = field(default_factory=list)
    downloaded_bytes: int = 0
    elapsed_s: float = 0.0
    licence: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "status": self.status, "detail": self.detail,
                "collection": self.collection, "services": self.services,
                "retired": self.retired, "licence": self.licence,
                "downloaded_bytes": self.downloaded_bytes,
                "elapsed_s": round(self.elapsed_s, 3),
                "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped]}

    def line(self) -> str:
        """One line for the terminal or the app's message."""
        name = self.collection or self.source
        if self.status == "failed":
            return f"{name}: failed, the stored catalogue is kept ({self.detail})"
        size = f", {self.downloaded_bytes / 1024:.0f} KB" if self.downloaded_bytes else ""
        return (f"{name}: {self.status} ({self.services} services, {len(self.skipped)} "
                f"skipped{size}, {self.elapsed_s:.1f} s)")


def is_url(source: str) -> bool:
    return source.lower().startswith(("https://", "http://"))


def update_catalog(data_dir: Path, sources: Sequence[str], *,
                   progress: Callable[[str], None] | None = None) -> list[UpdateResult]:
    """Update the synced catalogue from each source; never raises for one source's failure."""
    folder = ota_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # like the data folder: 0700
    results = []
    with make_client() as client:
        for source in sources:
            results.append(_update_source(folder, source, client, progress))
    return results


def _update_source(folder: Path, source: str, client: httpx.Client,
                   progress: Callable[[str], None] | None) -> UpdateResult:
    if not is_url(source):  # a local file: recorded by its full path
        source = str(Path(source).expanduser().resolve())
    if progress is not None:
        progress(f"Reading {source}\u2026")
    started = time.monotonic()
    try:
        result = _update_one(folder, source, client)
    except (DownloadError, ArchiveError, OSError) as exc:
        detail = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        result = UpdateResult(source, "failed", detail)
    result.elapsed_s = time.monotonic() - started
    return result


def _previous(folder: Path, source: str) -> CollectionRecord | None:
    """The record of what this source installed, if its ZIP is still the one recorded."""
    for record in records(folder).values():
        stored = folder / f"{record.collection}.zip"
        if record.source == source and stored.is_file():
            with contextlib.suppress(OSError):
                if sha256_file(stored) == record.sha256:
                    return record
    return None


def _update_one(folder: Path, source: str, client: httpx.Client) -> UpdateResult:
    previous = _previous(folder, source)
    tmp = temp_path(folder, ".zip")
    try:
        if is_url(source):
            got = download(source, tmp, etag=previous.etag if previous else None,
                           last_modified=previous.last_modified if previous else None,
                           client=client)
            if got.not_modified and previous is not None:
                return _unchanged(folder, previous, source, "304 Not Modified")
            etag, modified, size = got.etag, got.last_modified, got.bytes
        else:
            path = Path(source).expanduser()
            if not path.is_file():
                raise ArchiveError(f"no such file: {source}")
            if path.stat().st_size > MAX_ARCHIVE_BYTES:
                raise ArchiveError(f"{source} is over the {MAX_ARCHIVE_BYTES:,}-byte cap")
            shutil.copyfile(path, tmp)
            etag, modified, size = None, None, 0
        digest = sha256_file(tmp)
        if previous is not None and previous.sha256 == digest:
            return _unchanged(folder, previous, source, "same archive", size)
        contents = read_archive(tmp, source=source)
        record = _record(contents, source, digest, tmp.stat().st_size, etag, modified)
        install(folder, tmp, record)
        return UpdateResult(source, "updated", f"{contents.repository} ({record.licence})",
                            contents.collection, record.services, len(contents.retired),
                            contents.skipped, size, licence=record.licence)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()  # gone already when installed


def _unchanged(folder: Path, previous: CollectionRecord, source: str, why: str,
               size: int = 0) -> UpdateResult:
    previous.checked_at = now_iso()
    write_record(folder, previous)
    skipped = [Skip(s.get("file", ""), s.get("reason", "")) for s in previous.skipped]
    return UpdateResult(source, "unchanged", why, previous.collection, previous.services,
                        len(previous.retired), skipped, size, licence=previous.licence)


def _record(contents: ArchiveContents, source: str, digest: str, size: int,
            etag: str | None, modified: str | None) -> CollectionRecord:
    stamp = now_iso()
    return CollectionRecord(
        collection=contents.collection, repository=contents.repository, source=source,
        sha256=digest, bytes=size, etag=etag, last_modified=modified, commit=contents.commit,
        archive_date=contents.archive_date.isoformat() if contents.archive_date else None,
        fetched_at=stamp, checked_at=stamp, licence=contents.licence.spdx,
        attribution=contents.licence.attribution,
        services=sum(1 for s in contents.services.values() if s.spec.documents),
        retired=contents.retired,
        skipped=[{"file": s.file, "reason": s.reason} for s in contents.skipped])


# --- the weekly background check -------------------------------------------------------------

def update_due(settings: Settings, now: dt.datetime) -> bool:
    """Whether the weekly update should run at `now` (aware): on, with sources, and a week
    since the last full success, but not within RETRY_AFTER of the last attempt."""
    if not settings.ota_weekly_update or not settings.ota_sources:
        return False
    attempt = _when(settings.ota_last_attempt_at)
    success = _when(settings.ota_last_success_at)
    if attempt is not None and now - attempt < RETRY_AFTER:
        return False
    return success is None or now - success >= UPDATE_EVERY


def note_update(settings: Settings, results: Sequence[UpdateResult], now: dt.datetime) -> None:
    """Record a run in the settings object (the caller saves it): every run is an attempt; a
    run where no source failed is a success."""
    stamp = now.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    settings.ota_last_attempt_at = stamp
    if results and all(r.ok for r in results):
        settings.ota_last_success_at = stamp


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)

"""The ZIP reader: central directory, entries, ZIP64, corrupt files; what it transfers."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from tests.backfill.rangefile import RangeFile
from tests.loopback import LoopbackServer
from watcher_app.backfill import zipindex
from watcher_app.backfill.source import DatasetError, FileSource, HttpSource, open_source
from watcher_app.backfill.zipindex import ZipIndex


def make_zip(entries: dict[str, bytes], *, comment: bytes = b"",
             method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        zf.comment = comment
    return buffer.getvalue()


ENTRIES = {f"set/Service/Terms of Service/2024-0{i}-01T00-00-00Z.md":
           (f"# Terms {i}\n\n" + "Words of the policy. " * (50 + i)).encode() for i in range(1, 8)}


def cd_region(data: bytes) -> int:
    """Bytes from the central directory's start to the end of the file (EOCD included)."""
    at = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[at + 16:at + 20])
    return len(data) - cd_offset


def test_reads_every_entry_like_zipfile(tmp_path: Path) -> None:
    for method in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        path = tmp_path / f"d{method}.zip"
        path.write_bytes(make_zip(ENTRIES, method=method))
        with FileSource(path) as source:
            index = ZipIndex(source)
            assert [e.name for e in index.entries] == list(ENTRIES)
            got = {e.name: data for e, data in index.read_entries(index.entries)}
        assert got == ENTRIES


def test_long_comment_and_zip64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a comment longer than the first probe: the EOCD is found by a second, longer look
    long = tmp_path / "comment.zip"
    long.write_bytes(make_zip(ENTRIES, comment=b"PK\x05\x06 not the end " * 1000))
    with FileSource(long) as source:
        assert len(ZipIndex(source).entries) == len(ENTRIES)
    # ZIP64 records (end of central directory, locator, sizes and offsets in extra fields),
    # made by lowering zipfile's limits so that a small file needs them
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 10)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    data = make_zip(ENTRIES)
    monkeypatch.undo()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    path = tmp_path / "zip64.zip"
    path.write_bytes(data)
    with FileSource(path) as source:
        index = ZipIndex(source)
        assert {e.name: d for e, d in index.read_entries(index.entries)} == ENTRIES


@pytest.mark.parametrize("damage", ["truncated", "garbage", "crc", "directory", "empty"])
def test_corrupt_zip_is_one_clear_error(tmp_path: Path, damage: str) -> None:
    data = bytearray(make_zip(ENTRIES))
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = bytearray(b"<html>not a zip</html>" * 50)
    elif damage == "crc":
        first = data.index(b"PK\x03\x04")
        nlen, elen = struct.unpack("<HH", data[first + 26:first + 30])
        data[first + 30 + nlen + elen + 5] ^= 0xFF  # inside the first entry's data
    elif damage == "directory":
        at = data.index(b"PK\x01\x02")
        data[at:at + 4] = b"XXXX"
    else:
        data = bytearray()
    path = tmp_path / "bad.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError) as err, FileSource(path) as source:
        index = ZipIndex(source)
        list(index.read_entries(index.entries))
    message = str(err.value)
    assert "\n" not in message and ("ZIP" in message or "zip" in message)


def test_http_reads_only_the_directory_and_the_entries_asked(server: LoopbackServer) -> None:
    data = make_zip(ENTRIES)
    served = RangeFile(data)
    server.handler("/d.zip", served)
    with HttpSource(server.url("/d.zip")) as source:
        index = ZipIndex(source)
        # a small file: the first probe holds it whole
        assert served.sent == min(len(data), zipindex.PROBE)
        served.reset_counts()
        wanted = [index.entries[2], index.entries[3], index.entries[5]]
        got = {e.name: d for e, d in index.read_entries(wanted)}
    assert got == {e.name: ENTRIES[e.name] for e in wanted}
    assert served.sent == sum(e.end - e.offset for e in wanted)
    assert len(served.ranges) == 2  # entries 2 and 3 are adjacent: one request


def test_http_directory_larger_than_the_probe(server: LoopbackServer) -> None:
    many = {f"set/S/T/2024-01-01T00-00-{i:02d}Z.md" + "x" * 200: b"text" for i in range(60)}
    data = make_zip(many)
    assert cd_region(data) > zipindex.PROBE
    served = RangeFile(data)
    server.handler("/big.zip", served)
    with HttpSource(server.url("/big.zip")) as source:
        ZipIndex(source)
    assert served.sent == cd_region(data)  # the directory and its end record, nothing more


def test_dropped_connection_resumes_where_it_stopped(server: LoopbackServer) -> None:
    data = make_zip(ENTRIES)
    served = RangeFile(data)
    server.handler("/d.zip", served)
    with HttpSource(server.url("/d.zip"), sleep=lambda s: None) as source:
        index = ZipIndex(source)
        served.reset_counts()
        drops = iter([300, 200])  # the first two answers break after a few hundred bytes
        served.drop = lambda start, length: next(drops, None)
        got = {e.name: d for e, d in index.read_entries(index.entries)}
    assert got == ENTRIES
    entries_bytes = index.cd_offset - index.entries[0].offset
    assert served.sent == entries_bytes  # nothing was sent twice
    starts = [start for start, _ in served.ranges]
    assert starts[1] == starts[0] + 300 and starts[2] == starts[1] + 200


def test_a_connection_that_keeps_dropping_is_an_error(server: LoopbackServer) -> None:
    data = make_zip(ENTRIES)
    served = RangeFile(data)
    server.handler("/d.zip", served)
    with HttpSource(server.url("/d.zip"), sleep=lambda s: None) as source:
        index = ZipIndex(source)
        served.drop = lambda start, length: 10
        with pytest.raises(DatasetError, match="dropped"):
            list(index.read_entries(index.entries))


def test_a_server_that_ignores_ranges_is_refused(server: LoopbackServer) -> None:
    data = make_zip({f"n{i}": b"x" * 5000 for i in range(10)}, method=zipfile.ZIP_STORED)
    served = RangeFile(data, honour_ranges=False)
    server.handler("/d.zip", served)
    with HttpSource(server.url("/d.zip")) as source, \
            pytest.raises(DatasetError, match="ignores Range"):
        ZipIndex(source)


def test_missing_file_and_url(tmp_path: Path, server: LoopbackServer) -> None:
    with pytest.raises(DatasetError, match="no dataset file"):
        open_source(str(tmp_path / "nope.zip"))
    source = open_source(server.url("/missing.zip"))
    with pytest.raises(DatasetError, match="404"):
        ZipIndex(source)
    source.close()

"""A ZIP file read through byte ranges: the central directory first, then only chosen entries.

Layout (APPNOTE 6.3): entries (local header + compressed data [+ data descriptor]) one after
another, then the central directory (one record per entry: name, sizes, CRC, where its local
header is), then the End of Central Directory record (EOCD, 22 bytes + a comment of up to 64 KiB),
preceded by a ZIP64 EOCD record and locator when counts or offsets outgrow 16/32 bits.

What is transferred: a probe of the file's tail (which holds the EOCD and usually the end of the
central directory), the rest of the central directory, and for each wanted entry the bytes from
its local header to the next entry's (an entry is exactly those bytes). Adjacent wanted entries
are read in one request. Entries are stored or deflated (zlib, raw deflate) and checked against
their CRC-32.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from watcher_app.backfill.source import DatasetError, RangeSource

PROBE = 8 * 1024  # the first look at the tail: the EOCD without a comment needs 22 bytes
EOCD_MAX = 22 + 0xFFFF  # the EOCD with the longest possible comment
ZIP64_LOCATOR = 20
MAX_ENTRY = 64 * 1024 * 1024  # a single policy version is never this large: a bomb or corruption
BATCH_BYTES = 4 * 1024 * 1024  # one range request holds at most this (progress, cancellation)

EOCD_SIG = b"PK\x05\x06"
ZIP64_EOCD_SIG = b"PK\x06\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
CENTRAL_SIG = b"PK\x01\x02"
LOCAL_SIG = b"PK\x03\x04"
STORED, DEFLATED = 0, 8


@dataclass(frozen=True)
class Entry:
    name: str
    offset: int  # of its local header
    compressed_size: int
    size: int
    crc: int
    method: int
    flags: int
    end: int = 0  # where the next entry (or the central directory) starts


class ZipIndex:
    """The central directory of a ZIP behind a RangeSource."""

    def __init__(self, source: RangeSource) -> None:
        self.source = source
        self._tail = b""
        self._tail_start = 0
        self.cd_offset, self.cd_size, count = self._locate_directory()
        self.entries = self._read_directory(count)

    # --- end of central directory -----------------------------------------------------------

    def _locate_directory(self) -> tuple[int, int, int]:
        tail = self.source.tail(PROBE)
        size = self.source.size
        if size < 22:
            raise DatasetError(f"{self.source.name} is not a ZIP file ({size} bytes)")
        self._tail, self._tail_start = tail, size - len(tail)
        at = self._find_eocd()
        if at < 0 and len(tail) < min(size, EOCD_MAX + ZIP64_LOCATOR):
            # a long archive comment: look further back, once, up to the longest possible
            more = min(size, EOCD_MAX + ZIP64_LOCATOR) - len(tail)
            self._tail = self.source.read(self._tail_start - more, more) + tail
            self._tail_start -= more
            at = self._find_eocd()
        if at < 0:
            raise DatasetError(f"{self.source.name} is not a ZIP file, or a corrupt one (no end "
                               "of central directory record)")
        eocd = self._tail[at - self._tail_start:at - self._tail_start + 22]
        (_sig, disk, cd_disk, _here, count, cd_size, cd_offset,
         _clen) = struct.unpack("<4sHHHHIIH", eocd)
        if disk != 0 or cd_disk != 0:
            raise DatasetError(f"{self.source.name}: a multi-part ZIP is not supported")
        cd_end = at
        if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            count, cd_size, cd_offset, cd_end = self._zip64(at)
        if cd_offset + cd_size > cd_end or cd_size < 46 * count:
            raise DatasetError(f"{self.source.name}: corrupt ZIP (its central directory does "
                               "not fit in the file)")
        return cd_offset, cd_size, count

    def _find_eocd(self) -> int:
        """The absolute offset of the EOCD whose comment reaches exactly to the end, or -1."""
        data = self._tail
        pos = len(data)
        while True:
            pos = data.rfind(EOCD_SIG, 0, pos)
            if pos < 0 or len(data) - pos < 22:
                if pos < 0:
                    return -1
                continue
            (comment_len,) = struct.unpack("<H", data[pos + 20:pos + 22])
            if pos + 22 + comment_len == len(data):
                return self._tail_start + pos
            # a signature inside the comment or in compressed data: keep looking

    def _zip64(self, eocd_at: int) -> tuple[int, int, int, int]:
        locator = self._bytes(eocd_at - ZIP64_LOCATOR, ZIP64_LOCATOR)
        sig, _disk, record_at, _disks = struct.unpack("<4sIQI", locator)
        if sig != ZIP64_LOCATOR_SIG:
            raise DatasetError(f"{self.source.name}: corrupt ZIP64 (no locator before the end "
                               "record)")
        record = self._bytes(record_at, 56)
        (sig, _rsize, _made, _need, _d, _cd_disk, _here, count, cd_size,
         cd_offset) = struct.unpack("<4sQHHIIQQQQ", record)
        if sig != ZIP64_EOCD_SIG:
            raise DatasetError(f"{self.source.name}: corrupt ZIP64 end of central directory")
        return count, cd_size, cd_offset, record_at

    def _bytes(self, offset: int, length: int) -> bytes:
        """Bytes of the file, from the tail already read where possible (never twice)."""
        if offset < 0 or offset + length > self.source.size:
            raise DatasetError(f"{self.source.name}: corrupt ZIP (a record points outside the "
                               "file)")
        if offset >= self._tail_start:
            start = offset - self._tail_start
            return self._tail[start:start + length]
        if offset + length <= self._tail_start:
            return self.source.read(offset, length)
        head = self.source.read(offset, self._tail_start - offset)
        return head + self._tail[:offset + length - self._tail_start]

    # --- central directory -------------------------------------------------------------------

    def _read_directory(self, count: int) -> list[Entry]:
        data = self._bytes(self.cd_offset, self.cd_size)
        entries: list[Entry] = []
        pos = 0
        for _ in range(count):
            if data[pos:pos + 4] != CENTRAL_SIG:
                raise DatasetError(f"{self.source.name}: corrupt ZIP (bad central directory "
                                   f"record {len(entries) + 1})")
            (flags, method, crc, csize, usize, nlen, elen, clen,
             offset) = _central(data, pos)
            name_raw = data[pos + 46:pos + 46 + nlen]
            extra = data[pos + 46 + nlen:pos + 46 + nlen + elen]
            name = name_raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
            usize, csize, offset = _zip64_extra(extra, usize, csize, offset)
            entries.append(Entry(name, offset, csize, usize, crc, method, flags))
            pos += 46 + nlen + elen + clen
        # an entry ends where the next one starts (the last one where the directory starts)
        ordered = sorted(entries, key=lambda e: e.offset)
        ends = {e.offset: nxt.offset for e, nxt in zip(ordered, ordered[1:], strict=False)}
        out = []
        for e in entries:
            end = min(ends.get(e.offset, self.cd_offset),
                      e.offset + 30 + 0xFFFF * 2 + e.compressed_size + 24)
            if end < e.offset + 30 + e.compressed_size:
                raise DatasetError(f"{self.source.name}: corrupt ZIP (entry {e.name!r} overlaps "
                                   "the next one)")
            out.append(Entry(e.name, e.offset, e.compressed_size, e.size, e.crc, e.method,
                             e.flags, end))
        return out

    # --- entries ----------------------------------------------------------------------------

    def read_entries(self, wanted: Iterable[Entry]) -> Iterator[tuple[Entry, bytes]]:
        """The decompressed bytes of each wanted entry, in file order; adjacent entries come
        in one request of at most BATCH_BYTES."""
        for run in _runs(sorted(wanted, key=lambda e: e.offset)):
            start = run[0].offset
            data = self.source.read(start, run[-1].end - start)
            for entry in run:
                yield entry, self._decode(entry, data[entry.offset - start:entry.end - start])

    def _decode(self, entry: Entry, raw: bytes) -> bytes:
        where = f"{self.source.name}: {entry.name}"
        if raw[:4] != LOCAL_SIG or len(raw) < 30:
            raise DatasetError(f"{where}: corrupt ZIP entry (no local header where the central "
                               "directory says)")
        if entry.flags & 0x1:
            raise DatasetError(f"{where}: encrypted entries are not supported")
        nlen, elen = struct.unpack("<HH", raw[26:30])
        begin = 30 + nlen + elen
        body = raw[begin:begin + entry.compressed_size]
        if len(body) != entry.compressed_size:
            raise DatasetError(f"{where}: corrupt ZIP entry (its data is cut short)")
        if entry.size > MAX_ENTRY:
            raise DatasetError(f"{where}: an entry of {entry.size:,} bytes is not a policy text")
        if entry.method == STORED:
            out = body
        elif entry.method == DEFLATED:
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(body, MAX_ENTRY + 1) + inflater.flush()
            except zlib.error as exc:
                raise DatasetError(f"{where}: corrupt ZIP entry ({exc})") from exc
        else:
            raise DatasetError(f"{where}: compression method {entry.method} is not supported "
                               "(stored and deflate are)")
        if len(out) != entry.size or zlib.crc32(out) != entry.crc:
            raise DatasetError(f"{where}: corrupt ZIP entry (CRC or size does not match)")
        return out


def _central(data: bytes, pos: int) -> tuple[int, ...]:
    (_sig, _made, _need, flags, method, _time, _date, crc, csize, usize, nlen, elen, clen,
     _disk, _iattr, _eattr, offset) = struct.unpack("<4sHHHHHHIIIHHHHHII", data[pos:pos + 46])
    return flags, method, crc, csize, usize, nlen, elen, clen, offset


def _zip64_extra(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset that did not fit in 32 bits are in the ZIP64 extra field (id 1), in
    this order, each present only when its 32-bit field is 0xFFFFFFFF."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[pos:pos + 4])
        if kind == 0x0001:
            field = extra[pos + 4:pos + 4 + length]
            values = [v for (v,) in struct.iter_unpack("<Q", field[:len(field) // 8 * 8])]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        pos += 4 + length
    return usize, csize, offset


def _runs(entries: list[Entry]) -> Iterator[list[Entry]]:
    """Entries that follow each other in the file, grouped into requests of bounded size."""
    run: list[Entry] = []
    for entry in entries:
        if run and (entry.offset != run[-1].end or entry.end - run[0].offset > BATCH_BYTES):
            yield run
            run = []
        run.append(entry)
    if run:
        yield run

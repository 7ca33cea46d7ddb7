"""Backfill from OTA's fixture versions dataset served over loopback with Range requests, run
through the command line as users (and the scorer) run it: bytes transferred, a dropped
connection, a connection that keeps dropping, a corrupt ZIP, the same backfill twice."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from tests.backfill.rangefile import RangeFile
from tests.loopback import LoopbackServer
from tests.paths import OTA

DATASET = OTA / "fixture-versions-dataset.zip"
pytestmark = pytest.mark.skipif(not DATASET.exists(), reason="../shared/opentermsarchive absent")


def gw(home: Path, *args: str, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def data() -> bytes:
    return DATASET.read_bytes()


@pytest.fixture
def served(server: LoopbackServer, data: bytes) -> Iterator[tuple[RangeFile, str]]:
    file = RangeFile(data)
    server.handler("/releases/download/2026-08-23/fixture-versions-dataset.zip", file)
    yield file, server.url("/releases/download/2026-08-23/fixture-versions-dataset.zip")


def directory_bytes(data: bytes) -> int:
    """The central directory and its end record (the fixture has no comment)."""
    (cd_offset,) = struct.unpack("<I", data[-6:-2])
    return len(data) - cd_offset


def entry_bytes(data: bytes, folder: str) -> int:
    """Local headers + data of the entries under `folder`, measured with zipfile."""
    infos = sorted(zipfile.ZipFile(DATASET).infolist(), key=lambda i: i.header_offset)
    (cd_offset,) = struct.unpack("<I", data[-6:-2])
    ends = [i.header_offset for i in infos[1:]] + [cd_offset]
    return sum(end - info.header_offset for info, end in zip(infos, ends, strict=True)
               if f"/{folder}/" in info.filename)


def backfill(home: Path, url: str, platform: str, service: str, *extra: str
             ) -> subprocess.CompletedProcess[str]:
    return gw(home, "backfill", platform, "--dataset", url, "--service", service, "--json",
              *extra)


def test_bytes_transferred_are_the_directory_and_the_entries_imported(
        tmp_path: Path, served: tuple[RangeFile, str], data: bytes) -> None:
    file, url = served
    assert gw(tmp_path, "watch", "deepseek").returncode == 0
    out = backfill(tmp_path, url, "deepseek", "DeepSeek", "--document", "Privacy Policy")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report[0]["imported"] + report[0]["blocked"] == 12
    expected = directory_bytes(data) + entry_bytes(data, "DeepSeek/Privacy Policy")
    assert file.sent == expected
    print(f"\nbytes: directory {directory_bytes(data):,} + entries "
          f"{expected - directory_bytes(data):,} = {file.sent:,} of a {len(data):,}-byte file")
    # the same backfill twice: nothing imported twice, only the directory travels
    file.reset_counts()
    again = backfill(tmp_path, url, "deepseek", "DeepSeek", "--document", "Privacy Policy")
    assert json.loads(again.stdout)[0]["imported"] == 0
    assert file.sent == directory_bytes(data)
    versions = json.loads(gw(tmp_path, "history", "deepseek", "--document", "Privacy Policy",
                             "--versions", "--json").stdout)
    assert len(versions) == report[0]["imported"]
    assert [v["captured_at"] for v in versions] == sorted(v["captured_at"] for v in versions)
    assert versions[0]["kind"] == "first" and versions[0]["origin"] == "open-terms-archive"
    assert {v["kind"] for v in versions[1:]} <= {"change", "noise"}
    assert set(versions[0]) == {"version", "captured_at", "origin", "kind", "severity",
                                "categories", "summary", "sha256", "change", "severity_reason",
                                "user_severity", "user_categories", "user_note", "corrected_at"}


def test_a_dropped_connection_is_resumed(tmp_path: Path, served: tuple[RangeFile, str],
                                         data: bytes) -> None:
    file, url = served
    gw(tmp_path, "watch", "tiktok")
    drops = iter([None, 250_000])  # the directory arrives whole; the entries break once
    file.drop = lambda start, length: next(drops, None)
    out = backfill(tmp_path, url, "tiktok", "TikTok", "--document", "Terms of Service")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)[0]
    assert report["imported"] + report["blocked"] == 28
    assert file.sent == directory_bytes(data) + entry_bytes(data, "TikTok/Terms of Service")


def test_a_connection_that_keeps_dropping_keeps_what_arrived_and_resumes_later(
        db: peewee.Database, served: tuple[RangeFile, str], data: bytes,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from watcher_app.backfill import zipindex
    from watcher_app.backfill.run import BackfillError
    from watcher_app.backfill.run import backfill as run_backfill
    from watcher_app.reports import version_history
    from watcher_app.watchlist import watch

    file, url = served
    watch(db, ["microsoft-copilot"])
    # the entries come in requests of at most 4 MiB: make them small, so there are several
    monkeypatch.setattr(zipindex, "BATCH_BYTES", 60_000)
    seen: list[int] = []

    def drop(start: int, length: int) -> int | None:
        seen.append(start)
        return 0 if len(seen) > 4 else None  # tail, directory, two entry requests; then none

    file.drop = drop
    with pytest.raises(BackfillError, match="run again to resume") as err:
        run_backfill(db, "microsoft-copilot", dataset=url, service="Microsoft Copilot")
    assert "\n" not in str(err.value)
    kept = version_history("microsoft-copilot", "Terms of Service")
    assert 0 < len(kept) < 139
    file.drop = lambda start, length: None
    file.reset_counts()
    report = run_backfill(db, "microsoft-copilot", dataset=url, service="Microsoft Copilot")[0]
    assert len(kept) + report.imported + report.blocked == 139
    # the second run fetched the directory and the missing entries only
    remaining = entry_bytes(data, "Microsoft Copilot/Terms of Service") - sum(
        _entry_sizes(data, kept))
    assert file.sent == directory_bytes(data) + remaining


def _entry_sizes(data: bytes, kept: list[dict]) -> list[int]:
    stamps = {v["captured_at"].replace(":", "-") for v in kept}
    infos = sorted(zipfile.ZipFile(DATASET).infolist(), key=lambda i: i.header_offset)
    (cd_offset,) = struct.unpack("<I", data[-6:-2])
    ends = [i.header_offset for i in infos[1:]] + [cd_offset]
    return [end - info.header_offset for info, end in zip(infos, ends, strict=True)
            if "/Microsoft Copilot/" in info.filename
            and info.filename.rsplit("/", 1)[1][:-3] in stamps]


def test_a_corrupt_zip_is_refused_and_nothing_is_touched(tmp_path: Path, data: bytes,
                                                         server: LoopbackServer) -> None:
    gw(tmp_path, "watch", "anthropic")
    good = tmp_path / "fixture.zip"
    good.write_bytes(data)
    assert backfill(tmp_path, str(good), "anthropic", "Claude.ai", "--document",
                    "Terms of Service").returncode == 0
    before = gw(tmp_path, "history", "anthropic", "--document", "Terms of Service",
                "--versions", "--json").stdout
    corrupt = bytearray(data)
    (cd_offset,) = struct.unpack("<I", data[-6:-2])
    corrupt[cd_offset:cd_offset + 4] = b"\0\0\0\0"  # the directory's first record
    server.handler("/corrupt.zip", RangeFile(bytes(corrupt)))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 3])  # an interrupted download
    for where in (server.url("/corrupt.zip"), str(cut)):
        out = backfill(tmp_path, where, "anthropic", "Claude.ai")
        assert out.returncode == 1 and out.stdout == ""
        assert out.stderr.count("\n") == 1 and "corrupt" in out.stderr
    missing = backfill(tmp_path, str(good), "anthropic", "Anthropic Claude")
    assert missing.returncode == 1 and "no service 'Anthropic Claude'" in missing.stderr
    unknown = backfill(tmp_path, str(good), "anthropic", "Claude.ai", "--document", "Nope")
    assert unknown.returncode == 1 and "no document 'Nope'" in unknown.stderr
    absent = backfill(tmp_path, str(good), "anthropic", "Claude.ai", "--document",
                      "Commercial Terms")
    assert absent.returncode == 1 and "holds no 'Commercial Terms'" in absent.stderr
    assert gw(tmp_path, "history", "anthropic", "--document", "Terms of Service", "--versions",
              "--json").stdout == before

"""Issue 12, items 4, 7, 8 and 11, through the command line as a real process: terminal control
characters, exports that could destroy the database, damaged databases, file permissions."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tests.paths import SAVED_DBS

POSIX = os.name == "posix"
# What a terminal obeys: C0 controls but newline and tab, DEL, C1 controls, bidi overrides and
# isolates. (Written out here rather than imported: the test states the rule itself.)
UNSAFE_FOR_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# ESC (CSI colour, OSC 8 hyperlink, OSC 52 clipboard), BEL, C1 CSI/OSC, bidi override/isolates.
HOSTILE = ("\x1b[31mRED\x1b[0m \x1b]8;;file:///etc/passwd\x07LINK\x1b]8;;\x07 "
           "\x1b]52;c;ZXZpbA==\x07 \x9b2J \x9d0;title\x9c "
           "\u202eTXET\u202c \u2066ISO\u2069 \r\x08\x00")


def gw(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def assert_clean(out: subprocess.CompletedProcess[str]) -> None:
    for stream in (out.stdout, out.stderr):
        bad = UNSAFE_FOR_TERMINAL.findall(stream)
        assert not bad, f"raw control characters {bad!r} in {stream[:300]!r}"


def page(words: str) -> str:
    return (f"<!doctype html><html><head><title>Terms {HOSTILE}</title></head><body><main>"
            f"<h1>Terms of Service {HOSTILE}</h1><p>{words} {HOSTILE}</p>"
            "<p>We collect the name, email address and payment details you give us when you "
            "register, and use them to provide and secure the service.</p>"
            "<p>You may ask for a copy of your data, have it corrected or deleted, and "
            "complain to your data protection authority at any time.</p></main></body></html>")


# --- 4. control characters ---------------------------------------------------------------------


def test_control_characters_never_reach_the_terminal(tmp_path: Path,
                                                     server: LoopbackServer) -> None:
    server.route("/terms", page("We keep your data for thirty days."))
    declaration = tmp_path / "evil.json"
    declaration.write_text(json.dumps({"name": f"Evil {HOSTILE} Corp", "terms": {
        "Terms of Service": {"fetch": server.url("/terms"), "select": "main"}}}))
    home = tmp_path / "home"
    outs = [gw(home, "import", str(declaration)), gw(home, "watching"),
            gw(home, "check", "--confirm-delay", "0")]
    server.route("/terms", page("We keep your data for five years, and sell it."))
    outs += [gw(home, "check", "--confirm-delay", "0"), gw(home, "history", "evil"),
             gw(home, "show", "evil", "Terms of Service"),
             gw(home, "diff", "evil", "Terms of Service", "--format", "text"),
             gw(home, "diff", "evil", "Terms of Service", "--format", "html"),
             gw(home, "cite", "evil", "Terms of Service"), gw(home, "verify"),
             gw(home, "history", "evil", "--json"), gw(home, "watching", "--json"),
             gw(home, "show", f"no-such-{HOSTILE.rstrip(chr(0))}", "Terms of Service")]
    for out in outs:
        assert_clean(out)
    assert "five years" in outs[6].stdout
    # JSON keeps the name exactly, its dangerous characters escaped rather than raw.
    listed = json.loads(outs[11].stdout)
    assert listed[0]["name"] == f"Evil {HOSTILE} Corp".strip()
    # What was stored from the page holds no control character at all.
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Version

    db = open_database(home)
    try:
        texts = [v.text for v in Version.select()]  # stored compressed: read through the model
    finally:
        db.close()
    assert texts and not any(UNSAFE_FOR_TERMINAL.search(t) for t in texts)


def test_extraction_drops_controls_but_keeps_the_words() -> None:
    from watcher_app.extract.normalize import clean_line, strip_controls

    assert clean_line("pay\x1b[31mment\x07 due \u2066now\u2069\r") == "pay [31mment due now"
    assert strip_controls("a\tb\nc\x1b\x9b\u202e") == "a\tb\nc"


# --- 7. exports --------------------------------------------------------------------------------


@pytest.fixture
def watched(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert gw(home, "watch", "anthropic").returncode == 0
    return home


def test_export_refuses_the_data_folder_and_foreign_files(watched: Path, tmp_path: Path) -> None:
    database = watched / "watcher.sqlite3"
    before = database.read_bytes()
    link = tmp_path / "innocent.zip"
    link.symlink_to(database)
    for target in (database, watched / "new.zip", watched / "sub" / "x.zip", link):
        out = gw(watched, "export", "anthropic", "--out", str(target))
        assert out.returncode == 1 and "inside the data folder" in out.stderr, out.stderr
        assert gw(watched, "export", "anthropic", "--out", str(target), "--force"
                  ).returncode == 1  # --force never allows the data folder
    assert database.read_bytes() == before
    assert not (watched / "new.zip").exists()

    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    out = gw(watched, "export", "anthropic", "--out", str(notes))
    assert out.returncode == 1 and "--force" in out.stderr and notes.read_text() == "my notes"
    assert gw(watched, "export", "anthropic", "--out", str(tmp_path)).returncode == 1  # folder

    ours = tmp_path / "evidence.zip"
    assert gw(watched, "export", "anthropic", "--out", str(ours)).returncode == 0
    assert gw(watched, "export", "anthropic", "--out", str(ours)).returncode == 0  # ours: fine
    assert zipfile.is_zipfile(ours)
    assert gw(watched, "export", "anthropic", "--out", str(notes), "--force").returncode == 0
    assert zipfile.is_zipfile(notes)
    if POSIX:
        assert stat.S_IMODE(ours.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.part"))


# --- 8. damaged databases ----------------------------------------------------------------------


def _damage(kind: str, database: Path) -> None:
    data = bytearray(database.read_bytes())
    if kind == "random":
        database.write_bytes(os.urandom(len(data)))
    elif kind == "truncated":
        database.write_bytes(bytes(data[: len(data) // 3]))
    elif kind == "garbled":  # every page but the first scribbled over in the middle
        for start in range(4096, len(data), 4096):
            data[start + 100:start + 1100] = os.urandom(1000)
        database.write_bytes(bytes(data))
    elif kind == "schema":  # the schema page itself
        data[100:3000] = os.urandom(2900)
        database.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["random", "truncated", "garbled", "schema"])
def test_a_damaged_database_gives_one_clear_message_and_is_never_modified(
        watched: Path, kind: str) -> None:
    database = watched / "watcher.sqlite3"
    backup = watched / "watcher.schema1-20240101-000000.sqlite3"
    shutil.copyfile(database, backup)
    _damage(kind, database)
    damaged = database.read_bytes()
    commands = [["watching"], ["check", "--confirm-delay", "0"],
                ["export", "anthropic", "--out", str(watched.parent / "e.zip")], ["verify"]]
    if kind == "garbled":  # the subtle one: every command, each reading something else
        commands += [["watching", "--json"], ["history", "anthropic"], ["watch", "openai"],
                     ["unwatch", "anthropic"], ["show", "anthropic", "Privacy Policy"],
                     ["diff", "anthropic", "Privacy Policy"],
                     ["cite", "anthropic", "Privacy Policy"], ["import", str(backup)]]
    for args in commands:
        out = gw(watched, *args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr, (args, out.stderr)
        message = out.stderr.strip().splitlines()[-1]
        assert str(database) in message and "damaged" in message, (args, message)
        assert backup.name in message, message
        assert database.read_bytes() == damaged, f"{args} modified the damaged file"
    verify = gw(watched, "verify")
    assert "integrity check:" in verify.stderr


def test_verify_reports_the_integrity_check(watched: Path) -> None:
    out = gw(watched, "verify")
    assert out.returncode == 0 and "SQLite integrity check: ok" in out.stdout


# --- 11. permissions ---------------------------------------------------------------------------


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_data_folder_and_files_are_private_on_creation_and_on_upgrade(tmp_path: Path) -> None:
    home = tmp_path / "new"
    assert gw(home, "watch", "anthropic").returncode == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for path in home.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    old = tmp_path / "old"  # as an older release left it: readable by everyone
    old.mkdir(mode=0o755)
    os.chmod(old, 0o755)
    shutil.copyfile(SAVED_DBS[0], old / "watcher.sqlite3")
    os.chmod(old / "watcher.sqlite3", 0o644)
    stale = old / "watcher.schema0-20200101-000000.sqlite3"
    stale.write_bytes(b"")
    os.chmod(stale, 0o644)
    assert gw(old, "watching").returncode == 0
    assert stat.S_IMODE(old.stat().st_mode) == 0o700
    files = list(old.glob("watcher*.sqlite3*"))
    assert len(files) >= 3  # the database, the old backup, the backup of this upgrade
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# --- careless input: every one a one-line message, never a traceback ----------------------------


def test_careless_input_gets_one_line(watched: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    folder_db = tmp_path / "folder-db"
    (folder_db / "watcher.sqlite3").mkdir(parents=True)
    newer = tmp_path / "newer"
    shutil.copytree(watched, newer)
    with sqlite3.connect(newer / "watcher.sqlite3") as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, 'future', datetime('now'))")
    surrogate = tmp_path / "odd.json"
    surrogate.write_text('{"name": "Odd \\udcff", "terms": {"Privacy Policy": '
                         '{"fetch": "https://example.com/p"}}}')
    cases = [
        (gw(a_file, "watching"), 1, "it is a file, not a folder"),
        (gw(folder_db, "watching"), 1, "not a database file"),
        (gw(newer, "watching"), 1, "newer than this app understands"),
        (gw(watched, "import", str(surrogate)), 1, "not valid Unicode"),
        (gw(watched, "show", "anthropic", "Privacy Policy", "--version", "9" * 25), 2,
         "not a record number"),
        (gw(watched, "check", "--confirm-delay", "inf"), 2, "0 to 86400"),
        (gw(watched, "export", "anthropic", "--out", str(a_file / "x.zip")), 1, "cannot use"),
    ]
    for out, code, words in cases:
        assert out.returncode == code, (words, out.stderr)
        assert "Traceback" not in out.stderr and words in out.stderr, out.stderr
        assert_clean(out)


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_a_shared_folder_given_as_data_folder_is_not_locked(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    (shared / "someone-elses.txt").write_text("x")
    assert gw(shared, "watching").returncode == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # not ours alone: left as it is
    assert stat.S_IMODE((shared / "watcher.sqlite3").stat().st_mode) == 0o600

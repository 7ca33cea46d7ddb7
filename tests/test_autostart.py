"""Start at login writes and removes the platform's autostart entry (tested on Linux)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from watcher_app import autostart

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart")


def test_xdg_autostart_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert not autostart.is_enabled()
    path = autostart.set_enabled(True)
    assert path == tmp_path / "autostart" / "governance-watcher.desktop"
    text = path.read_text()
    assert "[Desktop Entry]" in text and "Name=Governance Watcher" in text
    assert "--minimized" in text and "watcher_app" in text
    assert autostart.is_enabled()
    autostart.set_enabled(True)  # idempotent
    autostart.set_enabled(False)
    assert not path.exists() and not autostart.is_enabled()
    autostart.set_enabled(False)  # removing twice is fine


def test_frozen_command_is_the_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/Governance Watcher/governance-watcher")
    assert autostart.launch_command() == ["/opt/Governance Watcher/governance-watcher",
                                          "--minimized"]
    assert "Exec='/opt/Governance Watcher/governance-watcher' --minimized" in (
        autostart.desktop_entry(autostart.launch_command()))

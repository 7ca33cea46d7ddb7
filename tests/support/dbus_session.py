"""A private D-Bus session bus for tests, so nothing reaches the developer's real desktop.

The daemon gets its own minimal configuration instead of `--session`: the stock session config
also lists the system's service folders, and D-Bus activation could then start a real
notification daemon or keyring behind the test's back (and make "no service" tests flaky).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextlib.contextmanager
def private_session_bus() -> Iterator[str]:
    """Start `dbus-daemon --nofork --print-address` in a temporary folder; yields its address.
    Skips the test when dbus-daemon is not installed (Debian package `dbus`)."""
    exe = shutil.which("dbus-daemon")
    if exe is None:
        pytest.skip("dbus-daemon is not installed (apt-get install dbus)")
    with tempfile.TemporaryDirectory(prefix="gw-dbus-") as folder:
        config = Path(folder) / "session.conf"
        config.write_text(CONFIG.format(folder=folder), encoding="utf-8")
        proc = subprocess.Popen(
            [exe, f"--config-file={config}", "--print-address", "--nofork"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            address = proc.stdout.readline().strip()  # printed once the bus listens
            if not address:
                raise RuntimeError(f"dbus-daemon exited with {proc.wait(5)} before listening")
            yield address
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stdout is not None:
                proc.stdout.close()

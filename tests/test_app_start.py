"""Issue 12, items 12 and 13: the desktop app starts where Linux-only modules do not exist, an
import failure is never hidden behind the help text, and Chromium keeps its sandbox.

The app runs in a child process (offscreen) with an import blocker on sys.meta_path: that is
how Windows and macOS see jeepney and dbus, which exist here only through keyring on Linux.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.paths import REPO

STARTER = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = set(sys.argv[2].split(","))

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name in BLOCKED or name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    for loaded in [m for m in sys.modules if m.split(".")[0] in BLOCKED]:
        del sys.modules[loaded]

    if "PySide6" not in BLOCKED:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        app = QApplication([])

        def report():
            shown = sorted(type(w).__name__ for w in QApplication.topLevelWidgets()
                           if w.isVisible())
            print("SHOWN", *shown, flush=True)
            app.quit()

        QTimer.singleShot(4000, report)
    from watcher_app.cli import main
    sys.exit(main(["--data-dir", sys.argv[1]]))
""")


def start_app(tmp_path: Path, blocked: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
           "GOVERNANCE_WATCHER_RENDER": "0", "XDG_RUNTIME_DIR": str(tmp_path)}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([sys.executable, "-c", STARTER, str(tmp_path / "data"), blocked],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


def test_the_app_starts_without_the_linux_only_modules(tmp_path: Path) -> None:
    out = start_app(tmp_path, "jeepney,dbus,secretstorage,gi")
    assert out.returncode == 0, out.stderr
    assert "usage:" not in out.stdout, "the help text instead of the window"
    assert "MainWindow" in out.stdout.split("SHOWN", 1)[-1], (out.stdout, out.stderr)


def test_without_pyside6_the_cli_prints_help(tmp_path: Path) -> None:
    out = start_app(tmp_path, "PySide6,shiboken6")
    assert out.returncode == 0 and "usage:" in out.stdout
    assert "needs PySide6" in out.stderr


def test_any_other_import_error_is_an_error(tmp_path: Path) -> None:
    out = start_app(tmp_path, "watcher_app.ui.tray")
    assert out.returncode != 0 and "usage:" not in out.stdout
    assert "watcher_app.ui.tray" in out.stderr


def test_notify_imports_without_jeepney(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['jeepney'] = None; import watcher_app.notify as n; "
            "d = n.DBusNotifier(); print(d.available(), d.problem)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("False")


# --- 12. Chromium's sandbox ---------------------------------------------------------------------

webengine = pytest.mark.skipif(
    importlib.util.find_spec("PySide6") is None
    or importlib.util.find_spec("PySide6.QtWebEngineCore") is None,
    reason="Qt WebEngine is not installed")


@webengine
def test_no_sandbox_only_for_root() -> None:
    from watcher_app.ui.webrender import chromium_flags

    assert chromium_flags(None, as_root=False) == "--disable-gpu"
    assert "--no-sandbox" not in chromium_flags("--lang=en", as_root=False).split()
    assert chromium_flags(None, as_root=True).split() == ["--disable-gpu", "--no-sandbox"]
    assert chromium_flags("--no-sandbox", as_root=True).split().count("--no-sandbox") == 1
    assert chromium_flags("--foo", as_root=False).split()[0] == "--foo"  # the user's flags stay


@webengine
@pytest.mark.parametrize("root", [False, True])
def test_the_renderer_process_sets_the_flags_it_should(root: bool) -> None:
    # geteuid is replaced in the child only: the tests may run as root or not.
    code = (f"import os; os.geteuid = lambda: {0 if root else 1000}; "
            "import watcher_app.ui.webrender; print(os.environ['QTWEBENGINE_CHROMIUM_FLAGS'])")
    env = {k: v for k, v in os.environ.items() if k != "QTWEBENGINE_CHROMIUM_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**env, "PYTHONPATH": str(REPO),
                                          "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert ("--no-sandbox" in out.stdout.split()) is root

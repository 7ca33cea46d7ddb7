"""The installer: a frozen one-folder build that runs on a laptop without Python.

Builds the bundle once per session with PyInstaller (scripts/build_installer.sh on Linux, into
tmp: --distpath/--workpath and PyInstaller's cache all live under the test's tmp folder), then
runs the frozen executable as a user would: the command line, a check against a loopback
server, the main window offscreen, plyer's and keyring's run-time backends, the browser
renderer's child protocol, and on Linux the archive's install script.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import LoopbackServer
from tests.paths import PAGES, REPO, SAVED_DBS

pytestmark = pytest.mark.slow

LINUX = sys.platform.startswith("linux")
# Looked up, not imported: on Linux without objdump, importing PyInstaller raises SystemExit.
if importlib.util.find_spec("PyInstaller") is None:
    pytest.skip("PyInstaller is not installed (pip install -e \".[build]\")",
                allow_module_level=True)
if LINUX and shutil.which("objdump") is None:
    pytest.skip("PyInstaller needs objdump on Linux (apt-get install binutils)",
                allow_module_level=True)

APP_ID = "governance-watcher"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "version"]
SIZE_GOAL_MB = 200  # the Linux bundle, unpacked
BUILD_TIMEOUT_S = 480


@dataclass(frozen=True)
class Bundle:
    dist: Path
    folder: Path  # dist/governance-watcher
    exe: Path
    build_s: float
    log: str


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundle]:
    base = tmp_path_factory.mktemp("installer")
    dist, work = base / "dist", base / "build"
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(base / "pyinstaller-cache"),
           "PYTHON": sys.executable, "PYTHONDONTWRITEBYTECODE": "1"}
    if LINUX:
        cmd = ["bash", str(REPO / "scripts" / "build_installer.sh"), "--distpath", str(dist),
               "--workpath", str(work)]
    else:
        cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--distpath",
               str(dist), "--workpath", str(work), str(REPO / "build_installer.spec")]
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S)
    elapsed = time.monotonic() - started
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"the build failed:\n{log[-6000:]}"
    folder = dist / APP_ID
    exe = folder / (f"{APP_ID}.exe" if sys.platform == "win32" else APP_ID)
    assert exe.is_file(), f"no executable in {folder}"
    yield Bundle(dist, folder, exe, elapsed, log)
    shutil.rmtree(base, ignore_errors=True)  # ~250 MB: not kept among pytest's last 3 runs


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user session of our own: throw-away home, no session bus, no keyring override, Qt
    offscreen, loopback never proxied, no browser fallback."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DBUS_", "PYTHON_KEYRING", "XDG_", "GOVERNANCE_WATCHER_",
                                  "QT_")) and key not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(HOME=str(tmp_path / "home"), XDG_RUNTIME_DIR=str(runtime),
               XDG_DATA_HOME=str(tmp_path / "home" / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
               XDG_CACHE_HOME=str(tmp_path / "home" / "cache"), QT_QPA_PLATFORM="offscreen",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               GOVERNANCE_WATCHER_RENDER="0")
    (tmp_path / "home").mkdir()
    return env


def run(exe: Path, *args: str, env: dict[str, str], timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def smoke_lines(out: str) -> dict[str, Any]:
    """The `smoke-report` / `smoke-window` JSON lines of `--smoke-test`."""
    found: dict[str, Any] = {}
    for line in out.splitlines():
        for key in ("smoke-report", "smoke-window"):
            if line.startswith(key + " "):
                found[key] = json.loads(line[len(key) + 1:])
    return found


def folder_mb(folder: Path) -> float:
    return sum(p.lstat().st_size for p in folder.rglob("*")) / 2**20


# --- the bundle itself --------------------------------------------------------------------------


def test_bundle_contents_and_size(bundle: Bundle) -> None:
    internal = bundle.folder / "_internal"
    assert (internal / "resources" / "catalog").is_dir()
    assert (internal / "resources" / "rules").is_dir()
    assert (internal / "resources" / "icons").is_dir()
    assert (internal / "VERSION").read_text().strip() == f"Governance Watcher {VERSION}"
    if LINUX:
        assert list((internal / "PySide6" / "Qt" / "plugins" / "platforms").glob("libqxcb*"))
        assert list((internal / "PySide6" / "Qt" / "plugins" / "platforms").glob("libqwayland*"))
        assert list((internal / "PySide6" / "Qt" / "plugins" / "printsupport").glob("*cups*"))
    names = [str(p.relative_to(internal)) for p in internal.rglob("*")]
    for unwanted in ("QtWebEngine", "QtQuick", "QtQml", "Qt3D", "QtMultimedia", "QtPdf",
                     "QtCharts", "QtTest", "/translations/", "libgtk-3", "numpy", "IPython"):
        leaked = [n for n in names if unwanted in "/" + n]
        assert not leaked, f"{unwanted} should not be in the bundle: {leaked[:5]}"
    size = folder_mb(bundle.folder)
    print(f"\nbundle: {bundle.folder} {size:.1f} MB, built in {bundle.build_s:.0f} s")
    if LINUX:
        assert size <= SIZE_GOAL_MB, f"the bundle is {size:.1f} MB (goal {SIZE_GOAL_MB} MB)"


def test_version_and_the_autostart_command_line(bundle: Bundle,
                                                user_env: dict[str, str]) -> None:
    done = run(bundle.exe, "--version", env=user_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"governance-watcher {VERSION}"
    # autostart.py starts the frozen app as `<exe> --minimized`: it must never be refused
    login = run(bundle.exe, "--minimized", "--version", env=user_env)
    assert login.returncode == 0, login.stderr
    assert VERSION in login.stdout


def test_catalog_comes_from_the_bundled_resources(bundle: Bundle,
                                                  user_env: dict[str, str]) -> None:
    done = run(bundle.exe, "catalog", "--json", env=user_env, cwd=bundle.dist)
    assert done.returncode == 0, done.stderr
    ids = {p["id"] for p in json.loads(done.stdout)}
    shipped = {json.loads(p.read_text(encoding="utf-8")).get("id", p.stem)
               for p in (REPO / "resources" / "catalog").glob("*.json")}
    assert ids == shipped
    assert {"anthropic", "openai", "x"} <= ids


def test_import_and_check_against_a_loopback_server(bundle: Bundle, user_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    data = tmp_path / "data"
    with LoopbackServer() as server:
        server.route("/terms", (PAGES / "base.html").read_bytes())
        decl = tmp_path / "decl.json"  # the platform's id is the file's name
        decl.write_text(json.dumps({"name": "Acme Cloud", "documents": {
            "Terms of Service": {"fetch": server.url("/terms"), "select": ["main"]}}}))
        imported = run(bundle.exe, "--data-dir", str(data), "import", str(decl), env=user_env)
        assert imported.returncode == 0, imported.stderr
        checked = run(bundle.exe, "--data-dir", str(data), "check", "--json",
                      "--confirm-delay", "0", env=user_env)
    assert checked.returncode == 0, checked.stderr
    [result] = json.loads(checked.stdout)
    assert (result["platform"], result["document"], result["status"]) == (
        "decl", "Terms of Service", "first"), result
    assert result["version"] and len(result["sha256"]) == 64
    history = run(bundle.exe, "--data-dir", str(data), "history", "decl", "--json",
                  env=user_env)
    assert [h["outcome"] for h in json.loads(history.stdout)] == ["first"]
    verified = run(bundle.exe, "--data-dir", str(data), "verify", env=user_env)
    assert verified.returncode == 0 and "OK" in verified.stdout


def test_an_old_database_is_migrated_by_the_frozen_app(bundle: Bundle,
                                                       user_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    oldest = SAVED_DBS[0]
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(oldest, data / "watcher.sqlite3")
    done = run(bundle.exe, "--data-dir", str(data), "history", "acme", "--json", env=user_env)
    assert done.returncode == 0, done.stderr
    assert [h["outcome"] for h in json.loads(done.stdout)] == ["changed", "first"]
    assert list(data.glob("watcher.schema1-*.sqlite3")), "no backup before the migration"
    assert run(bundle.exe, "--data-dir", str(data), "verify", env=user_env).returncode == 0


# --- run-time lookups: Qt plugins, plyer, keyring, certifi ---------------------------------------


def test_window_opens_offscreen_and_backends_resolve(bundle: Bundle, user_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    # a notify-send on PATH makes plyer's Linux module pick a concrete class of its own
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "notify-send"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    env = {**user_env, "PATH": f"{tools}{os.pathsep}{user_env.get('PATH', '')}"}
    data = tmp_path / "data"
    done = run(bundle.exe, "--smoke-test", "--data-dir", str(data), env=env, timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "window-ok" in done.stdout.splitlines(), done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr  # plyer prints one when its import fails
    found = smoke_lines(done.stdout)
    report, window = found["smoke-report"], found["smoke-window"]

    # the frozen code and resources, not the source tree
    internal = (bundle.folder / "_internal").resolve()
    assert report["frozen"] is True
    assert Path(report["package"]).resolve().is_relative_to(internal)
    assert Path(report["resources"]).resolve() == internal / "resources"
    assert report["catalog"] >= 30
    assert report["tls"] == {"cafile_exists": True, "ca_certs": report["tls"]["ca_certs"]}
    assert report["tls"]["ca_certs"] > 50

    assert window["shown"] and window["painted"] and window["qpa"] == "offscreen"
    assert window["app_icon"], "resources/icons/app-*.png not found by the frozen app"
    assert {"png", "svg", "ico"} <= set(window["image_formats"])
    assert window["print_support"], "QtPrintSupport missing: the report's Print would not work"
    assert (data / "watcher.sqlite3").is_file()

    plyer = report["plyer"]
    if LINUX:
        assert plyer["module"] == "plyer.platforms.linux.notification"
        assert plyer["loaded"], plyer
        assert plyer["impl"].startswith("plyer.platforms.linux.notification."), plyer
    else:
        assert plyer["loaded"], plyer

    # no password store in this session: an explicit "unusable", never a crash
    keyring = report["keyring"]
    assert "error" not in keyring, keyring
    if LINUX:
        assert keyring["usable"] is False and "No password store" in keyring["message"]


def test_window_on_a_real_x_server(bundle: Bundle, user_env: dict[str, str],
                                   tmp_path: Path) -> None:
    """The xcb platform plugin and the X libraries in the bundle load (what a laptop uses)."""
    if not LINUX:
        pytest.skip("X11 is the Linux desktop")
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (apt-get install xvfb xauth)")
    env = {**user_env, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(["xvfb-run", "-a", str(bundle.exe), "--smoke-test", "--data-dir",
                           str(tmp_path / "data")], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    window = smoke_lines(done.stdout)["smoke-window"]
    assert window["qpa"] == "xcb" and window["shown"] and window["painted"], window


def test_the_app_itself_starts_and_stays_up(bundle: Bundle, user_env: dict[str, str],
                                            tmp_path: Path) -> None:
    """No command: the real desktop app (run_app) starts offscreen and keeps running; a second
    launch finds it through its single-instance socket and asks it to come to the front."""
    data = tmp_path / "data"
    first = subprocess.Popen([str(bundle.exe), "--data-dir", str(data)], env=user_env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        answered = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.5)
            second = run(bundle.exe, "--data-dir", str(data), env=user_env, timeout=60)
            if "already running" in second.stdout:
                answered = second
                break
        assert first.poll() is None, f"the app ended early:\n{first.communicate()[0]}"
        assert answered is not None and answered.returncode == 0, "no second-launch answer"
        time.sleep(1.0)  # it raised its window for the second launch: still up
        assert first.poll() is None, f"the app ended:\n{first.communicate()[0]}"
        assert (data / "watcher.sqlite3").is_file()
    finally:
        output = ""
        if first.poll() is None:
            first.terminate()
            try:
                output = first.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                first.kill()
                output = first.communicate()[0]
    assert "Traceback" not in output, output


def test_keyring_finds_a_running_secret_service(bundle: Bundle, user_env: dict[str, str],
                                                tmp_path: Path) -> None:
    if not LINUX:
        pytest.skip("the Secret Service is the Linux password store")
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon")
               if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install dbus gnome-keyring)")
    command = ("echo test-password | gnome-keyring-daemon --unlock --components=secrets "
               f'>/dev/null && exec "{bundle.exe}" --smoke-test --no-window --keyring-roundtrip')
    done = subprocess.run(["dbus-run-session", "--", "sh", "-c", command], env=user_env,
                          capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    keyring = smoke_lines(done.stdout)["smoke-report"]["keyring"]
    assert keyring["backend"] == "keyring.backends.SecretService.Keyring", keyring
    assert keyring["usable"] is True
    assert keyring["roundtrip"] is True, keyring


def test_browser_renderer_child_answers_without_webengine(bundle: Bundle,
                                                          user_env: dict[str, str]) -> None:
    """render.py's child protocol works frozen: one JSON line, here "no renderer"."""
    done = run(bundle.exe, "--webrender", "--timeout", "5", "--", "http://127.0.0.1:9/",
               env=user_env, timeout=60)
    assert done.returncode == 1
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == "error" and answer["reason"] == "renderer-unavailable"


# --- the Linux archive and its install script ----------------------------------------------------


@pytest.fixture
def unpacked(bundle: Bundle, tmp_path: Path) -> Iterator[Path]:
    if not LINUX:
        pytest.skip("the .tar.gz and install-linux.sh are the Linux packaging")
    archive = bundle.dist / f"{APP_ID}.tar.gz"
    assert archive.is_file()
    with tarfile.open(archive) as tar:
        tops = {name.split("/", 1)[0] for name in tar.getnames()}
        tar.extractall(tmp_path / "unpacked", filter="tar")
    assert len(tops) == 1, f"the archive must hold one folder, not {tops}"
    top = tmp_path / "unpacked" / tops.pop()
    for name in (APP_ID, f"{APP_ID}.desktop", f"{APP_ID}.png", "install-linux.sh"):
        assert (top / name).exists(), name
    yield top


def test_linux_archive_installs_upgrades_and_uninstalls(unpacked: Path,
                                                        user_env: dict[str, str]) -> None:
    home = Path(user_env["HOME"])
    env = {k: v for k, v in user_env.items() if k not in ("XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    installed = subprocess.run(["sh", str(unpacked / "install-linux.sh")], env=env,
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    exe = home / ".local" / "opt" / APP_ID / APP_ID
    desktop = home / ".local" / "share" / "applications" / f"{APP_ID}.desktop"
    icon = home / ".local" / "share" / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png"
    assert os.access(exe, os.X_OK) and icon.is_file()
    entry = desktop.read_text(encoding="utf-8")
    assert f"\nExec={exe}\n" in entry and "\nIcon=governance-watcher\n" in entry
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                                 text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    done = run(home / ".local" / "bin" / APP_ID, "--version", env=env)
    assert done.returncode == 0 and VERSION in done.stdout

    # the user's data, written by the installed app, survives an upgrade and an uninstall
    data = home / ".local" / "share" / APP_ID
    assert run(exe, "watch", "anthropic", env=env).returncode == 0
    assert (data / "watcher.sqlite3").is_file()
    again = subprocess.run(["sh", str(unpacked / "install-linux.sh")], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    watching = run(exe, "watching", "--json", env=env)
    assert [p["id"] for p in json.loads(watching.stdout)] == ["anthropic"]
    assert not list(exe.parent.parent.glob(f"{APP_ID}.*")), "staging folders left behind"

    removed = subprocess.run(["sh", str(unpacked / "install-linux.sh"), "--uninstall"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert removed.returncode == 0, removed.stderr
    assert not exe.exists() and not desktop.exists() and not icon.exists()
    assert (data / "watcher.sqlite3").is_file()

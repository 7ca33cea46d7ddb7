"""Entry point of the frozen (PyInstaller) app: `build_installer.spec` freezes this file.

Everything a user types goes to `watcher_app.cli.main()`, so the bundled executable is the
`governance-watcher` command (no command: the desktop app). A few arguments serve the bundle
itself and are never shown in `--help`:

``--webrender ARGS...`` (first argument)
    The optional browser renderer as a child process. `python -m watcher_app.ui.webrender`
    cannot work in a frozen app (there is no interpreter to take `-m`), so render.py runs
    ``[sys.executable, "--webrender", ...]`` when frozen. Qt WebEngine is not in the bundle, so
    this answers the JSON line render.py expects with ``renderer-unavailable``, unless someone
    builds a bundle that includes WebEngine, in which case it renders.

``--smoke-test [--data-dir DIR] [--keyring-roundtrip] [--no-window]`` (first argument)
    A start-up self-check of the bundle, used by tests/test_installer.py and handy on a user's
    machine: prints one ``smoke-report {json}`` line (resources, plyer's notification backend,
    the keyring backend, TLS roots, Qt plugins), then opens the main window on the data folder,
    processes events, closes it and prints ``window-ok``.

Everything else, ``--minimized`` of the login entry (watcher_app/autostart.py) included, is the
command line's business.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import warnings
from typing import Any, TextIO

WEBRENDER_FLAG = "--webrender"
SMOKE_FLAG = "--smoke-test"
NO_RENDERER = ("This build of Governance Watcher has no browser renderer (Qt WebEngine is not "
               "bundled); pages that need JavaScript can only be rendered by a source install "
               "with `pip install governance-watcher[browser]`.")


def _ensure_streams() -> None:
    """A windowed build (Windows, macOS) may start with no stdout/stderr at all. Attach to the
    console of a terminal that started us (Windows), otherwise write into the void: a `print`
    must never crash the app, and `governance-watcher --version` run from cmd.exe still
    answers there."""
    if sys.stdout is not None and sys.stderr is not None:
        return
    if sys.platform == "win32":
        import ctypes

        attach_parent_process = -1
        if ctypes.windll.kernel32.AttachConsole(attach_parent_process):  # type: ignore[attr-defined]
            for name in ("stdout", "stderr"):
                if getattr(sys, name) is None:
                    with contextlib.suppress(OSError):
                        setattr(sys, name, open("CONOUT$", "w", encoding="utf-8",  # noqa: SIM115
                                                errors="replace"))
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


# --- the browser renderer child ----------------------------------------------------------------


def run_webrender(args: list[str]) -> int:
    """`watcher_app.ui.webrender` as render.py's child process; one JSON line either way."""
    try:
        # imported by name: the analysis must not pull Qt WebEngine into the bundle
        webrender = importlib.import_module("watcher_app.ui.webrender")
    except ImportError as exc:
        sys.stdout.write(json.dumps({"status": "error", "reason": "renderer-unavailable",
                                     "detail": f"{NO_RENDERER} ({type(exc).__name__}: {exc})"})
                         + "\n")
        sys.stdout.flush()
        return 1
    result: int = webrender.main(args)
    return result


# --- the smoke test ----------------------------------------------------------------------------


def _qualname(obj: object) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def plyer_probe() -> dict[str, Any]:
    """Which module plyer's notification proxy resolved to (plyer imports its platform module
    by name at run time, which only works when the bundle carries it)."""
    import plyer
    import plyer.facades  # noqa: F401 - the facades the platform modules subclass
    from plyer.utils import platform

    module = f"plyer.platforms.{platform}.notification"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proxy = plyer.notification
        object.__getattribute__(proxy, "_ensure_obj")()  # the Proxy's lazy import, done now
        impl = object.__getattribute__(proxy, "_obj")
    return {"platform": str(platform), "module": module, "loaded": module in sys.modules,
            "impl": _qualname(impl), "warnings": [str(w.message).splitlines()[0]
                                                  for w in caught]}


def keyring_probe(roundtrip: bool) -> dict[str, Any]:
    """The keyring backend chosen here, every viable one, and optionally a real round trip
    through watcher_app.keyring_store (only on request: it writes to the user's password store)."""
    import keyring
    import keyring.backend
    from keyring.backends import chainer

    from watcher_app.keyring_store import backend_status

    backend = keyring.get_keyring()
    chosen = [_qualname(b) for b in backend.backends] if isinstance(
        backend, chainer.ChainerBackend) else [_qualname(backend)]
    viable = sorted(_qualname(b) for b in keyring.backend.get_all_keyring())
    usable, message = backend_status()
    report: dict[str, Any] = {"backend": _qualname(backend), "chosen": chosen,
                              "viable": viable, "usable": usable, "message": message}
    if roundtrip and usable:
        from watcher_app.keyring_store import delete_secret, get_secret, store_secret

        key = "smoke-test:frozen"
        try:
            store_secret(key, "frozen-secret")
            report["roundtrip"] = get_secret(key) == "frozen-secret"
            delete_secret(key)
            report["roundtrip"] = report["roundtrip"] and get_secret(key) is None
        except Exception as exc:  # noqa: BLE001 - reported, the test decides
            report["roundtrip"] = f"{type(exc).__name__}: {exc}"
    return report


def tls_probe() -> dict[str, Any]:
    """httpx verifies HTTPS against certifi's bundle: it must be inside the bundle."""
    import ssl

    import certifi

    where = certifi.where()
    context = ssl.create_default_context(cafile=where)
    return {"cafile_exists": os.path.isfile(where),
            "ca_certs": context.cert_store_stats().get("x509_ca", 0)}


def window_probe(data_dir: str | None) -> dict[str, Any]:
    """Open the main window on the data folder, let it paint, close it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from watcher_app import APP_ID, APP_NAME
    from watcher_app.config import data_dir as resolve_data_dir
    from watcher_app.store.db import open_database
    from watcher_app.ui import theme
    from watcher_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    folder = resolve_data_dir(data_dir)
    db = open_database(folder)
    try:
        window = MainWindow(db, folder)
        report: dict[str, Any] = {}

        def look() -> None:
            handle = window.windowHandle()
            report["shown"] = window.isVisible() and handle is not None and handle.isExposed()
            report["painted"] = not window.grab().isNull()
            app.exit(0)  # not quit(): that would close the window first

        window.show()
        QTimer.singleShot(300, look)
        QTimer.singleShot(10_000, lambda: app.exit(1))  # a window that never shows
        app.exec()
        report.update(title=window.windowTitle(), qpa=app.platformName(),
                      app_icon=not theme.icon("app").isNull(),
                      image_formats=sorted(bytes(f.data()).decode()
                                           for f in QImageReader.supportedImageFormats()))
        report.setdefault("shown", False)
        try:  # the print dialog of the change report (exports.py)
            from PySide6.QtPrintSupport import QPrinterInfo

            report["print_support"] = True
            report["printers"] = QPrinterInfo.availablePrinterNames()
        except ImportError:
            report["print_support"] = False
        window.hide()
        window.deleteLater()
        app.processEvents()
    finally:
        db.close()
    return report


def run_smoke_test(args: list[str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog=f"governance-watcher {SMOKE_FLAG}")
    parser.add_argument("--data-dir", metavar="DIR")
    parser.add_argument("--keyring-roundtrip", action="store_true",
                        help="also store, read and delete a test secret")
    parser.add_argument("--no-window", action="store_true", help="skip the window")
    opts = parser.parse_args(args)

    import watcher_app
    from watcher_app.catalog import bundled_catalog
    from watcher_app.config import resources_dir

    report: dict[str, Any] = {
        "version": watcher_app.__version__, "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable, "bundle": getattr(sys, "_MEIPASS", None),
        "package": watcher_app.__file__, "resources": str(resources_dir()),
        "catalog": len(bundled_catalog())}
    for name, probe in (("plyer", plyer_probe), ("keyring",
                                                 lambda: keyring_probe(opts.keyring_roundtrip)),
                        ("tls", tls_probe)):
        try:
            report[name] = probe()
        except Exception as exc:  # noqa: BLE001 - one broken probe must not hide the others
            report[name] = {"error": f"{type(exc).__name__}: {exc}"}
    out.write("smoke-report " + json.dumps(report) + "\n")
    out.flush()
    if opts.no_window:
        return 0
    window = window_probe(opts.data_dir)
    out.write("smoke-window " + json.dumps(window) + "\n")
    if not (window["shown"] and window.get("painted")):
        out.write("window-failed\n")
        return 1
    out.write("window-ok\n")
    out.flush()
    return 0


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    _ensure_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [WEBRENDER_FLAG]:
        return run_webrender(args[1:])
    if args[:1] == [SMOKE_FLAG]:
        return run_smoke_test(args[1:])
    from watcher_app.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())

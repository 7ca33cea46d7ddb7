"""Command line: `governance-watcher [--data-dir DIR] COMMAND` (a contract other tools rely on).

Exit codes: 0 done (a `check` exits 0 even when documents failed: their status says so),
1 refused or failed (a message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from watcher_app import APP_NAME, __version__
from watcher_app.catalog import CatalogError
from watcher_app.outcomes import Outcome

if TYPE_CHECKING:
    import peewee



def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1, default=str)
    sys.stdout.write("\n")


def _open(args: argparse.Namespace) -> peewee.Database:
    from watcher_app.config import data_dir
    from watcher_app.store.db import open_database

    return open_database(data_dir(args.data_dir))


# --- commands --------------------------------------------------------------------------------


def cmd_catalog(args: argparse.Namespace) -> int:
    from watcher_app.catalog import bundled_catalog

    catalog = bundled_catalog()
    if args.json:
        _print_json([{"id": p.id, "name": p.name,
                      "documents": [{"type": d.type, "urls": [s.url for s in d.sources]}
                                    for d in p.documents.values()]}
                     for p in catalog.values()])
        return 0
    for p in catalog.values():
        print(f"{p.id:22s} {p.name}")
        for d in p.documents.values():
            print(f"{'':22s}   - {d.type}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from watcher_app.watchlist import watch

    for platform in watch(_open(args), args.ids):
        print(f"watching {platform.id} ({platform.name})")
    return 0


def cmd_unwatch(args: argparse.Namespace) -> int:
    from watcher_app.watchlist import unwatch

    for pid in unwatch(_open(args), args.ids):
        print(f"no longer watching {pid} (its history is kept)")
    return 0


def cmd_watching(args: argparse.Namespace) -> int:
    from watcher_app.watchlist import active_documents, watched_platforms

    _open(args)
    platforms = watched_platforms()
    docs = active_documents()
    rows = [{"id": p.id, "name": p.name, "origin": p.origin,
             "documents": [{"type": d.type, "last_check_at": d.last_check_at,
                            "last_outcome": d.last_outcome, "last_reason": d.last_reason}
                           for d in docs if d.platform_id == p.id]} for p in platforms]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("Not watching any platform yet: `governance-watcher watch ID` (see `catalog`).")
    for row in rows:
        print(f"{row['id']:22s} {row['name']}")
        for d in row["documents"]:
            state = d["last_outcome"] or "never checked"
            print(f"{'':22s}   - {d['type']}: {state}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from watcher_app.watchlist import import_declaration

    db = _open(args)
    for path in args.files:
        platform = import_declaration(db, path)
        print(f"imported {platform.id} ({platform.name}), watched")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from watcher_app.cycle import run_checks
    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor
    from watcher_app.watchlist import active_documents

    db = _open(args)
    docs = active_documents(args.ids or None)
    if args.ids:
        known = {d.platform_id for d in docs}
        missing = [pid for pid in args.ids if pid not in known]
        if missing:
            raise UsageError(f"not watched: {', '.join(missing)}")
    def report(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr, flush=True)

    with Fetcher() as fetcher:
        # documents of different hosts at once; every change's confirmation in one shared wait
        monitor = Monitor(db, fetcher, confirm_delay_s=args.confirm_delay)
        results = run_checks(monitor, docs, report=report)
    if args.json:
        _print_json([r.to_json() for r in results])
        return 0
    for r in results:
        extra = (f" [{r.severity}] {r.summary}" if r.outcome is Outcome.CHANGED and r.severity
                 else "")
        print(f"{r.platform:20s} {r.document:28s} {r.status:9s} {r.reason}{extra}")
    return 0


def cmd_check_worker(args: argparse.Namespace) -> int:
    """The desktop app's check process: requests on stdin, answers on stdout (isolated.py)."""
    from watcher_app.isolated import serve

    return serve(_open(args), args.confirm_delay, args.parallel)


def cmd_history(args: argparse.Namespace) -> int:
    from watcher_app.reports import history

    _open(args)
    rows = history(args.id, args.document)
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        print(f"{row['at']}  {row['document']:28s} {row['outcome']:9s} "
              f"v{row['version'] or '-':<5} {row['reason']}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from watcher_app.reports import diff_report

    _open(args)
    output = diff_report(args.id, args.type, args.from_version, args.to_version, args.format,
                         color=sys.stdout.isatty())
    sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from watcher_app.reports import find_version

    _open(args)
    version = find_version(args.id, args.type, args.version)
    print(version.text)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from watcher_app.reports import verify

    db = _open(args)
    problems, counted = verify(db)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"verified {counted['versions']} versions and {counted['snapshots']} snapshots: "
          f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from watcher_app.export import export_platform

    _open(args)
    out = export_platform(args.id, Path(args.out), args.document)
    print(f"exported {args.id} to {out} (check it with: unzip, then sha256sum -c SHA256SUMS)")
    return 0


def cmd_cite(args: argparse.Namespace) -> int:
    from watcher_app.export import citation
    from watcher_app.reports import find_version

    _open(args)
    print(citation(find_version(args.id, args.type, args.version)))
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    try:
        from watcher_app.ui.app import run_app
    except ImportError:
        build_parser().print_help()
        return 0
    return run_app(args.data_dir, minimized=args.minimized)


# --- parsing ---------------------------------------------------------------------------------


class UsageError(Exception):
    """Bad arguments: exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="governance-watcher",
        description=f"{APP_NAME}: watch platforms' terms, privacy and AI policies; get alerted "
                    "when they really change. With no command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--minimized", action="store_true",
                        help="with no command: start in the tray (used by start at login)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder of the database (default: $GOVERNANCE_WATCHER_HOME or the "
                             "user data folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("catalog", cmd_catalog, "list the bundled platforms and their documents").add_argument(
        "--json", action="store_true")
    add("watch", cmd_watch, "watch platforms (at most 10)").add_argument("ids", nargs="+",
                                                                         metavar="ID")
    add("unwatch", cmd_unwatch, "stop watching platforms (history is kept)").add_argument(
        "ids", nargs="+", metavar="ID")
    add("watching", cmd_watching, "list watched platforms").add_argument("--json",
                                                                         action="store_true")
    add("import", cmd_import, "add or replace a platform from an OTA declaration file"
        ).add_argument("files", nargs="+", metavar="FILE.json")
    p = add("check", cmd_check, "check every watched document now")
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.add_argument("--confirm-delay", type=float, default=60.0, metavar="S",
                   help="seconds before the confirming second fetch of a change (default 60)")
    p = sub.add_parser("check-worker")  # internal: the app's long-lived check process
    p.set_defaults(func=cmd_check_worker)
    p.add_argument("--confirm-delay", type=float, default=60.0)
    p.add_argument("--parallel", type=int, default=10)
    p = add("history", cmd_history, "versions, changes and checks of a platform")
    p.add_argument("id", metavar="ID")
    p.add_argument("--document", metavar="TYPE")
    p.add_argument("--json", action="store_true")
    p = add("diff", cmd_diff, "what changed between two versions of a document")
    p.add_argument("id", metavar="ID")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--from", dest="from_version", type=int, metavar="V")
    p.add_argument("--to", dest="to_version", type=int, metavar="V")
    p.add_argument("--format", choices=("text", "html", "json"), default="text")
    p = add("show", cmd_show, "print the text of a version")
    p.add_argument("id", metavar="ID")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--version", type=int, metavar="V")
    add("verify", cmd_verify, "re-hash every stored version and snapshot")
    p = add("export", cmd_export, "a verifiable ZIP of a platform's versions, snapshots, "
                                  "changes (report.html) and timeline")
    p.add_argument("id", metavar="ID")
    p.add_argument("--document", metavar="TYPE")
    p.add_argument("--out", required=True, metavar="FILE.zip")
    p = add("cite", cmd_cite, "a stable citation of a version (platform, document, date, URL, "
                              "SHA-256)")
    p.add_argument("id", metavar="ID")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--version", type=int, metavar="V")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_app)
    from watcher_app.reports import NotFound
    from watcher_app.watchlist import WatchError

    try:
        return func(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"governance-watcher: error: {exc}", file=sys.stderr)
        return 2
    except (WatchError, CatalogError, NotFound) as exc:
        print(f"governance-watcher: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `governance-watcher catalog | head`: the reader left, fine
        sys.stderr.close()
        return 0

"""Command line: `governance-watcher [--data-dir DIR] COMMAND` (a contract other tools rely on).

Exit codes: 0 done (a `check` exits 0 even when documents failed: their status says so),
1 refused or failed (a message on stderr), 2 usage error.

Everything printed goes through one sanitising writer (`terminal.SafeStream`): text from pages
and declarations can hold terminal control sequences (ESC, OSC, C1 controls, bidi overrides),
and a terminal obeys them. JSON output keeps such characters, escaped as \\uXXXX.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from watcher_app import APP_NAME, __version__
from watcher_app.catalog import CatalogError
from watcher_app.outcomes import Outcome
from watcher_app.terminal import SafeStream, json_text

if TYPE_CHECKING:
    import peewee

    from watcher_app.corrections import Judgement
    from watcher_app.settings import Settings



def _print_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")

_T = TypeVar("_T")


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def _open(args: argparse.Namespace) -> peewee.Database:
    from watcher_app.config import data_dir
    from watcher_app.store.db import open_database

    return open_database(data_dir(args.data_dir))


# --- commands --------------------------------------------------------------------------------


@overload
def _catalog_settings(args: argparse.Namespace, *, create: Literal[True]) -> Settings: ...
@overload
def _catalog_settings(args: argparse.Namespace, *, create: bool) -> Settings | None: ...
def _catalog_settings(args: argparse.Namespace, *, create: bool) -> Settings | None:
    """The saved settings when there is a database (listing never creates one)."""
    from watcher_app.config import data_dir
    from watcher_app.settings import load_settings
    from watcher_app.store.db import DB_FILENAME

    if not create and not (data_dir(args.data_dir) / DB_FILENAME).exists():
        return None
    _open(args)
    return load_settings()


def cmd_catalog(args: argparse.Namespace) -> int:
    from watcher_app.config import data_dir
    from watcher_app.ota import DEFAULT_SOURCES
    from watcher_app.ota.entries import catalog_entries

    if args.source and not args.update:
        raise UsageError("--source goes with --update")
    if args.update:
        return _catalog_update(args)
    settings = _catalog_settings(args, create=False)
    sources = settings.ota_sources if settings is not None else DEFAULT_SOURCES
    entries = catalog_entries(data_dir(args.data_dir), sources=sources)
    if args.json:
        _print_json([e.to_json() for e in entries])
        return 0
    for e in entries:
        print(f"{e.id:22s} {e.name}  [{e.origin_label}]")
        for d in e.spec.documents.values():
            print(f"{'':22s}   - {d.type}")
    return 0


def _catalog_update(args: argparse.Namespace) -> int:
    """Read OTA's declaration archives (the setting, or --source); exit 1 if one failed."""
    import datetime as dt

    from watcher_app.config import data_dir
    from watcher_app.ota.sync import note_update, update_catalog
    from watcher_app.settings import save_settings

    settings = _catalog_settings(args, create=True)
    sources = list(args.source or settings.ota_sources)
    progress = None if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    results = update_catalog(data_dir(args.data_dir), sources, progress=progress)
    if not args.source:  # the configured sources: this counts as the weekly update too
        note_update(settings, results, dt.datetime.now(dt.UTC))
        save_settings(settings)
    switched = []
    if any(r.status == "updated" for r in results):
        from watcher_app.ota.upgrade import upgrade_declarations

        # watched documents whose OTA declaration was replaced follow it (never an alert)
        switched = upgrade_declarations(_open(args), data_dir(args.data_dir))
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        for r in results:
            print(r.line())
            for skip in r.skipped if r.status == "updated" else ():
                print(f"    skipped {skip.file.split('/')[-1]}: {skip.reason}")
    for item in switched:
        print(item.line(), file=sys.stderr if args.json else sys.stdout)
    return 0 if all(r.ok for r in results) else 1


def cmd_watch(args: argparse.Namespace) -> int:
    from watcher_app.watchlist import address_notes, watch

    for platform in watch(_open(args), args.ids):
        print(f"watching {platform.id} ({platform.name})")
        for note in address_notes(platform):
            _note(note)
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
    rows: list[dict[str, Any]] = [{"id": p.id, "name": p.name, "origin": p.origin,
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
    from watcher_app.watchlist import address_notes, import_file

    db = _open(args)
    for path in args.files:
        platform, replaced = import_file(db, path, replace=args.replace)
        if replaced is not None and replaced.in_database:
            print(f"replaced {replaced.was} with {platform.id} ({platform.name}), watched: "
                  f"{replaced.summary()}")
        elif replaced is not None:  # a bundled id this database never used: nothing lost
            print(f"imported {platform.id} ({platform.name}), watched")
            _note(f"note: {platform.id!r} is also the id of {replaced.was}; this database now "
                  f"uses your file for it ({replaced.summary()})")
        else:
            print(f"imported {platform.id} ({platform.name}), watched")
        for note in address_notes(platform):
            _note(note)
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
    from watcher_app.reports import change_judgement

    for r in results:
        extra = (f" [{r.severity}] {r.summary}" if r.outcome is Outcome.CHANGED and r.severity
                 else "")
        print(f"{r.platform:20s} {r.document:28s} {r.status:9s} {r.reason}{extra}")
        judged = change_judgement(r.change) if r.outcome is Outcome.CHANGED and r.change else None
        if judged is not None:
            _print_judgement(judged, r.change)
    return 0


def _print_judgement(judged: Judgement, change_id: int | None) -> None:
    """A change's severity (whose), why, topics and the user's note, indented under its
    line."""
    lines = judged.lines()
    if change_id is not None:
        lines[0] = f"change #{change_id} \u00b7 {lines[0]}"
    for line in lines:
        print(f"    {line}")


def cmd_check_worker(args: argparse.Namespace) -> int:
    """The desktop app's check process: requests on stdin, answers on stdout (isolated.py)."""
    from watcher_app.isolated import serve

    return serve(_open(args), args.confirm_delay, args.parallel)


def cmd_history(args: argparse.Namespace) -> int:
    from watcher_app.reports import change_judgement, history, version_history

    _open(args)
    if args.versions:
        if not args.document:
            raise UsageError("--versions needs --document TYPE")
        versions = version_history(args.id, args.document)
        if args.json:
            _print_json(versions)
            return 0
        for v in versions:
            origin = "archive" if v["origin"] != "live" else "live"
            judged = change_judgement(v["change"]) if v["change"] is not None else None
            extra = (f" [{judged.short_label()}] {v['summary']}" if judged and judged.severity
                     else "")
            print(f"v{v['version']:<5} {v['captured_at']}  {origin:7s} {v['kind']:6s}{extra}")
            if judged is not None:
                _print_judgement(judged, v["change"])
        return 0
    rows = history(args.id, args.document)
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        print(f"{row['at']}  {row['document']:28s} {row['outcome']:9s} "
              f"v{row['version'] or '-':<5} {row['reason']}")
        judged = change_judgement(row["change"]["id"]) if row["change"] is not None else None
        if judged is not None:
            _print_judgement(judged, row["change"]["id"])
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    """The user's own severity, topics and note for a change (kept beside the app's)."""
    from watcher_app import corrections
    from watcher_app.reports import find_change, judgement_json

    given = [name for name in ("severity", "categories", "note") if hasattr(args, name)]
    if args.reset and given:
        raise UsageError(f"--reset goes alone (not with --{', --'.join(given)})")
    if not args.reset and not given:
        raise UsageError("give --severity, --categories or --note (or --reset)")
    db = _open(args)
    change = find_change(args.id, args.document, args.change)
    if args.reset:
        judged = corrections.reset_correction(change.id, db=db)
    else:
        keep = corrections.KEEP  # a flag not given leaves that field as it is
        judged = corrections.correct_change(
            change.id, severity=getattr(args, "severity", keep),
            categories=getattr(args, "categories", keep), note=getattr(args, "note", keep),
            db=db)
    if args.json:
        from watcher_app.store.models import Change

        fresh = Change.get_by_id(change.id)
        _print_json({"change": fresh.id, "severity": fresh.severity,
                     "categories": list(fresh.categories or []), **judgement_json(fresh)})
        return 0
    what = "reset to the app's reading" if args.reset else "corrected"
    print(f"{args.id} / {change.document.type}: change #{change.id} {what}")
    _print_judgement(judged, None)
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Import a document's history from an Open Terms Archive versions dataset."""
    import threading

    from watcher_app.backfill.run import BackfillError, Progress, backfill

    db = _open(args)
    stop = threading.Event()
    shown = [0.0]

    def progress(p: Progress) -> None:
        import time

        now = time.monotonic()
        if args.json or (now - shown[0] < 0.5 and p.phase == "importing"):
            return
        shown[0] = now
        print(p.text(), file=sys.stderr, flush=True)

    try:
        reports = backfill(db, args.id, document=args.document, dataset=args.dataset,
                           service=args.service, collection=args.collection,
                           progress=progress, cancelled=stop.is_set)
    except BackfillError as exc:
        raise RefusedError(str(exc)) from None
    except KeyboardInterrupt:
        print("interrupted: what was imported stays; run the same command to resume",
              file=sys.stderr)
        return 130
    if args.json:
        _print_json([r.to_json() for r in reports])
        return 0
    for r in reports:
        span = (f"{r.first_at:%Y-%m-%d} → {r.last_at:%Y-%m-%d}" if r.first_at and r.last_at
                else "no archived version")
        print(f"{args.id} / {r.document} ({r.service}): {r.imported} imported — "
              f"{r.changes} changes, {r.noise} noise, {r.blocked} not the policy; "
              f"{r.already} already there; archive {span}")
        if r.live_note:
            print(f"  {r.live_note}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from watcher_app.reports import diff_report

    _open(args)
    color = sys.stdout.isatty() and args.format == "text"
    output = diff_report(args.id, args.type, args.from_version, args.to_version, args.format,
                         color=color)
    output = output if output.endswith("\n") else output + "\n"
    if args.format == "json":
        output = json_text(output)
    if color and isinstance(sys.stdout, SafeStream):
        sys.stdout.trusted_write(output)  # the texts were stripped in diff_report
    else:
        sys.stdout.write(output)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from watcher_app.reports import find_version

    _open(args)
    version = find_version(args.id, args.type, args.version)
    print(version.text)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from watcher_app.config import data_dir
    from watcher_app.reports import verify
    from watcher_app.store.db import DB_FILENAME, DatabaseCorrupt, integrity_report

    path = data_dir(args.data_dir) / DB_FILENAME
    try:
        db = _open(args)
    except DatabaseCorrupt:
        found = integrity_report(path)  # read-only: what SQLite itself finds, then the advice
        for line in found:
            print(f"integrity check: {line}", file=sys.stderr)
        raise
    found = integrity_report(path)
    if found != ["ok"]:
        for line in found:
            print(f"integrity check: {line}", file=sys.stderr)
        raise DatabaseCorrupt(path, f"SQLite's integrity check found {len(found)} problem(s), "
                                    "listed above")
    print("SQLite integrity check: ok")
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
    out = export_platform(args.id, Path(args.out), args.document, force=args.force)
    print(f"exported {args.id} to {out} (check it with: unzip, then sha256sum -c SHA256SUMS)")
    return 0


def cmd_cite(args: argparse.Namespace) -> int:
    from watcher_app.export import citation
    from watcher_app.reports import find_version

    _open(args)
    print(citation(find_version(args.id, args.type, args.version)))
    return 0


def _missing_qt(exc: ImportError) -> bool:
    """Only a missing PySide6 means "no desktop app in this install"; any other import
    failure is a bug or a broken install, and must be seen."""
    name = exc.name or ""
    return isinstance(exc, ModuleNotFoundError) and (
        name.split(".")[0] in ("PySide6", "shiboken6"))


def cmd_app(args: argparse.Namespace) -> int:
    try:
        from watcher_app.ui.app import run_app
    except ImportError as exc:
        if not _missing_qt(exc):
            raise
        if args.demo:
            print("governance-watcher: --demo opens the desktop app, which needs PySide6",
                  file=sys.stderr)
            return 1
        build_parser().print_help()
        print(f"governance-watcher: the desktop app needs PySide6, which is not installed "
              f"({exc}); the commands above work without it.", file=sys.stderr)
        return 0
    if args.demo:
        from watcher_app.demo.site import Pace

        pace = Pace() if args.demo_every is None else Pace.for_edits_every(args.demo_every)
        return run_app(None, demo=pace)
    return run_app(args.data_dir, minimized=args.minimized)


# --- parsing ---------------------------------------------------------------------------------


class UsageError(Exception):
    """Bad arguments: exit status 2."""


class RefusedError(Exception):
    """A request refused or failed with a one-line reason: exit status 1."""


def _record_id(text: str) -> int:
    """A version or document number: what SQLite can hold, so a huge one is "not found"
    rather than an overflow deep inside."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text} is not a record number (1 or more)")
    return value


def _delay(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text}: give 0 to 86400 seconds")
    return value


def _correction_arg(parse: Callable[[str], _T], text: str) -> _T:
    """A `correct` flag checked by watcher_app.corrections: a refusal is a usage error (exit
    2), before the database is opened. (Imported in each flag's function: the analysis'
    vocabulary is not cheap to load, and every other command starts without it.)"""
    from watcher_app.corrections import CorrectionError

    try:
        return parse(text)
    except CorrectionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _severity(text: str) -> str | None:
    from watcher_app.corrections import parse_severity

    return _correction_arg(parse_severity, text)


def _categories(text: str) -> tuple[str, ...]:
    from watcher_app.corrections import parse_categories

    return _correction_arg(parse_categories, text)


def _note_arg(text: str) -> str | None:
    from watcher_app.corrections import clean_note

    return _correction_arg(clean_note, text)


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
    parser.add_argument("--demo", action="store_true",
                        help="open the desktop app on fictional platforms served by the app "
                             "itself, with a throw-away data folder: nothing leaves this "
                             "machine and your own data is not touched")
    parser.add_argument("--demo-every", type=float, metavar="S",
                        help="with --demo: seconds between the scheduled policy edits "
                             "(default 75; checks and confirmations follow the pace)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("catalog", cmd_catalog, "list the catalogue (bundled platforms and services synced "
                                    "from Open Terms Archive), or update it with --update")
    p.add_argument("--json", action="store_true")
    p.add_argument("--update", action="store_true",
                   help="download Open Terms Archive's declaration archives (the ota_sources "
                        "setting) and keep the valid declarations in the data folder")
    p.add_argument("--source", action="append", metavar="URL_OR_ZIP",
                   help="with --update: read this archive URL or local ZIP instead (repeatable)")
    add("watch", cmd_watch, "watch platforms (at most 10)").add_argument("ids", nargs="+",
                                                                         metavar="ID")
    add("unwatch", cmd_unwatch, "stop watching platforms (history is kept)").add_argument(
        "ids", nargs="+", metavar="ID")
    add("watching", cmd_watching, "list watched platforms").add_argument("--json",
                                                                         action="store_true")
    p = add("import", cmd_import, "add a platform from an OTA declaration file (an existing or "
                                  "bundled id is replaced only with --replace)")
    p.add_argument("files", nargs="+", metavar="FILE.json")
    p.add_argument("--replace", action="store_true",
                   help="replace a platform with the same id (says what changes; history kept)")
    p = add("check", cmd_check, "check every watched document now")
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.add_argument("--confirm-delay", type=_delay, default=60.0, metavar="S",
                   help="seconds before the confirming second fetch of a change (default 60)")
    p = sub.add_parser("check-worker")  # internal: the app's long-lived check process
    p.set_defaults(func=cmd_check_worker)
    p.add_argument("--confirm-delay", type=_delay, default=60.0)
    p.add_argument("--parallel", type=int, default=10)
    p = add("history", cmd_history, "versions, changes and checks of a platform")
    p.add_argument("id", metavar="ID")
    p.add_argument("--document", metavar="TYPE")
    p.add_argument("--versions", action="store_true",
                   help="every version of the document in time order (needs --document)")
    p.add_argument("--json", action="store_true")
    p = add("correct", cmd_correct, "your own severity, topics and note for a change, kept "
                                    "beside the app's reading (which is never overwritten)")
    p.add_argument("id", metavar="PLATFORM")
    p.add_argument("--document", required=True, metavar="TYPE")
    p.add_argument("--change", required=True, metavar="N",
                   help="the change's id (as `history` and the app show it: change #12), or "
                        "vN for the change that produced version N (`history --versions`)")
    # (not given: the attribute is absent, and the stored value stays)
    p.add_argument("--severity", type=_severity, default=argparse.SUPPRESS,
                   metavar="high|medium|low")
    p.add_argument("--categories", type=_categories, default=argparse.SUPPRESS, metavar="A,B",
                   help="topics, comma-separated (e.g. ai-training,data-sharing; the analysis' "
                        "own names: an unknown one is refused with the list)")
    p.add_argument("--note", type=_note_arg, default=argparse.SUPPRESS, metavar="TEXT",
                   help='a note kept with the change ("" removes it)')
    p.add_argument("--reset", action="store_true",
                   help="remove your severity, topics and note: the app's reading shows again")
    p.add_argument("--json", action="store_true")
    p = add("backfill", cmd_backfill, "import a watched platform's history from an Open Terms "
                                      "Archive versions dataset")
    p.add_argument("id", metavar="PLATFORM")
    p.add_argument("--document", metavar="TYPE", help="one document (default: all of them)")
    p.add_argument("--dataset", metavar="FILE_OR_URL",
                   help="the dataset ZIP (default: the latest one OTA published for the "
                        "platform's collection)")
    p.add_argument("--service", metavar="OTA_SERVICE_ID",
                   help="the platform's service id in OTA (default: its known id, else its name)")
    p.add_argument("--collection", metavar="NAME",
                   help="the OTA collection whose latest dataset to read (e.g. contrib)")
    p.add_argument("--json", action="store_true")
    p = add("diff", cmd_diff, "what changed between two versions of a document")
    p.add_argument("id", metavar="ID")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--from", dest="from_version", type=_record_id, metavar="V")
    p.add_argument("--to", dest="to_version", type=_record_id, metavar="V")
    p.add_argument("--format", choices=("text", "html", "json"), default="text")
    p = add("show", cmd_show, "print the text of a version")
    p.add_argument("id", metavar="ID")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--version", type=_record_id, metavar="V")
    add("verify", cmd_verify, "SQLite's integrity check, then re-hash every stored version and "
                              "snapshot")
    p = add("export", cmd_export, "a verifiable ZIP of a platform's versions, snapshots, "
                                  "changes (report.html) and timeline")
    p.add_argument("id", metavar="ID")
    p.add_argument("--document", metavar="TYPE")
    p.add_argument("--out", required=True, metavar="FILE.zip")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing file that is not an export of this app")
    p = add("cite", cmd_cite, "a stable citation of a version (platform, document, date, URL, "
                              "SHA-256)")
    p.add_argument("id", metavar="ID")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--version", type=_record_id, metavar="V")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _text_args(args: argparse.Namespace) -> None:
    """Bytes in argv that are not UTF-8 arrive as lone surrogates, which SQLite cannot take:
    in names (not in paths, which keep them for the file system) they become U+FFFD."""
    for name in ("id", "ids", "type", "document"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, value.encode("utf-8", "replace").decode("utf-8"))
        elif isinstance(value, list):
            setattr(args, name, [v.encode("utf-8", "replace").decode("utf-8") for v in value])


def _loaded_refusals() -> tuple[type[Exception], ...]:
    """The refusals of modules a command loaded (reports' NotFound, export's ExportRefused):
    only a command that imported them can raise them, and importing them for every command
    costs a `check` ~60 ms at start."""
    out: list[type[Exception]] = []
    for module, name in (("watcher_app.reports", "NotFound"),
                         ("watcher_app.export", "ExportRefused")):
        loaded = sys.modules.get(module)
        if loaded is not None:
            out.append(getattr(loaded, name))
    return tuple(out)


def _main(argv: Sequence[str] | None) -> int:
    from watcher_app.demo.offline import activate_from_environment

    activate_from_environment()  # a check process of a demo stays on this machine too
    parser = build_parser()
    args = parser.parse_args(argv)
    _text_args(args)
    func = getattr(args, "func", cmd_app)
    if args.demo and func is not cmd_app:
        parser.error("--demo opens the desktop app; run it without a command")
    if args.demo and args.data_dir:
        parser.error("--demo uses a throw-away data folder of its own; leave out --data-dir")
    if args.demo_every is not None and not args.demo:
        parser.error("--demo-every only applies to --demo")
    if args.demo_every is not None and not 5 <= args.demo_every <= 3600:
        parser.error("--demo-every takes 5 to 3600 seconds")
    from watcher_app.config import DataDirError
    from watcher_app.store.db import StoreError
    from watcher_app.watchlist import WatchError

    try:
        return func(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"governance-watcher: error: {exc}", file=sys.stderr)
        return 2
    except (WatchError, CatalogError, StoreError, DataDirError, RefusedError) as exc:
        print(f"governance-watcher: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `governance-watcher catalog | head`: the reader left, fine
        sys.stderr.close()
        return 0
    except Exception as exc:
        if isinstance(exc, _loaded_refusals()):
            print(f"governance-watcher: {exc}", file=sys.stderr)
            return 1
        corrupt = _as_corruption(exc, args)
        if corrupt is not None:
            print(f"governance-watcher: {corrupt}", file=sys.stderr)
            return 1
        if isinstance(exc, OSError):  # a path the user gave: unwritable, a file for a folder
            where = f" {exc.filename}" if exc.filename else ""
            print(f"governance-watcher: cannot use{where}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 1
        raise


def _as_corruption(exc: Exception, args: argparse.Namespace) -> Exception | None:
    """A damaged database found in the middle of a command (a malformed page, garbled text),
    as the same message opening it gives; None when the database is sound."""
    from watcher_app.config import data_dir
    from watcher_app.store.db import DB_FILENAME, bound_path, diagnose

    try:
        path = bound_path() or data_dir(args.data_dir) / DB_FILENAME
    except Exception:  # noqa: BLE001 - no data folder at all: nothing to diagnose
        return None
    return diagnose(path, exc)

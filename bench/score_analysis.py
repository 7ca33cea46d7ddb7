"""Score watcher_app.analysis on the texts the app itself analyses, against analysts' labels.

Usage: python bench/score_analysis.py [--data DIR] [--only SUBSTR] [--cache FILE] [-v]
       python bench/score_analysis.py --loo [--cache FILE]     # honest figures (and the fit)
       python bench/score_analysis.py --fit [--cache FILE]     # refit resources/rules/fitted.json
       python bench/score_analysis.py --replay /tmp/r1.json /tmp/r2.json
       python bench/score_analysis.py --speed

`--loo` is leave-one-document-out cross-validation: for every labelled document (a service's
terms or policy, all its labelled changes together), the fitted thresholds of
watcher_app/analysis/params.py are fitted again on the other documents only, and the held-out
document's changes are scored with them. The hand-written lexicons are the same in every fold
(they are general policy vocabulary, never derived from these sentences). It prints the LOO
figures per truth file and combined, the high<->low confusions, and the fit (thresholds fitted
on everything, scored on everything) for comparison.

The labelled real-world changes of /work/shared/realworld (53: the `changed` rows of truth.tsv,
raw captures, and of versions-truth.tsv, Open Terms Archive Markdown versions) are replayed in
this process the way shared/tools/replay.py replays them through the command line: each capture
is served from a loopback server (a Markdown version as the simple `<main>` page of replay.py's
`markdown_page`, a raw capture byte for byte, with the declaration replay.py builds), checked by
the real `Monitor` (fetch, extract, validate, compare, confirm), and every alert's stored old
and new texts are analysed with `analyze_change` - exactly the pair the app analyses.

`--replay` instead scores the `--out` JSON files of replay.py runs (the figures users get from
the installed command line, without re-running anything). The metric is replay.py's score():
micro F1 over category sets and exact severity, per truth file and combined.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(ROOT))

from watcher_app.analysis import analyze_change  # noqa: E402
from watcher_app.analysis.params import (  # noqa: E402
    CATEGORY_PARAMS,
    GRID,
    SEVERITY_PARAMS,
    Params,
    fitted_path,
)
from watcher_app.analysis.summary import (  # noqa: E402
    Reading,
    judge,
    judge_categories,
    read_change,
)

DEFAULT_DATA = Path("/work/shared/realworld")
TRUTH_FILES = ("truth.tsv", "versions-truth.tsv")


@dataclass
class Case:
    """One labelled change the app alerted on, and (in-process mode) the texts it analysed."""

    truth: str  # the truth file's name
    row: str  # local_path
    categories: frozenset[str]
    severity: str
    old_text: str = ""
    new_text: str = ""


@dataclass
class Outcome:
    case: Case
    categories: tuple[str, ...]
    severity: str
    reason: str = ""
    hits: list[tuple[str, float, tuple[str, ...]]] = field(default_factory=list)


def _cats(value: str) -> frozenset[str]:
    return frozenset(c.strip() for c in (value or "").split(",") if c.strip())


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# --- the app's texts, replayed in process ---------------------------------------------------


def load_replay_tool(path: Path) -> ModuleType:
    """shared/tools/replay.py as a module: its page server, `markdown_page` and
    `declaration_for` are what the real replay uses, so the texts are the same."""
    spec = importlib.util.spec_from_file_location("shared_replay", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documents(truth: Path, only: str) -> dict[tuple[str, ...], list[dict[str, str]]]:
    docs: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for row in _read_rows(truth):
        if only in row["local_path"]:
            docs[tuple(Path(row["local_path"]).parts[1:3])].append(row)
    return {k: sorted(v, key=lambda r: (r["timestamp"], r["local_path"]))
            for k, v in sorted(docs.items())}


def replay_cases(data: Path, truth: Path, tool: ModuleType, only: str = "",
                 log: list[str] | None = None) -> list[Case]:
    """The labelled changes of one truth file with the texts the app stored for them."""
    from watcher_app.fetch import Fetcher
    from watcher_app.monitor import Monitor
    from watcher_app.store.db import open_database
    from watcher_app.store.models import Change
    from watcher_app.watchlist import active_documents, import_declaration

    cases: list[Case] = []
    for (service, folder), rows in _documents(truth, only).items():
        first = rows[0]
        doc_type = first["document_type"].split(" #")[0]
        page = tool.Page()
        server = tool.serve(page)
        url = f"http://127.0.0.1:{server.server_address[1]}/{service}/{folder}"
        try:
            with tempfile.TemporaryDirectory(prefix="score-") as tmp:
                if first["local_path"].endswith(".md"):
                    decl = {"name": first["service"],
                            "terms": {doc_type: {"fetch": url, "select": "main"}}}
                else:
                    decl = tool.declaration_for(data, service, doc_type, url,
                                                first["timestamp"], folder)
                decl_file = Path(tmp) / f"{service}.json"
                decl_file.write_text(json.dumps(decl), encoding="utf-8")
                db = open_database(Path(tmp) / "home")
                try:
                    import_declaration(db, decl_file)
                    doc = next(d for d in active_documents() if d.type == doc_type)
                    with Fetcher() as fetcher:
                        monitor = Monitor(db, fetcher, confirm_delay_s=0, analyze=False)
                        for row in rows:
                            path = data / row["local_path"]
                            md = path.suffix == ".md"
                            page.body = (tool.markdown_page(path.read_text(encoding="utf-8"))
                                         if md else path.read_bytes())
                            page.content_type = ("application/pdf" if path.suffix == ".pdf"
                                                 else "text/html; charset=utf-8")
                            result = monitor.check(doc)
                            if row["expected"] != "changed":
                                continue
                            if result.status != "changed" or not row.get("categories"):
                                if log is not None:
                                    log.append(f"{row['local_path']}: expected changed, the app "
                                               f"said {result.status} ({result.reason})")
                                continue
                            change = Change.get_by_id(result.change)
                            cases.append(Case(truth.name, row["local_path"],
                                              _cats(row["categories"]), row["severity"],
                                              change.from_version.text, change.to_version.text))
                finally:
                    db.close()
        finally:
            server.shutdown()
            server.server_close()  # the listening socket too (warnings are errors in tests)
    return cases


def build_cases(data: Path = DEFAULT_DATA, tools: Path | None = None, only: str = "",
                cache: Path | None = None) -> list[Case]:
    """Every labelled change of both truth files, with the app's texts (from `cache` when that
    file exists; written there otherwise)."""
    if cache is not None and cache.exists():
        return [Case(c["truth"], c["row"], frozenset(c["categories"]), c["severity"],
                     c["old_text"], c["new_text"])
                for c in json.loads(cache.read_text(encoding="utf-8"))]
    tool = load_replay_tool(tools or data.parent / "tools" / "replay.py")
    # the replayed CLI renders bot walls in a browser when one is installed; so does this
    os.environ.setdefault("GOVERNANCE_WATCHER_RENDER", "1")
    log: list[str] = []
    cases = [c for name in TRUTH_FILES for c in replay_cases(data, data / name, tool, only, log)]
    for line in log:
        print(f"not scored: {line}", file=sys.stderr)
    if cache is not None:
        cache.write_text(json.dumps([c.__dict__ | {"categories": sorted(c.categories)}
                                     for c in cases]), encoding="utf-8")
    return cases


def analyze(cases: list[Case], params: Params | None = None) -> list[Outcome]:
    if params is None:
        out = []
        for case in cases:
            got = analyze_change(case.old_text, case.new_text)
            out.append(Outcome(case, got.categories, got.severity, got.severity_reason,
                               [(h.name, h.score, h.evidence) for h in got.category_hits]))
        return out
    return judge_all(cases, read_all(cases), params)


# --- fitting and leave-one-document-out ---------------------------------------------------


def read_all(cases: list[Case]) -> list[Reading]:
    """The parameter-free reading of every case (the expensive part, done once)."""
    return [read_change(c.old_text, c.new_text) for c in cases]


def judge_all(cases: list[Case], readings: list[Reading], params: Params) -> list[Outcome]:
    out = []
    for case, reading in zip(cases, readings, strict=True):
        got = judge(reading, params)
        out.append(Outcome(case, got.categories, got.severity, got.severity_reason,
                           [(h.name, h.score, h.evidence) for h in got.category_hits]))
    return out


def document_of(case: Case) -> str:
    """The document a labelled change belongs to (its service and document folder): a fold
    holds out all of a document's changes at once, whichever truth file labels them."""
    return "/".join(Path(case.row).parts[1:3])


FLIP_PENALTY = 2.0  # a high<->low confusion costs this many wrong severities when fitting


def _objective(outcomes: list[Outcome], part: str) -> float:
    if part == "categories":
        return score(outcomes)["category_f1"]
    right = sum(o.severity == o.case.severity for o in outcomes)
    flips = sum({o.severity, o.case.severity} == {"low", "high"} for o in outcomes)
    return (right - FLIP_PENALTY * flips) / max(1, len(outcomes))


def _category_f1(cases: list[Case], readings: list[Reading], params: Params) -> float:
    outcomes = [Outcome(c, judge_categories(r, params)[0], "") for c, r in
                zip(cases, readings, strict=True)]
    return score(outcomes)["category_f1"]


EXHAUSTIVE = ("cat_min", "cat_rel", "cat_strong", "cat_max")  # searched jointly
SMOOTH = True  # categories: fit the smoothed F1 (see fit)
MARGIN = 0.005  # categories: a threshold moves only for a gain above this (see fit)


def fit(cases: list[Case], readings: list[Reading], start: Params | None = None,
        sweeps: int = 3) -> Params:
    """The thresholds that score best on these cases, from the small grid of params.GRID: the
    main category thresholds (EXHAUSTIVE) searched jointly, every other parameter one at a
    time. Each sweep scores every such move from the current point and takes the best one when
    it gains more than the margin (MARGIN for the categories); of the moves within the margin
    of the best, the one nearest the defaults. A few sweeps of both. Categories by micro F1;
    severity by exact severity with a high<->low confusion costing FLIP_PENALTY."""
    params = start or Params()
    raw: dict[Params, float] = {}

    def category_f1(p: Params) -> float:
        if p not in raw:
            raw[p] = _category_f1(cases, readings, p)
        return raw[p]

    def categories(p: Params) -> float:
        # the mean over the point and its grid neighbours (one step of one parameter): a
        # threshold on a broad plateau is kept over a narrow peak, which a few documents
        # more or less would move (a fold's fit then wanders between neighbouring values)
        if not SMOOTH:
            return category_f1(p)
        values = [category_f1(p)]
        for name in CATEGORY_PARAMS:
            grid = GRID[name]
            i = grid.index(getattr(p, name))
            values += [category_f1(p.with_(**{name: grid[j]}))
                       for j in (i - 1, i + 1) if 0 <= j < len(grid)]
        return sum(values) / len(values)

    def severity(p: Params) -> float:
        return _objective(judge_all(cases, readings, p), "severity")

    joint = [dict(zip(EXHAUSTIVE, values, strict=True))
             for values in itertools.product(*(GRID[n] for n in EXHAUSTIVE))]
    for names, objective in ((CATEGORY_PARAMS, categories), (SEVERITY_PARAMS, severity)):
        best = objective(params)
        for _ in range(sweeps):
            improved = False
            singles = [n for n in names if n not in EXHAUSTIVE]
            candidates = [{n: v} for n in singles for v in GRID[n]]
            if names is CATEGORY_PARAMS:
                candidates = joint + candidates
            margin = MARGIN if names is CATEGORY_PARAMS else 1e-9
            scored = [(objective(c), c) for c in (params.with_(**ch) for ch in candidates)]
            top = max(got for got, _ in scored)
            if top > best + margin:
                # of the candidates within `margin` of the best, the one closest to the
                # hand-set defaults: a tie is not evidence for moving a threshold
                near = [(got, c) for got, c in scored if got >= top - margin]
                best, params = min(near, key=lambda pair: _distance_from_defaults(pair[1]))
                improved = True
            if not improved:
                break
    return params


def _distance_from_defaults(p: Params) -> int:
    default = Params()
    return sum(abs(GRID[n].index(getattr(p, n)) - GRID[n].index(getattr(default, n)))
               for n in GRID if getattr(default, n) in GRID[n])


def leave_one_document_out(cases: list[Case], readings: list[Reading],
                           log: bool = False) -> list[Outcome]:
    """Every case scored with thresholds fitted without its own document."""
    docs = sorted({document_of(c) for c in cases})
    out: dict[int, Outcome] = {}
    for doc in docs:
        train = [k for k, c in enumerate(cases) if document_of(c) != doc]
        test = [k for k, c in enumerate(cases) if document_of(c) == doc]
        params = fit([cases[k] for k in train], [readings[k] for k in train])
        if log:
            print(f"fold {doc}: {params}", file=sys.stderr)
        for k, o in zip(test, judge_all([cases[k] for k in test], [readings[k] for k in test],
                                        params), strict=True):
            out[k] = o
    return [out[k] for k in range(len(cases))]


def flips(outcomes: list[Outcome]) -> list[str]:
    return [o.case.row for o in outcomes if {o.severity, o.case.severity} == {"low", "high"}]


def figures(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    out = {}
    for name in TRUTH_FILES:
        mine = [o for o in outcomes if o.case.truth == name]
        if mine:
            out[name] = score(mine) | {"high_low_flips": len(flips(mine))}
    out["combined"] = score(outcomes) | {"high_low_flips": len(flips(outcomes))}
    return out


def print_figures(title: str, figs: dict[str, dict[str, float]]) -> None:
    print(title)
    for name, m in figs.items():
        print(f"  {name:20} category_f1={m['category_f1']:.3f} "
              f"severity_exact={m['severity_exact']:.3f} high<->low={m['high_low_flips']} "
              f"over {m['n']} changes")


def run_loo(cases: list[Case], verbose: bool = False) -> dict[str, dict[str, dict[str, float]]]:
    """LOO and fit figures (both printed)."""
    readings = read_all(cases)
    loo = leave_one_document_out(cases, readings, log=verbose)
    if verbose:
        report(loo)
    params = fit(cases, readings)
    fitted = judge_all(cases, readings, params)
    result = {"loo": figures(loo), "fit": figures(fitted)}
    print_figures("leave-one-document-out (thresholds fitted without the held-out document):",
                  result["loo"])
    print_figures(f"fit (thresholds fitted on all {len(cases)} changes): {params}",
                  result["fit"])
    print_breakdown(loo, [len(r.diff.edits) for r in readings])
    return result


SIZE_BUCKETS = ((0, 5), (6, 30), (31, 10**9))  # edited sentences (the diff's edits)


def print_breakdown(outcomes: list[Outcome], sizes: list[int]) -> None:
    """The LOO figures by the change's size, and per category (tp/fp/fn, precision, recall):
    the tables of bench/README.md."""
    print("leave-one-document-out by size (edited sentences):")
    for low, high in SIZE_BUCKETS:
        mine = [o for o, n in zip(outcomes, sizes, strict=True) if low <= n <= high]
        if mine:
            m = score(mine)
            label = f"{low}-{high}" if high < 10**9 else f"more than {low - 1}"
            print(f"  {label:20} category_f1={m['category_f1']:.3f} "
                  f"severity_exact={m['severity_exact']:.3f} over {m['n']} changes")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # labelled, tp, fp, fn
    for o in outcomes:
        want, have = o.case.categories, set(o.categories)
        for c in want:
            counts[c][0] += 1
        for c in want & have:
            counts[c][1] += 1
        for c in have - want:
            counts[c][2] += 1
        for c in want - have:
            counts[c][3] += 1
    print("leave-one-document-out per category: labelled tp/fp/fn precision recall")
    for c, (n, tp, fp, fn) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        recall = f"{tp / n:.2f}" if n else "-"
        print(f"  {c:20} {n:3} {tp}/{fp}/{fn} {precision} {recall}")


def write_fit(cases: list[Case], path: Path | None = None) -> Params:
    readings = read_all(cases)
    params = fit(cases, readings)
    target = path or fitted_path()
    target.write_text(json.dumps({
        "comment": "Thresholds fitted by bench/score_analysis.py --fit on the labelled changes "
                   "of ../shared/realworld (truth.tsv + versions-truth.tsv). Only these "
                   "numbers are fitted; lexicons and acts are hand-written. Refit after "
                   "changing the rules.",
        "changes": len(cases),
        "params": params.to_json(),
    }, indent=2) + "\n", encoding="utf-8")
    return params


def from_replay_json(paths: list[Path]) -> list[Outcome]:
    """The true alerts of replay.py `--out` files, as replay.py's score() counts them."""
    out = []
    for path in paths:
        for r in json.loads(path.read_text(encoding="utf-8"))["results"]:
            if not (r["expected"] == "changed" and r["got"] == "changed" and r.get("categories")):
                continue
            got = r.get("got_analysis") or {}
            name = "versions-truth.tsv" if r.get("previous_path") is not None else "truth.tsv"
            case = Case(name, r["local_path"], _cats(r["categories"]), r.get("severity", ""))
            out.append(Outcome(case, tuple(got.get("categories") or ()),
                               str(got.get("severity") or "").lower()))
    return out


# --- scoring -------------------------------------------------------------------------------


def score(outcomes: list[Outcome]) -> dict[str, float]:
    """Micro F1 over category sets and exact severity, as shared/tools/replay.py's score()."""
    tp = fp = fn = sev_ok = sev_n = 0
    for o in outcomes:
        want, have = o.case.categories, set(o.categories)
        tp += len(want & have)
        fp += len(have - want)
        fn += len(want - have)
        if o.case.severity:
            sev_n += 1
            sev_ok += o.severity == o.case.severity
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "category_f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "severity_exact": round(sev_ok / sev_n, 3) if sev_n else 0.0,
        "n": len(outcomes),
    }


def report(outcomes: list[Outcome], verbose: bool = False) -> dict[str, dict[str, float]]:
    """Print expected vs got per row, then the figures per truth file and combined."""
    for o in outcomes:
        mark = "ok " if set(o.categories) == o.case.categories else "   "
        sev = "ok " if o.severity == o.case.severity else "XX "
        print(f"{mark}{sev}{o.case.row}")
        print(f"      expected {','.join(sorted(o.case.categories))} / {o.case.severity}")
        print(f"      got      {','.join(o.categories)} / {o.severity}"
              + (f"  ({o.reason})" if o.reason else ""))
        if verbose:
            for name, value, evidence in o.hits:
                print(f"        {name} {value:.1f} {list(evidence[:2])}")
    figures = {}
    for name in TRUTH_FILES:
        mine = [o for o in outcomes if o.case.truth == name]
        if mine:
            figures[name] = m = score(mine)
            print(f"{name}: category_f1={m['category_f1']} "
                  f"severity_exact={m['severity_exact']} over {m['n']} changes")
    figures["combined"] = m = score(outcomes)
    print(f"category_f1={m['category_f1']} severity_exact={m['severity_exact']} "
          f"over {m['n']} changes")
    return figures


def run(data: Path = DEFAULT_DATA, verbose: bool = False, only: str = "",
        cache: Path | None = None) -> tuple[dict[str, dict[str, float]], list[Outcome]]:
    outcomes = analyze(build_cases(data, only=only, cache=cache))
    return report(outcomes, verbose), outcomes


# --- speed -----------------------------------------------------------------------------------

_WORDS = ("we you your data information service account content use share collect keep "
          "provide partners settings request law court dispute terms policy days months "
          "process personal services third parties access delete rights choose features "
          "messages location device payments subscription notice changes age children").split()


def synthetic_policy(size: int, seed: int) -> str:
    """A deterministic policy-like text of about `size` characters (headings, items, rows)."""
    rng = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < size:
        k = len(lines)
        if k % 25 == 0:
            line = f"## {k // 25 + 1}. " + " ".join(rng.choices(_WORDS, k=4)).capitalize()
        elif k % 7 == 0:
            line = "- " + " ".join(rng.choices(_WORDS, k=rng.randint(6, 14))) + "."
        elif k % 31 == 0:
            line = "| " + " | ".join(" ".join(rng.choices(_WORDS, k=3)) for _ in range(3)) + " |"
        else:
            line = " ".join(" ".join(rng.choices(_WORDS, k=rng.randint(10, 25))).capitalize()
                            + "." for _ in range(rng.randint(1, 4)))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def _edited(text: str, every: int, seed: int) -> str:
    """`text` with one paragraph in `every` changed (a sentence appended, or a period
    lengthened), at seeded random places."""
    rng = random.Random(seed)
    lines = text.split("\n")
    for i in rng.sample(range(len(lines)), len(lines) // every):
        lines[i] = (lines[i] + " We may share your messages with advertising partners."
                    if i % 2 else lines[i].replace(" days", " months") + " Also logs.")
    return "\n".join(lines)


def _paragraphs(n: int, seed: int) -> str:
    """n short paragraphs of policy words (the shape of issue 12: many small paragraphs)."""
    rng = random.Random(seed)
    return "\n".join(" ".join(rng.choices(_WORDS, k=rng.randint(6, 14))).capitalize() + f" {i}."
                     for i in range(n))


def speed(runs: int = 5) -> None:
    """Median and min time of analyze_change: ~300 KB texts (the target: well under a second),
    and very large pages (3 MB, and 50,000 paragraphs) with 10% of paragraphs changed, which
    must finish in a few seconds (the paragraph alignment has a time budget, and the reading
    samples a wholesale rewrite)."""
    old = synthetic_policy(300_000, 1)
    lines = old.split("\n")
    for i in range(40, len(lines), 150):  # ~20 paragraphs edited, a few sentences added
        lines[i] += " We may share your messages with advertising partners."
    for i in range(90, len(lines), 300):
        lines[i] = lines[i].replace(" days", " months")
    big = synthetic_policy(3_000_000, 3)
    many = _paragraphs(50_000, 4)
    cases = {"similar ~300 KB (edits in ~30 paragraphs)": (old, "\n".join(lines), runs),
             "wholesale rewrite ~300 KB (unrelated texts)": (old, synthetic_policy(300_000, 2),
                                                             runs),
             "~3 MB, 10% of paragraphs changed": (big, _edited(big, 10, 5), 3),
             "50,000 paragraphs (~4 MB), 5,000 changed": (many, _edited(many, 10, 6), 3)}
    for name, (a, b, n) in cases.items():
        times = []
        coarse = False
        for _ in range(n):
            start = time.perf_counter()
            coarse = analyze_change(a, b).coarse
            times.append(time.perf_counter() - start)
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f} ms over {n} runs"
              + (" (coarse)" if coarse else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", default="", help="keep documents whose path contains this")
    parser.add_argument("--cache", type=Path,
                        help="keep the replayed texts in this JSON file (reused when it exists: "
                             "delete it after a change to fetching, extraction or comparison)")
    parser.add_argument("--replay", type=Path, nargs="+", metavar="OUT_JSON",
                        help="score replay.py --out files instead of replaying in process")
    parser.add_argument("--speed", action="store_true", help="time analyze_change instead")
    parser.add_argument("--loo", action="store_true",
                        help="leave-one-document-out figures, and the fit for comparison")
    parser.add_argument("--fit", action="store_true",
                        help="fit the thresholds on every labelled change and write them to "
                             "resources/rules/fitted.json")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.speed:
        speed()
        return 0
    if args.replay:
        report(from_replay_json(args.replay))
        return 0
    if not (args.data / "truth.tsv").exists():
        print(f"no labelled data at {args.data}", file=sys.stderr)
        return 2
    if args.loo or args.fit:
        cases = build_cases(args.data, only=args.only, cache=args.cache)
        if args.fit:
            print(f"fitted: {write_fit(cases)}")
        if args.loo:
            run_loo(cases, args.verbose)
        return 0
    run(args.data, args.verbose, args.only, args.cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

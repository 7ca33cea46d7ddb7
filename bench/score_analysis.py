"""Score watcher_app.analysis against the analyst's labels of real policy changes.

Usage: python bench/score_analysis.py [--data /work/shared/realworld] [--golden] [-v]
       python bench/score_analysis.py --speed

For every `changed` row of versions-truth.tsv the pair is (previous_path, local_path), two Open
Terms Archive Markdown files converted to the normalised text format. For every `changed` row of
truth.tsv (raw HTML snapshots) the pair is the previous non-blocked capture and this one,
extracted with watcher_app.extract.extract_document when it exists (and --golden is not given),
otherwise OTA's own `version-golden` Markdown nearest in time (at or before each capture).
The metric is the one of shared/tools/replay.py's score(): micro F1 over category sets and
exact severity.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(ROOT))

from watcher_app.analysis import Analysis, analyze_change  # noqa: E402

DEFAULT_DATA = Path("/work/shared/realworld")


# --- Markdown -> normalised text ---------------------------------------------------------

_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")
_ATX = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_EMPH = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad\ufeff"))
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u00a0": " "})


def _inline(text: str) -> str:
    text = text.replace("<br>", " ").replace("<br/>", " ")
    text = _IMAGE.sub(r"\1", text)
    for _ in range(2):  # links inside emphasis and emphasis inside links
        text = _LINK.sub(r"\1", text)
        text = _EMPH.sub(r"\2", text)
    text = _ESCAPE.sub(r"\1", text).translate(_INVISIBLE).translate(_QUOTES)
    return " ".join(text.split())


def markdown_to_text(md: str) -> str:
    """OTA Markdown -> the normalised text of docs/dev/text-format.md (close enough to score)."""
    lines = md.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    para: list[str] = []
    kind = "para"

    def flush() -> None:
        nonlocal para, kind
        text = _inline(" ".join(para))
        if text:
            out.append(f"- {text}" if kind == "item" else text)
        para, kind = [], "para"

    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _SETEXT.match(line) and not para:
            continue  # underline already consumed with its heading
        if line.strip() and not line.lstrip().startswith(("|", "#")) and \
                _SETEXT.match(nxt) and not _ITEM.match(line) and not _SETEXT.match(line):
            flush()
            level = 1 if nxt.strip().startswith("=") else 2
            title = _inline(line)
            if title:
                out.append(f"{'#' * level} {title}")
            continue
        if not line.strip():
            flush()
            continue
        m = _ATX.match(line)
        if m:
            flush()
            title = _inline(m.group(2))
            if title:
                out.append(f"{'#' * len(m.group(1))} {title}")
            continue
        if line.lstrip().startswith("|"):
            flush()
            cells = [_inline(c) for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-*:?", c) for c in cells):
                continue  # separator or empty header row
            out.append("| " + " | ".join(cells) + " |")
            continue
        m = _ITEM.match(line)
        if m and not _SETEXT.match(line):
            flush()
            para, kind = [m.group(1)], "item"
            continue
        para.append(line.strip())
    flush()
    return "\n".join(out)


# --- building the pairs --------------------------------------------------------------------


@dataclass
class Case:
    row: str  # local_path
    old_text: str
    new_text: str
    categories: frozenset[str]
    severity: str
    source: str  # how the pair was built


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _cats(value: str) -> frozenset[str]:
    return frozenset(c.strip() for c in value.split(",") if c.strip())


def _md(data: Path, rel: str) -> str:
    return markdown_to_text((data / rel).read_text(encoding="utf-8"))


def _extractor() -> Callable[..., str] | None:
    """watcher_app.extract.extract_document as bytes -> normalised text, if it exists."""
    try:
        from watcher_app import extract
    except Exception:  # the extractor may be half-written; fall back to golden files
        return None
    function = getattr(extract, "extract_document", None)
    if function is None:
        return None

    def to_text(body: bytes, select: list, remove: list) -> str:
        result = function(body, select, remove)
        lines = getattr(result, "lines", None)  # an Extracted, or already the text
        return "\n".join(lines) if lines is not None else str(result)

    return to_text


def _declaration(data: Path, snapshot: str) -> tuple[list, list] | None:
    """(select, remove) for a snapshot path, from the declaration valid at its date."""
    parts = Path(snapshot).parts  # snapshots/<service>/<doc>[--<source>]/<ts>.html
    service, doc_dir, stamp = parts[1], parts[2], Path(parts[3]).stem
    doc_slug, _, source_slug = doc_dir.partition("--")
    path = data / "declarations" / f"{service}.json"
    if not path.exists():
        return None
    decl = json.loads(path.read_text(encoding="utf-8"))
    terms = decl.get("terms") or decl.get("documents") or {}
    doc_type = next((t for t in terms if t.lower().replace(" ", "-") == doc_slug), None)
    if doc_type is None:
        return None
    doc = terms[doc_type]
    history = data / "declarations" / f"{service}.history.json"
    if history.exists():
        when = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if "-" not in stamp else stamp
        for old in json.loads(history.read_text(encoding="utf-8")).get(doc_type, []):
            if when < old.get("validUntil", ""):
                doc = old
                break
    sources = doc.get("combine") or [doc]
    source = sources[0]
    if source_slug:
        source = next((s for s in sources
                       if source_slug.replace("policies-", "") in s.get("fetch", "")), source)
    select = source.get("select", doc.get("select", []))
    remove = source.get("remove", doc.get("remove", []))
    return list(select), list(remove)


def _golden(data: Path, manifest: list[dict[str, str]], snapshot: str, stamp: str) -> str | None:
    folder = "/".join(Path(snapshot).parts[1:3]).split("--")[0]
    goldens = sorted((r["timestamp"], r["local_path"]) for r in manifest
                     if r["kind"] == "version-golden" and f"/{folder}/" in r["local_path"])
    before = [p for t, p in goldens if t <= stamp]
    chosen = before[-1] if before else (goldens[0][1] if goldens else None)
    return _md(data, chosen) if chosen else None


def build_cases(data: Path = DEFAULT_DATA, use_extractor: bool = True) -> list[Case]:
    cases: list[Case] = []
    for row in _read_rows(data / "versions-truth.tsv"):
        if row["expected"] != "changed":
            continue
        cases.append(Case(row["local_path"], _md(data, row["previous_path"]),
                          _md(data, row["local_path"]), _cats(row["categories"]),
                          row["severity"], "markdown"))
    manifest = _read_rows(data / "MANIFEST.tsv")
    extract = _extractor() if use_extractor else None
    rows = _read_rows(data / "truth.tsv")
    by_doc: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_doc.setdefault(str(Path(row["local_path"]).parent), []).append(row)
    for doc_rows in by_doc.values():
        doc_rows.sort(key=lambda r: r["timestamp"])
        previous: dict[str, str] | None = None
        for row in doc_rows:
            if row["expected"] == "changed" and previous is not None:
                case = _snapshot_case(data, manifest, extract, previous, row)
                if case is not None:
                    cases.append(case)
            if row["expected"] != "blocked":
                previous = row
    return cases


def _snapshot_case(data: Path, manifest: list[dict[str, str]], extract: Callable | None,
                   previous: dict[str, str], row: dict[str, str]) -> Case | None:
    old_path, new_path = previous["local_path"], row["local_path"]
    decl = _declaration(data, new_path)
    if extract is not None and decl is not None and new_path.endswith(".html"):
        try:
            old = extract((data / old_path).read_bytes(), decl[0], decl[1])
            new = extract((data / new_path).read_bytes(), decl[0], decl[1])
            return Case(new_path, old, new, _cats(row["categories"]), row["severity"], "extract")
        except Exception as exc:  # a half-finished extractor must not stop the benchmark
            print(f"extract failed for {new_path}: {exc}; using golden Markdown", file=sys.stderr)
    old_g = _golden(data, manifest, old_path, previous["timestamp"])
    new_g = _golden(data, manifest, new_path, row["timestamp"])
    if old_g is None or new_g is None:
        return None
    return Case(new_path, old_g, new_g, _cats(row["categories"]), row["severity"], "golden")


# --- scoring -------------------------------------------------------------------------------


def score(results: list[tuple[Case, Analysis]]) -> dict[str, float]:
    """Micro F1 over category sets and exact severity, as shared/tools/replay.py's score()."""
    tp = fp = fn = sev_ok = 0
    for case, got in results:
        have = set(got.categories)
        tp += len(case.categories & have)
        fp += len(have - case.categories)
        fn += len(case.categories - have)
        sev_ok += got.severity == case.severity
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "category_f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "severity_exact": round(sev_ok / len(results), 3) if results else 0.0,
        "n": len(results),
    }


def run(data: Path = DEFAULT_DATA, use_extractor: bool = True,
        verbose: bool = False) -> tuple[dict[str, float], list[tuple[Case, Analysis]]]:
    results = [(c, analyze_change(c.old_text, c.new_text))
               for c in build_cases(data, use_extractor)]
    for case, got in results:
        mark = "ok " if set(got.categories) == case.categories else "   "
        sev = "ok " if got.severity == case.severity else "XX "
        print(f"{mark}{sev}{case.row} [{case.source}]")
        print(f"      expected {','.join(sorted(case.categories))} / {case.severity}")
        print(f"      got      {','.join(got.categories)} / {got.severity}"
              f"  ({got.severity_reason})")
        if verbose:
            for hit in got.category_hits:
                print(f"        {hit.name} {hit.score:.1f} {hit.evidence[:2]}")
    return score(results), results


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


def speed(runs: int = 7) -> None:
    """Median and min time of analyze_change on ~300 KB texts."""
    old = synthetic_policy(300_000, 1)
    lines = old.split("\n")
    for i in range(40, len(lines), 150):  # ~20 paragraphs edited, a few sentences added
        lines[i] += " We may share your messages with advertising partners."
    for i in range(90, len(lines), 300):
        lines[i] = lines[i].replace(" days", " months")
    cases = {"similar ~300 KB (edits in ~30 paragraphs)": (old, "\n".join(lines)),
             "wholesale rewrite ~300 KB (unrelated texts)": (old, synthetic_policy(300_000, 2))}
    for name, (a, b) in cases.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            analyze_change(a, b)
            times.append(time.perf_counter() - start)
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f} ms over {runs} runs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--golden", action="store_true",
                        help="use OTA's golden Markdown even if watcher_app.extract exists")
    parser.add_argument("--speed", action="store_true", help="time analyze_change instead")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.speed:
        speed()
        return 0
    if not (args.data / "truth.tsv").exists():
        print(f"no labelled data at {args.data}", file=sys.stderr)
        return 2
    metrics, _ = run(args.data, not args.golden, args.verbose)
    print(f"category_f1={metrics['category_f1']} severity_exact={metrics['severity_exact']} "
          f"over {metrics['n']} changes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

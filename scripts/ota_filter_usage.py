"""Which named OTA `filter` functions the declarations use, and how many of them the app runs.

    python scripts/ota_filter_usage.py ../shared/opentermsarchive/*-declarations-main.zip

Reads the declaration repositories' branch archives with zipfile (nothing is extracted). A "use"
is one document naming one filter (a name repeated in a document's sources counts once); the
share is weighed by uses, so a filter used by one odd service weighs little.
"""

from __future__ import annotations

import json
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher_app.extract.ota_filters import FILTERS, filter_name  # noqa: E402


@dataclass
class Usage:
    documents: int = 0
    documents_with_filters: int = 0
    uses: Counter[str] = field(default_factory=Counter)  # filter name → documents naming it

    @property
    def run(self) -> list[str]:
        return sorted(name for name in self.uses if name in FILTERS)

    @property
    def share_of_uses_run(self) -> float:
        total = sum(self.uses.values())
        return sum(self.uses[name] for name in self.run) / total if total else 1.0


def _document_filters(document: dict) -> set[str]:
    sources = document.get("combine") if isinstance(document.get("combine"), list) else []
    names = set()
    for holder in [document, *sources]:
        if not isinstance(holder, dict):
            continue
        value = holder.get("filter") or []
        for spec in value if isinstance(value, list) else [value]:
            if isinstance(spec, str | dict) and filter_name(spec):
                names.add(filter_name(spec))
    return names


def usage(archives: list[Path]) -> Usage:
    out = Usage()
    for archive in archives:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if ("/declarations/" not in name or not name.endswith(".json")
                        or name.endswith(".history.json")):
                    continue
                terms = json.loads(zf.read(name)).get("terms") or {}
                for document in terms.values():
                    out.documents += 1
                    names = _document_filters(document) if isinstance(document, dict) else set()
                    out.documents_with_filters += bool(names)
                    out.uses.update(names)
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    result = usage([Path(a) for a in argv])
    total = sum(result.uses.values())
    print(f"documents: {result.documents}, naming filters: {result.documents_with_filters}")
    print(f"distinct filters: {len(result.uses)}, uses: {total}")
    print(f"run by the app: {len(result.run)} of {len(result.uses)}, "
          f"covering {result.share_of_uses_run:.1%} of the uses")
    for name, count in result.uses.most_common():
        print(f"  {count:3}  {'run ' if name in FILTERS else 'NOT '} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

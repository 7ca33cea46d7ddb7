"""The UI's layering, checked on the source (issue 13):

- widget modules read through `ui/queries.py` and write through `ui/commands.py`: no module of
  `watcher_app/ui/` but those two imports `watcher_app.store.models`;
- no code decides from the text of a reason (reasons are for people; decisions use
  `outcomes.Code`): no comparison with, substring search in or prefix test of anything
  named `reason` / `*_reason`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import watcher_app

PACKAGE = Path(watcher_app.__file__).parent
UI = PACKAGE / "ui"
DATA_LAYER = {"queries.py", "commands.py"}
MODELS = "watcher_app.store.models"
TEXT_TESTS = {"startswith", "endswith", "find", "rfind", "index", "rindex", "count",
              "partition", "split", "removeprefix", "removesuffix"}
REGEX = {"match", "search", "fullmatch", "findall", "finditer"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module an `import` or `from … import` names (relative imports resolved, names
    imported from a package counted as its submodules too)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def _ui_modules() -> list[Path]:
    return sorted(UI.glob("*.py"))


@pytest.mark.parametrize("path", _ui_modules(), ids=lambda p: p.name)
def test_widget_modules_do_not_import_the_models(path: Path) -> None:
    if path.name in DATA_LAYER:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    imported = _imported(tree, _module_name(path), path.name == "__init__.py")
    bad = sorted(m for m in imported if m == MODELS or m.startswith(MODELS + "."))
    assert not bad, (f"{path.name} imports {bad}: read through ui/queries.py, write through "
                     "ui/commands.py")


def test_the_import_check_sees_every_spelling() -> None:
    for source in ("from watcher_app.store.models import Change",
                   "from watcher_app.store import models",
                   "import watcher_app.store.models",
                   "from ..store.models import Change",
                   "from ..store import models",
                   "def f():\n    from watcher_app.store.models import Change\n"):
        imported = _imported(ast.parse(source), "watcher_app.ui.feed", False)
        assert MODELS in imported, source
    assert MODELS not in _imported(ast.parse("from watcher_app.store.db import open_database"),
                                   "watcher_app.ui.recovery", False)


def _named_reason(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else \
        node.attr if isinstance(node, ast.Attribute) else None
    return name is not None and (name == "reason" or name.endswith("_reason"))


def _text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != ""


def reason_text_tests(source: str) -> list[int]:
    """Lines that decide from a reason's text."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
                if isinstance(op, ast.In | ast.NotIn) and _named_reason(right):
                    lines.append(node.lineno)  # "blocked" in reason
                elif isinstance(op, ast.Eq | ast.NotEq) and (
                        _named_reason(left) and _text(right)
                        or _named_reason(right) and _text(left)):
                    lines.append(node.lineno)  # reason == "timeout"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in TEXT_TESTS and _named_reason(node.func.value):
                lines.append(node.lineno)  # reason.startswith("flap")
            elif node.func.attr in REGEX and any(_named_reason(a) for a in node.args):
                lines.append(node.lineno)  # re.match(r"^flap", reason)
    return sorted(set(lines))


def test_the_reason_check_sees_the_patterns() -> None:
    for source in ('reason.startswith("flap")', 'x = "blocked" in check.reason',
                   'doc.last_reason == "timeout"', '"x" != reason',
                   're.search("unconfirmed", result.reason)'):
        assert reason_text_tests(source) == [1], source
    for fine in ("reason == ''", "reason is None", "code == Code.FLAP",
                 "f'{reason}: {detail}'", "reasons.append(reason)", "len(reason) > 3"):
        assert reason_text_tests(fine) == [], fine


def test_no_code_branches_on_the_text_of_a_reason() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line in reason_text_tests(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert not offenders, "decide from outcomes.Code, not a reason's text: " + \
        ", ".join(offenders)

"""The README's install command works as written on a fresh venv (issue 10: `pip install .`
stopped with "externally-managed-environment" on a stock Debian/Ubuntu Python, and a real,
non-editable install once lacked two of the app's packages).

The command is read from README.md (the line after `<!-- run-command -->`), never copied here,
and run in a temporary folder. Adapted for a test machine with no internet, and only that:

- the venv is made by this interpreter with `--system-site-packages`, and a `.pth` file lets
  it see the test runner's own venv after its own packages, so the app's dependencies
  (PySide6 alone is ~200 MB) come from this machine instead of PyPI;
- pip reads no configuration and no index on the internet: only the local wheel stores this
  machine's pip is configured with (file:// indexes, find-links folders). pip's build isolation
  still installs the build backend the project declares (setuptools>=77) from there. Without
  such a store, an installed setuptools>=77 is used with --no-build-isolation, else the test
  is skipped (it cannot build offline);
- the last command opens the desktop app, which a test cannot click through: `--help` and
  `--version` run instead, plus an import of every module and `catalog --json` (the bundled
  resources were installed).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def marked_line(marker: str) -> str:
    """The line after `<!-- marker -->` in README.md (what .ci/run reads for the tests)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    k = lines.index(f"<!-- {marker} -->")
    return lines[k + 1].strip()


def readme_install() -> list[list[str]]:
    """The run command split into its `&&` steps, each as an argv."""
    return [shlex.split(step) for step in marked_line("run-command").split("&&")]


def local_pip_sources() -> list[str] | None:
    """pip options that reach only this machine's wheel stores, or None when there is none."""
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                         text=True, check=False).stdout
    values: list[tuple[str, str]] = []
    for line in out.splitlines():
        key, _, raw = line.partition("=")
        values += [(key.rsplit(".", 1)[-1], v) for v in raw.strip().strip("'\"").split()]
    values += [("find-links", v) for v in os.environ.get("PIP_FIND_LINKS", "").split()]
    local = [(k, v) for k, v in values if v.startswith(("file://", "/"))]
    indexes = [v for k, v in local if k.endswith("index-url")]
    links = sorted({v for k, v in local if k == "find-links"})
    if not indexes and not links:
        return None
    args = [f"--index-url={indexes[0]}"] if indexes else ["--no-index"]
    args += [f"--extra-index-url={v}" for v in indexes[1:]]
    return args + [f"--find-links={v}" for v in links]


def see_runner_packages(venv: Path) -> None:
    """Let the new venv see the packages of the environment running the tests (a venv of its
    own under .ci/run), after its own: a machine's local wheel store may lack one of the app's
    dependencies (plyer), which .ci/run installed from the package index."""
    paths = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    system = {sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})[k]
              for k in ("purelib", "platlib")}
    extra = sorted(p for p in paths - system if Path(p).is_dir())
    if not extra:
        return  # the tests run on the system's Python: --system-site-packages covers it
    [site] = (venv / "lib").glob("python*/site-packages")
    (site / "zz-test-runner.pth").write_text("\n".join(extra) + "\n", encoding="utf-8")


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no configured index may point at the internet
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.pop("PYTHONPATH", None)  # the installed copy must be what runs, not this checkout
    return env


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs exactly the README's test command: the same awk finds the same line."""
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "awk '/<!-- test-command -->/{getline; print; exit}' README.md" in script
    found = subprocess.run(["awk", "/<!-- test-command -->/{getline; print; exit}", "README.md"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    assert found == marked_line("test-command")


def test_readme_first_screen_names_venv_system_libraries_and_pipx() -> None:
    head = "\n".join(README.read_text(encoding="utf-8").splitlines()[:40])
    assert "python3 -m venv" in marked_line("run-command")
    for lib in ("python3-venv", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1", "libgl1",
                "libfontconfig1", "libdbus-1-3"):
        assert lib in head, lib
    assert "pipx install" in head


@pytest.mark.slow
def test_the_readme_install_command_installs_a_working_app(tmp_path: Path) -> None:
    steps = readme_install()
    # The shape this test adapts: make a venv, pip install the checkout, run the app.
    assert len(steps) == 3, steps
    make_venv, install, run = steps
    assert make_venv[1:3] == ["-m", "venv"] and make_venv[0].startswith("python3")
    venv = tmp_path / make_venv[3]
    assert install[:2] == [f"{make_venv[3]}/bin/pip", "install"] and install[-1] == "."
    assert run == [f"{make_venv[3]}/bin/governance-watcher"]

    env = offline_env()
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   cwd=tmp_path, env=env, check=True)
    see_runner_packages(venv)
    sources = local_pip_sources()
    if sources is None:
        try:
            import setuptools
        except ImportError:
            pytest.skip("no local wheel store and no setuptools: cannot build offline")
        if int(setuptools.__version__.split(".")[0]) < 77:
            pytest.skip("no local wheel store and setuptools < 77: cannot build offline")
        sources = ["--no-index", "--no-build-isolation"]
    pip = [str(tmp_path / install[0]), *install[1:-1], *sources, str(REPO)]
    done = subprocess.run(pip, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    app = str(tmp_path / run[0])
    helped = subprocess.run([app, "--help"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert helped.returncode == 0, helped.stderr
    assert "usage: governance-watcher" in helped.stdout and "backfill" in helped.stdout
    version = subprocess.run([app, "--version"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=120, check=True).stdout
    assert re.fullmatch(r"governance-watcher \d+\.\d+\.\d+\S*\n", version), version

    # every module of the installed copy imports (a package left out of pyproject.toml's
    # list breaks only a real install: the editable one used by the tests sees the checkout)
    probe = ("import importlib, pkgutil, watcher_app; "
             "print(watcher_app.__file__); "
             "[importlib.import_module(m.name) for m in "
             "pkgutil.walk_packages(watcher_app.__path__, 'watcher_app.') "
             "if not m.name.endswith('__main__')]")  # __main__ would open the app
    imported = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path,
                              env={**env, "QT_QPA_PLATFORM": "offscreen"},
                              capture_output=True, text=True, timeout=120, check=False)
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert imported.stdout.startswith(str(venv)), imported.stdout  # the installed copy
    catalog = subprocess.run([app, "--data-dir", str(tmp_path / "data"), "catalog", "--json"],
                             cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert catalog.returncode == 0, catalog.stderr
    assert '"anthropic"' in catalog.stdout

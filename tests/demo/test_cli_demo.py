"""The `--demo` flag of the command line: it opens the app on the demo, and refuses what
would not make sense with it (exit status 2, like every usage error)."""

from __future__ import annotations

import pytest

from watcher_app.cli import main
from watcher_app.demo.site import Pace


@pytest.mark.parametrize(("argv", "message"), [
    (["--demo", "check"], "run it without a command"),
    (["--demo", "--data-dir", "somewhere"], "leave out --data-dir"),
    (["--demo-every", "30"], "only applies to --demo"),
    (["--demo", "--demo-every", "1"], "5 to 3600 seconds"),
])
def test_demo_usage_errors(argv: list[str], message: str,
                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_demo_opens_the_app_at_its_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    import watcher_app.ui.app as app

    calls: list[tuple[object, object]] = []
    monkeypatch.setattr(app, "run_app", lambda data_dir, demo=None, **kw: calls.append(
        (data_dir, demo)) or 0)
    assert main(["--demo"]) == 0
    assert main(["--demo", "--demo-every", "20"]) == 0
    assert calls == [(None, Pace()), (None, Pace.for_edits_every(20))]

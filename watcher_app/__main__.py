"""`python -m watcher_app` does exactly what the `governance-watcher` command does."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "--webrender":
    # the browser renderer as a child process (render.py); the frozen app does the same
    from watcher_app.ui.webrender import main as webrender_main

    sys.exit(webrender_main(sys.argv[2:]))

from watcher_app.cli import main  # noqa: E402

sys.exit(main())

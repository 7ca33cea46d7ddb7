"""`python -m watcher_app` does exactly what the `governance-watcher` command does."""

import sys

from watcher_app.cli import main

sys.exit(main())

"""The Qt desktop app. Importing any part of it first guards against a reference-count bug of
the Qt binding on CPython < 3.12 (see runtime.py), so tests and scripts are covered too."""

from watcher_app.ui.runtime import guard_singleton_refcounts

guard_singleton_refcounts()

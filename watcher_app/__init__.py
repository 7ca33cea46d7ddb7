"""Governance Watcher: watches platforms' governance documents and alerts on real changes."""

__version__ = "0.1.0"
APP_NAME = "Governance Watcher"
APP_ID = "governance-watcher"

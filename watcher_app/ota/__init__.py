"""Catalogue updates from Open Terms Archive (OTA): its declaration repositories' branch
archives, downloaded with conditional GETs, validated declaration by declaration, kept in the
data folder with their source and licence, and merged with the bundled catalogue.

- `archive`: the download (ETag/304, size caps, temp file, atomic swap).
- `reader`: one archive ZIP → validated services, history, licence, what was skipped and why.
- `store`: the files in `<data folder>/ota/` and loading them back.
- `sync`: `update_catalog()` for the CLI and the app, `update_due()` for the weekly check.
- `entries`: bundled + synced services as one list (one entry per platform).
- `candidates`: the declarations a check may try for a document, newest first.

No Qt here: the desktop wiring is `watcher_app/ui/catalog_update.py`.
"""

DEFAULT_SOURCES: tuple[str, ...] = tuple(
    f"https://github.com/OpenTermsArchive/{name}-declarations/archive/refs/heads/main.zip"
    # earlier wins a tie between two collections declaring the same service (same date):
    # the EU and PGA collections are curated more closely than the general ones
    for name in ("genai-eu", "pga", "genai-contrib", "contrib")
)

"""Query values that look like secrets never leave in a citation or an export manifest; the URL
the app fetches is untouched, and ordinary query values are kept."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.loopback import LoopbackServer
from tests.paths import PAGES
from watcher_app.export import citation, export_platform
from watcher_app.fetch import Fetcher
from watcher_app.monitor import Monitor
from watcher_app.redact import redact_url
from watcher_app.store.models import Document, Version
from watcher_app.watchlist import add_custom

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_redact_url() -> None:
    assert redact_url("https://a.example/terms?lang=en&version=2024-05-01") == \
        "https://a.example/terms?lang=en&version=2024-05-01"
    assert redact_url("https://a.example/p?token=abc&lang=en") == \
        "https://a.example/p?token=REDACTED&lang=en"
    assert redact_url(f"https://a.example/p?X-Amz-Signature={TOKEN}") == \
        "https://a.example/p?X-Amz-Signature=REDACTED"
    assert redact_url(f"https://a.example/p?s={TOKEN}") == "https://a.example/p?s=REDACTED"
    assert redact_url("https://a.example/p?ref=homepage_footer_link") == \
        "https://a.example/p?ref=homepage_footer_link"
    assert redact_url("https://user:pw@a.example/x") == "https://REDACTED@a.example/x"
    assert redact_url("not a url") == "not a url"


def test_citation_and_manifest_redact_while_the_fetch_uses_the_real_url(
        db, server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/p", (PAGES / "base.html").read_bytes())
    url = server.url(f"/p?session={TOKEN}&lang=en")
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": url, "select": "main"}}})
    with Monitor(db, Fetcher(retries=0, sleep=lambda s: None), confirm_delay_s=0) as monitor:
        assert monitor.check(Document.get()).status == "first"
    assert any(TOKEN in r.path for r in server.requests)  # fetched as declared
    cited = citation(Version.get())
    assert TOKEN not in cited and "session=REDACTED&lang=en" in cited
    out = export_platform("acme", tmp_path / "acme.zip")
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        reports = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".html")]
    assert TOKEN not in json.dumps(manifest) and all(TOKEN not in r for r in reports)
    assert manifest["documents"][0]["urls"] == [server.url("/p?session=REDACTED&lang=en")]

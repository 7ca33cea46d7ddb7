"""Serving Open Terms Archive declaration archives the way GitHub does, from a loopback
server, and building small archives in memory for the cases the real ones do not show."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import OTA

COLLECTIONS = ("contrib", "genai-contrib", "genai-eu", "pga")


def fixture_archive(collection: str) -> Path:
    path = OTA / f"{collection}-declarations-main.zip"
    if not path.is_file():
        pytest.skip("../shared/opentermsarchive is absent")
    return path


def archive_path(collection: str) -> str:
    """The path GitHub serves a branch archive at."""
    return f"/OpenTermsArchive/{collection}-declarations/archive/refs/heads/main.zip"


def serve_archive(server: LoopbackServer, collection: str, body: bytes,
                  etag: str | None = None) -> str:
    """Answer with the ZIP and its ETag, or 304 when the client sends that ETag back."""
    tag = etag or '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    def answer(req: RequestInfo) -> Route:
        if req.headers.get("if-none-match") == tag:
            return Route(status=304, headers={"ETag": tag}, content_type="")
        return Route(body=body, headers={"ETag": tag}, content_type="application/zip")

    server.handler(archive_path(collection), answer)
    return server.url(archive_path(collection))


def serve_fixtures(server: LoopbackServer) -> list[str]:
    return [serve_archive(server, c, fixture_archive(c).read_bytes()) for c in COLLECTIONS]


def make_archive(collection: str, declarations: dict[str, Any], *,
                 history: dict[str, Any] | None = None,
                 date: tuple[int, int, int] = (2026, 7, 1), licence: str = "agpl",
                 raw: dict[str, bytes] | None = None) -> bytes:
    """A branch archive like GitHub's: <repo>-main/declarations/<id>.json, LICENSE, ..."""
    top = f"{collection}-declarations-main"
    files: dict[str, bytes] = {
        "LICENSE": (b"GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n"
                    if licence == "agpl" else
                    b"EUROPEAN UNION PUBLIC LICENCE v. 1.2\n"),
        "README.md": f"# Declarations of the {collection} collection\n".encode(),
        "metadata.yml": f"id: {collection}\ndeclarations: https://github.com/"
                        f"OpenTermsArchive/{collection}-declarations\n".encode(),
    }
    for sid, data in declarations.items():
        files[f"declarations/{sid}.json"] = json.dumps(data).encode()
    for sid, data in (history or {}).items():
        files[f"declarations/{sid}.history.json"] = json.dumps(data).encode()
    for name, body in (raw or {}).items():
        files[name] = body
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(*date, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, body)
    return out.getvalue()


def replace_member(archive: bytes, name_suffix: str, body: bytes) -> bytes:
    """A copy of `archive` with the member ending in `name_suffix` replaced by `body`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = body if info.filename.endswith(name_suffix) else src.read(info)
            dst.writestr(info, data)
    return out.getvalue()


def declaration(name: str, url: str, select: str = "main",
                doc_type: str = "Terms of Service") -> dict[str, Any]:
    return {"name": name, "terms": {doc_type: {"fetch": url, "select": [select]}}}

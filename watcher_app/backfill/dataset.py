"""An Open Terms Archive versions dataset: where it is published and what it holds.

OTA publishes each collection's history every week as a ZIP attached to a GitHub release of
`OpenTermsArchive/<collection>-versions`; the release API names the asset's download URL and
size. Inside, one Markdown file per recorded version, named by OTA's fetch date (UTC):

    <basename>/<Service id>/<Terms type>/<YYYY-MM-DDTHH-MM-SSZ>.md
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from watcher_app.backfill.source import USER_AGENT, DatasetError, RangeSource, open_source
from watcher_app.backfill.zipindex import Entry, ZipIndex

GITHUB_API = "https://api.github.com"
API_ENV = "GOVERNANCE_WATCHER_OTA_API"  # another API root (tests point it at a local server)
FETCH_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})(?:\.\d+)?Z\.md$")
RELEASE_TAG = re.compile(r"/releases/download/([^/]+)/")


@dataclass(frozen=True)
class Release:
    url: str
    size: int | None
    tag: str | None
    collection: str | None


@dataclass(frozen=True)
class OtaVersion:
    service: str
    terms_type: str
    fetched_at: dt.datetime  # naive UTC, as the database keeps times
    path: str  # "<Service id>/<Terms type>/<file>.md": the same in every release
    entry: Entry


def latest_release(collection: str, *, client: httpx.Client | None = None) -> Release:
    """The newest published dataset of a collection, from GitHub's release API."""
    root = os.environ.get(API_ENV, GITHUB_API).rstrip("/")
    url = f"{root}/repos/OpenTermsArchive/{collection}-versions/releases/latest"
    own = client is None
    http = client or httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=20.0,
                                  follow_redirects=True)
    try:
        response = http.get(url, headers={"Accept": "application/vnd.github+json"})
    except httpx.HTTPError as exc:
        raise DatasetError(f"cannot reach {root} to find the {collection} dataset ({exc}); "
                           "pass --dataset FILE_OR_URL") from exc
    finally:
        if own:
            http.close()
    if response.status_code == 404:
        raise DatasetError(f"Open Terms Archive publishes no dataset for the collection "
                           f"{collection!r} (no release of {collection}-versions)")
    if response.status_code != 200:
        raise DatasetError(f"the release API answered HTTP {response.status_code} for "
                           f"{collection}-versions; pass --dataset FILE_OR_URL")
    try:
        release = response.json()
        assets = [a for a in release.get("assets") or [] if str(a.get("name", "")).endswith(".zip")]
        asset = max(assets, key=lambda a: int(a.get("size") or 0))
        return Release(str(asset["browser_download_url"]), int(asset.get("size") or 0) or None,
                       str(release.get("tag_name") or "") or None, collection)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(f"the latest release of {collection}-versions has no dataset ZIP") \
            from exc


class Dataset:
    """The versions a dataset holds, from its central directory alone."""

    def __init__(self, source: RangeSource, release: Release | None = None) -> None:
        self.source = source
        self.index = ZipIndex(source)
        self.release = release
        self.basename = ""
        self._versions: dict[tuple[str, str], list[OtaVersion]] = defaultdict(list)
        for entry in self.index.entries:
            parts = entry.name.split("/")
            if len(parts) != 4:
                continue  # README.md, LICENSE, folders
            base, service, terms_type, filename = parts
            match = FETCH_DATE.match(filename)
            if match is None:
                continue
            self.basename = self.basename or base
            year, month, day, hour, minute, second = map(int, match.groups())
            when = dt.datetime(year, month, day, hour, minute, second)  # naive UTC
            self._versions[(service, terms_type)].append(
                OtaVersion(service, terms_type, when, f"{service}/{terms_type}/{filename}",
                           entry))
        if not self._versions:
            raise DatasetError(f"{source.name} is a ZIP but not an Open Terms Archive versions "
                               "dataset (no <service>/<terms type>/<date>.md entries)")
        for versions in self._versions.values():
            versions.sort(key=lambda v: v.fetched_at)

    @property
    def tag(self) -> str | None:
        if self.release is not None and self.release.tag:
            return self.release.tag
        match = RELEASE_TAG.search(getattr(self.source, "url", ""))
        return match.group(1) if match else None

    def services(self) -> list[str]:
        return sorted({service for service, _ in self._versions})

    def find_service(self, candidates: list[str], *, slug_of: str | None = None) -> str | None:
        """The first candidate the dataset holds, exactly or ignoring case; else the service
        whose platform id (its slug, as the catalogue makes them) is `slug_of`."""
        services = self.services()
        known = {s.casefold(): s for s in services}
        for name in candidates:
            if name in services:
                return name
            if name.casefold() in known:
                return known[name.casefold()]
        if slug_of:
            from watcher_app.ota.ids import slug

            return next((s for s in services if slug(s) == slug_of), None)
        return None

    def terms_types(self, service: str) -> list[str]:
        return sorted(t for s, t in self._versions if s == service)

    def versions(self, service: str, terms_type: str) -> list[OtaVersion]:
        return list(self._versions.get((service, terms_type), []))

    def close(self) -> None:
        self.source.close()


def open_dataset(location: str | None, collection: str | None, *,
                 cancelled: Callable[[], bool] | None = None) -> Dataset:
    """The dataset at a path or URL, or else the latest published one of the collection."""
    release = None
    if location is None:
        if not collection:
            raise DatasetError("no dataset given and no known Open Terms Archive collection for "
                               "this platform: pass --dataset FILE_OR_URL or --collection NAME")
        release = latest_release(collection)
        location = release.url
    source = open_source(location, cancelled=cancelled)
    try:
        return Dataset(source, release)
    except BaseException:
        source.close()
        raise

"""Choosing what to watch: the searchable catalogue, at most ten platforms at a time.

The catalogue is the bundled platforms, the services synced from Open Terms Archive (400+,
each with its origin: "OTA <collection>") and the user's own imported or custom platforms.
It is a model/view pair (`ui/catalog_model.py`) so search filters at typing speed.

Ticking an eleventh box is undone at once with a sentence saying why, so the user never builds
a selection the app would refuse. Imports and custom platforms are saved (and watched) right
away, like a file copied into a folder; catalogue ticks are applied on "Watch selected".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import peewee
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from watcher_app.catalog import CatalogError, PlatformSpec, parse_declaration
from watcher_app.config import MAX_WATCHED_PLATFORMS
from watcher_app.extract.ota_filters import document_filter_gaps
from watcher_app.fetch import Fetcher
from watcher_app.ota.entries import catalog_entries
from watcher_app.settings import load_settings
from watcher_app.ui import commands, links, queries, theme
from watcher_app.ui.catalog_model import ID_ROLE, CatalogFilter, CatalogRow, build_model
from watcher_app.ui.custom_platform import CustomPlatformDialog
from watcher_app.watchlist import ReplaceNeeded, WatchError

LIMIT_MESSAGE = (f"You can watch at most {MAX_WATCHED_PLATFORMS} platforms. Untick one first "
                 "(its history is kept).")


def data_folder(db: peewee.Database) -> Path | None:
    """The data folder is the database's folder (store/db.py)."""
    return Path(db.database).parent if db.database not in ("", ":memory:") else None


def catalogue_rows(db: peewee.Database, include_catalog: bool = True) -> list[CatalogRow]:
    """Every platform the user can pick, sorted by name: the catalogue (bundled + synced from
    OTA; left out in the demo, which offers its own platforms only) and the platforms in the
    database that it does not have (imported, custom, or an OTA service no longer synced),
    each with its origin."""
    entries = (catalog_entries(data_folder(db), sources=load_settings().ota_sources)
               if include_catalog else [])
    rows = {e.id: CatalogRow(
        e.id, e.name, e.origin, e.origin_label,
        [(d.type, [s.url for s in d.sources]) for d in e.spec.documents.values()],
        "Also declared by Open Terms Archive: " + ", ".join(f"{s} ({c})" for c, s in e.ota)
        if e.origin == "bundled" and e.ota else "", filter_notes(e.spec)) for e in entries}
    for plat in queries.stored_platforms(except_origin="bundled"):
        if plat.id in rows and plat.origin.startswith("ota:"):
            continue  # the synced entry is the same service, fresher
        try:
            spec = parse_declaration(plat.declaration, plat.id)
        except CatalogError:
            continue  # an unreadable stored declaration: nothing to show for it
        label = f"OTA {plat.origin[4:]}" if plat.origin.startswith("ota:") else \
            plat.origin.capitalize()
        rows[plat.id] = CatalogRow(plat.id, spec.name, plat.origin, label,
                                   [(d.type, [s.url for s in d.sources])
                                    for d in spec.documents.values()],
                                   gaps=filter_notes(spec))
    return sorted(rows.values(), key=lambda r: (r.name.lower(), r.id))


def filter_notes(spec: PlatformSpec) -> dict[str, tuple[str, str]]:
    """Per document: the OTA filters the app does not run, as (mark, tooltip)."""
    out = {}
    for doc_type, doc in spec.documents.items():
        gaps = document_filter_gaps(doc)
        if gaps:
            # short enough for the Origin column; the names and costs are in its tooltip
            mark = f"{len(gaps)} filter{'s' if len(gaps) != 1 else ''} not run"
            out[doc_type] = (mark, "\n".join(f"{g.name}: {g.detail}" for g in gaps))
    return out


class PickerDialog(QDialog):
    changed = Signal()  # the watched set changed (sidebar and scheduler must refresh)

    def __init__(self, db: peewee.Database, parent: QWidget | None = None, *,
                 first_run: bool = False,
                 fetcher_factory: Callable[[], Fetcher] = Fetcher,
                 include_bundled: bool = True, intro_text: str | None = None) -> None:
        super().__init__(parent)
        self.db, self.fetcher_factory = db, fetcher_factory
        self.include_bundled = include_bundled
        self.setWindowTitle("Welcome \u2014 choose what to watch" if first_run
                            else "Platforms to watch")
        self.resize(760, 640)
        intro = QLabel(
            "Pick up to ten platforms. Governance Watcher checks their documents in the "
            "background, keeps every version on this computer and tells you when one really "
            "changes." if first_run else
            "Tick the platforms to watch (at most ten). Unticking keeps their history.")
        if intro_text is not None:
            intro.setText(intro_text)
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search platforms, document types and origins…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the catalogue")
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        self.tree = QTreeView()
        self.tree.setAccessibleName("Catalogue of platforms")
        self.tree.setUniformRowHeights(True)  # lets the view skip measuring 400+ rows
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.model: QStandardItemModel | None = None
        self.proxy: CatalogFilter | None = None
        self.rows: list[CatalogRow] = []
        self.row_of: dict[str, int] = {}
        self.checked: set[str] = set()
        self._updating = False
        # only spacing: colours stay the palette's (light and dark themes)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 0px; }")
        self.sizes = QLabel()  # how many in the catalogue, and from where
        self.sizes.setAccessibleName("Catalogue size")
        self.counter = QLabel()
        self.counter.setAccessibleName("Number of platforms selected")
        self.counter.setFont(theme.bold(self.counter.font()))
        self.message = links.plain_label()  # may quote a declaration
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Picker message")
        self.message.setStyleSheet(theme.warning_style("high"))
        self.custom_btn = QPushButton(theme.icon("add"), "Add &custom platform…")
        self.import_btn = QPushButton(theme.icon("import"), "&Import declaration…")
        for b in (self.custom_btn, self.import_btn):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Watch selected")

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.sizes)
        bottom = QHBoxLayout()
        bottom.addWidget(self.custom_btn)
        bottom.addWidget(self.import_btn)
        bottom.addStretch(1)
        bottom.addWidget(self.counter)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        layout.addWidget(self.buttons)

        self.populate()
        self.search.textChanged.connect(self.apply_filter)
        self.custom_btn.clicked.connect(self.add_custom)
        self.import_btn.clicked.connect(lambda: self.import_file())
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)

    # --- content ----------------------------------------------------------------------------

    def populate(self, checked: set[str] | None = None) -> None:
        if checked is None:
            checked = queries.watched_ids()
        self.rows = catalogue_rows(self.db, self.include_bundled)
        self.row_of = {row.id: i for i, row in enumerate(self.rows)}
        self.checked = {pid for pid in checked if pid in self.row_of}
        self.model = build_model(self.rows, self.checked)
        self.model.itemChanged.connect(self._item_changed)
        self.proxy = CatalogFilter(self.model)
        self.tree.setModel(self.proxy)
        header = self.tree.header()
        header.resizeSection(0, 300)
        header.resizeSection(1, 120)
        self.proxy.set_text(self.search.text())
        ota = sum(r.origin.startswith("ota:") for r in self.rows)
        bundled = sum(r.origin == "bundled" for r in self.rows)
        self.sizes.setText(
            f"{len(self.rows)} platforms: {bundled} bundled, {ota} from Open Terms Archive"
            if ota else f"{len(self.rows)} platforms (Watch › Update catalogue adds "
                        "Open Terms Archive's)")
        self._update_counter()

    # --- what the tests and the screenshots drive, the same path as a click -----------------

    def _item(self, pid: str) -> QStandardItem:
        assert self.model is not None
        item = self.model.item(self.row_of[pid], 0)
        assert item is not None
        return item

    def checked_ids(self) -> list[str]:
        return [r.id for r in self.rows if r.id in self.checked]

    def is_checked(self, pid: str) -> bool:
        return pid in self.checked

    def set_checked(self, pid: str, checked: bool) -> bool:
        """Tick or untick like a click would; False when the tick was refused."""
        self._item(pid).setCheckState(Qt.CheckState.Checked if checked
                                      else Qt.CheckState.Unchecked)
        return (pid in self.checked) == checked

    def ids(self) -> list[str]:
        return [r.id for r in self.rows]

    def visible_ids(self) -> list[str]:
        assert self.proxy is not None
        return self.proxy.visible_ids()

    def origin_of(self, pid: str) -> str:
        return self.rows[self.row_of[pid]].origin

    def index_of(self, pid: str) -> QModelIndex:
        """The view's index of a platform (invalid when filtered out)."""
        assert self.proxy is not None
        return self.proxy.mapFromSource(self._item(pid).index())

    def reveal(self, pid: str, *, expand: bool = False) -> None:
        index = self.index_of(pid)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
            if expand:
                self.tree.expand(index)

    def apply_filter(self, text: str) -> None:
        if self.proxy is not None:
            self.proxy.set_text(text)

    def _update_counter(self) -> None:
        n = len(self.checked_ids())
        self.counter.setText(f"{n} / {MAX_WATCHED_PLATFORMS} selected")

    def _item_changed(self, item: QStandardItem) -> None:
        if self._updating or item.parent() is not None or not item.isCheckable():
            return
        pid = str(item.data(ID_ROLE))
        if item.checkState() == Qt.CheckState.Checked:
            if pid not in self.checked and len(self.checked) >= MAX_WATCHED_PLATFORMS:
                self._updating = True
                item.setCheckState(Qt.CheckState.Unchecked)  # refuse the eleventh at once
                self._updating = False
                self.message.setText(LIMIT_MESSAGE)
                return
            self.checked.add(pid)
        else:
            self.checked.discard(pid)
        self.message.clear()
        self._update_counter()

    # --- actions ------------------------------------------------------------------------------

    def apply(self) -> None:
        # Synchronous on purpose: the dialog shows a refusal in place and closes on success
        # (one short transaction: the drops and the adds together, or nothing).
        try:
            commands.set_watched(self.db, sorted(self.checked_ids()))
        except WatchError as exc:
            self.message.setText(str(exc))
            return
        self.changed.emit()
        self.accept()

    def _room_for_one(self) -> bool:
        if len(self.checked_ids()) >= MAX_WATCHED_PLATFORMS:
            self.message.setText(LIMIT_MESSAGE)
            return False
        return True

    def import_file(self, path: str | None = None) -> bool:
        """Import an OTA declaration (asks for the file unless given): it joins the list,
        ticked, and is watched only on "Watch selected" (like every other tick here)."""
        if not self._room_for_one():
            return False
        plat, error = ask_import(self, self.db, path, watch_now=False)
        if error:
            self.message.setText(error)
        if plat is None:
            return False
        self._added(plat.id)
        return True

    def add_custom(self) -> None:
        if not self._room_for_one():
            return
        dialog = CustomPlatformDialog(self.db, self, fetcher_factory=self.fetcher_factory,
                                      watch_now=False)
        dialog.added.connect(self._added)
        dialog.open()

    def _added(self, platform_id: str) -> None:
        checked = set(self.checked_ids()) | {platform_id}
        self.populate(checked)
        if platform_id in self.row_of:
            self.reveal(platform_id)
        self.message.clear()
        self._update_counter()


def ask_import(parent: QWidget, db: peewee.Database, path: str | None = None, *,
               watch_now: bool = True) -> tuple[commands.ImportedPlatform | None, str]:
    """Import an OTA declaration, asking for the file unless given: (platform, "") when
    imported, (None, "") when the user cancelled, (None, the reason) when refused. Without
    `watch_now` a new platform is stored unwatched (the picker watches it on its button)."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import a platform declaration", "",
                                              "Declarations (*.json);;All files (*)")
        if not path:
            return None, ""
    try:
        # Synchronous: the user waits on this answer (a question may follow).
        return commands.import_declaration(db, path, strict=True, watch_now=watch_now), ""
    except ReplaceNeeded as exc:
        # An existing or bundled id: say what would change, and replace only on a yes.
        repl = exc.replacement
        answer = links.message(
            parent, "question", "Replace a platform?",
            f"This file would replace {repl.was} ({repl.platform_id}).\n\nWhat changes: "
            f"{repl.summary()}.\n\nIts history is kept. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return None, ""
        try:
            return commands.import_declaration(db, path, replace=True, watch_now=watch_now), ""
        except (CatalogError, WatchError) as again:
            return None, str(again)
    except (CatalogError, WatchError) as exc:
        return None, str(exc)

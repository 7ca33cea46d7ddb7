"""Choosing what to watch: the searchable catalogue, at most ten platforms at a time.

Ticking an eleventh box is undone at once with a sentence saying why, so the user never builds
a selection the app would refuse. Imports and custom platforms are saved (and watched) right
away, like a file copied into a folder; catalogue ticks are applied on "Watch selected".
"""

from __future__ import annotations

from collections.abc import Callable

import peewee
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from watcher_app.catalog import CatalogError, PlatformSpec, bundled_catalog, parse_declaration
from watcher_app.config import MAX_WATCHED_PLATFORMS
from watcher_app.fetch import Fetcher
from watcher_app.store.models import Platform
from watcher_app.ui import theme
from watcher_app.ui.custom_platform import CustomPlatformDialog
from watcher_app.watchlist import WatchError, import_declaration, unwatch, watch

LIMIT_MESSAGE = (f"You can watch at most {MAX_WATCHED_PLATFORMS} platforms. Untick one first "
                 "(its history is kept).")


def catalogue_entries(include_bundled: bool = True) -> list[tuple[PlatformSpec, str]]:
    """Every platform the user can pick: the bundled catalogue (unless left out: the demo
    offers its own platforms only) plus imported and custom ones already in the database, as
    (spec, origin), sorted by name."""
    entries = ({pid: (spec, "bundled") for pid, spec in bundled_catalog().items()}
               if include_bundled else {})
    for plat in Platform.select().where(Platform.origin != "bundled"):
        try:
            entries[plat.id] = (parse_declaration(plat.declaration, plat.id), plat.origin)
        except CatalogError:
            continue  # an unreadable stored declaration: nothing to show for it
    return sorted(entries.values(), key=lambda e: e[0].name.lower())


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
        self.search.setPlaceholderText("Search platforms and document types…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the catalogue")
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Platform / document", "Details"])
        self.tree.setAccessibleName("Catalogue of platforms")
        self.tree.setColumnWidth(0, 300)
        self.tree.setUniformRowHeights(True)
        # only spacing: colours stay the palette's (light and dark themes)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 0px; }")
        self.counter = QLabel()
        self.counter.setAccessibleName("Number of platforms selected")
        self.counter.setFont(theme.bold(self.counter.font()))
        self.message = QLabel()
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

        self.items: dict[str, QTreeWidgetItem] = {}
        self._texts: dict[str, str] = {}  # search haystack per platform id
        self._updating = False
        self.populate()
        self.search.textChanged.connect(self.apply_filter)
        self.tree.itemChanged.connect(self._item_changed)
        self.custom_btn.clicked.connect(self.add_custom)
        self.import_btn.clicked.connect(lambda: self.import_file())
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)

    # --- content ----------------------------------------------------------------------------

    def populate(self, checked: set[str] | None = None) -> None:
        if checked is None:
            checked = {p.id for p in Platform.select().where(Platform.watched == True)}  # noqa: E712
        self._updating = True
        self.tree.clear()
        self.items.clear()
        for spec, origin in catalogue_entries(self.include_bundled):
            docs = list(spec.documents.values())
            names = [d.type for d in docs]
            detail = ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")
            if origin != "bundled":
                detail = f"({origin}) {detail}"
            item = QTreeWidgetItem([spec.name, detail])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if spec.id in checked
                               else Qt.CheckState.Unchecked)
            item.setData(0, Qt.ItemDataRole.UserRole, spec.id)
            item.setToolTip(0, f"id: {spec.id}")
            item.setToolTip(1, "\n".join(names))
            for doc in docs:
                child = QTreeWidgetItem([doc.type, doc.sources[0].url])
                child.setFlags(child.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                child.setToolTip(1, "\n".join(s.url for s in doc.sources))
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            self.items[spec.id] = item
            self._texts[spec.id] = " ".join([spec.id, spec.name, *(d.type for d in docs)]).lower()
        self._updating = False
        self.apply_filter(self.search.text())
        self._update_counter()

    def checked_ids(self) -> list[str]:
        return [pid for pid, item in self.items.items()
                if item.checkState(0) == Qt.CheckState.Checked]

    def apply_filter(self, text: str) -> None:
        words = text.lower().split()
        it = QTreeWidgetItemIterator(self.tree, QTreeWidgetItemIterator.IteratorFlag.All)
        while it.value():
            item = it.value()
            it += 1
            if item.parent() is not None:
                continue
            pid = str(item.data(0, Qt.ItemDataRole.UserRole))
            item.setHidden(not all(w in self._texts.get(pid, "") for w in words))

    def _update_counter(self) -> None:
        n = len(self.checked_ids())
        self.counter.setText(f"{n} / {MAX_WATCHED_PLATFORMS} selected")

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or item.parent() is not None or column != 0:
            return
        if item.checkState(0) == Qt.CheckState.Checked and \
                len(self.checked_ids()) > MAX_WATCHED_PLATFORMS:
            self._updating = True
            item.setCheckState(0, Qt.CheckState.Unchecked)  # refuse the 11th at once
            self._updating = False
            self.message.setText(LIMIT_MESSAGE)
        else:
            self.message.clear()
        self._update_counter()

    # --- actions ------------------------------------------------------------------------------

    def apply(self) -> None:
        wanted = set(self.checked_ids())
        watched = {p.id for p in Platform.select().where(Platform.watched == True)}  # noqa: E712
        try:
            if watched - wanted:
                unwatch(self.db, sorted(watched - wanted))
            if wanted - watched:
                watch(self.db, sorted(wanted - watched))
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
        """Import an OTA declaration (asks for the file unless given); it is watched at once."""
        if not self._room_for_one():
            return False
        plat, error = ask_import(self, self.db, path)
        if error:
            self.message.setText(error)
        if plat is None:
            return False
        self._added(plat.id)
        return True

    def add_custom(self) -> None:
        if not self._room_for_one():
            return
        dialog = CustomPlatformDialog(self.db, self, fetcher_factory=self.fetcher_factory)
        dialog.added.connect(self._added)
        dialog.open()

    def _added(self, platform_id: str) -> None:
        checked = set(self.checked_ids()) | {platform_id}
        self.populate(checked)
        item = self.items.get(platform_id)
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.scrollToItem(item)
        self.message.clear()
        self.changed.emit()


def ask_import(parent: QWidget, db: peewee.Database, path: str | None = None
               ) -> tuple[Platform | None, str]:
    """Import an OTA declaration, asking for the file unless given: (platform, "") when
    imported, (None, "") when the user cancelled, (None, the reason) when refused."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import a platform declaration", "",
                                              "Declarations (*.json);;All files (*)")
        if not path:
            return None, ""
    try:
        return import_declaration(db, path), ""
    except (CatalogError, WatchError) as exc:
        return None, str(exc)

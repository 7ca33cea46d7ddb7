"""The sidebar (ui/sidebar.py) on statuses read from a real database: the rows it builds, the
second line of each document, unread badges, navigation signals, "Check now" targets, the
selection and expanded platforms kept across a refresh, and the spinner of a running check."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from tests.support.watch_db import add_document
from tests.ui.conftest import add_versions
from watcher_app.store.models import Platform, utcnow
from watcher_app.ui.queries import DocStatus, sidebar_status
from watcher_app.ui.sidebar import KeyRole, Sidebar, doc_line

CHALLENGE = "bot challenge (Cloudflare): \u201cJust a moment\u201d"


def keys(sidebar: Sidebar) -> list[str]:
    """Every row's key, depth first, in display order."""
    out: list[str] = []

    def walk(item) -> None:  # noqa: ANN001
        out.append(str(item.data(0, KeyRole)))
        for k in range(item.childCount()):
            walk(item.child(k))

    for k in range(sidebar.topLevelItemCount()):
        walk(sidebar.topLevelItem(k))
    return out


def watched_statuses(db) -> dict[str, int]:  # noqa: ANN001
    """Two watched platforms, one unwatched, documents in every health state."""
    now = utcnow()
    docs = {
        "pending": add_document("zeta", "Terms of Service", platform_name="Zeta"),
        "ok": add_document("alpha", "Privacy Policy", platform_name="Alpha", last_check_at=now,
                           last_outcome="verified"),
        "blocked": add_document("alpha", "Terms of Service", last_check_at=now,
                                last_outcome="blocked",
                                last_reason=CHALLENGE),
        "failing": add_document("zeta", "Usage Policy", last_check_at=now, last_outcome="error",
                                last_reason="timeout", consecutive_failures=3),
        "hidden": add_document("gone", "Privacy Policy", platform_name="Gone"),
    }
    Platform.update(watched=False).where(Platform.id == "gone").execute()
    add_versions(docs["ok"], ["First text of the policy.", "Second text.", "Third text."])
    return {name: doc.id for name, doc in docs.items()}


def make_sidebar(qtbot) -> Sidebar:  # noqa: ANN001
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(300, 500)
    return sidebar


def test_rows_follow_the_watched_platforms_and_their_health(qtbot, db) -> None:  # noqa: ANN001
    ids = watched_statuses(db)
    sidebar = make_sidebar(qtbot)
    assert keys(sidebar) == ["nav:activity", "nav:alerts"]  # before any platform
    sidebar.refresh(sidebar_status())
    # platforms by name, their documents by type; an unwatched platform is not listed
    assert keys(sidebar) == [
        "nav:activity", "nav:alerts",
        "p:alpha", f"d:{ids['ok']}", f"d:{ids['blocked']}",
        "p:zeta", f"d:{ids['pending']}", f"d:{ids['failing']}"]
    assert sidebar.title_for("p:alpha") == "Alpha"
    assert sidebar.title_for(f"d:{ids['blocked']}") == "Terms of Service"
    assert sidebar.title_for("p:gone") == ""
    lines = {name: doc_line(sidebar.docs[ids[name]]) for name in ("ok", "blocked", "failing",
                                                                   "pending")}
    assert lines["ok"] == "Verified just now"
    assert lines["blocked"].startswith("Blocked: bot challenge (Cloudflare)")
    assert lines["failing"] == "Failing (3\u00d7): timeout"
    assert lines["pending"] == "Not checked yet"
    # unread changes: two on one document, summed up to its platform and to Activity
    assert sidebar.unread_for(f"d:{ids['ok']}") == 2
    assert sidebar.unread_for("p:alpha") == 2 and sidebar.unread_for("p:zeta") == 0
    assert sidebar.unread_for("nav:activity") == 2 and sidebar.unread_for("nav:alerts") == 0
    # the worst document's health is the platform's
    assert sidebar.platforms["zeta"].health == "failing"
    assert sidebar.platforms["alpha"].health == "blocked"
    tip = sidebar.topLevelItem(2).toolTip(0)
    assert "Alpha" in tip and "Blocked" in tip and "2 unread" in tip
    for key in keys(sidebar):
        assert not sidebar.icon_for(key).isNull(), key


def test_doc_line_says_when_it_was_last_verified() -> None:
    now = utcnow()
    doc = DocStatus(1, "acme", "Privacy Policy", "https://acme.example/privacy",
                    last_check_at=now - dt.timedelta(hours=5), last_outcome="verified",
                    last_reason=None, failures=0,
                    last_verified=now - dt.timedelta(hours=3))
    assert doc_line(doc) == "Verified 3 h ago"
    doc.last_verified = None  # verified is unknown: the last check says it
    assert doc_line(doc) == "Verified 5 h ago"
    doc.last_outcome, doc.last_reason = "blocked", None
    assert doc_line(doc) == "Blocked: needs attention"
    doc.last_outcome, doc.failures = "error", 1
    assert doc_line(doc) == "Failing (1\u00d7): error"


def test_selection_navigates_and_names_what_check_now_checks(qtbot, db) -> None:  # noqa: ANN001
    ids = watched_statuses(db)
    sidebar = make_sidebar(qtbot)
    sidebar.refresh(sidebar_status())
    seen: list[tuple[str, object]] = []
    sidebar.navigate.connect(lambda kind, ident: seen.append((kind, ident)))
    sidebar.select("nav:alerts")
    sidebar.select("p:zeta")
    assert sidebar.selected_documents() == [ids["pending"], ids["failing"]]
    sidebar.select(f"d:{ids['blocked']}")
    assert sidebar.selected_documents() == [ids["blocked"]]
    sidebar.select("nav:activity")
    assert sidebar.selected_documents() == []
    sidebar.select("p:gone")  # not a row: nothing happens
    assert seen == [("alerts", None), ("platform", "zeta"), ("document", ids["blocked"]),
                    ("activity", None)]
    # the keyboard walks the rows too
    sidebar.setFocus()
    qtbot.keyClick(sidebar, Qt.Key.Key_Down)
    assert seen[-1] == ("alerts", None)


def test_refresh_keeps_the_selection_and_collapsed_platforms(qtbot, db) -> None:  # noqa: ANN001
    ids = watched_statuses(db)
    sidebar = make_sidebar(qtbot)
    sidebar.refresh(sidebar_status())
    items = {str(sidebar.topLevelItem(k).data(0, KeyRole)): sidebar.topLevelItem(k)
             for k in range(sidebar.topLevelItemCount())}
    assert items["p:alpha"].isExpanded() and items["p:zeta"].isExpanded()  # first fill
    items["p:zeta"].setExpanded(False)
    sidebar.select(f"d:{ids['ok']}")
    seen: list[tuple[str, object]] = []
    sidebar.navigate.connect(lambda kind, ident: seen.append((kind, ident)))
    add_document("beta", "Cookie Policy", platform_name="Beta")
    sidebar.refresh(sidebar_status())
    assert seen == []  # a refresh is not a navigation
    assert sidebar._key(sidebar.currentItem()) == f"d:{ids['ok']}"
    top = {str(sidebar.topLevelItem(k).data(0, KeyRole)): sidebar.topLevelItem(k)
           for k in range(sidebar.topLevelItemCount())}
    assert list(top) == ["nav:activity", "nav:alerts", "p:alpha", "p:beta", "p:zeta"]
    assert top["p:alpha"].isExpanded() and not top["p:zeta"].isExpanded()
    assert not top["p:beta"].isExpanded()  # new, after the first fill: collapsed
    # a platform no longer watched takes its rows with it, and the selection falls back
    Platform.update(watched=False).where(Platform.id == "alpha").execute()
    sidebar.refresh(sidebar_status())
    assert "p:alpha" not in keys(sidebar) and f"d:{ids['ok']}" not in keys(sidebar)
    assert sidebar.selected_documents() == []


def test_a_running_check_spins_and_every_row_paints(qtbot, db) -> None:  # noqa: ANN001
    ids = watched_statuses(db)
    sidebar = make_sidebar(qtbot)
    sidebar.refresh(sidebar_status())
    sidebar.show()
    doc_item = sidebar._items[f"d:{ids['ok']}"]
    plat_item = sidebar._items["p:alpha"]
    # a document row has two lines: taller than a platform row
    assert sidebar.visualItemRect(doc_item).height() > sidebar.visualItemRect(plat_item).height()
    sidebar.set_checking(ids["ok"], True)
    assert sidebar._spin.isActive()
    qtbot.waitUntil(lambda: sidebar.frame >= 2, timeout=5000)  # the spinner turns
    sidebar.select(f"d:{ids['ok']}")  # selected, checking and with a badge: painted all the same
    assert not sidebar.grab().isNull()
    sidebar.set_checking(ids["failing"], True)
    sidebar.set_checking(ids["ok"], False)
    assert sidebar._spin.isActive() and sidebar.checking == {ids["failing"]}
    sidebar.clear_checking()
    assert not sidebar._spin.isActive() and not sidebar.checking
    assert not sidebar.grab().isNull()

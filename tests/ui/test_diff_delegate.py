"""The side-by-side diff's model, painter and overview strip (ui/diff_delegate.py), on rows the
real diff engine built: what each row says to a screen reader, folds, the HTML each side is
painted from (word highlights, moves, headings, escaping, find), row heights that hold the
painted text, and the overview strip's jumps."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from tests.ui.diff_host import DiffHost
from watcher_app.ui import theme
from watcher_app.ui.diff_delegate import PAD, ItemRole, OverviewStrip, _marked
from watcher_app.ui.diff_rows import Fold, Row


def make_host(qtbot, **kwargs) -> DiffHost:  # noqa: ANN001, ANN003
    host = DiffHost(**kwargs)
    qtbot.addWidget(host)
    host.show()
    return host


def text(host: DiffHost, pos: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> str:
    return host.model.data(host.model.index(pos, 0), role)


def test_the_model_names_each_row_and_folds_unchanged_runs(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    model = host.model
    kinds = [r.kind for r in model.rows]
    assert {"equal", "replace", "moved_away", "moved_here", "insert"} <= set(kinds)
    assert model.rowCount() == len(model.rows) and model.items == list(range(len(model.rows)))
    assert model.stops == [1, 9, 17]  # where each run of changes starts
    assert text(host, 0) == "unchanged: # Privacy Policy"
    assert text(host, 1).startswith("moved here: We never sell")
    assert text(host, 2) == ("changed: We collect your name, email address and phone number "
                             "when you register.")
    assert text(host, 10).startswith("moved away: We never sell")
    assert text(host, 17) == "added: We may train our models on your conversations."
    assert text(host, 17, Qt.ItemDataRole.AccessibleTextRole) == text(host, 17)
    assert model.data(model.index(17, 0), ItemRole) == 17
    assert model.item_at(-1) is None and model.item_at(len(model.items)) is None
    host.set_changes_only(True)
    folds = [i for i in model.items if isinstance(i, Fold)]
    assert folds == [Fold(4, 8), Fold(12, 16)]
    pos = model.items.index(folds[0])
    assert text(host, pos) == "4 unchanged paragraphs hidden"
    assert model.stops == [1, 6, 11]  # the stops follow the folded layout
    model.expand(folds[0])
    assert folds[0] not in model.items and folds[1] in model.items
    model.set_rows(model.rows)  # new rows: every fold closed again
    assert Fold(4, 8) in model.items


def test_marked_escapes_and_highlights_the_find_term() -> None:
    assert _marked("a <b> & c", "", "#ff0") == "a &lt;b&gt; &amp; c"
    marked = _marked("Data (personal) and DATA", "data", "#ff0")
    assert marked.count('<span style="background-color:#ff0">') == 2
    assert ">Data</span>" in marked and ">DATA</span>" in marked  # any case, as written
    # a term holding regex characters is searched as typed
    assert _marked("fees (in USD) apply", "(in", "#ff0") == (
        'fees <span style="background-color:#ff0">(in</span> USD) apply')


def test_each_side_is_painted_from_escaped_highlighted_html(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    delegate, rows = host.delegate, host.model.rows
    c = {k: v.name() for k, v in delegate.c.items()}
    replace = rows[2]
    new_html, old_html = delegate._html(replace, "new"), delegate._html(replace, "old")
    assert f'<span style="background-color:{c["insert+"]}">' in new_html
    assert "phone number" in new_html and c["delete+"] not in new_html
    assert f'<span style="background-color:{c["delete+"]}">' in old_html
    assert "moved to \u00b6 2" in delegate._html(rows[10], "old")  # where it went (1-based)
    assert "moved from \u00b6 10" in delegate._html(rows[1], "new")
    heading = delegate._html(rows[18], "new")
    assert "font-weight:700" in heading and "##" not in heading
    # the inline form strikes the old words through and keeps the shared ones once
    inline = delegate._html(replace, "inline")
    assert "line-through" in inline and inline.count("when you register") == 1
    deleted = Row("delete", 3, None, old_text="We may share <b>everything</b>.")
    gone = delegate._html(deleted, "inline")
    assert "line-through" in gone and "&lt;b&gt;everything&lt;/b&gt;" in gone
    assert "<b>" not in gone  # page text is never markup
    listed = delegate._html(Row("insert", None, 0, new_text="- a list item"), "new")
    assert "\u2022 a list item" in listed
    delegate.term = "conversations"
    assert c["find"] in delegate._html(rows[17], "new")


def test_row_heights_hold_the_painted_text(qtbot) -> None:  # noqa: ANN001
    long = " ".join(["We may keep and use the content you give us for these purposes."] * 12)
    host = make_host(qtbot, old=["Short.", long], new=["Short.", long + " And more."])
    delegate, option = host.delegate, QStyleOptionViewItem()
    for inline in (False, True):
        delegate.inline = inline
        delegate.clear_cache()
        for pos, item in enumerate(host.model.items):
            hint = delegate.sizeHint(option, host.model.index(pos, 0))
            for side, _, width in delegate._columns(delegate._width()):
                if side in delegate._sides(host.model.rows[item]):
                    painted = delegate._doc(item, side, width).size().height()
                    assert hint.height() >= painted + 2 * PAD, (inline, pos, side)
    delegate.inline = False
    short = delegate.sizeHint(option, host.model.index(0, 0)).height()
    tall = delegate.sizeHint(option, host.model.index(1, 0)).height()
    assert tall > 3 * short  # a long paragraph wraps over many lines
    host.resize(500, 600)
    assert delegate.sizeHint(option, host.model.index(1, 0)).height() > tall  # narrower: taller


def test_gutters_stripes_and_backgrounds_follow_the_row_kind(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    delegate, rows = host.delegate, host.model.rows
    assert delegate._numbers(rows[2], "old") == "2" and delegate._numbers(rows[2], "new") == "3"
    assert delegate._numbers(rows[1], "old") == ""  # a moved-here row has no old line
    assert delegate._numbers(rows[2], "inline") == "   2    3"
    assert delegate._numbers(rows[17], "inline") == "       17"  # no old line
    assert delegate._background(rows[0], "new") is None
    assert delegate._background(rows[2], "old") == delegate.c["delete"]
    assert delegate._background(rows[2], "inline") == delegate.c["changed"]
    assert delegate._background(rows[10], "old") == delegate.c["move"]
    assert delegate._background(rows[17], "new") == delegate.c["insert"]
    assert delegate._stripe(rows[2], "new") == theme.INSERT_HUE
    assert delegate._stripe(rows[1], "new") == theme.MOVE_HUE
    assert delegate._sides(rows[17]) == {"new"} and delegate._sides(rows[10]) == {"old"}
    delegate.inline = True
    assert delegate._sides(rows[17]) == {"inline"}
    # the text documents are cached per row, side, width and find term
    delegate.clear_cache()
    first = delegate._doc(2, "new", 300)
    assert delegate._doc(2, "new", 300) is first
    delegate.term = "phone"
    assert delegate._doc(2, "new", 300) is not first
    delegate.refresh_colors()  # a theme change drops every cached document
    assert not delegate._docs


def test_both_layouts_and_the_overview_strip_paint(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    host.view.setCurrentIndex(host.model.index(2, 0))
    assert not host.view.grab().isNull()  # side by side, with a selected row
    host.delegate.inline = True
    host.delegate.clear_cache()
    host.view.doItemsLayout()
    assert not host.view.grab().isNull()
    host.set_changes_only(True)  # folds paint too
    assert not host.view.grab().isNull()
    strip = OverviewStrip(host.view, host.model)
    qtbot.addWidget(strip)
    strip.resize(QSize(14, 280))
    strip.show()
    assert not strip.grab().isNull()
    jumps: list[int] = []
    strip.jump.connect(jumps.append)
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(7, 0))
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(7, 279))
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(7, 140))
    n = len(host.model.items)
    assert jumps == [0, n - 1, n // 2]
    host.model.set_rows([])  # an empty comparison: nothing to jump to
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(7, 140))
    assert len(jumps) == 3 and not strip.grab().isNull()

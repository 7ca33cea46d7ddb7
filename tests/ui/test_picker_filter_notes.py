"""The picker marks a document whose OTA declaration names a filter the app does not run, so
the user knows before watching it what differs from OTA's reading."""

from __future__ import annotations

from watcher_app.catalog import parse_declaration
from watcher_app.ui.catalog_model import CatalogRow, build_model
from watcher_app.ui.picker import filter_notes


def test_a_filter_the_app_does_not_run_is_marked_on_its_document(qtbot) -> None:
    spec = parse_declaration({"name": "Acme", "terms": {
        "Terms of Service": {"fetch": "https://acme.example/terms", "select": "main",
                             "filter": ["downloadImages"]},
        "Privacy Policy": {"fetch": "https://acme.example/privacy", "select": "main",
                           "filter": ["removeQueryParams"]}}}, "acme")
    notes = filter_notes(spec)
    assert list(notes) == ["Terms of Service"]  # removeQueryParams is one the app runs
    mark, why = notes["Terms of Service"]
    assert mark == "1 filter not run" and why.startswith("downloadImages: ") and "images" in why
    model = build_model([CatalogRow("acme", "Acme", "ota:contrib", "OTA contrib",
                                    [("Terms of Service", ["https://acme.example/terms"]),
                                     ("Privacy Policy", ["https://acme.example/privacy"])],
                                    gaps=notes)], set())
    platform = model.item(0, 0)
    terms = [platform.child(r, 0).text() for r in range(platform.rowCount())].index(
        "Terms of Service")
    assert platform.child(terms, 1).text() == mark
    assert platform.child(terms, 1).toolTip() == why
    assert platform.child(1 - terms, 1).text() == ""

"""The demo's built-in site: each scheduled edit produces the intended page, the cosmetic edit
is noise for the app's real comparison, and the pages are served over a real socket."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest

from watcher_app.compare import compare
from watcher_app.demo.content import LIVE_EVENTS, DocSpec, load_platforms, render_page
from watcher_app.demo.site import DemoSite, Pace, history_state, live_state, scheduled_edits
from watcher_app.extract import extract_document
from watcher_app.extract.normalize import text_words

TODAY = dt.date(2026, 3, 10)
DOCS = {d.key: (p, d) for p in load_platforms() for d in p.documents}
AI, COSMETIC = "quillmind/legal/privacy", "bazaarloop/help/legal/privacy"
RETENTION, ARBITRATION = "murmurly/privacy", "bazaarloop/help/legal/terms-of-use"
TRAINS = "We use your Content to train and improve our models"
DOES_NOT_TRAIN = "We do not use your Content to train or improve our models"
ARBITRATION_CLAUSE = "final and binding individual arbitration"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def lines(key: str, steps: int, token: str = "t0") -> list[str]:
    platform, doc = DOCS[key]
    page = render_page(platform, doc, live_state(doc, steps, TODAY),
                       lambda href: f"{href}?session={token}")
    return extract_document(page.encode(), doc.select, doc.remove).lines


def text(key: str, steps: int) -> str:
    return "\n".join(lines(key, steps))


def test_the_schedule_cycles_through_the_four_edits() -> None:
    events = [event for _, event, _ in scheduled_edits(8)]
    assert events == [*LIVE_EVENTS, *LIVE_EVENTS]
    assert LIVE_EVENTS == ("ai-training", "cosmetic", "retention", "arbitration")
    # each edit belongs to exactly one document
    owners = {event: [k for k, (_, d) in DOCS.items() if d.live == event] for event in LIVE_EVENTS}
    assert owners == {"ai-training": [AI], "cosmetic": [COSMETIC], "retention": [RETENTION],
                      "arbitration": [ARBITRATION]}


def test_each_scheduled_edit_changes_only_its_document() -> None:
    for step in range(1, 9):
        event = LIVE_EVENTS[(step - 1) % 4]
        for key, (_, doc) in DOCS.items():
            before, after = lines(key, step - 1), lines(key, step)
            assert (before != after) == (doc.live == event), (step, key)


def test_ai_training_clause_flips_and_flips_back() -> None:
    assert DOES_NOT_TRAIN in text(AI, 0) and TRAINS not in text(AI, 0)
    assert TRAINS in text(AI, 1) and DOES_NOT_TRAIN not in text(AI, 1)
    assert DOES_NOT_TRAIN in text(AI, 5) and TRAINS not in text(AI, 5)
    # every substantive revision moves the version and date line: never a flap back to an
    # earlier text, so each flip is a change the app alerts on
    assert "Version 4.2" in text(AI, 1) and "Version 4.3" in text(AI, 5)
    assert "10 March 2026" in text(AI, 1)
    verdict = compare(lines(AI, 0), lines(AI, 1))
    assert verdict.kind == "change"


def test_retention_period_changes_in_the_text_and_the_table() -> None:
    # round after round, never back to an earlier figure (that would be a flap, not a change)
    periods = ["30 days", "180 days", "2 years", "45 days"]
    for n, period in enumerate(periods):
        current = text(RETENTION, [0, 3, 7, 11][n])
        assert f"keep a copy in our backup systems for {period}," in current
        assert f"| Deleted posts and direct messages | {period} in backups |" in current
    assert compare(lines(RETENTION, 2), lines(RETENTION, 3)).kind == "change"


def test_arbitration_clause_appears_then_changes() -> None:
    assert ARBITRATION_CLAUSE not in text(ARBITRATION, 3)
    assert ARBITRATION_CLAUSE in text(ARBITRATION, 4)
    assert "Class action waiver." in text(ARBITRATION, 4)
    assert "within 30 days after you first accept" in text(ARBITRATION, 4)
    # next round: the clause stays, its opt-out deadline moves (never back to no clause)
    assert ARBITRATION_CLAUSE in text(ARBITRATION, 8)
    assert "within 45 days after you first accept" in text(ARBITRATION, 8)
    assert compare(lines(ARBITRATION, 3), lines(ARBITRATION, 4)).kind == "change"
    assert compare(lines(ARBITRATION, 7), lines(ARBITRATION, 8)).kind == "change"


def test_cosmetic_edit_changes_markup_links_and_banner_but_no_word() -> None:
    platform, doc = DOCS[COSMETIC]
    before_state, after_state = live_state(doc, 1, TODAY), live_state(doc, 2, TODAY)
    before = render_page(platform, doc, before_state, lambda h: f"{h}?session=aaa")
    after = render_page(platform, doc, after_state, lambda h: f"{h}?session=bbb")
    # markup: the redesign is undone (section headings back to h2, paragraphs as <p>)
    assert before_state.markup == 1 and after_state.markup == 0
    assert "<h3" in before and "<h3" not in after and '<div class="para">' in before
    # link targets carry other tokens
    assert "session=aaa" in before and "session=bbb" in after and "session=aaa" not in after
    # the update notice moved from the top of the policy to its bottom
    old, new = (extract_document(page.encode(), doc.select, doc.remove).lines
                for page in (before, after))
    notice = next(line for line in old if line.startswith("We updated this Privacy Policy"))
    assert old.index(notice) == 2 and new.index(notice) == len(new) - 1
    # ... and not one word of the policy changed
    assert sorted(text_words(old)) == sorted(text_words(new)) and old != new


def test_cosmetic_edit_is_noise_for_the_real_comparison() -> None:
    for step in (2, 6):  # the edit, and the edit back
        verdict = compare(lines(COSMETIC, step - 1), lines(COSMETIC, step, token="other"))
        assert verdict.kind == "noise", verdict
        assert set(verdict.noise) == {"update notice added", "update notice removed"}
    # the redesign of the past (markup only) is the same text by its words
    platform, doc = DOCS[COSMETIC]
    before, after = (extract_document(render_page(platform, doc, history_state(doc, d, TODAY),
                                                  lambda h: h).encode(),
                                      doc.select, doc.remove).lines for d in (13, 12))
    assert before != after and compare(before, after).kind == "same"


def test_history_states() -> None:
    _, doc = DOCS["murmurly/tos"]
    assert history_state(doc, 33, TODAY).outage
    assert not history_state(doc, 32, TODAY).outage and not history_state(doc, 34, TODAY).outage
    _, privacy = DOCS[AI]
    assert history_state(privacy, 76, TODAY).slot("typo") == 0
    assert history_state(privacy, 75, TODAY).slot("typo") == 1
    assert history_state(privacy, 40, TODAY).edits == 1
    assert history_state(privacy, 40, TODAY).updated == TODAY - dt.timedelta(days=40)
    assert live_state(privacy, 0, TODAY) == history_state(privacy, 0, TODAY)


def test_pace_follows_the_edit_interval() -> None:
    assert Pace() == Pace(75.0, 60, 10.0)
    fast = Pace.for_edits_every(10)
    assert fast.check_every_s < fast.edit_every_s and fast.confirm_delay_s < fast.check_every_s
    assert Pace.for_edits_every(1).edit_every_s == 5.0


@pytest.fixture
def site() -> Iterator[tuple[DemoSite, Clock]]:
    clock = Clock()
    with DemoSite(every_s=75, clock=clock, today=TODAY) as running:
        yield running, clock


def _doc(key: str) -> DocSpec:
    return DOCS[key][1]


def test_site_serves_the_schedule_over_http(site: tuple[DemoSite, Clock]) -> None:
    demo, clock = site
    url = demo.url(_doc(AI))
    assert url.startswith("http://127.0.0.1:") and url.endswith("/quillmind/legal/privacy")
    with httpx.Client() as client:
        first = client.get(url)
        assert first.status_code == 200 and "text/html" in first.headers["content-type"]
        assert DOES_NOT_TRAIN in first.text
        # per-request tokens in link targets: no two answers are the same bytes
        tokens = {re.findall(r"session=([0-9a-f]+)", client.get(url).text)[0] for _ in range(3)}
        assert len(tokens) == 3
        assert demo.next_edit() is None
        clock.now += 10 * 75  # nothing changes before the user starts watching
        assert DOES_NOT_TRAIN in client.get(url).text
        demo.start_changes()
        left, edit = demo.next_edit()  # type: ignore[misc]
        assert left == 75 and edit.event == "ai-training" and edit.platform.name == "Quillmind"
        assert "AI-training clause flips" in edit.description
        clock.now += 75
        assert demo.step == 1 and TRAINS in client.get(url).text
        assert client.get(demo.base_url + "/nowhere").status_code == 404
        assert "Quillmind" in client.get(demo.base_url + "/").text
        assert demo.edit(3).description == "a retention period changes: 30 days \u2192 180 days"
        assert demo.edit(4).description == "an arbitration clause appears"


def test_declarations_point_at_the_site(site: tuple[DemoSite, Clock]) -> None:
    from watcher_app.catalog import parse_declaration

    demo, _ = site
    for platform in demo.platforms:
        spec = parse_declaration(demo.declaration(platform), platform.id)
        assert spec.name == platform.name and len(spec.documents) == 3
        for doc in spec.documents.values():
            assert doc.sources[0].url.startswith(demo.base_url + "/" + platform.id + "/")


def test_every_page_is_a_policy_of_several_hundred_words(site: tuple[DemoSite, Clock]) -> None:
    from watcher_app.validate import validate_source

    demo, _ = site
    with httpx.Client() as client:
        for key, (_, doc) in DOCS.items():
            url = demo.url(doc)
            body = client.get(url).text
            extracted = extract_document(body.encode(), doc.select, doc.remove)
            assert validate_source(extracted, body, requested_url=url, final_url=url) is None
            assert len(text_words(extracted.lines)) >= 350, key
            assert any(re.match(r"#{2,} ", line) for line in extracted.lines)
    assert sum(any(line.startswith("| ") for line in lines(k, 0)) for k in DOCS) >= 3

"""bench/score_analysis.py: the scorer itself (replay output, fitting, leave-one-document-out),
and the honest figures on the labelled real-world changes of /work/shared/realworld (skipped
when that folder is absent)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.analysis.conftest import EXAMPLE
from tests.paths import REALWORLD, REPLAY_TOOL
from watcher_app.analysis.params import GRID, Params

# Leave-one-document-out figures reached (combined over both truth files: category micro F1,
# severity exact), and the slack allowed before failing. These are honest figures: every
# fitted threshold is fitted again without the held-out document (see the scorer's --loo).
LOO_REACHED = (0.855, 0.904)
MARGIN = 0.02


def test_scorer_reads_replay_output(scorer: ModuleType, tmp_path: Path) -> None:
    results = [
        {"local_path": "snapshots/a/b/1.html", "expected": "changed", "got": "changed",
         "categories": "ai-training, user-rights", "severity": "high",
         "got_analysis": {"categories": ["ai-training"], "severity": "high"}},
        {"local_path": "snapshots/a/b/2.html", "expected": "unchanged", "got": "unchanged",
         "categories": "", "severity": "", "got_analysis": {}},
        {"local_path": "versions/c/d/3.md", "previous_path": "versions/c/d/2.md",
         "expected": "changed", "got": "changed", "categories": "editorial",
         "severity": "low", "got_analysis": {"categories": ["payments"], "severity": "low"}},
    ]
    out = tmp_path / "r.json"
    out.write_text(json.dumps({"summary": {}, "results": results}))
    outcomes = scorer.from_replay_json([out])
    assert [o.case.truth for o in outcomes] == ["truth.tsv", "versions-truth.tsv"]
    assert scorer.score(outcomes[:1]) == {"category_f1": 0.667, "severity_exact": 1.0, "n": 1}
    assert scorer.score(outcomes) == {"category_f1": 0.4, "severity_exact": 1.0, "n": 2}


def _cases(scorer: ModuleType) -> list:  # type: ignore[type-arg]
    """Six labelled changes of the example policy in three 'documents'."""
    def case(doc: str, old: str, new: str, cats: str, severity: str):  # noqa: ANN202
        return scorer.Case("versions-truth.tsv", f"versions/{doc}/x/{old[:8]}.md",
                           frozenset(cats.split(",")), severity, EXAMPLE,
                           EXAMPLE.replace(old, new))
    return [
        case("a", "for 30 days", "for 90 days", "data-retention", "medium"),
        case("a", "March 3, 2025", "June 9, 2025", "editorial", "low"),
        case("b", "do not use your", "may use your", "ai-training", "high"),
        case("b", "Example Ltd", "Example Holdings Ltd", "editorial", "low"),
        case("c", "exclusively", "exclusively", "editorial", "low"),
        case("c", "by the courts of your country of residence",
             "exclusively by the courts located in Dublin", "dispute-resolution", "medium"),
    ]


def test_fit_only_picks_values_from_the_grid_and_never_scores_worse(scorer: ModuleType) -> None:
    cases = [c for c in _cases(scorer) if c.old_text != c.new_text]
    readings = scorer.read_all(cases)
    fitted = scorer.fit(cases, readings)
    for name, values in GRID.items():
        assert getattr(fitted, name) in values or getattr(fitted, name) == getattr(Params(),
                                                                                   name)
    start = scorer.score(scorer.judge_all(cases, readings, Params()))
    got = scorer.score(scorer.judge_all(cases, readings, fitted))
    assert got["category_f1"] >= start["category_f1"]


def test_leave_one_document_out_never_fits_on_the_held_out_document(
        scorer: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [c for c in _cases(scorer) if c.old_text != c.new_text]
    readings = scorer.read_all(cases)
    seen: list[set[str]] = []
    real_fit = scorer.fit

    def spy(train, train_readings, *args, **kwargs):  # noqa: ANN001, ANN202
        seen.append({scorer.document_of(c) for c in train})
        return real_fit(train, train_readings, *args, **kwargs)

    monkeypatch.setattr(scorer, "fit", spy)
    outcomes = scorer.leave_one_document_out(cases, readings)
    assert len(outcomes) == len(cases)
    docs = sorted({scorer.document_of(c) for c in cases})
    assert len(seen) == len(docs)
    for held_out, trained_on in zip(docs, seen, strict=True):
        assert held_out not in trained_on and trained_on == set(docs) - {held_out}


@pytest.mark.slow
@pytest.mark.skipif(not (REALWORLD / "truth.tsv").exists() or not REPLAY_TOOL.exists(),
                    reason="the labelled real-world captures (/work/shared) are absent")
def test_honest_scores_on_realworld_changes(scorer: ModuleType,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # the texts the app stores: every capture replayed through the real Monitor
    cases = scorer.build_cases(REALWORLD)
    assert len(cases) >= 90
    figures = scorer.run_loo(cases)
    capsys.readouterr()  # the printed figures are for humans
    loo = figures["loo"]["combined"]
    assert loo["category_f1"] >= LOO_REACHED[0] - MARGIN, figures["loo"]
    assert loo["severity_exact"] >= LOO_REACHED[1] - MARGIN, figures["loo"]
    # never the worst mistake: a high change called low or the reverse, in LOO or in the fit
    assert loo["high_low_flips"] == 0
    assert figures["fit"]["combined"]["high_low_flips"] == 0

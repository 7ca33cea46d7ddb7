"""Shared fixtures of the analysis tests: a small example policy, a way to edit one clause of
it, and the real-world scorer (bench/score_analysis.py) loaded as a module."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from tests.paths import BENCH

EXAMPLE = "\n".join([
    "# Example Privacy Policy",
    "Last updated: March 3, 2025",
    "## 1. Information we collect",
    "We collect these details when you create an account:",
    "- Account details such as your name and e-mail address.",
    "- Messages you send to our support team.",
    "## 2. How we use your information",
    "We use your information to run and improve the service.",
    "### Model training",
    "We do not use your conversations to train our models.",
    "## 3. Sharing",
    "We share information with service providers who help us run the service.",
    "You can opt out of personalised recommendations in your settings.",
    "## 4. How long we keep information",
    "We keep chat logs for 30 days.",
    "## 5. Disputes",
    "Any dispute will be decided by the courts of your country of residence.",
    "## 6. Contact",
    "Write to privacy@example.org or to Example Ltd, 1 Sample Street, Springfield.",
])

Edit = Callable[..., str]


@pytest.fixture
def policy() -> str:
    """A short privacy policy in the normalised text format (written for these tests)."""
    return EXAMPLE


@pytest.fixture
def edit() -> Edit:
    """edit(old, new, text=EXAMPLE): the text with one clause replaced."""
    def replace(old: str, new: str, text: str = EXAMPLE) -> str:
        assert old in text, old
        return text.replace(old, new)
    return replace


@pytest.fixture(scope="session")
def scorer() -> ModuleType:
    """bench/score_analysis.py as a module."""
    path = BENCH / "score_analysis.py"
    spec = importlib.util.spec_from_file_location("score_analysis", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["score_analysis"] = module
    spec.loader.exec_module(module)
    return module

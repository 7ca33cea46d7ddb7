"""A change with a real analysis (an AI-training flip, a retention period cut in users'
favour, markup in the clause), stored directly, for the tests of severity reasons and
corrections. The policy text was written for these tests."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from watcher_app.analysis import analyze_change
from watcher_app.diff import diff_texts
from watcher_app.extract.normalize import text_words, words_sha256
from watcher_app.store.models import Change, Document, Version

OLD = """# Privacy Policy
## AI features
Content submitted through the AI features is not used to train our models.
## Retention
We keep your chats for 30 days after you delete them.
"""
# a page can hold markup-looking text: it must reach every view as text
HOSTILE = '<a href="file:///etc/passwd">here</a>'
NEW = f"""# Privacy Policy
## AI features
Content submitted through the AI features may be used to train our models unless you opt \
out {HOSTILE}.
## Retention
We keep your chats for 7 days after you delete them.
"""


def _version(doc: Document, text: str, kind: str) -> Version:
    Version.update(current=False).where(Version.document == doc).execute()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Version.create(document=doc, text=text, sha256=digest,
                          key_sha256=words_sha256(text_words(text.split("\n"))),
                          extractor_version=1, kind=kind, current=True)


def add_flip(doc: Document, *, read: bool = False) -> Change:
    """Two versions of `doc` and the analysed change between them (High, AI training)."""
    old, new = _version(doc, OLD, "first"), _version(doc, NEW, "change")
    analysis = analyze_change(OLD, NEW)
    return Change.create(
        document=doc, from_version=old, to_version=new,
        stats=asdict(diff_texts(OLD, NEW).stats), severity=analysis.severity,
        categories=list(analysis.categories), summary=analysis.summary,
        effective_date=analysis.effective_date, analysis=analysis.to_json(), read=read,
        notified=True)

# how the app explains the flip's severity (the deciding finding, meaning first)
WHY = ("AI training on users' data is now on by default (users must opt out): "
       "“is not used to train” became “may be used to train our")

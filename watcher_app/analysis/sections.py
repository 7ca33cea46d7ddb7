"""Where a change sits and what it is: blocks with heading paths, a paragraph alignment, and a
sentence diff (added / removed / reworded / moved) of two normalised texts.

The input is the normalised text of docs/dev/text-format.md (one block per line, `#` headings,
`- ` list items, `| a | b |` table rows). This module is self-contained on purpose: it does not
depend on watcher_app.diff, because the analysis needs sentence pairs with their heading paths,
not a display diff.

Work is bounded: paragraphs are aligned on blocks that occur once on each side (anchors) and
difflib only runs inside the gaps between anchors; past a time budget the gaps left are taken
as whole replaced regions (a coarse diff), whose sentences are still read as added/removed.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from watcher_app.analysis.tokens import TOKEN, sentence_key, shape, split_sentences

# Two sentences (or paragraphs) at least this similar (word-level ratio) are one reworded clause
# rather than a removal plus an addition.
REWORD_RATIO = 0.55
# Inverted-index postings longer than this belong to words too common to find a counterpart.
_MAX_POSTING = 400
_QUERY_WORDS = 10  # a sentence's rarest words that vote for its counterpart
# Work limits for wholesale rewrites (a 300 KB document replaced by another must still be
# analysed in well under a second): paragraphs paired one by one in a changed region, and
# added sentences searched for a reworded counterpart.
_MAX_PAIRING = 40_000
_MAX_FUZZY = 400
# A region of at most this many blocks (both sides together) is aligned by difflib directly;
# a larger one is first cut at its anchors. A gap without anchors up to _MAX_DIFFLIB blocks
# still gets difflib, a larger one is one replaced region.
_SMALL_REGION = 3000
_MAX_DIFFLIB = 6000
DIFF_BUDGET_S = 2.0  # alignment and sentence pairing; past it the rest of the diff is coarse


@dataclass(frozen=True)
class SectionChange:
    path: tuple[str, ...]  # heading path, e.g. ("How we use your information", "Model training")
    added: int
    removed: int
    changed: int  # paragraphs


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "item" | "row" | "para"
    text: str  # the block's text without its marker
    path: tuple[str, ...]  # headings above it (a heading's own path ends with itself)
    lead: str = ""  # for a list item: the paragraph introducing the list ("We will not: ")
    cells: tuple[str, ...] = ()  # for a table row: its cells, empty ones included
    header: tuple[str, ...] = ()  # ... and the cells of its table's first row


@dataclass(frozen=True)
class SentenceEdit:
    kind: str  # "added" | "removed" | "reworded"
    old: str  # "" when added
    new: str  # "" when removed
    path: tuple[str, ...]  # heading path in the new text (the old one for removals)
    old_spans: tuple[tuple[int, int], ...] = ()  # character spans that changed in `old`
    new_spans: tuple[tuple[int, int], ...] = ()  # ... and in `new`
    deleted: tuple[str, ...] = ()  # words that went (rewordings only)
    inserted: tuple[str, ...] = ()  # words that came
    old_block: str = ""  # the paragraphs the sentences sit in (context for rules)
    new_block: str = ""
    block_kind: str = "para"  # kind of the (new, else old) block: "para", "item", "row", ...
    lead: str = ""  # the paragraph introducing the list the (new, else old) item sits in
    # a new sentence modelled on one that is still there (an announced version shown above
    # the current one): analysed as a rewording, reported as an addition
    variant: bool = False
    region: int = -1  # the changed region (paragraph alignment) an added/removed one sits in


@dataclass(frozen=True)
class TextDiff:
    sections: tuple[SectionChange, ...]
    edits: tuple[SentenceEdit, ...]
    moved: int  # sentences that left one place and reappear (verbatim) in another
    old_norm: str  # lower-cased, whitespace-collapsed whole texts, for "is this phrase new?"
    new_norm: str
    old_sentences: tuple[str, ...] = ()  # every sentence of each text, for document-wide counts
    new_sentences: tuple[str, ...] = ()
    coarse: bool = False  # the time budget ran out: some regions are whole, unpaired rewrites
    seconds: float = field(default=0.0, compare=False)  # time the diff took


# --- blocks -------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def parse_blocks(text: str) -> list[Block]:
    """Split normalised text into blocks, each with the heading path it sits under."""
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    lead = ""
    # a nested list: (its lead item, its items' numbering, the outer list's lead)
    inner: tuple[str, str | None, str] | None = None
    header: tuple[str, ...] = ()  # the first row of the table being read
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if not (line.startswith("|") and line.endswith("|") and len(line) > 1):
            header = ()
        m = _HEADING.match(line)
        if m:
            level, title = len(m.group(1)), m.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            blocks.append(Block("heading", title, tuple(t for _, t in stack)))
            lead = ""
            inner = None
            continue
        path = tuple(t for _, t in stack)
        if line.startswith("- "):
            item = line[2:].strip()
            if inner and inner[1] is not None and _numbering(item) != inner[1]:
                lead, inner = inner[2], None  # back in the outer list
            blocks.append(Block("item", item, path, lead))
            if inner and inner[1] is None:
                inner = (inner[0], _numbering(item), inner[2])
            if item.endswith(":"):
                # a nested list flattened into this one: its items are read under this item
                # ("ix. Usage Restrictions. ... you will not use the AI services: - 1. ...")
                inner = (item, None, lead)
                lead = item
            continue
        inner = None
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            cells = tuple(c.strip() for c in line.strip("|").split("|"))
            if not header:
                header = cells
            blocks.append(Block("row", " | ".join(c for c in cells if c), path, cells=cells,
                                header=header))
        else:
            blocks.append(Block("para", line, path))
        lead = line if line.endswith(":") else ""
    return blocks


_NUMBERING = re.compile(r"^\(?(?:(\d{1,3})|([ivxlc]{1,5})|([a-z]))\\?[.)]\s", re.IGNORECASE)


def _numbering(item: str) -> str:
    """The kind of number a list item starts with ("1." digit, "ix." roman, "b)" letter)."""
    m = _NUMBERING.match(item)
    if not m:
        return ""
    return "digit" if m.group(1) else "roman" if m.group(2) else "letter"


HEADER_MAX_WORDS = 8  # a longer first-row cell is data, not a column header


def block_sentences(block: Block) -> list[tuple[str, Block]]:
    """Sentences of one block, each with the block it is read in. Each cell of a table row is
    read on its own (a purpose, the data it uses and its legal basis are three statements, not
    one sentence), under its column header as the innermost heading ("Legal bases")."""
    if block.kind == "para":
        return _with_inline_leads(block)
    if block.kind != "row" or not block.cells:
        return [(s, block) for s in split_sentences(block.text)]
    out = []
    for i, cell in enumerate(block.cells):
        if not cell:
            continue
        where = block
        label = block.header[i] if i < len(block.header) else ""
        if label and block.cells != block.header and len(label.split()) <= HEADER_MAX_WORDS:
            where = replace(block, path=(*block.path, label))
        out += [(s, where) for s in split_sentences(cell)]
    return out


def _with_inline_leads(block: Block) -> list[tuple[str, Block]]:
    """The sentences of a paragraph; the items of a list written inside it ("... for the
    following reasons: (i) protecting the Services; (ii) ...; and/or (v) your prolonged
    inactivity.") are read under the sentence that introduces them, as a list block's items
    are under its lead ("You agree not to:")."""
    out: list[tuple[str, Block]] = []
    lead = ""
    for sentence in split_sentences(block.text):
        out.append((sentence, replace(block, lead=lead) if lead else block))
        end = sentence.rstrip()[-1:]
        if end == ":":
            lead = sentence
        elif end not in (";", ","):
            lead = ""  # the list's last item, or no list
    return out


def similarity(a: str, b: str) -> float:
    """Word-level similarity in [0, 1]; numbers compare equal, so a statistics row with new
    figures (or "90 days" -> "12 months") pairs with its old self as a rewording."""
    (ta, ca), (tb, cb) = shape(a), shape(b)
    total = len(ta) + len(tb)
    if not ta or not tb or 2 * min(len(ta), len(tb)) / total < REWORD_RATIO:
        return 0.0
    # the shared-word bound is cheap and rules most candidates out before the real alignment
    bound = 2 * sum((ca & cb).values()) / total
    if bound < REWORD_RATIO:
        return bound * 0.5
    return SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def word_changes(old: str, new: str) -> tuple[tuple[tuple[int, int], ...],
                                              tuple[tuple[int, int], ...],
                                              tuple[str, ...], tuple[str, ...]]:
    """(old_spans, new_spans, deleted words, inserted words) of a reworded sentence; a pure
    insertion or deletion leaves an empty span where it happened on the other side."""
    om = list(TOKEN.finditer(old))
    nm = list(TOKEN.finditer(new))
    sm = SequenceMatcher(None, [m.group().lower() for m in om], [m.group().lower() for m in nm],
                         autojunk=False)
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def at(matches: list[re.Match[str]], k: int, text: str) -> tuple[int, int]:
        # where words were inserted into (or deleted from) the other side: an empty span
        pos = matches[k].start() if k < len(matches) else len(text)
        return pos, pos

    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_spans.append((om[i1].start(), om[i2 - 1].end()))
            deleted += [m.group() for m in om[i1:i2]]
        else:
            old_spans.append(at(om, i1, old))
        if j2 > j1:
            new_spans.append((nm[j1].start(), nm[j2 - 1].end()))
            inserted += [m.group() for m in nm[j1:j2]]
        else:
            new_spans.append(at(nm, j1, new))
    return tuple(old_spans), tuple(new_spans), tuple(deleted), tuple(inserted)


class _Index:
    """Inverted index of word sets, to find a sentence's likely counterparts quickly (a full
    pairwise comparison of two 300 KB documents would be far too slow)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(texts):
            for word in shape(text)[1]:
                if len(word) > 2:
                    self.postings[word].append(i)

    def best(self, text: str, allowed: set[int] | None = None, k: int = 3) -> tuple[int, float]:
        """The most similar indexed text (index, ratio); (-1, 0.0) when none shares a word.
        Candidates are voted for by the query's rarest words only, which bounds the work on
        long documents."""
        words = [w for w in shape(text)[1] if len(w) > 2 and w in self.postings]
        words.sort(key=lambda w: len(self.postings[w]))
        votes: Counter[int] = Counter()
        for word in words[:_QUERY_WORDS]:
            posting = self.postings[word]
            if len(posting) > _MAX_POSTING:
                break
            for i in posting:
                if allowed is None or i in allowed:
                    votes[i] += 1
        best_i, best_r = -1, 0.0
        for i, _ in votes.most_common(k):
            r = similarity(text, self.texts[i])
            if r > best_r:
                best_i, best_r = i, r
        return best_i, best_r


# --- the diff ---------------------------------------------------------------------------------

Opcode = tuple[str, int, int, int, int]


def _norm_text(blocks: Iterable[Block]) -> str:
    return " ".join(" ".join(b.text.lower().split()) for b in blocks)


class _Deadline:
    def __init__(self, budget_s: float | None) -> None:
        self.end = None if budget_s is None else time.perf_counter() + budget_s
        self.hit = False

    def passed(self) -> bool:
        if self.end is not None and not self.hit and time.perf_counter() > self.end:
            self.hit = True
        return self.hit


def align(a: Sequence[Hashable], b: Sequence[Hashable],
          deadline: _Deadline | None = None) -> list[Opcode]:
    """difflib-style opcodes aligning two sequences of blocks, in time about linear in their
    length: common ends are trimmed, then large regions are cut at anchors (items occurring
    once on each side, in increasing order on both), and difflib aligns what is between.
    Once `deadline` has passed, a region left is reported as one replacement."""
    deadline = deadline or _Deadline(None)
    raw: list[Opcode] = []
    lo = 0
    while lo < min(len(a), len(b)) and a[lo] == b[lo]:
        lo += 1
    ha, hb = len(a), len(b)
    while ha > lo and hb > lo and a[ha - 1] == b[hb - 1]:
        ha, hb = ha - 1, hb - 1
    if lo:
        raw.append(("equal", 0, lo, 0, lo))
    _align_region(a, b, lo, ha, lo, hb, deadline, raw)
    if ha < len(a):
        raw.append(("equal", ha, len(a), hb, len(b)))
    return _merge(raw)


def _align_region(a: Sequence[Hashable], b: Sequence[Hashable], a0: int, a1: int, b0: int,
                  b1: int, deadline: _Deadline, out: list[Opcode]) -> None:
    if a0 == a1 and b0 == b1:
        return
    if a0 == a1 or b0 == b1 or deadline.passed():
        out.append(("insert" if a0 == a1 else "delete" if b0 == b1 else "replace",
                    a0, a1, b0, b1))
        return
    if (a1 - a0) + (b1 - b0) <= _SMALL_REGION:
        _difflib(a, b, a0, a1, b0, b1, out)
        return
    anchors = _anchors(a, b, a0, a1, b0, b1)
    if not anchors:
        if (a1 - a0) + (b1 - b0) <= _MAX_DIFFLIB:
            _difflib(a, b, a0, a1, b0, b1, out)
        else:
            out.append(("replace", a0, a1, b0, b1))
        return
    i, j = a0, b0
    for ai, bj in anchors:
        if ai < i or bj < j:
            continue  # inside the equal run grown from the previous anchor
        # grow the anchor backwards and forwards into an equal run
        s_a, s_b = ai, bj
        while s_a > i and s_b > j and a[s_a - 1] == b[s_b - 1]:
            s_a, s_b = s_a - 1, s_b - 1
        e_a, e_b = ai + 1, bj + 1
        while e_a < a1 and e_b < b1 and a[e_a] == b[e_b]:
            e_a, e_b = e_a + 1, e_b + 1
        _align_region(a, b, i, s_a, j, s_b, deadline, out)
        out.append(("equal", s_a, e_a, s_b, e_b))
        i, j = e_a, e_b
    _align_region(a, b, i, a1, j, b1, deadline, out)


def _difflib(a: Sequence[Hashable], b: Sequence[Hashable], a0: int, a1: int, b0: int, b1: int,
             out: list[Opcode]) -> None:
    sm = SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
    out.extend((tag, a0 + i1, a0 + i2, b0 + j1, b0 + j2)
               for tag, i1, i2, j1, j2 in sm.get_opcodes())


def _anchors(a: Sequence[Hashable], b: Sequence[Hashable], a0: int, a1: int, b0: int,
             b1: int) -> list[tuple[int, int]]:
    """Items unique on both sides of the region, as (i, j) pairs increasing on both sides
    (the longest such chain: patience diff's anchors)."""
    count_a: Counter[Hashable] = Counter(a[a0:a1])
    count_b: Counter[Hashable] = Counter(b[b0:b1])
    where_b = {b[j]: j for j in range(b0, b1) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(a0, a1)
             if count_a[a[i]] == 1 and a[i] in where_b]
    # longest increasing subsequence of the j's (pairs are already in i order)
    tails: list[int] = []  # tails[k] = smallest j ending an increasing chain of length k+1
    tail_at: list[int] = []  # index into pairs of that chain's end
    back: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k] = j
            tail_at[k] = n
        back[n] = tail_at[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    n = tail_at[-1] if tail_at else -1
    while n >= 0:
        chain.append(pairs[n])
        n = back[n]
    return chain[::-1]


def _merge(ops: list[Opcode]) -> list[Opcode]:
    """Adjacent equal runs into one, adjacent changes into one replacement (as difflib
    reports them), empty ones dropped."""
    out: list[Opcode] = []
    for tag, i1, i2, j1, j2 in ops:
        if i1 == i2 and j1 == j2:
            continue
        if out:
            ptag, pi1, _, pj1, _ = out[-1]
            if tag == "equal" and ptag == "equal":
                out[-1] = ("equal", pi1, i2, pj1, j2)
                continue
            if tag != "equal" and ptag != "equal":
                out[-1] = ("replace" if (pi1 < i2 and pj1 < j2) else
                           "delete" if pi1 < i2 else "insert", pi1, i2, pj1, j2)
                continue
        out.append((tag, i1, i2, j1, j2))
    return out


def diff_sentences(old_text: str, new_text: str, *,
                   budget_s: float | None = DIFF_BUDGET_S) -> TextDiff:
    """Paragraph alignment, then a sentence diff of the changed regions: which sentences were
    added, removed or reworded (a reworded one keeps both versions and the spans that
    changed), under which headings. Past `budget_s` seconds the diff turns coarse."""
    started = time.perf_counter()
    deadline = _Deadline(budget_s)
    old_blocks, new_blocks = parse_blocks(old_text), parse_blocks(new_text)
    # each block is split once (the lists are reused below)
    old_split = [block_sentences(b) for b in old_blocks]
    new_split = [block_sentences(b) for b in new_blocks]
    opcodes = align([(b.kind, b.text) for b in old_blocks],
                    [(b.kind, b.text) for b in new_blocks], deadline)
    counts: dict[tuple[str, ...], list[int]] = {}
    old_sents: list[tuple[str, Block, int]] = []  # (sentence, its block, region)
    new_sents: list[tuple[str, Block, int]] = []
    for region, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            continue
        _count_paragraphs(old_blocks[i1:i2], new_blocks[j1:j2], counts)
        old_sents += [(s, b, region) for i in range(i1, i2) for s, b in old_split[i]]
        new_sents += [(s, b, region) for j in range(j1, j2) for s, b in new_split[j]]

    old_pairs = [pair for pairs in old_split for pair in pairs]
    old_list = tuple(s for s, _ in old_pairs)
    new_list = tuple(s for pairs in new_split for s, _ in pairs)
    old_all = {sentence_key(s) for s in old_list}
    new_all = {sentence_key(s) for s in new_list}
    region_old_keys = {(sentence_key(s), r) for s, _, r in old_sents}
    moved = sum(1 for s, _, r in new_sents
                if sentence_key(s) in old_all and (sentence_key(s), r) not in region_old_keys)
    # Sentences genuinely new to / gone from the document: the rest of a changed paragraph is
    # context, and a sentence found elsewhere was moved or copied, not written.
    added = _dedupe([(s, b, r) for s, b, r in new_sents if sentence_key(s) not in old_all])
    removed = _dedupe([(s, b, r) for s, b, r in old_sents if sentence_key(s) not in new_all])
    edits = _pair_sentences(added, removed, old_pairs, new_all, deadline)
    sections = tuple(SectionChange(path, *c) for path, c in counts.items())
    return TextDiff(sections, tuple(edits), moved, _norm_text(old_blocks), _norm_text(new_blocks),
                    old_list, new_list, deadline.hit, time.perf_counter() - started)


Located = tuple[str, Block, int]  # a sentence, its block, its changed region


def _dedupe(items: list[Located]) -> list[Located]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = sentence_key(item[0])
        if k and k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _count_paragraphs(olds: Sequence[Block], news: Sequence[Block],
                      counts: dict[tuple[str, ...], list[int]]) -> None:
    """Count added / removed / changed paragraphs of one changed region, per heading path."""
    def bump(path: tuple[str, ...], slot: int) -> None:
        counts.setdefault(path, [0, 0, 0])[slot] += 1

    if not olds or not news:
        for b in olds:
            bump(b.path, 1)
        for b in news:
            bump(b.path, 0)
        return
    if len(olds) * len(news) > _MAX_PAIRING:
        # a wholesale rewrite: pairing paragraphs one by one would cost seconds
        for k, b in enumerate(news):
            bump(b.path, 2 if k < len(olds) else 0)
        for b in olds[len(news):]:
            bump(b.path, 1)
        return
    index = _Index([b.text for b in olds])
    free = set(range(len(olds)))
    for b in news:
        i, r = index.best(b.text, free) if free else (-1, 0.0)
        if i >= 0 and r >= REWORD_RATIO:
            free.discard(i)
            bump(b.path, 2)
        else:
            bump(b.path, 0)
    for i in sorted(free):
        bump(olds[i].path, 1)


def _pair_sentences(added: list[Located], removed: list[Located],
                    old_all: Sequence[tuple[str, Block]], new_keys: set[str],
                    deadline: _Deadline | None = None) -> list[SentenceEdit]:
    """Turn added/removed sentences into edits, pairing near-identical ones as rewordings.

    An added sentence is first paired with a removed one; failing that, with any sentence of
    the old text (an announced version published above the current one rewords clauses that
    still stand below it)."""
    deadline = deadline or _Deadline(None)
    budget = _MAX_FUZZY if len(added) <= _MAX_FUZZY * 3 else 0  # none for wholesale rewrites
    # the removed sentences a counterpart is sought among
    cap = min(len(removed), _MAX_FUZZY * 4) if budget else 0
    removed_index = _Index([s for s, _, _ in removed[:cap]])
    free = set(range(cap))
    old_index: _Index | None = None
    edits: list[SentenceEdit] = []
    for n, (sentence, block, region) in enumerate(added):
        if n >= budget or deadline.passed():  # a wholesale rewrite: the rest is simply new
            edits.append(SentenceEdit("added", "", sentence, block.path, new_block=block.text,
                                      block_kind=block.kind, lead=block.lead, region=region))
            continue
        i, r = removed_index.best(sentence, free) if free else (-1, 0.0)
        if i >= 0 and r >= REWORD_RATIO:
            free.discard(i)
            edits.append(_reworded(removed[i][:2], (sentence, block)))
            continue
        if len(added) > _MAX_FUZZY:  # a rewrite, not an announced copy of the old text
            j, r = -1, 0.0
        else:
            if old_index is None:
                old_index = _Index([s for s, _ in old_all])
            j, r = old_index.best(sentence)
        if j >= 0 and r >= REWORD_RATIO:
            still_there = sentence_key(old_all[j][0]) in new_keys
            edits.append(_reworded(old_all[j], (sentence, block), still_there))
        else:
            edits.append(SentenceEdit("added", "", sentence, block.path, new_block=block.text,
                                      block_kind=block.kind, lead=block.lead, region=region))
    edits += [SentenceEdit("removed", removed[i][0], "", removed[i][1].path,
                           old_block=removed[i][1].text, block_kind=removed[i][1].kind,
                           lead=removed[i][1].lead, region=removed[i][2])
              for i in range(len(removed)) if i in free or i >= cap]
    return edits


def _reworded(old: tuple[str, Block], new: tuple[str, Block],
              variant: bool = False) -> SentenceEdit:
    old_spans, new_spans, deleted, inserted = word_changes(old[0], new[0])
    return SentenceEdit("reworded", old[0], new[0], new[1].path, old_spans, new_spans, deleted,
                        inserted, old[1].text, new[1].text, new[1].kind, new[1].lead, variant)

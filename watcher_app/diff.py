"""Line- and word-level diff of two versions of a normalised document (docs/dev/text-format.md).

Pure functions returning typed, immutable Meld-style chunks for the CLI, analysis and UI
(no Qt here; the renderers and apply_chunks live in watcher_app.diff_render). Pipeline:

1. Line alignment on interned lines: prefix/suffix trimming, patience anchors (lines unique on
   both sides), difflib.SequenceMatcher only on small gaps (it is quadratic on repeated lines
   and cannot be interrupted). The same aligner serves words inside a line pair.
2. Moves: a changed line of >= 5 words deleted in one place and inserted verbatim in another
   becomes a ``move`` chunk at its new position (and is not reported as a delete).
3. In each run of changed lines, old and new lines with word-level ratio >= 0.5 are paired
   (order-preserving, maximum total ratio) into ``replace`` chunks with word spans. A token is
   a word (``\\w+``, inner apostrophes kept) or one punctuation character, so "data." ->
   "data," changes only the punctuation; whitespace is ignored when comparing.

Chunk invariants: new ranges are consecutive from 0 to len(new) over all chunks; the old ranges
of non-move chunks increase without overlap, and the holes they leave are exactly the old ranges
of the move chunks. A replace chunk pairs its lines one to one (old_end - old_start ==
new_end - new_start); for each pair, the equal spans of old_words and new_words correspond one to
one, in order, and the spans of a line concatenate back to the exact line.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from time import perf_counter
from typing import Any, Literal

from watcher_app.diff_render import apply_chunks, render_html, render_json, render_text

__all__ = [
    "Chunk", "DiffResult", "DiffStats", "WordSpan", "apply_chunks", "count_words", "diff_lines",
    "diff_texts", "render_html", "render_json", "render_text",
]

MOVE_MIN_WORDS = 5  # shorter lines ("## Overview", "- Yes") repeat too often to call a move
PAIR_MIN_RATIO = 0.5  # word-level similarity for an old/new line pair to be a "replace"
_SM_MAX_PRODUCT = 4000  # difflib only on gaps where its scan (sum of pair counts) is this cheap
_SEARCH_SHARE = 0.8  # of the time budget, for alignment and pairing
_MAX_GRAM = 8  # longest run of elements tried as a unique anchor in repetitive text
_PAIR_ALL_MAX = 4096  # runs up to this many old x new candidates compare every pair ...
_PAIR_BAND = 8  # ... larger ones only pairs near the run's diagonal
_PAIR_TRIES = 3  # full word alignments per old line, on its best candidates by quick bound
_PAIR_SURE = 0.8  # ... and none after a match this good that no remaining bound can beat

_TOKEN_RE = re.compile(r"\s*(?:\w+(?:['\u2019]\w+)*|[^\w\s])\s*")
_WORD_RE = re.compile(r"\w+(?:['\u2019]\w+)*")

Block = tuple[int, int, int]  # (i, j, n): a[i:i + n] == b[j:j + n]


@dataclass(frozen=True)
class WordSpan:
    tag: Literal["equal", "insert", "delete"]
    text: str  # the words of this span with their original spacing


@dataclass(frozen=True)
class Chunk:
    tag: Literal["equal", "insert", "delete", "replace", "move"]
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_words: tuple[tuple[WordSpan, ...], ...] = ()  # replace: per old line, equal/delete
    new_words: tuple[tuple[WordSpan, ...], ...] = ()  # replace: per new line, equal/insert
    moved_from: int | None = None  # move: old index of the block (== old_start)


@dataclass(frozen=True)
class DiffStats:
    lines_added: int
    lines_removed: int
    lines_changed: int  # lines in replace chunks (pairs)
    lines_moved: int
    words_added: int  # words (not punctuation) in inserted lines and insert spans
    words_removed: int


@dataclass(frozen=True)
class DiffResult:
    old_lines: tuple[str, ...]
    new_lines: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    stats: DiffStats
    degraded: bool  # the time budget ran out: some part was diffed more coarsely

    @property
    def changed(self) -> bool:
        return any(c.tag != "equal" for c in self.chunks)


def count_words(text: str) -> int:
    """Words as the stats count them: punctuation-only tokens are not words."""
    return len(_WORD_RE.findall(text))


def _tokenize(line: str) -> list[str]:
    """Pieces = token + trailing whitespace (the first also takes the leading whitespace), so
    they concatenate back to the exact line; a blank line is one piece of its own."""
    return _TOKEN_RE.findall(line) or ([line] if line else [])


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain of pairs increasing in j (pairs come sorted by i, all i and j distinct)."""
    tails: list[int] = []  # per chain length, the smallest j ending such a chain ...
    tail_k: list[int] = []  # ... and the candidate with that j
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        tails[pos:pos + 1], tail_k[pos:pos + 1] = [j], [k]
        prev[k] = tail_k[pos - 1] if pos else -1
    chain: list[tuple[int, int]] = []
    k = tail_k[-1] if tail_k else -1
    while k >= 0:
        chain.append(pairs[k])
        k = prev[k]
    return chain[::-1]


def _anchors(a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int,
             deadline: float) -> list[Block] | None:
    """Anchor blocks splitting a[alo:ahi] / b[blo:bhi]: patience (runs of k = 1, 2, 4... elements
    unique on both sides, longest increasing chain); None if none is unique and difflib is cheap
    enough; [] if nothing is common or the deadline passed between two (long) attempts."""
    k = 1
    while k <= min(_MAX_GRAM, ahi - alo, bhi - blo):
        ka = list(zip(*(a[alo + d:ahi] for d in range(k)), strict=False))
        kb = list(zip(*(b[blo + d:bhi] for d in range(k)), strict=False))
        ca, cb = Counter(ka), Counter(kb)
        uniq = {x: p for p, x in enumerate(kb, blo) if cb[x] == 1 and ca.get(x) == 1}
        if uniq:
            blocks: list[Block] = []
            end_i, end_j = alo, blo
            for i, j in _lis([(i, uniq[x]) for i, x in enumerate(ka, alo) if x in uniq]):
                if i >= end_i and j >= end_j:  # chained k-grams may overlap: skip those
                    blocks.append((i, j, k))
                    end_i, end_j = i + k, j + k
            return blocks
        if k == 1:
            cost = sum(n * cb.get(x, 0) for x, n in ca.items())
            if cost <= _SM_MAX_PRODUCT:
                return None if cost else []
        k *= 2
        if perf_counter() > deadline:
            return []
    # Still nothing unique (periodic text): pair, in order, the occurrences of the rarest common
    # element, like histogram diff; crude but linear, and it always progresses.
    na, nb = Counter(a[alo:ahi]), Counter(b[blo:bhi])
    x = min((y for y in na if y in nb), key=lambda y: max(na[y], nb[y]))
    return [(i, j, 1) for i, j in zip([i for i in range(alo, ahi) if a[i] == x],
                                      [j for j in range(blo, bhi) if b[j] == x], strict=False)]


def _align(a: Sequence[int], b: Sequence[int], deadline: float) -> tuple[list[Block], bool]:
    """Sorted, merged matching blocks; False when the deadline (perf_counter) stopped the work:
    the ranges left unresolved simply stay unmatched, which is still a correct diff."""
    found: list[Block] = []
    complete = True
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        i, j = alo, blo
        while i < ahi and j < bhi and a[i] == b[j]:
            i, j = i + 1, j + 1
        if i > alo:
            found.append((alo, blo, i - alo))
        alo, blo, k = i, j, 0
        while ahi - k > alo and bhi - k > blo and a[ahi - k - 1] == b[bhi - k - 1]:
            k += 1
        if k:
            ahi, bhi = ahi - k, bhi - k
            found.append((ahi, bhi, k))
        if alo == ahi or blo == bhi:
            continue
        if perf_counter() > deadline:
            complete = False
            continue
        anchors = _anchors(a, b, alo, ahi, blo, bhi, deadline)
        if anchors is None:
            sm = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            found.extend((alo + x, blo + y, n) for x, y, n in sm.get_matching_blocks() if n)
            continue
        complete &= bool(anchors) or perf_counter() <= deadline
        for i, j, n in anchors:
            found.append((i, j, n))
            if i > alo or j > blo:
                stack.append((alo, i, blo, j))
            alo, blo = i + n, j + n
        if anchors:
            stack.append((alo, ahi, blo, bhi))
    found.sort()
    merged: list[Block] = []
    for i, j, n in found:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged, complete


_Tokens = tuple[list[str], list[int], Counter[int]]  # a line's pieces, token ids, id counts


def _opcodes(blocks: list[Block], la: int, lb: int) -> Iterator[tuple[int, int, int, int, bool]]:
    """(i1, i2, j1, j2, is_equal) segments covering both sequences, from matching blocks."""
    i = j = 0
    for bi, bj, n in [*blocks, (la, lb, 0)]:
        if i < bi or j < bj:
            yield i, bi, j, bj, False
        if n:
            yield bi, bi + n, bj, bj + n, True
        i, j = bi + n, bj + n


def _word_spans(pa: list[str], pb: list[str], blocks: list[Block]
                ) -> tuple[tuple[WordSpan, ...], tuple[WordSpan, ...]]:
    """One span per side per opcode, so equal spans correspond one to one across the sides."""
    old: list[WordSpan] = []
    new: list[WordSpan] = []
    for i1, i2, j1, j2, equal in _opcodes(blocks, len(pa), len(pb)):
        if i1 < i2:
            old.append(WordSpan("equal" if equal else "delete", "".join(pa[i1:i2])))
        if j1 < j2:
            new.append(WordSpan("equal" if equal else "insert", "".join(pb[j1:j2])))
    return tuple(old), tuple(new)


class _Differ:
    def __init__(self, old: tuple[str, ...], new: tuple[str, ...], budget_s: float) -> None:
        self.lines = (old, new)
        # stop the search early enough for building the result (spans, stats) to fit too
        self.deadline = perf_counter() + budget_s * _SEARCH_SHARE
        self.degraded = False
        self._tok_ids: dict[str, int] = {}
        self._cache: dict[tuple[int, int], _Tokens] = {}
        self.rows: list[list[Any]] = []  # chunks as lists: growing one stays cheap

    def tokens(self, side: int, index: int) -> _Tokens:
        got = self._cache.get((side, index))
        if got is None:
            pieces = _tokenize(self.lines[side][index])
            ids = [self._tok_ids.setdefault(p.strip(), len(self._tok_ids)) for p in pieces]
            got = self._cache[side, index] = (pieces, ids, Counter(ids))
        return got

    def run(self) -> tuple[Chunk, ...]:
        table: dict[str, int] = {}
        a, b = ([table.setdefault(s, len(table)) for s in side] for side in self.lines)
        blocks, complete = _align(a, b, self.deadline)
        self.degraded = not complete
        segs = list(_opcodes(blocks, len(a), len(b)))
        moved_in = self._moves(segs)
        moved_away = set(moved_in.values())
        for i1, i2, j1, j2, equal in segs:
            if equal:
                self._add("equal", i1, i2, j1, j2)
            else:
                self._emit_run(i1, i2, j1, j2, moved_in, moved_away)
        return tuple(Chunk(t, i1, i2, j1, j2, tuple(ow), tuple(nw), i1 if t == "move" else None)
                     for t, i1, i2, j1, j2, ow, nw in self.rows)

    def _add(self, tag: str, i1: int, i2: int, j1: int, j2: int,
             words: tuple[tuple[WordSpan, ...], tuple[WordSpan, ...]] | None = None) -> None:
        """Append a chunk, extending the previous one when same kind and contiguous."""
        if self.rows and (last := self.rows[-1])[0] == tag and last[2] == i1 and last[4] == j1:
            last[2], last[4] = i2, j2
        else:
            last = [tag, i1, i2, j1, j2, [], []]
            self.rows.append(last)
        if words:
            last[5].append(words[0])
            last[6].append(words[1])

    def _moves(self, segs: list[tuple[int, int, int, int, bool]]) -> dict[int, int]:
        """new index -> old index for changed lines whose exact text moved (copies in order)."""
        old, new = self.lines
        deleted: dict[str, list[int]] = {}
        for i in (i for i1, i2, _, _, eq in segs if not eq for i in range(i1, i2)):
            deleted.setdefault(old[i], []).append(i)
        moved_in: dict[int, int] = {}
        for j in (j for _, _, j1, j2, eq in segs if not eq for j in range(j1, j2)):
            sources = deleted.get(new[j])
            if sources and len(new[j].split()) >= MOVE_MIN_WORDS:
                moved_in[j] = sources.pop(0)
        return moved_in

    def _emit_run(self, i1: int, i2: int, j1: int, j2: int,
                  moved_in: dict[int, int], moved_away: set[int]) -> None:
        olds = [i for i in range(i1, i2) if i not in moved_away]
        news = [j for j in range(j1, j2) if j not in moved_in]
        pairs = self._pair(olds, news) if olds and news else {}
        i, j = i1, j1
        while i < i2 or j < j2:
            if i < i2 and i in moved_away:
                i += 1
            elif j < j2 and j in moved_in:
                self._add("move", moved_in[j], moved_in[j] + 1, j, j + 1)
                j += 1
            elif i < i2 and i in pairs and pairs[i][0] == j:
                spans = _word_spans(self.tokens(0, i)[0], self.tokens(1, j)[0], pairs[i][1])
                self._add("replace", i, i + 1, j, j + 1, spans)
                i, j = i + 1, j + 1
            elif i < i2 and i not in pairs:
                self._add("delete", i, i + 1, j, j)
                i += 1
            else:  # new[j] is unpaired: its old partner (if any) comes later
                self._add("insert", i, i, j, j + 1)
                j += 1

    def _pair(self, olds: list[int], news: list[int]) -> dict[int, tuple[int, list[Block]]]:
        """Order-preserving pairing of similar lines maximising the summed ratio. The full word
        alignment dominates the cost, so each old line gets it only for its few best candidates
        by the bag-of-words bound (quick_ratio), after the length bound (real_quick_ratio)."""
        n_o, n_n = len(olds), len(news)
        band = max(_PAIR_BAND, _PAIR_ALL_MAX // (2 * n_o))
        cands: list[tuple[int, int, float, list[Block]]] = []
        for oi, i in enumerate(olds):
            if perf_counter() > self.deadline:
                self.degraded = True
                break
            _, ia, bag_a = self.tokens(0, i)
            centre = oi * n_n // n_o
            js = range(n_n) if n_o * n_n <= _PAIR_ALL_MAX else range(
                max(0, centre - band), min(n_n, centre + band + 1))
            bounds: list[tuple[float, int, int]] = []
            for nj in js:
                _, ib, bag_b = self.tokens(1, news[nj])
                total = len(ia) + len(ib)
                if 2 * min(len(ia), len(ib)) >= PAIR_MIN_RATIO * total:
                    quick = 2 * sum((bag_a & bag_b).values()) / total
                    if quick >= PAIR_MIN_RATIO:
                        bounds.append((-quick, abs(nj - centre), nj))
            bounds.sort()
            top = 0.0
            for neg_quick, _, nj in bounds[:_PAIR_TRIES]:
                if top >= max(-neg_quick, _PAIR_SURE):  # no better partner left, and this
                    break  # one is close enough that no other old line will want it as much
                ib = self.tokens(1, news[nj])[1]
                blocks, complete = _align(ia, ib, self.deadline)
                ratio = 2 * sum(n for _, _, n in blocks) / (len(ia) + len(ib))
                self.degraded |= not complete
                if complete and ratio >= PAIR_MIN_RATIO:
                    cands.append((oi, nj, ratio, blocks))
                    top = max(top, ratio)
        return {olds[oi]: (news[nj], blocks)
                for oi, nj, _, blocks in (cands[k] for k in _best_chain(cands, n_n))}


def _best_chain(cands: list[tuple[int, int, float, list[Block]]], n_n: int) -> list[int]:
    """Indices of the max-weight chain of candidates strictly increasing in (oi, nj); cands come
    grouped by oi. Fenwick tree of prefix maxima over nj: O(C log n)."""
    tree: list[tuple[float, int]] = [(0.0, -1)] * (n_n + 1)
    best: list[tuple[float, int]] = []  # per candidate: (chain score, previous candidate)
    top, start = (0.0, -1), 0
    while start < len(cands):
        end = start
        while end < len(cands) and cands[end][0] == cands[start][0]:
            end += 1
        for k in range(start, end):  # query all of one old line before updating with it
            pos, acc = cands[k][1], (0.0, -1)
            while pos > 0:
                acc = max(acc, tree[pos])
                pos -= pos & -pos
            best.append((acc[0] + cands[k][2], acc[1]))
            top = max(top, (best[k][0], k))
        for k in range(start, end):
            pos = cands[k][1] + 1
            while pos <= n_n:
                tree[pos] = max(tree[pos], (best[k][0], k))
                pos += pos & -pos
        start = end
    chain, k = [], top[1]
    while k >= 0:
        chain.append(k)
        k = best[k][1]
    return chain


def _stats(chunks: tuple[Chunk, ...], new: tuple[str, ...], old: tuple[str, ...]) -> DiffStats:
    lines = Counter[str]()
    w_add = w_del = 0
    for c in chunks:
        lines[c.tag] += max(c.old_end - c.old_start, c.new_end - c.new_start)
        w_add += sum(map(count_words, new[c.new_start:c.new_end] if c.tag == "insert" else [
            s.text for ln in c.new_words for s in ln if s.tag == "insert"]))
        w_del += sum(map(count_words, old[c.old_start:c.old_end] if c.tag == "delete" else [
            s.text for ln in c.old_words for s in ln if s.tag == "delete"]))
    return DiffStats(lines["insert"], lines["delete"], lines["replace"], lines["move"],
                     w_add, w_del)


def diff_lines(old: Sequence[str], new: Sequence[str], *, budget_s: float = 2.0) -> DiffResult:
    """Diff two sequences of lines within roughly budget_s seconds (coarser if it runs out)."""
    old_t, new_t = tuple(old), tuple(new)
    differ = _Differ(old_t, new_t, budget_s)
    chunks = differ.run()
    return DiffResult(old_t, new_t, chunks, _stats(chunks, new_t, old_t), differ.degraded)


def diff_texts(old: str, new: str, *, budget_s: float = 2.0) -> DiffResult:
    """Diff two normalised texts (lines joined by "\\n"). "" has no line at all; otherwise the
    split is exact, so "\\n".join(result.new_lines) == new."""
    return diff_lines(old.split("\n") if old else (), new.split("\n") if new else (),
                      budget_s=budget_s)


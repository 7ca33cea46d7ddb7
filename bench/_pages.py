"""Synthetic policy pages for the cycle and storage benchmarks (no real policy text).

The texts are deterministic (seeded) and compress about like real ones: words are drawn from a
few thousand pseudo-words with a Zipf-like frequency, so zlib shrinks a text about 3x and a page
about 4x, close to the medians of ../shared/realworld (text 45 KB, 3.3x; raw HTML 175 KB,
3.7x). A page wraps its text in the markup of a real site: an inline script bundle, navigation,
a footer with a build id and, per request if asked, a CSP nonce.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

_ONSETS = ("b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sc sh sk sl sm "
           "sn sp st str t th tr v w wh y z").split()
_VOWELS = "a e i o u ai ea ee ie oo ou ay ey".split()
_CODAS = ("", "", "n", "r", "s", "t", "l", "m", "nd", "nt", "st", "ck", "ng", "rd", "ss", "ll")


def _vocabulary(size: int = 3000) -> list[str]:
    rng = random.Random(7)
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        words.add("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                          for _ in range(syllables)))
    return sorted(words, key=lambda w: (len(w), w))  # short words are the frequent ones


VOCAB = _vocabulary()
_WEIGHTS = [1.0 / (rank + 2) ** 1.05 for rank in range(len(VOCAB))]


_PHRASE_RNG = random.Random(11)
# Legal text repeats its phrases ("your personal data", "we may share"): a pool of them.
PHRASES = [" ".join(_PHRASE_RNG.choices(VOCAB, _WEIGHTS, k=_PHRASE_RNG.randint(3, 6)))
           for _ in range(1500)]
_PHRASE_WEIGHTS = [1.0 / (rank + 2) for rank in range(len(PHRASES))]


def sentence(rng: random.Random, low: int = 8, high: int = 28) -> str:
    words: list[str] = []
    wanted = rng.randint(low, high)
    while len(words) < wanted:
        if rng.random() < 0.4:
            words.extend(rng.choices(PHRASES, _PHRASE_WEIGHTS)[0].split())
        else:
            words.append(rng.choices(VOCAB, _WEIGHTS)[0])
    return " ".join(words).capitalize() + "."


def _script(seed: int, kb: int) -> str:
    """A deterministic blob of minified-looking JavaScript, the same on every request."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < kb * 1024:
        a, b, c = rng.choices(VOCAB, k=3)
        op = rng.choice(("&&", "||", "===", "!==", "+", "?", ","))
        part = (f"function {a[:rng.randint(1, 4)]}{rng.randint(0, 9999)}({b[0]},{c[0]}){{"
                f"var {c[:2]}={b[0]}{op}{c[0]}.{a}[{rng.randint(0, 99)}];return "
                f"{c[:2]}.{rng.choice(('push', 'call', 'apply', 'then', 'get'))}({b[0]})}}")
        parts.append(part)
        size += len(part)
    return "".join(parts)


@dataclass
class Policy:
    """One document: paragraphs that change over time, rendered as a site's page."""

    seed: int
    kb: int  # target size of the text
    title: str = "Privacy Policy"
    paragraphs: list[str] = field(default_factory=list)
    edits: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        size, n = 0, 0
        while size < self.kb * 1024:
            n += 1
            if n % 9 == 1:
                text = f"## {n // 9 + 1}. {sentence(rng, 2, 6)[:-1]}"
            else:
                text = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
            self.paragraphs.append(text)
            size += len(text) + 1
        self.script = _script(self.seed, max(30, self.kb * 2))

    def change(self, rng: random.Random) -> None:
        """A real change: a sentence added, rewritten or removed in one paragraph."""
        self.edits += 1
        i = rng.randrange(1, len(self.paragraphs))
        while self.paragraphs[i].startswith("##"):
            i = rng.randrange(1, len(self.paragraphs))
        kind = rng.choice(("add", "rewrite", "remove"))
        parts = self.paragraphs[i].split(". ")
        fresh = (f"We may share your {rng.choice(VOCAB)} data with {rng.choice(VOCAB)} "
                 f"partners for {rng.choice(VOCAB)} purposes (revision {self.edits})")
        if kind == "add" or len(parts) < 2:
            parts.insert(rng.randrange(len(parts) + 1), fresh)
        elif kind == "rewrite":
            parts[rng.randrange(len(parts))] = fresh
        else:
            del parts[rng.randrange(len(parts))]
            parts.insert(rng.randrange(len(parts) + 1), fresh)
        self.paragraphs[i] = ". ".join(p.rstrip(".") for p in parts) + "."

    def punctuate(self, rng: random.Random) -> None:
        """Noise the app keeps silently: the same words, other punctuation."""
        i = rng.randrange(1, len(self.paragraphs))
        text = self.paragraphs[i]
        self.paragraphs[i] = text.replace(". ", "; ", 1) if ". " in text else text + "!"

    def html(self, *, nonce: str = "", build: str = "b1") -> bytes:
        head = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{self.title}"
                f"</title><script nonce=\"{nonce}\">{self.script}</script>"
                f"<link rel=stylesheet href=\"/static/{build}/site.css\"></head><body>")
        nav = "".join(f"<li><a href=\"/{w}\">{w.title()}</a></li>" for w in VOCAB[200:260])
        body = []
        for k, para in enumerate(self.paragraphs):
            if para.startswith("## "):
                body.append(f"<h2 id=\"s{k}\">{para[3:]}</h2>")
            else:
                body.append(f"<p class=\"para\">{para}</p>")
        foot = (f"<footer><p>Build {build}</p><script nonce=\"{nonce}\">window.__b="
                f"\"{build}\"</script></footer></body></html>")
        return "".join([head, f"<nav><ul>{nav}</ul></nav><main><h1>{self.title}</h1>",
                        *body, "</main>", foot]).encode()


def nonce_for(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:22]

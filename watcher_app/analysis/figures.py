"""Figures and lists inside a reworded clause, and the two clause kinds read by their terms:
a quantity with a unit that moved (30 days -> 7 days of notice, a liability cap cut, a minimum
age lowered), a list of recipients, data, purposes, rights or prohibitions that grew or shrank,
a licence whose terms broadened, a forum or governing law that changed. Which direction is worse
for the user comes from resources/rules/clauses.json (`quantities`, `lists`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from watcher_app.analysis.acts import (
    IMPROVEMENT_LEVEL,
    STOP_WORDS,
    ActRead,
    Finding,
    Lexicon,
    QuantityRule,
    changed_quote,
    clip,
    lexicon,
)
from watcher_app.analysis.rules import Rules
from watcher_app.analysis.sections import SentenceEdit
from watcher_app.analysis.tokens import TOKEN

EDITORIAL_ROW = "row"  # figures in table rows are statistics, not terms


@dataclass(frozen=True)
class Quantity:
    unit: str  # "duration" | "age" | "money" | "percent"
    value: float
    span: tuple[int, int]
    text: str


def quantities(sentence: str, rules: Rules | None = None) -> list[Quantity]:
    """Figures with units: durations in days, ages in years, amounts, percentages."""
    lex = lexicon(rules)
    out: list[Quantity] = []
    for m in lex.quantity.finditer(sentence):
        g = m.groupdict()
        if g["n"]:
            value = _number(g["n"], lex)
            if value is None:
                continue
            if g["old"] or (g["unit"].lower().startswith("year") and _age_context(sentence)
                            and re.search(r"\bold\b|\bof age\b", sentence[m.end():m.end() + 12],
                                          re.IGNORECASE)):
                out.append(Quantity("age", value, m.span(), m.group()))
            else:
                out.append(Quantity("duration", value * lex.durations[g["unit"].lower()],
                                    m.span(), m.group()))
        elif g["age"] or g["age2"]:
            if _age_context(sentence) or (g["cue"] or "").lower().startswith("age"):
                out.append(Quantity("age", float(g["age"] or g["age2"]), m.span(), m.group()))
        elif g["amt"] or g["amt2"]:
            out.append(Quantity("money", float((g["amt"] or g["amt2"]).replace(",", "")),
                                m.span(), m.group()))
        elif g["pct"]:
            out.append(Quantity("percent", float(g["pct"]), m.span(), m.group()))
    for m in lex.forever.finditer(sentence):
        out.append(Quantity("duration", float("inf"), m.span(), m.group()))
    return sorted(out, key=lambda q: q.span)


_AGE_WORDS = re.compile(r"\b(age|aged|ages|old|children|child|minors?|teens?|teenagers?|kids?|"
                        r"parent\w*|guardian|young)\b", re.IGNORECASE)


def _age_context(sentence: str) -> bool:
    return bool(_AGE_WORDS.search(sentence))


def _number(text: str, lex: Lexicon) -> float | None:
    low = text.lower()
    if low in lex.numbers:
        return lex.numbers[low]
    try:
        return float(low.replace(",", ""))
    except ValueError:
        return None


def quantity_findings(edit: SentenceEdit, rules: Rules, limited: bool) -> list[Finding]:
    if edit.block_kind == EDITORIAL_ROW:
        return []
    lex = lexicon(rules)
    old_q, new_q = quantities(edit.old, rules), quantities(edit.new, rules)
    if bool(old_q) != bool(new_q):
        return _figure_appears(edit, old_q, new_q, lex, limited)
    if not old_q:
        return []
    out: list[Finding] = []
    for unit in ("duration", "age", "money", "percent"):
        olds = [q for q in old_q if q.unit == unit]
        news = [q for q in new_q if q.unit == unit]
        if not olds or not news or [q.value for q in olds] == [q.value for q in news]:
            continue
        pairs = list(zip(olds, news, strict=False)) if len(olds) == len(news) else \
            [(max(olds, key=lambda q: q.value), max(news, key=lambda q: q.value)),
             (min(olds, key=lambda q: q.value), min(news, key=lambda q: q.value))]
        for a, b in pairs:
            if a.value == b.value:
                continue
            rule = _rule_for(unit, edit.new, edit.new_block, lex)
            if rule is None:
                continue
            up = b.value > a.value
            worse = up == (rule.worse == "up")
            level = rule.level if worse else IMPROVEMENT_LEVEL
            ratio = (max(a.value, b.value) / min(a.value, b.value)) if min(a.value,
                                                                            b.value) > 0 else 0
            if worse and rule.big_factor and (ratio >= rule.big_factor or ratio == 0
                                              or b.value == float("inf")):
                level = rule.big_level or level
            what = f"{rule.what if worse else rule.better} ({a.text} → {b.text})"
            out.append(Finding("quantity", rule.topic, level, "worse" if worse else "better",
                               what, clip(edit.old, [a.span], 3), clip(edit.new, [b.span], 3),
                               f"{unit}:{rule.topic}", limited))
            break  # one finding per unit: the pairs are two views of one figure
    return out


def _figure_appears(edit: SentenceEdit, old_q: list[Quantity], new_q: list[Quantity],
                    lex: Lexicon, limited: bool) -> list[Finding]:
    """A clause that now states a figure it did not (or drops one): "as long as your account
    is active" -> "five years after you close your account". Which way that goes is not
    known, but the term it sets changed (medium)."""
    q = (new_q or old_q)[0]
    rule = _rule_for(q.unit, edit.new or edit.old, edit.new_block, lex)
    if rule is None:
        return []
    verb = "now states" if new_q else "no longer states"
    what = f"{verb} a figure for what the clause is about ({q.text})"
    return [Finding("quantity", rule.topic, "medium", "neutral", what,
                    clip(edit.old, [old_q[0].span], 3) if old_q else changed_quote(edit, "old"),
                    clip(edit.new, [new_q[0].span], 3) if new_q else changed_quote(edit, "new"),
                    f"{q.unit}:{rule.topic}", limited)]


def _rule_for(unit: str, sentence: str, block: str, lex: Lexicon) -> QuantityRule | None:
    for rule in lex.rules:
        if rule.unit != unit:
            continue
        if rule.cue is not None and not rule.cue.search(sentence):
            continue
        if rule.also is not None and not (rule.also.search(sentence) or rule.also.search(block)):
            continue
        return rule
    return None


# --- lists --------------------------------------------------------------------------------

_JOIN = {",", "and", "or", ";", "and/or", "as", "well"}


def _items(edit: SentenceEdit) -> tuple[list[tuple[str, tuple[int, int]]],
                                        list[tuple[str, tuple[int, int]]]]:
    """(items added to, items removed from) a list inside a reworded sentence: words inserted
    or deleted next to a comma or a conjunction. The words are aligned without the commas and
    conjunctions that join them ("spam or malware" -> "spam, malware or chain letters" adds
    "chain letters", not "malware")."""
    om = list(TOKEN.finditer(edit.old))
    nm = list(TOKEN.finditer(edit.new))
    ot = [m.group().lower() for m in om]
    nt = [m.group().lower() for m in nm]
    oi = [k for k, t in enumerate(ot) if t not in _JOIN]
    ni = [k for k, t in enumerate(nt) if t not in _JOIN]
    sm = SequenceMatcher(None, [ot[k] for k in oi], [nt[k] for k in ni], autojunk=False)
    added: list[tuple[str, tuple[int, int]]] = []
    removed: list[tuple[str, tuple[int, int]]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1 and i2 == i1:
            a, b = ni[j1], ni[j2 - 1] + 1
            if _listy(nt, a, b):
                added.append((_span_text(edit.new, nm, a, b), (nm[a].start(), nm[b - 1].end())))
        elif i2 > i1 and j2 == j1:
            a, b = oi[i1], oi[i2 - 1] + 1
            if _listy(ot, a, b) and not _dangling(nt, ni[j1 - 1] + 1 if j1 else 0):
                removed.append((_span_text(edit.old, om, a, b), (om[a].start(), om[b - 1].end())))
    return added, removed


_DETERMINERS = frozenset("the our a an your their its this these".split())


def _dangling(toks: list[str], k: int) -> bool:
    """Does the new sentence keep a determiner with nothing after it where the words went
    ("violations of our Terms, the , or other terms")? The name was a link whose text the
    capture lost, not an item the policy dropped."""
    before = toks[k - 1] if k > 0 else ""
    after = toks[k] if k < len(toks) else ""
    return before in _DETERMINERS and (after == "" or not after[:1].isalnum())


def _listy(toks: list[str], i: int, j: int) -> bool:
    inside = toks[i:j]
    before = toks[i - 1] if i > 0 else ""
    after = toks[j] if j < len(toks) else ""
    return bool({inside[0], inside[-1], before, after} & {",", "and", "or", ";", "and/or"})


def _span_text(sentence: str, matches: list[re.Match[str]], i: int, j: int) -> str:
    text = sentence[matches[i].start():matches[j - 1].end()]
    return text.strip(" ,;").removeprefix("and ").removeprefix("or ").strip(" ,;")


def list_findings(edit: SentenceEdit, old_acts: dict[str, ActRead], new_acts: dict[str, ActRead],
           rules: Rules, limited: bool) -> list[Finding]:
    lex = lexicon(rules)
    added, removed = _items(edit)
    if not added and not removed:
        return []
    out: list[Finding] = []
    for items, acts, sentence, grew in ((added, new_acts, edit.new, True),
                                        (removed, old_acts, edit.old, False)):
        other = edit.old if grew else edit.new
        for text, span in items:
            if not _is_item(text) or lex.scope_limit.search(text) or _restated_item(text, other):
                continue
            prohibited = lex.prohibition.search(sentence) or (
                edit.lead and lex.prohibition.search(edit.lead))
            governing = _governing(acts, span)
            if prohibited and (governing is None or governing.act.kind != "practice"):
                what = ("adds to what users may not do" if grew
                        else "removes something users were not allowed to do")
                # a rule for children ("If you're under the Age Limit, do not ...") is an
                # age rule, not a rule of conduct
                young = rules.any_pattern.get("minors")
                topic = "minors" if young is not None and young.search(sentence) \
                    else "acceptable-use"
                out.append(Finding("list", topic, "medium",
                                   "worse" if grew else "better", f"{what}: “{text}”",
                                   "" if grew else clip(sentence, [span]),
                                   clip(sentence, [span]) if grew else "", "prohibition",
                                   limited))
                continue
            if governing is None or governing.state == 0:
                continue  # a list in a negated clause: "we do not share X, Y" growing is better
            act = governing.act
            if act.kind in ("venue", "licence"):
                continue
            worse = grew == act.more_is_worse
            if worse:
                # a practice widened to sensitive data or recipients reaches the act's level;
                # a control or protection that covers less is weakened, not removed
                level = act.level if act.more_is_worse and lex.sensitive.search(text) \
                    else "medium"
            else:
                level = IMPROVEMENT_LEVEL
            verb = "widens" if grew else "narrows"
            what = f"{verb} {act.name}: {'adds' if grew else 'drops'} “{text}”"
            quote = clip(sentence, [span, governing.span])
            out.append(Finding("list", act.topic, level, "worse" if worse else "better", what,
                               "" if grew else quote, quote if grew else "", act.id, limited))
    return out


MAX_ITEM_WORDS = 8  # a longer insertion is a clause of its own, not an item of a list
_NOT_ITEMS = frozenset("then also required applicable including include includes such as "
                       "etc other others inc ltd llc corp co limited".split()) | STOP_WORDS


_CONDITIONS = frozenset("if when unless where once provided".split())
_SUBJECTS = frozenset("we you they it he she".split())
_MODALS = frozenset("will shall may must can would should could".split())


def _is_item(text: str) -> bool:
    """Does an inserted or deleted run read as a list item (a few words with one of substance,
    not a parenthesis, a company suffix or a connective)?"""
    words = [w for w in TOKEN.findall(text) if w[:1].isalnum()]
    if not words or len(words) > MAX_ITEM_WORDS or text.lstrip().startswith("("):
        return False
    if words[0].lower() in _CONDITIONS or (len(words) > 2 and words[0].lower() in _SUBJECTS) \
            or (len(words) > 2 and words[-2].lower() in _MODALS):
        # "If enabled by the account owner," is a condition, "and we may modify our prices"
        # a clause of its own, not a list item
        return False
    return any(len(w) >= 3 and w.lower() not in _NOT_ITEMS for w in words)


def _restated_item(text: str, other: str) -> bool:
    """Does the other version of the sentence already name every word of substance of this
    "item" ("for any or no reason" -> "for any other reason or no reason": no new reason)?"""
    named = {w.lower() for w in TOKEN.findall(other)}
    words = [w.lower() for w in TOKEN.findall(text) if w[:1].isalnum()]
    return all(w in named or w in _NOT_ITEMS for w in words)


def _governing(acts: dict[str, ActRead], span: tuple[int, int]) -> ActRead | None:
    """The act whose list an item belongs to: the nearest one stated before it (else after)."""
    before = [a for a in acts.values() if a.span[0] <= span[0]]
    if before:
        return max(before, key=lambda a: a.span[0])
    after = [a for a in acts.values() if a.span[0] > span[0]]
    return min(after, key=lambda a: a.span[0]) if after else None


# --- licences and venues --------------------------------------------------------------------


def licence_findings(edit: SentenceEdit, old_acts: dict[str, ActRead], new_acts: dict[str, ActRead],
             rules: Rules) -> list[Finding]:
    if "licence" not in old_acts and "licence" not in new_acts:
        return []
    lex = lexicon(rules)
    old_terms = {name for name, rx in lex.licence_terms if rx.search(edit.old)}
    new_terms = {name for name, rx in lex.licence_terms if rx.search(edit.new)}
    gained, lost = sorted(new_terms - old_terms), sorted(old_terms - new_terms)
    if not gained and not lost:
        return []
    act = (new_acts.get("licence") or old_acts["licence"]).act
    if gained:
        what = f"broadens {act.name}: now {', '.join(gained)}"
        return [Finding("licence", act.topic, act.level, "worse", what,
                        changed_quote(edit, "old"), changed_quote(edit, "new"), act.id)]
    what = f"narrows {act.name}: no longer {', '.join(lost)}"
    return [Finding("licence", act.topic, IMPROVEMENT_LEVEL, "better", what,
                    changed_quote(edit, "old"), changed_quote(edit, "new"), act.id)]


_PLACE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")


def venue_findings(edit: SentenceEdit, old_acts: dict[str, ActRead], new_acts: dict[str, ActRead],
                   rules: Rules) -> list[Finding]:
    """A clause on where something happens (courts, governing law, where data is stored)
    whose place or forum words changed."""
    out = []
    for act_id, read in new_acts.items():
        if read.act.kind != "venue" or act_id not in old_acts:
            continue
        changed = [edit.new[a:b] for a, b in edit.new_spans] + [edit.old[a:b] for a, b in
                                                                edit.old_spans]
        if not any(_PLACE.search(c) or _FORUM.search(c) for c in changed):
            continue
        act = read.act
        out.append(Finding("venue", act.topic, act.level, "neutral", f"changes {act.name}",
                           changed_quote(edit, "old"), changed_quote(edit, "new"), act.id))
    return out


_FORUM = re.compile(r"\b(courts?|arbitrat\w+|exclusive\w*|county|state|country|countries|"
                    r"residence|laws?|abroad|region|servers?)\b", re.IGNORECASE)

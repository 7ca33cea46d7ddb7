"""The demo's fictional platforms: their declarations (resources/demo/platforms.json), their
policy texts (resources/demo/*.md) and how one state of a document becomes an HTML page.

The texts use a small Markdown dialect (headings, `-` and `1.` lists, `|` tables, `**bold**`,
`[links](/path)`) with `{{slot}}` placeholders. A page is rendered the way each fictional site
would serve it: its own chrome (header, navigation, cookie notice, footer) around the
document, in its own markup. Two things vary without changing a word of the policy, as on real
sites: the markup (`markup` 0/1, a redesign) and the link targets, which carry a per-request
token.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from watcher_app.config import resources_dir

LIVE_EVENTS = ("ai-training", "cosmetic", "retention", "arbitration")


@dataclass(frozen=True)
class HistoryStep:
    days_ago: int
    set: dict[str, int] = field(default_factory=dict)
    edit: bool = False  # a substantive revision: version number and date line move
    markup: bool = False  # the site's markup redesign (no word changes)
    outage: bool = False  # the page showed a maintenance notice that day


@dataclass(frozen=True)
class DocSpec:
    platform_id: str
    type: str
    path: str  # on the demo site, below /<platform id>/
    template: str
    select: tuple[str, ...]
    remove: tuple[str, ...]
    major: int
    published_days_ago: int
    slots: dict[str, tuple[str, ...]]
    history: tuple[HistoryStep, ...]
    live: str | None
    banner: str | None

    @property
    def key(self) -> str:
        return f"{self.platform_id}/{self.path}"


@dataclass(frozen=True)
class PlatformSpec:
    id: str
    name: str
    company: str
    tagline: str
    style: str
    first_days_ago: int
    dateline: str
    date_style: str
    documents: tuple[DocSpec, ...]


@dataclass(frozen=True)
class DocState:
    """Everything that decides what a document's page says on a given day."""

    slots: tuple[tuple[str, int], ...]  # (slot, variant index), sorted
    edits: int = 0  # substantive revisions since the base text (the minor version number)
    updated: dt.date = dt.date(2000, 1, 1)  # the date line
    markup: int = 0  # 0: the site's original markup, 1: its redesign
    banner_bottom: bool = False  # where the update notice sits (documents that have one)
    outage: bool = False

    def slot(self, name: str) -> int:
        return dict(self.slots).get(name, 0)

    def with_slot(self, name: str, index: int) -> DocState:
        values = dict(self.slots)
        values[name] = index
        return _replace(self, slots=tuple(sorted(values.items())))


def _replace(state: DocState, **changes: Any) -> DocState:
    from dataclasses import replace

    return replace(state, **changes)


def demo_dir() -> Path:
    return resources_dir() / "demo"


@cache
def load_platforms() -> tuple[PlatformSpec, ...]:
    folder = demo_dir()
    data = json.loads((folder / "platforms.json").read_text(encoding="utf-8"))
    platforms = []
    for p in data["platforms"]:
        docs = []
        for d in p["documents"]:
            if d.get("live") is not None and d["live"] not in LIVE_EVENTS:
                raise ValueError(f"{p['id']}/{d['path']}: unknown live edit {d['live']!r}")
            docs.append(DocSpec(
                platform_id=p["id"], type=d["type"], path=d["path"],
                template=(folder / d["file"]).read_text(encoding="utf-8"),
                select=tuple(_as_list(d.get("select"))), remove=tuple(_as_list(d.get("remove"))),
                major=int(d["major"]), published_days_ago=int(d["published_days_ago"]),
                slots={k: tuple(v) for k, v in d.get("slots", {}).items()},
                history=tuple(HistoryStep(**s) for s in d.get("history", [])),
                live=d.get("live"), banner=d.get("banner")))
        platforms.append(PlatformSpec(
            id=p["id"], name=p["name"], company=p["company"], tagline=p["tagline"],
            style=p["style"], first_days_ago=int(p["first_days_ago"]), dateline=p["dateline"],
            date_style=p["date_style"], documents=tuple(docs)))
    return tuple(platforms)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def format_date(day: dt.date, style: str) -> str:
    if style == "mdy":
        return f"{day:%B} {day.day}, {day.year}"
    if style == "iso":
        return day.isoformat()
    return f"{day.day} {day:%B} {day.year}"


# --- Markdown dialect → HTML -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+(?::[a-z]+)?)\}\}")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


# `{g*A+B}` in a slot's text: a number that grows each time the slot's variants come round
# again, so a scheduled edit never returns a page to an earlier text (which the app would
# rightly call a flap, not a change)
_GENERATION = re.compile(r"\{g\*(\d+)\+(\d+)\}")


def slot_text(variants: tuple[str, ...] | list[str], index: int) -> str:
    """The text of variant `index` of a slot; indexes past the end go round again, one
    generation later."""
    generation, variant = divmod(index, len(variants))
    return _GENERATION.sub(lambda m: str(int(m.group(1)) * generation + int(m.group(2))),
                           variants[variant])


def document_markdown(platform: PlatformSpec, doc: DocSpec, state: DocState) -> str:
    """The document's text for `state`, placeholders filled (still Markdown)."""
    date = format_date(state.updated, platform.date_style)
    values = {name: slot_text(variants, state.slot(name)) for name, variants in doc.slots.items()}
    values["dateline"] = platform.dateline.format(date=date, version=f"{doc.major}.{state.edits}")
    banner = (doc.banner or "").format(date=date)
    values["banner:top"] = "" if state.banner_bottom else banner
    values["banner:bottom"] = banner if state.banner_bottom else ""
    lines: list[str] = []
    for line in doc.template.splitlines():
        filled = _PLACEHOLDER.sub(lambda m: values[m.group(1)], line)
        lines.extend(part for part in filled.split("\n") if part.strip())
    return "\n".join(lines)


def _inline(text: str, link: Any) -> str:
    out = html.escape(text, quote=False)
    out = _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", out)
    return _LINK.sub(lambda m: f'<a href="{html.escape(link(m.group(2)))}">{m.group(1)}</a>',
                     out)


def markdown_html(text: str, *, markup: int, link: Any, banner: str | None = None) -> str:
    """Our Markdown dialect as HTML. `markup` 1 is the redesigned site: section headings one
    level down, paragraphs as styled divs, bold as spans. `banner`: the update notice's text,
    wrapped as a notice wherever it stands."""
    out: list[str] = []
    open_list = ""
    rows: list[list[str]] = []

    def close() -> None:
        nonlocal open_list, rows
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        if rows:
            head, *body = rows
            cells = "".join(f"<th>{c}</th>" for c in head)
            out.append(f'<table class="{"tbl" if markup else "data-table"}"><thead><tr>{cells}'
                       "</tr></thead><tbody>")
            out.extend("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body)
            out.append("</tbody></table>")
            rows = []

    for line in text.splitlines():
        if banner is not None and line == banner:
            close()
            kind = "div" if markup else "aside"
            out.append(f'<{kind} class="notice notice--update" role="note"><p>'
                       f"{_inline(line, link)}</p></{kind}>")
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(set(c) <= {"-", ":", " "} for c in cells):
                continue
            if open_list:
                close()
            rows.append([_inline(c, link) for c in cells])
            continue
        if rows:
            close()
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        bullet = re.match(r"^- (.*)$", line)
        numbered = re.match(r"^\d+\. (.*)$", line)
        if heading:
            close()
            level = len(heading.group(1))
            if markup and level > 1:
                level += 1
            out.append(f'<h{level} id="{_slug(heading.group(2))}">'
                       f"{_inline(heading.group(2), link)}</h{level}>")
        elif listed := bullet or numbered:
            kind = "ul" if bullet else "ol"
            if open_list != kind:
                close()
                out.append(f"<{kind}>")
                open_list = kind
            item = _inline(listed.group(1), link)
            if markup:
                item = item.replace("<strong>", '<span class="fw-bold">').replace(
                    "</strong>", "</span>")
            out.append(f"<li>{item}</li>")
        else:
            close()
            body = _inline(line, link)
            out.append(f'<div class="para">{body}</div>' if markup else f"<p>{body}</p>")
    close()
    return "\n".join(out)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


# --- whole pages: each fictional site's own chrome around the document ------------------------


def _nav(platform: PlatformSpec, link: Any) -> str:
    items = "".join(f'<li><a href="{html.escape(link(f"/{d.key}"))}">{html.escape(d.type)}</a>'
                    "</li>" for d in platform.documents)
    return f'<nav aria-label="Legal"><ul>{items}</ul></nav>'


def render_page(platform: PlatformSpec, doc: DocSpec, state: DocState, link: Any) -> str:
    """The HTML page of `doc` in `state`. `link(path)` makes each link target (the site adds
    a per-request token to them, as many real sites do)."""
    text = document_markdown(platform, doc, state)
    banner = None
    if doc.banner:
        date = format_date(state.updated, platform.date_style)
        banner = doc.banner.format(date=date)
    body = markdown_html(text, markup=state.markup, link=link, banner=banner)
    name, title = html.escape(platform.name), html.escape(doc.type)
    home, nav = html.escape(link(f"/{platform.id}/")), _nav(platform, link)
    build = "b7f3a21" if state.markup else "a1c09e4"
    cookie = ('<div id="cookie-banner" class="cookie-banner">We use cookies to keep you signed '
              'in and to measure traffic. <button>Accept</button> <button>Settings</button></div>')
    footer = (f"<footer><p>© {state.updated.year} {html.escape(platform.company)}</p>"
              f"{nav}<p><a href=\"{html.escape(link('/'))}\">About this demo site</a></p>"
              "</footer>")
    head = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | {name}'
            f'</title><meta name="build" content="{build}"><link rel="stylesheet" '
            f'href="/static/{platform.id}.{build}.css"></head>')
    if platform.style == "quill":
        page = (f'<body class="legal"><header class="site-header"><a class="logo" href="{home}">'
                f"{name}</a><nav><a href=\"{home}\">Product</a> <a href=\"{home}\">Pricing</a> "
                f'<a href="{home}">Sign in</a></nav></header>'
                f'<div class="promo">Try {name} Pro free for 14 days.</div>'
                f'<main><div class="legal-layout"><aside class="legal-toc">{nav}</aside>'
                f'<article class="legal-document">{body}</article></div></main>')
    elif platform.style == "murmur":
        classes = "css-1q2w3e" if state.markup else "css-9z8y7x"
        page = (f'<body><div id="root"><div class="topbar {classes}"><a href="{home}">{name}</a>'
                f' <a href="{home}">Log in</a> <a href="{home}">Sign up</a></div>'
                f'<div class="layout {classes}"><section id="policy-body" class="{classes}">{body}'
                f'</section><aside class="trending"><h2>Trending rooms</h2><p>Late-night jazz '
                "· 1.2k listening</p></aside></div></div>")
    else:
        page = (f'<body><header class="masthead"><a href="{home}">{name}</a> <form role="search">'
                f'<input name="q" placeholder="Search for anything"></form></header>'
                f'<main id="main"><div class="breadcrumbs"><a href="{home}">Help Centre</a> › '
                f"Legal › {title}</div>{body}<div class=\"page-feedback\">Was this article "
                "helpful? <button>Yes</button> <button>No</button></div></main>")
    return f"{head}{page}{cookie}{footer}</body></html>"


def maintenance_page(platform: PlatformSpec) -> str:
    name = html.escape(platform.name)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Service temporarily "
            f"unavailable | {name}</title></head><body><h1>Service temporarily unavailable</h1>"
            f"<p>{name} is down for scheduled maintenance. We will be back shortly.</p>"
            "</body></html>")


def index_page(platforms: tuple[PlatformSpec, ...], link: Any) -> str:
    rows = []
    for p in platforms:
        docs = "".join(f'<li><a href="{html.escape(link(f"/{d.key}"))}">{html.escape(d.type)}'
                       "</a></li>" for d in p.documents)
        rows.append(f"<h2>{html.escape(p.name)}</h2><p>{html.escape(p.tagline)} "
                    f"({html.escape(p.company)})</p><ul>{docs}</ul>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Governance Watcher demo "
            "site</title></head><body><h1>Governance Watcher demo site</h1><p>Fictional "
            "platforms served by the app itself, on this computer only. Their policies change "
            "on a schedule so that you can watch the app notice it.</p>"
            + "".join(rows) + "</body></html>")

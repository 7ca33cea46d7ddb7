"""The app's own icons, drawn as SVG here and rendered to PNGs at 16–256 px.

`python -m watcher_app.ui.icons` rewrites resources/icons/ (the SVG sources and their PNG
renders). The PNGs are committed so start-up never renders anything; theme.icon() loads every
size into one QIcon so the tray and toolbars stay sharp on high-DPI screens.

Toolbar glyphs use a mid grey and a mid blue that keep >= 3:1 contrast on light and dark
window colours alike, so one set serves both themes.
"""

from __future__ import annotations

import sys
from pathlib import Path

GREY, BLUE = "#7a8699", "#3b82f6"
_STROKE = (f'fill="none" stroke="{GREY}" stroke-width="2" stroke-linecap="round" '
           'stroke-linejoin="round"')
_ACCENT = (f'fill="none" stroke="{BLUE}" stroke-width="2" stroke-linecap="round" '
           'stroke-linejoin="round"')

_SHIELD = "M128 14 L222 50 V122 C222 184 182 222 128 244 C74 222 34 184 34 122 V50 Z"
_EYE = """
  <path d="M58 130 Q128 62 198 130 Q128 198 58 130 Z" fill="#ffffff"/>
  <circle cx="128" cy="130" r="32" fill="#0ea5e9"/>
  <circle cx="128" cy="130" r="15" fill="#0f172a"/>
  <circle cx="138" cy="120" r="6" fill="#ffffff"/>"""


def _mark(top: str, bottom: str, extra: str = "") -> str:
    """The app mark: an eye on a shield (watching over governance documents)."""
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">
  <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>
  </linearGradient></defs>
  <path d="{_SHIELD}" fill="url(#g)" stroke="#0b1f4d" stroke-opacity="0.35" stroke-width="6"/>
  {_EYE}{extra}
</svg>"""


def _glyph(body: str) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">{body}</svg>'


SVGS: dict[str, str] = {
    "app": _mark("#3b82f6", "#1e3a8a"),
    "tray": _mark("#3b82f6", "#1e3a8a"),
    "tray-paused": _mark("#94a3b8", "#475569", """
  <rect x="168" y="160" width="76" height="76" rx="20" fill="#475569" stroke="#ffffff"
        stroke-width="8"/>
  <rect x="188" y="178" width="12" height="40" rx="3" fill="#ffffff"/>
  <rect x="212" y="178" width="12" height="40" rx="3" fill="#ffffff"/>"""),
    "tray-alert": _mark("#3b82f6", "#1e3a8a", """
  <circle cx="206" cy="52" r="42" fill="#dc2626" stroke="#ffffff" stroke-width="10"/>
  <rect x="199" y="26" width="14" height="34" rx="5" fill="#ffffff"/>
  <circle cx="206" cy="74" r="8" fill="#ffffff"/>"""),
    "health-ok": _glyph("""<circle cx="12" cy="12" r="10" fill="#1a7f37"/>
  <path d="M7 12.5l3.2 3.2L17 9" fill="none" stroke="#fff" stroke-width="2.4"
        stroke-linecap="round" stroke-linejoin="round"/>"""),
    "health-blocked": _glyph("""<circle cx="12" cy="12" r="10" fill="#a85d00"/>
  <rect x="6.5" y="10.8" width="11" height="2.4" rx="1.2" fill="#fff"/>"""),
    "health-failing": _glyph("""<path d="M12 2.5 L22.5 20.5 H1.5 Z" fill="#c62828"
        stroke="#c62828" stroke-width="1.5" stroke-linejoin="round"/>
  <rect x="11" y="8.5" width="2" height="7" rx="1" fill="#fff"/>
  <circle cx="12" cy="17.8" r="1.25" fill="#fff"/>"""),
    "health-pending": _glyph(f"""<circle cx="12" cy="12" r="9" {_STROKE}/>
  <path d="M12 7v5l3 2" {_STROKE}/>"""),
    "refresh": _glyph(f"""<path d="M20 12a8 8 0 1 1-2.35-5.65" {_ACCENT}/>
  <path d="M20 4v5h-5" {_ACCENT}/>"""),
    "pause": _glyph(f"""<rect x="6" y="5" width="4" height="14" rx="1" {_STROKE}/>
  <rect x="14" y="5" width="4" height="14" rx="1" {_STROKE}/>"""),
    "resume": _glyph(f'<path d="M7 4.5v15l12-7.5z" {_ACCENT}/>'),
    "settings": _glyph(f"""<path d="M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1" {_STROKE}/>
  <circle cx="15" cy="6" r="2" {_ACCENT}/><circle cx="9" cy="12" r="2" {_ACCENT}/>
  <circle cx="17" cy="18" r="2" {_ACCENT}/>"""),
    "bell": _glyph(f"""<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15z" {_STROKE}/>
  <path d="M10 21h4" {_ACCENT}/>"""),
    "activity": _glyph(f"""<path d="M9 6h11M9 12h11M9 18h11" {_STROKE}/>
  <circle cx="4.5" cy="6" r="1.5" fill="{BLUE}"/><circle cx="4.5" cy="12" r="1.5" fill="{BLUE}"/>
  <circle cx="4.5" cy="18" r="1.5" fill="{BLUE}"/>"""),
    "platforms": _glyph(f"""<rect x="3" y="3" width="7" height="7" rx="1.5" {_STROKE}/>
  <rect x="14" y="3" width="7" height="7" rx="1.5" {_STROKE}/>
  <rect x="3" y="14" width="7" height="7" rx="1.5" {_STROKE}/>
  <path d="M17.5 14.5v6M14.5 17.5h6" {_ACCENT}/>"""),
    "import": _glyph(f"""<path d="M4 15v4a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-4" {_STROKE}/>
  <path d="M12 3v12M7.5 10.5 12 15l4.5-4.5" {_ACCENT}/>"""),
    "add": _glyph(f'<path d="M12 5v14M5 12h14" {_ACCENT}/>'),
    "evidence": _glyph(f"""<path d="M6 3h8l4 4v6" {_STROKE}/><path d="M6 3v18h6" {_STROKE}/>
  <circle cx="17" cy="17" r="3.5" {_ACCENT}/><path d="M15.5 20.5l-1 2.5M18.5 20.5l1 2.5"
  {_ACCENT}/>"""),
    "copy": _glyph(f"""<rect x="8" y="8" width="12" height="12" rx="2" {_STROKE}/>
  <path d="M16 8V5a1 1 0 0 0-1-1H5a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h3" {_STROKE}/>"""),
    "diff": _glyph(f"""<rect x="3" y="4" width="8" height="16" rx="1.5" {_STROKE}/>
  <rect x="13" y="4" width="8" height="16" rx="1.5" {_STROKE}/>
  <path d="M5.5 9h3M15.5 9h3M15.5 13h3" {_ACCENT}/>"""),
    "folder": _glyph(f'<path d="M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4'
                     f'a1 1 0 0 1-1-1z" {_STROKE}/>'),
    "up": _glyph(f'<path d="M6 15l6-6 6 6" {_ACCENT}/>'),
    "down": _glyph(f'<path d="M6 9l6 6 6-6" {_ACCENT}/>'),
    "find": _glyph(f"""<circle cx="10.5" cy="10.5" r="6" {_STROKE}/>
  <path d="M15 15l5.5 5.5" {_ACCENT}/>"""),
    "read": _glyph(f"""<path d="M3 7l9 6 9-6" {_STROKE}/>
  <rect x="3" y="5" width="18" height="14" rx="2" {_STROKE}/>
  <path d="M14 17l2 2 4-4" {_ACCENT}/>"""),
    "timeline": _glyph(f"""<path d="M6 3v18" {_STROKE}/>
  <circle cx="6" cy="7" r="2" fill="{BLUE}"/><circle cx="6" cy="16" r="2" fill="{BLUE}"/>
  <path d="M10 7h10M10 16h7" {_STROKE}/>"""),
    "analysis": _glyph(f"""<path d="M4 20V10M10 20V4M16 20v-7" {_STROKE}/>
  <path d="M3 20.5h18" {_STROKE}/><circle cx="19" cy="6" r="2.5" {_ACCENT}/>"""),
    "back": _glyph(f'<path d="M15 6l-6 6 6 6" {_ACCENT}/>'),
}

SIZES = (16, 32, 64, 128, 256)


def render_all(folder: Path) -> list[Path]:
    """Write every SVG and its PNG renders into `folder`; returns the files written."""
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - keep alive
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, svg in SVGS.items():
        path = folder / f"{name}.svg"
        path.write_text(svg + "\n", encoding="utf-8")
        written.append(path)
        renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
        for size in SIZES:
            image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter)
            painter.end()
            png = folder / f"{name}-{size}.png"
            image.save(str(png))
            written.append(png)
    return written


if __name__ == "__main__":
    from watcher_app.config import resources_dir

    files = render_all(resources_dir() / "icons")
    print(f"wrote {len(files)} files to {files[0].parent}")

"""HTML of a printed form to PDF with WeasyPrint, in Sarabun, reporting its progress page by page.

WeasyPrint lays pages out one by one and logs each on ``weasyprint.progress`` ("Step 5 - Creating
layout - Page 12"); a handler listening to the rendering thread only turns those lines into a
percentage for a background job's progress bar.

Thai text stays extractable: HarfBuzz draws SARA AM (ำ) as two glyphs, NIKHAHIT then SARA AA, and
WeasyPrint maps one glyph to one text for the whole file, taken from the first cluster it met: the
NIKHAHIT to nothing, and the SARA AA to "ำ" if it first came in SARA AM, so a reader would copy
"อาเภอ" for "อำเภอ", or "บึงกำฬ" for "บึงกาฬ". Such glyphs get their own character from the
font's cmap instead, so the text copies as NIKHAHIT + SARA AA (the compatibility decomposition of
SARA AM, which Thai-aware search reads as ำ) and every SARA AA as า.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import pydyf
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from eplan_flow.services.documents import fonts

# Share of the bar each stage takes: building the data and the HTML, laying out pages, writing.
LAYOUT_FROM, LAYOUT_TO = 10, 90
_PAGE = re.compile(r"Step 5 - Creating layout - Page (\d+)")
_WRITING = "Step 6"
_PROGRESS_LOGGER = logging.getLogger("weasyprint.progress")
_MAPPING = re.compile(rb"<([0-9a-f]{4})> <([0-9a-f]*)>")
_TO_UNICODE = b"/CIDInit /ProcSet findresource begin"
_LIGATURE_NAME = re.compile(r"uni((?:[0-9A-F]{4}){2,})")


class FontsOnly(URLFetcher):
    """Fetch nothing but the Sarabun files: a form is self-contained, and user text never makes the
    renderer reach out to the network or the disk."""

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        folder = fonts.font_dir().resolve()
        if parsed.scheme != "file" or folder not in _parents(unquote(parsed.path)):
            raise ValueError(f"documents load only their fonts, not {url!r}")
        return super().fetch(url, headers)


def _parents(path: str):
    return Path(path).resolve().parents


class _PageCounter(logging.Handler):
    """Turns WeasyPrint's progress lines from one thread into a percentage."""

    def __init__(self, report: Callable[[int], None], expected_pages: int):
        super().__init__(level=logging.INFO)
        self.thread = threading.get_ident()
        self.report = report
        self.expected = max(1, expected_pages)

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return  # another document rendering at the same time
        message = record.getMessage()
        page = _PAGE.match(message)
        if page:
            share = min(1.0, int(page.group(1)) / self.expected)
            self.report(LAYOUT_FROM + int(share * (LAYOUT_TO - LAYOUT_FROM - 1)))
        elif message.startswith(_WRITING):
            self.report(LAYOUT_TO)


@contextmanager
def _counting(report: Callable[[int], None] | None, expected_pages: int) -> Iterator[None]:
    if report is None:
        yield
        return
    handler = _PageCounter(report, expected_pages)
    previous = _PROGRESS_LOGGER.level, _PROGRESS_LOGGER.propagate
    _PROGRESS_LOGGER.addHandler(handler)
    # The lines feed the bar; they are not worth a log line each.
    _PROGRESS_LOGGER.setLevel(logging.INFO)
    _PROGRESS_LOGGER.propagate = False
    try:
        yield
    finally:
        _PROGRESS_LOGGER.removeHandler(handler)
        _PROGRESS_LOGGER.setLevel(previous[0])
        _PROGRESS_LOGGER.propagate = previous[1]


@cache
def _glyph_characters() -> dict[int, str]:
    """Glyph id -> its character in Sarabun's cmap (every face of the family shares one glyph order)."""
    font = TTFont(str(fonts.font_dir() / fonts.FACES[(400, "normal")]))
    characters: dict[int, str] = {}
    for codepoint, name in sorted(font.getBestCmap().items()):
        characters.setdefault(font.getGlyphID(name), chr(codepoint))
    # Ligatures of two marks have no cmap entry but say what they draw in their name: "uni0E4D0E49"
    # is NIKHAHIT + MAI THO (the น้ำ of "กรมทรัพยากรน้ำ"), which WeasyPrint would map to nothing.
    for glyph, name in enumerate(font.getGlyphOrder()):
        if glyph not in characters and (found := _LIGATURE_NAME.fullmatch(name)):
            characters[glyph] = "".join(chr(int(code, 16)) for code in re.findall("[0-9A-F]{4}", found[1]))
    return characters


def _own_character(glyph: int, text: str) -> str | None:
    """The character glyph ``glyph`` should copy as, when WeasyPrint's ``text`` is not it."""
    own = _glyph_characters().get(glyph)
    if own is None or text == own:
        return None
    # Nothing at all, or a composed character of which the glyph draws one part (ำ for า).
    decomposed = unicodedata.normalize("NFKD", text)
    if not text or (decomposed != text and own in decomposed):
        return own
    return None


def _map_glyphs_to_their_characters(document, pdf_file: pydyf.PDF) -> None:
    """Rewrite the ToUnicode entries of glyphs drawn as part of a cluster (see the module doc)."""
    for item in pdf_file.objects:
        if not isinstance(item, pydyf.Stream) or not item.stream or item.stream[0] != _TO_UNICODE:
            continue
        for i, line in enumerate(item.stream):
            found = _MAPPING.fullmatch(line) if isinstance(line, bytes) else None
            if not found:
                continue
            text = bytes.fromhex(found[2].decode()).decode("utf-16-be")
            own = _own_character(int(found[1], 16), text)
            if own:
                item.stream[i] = b"<" + found[1] + b"> <" + own.encode("utf-16-be").hex().encode() + b">"


def render_pdf(html: str, *, progress: Callable[[int], None] | None = None, expected_pages: int = 1) -> bytes:
    """The PDF of ``html`` (a page of templates/documents/), its text in the embedded Sarabun.

    ``progress`` is called with 10..90 as pages are laid out (``expected_pages`` scales it).
    """
    font_config = FontConfiguration()
    fetcher = FontsOnly(allowed_protocols={"file"})
    faces = CSS(string=fonts.font_face_css(), font_config=font_config, url_fetcher=fetcher)
    with _counting(progress, expected_pages):
        document = HTML(string=html, url_fetcher=fetcher).render(stylesheets=[faces], font_config=font_config)
        data = document.write_pdf(finisher=_map_glyphs_to_their_characters)
    assert data is not None  # without a target, write_pdf returns the bytes
    return data

"""The one typeface of the printed forms: Sarabun, shipped as a package (fontpkg-sarabun).

Official documents use the TH Sarabun family; Sarabun (OFL) is the open font that stands in for it.
The PDFs name it by ``@font-face`` rules pointing at the package's own files, never by a family the
machine might map elsewhere: with only Laksaman installed, a CSS asking for "TH Sarabun New" makes
fontconfig substitute a scaled Laksaman and the glyphs overlap (see ../shared/STACK.md).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

FAMILY = "Sarabun"
# (CSS weight, CSS style) -> the file of fontpkg_sarabun/files/ that draws it.
FACES = {
    (400, "normal"): "Sarabun-Regular.ttf",
    (700, "normal"): "Sarabun-Bold.ttf",
    (400, "italic"): "Sarabun-Italic.ttf",
    (700, "italic"): "Sarabun-BoldItalic.ttf",
}


class FontMissing(RuntimeError):
    """The Sarabun package is not installed: refuse to print rather than fall back to another font."""


def font_dir() -> Path:
    """Where the installed package keeps the Sarabun files."""
    try:
        folder = Path(str(resources.files("fontpkg_sarabun") / "files"))
    except ModuleNotFoundError as exc:
        raise FontMissing("install fontpkg-sarabun (a dependency of eplan-flow)") from exc
    return folder


@cache
def font_face_css() -> str:
    """``@font-face`` rules for every face the forms use, each a ``file://`` URL of the package."""
    rules = []
    for (weight, style), name in FACES.items():
        path = font_dir() / name
        if not path.is_file():
            raise FontMissing(f"{path} is missing from fontpkg-sarabun")
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; src: url("{path.as_uri()}") format("truetype"); '
            f"font-weight: {weight}; font-style: {style}; }}"
        )
    return "\n".join(rules)


def licence_text() -> str:
    """The OFL licence the font is redistributed under."""
    return (font_dir().parent / "LICENSE").read_text(encoding="utf-8")

"""Reading a PDF back as a person's reader would: its pages, their text, their fonts, their paper."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader

A4_SHORT, A4_LONG = 595.3, 841.9  # points


@dataclass
class ReadPdf:
    pages: list[str]
    fonts: dict[str, bool]  # BaseFont name -> the font program is embedded (/FontFile*)
    sizes: list[tuple[float, float]]  # (width, height) per page, in points

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    def has(self, words: str) -> bool:
        """Whether ``words`` appear, wherever a table cell wrapped them onto several lines."""
        return re.sub(r"\s+", "", words) in re.sub(r"\s+", "", self.text)

    @property
    def landscape(self) -> bool:
        return all(w > h for w, h in self.sizes)

    @property
    def portrait(self) -> bool:
        return all(h > w for w, h in self.sizes)

    @property
    def a4(self) -> bool:
        return all(abs(min(w, h) - A4_SHORT) < 1 and abs(max(w, h) - A4_LONG) < 1 for w, h in self.sizes)


def _embedded(font) -> bool:
    descriptor = font.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font:
        descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def read(data: bytes) -> ReadPdf:
    assert data.startswith(b"%PDF-"), data[:40]
    reader = PdfReader(io.BytesIO(data))
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        for font in (resources.get_object().get("/Font") or {}).values() if resources else ():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = _embedded(font)
    return ReadPdf(
        pages=[readable(page.extract_text() or "") for page in reader.pages],
        fonts=fonts,
        sizes=[(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages],
    )


def assert_sarabun_only(pdf: ReadPdf) -> None:
    """Every font the PDF draws with is Sarabun, embedded (subset names look like ABCDEF+Sarabun-Bold)."""
    assert pdf.fonts, "the PDF names no font"
    for name, embedded in pdf.fonts.items():
        assert "Sarabun" in name, f"{name} is not Sarabun: {sorted(pdf.fonts)}"
        assert embedded, f"{name} is not embedded"


_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")


def readable(text: str) -> str:
    """The text as a Thai reader searches it: NIKHAHIT (+ a tone mark) + SARA AA, the way the PDF
    carries SARA AM (services/documents/pdf.py), read back as ำ."""
    return _SARA_AM.sub("\\1\u0e33", text)

"""Thai first: every message the project shows has a Thai translation in the catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
IGNORED = {".venv", "build", "dist", "instance", "tests", "node_modules"}


def _project_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=lambda path: (
            not (set(Path(path).parts) & IGNORED or Path(path).name.startswith("."))
        ),
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_project_has_a_thai_translation():
    with (ROOT / "eplan_flow/translations/th/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po, locale="th")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    missing = sorted(_project_messages() - translated)
    assert not missing, (
        "untranslated messages; run the extract/update commands in babel.cfg and translate: "
        + "; ".join(missing[:20])
    )

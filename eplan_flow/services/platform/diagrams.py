"""State diagrams drawn on the server: Graphviz's ``dot`` turns a definition's DOT text into SVG,
which the pages carry inline, so a diagram needs neither JavaScript nor a script from elsewhere.

Without ``dot`` (Debian's ``graphviz``; ``make run`` and ``make test`` install it) there is no
picture and the pages show their list of states and steps, which they show anyway.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import xml.etree.ElementTree as ET

from markupsafe import Markup

from workflows import WorkflowDefinition

log = logging.getLogger(__name__)

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

# The program, looked up on PATH at each drawing not yet cached (tests point it elsewhere).
DOT = "dot"
DOT_TIMEOUT_SECONDS = 10
# A few workflows x versions x states x two languages; the bound only stops a runaway.
CACHE_LIMIT = 2048
_drawn: dict[tuple, str] = {}


def state_diagram(
    definition: WorkflowDefinition, current: str | None, locale: str, label: str
) -> Markup | None:
    """The diagram of ``definition`` as an inline ``<svg role="img">`` named ``label``, ``current``
    highlighted; ``None`` when Graphviz is not installed or fails."""
    source = definition.dot(current, locale)
    # Per (workflow, version, state, locale); the DOT text too, so two registries that define the
    # same version differently (tests do) never share a picture.
    key = (definition.name, definition.version, current, locale, source)
    svg = _drawn.get(key)
    if svg is None:
        svg = _draw(source)
        if svg is None:
            return None
        if len(_drawn) < CACHE_LIMIT:
            _drawn[key] = svg
    return Markup(svg.replace("__LABEL__", str(Markup.escape(label)), 2))


def _draw(source: str) -> str | None:
    program = shutil.which(DOT)
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("graphviz could not draw a state diagram: %s", exc)
        return None
    if done.returncode != 0:
        log.warning("graphviz could not draw a state diagram: %s", done.stderr.decode(errors="replace")[:500])
        return None
    return _inline(done.stdout)


def _inline(svg: bytes) -> str:
    """Graphviz's SVG document as an element for an HTML page: no XML prolog, comments or ids
    (a page shows several diagrams), and no tooltip titles naming states by their code; one
    ``<title>`` and an ``aria-label`` (filled in per page) name the picture instead."""
    root = ET.fromstring(svg)  # our own dot's output; the parser drops the comments
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{SVG}}}title":
                parent.remove(child)
        parent.attrib.pop("id", None)
    drawn = dict(root.attrib)  # its size and viewBox, after what the page reads first
    root.attrib.clear()
    root.attrib.update(
        {"xmlns": SVG, "class": "state-diagram", "role": "img", "aria-label": "__LABEL__", **drawn}
    )
    title = ET.Element("title")
    title.text = "__LABEL__"
    root.insert(0, title)
    # Plain SVG tag names under one xmlns, whatever prefixes other libraries register process-wide
    # (openpyxl's registrations drop ElementTree's "" -> SVG mapping, which printed "ns0:svg").
    for element in root.iter():
        if element.tag.startswith(f"{{{SVG}}}"):
            element.tag = element.tag[len(SVG) + 2 :]
    return ET.tostring(root, encoding="unicode")

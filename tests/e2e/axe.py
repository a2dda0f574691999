"""axe-core in the browser: fail a page on serious or critical accessibility violations.

axe-core comes from its npm package as bundled by the pinned PyPI package axe-playwright-python
(the `test` extra), so a fresh clone needs no npm and no download at test time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from playwright.sync_api import Page

FAILING_IMPACTS = ("serious", "critical")
# The WCAG 2.0-2.2 level A and AA rules. Best-practice rules are left out: Flask-Admin's row
# checkboxes are named by a title only (label-title-only), which WCAG accepts.
RUN_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
}


@cache
def axe_source() -> str:
    """The axe-core script shipped inside axe-playwright-python."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it stands and return its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    results = page.evaluate("options => window.axe.run(document, options)", RUN_OPTIONS)
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(
                f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail listing every serious or critical axe-core violation on the page (JavaScript must be on)."""
    found = violations(page)
    assert not found, f"axe-core found serious or critical violations on {page.url}:\n{describe(found)}"

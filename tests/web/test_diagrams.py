"""State diagrams drawn on the server by Graphviz: inline SVG with Thai labels and the current state
marked, no script, cached per drawing, and a plain list of states and steps when Graphviz is absent."""

from __future__ import annotations

import re
import subprocess

import pytest

from eplan_flow.services.platform import diagrams
from tests import factories
from workflows import REGISTRY

SVG_TEXT = re.compile(r"<text\b([^>]*)>([^<]*)</text>")


def text(response) -> str:
    return response.get_data(as_text=True)


def svg_of(page: str) -> str:
    start = page.index("<svg")
    return page[start : page.index("</svg>", start) + len("</svg>")]


def labels_in(svg: str) -> dict[str, str]:
    """Each drawn text, stripped, with its attributes."""
    return {words.strip(): attributes for attributes, words in SVG_TEXT.findall(svg)}


@pytest.fixture
def fresh_drawings(monkeypatch):
    monkeypatch.setattr(diagrams, "_drawn", {})


def test_the_instance_page_draws_the_diagram_inline_in_thai_with_the_current_state_marked(
    world, login_as, fresh_drawings
):
    plan = factories.plan(world.sao_a, world.planner)
    response = login_as(world.planner).get(f"/instances/plan/{plan.id}")
    page = text(response)
    svg = svg_of(page)
    definition = REGISTRY.get("plan", plan.workflow_version)

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="state-diagram" role="img"')
    assert 'aria-label="แผนภาพสถานะของการจัดทำ/ทบทวนแผนพัฒนาท้องถิ่น (ข้อ 17) สถานะปัจจุบัน: ร่างแผน' in svg
    assert svg.count("<title>") == 1  # the picture's name; no per-node tooltips naming states by code
    drawn = labels_in(svg)
    for state in definition.states:
        assert definition.label(state, "th") in drawn
    for spec in definition.transitions:
        assert definition.trigger_label(spec.trigger, "th") in drawn
    # Only the current state is bold, white on the brand colour.
    bold = [words for words, attributes in drawn.items() if 'font-weight="bold"' in attributes]
    assert bold == ["ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)"]
    assert 'fill="#ffffff"' in drawn["ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)"]
    assert 'fill="#1f4e8c"' in svg
    # The text is drawn in a Thai font, and no state's code shows through.
    assert 'font-family="Sarabun,Laksaman,sans-serif"' in svg
    assert not any(state in svg for state in ("drafting", "committee_review", "announced"))
    # Nothing to run and nothing to fetch: no script, no Mermaid, a policy with no inline styles.
    assert "<script" not in page and "mermaid" not in page.lower()
    policy = response.headers["Content-Security-Policy"]
    assert (
        "style-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src ")[1].split(";")[0]
    )


def test_the_diagram_follows_the_state_and_the_language(world, login_as, fresh_drawings):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    drawn = labels_in(svg_of(text(login_as(world.planner).get(f"/instances/plan/{plan.id}?lang=en"))))
    definition = REGISTRY.get("plan", plan.workflow_version)
    bold = [words for words, attributes in drawn.items() if 'font-weight="bold"' in attributes]
    assert bold == [definition.label("committee_review", "en")]
    assert definition.label("drafting", "en") in drawn


def test_a_drawing_is_made_once_per_workflow_version_state_and_language(app, monkeypatch, fresh_drawings):
    runs = []
    real_run = subprocess.run

    def counting_run(*args, **kwargs):
        runs.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(diagrams.subprocess, "run", counting_run)
    plan = REGISTRY.get("plan", 1)
    first = diagrams.state_diagram(plan, "drafting", "th", "ก")
    again = diagrams.state_diagram(plan, "drafting", "th", "ข")
    assert len(runs) == 1
    # The cached picture is named for each page anew.
    assert 'aria-label="ก"' in first and 'aria-label="ข"' in again
    assert str(first).replace('"ก"', "").replace(">ก<", "") == str(again).replace('"ข"', "").replace(
        ">ข<", ""
    )
    diagrams.state_diagram(plan, "announced", "th", "ก")
    diagrams.state_diagram(plan, "drafting", "en", "ก")
    diagrams.state_diagram(plan, None, "th", "ก")
    assert len(runs) == 4


def test_a_label_cannot_break_out_of_the_picture(app, fresh_drawings):
    svg = diagrams.state_diagram(REGISTRY.get("plan", 1), None, "th", '"><script>alert(1)</script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_without_graphviz_the_pages_list_the_states_and_steps_as_text(
    world, login_as, monkeypatch, fresh_drawings
):
    monkeypatch.setattr(diagrams, "DOT", "no-such-graphviz-dot")
    plan = factories.plan(world.sao_a, world.planner)
    client = login_as(world.planner)
    page = text(client.get(f"/instances/plan/{plan.id}"))
    definition = REGISTRY.get("plan", plan.workflow_version)
    assert "<svg" not in page and "mermaid" not in page.lower() and "stateDiagram" not in page
    assert '<li aria-current="step">ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)' in page
    steps = page[page.index('<ul class="transitions">') :]
    for spec in definition.transitions:
        line = (
            f"<li>{definition.trigger_label(spec.trigger, 'th')}: "
            f"{definition.label(spec.source, 'th')} → {definition.label(spec.dest, 'th')}</li>"
        )
        assert line in steps
    listing = text(client.get("/workflows/plan"))
    assert "<svg" not in listing and "mermaid" not in listing.lower()
    assert "ส่งกลับไปแก้ไข" in listing and "ประกาศใช้แล้ว" in listing

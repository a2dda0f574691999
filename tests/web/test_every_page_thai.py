"""Every page of every role, in Thai: no English, no raw codes, no ids in place of names, money formatted.

A rich world (plans in several states, revisions holding every kind of item, executions in each
state, evaluation reports and actuals, notifications, SSO applications, emails) is built once per
role. The role signs in and the test crawls what it can reach: same-origin GET links from its home
pages and menus (bounded, one or two pages of each shape), then posts each form it found empty and
with values that are not valid, and reads the error pages. Every page is read as a person reads it:
its visible text, and the title, aria-label, placeholder and alt attributes and button values. A
finding names the page and the offending text.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.i18n import action_label, state_label
from eplan_flow.models import AuditEvent, EmailMessage, LaoStrategy, User
from eplan_flow.services.delivery import actuals
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.planning import civic_forum, reviews, revision_numbering, revisions
from eplan_flow.services.planning import plans as plan_service
from eplan_flow.services.platform import engine, notifications
from eplan_flow.services.platform.queues import drain_in_process
from tests import factories
from tests.factories import fire as fire_factories
from tests.factories import plans as plan_factories
from tests.factories import results as result_factories
from tests.factories.revisions import (
    FACT,
    POLICY_BASIS,
    announced_plan,
    new_project_values,
    record_civic_forum,
    sdg,
)
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request
from tests.identity.oidc.helpers import live_sso_session
from workflows import REGISTRY

REASONS = {"reasons": "ประชาคมเสนอโครงการเร่งด่วน", "necessity": "ถนนชำรุดจากอุทกภัย"}

# Thai names for the world's people: the factories' "คุณ a_planner" would read as English.
THAI_NAMES = {
    "planner": "นางสาวสมศรี ใจดี",
    "support_secretary": "นายสมชาย รักถิ่น",
    "devcom_secretary": "นางวันเพ็ญ ศรีสุข",
    "council_secretary": "นายประเสริฐ มั่นคง",
    "executive": "นายบุญมี ทองดี",
    "sso_admin": "นางสาวพิมพ์ใจ แก้วมณี",
    "district_officer": "นายวีระ สุขสวัสดิ์",
    "provincial_officer": "นางรัตนา บุญมา",
    "dla_admin": "นายกิตติ ศักดิ์สิทธิ์",
}


# -- the world -------------------------------------------------------------------------------------
def _thai_names(world) -> None:
    people = _db.session.scalars(select(User)).all()
    for n, person in enumerate(people):
        role = next((r for r, name in THAI_NAMES.items() if getattr(world, r, None) is person), None)
        person.full_name = THAI_NAMES.get(role) or f"นายทดสอบ ลำดับที่ {n + 1}"
    _db.session.commit()


# What a step records when its definition asks (a meeting, a procurement method, a contract).
STEP_FACTS = {
    "meeting_date": "2026-01-15",
    "resolution": "ครั้งที่ 1/2569",
    "procurement_method": "วิธีเฉพาะเจาะจง",
}


def _records(workflow: str, row_id: int, trigger: str) -> tuple[str, ...]:
    """The facts ``trigger`` records on the row's workflow version."""
    row = _db.session.get(engine.model_for(workflow), row_id)
    definition = engine.definition_of(row)
    return tuple(name for spec in definition.candidates(row, trigger) for name, _kind in spec.data_fields)


def step(workflow: str, row_id: int, trigger: str, actor, **facts) -> None:
    """Fire ``trigger`` with the facts its step records (and only those)."""
    wanted = _records(workflow, row_id, trigger)
    data = {name: facts.get(name, STEP_FACTS.get(name, "ข้อมูลประกอบ")) for name in wanted}
    engine.fire(workflow, row_id, trigger, actor, data=data or None)


def build_rich_world(app) -> SimpleNamespace:
    """The world of ``factories.build_world`` with something on every page of every role."""
    w = factories.build_world()
    w.eplan = eplan_client()

    # sao_a: the plan in force (2566-2570) with revisions and executions ...
    w.plan = announced_plan(w.sao_a, w.planner, projects=8, period_start_be=2566)
    programme = plan_factories.programme("00310", "แผนงานเคหะและชุมชน", 6)
    announced = revisions.open_revision(w.planner, w.plan.id, **REASONS)
    # Money only in 2570, the fiscal year in progress: revisions may not touch a year that has passed.
    values = new_project_values(w.plan, "โครงการขุดลอกหนองน้ำ", year=5)
    revisions.add_addition(w.planner, announced.id, values, "ภัยแล้ง")
    revisions.add_change(w.planner, announced.id, 1, {"budget_5": "120000.00"}, reason="ราคาวัสดุสูงขึ้น")
    revisions.add_correction(w.planner, announced.id, 2, {"name": "โครงการที่ 2 (แก้คำผิด)"}, fact=FACT)
    record_civic_forum(w.planner, announced.id)
    step("revision", announced.id, "submit", w.planner)
    step("revision", announced.id, "endorse", w.devcom_secretary)
    step("revision", announced.id, "approve_by_council", w.council_secretary)
    step("revision", announced.id, "approve_and_announce", w.executive)
    # ... a draft holding every kind of item and every kind of value ...
    w.draft = revisions.open_revision(w.planner, w.plan.id, **REASONS)
    revisions.add_addition(
        w.planner,
        w.draft.id,
        {
            **new_project_values(w.plan, "โครงการจัดซื้อรถบรรทุกน้ำ", "120000.00", year=5),
            "source": "equipment",
            "equipment_category": "ครุภัณฑ์ยานพาหนะและขนส่ง",
            "equipment_type": "รถบรรทุกน้ำ",
            "unit": "คัน",
        },
        reason="รถเดิมชำรุด",
    )
    revisions.add_change(
        w.planner,
        w.draft.id,
        3,
        {"programme_id": programme.id, "source": "community", "budget_5": "120000.00", "links": [sdg(6).id]},
        reason="ย้ายแผนงาน",
    )
    revisions.add_correction(w.planner, w.draft.id, 4, {"kpi": "ร้อยละ 95"}, fact=FACT)
    # ... one waiting at the development committee ...
    w.waiting = revisions.open_revision(w.planner, w.plan.id, **REASONS)
    revisions.add_change(w.planner, w.waiting.id, 5, {"budget_5": "75500.25"}, reason="ปรับลดงบประมาณ")
    step("revision", w.waiting.id, "submit", w.planner)
    # ... a clause 22/2 draft with its basis, and the LAO's own numbering with a next number set ...
    w.policy = revisions.open_revision(w.planner, w.plan.id, route="policy", **REASONS, **POLICY_BASIS)
    revision_numbering.save_settings(w.planner, w.sao_a.id, "fiscal", "kind", "ฉบับที่")
    revision_numbering.set_next_number(w.planner, w.sao_a.id, "fiscal", 2570, "เพิ่มเติม", 3)
    # ... and a review (ทบทวน) drafted with the civic forum, changing a strategy and a project.
    w.review = reviews.open_review(w.planner, w.plan.id, reasons="ทบทวนตามรอบ")
    first = _db.session.scalar(
        select(LaoStrategy).where(LaoStrategy.plan_id == w.plan.id).order_by(LaoStrategy.number)
    )
    reviews.set_strategy(w.planner, w.review.id, strategy_id=first.id, number=1, name="ยุทธศาสตร์เมืองน่าอยู่")
    reviews.change_project(w.planner, w.review.id, 6, {"target": "ถนนยาว 300 เมตร"}, reason="ขยายเป้าหมาย")
    civic_forum.record_meeting(
        w.planner,
        "review",
        w.review.id,
        meeting_date="12/11/2568",
        place="ศาลาประชาคม",
        attendees="50",
        resolution="เห็นชอบ",
    )

    # Executions of fiscal year 2569 in each state.
    year = 2569

    def budgeted(no: int, amount: str = "500000.00"):
        return execution_service.budget_project(w.planner, w.plan.id, no, year, amount)

    def contracted(execution, contract_no: str, amount: str) -> None:
        step("execution", execution.id, "start_procurement", w.planner)
        contract = {"contract_no": contract_no, "contract_date": "2025-11-01", "contractor": "หจก. ทางดี"}
        if not _records("execution", execution.id, "sign_contract"):
            execution_service.record_contract(
                w.planner, execution.id, contract_no, date(2025, 11, 1), "หจก. ทางดี", amount
            )
        step("execution", execution.id, "sign_contract", w.planner, **contract, contract_amount=amount)
        step("execution", execution.id, "start_disbursing", w.planner)

    budgeted(1)
    procurement = budgeted(2)
    step("execution", procurement.id, "start_procurement", w.planner)
    disbursing = budgeted(3)
    execution_service.add_transfer(
        w.planner, disbursing.id, "transfer_in", "20000.00", date(2025, 10, 20), "งบประมาณเพิ่มเติม"
    )
    execution_service.add_transfer(w.planner, disbursing.id, "transfer_out", "10000.00", date(2025, 10, 25))
    contracted(disbursing, "จ.3/2569", "450000.00")
    execution_service.add_disbursement(w.planner, disbursing.id, date(2025, 12, 15), "200000.00", 40)
    completed = budgeted(4, "100000.00")
    contracted(completed, "จ.4/2569", "90000.00")
    execution_service.add_disbursement(w.planner, completed.id, date(2026, 1, 15), "90000.00", 100)
    step("execution", completed.id, "complete", w.planner)
    cancelled = budgeted(6)
    execution_service.cancel(w.planner, cancelled.id, "ไม่ได้รับอนุญาตใช้พื้นที่")
    closed = budgeted(7, "30000.00")
    step("execution", closed.id, "close_without_procurement", w.planner)
    carried = budgeted(8, "40000.00")
    step("execution", carried.id, "carry_over", w.planner)

    # The next plan, being drafted, with a project of each kind.
    w.next_plan = plan_factories.drafting_plan(w.sao_a, w.planner, period_start_be=2571)
    strategy = plan_factories.strategy(w.next_plan, tactics=2)
    budgets = {2571: "250000.00", 2572: "0", 2573: "1500.50", 2574: "", 2575: "120000"}
    for n, source in enumerate(("own", "community", "beyond_capacity"), start=1):
        plan_factories.add_project(
            w.next_plan,
            w.planner,
            strategy,
            programme,
            name=f"โครงการที่ {n} ของแผนถัดไป",
            source=source,
            budgets=budgets,
        )
    plan_service.add_project(
        w.planner,
        w.next_plan.id,
        plan_factories.project_values(
            strategy,
            programme,
            name="จัดซื้อเครื่องสูบน้ำ",
            source="equipment",
            equipment_category="ครุภัณฑ์การเกษตร",
            equipment_type="เครื่องสูบน้ำ",
            unit="เครื่อง",
            budgets=budgets,
        ),
    )

    # Other LAOs' plans along the workflow, for the committees and the oversight offices.
    w.town_plan = factories.plan(w.town_b, w.town_planner)
    fire_factories.give_a_project(w.town_plan, w.town_planner)
    w.plan_c = factories.plan(w.sao_c, w.planner_c, status="committee_review")
    w.plan_x = factories.plan(w.sao_x, w.planner_x, status="announced")

    # Results: a report drafting, one with the executive; actuals of an ended year.
    w.report = result_factories.drafted_report(w.sao_a, w.planner, fiscal_year_be=2568)
    w.report_sent = result_factories.drafted_report(w.sao_a, w.planner, fiscal_year_be=2567, round="april")
    step("evaluation", w.report_sent.id, "submit_to_executive", w.planner)
    values = {name: "125000.50" for _kind, _category, name in actuals.fields()[:4]}
    actuals.save_actuals(w.planner, w.sao_a.id, 2568, values)

    # The SSO: an application waiting for sao_a's admin, a member asking for e-Plan.
    w.applicant, w.application = applicant(w.sao_a, name="นายสมหมาย สมัครใหม่")
    w.member, _, w.access = member_with_access_request(w.sao_a, w.sso_admin)
    for status in ("queued", "sent", "kept"):
        _db.session.add(
            EmailMessage(
                to=f"{status}@example.test",
                subject="ยืนยันที่อยู่อีเมล",
                body="กรุณายืนยันที่อยู่อีเมล",
                status=status,
                user_id=w.applicant.id,
            )
        )
    _db.session.commit()
    _thai_names(w)
    # The notifications of every step above, as the outbox's jobs would write them.
    drain_in_process(app)
    steps = _db.session.execute(
        select(AuditEvent.id, AuditEvent.chain, AuditEvent.workflow).order_by(AuditEvent.id)
    ).all()
    for event_id, chain, workflow in steps:
        if workflow and chain.partition(":")[0] == workflow:  # a step, not a content record
            notifications.notify_next_actors(event_id)
    return w


# -- reading a page as a person reads it -----------------------------------------------------------
BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "button",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "label",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
}
HIDDEN_TAGS = {"script", "style", "template", "textarea"}
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # name, type, value, options


class Page(HTMLParser):
    """The lines of text a reader sees, the links and the forms of one HTML page."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.lines: list[str] = []
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._line: list[str] = []
        self._open: list[tuple[str, bool]] = []  # open elements: (tag, hides its text)
        self._form: Form | None = None
        self._select: list[str] | None = None

    @property
    def _hidden(self) -> bool:
        return any(hides for _tag, hides in self._open)

    def _break(self) -> None:
        line = " ".join(" ".join(self._line).split())
        if line:
            self.lines.append(line)
        self._line = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in BLOCK_TAGS:
            self._break()
        if tag not in VOID_TAGS:
            # Hidden: data for scripts.
            classes = a.get("class", "").split()
            hides = (
                tag in HIDDEN_TAGS
                or "hidden" in a
                or "d-none" in classes  # the back office's data for its scripts
                or "display:none" in a.get("style", "").replace(" ", "")
            )
            self._open.append((tag, hides))
        if not self._hidden:
            for name in READ_ATTRIBUTES:
                if a.get(name):
                    self.lines.append(a[name])
            if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
                self.lines.append(a["value"])
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(urljoin(self.url, a.get("action") or self.url))
            self.forms.append(self._form)
        if self._form is not None and a.get("name"):
            if tag == "input":
                self._form.fields.append((a["name"], a.get("type", "text"), a.get("value", ""), []))
            elif tag == "textarea":
                self._form.fields.append((a["name"], "textarea", "", []))
            elif tag == "select":
                self._select = []
                self._form.fields.append((a["name"], "select", "", self._select))
        if tag == "option" and self._select is not None:
            self._select.append(a.get("value", ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self._break()
        if any(t == tag for t, _ in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None

    def handle_data(self, data):
        if not self._hidden:
            self._line.append(data)

    def close(self):
        super().close()
        self._break()


# -- what must not be there ------------------------------------------------------------------------
# Words that stay in Latin letters in the Thai interface: names of systems and standards.
# KPI is the ผ.02 form's own column heading ("ตัวชี้วัด (KPI)"); English names the language switch.
# Ctrl names a key to press.
ALLOWED_WORDS = {"SSO", "ThaiD", "SDG", "SDGs", "PDF", "CSV", "XLSX", "Excel", "KPI", "Ctrl", "English"}
NOT_WORDS = [
    re.compile(r"https?://\S+"),  # addresses
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # email addresses
    re.compile(r"\be-Plan\b|\beplan-flow\b"),
    # Names of government systems (e-LAAS, e-GP) and the Procurement Act's electronic methods.
    re.compile(r"\be-(?:LAAS|GP|bidding|market)\b"),
    re.compile(r"\b[A-Z]{2,}-\d+\b|\bDLA\b"),  # office codes: DO-3801, PO-38, DLA
    re.compile(r"\bSDG\s?\d+\b"),
    re.compile(r"\b[0-9a-f]{16,}\b"),  # request ids, shown so a person can quote them
    re.compile(r"\b\d-x{4}-x{5}-x{2}-\d\b"),  # a masked citizen ID
]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]{2,}")
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:[_:][a-z0-9]+)+\b")
UNFORMATTED_MONEY = re.compile(r"(?<![\d,.])\d{4,}\.\d{2}(?!\d)")
# "แผนงาน: 39": a label followed by a bare number where a name belongs (ordinals and counts pass).
BARE_ID = re.compile(r"([\u0E00-\u0E7F]+[\u0E00-\u0E7F ()]*?)\s*:\s*(\d+)(?=\s*$|\s*[|;]|,\s)")
NUMBER_LABELS = re.compile(r"ที่|ปี|จำนวน|ร้อยละ|รุ่น|ลำดับ|ครั้ง|พ\.ศ|เลข|รหัส|หมู่|อายุ")


def findings(page: Page, data_values: set[str]) -> list[str]:
    found = []
    for line in page.lines:
        if page.url.startswith("/admin/") and _is_json(line):
            continue  # a stored record shown as it is kept (an audit event's data), in the back office
        scrubbed = line
        for pattern in NOT_WORDS:
            scrubbed = pattern.sub(" ", scrubbed)
        for value in data_values:
            scrubbed = scrubbed.replace(value, " ")
        words = [w for w in LATIN_WORD.findall(scrubbed) if w not in ALLOWED_WORDS]
        if words:
            found.append(f"English {words}: {line[:160]!r}")
        elif SNAKE_CODE.search(scrubbed):
            found.append(f"raw code {SNAKE_CODE.search(scrubbed).group(0)!r}: {line[:160]!r}")
        if UNFORMATTED_MONEY.search(line):
            found.append(f"unformatted money {UNFORMATTED_MONEY.search(line).group(0)!r}: {line[:160]!r}")
        for match in BARE_ID.finditer(line):
            if not NUMBER_LABELS.search(match.group(1)):
                found.append(f"bare id {match.group(0)!r}: {line[:160]!r}")
    return found


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict | list)
    except ValueError:
        return False


# -- the crawl -------------------------------------------------------------------------------------
SKIP = re.compile(
    r"^/(static|admin/static|dev/thaid|oidc|api)/|/logout|/auth/oidc/|/export[./]|\.(csv|pdf|xlsx|json)$"
    r"|^/sso/verify/thaid|^/sso/confirm/|^/sso/reset/|/ajax/"
    # Views for operators whose vocabulary is technical: the job machinery (job and queue names) and
    # OpenID Connect settings (client ids, scopes, redirect URIs, as the connected systems name them).
    r"|^/admin/(outbox|jobs|oidc_clients|oidc_keys)/"
)
SKIP_QUERY = re.compile(r"(^|&)(lang|print|format)=")
# Forms not to post: they end the session, delete, or hand over to another system.
SKIP_POST = re.compile(r"/logout|/delete|/remove|/withdraw|^/admin/(?!\w+/new/)|/oidc/|/notifications/read")
# Pages of one shape (/plans/N, /admin/audit/?sort=N) read per role: two on the app's own pages (a
# drafting and an announced plan differ), one in the back office (its pages share one template).
PER_SHAPE = 2
PER_SHAPE_BACK_OFFICE = 1
MAX_PAGES = 300


def shape(path: str, query: str) -> str:
    keys = sorted(k for k, _ in parse_qsl(query))
    return re.sub(r"\d+", "N", path) + "?" + "&".join(keys)


@dataclass
class Crawl:
    client: object
    data_values: set[str]
    problems: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    shapes: dict[str, int] = field(default_factory=dict)
    forms: dict[str, tuple[str, Form]] = field(default_factory=dict)
    pages: int = 0
    posts: int = 0

    def read(self, url: str, response) -> Page | None:
        if response.status_code >= 500:
            self.problems.append(f"{url}: HTTP {response.status_code}")
            return None
        if "text/html" not in response.headers.get("Content-Type", ""):
            return None
        page = Page(url)
        page.feed(response.get_data(as_text=True))
        page.close()
        self.problems.extend(f"{url}: {finding}" for finding in findings(page, self.data_values))
        return page

    def get_all(self, starts: list[str]) -> None:
        queue = deque(starts)
        while queue and self.pages < MAX_PAGES:
            url = queue.popleft()
            parts = urlsplit(url)
            if (
                parts.netloc not in ("", "localhost")
                or SKIP.search(parts.path)
                or SKIP_QUERY.search(parts.query)
            ):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            key = shape(parts.path, parts.query)
            limit = PER_SHAPE_BACK_OFFICE if parts.path.startswith("/admin/") else PER_SHAPE
            if target in self.visited or self.shapes.get(key, 0) >= limit:
                continue
            self.visited.add(target)
            self.shapes[key] = self.shapes.get(key, 0) + 1
            response = self.client.get(target)
            if response.status_code in (301, 302, 303, 307, 308):
                queue.appendleft(urljoin(target, response.headers["Location"]))
                continue
            self.pages += 1
            page = self.read(target, response)
            if page is None:
                continue
            for form in page.forms:
                path = urlsplit(form.action).path
                form_key = shape(path, "") + "|" + ",".join(sorted(n for n, *_ in form.fields))
                if not SKIP_POST.search(path) and form_key not in self.forms:
                    self.forms[form_key] = (target, form)
            queue.extend(link.split("#")[0] for link in page.links if link.split("#")[0])

    def post_all(self) -> None:
        for source, form in self.forms.values():
            for values in (_blank(form), _not_valid(form)):
                path = urlsplit(form.action).path
                response = self.client.post(path, data=values, follow_redirects=True)
                self.posts += 1
                self.read(f"POST {path} (form of {source})", response)


def _blank(form: Form) -> dict:
    return {name: value for name, kind, value, _ in form.fields if kind == "hidden"}


def _not_valid(form: Form) -> dict:
    values = _blank(form)
    for name, kind, _value, options in form.fields:
        if kind in ("text", "textarea", "number", "date", "tel", "search"):
            values[name] = "สิบ"
        elif kind == "email":
            values[name] = "ไม่ใช่อีเมล"
        elif kind == "select" and options:
            values[name] = options[-1]
    return values


# -- the roles -------------------------------------------------------------------------------------
ROLES = (
    "planner",
    "support_secretary",
    "devcom_secretary",
    "council_secretary",
    "executive",
    "sso_admin",
    "district_officer",
    "provincial_officer",
    "dla_admin",
)


def sso_session(client, user) -> None:
    """The SSO session its sign-in page would leave, beside e-Plan's (``eplan_flow.sso.session``)."""
    live_sso_session(user.id, f"test-{user.id}")
    with client.session_transaction() as session:
        session["sso_uid"] = user.id
        session["sso_auth_time"] = int(time.time())
        session["sso_sid"] = f"test-{user.id}"


def data_values(world) -> set[str]:
    """What people typed or were given (usernames, addresses): data, not interface text."""
    people = _db.session.scalars(select(User)).all()
    return {v for p in people for v in (p.username, p.email) if v}


def crawl_as(app, client, login_as, world, who) -> Crawl:
    user = getattr(world, who) if isinstance(who, str) else who
    login_as(user)
    sso_session(client, user)
    crawl = Crawl(client, data_values(world))
    crawl.get_all(["/", "/notifications", "/workflows", "/sso/", "/sso/access", "/sso/approvals", "/admin/"])
    crawl.post_all()
    return crawl


def report(crawl: Crawl, who: str) -> str:
    """Each finding once, with the first page that shows it and on how many pages it is."""
    where: dict[str, list[str]] = {}
    for problem in crawl.problems:
        url, _, finding = problem.partition(": ")
        where.setdefault(finding, []).append(url)
    lines = [f"{urls[0]} (and {len(urls) - 1} more): {finding}" for finding, urls in where.items()]
    return f"{who}: {len(lines)} findings on {crawl.pages} pages and {crawl.posts} posts:\n" + "\n".join(
        lines[:100]
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_reads_in_thai(app, db, client, login_as, role):
    world = build_rich_world(app)
    crawl = crawl_as(app, client, login_as, world, role)
    assert crawl.pages >= 5, report(crawl, role)
    assert not crawl.problems, report(crawl, role)


def test_every_page_an_applicant_and_a_visitor_reach_reads_in_thai(app, db, client):
    world = build_rich_world(app)
    visitor = Crawl(client, data_values(world))
    visitor.get_all(["/auth/login", "/public/", "/sso/login", "/sso/register", "/sso/forgot"])
    visitor.post_all()
    sso_session(client, world.applicant)
    applicant_crawl = Crawl(client, data_values(world))
    applicant_crawl.get_all(["/sso/", "/sso/access", "/sso/details"])
    applicant_crawl.post_all()
    for who, crawl in (("visitor", visitor), ("applicant", applicant_crawl)):
        assert crawl.pages >= 3, report(crawl, who)
        assert not crawl.problems, report(crawl, who)


def test_every_action_in_the_audit_trail_has_a_thai_name(app, db):
    build_rich_world(app)
    with app.test_request_context("/"):
        unnamed = set()
        for event in _db.session.scalars(select(AuditEvent)):
            definition = REGISTRY.get(event.workflow, event.workflow_version) if event.workflow else None
            if action_label(event.action, definition) == event.action:
                unnamed.add(event.action)
            for state in (event.from_state, event.to_state):
                if state and state_label(state, definition) == state:
                    unnamed.add(state)
    assert not unnamed


def _read(html: str, url: str = "/page") -> Page:
    page = Page(url)
    page.feed(html)
    page.close()
    return page


def test_the_reader_flags_what_the_issue_reported_and_passes_plain_thai():
    reported = _read(
        "<ul><li>This field is required.</li><li>แผนงาน: 39</li><li>ประเภทโครงการ: own</li>"
        "<li>งบประมาณ: 120000.00</li><li>eplan:planner</li></ul><button title='Toggle navigation'>≡</button>"
    )
    found = " | ".join(findings(reported, set()))
    for snippet in (
        "This field is required.",
        "'แผนงาน: 39'",
        "own",
        "'120000.00'",
        "eplan:planner",
        "Toggle",
    ):
        assert snippet in found
    plain = _read(
        "<title>แผนงาน · e-Plan</title><p>แผนงาน: 00310 แผนงานเคหะและชุมชน; งบประมาณ ปีที่ 3 (บาท): 120,000.00</p>"
        "<p>ครั้งที่: 4/2569 · รุ่นที่: 2 · DO-3801 · SDG 6 · ThaiD · a_planner@example.test</p>"
        "<script>var x = 'English';</script><div class='d-none'>{\"filter\": \"equals\"}</div>"
    )
    assert findings(plain, set()) == []

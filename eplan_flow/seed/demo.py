"""Demo data: Bueng Kan's 58 LAOs and offices, one person per role, plans with projects and real history.

Every step is idempotent: a second run adds nothing and writes no audit event. Plans move through
``engine.fire`` like any other, so their audit chains and notifications are the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from eplan_flow.errors import NotFound
from eplan_flow.extensions import db
from eplan_flow.models import (
    Account,
    CatalogueItem,
    LaoStrategy,
    Organisation,
    Plan,
    ProjectRecord,
    RoleGrant,
    SystemAccess,
    User,
)
from eplan_flow.seed import BUENG_KAN_LAOS
from eplan_flow.services.directory import catalogues, geography, laos_import
from eplan_flow.services.directory.laos_import import ImportReport
from eplan_flow.services.identity import accounts, identity, oidc_clients, thaid_verification
from eplan_flow.services.planning import civic_forum, strategies
from eplan_flow.services.planning import plans as plan_service
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaid_dev.citizens import BY_KEY
from workflows.roles import ROLE_NAMES

DEFAULT_PASSWORD = "demo1234"
DEMO_PROVINCE = "38"  # บึงกาฬ
# อบต.นาสวรรค์: the first อบต. of อำเภอเมืองบึงกาฬ in DLA's file.
DEMO_SAO = "6380109"
# ทม.บึงกาฬ.
DEMO_TOWN = "4380104"


class DemoUser(NamedTuple):
    username: str
    role: str
    organisation_code: str
    organisation_name: str
    full_name: str
    position: str


_SAO_NAME = "อบต.นาสวรรค์"
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("planner", "planner", DEMO_SAO, _SAO_NAME, "นางสาวสมศรี ใจดี", "นักวิเคราะห์นโยบายและแผน"),
    DemoUser(
        "support_secretary",
        "support_secretary",
        DEMO_SAO,
        _SAO_NAME,
        "นายสมชาย รักถิ่น",
        "หัวหน้าสำนักปลัด เลขานุการคณะกรรมการสนับสนุนการจัดทำแผนฯ",
    ),
    DemoUser(
        "devcom_secretary",
        "devcom_secretary",
        DEMO_SAO,
        _SAO_NAME,
        "นางวันเพ็ญ ศรีสุข",
        "ปลัด อบต. เลขานุการคณะกรรมการพัฒนาท้องถิ่น",
    ),
    DemoUser(
        "council_secretary", "council_secretary", DEMO_SAO, _SAO_NAME, "นายประเสริฐ มั่นคง", "เลขานุการสภา อบต."
    ),
    DemoUser("executive", "executive", DEMO_SAO, _SAO_NAME, "นายบุญมี ทองดี", "นายก อบต."),
    DemoUser(
        "sso_admin",
        "sso_admin",
        DEMO_SAO,
        _SAO_NAME,
        "นางสาวพิมพ์ใจ แก้วมณี",
        "นักวิชาการคอมพิวเตอร์ ผู้ดูแลบัญชีผู้ใช้ (Admin SSO)",
    ),
    DemoUser("planner_town", "planner", DEMO_TOWN, "ทม.บึงกาฬ", "นายธนากร พึ่งบุญ", "นักวิเคราะห์นโยบายและแผน"),
    DemoUser(
        "district_officer",
        "district_officer",
        "DO-3801",
        "สถอ.เมืองบึงกาฬ",
        "นายวีระ สุขสวัสดิ์",
        "ท้องถิ่นอำเภอเมืองบึงกาฬ",
    ),
    DemoUser(
        "provincial_officer", "provincial_officer", "PO-38", "สถจ.บึงกาฬ", "นางรัตนา บุญมา", "ท้องถิ่นจังหวัดบึงกาฬ"
    ),
    DemoUser(
        "dla_admin",
        "dla_admin",
        geography.DLA_CODE,
        "สถ.",
        "นายกิตติ ศักดิ์สิทธิ์",
        "ผู้ดูแลระบบ กรมส่งเสริมการปกครองท้องถิ่น",
    ),
)


class DemoStep(NamedTuple):
    trigger: str
    username: str
    comment: str | None = None
    # The facts a committee or council step records: its meeting date and resolution.
    data: dict[str, str] | None = None


def _meeting(day: str, resolution: str) -> dict[str, str]:
    return {"meeting_date": day, "resolution": resolution}


class DemoProject(NamedTuple):
    name: str
    objective: str
    target: str
    programme_code: str  # a budget_programme (แผนงาน) of the national catalogue
    # Baht for each year of the period, first to fifth, as decimal strings.
    budgets: tuple[str, str, str, str, str]
    source: str = "own"


# The content drafted into each อบต.นาสวรรค์ plan before it moves: one strategy, one tactic and
# a few projects (a plan without projects cannot be announced).
DEMO_STRATEGY = "การพัฒนาด้านโครงสร้างพื้นฐานและคุณภาพชีวิต"
DEMO_TACTIC = "ก่อสร้าง ปรับปรุงถนนและแหล่งน้ำเพื่อการเกษตร"
DEMO_PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "ก่อสร้างถนนคอนกรีตเสริมเหล็ก สายบ้านนาสวรรค์ หมู่ที่ 1 – บ้านโนนสว่าง หมู่ที่ 4",
        "เพื่อให้ประชาชนสัญจรและขนส่งผลผลิตทางการเกษตรได้สะดวกและปลอดภัย",
        "ถนน คสล. กว้าง 5 เมตร ยาว 400 เมตร หนา 0.15 เมตร",
        "00310",
        ("1200000.00", "0", "850000.00", "0", "0"),
    ),
    DemoProject(
        "ขุดลอกหนองสาธารณะประโยชน์ บ้านนาสวรรค์ หมู่ที่ 3",
        "เพื่อเพิ่มปริมาณการกักเก็บน้ำไว้ใช้ในการเกษตรช่วงฤดูแล้ง",
        "ขุดลอกพื้นที่ 5 ไร่ ลึกเฉลี่ย 3 เมตร",
        "00320",
        ("0", "450000.00", "0", "0", "300000.00"),
        "community",
    ),
    DemoProject(
        "ส่งเสริมการคัดแยกขยะในครัวเรือน",
        "เพื่อลดปริมาณขยะและสร้างจิตสำนึกในการจัดการขยะของชุมชน",
        "ครัวเรือนในตำบล 12 หมู่บ้าน",
        "00240",
        ("30000.00", "30000.00", "30000.00", "30000.00", "30000.00"),
    ),
)


class DemoForum(NamedTuple):
    meeting_date: str  # dd/mm/yyyy พ.ศ., as typed on the page
    place: str
    attendees: int
    resolution: str


class DemoPlan(NamedTuple):
    organisation_code: str
    period_start_be: int
    created_by: str
    # Fired in order through the engine.
    steps: tuple[DemoStep, ...]
    # Whether the planner drafts the demo strategy and projects into it first.
    drafted: bool = True
    # The civic forum's meeting on the draft (ข้อ 17(1)), recorded before the steps are fired.
    forum: DemoForum | None = None


DEMO_PLANS: tuple[DemoPlan, ...] = (
    # The previous plan, all the way through: acknowledged by the district.
    DemoPlan(
        DEMO_SAO,
        2561,
        "planner",
        (
            DemoStep("submit_to_committee", "support_secretary", "ร่างแผนผ่านการประชุมประชาคมท้องถิ่นแล้ว"),
            DemoStep(
                "endorse",
                "devcom_secretary",
                "คณะกรรมการพัฒนาท้องถิ่นเห็นชอบร่างแผน",
                _meeting("2017-06-20", "ครั้งที่ 2/2560"),
            ),
            DemoStep(
                "approve_by_council",
                "council_secretary",
                "สภา อบต. เห็นชอบ",
                _meeting("2017-08-15", "สมัยสามัญ สมัยที่ 3/2560"),
            ),
            DemoStep("approve_and_announce", "executive"),
            DemoStep("submit_to_oversight", "planner"),
            DemoStep("acknowledge", "district_officer"),
        ),
        forum=DemoForum("10/05/2560", "ศาลาประชาคมบ้านหนองเลิง หมู่ 1", 124, "เห็นชอบร่างแผนและโครงการจากแผนชุมชน"),
    ),
    # The current plan: returned once, then approved; it waits for the district and province.
    DemoPlan(
        DEMO_SAO,
        2566,
        "planner",
        (
            DemoStep("submit_to_committee", "support_secretary", "ร่างแผนผ่านการประชุมประชาคมท้องถิ่นแล้ว"),
            DemoStep(
                "return_for_revision",
                "devcom_secretary",
                "ขอให้นำโครงการจากแผนชุมชนบ้านนาสวรรค์เข้าแผน (ผ.02/1) ก่อนเสนออีกครั้ง",
            ),
            DemoStep("submit_to_committee", "planner", "เพิ่มโครงการจากแผนชุมชนแล้ว"),
            DemoStep("endorse", "devcom_secretary", None, _meeting("2022-09-05", "ครั้งที่ 3/2565")),
            DemoStep(
                "approve_by_council", "council_secretary", None, _meeting("2022-09-28", "สมัยสามัญ สมัยที่ 4/2565")
            ),
            DemoStep("approve_and_announce", "executive"),
            DemoStep("submit_to_oversight", "planner"),
        ),
        forum=DemoForum(
            "16/08/2565", "ศาลาประชาคมบ้านนาสวรรค์ หมู่ 4", 98, "เห็นชอบร่างแผน เพิ่มโครงการถนนเพื่อการเกษตร"
        ),
    ),
    # The next plan, still being drafted.
    DemoPlan(DEMO_SAO, 2571, "planner", ()),
    # The town's plan waits at its development committee (whose secretary has no account yet).
    DemoPlan(
        DEMO_TOWN,
        2566,
        "planner_town",
        (DemoStep("submit_to_committee", "planner_town"),),
        drafted=False,
        forum=DemoForum("03/08/2565", "หอประชุมเทศบาลเมืองบึงกาฬ", 210, "เห็นชอบร่างแผนพัฒนาท้องถิ่น"),
    ),
)


@dataclass
class DemoReport:
    geography: geography.GeographyReport
    laos: ImportReport
    users_added: list[str] = field(default_factory=list)
    plans_added: int = 0
    steps_fired: int = 0


def _organisations(codes) -> dict[str, Organisation]:
    return {
        o.code: o
        for o in db.session.execute(select(Organisation).where(Organisation.code.in_(set(codes)))).scalars()
    }


def _ensure_users(password: str) -> list[str]:
    """Create the missing demo users and grants; existing accounts keep their passwords."""
    orgs = _organisations(u.organisation_code for u in DEMO_USERS)
    added = []
    with transaction():
        for spec in DEMO_USERS:
            org = orgs.get(spec.organisation_code)
            if org is None:
                raise NotFound(f"demo organisation {spec.organisation_code} is missing")
            user = db.session.execute(select(User).where(User.username == spec.username)).scalar_one_or_none()
            if user is None:
                user = User(
                    username=spec.username,
                    email=f"{spec.username}@example.org",
                    full_name=spec.full_name,
                    position=spec.position,
                    organisation_id=org.id,
                    password_hash=accounts.hash_password(password),
                    locale="th",
                )
                db.session.add(user)
                db.session.flush()
                audit.append(
                    f"user:{user.id}",
                    "create_user",
                    organisation_id=org.id,
                    data={"username": spec.username, "roles": [spec.role], "source": "seed-demo"},
                )
                added.append(spec.username)
            if not any(g.role == spec.role and g.organisation_id == org.id for g in user.grants):
                db.session.add(RoleGrant(user_id=user.id, organisation_id=org.id, role=spec.role))
    return added


# Roles that come with an approved SSO account (the chain of trust), not with a system access.
SSO_ROLES = frozenset({"sso_admin", "district_officer", "provincial_officer", "dla_admin"})
EPLAN_CLIENT_ID = "eplan"


def _seed_in_state(row, state: str, action: str) -> None:
    """Start ``row`` on its workflow and set it in ``state`` as seeded history, audited as such."""
    engine.start(row, None, comment="seed-demo")
    initial, row.status = row.status, state
    audit.append(
        engine.chain_for(row),
        action,
        organisation_id=row.organisation_id,
        workflow=row.workflow_name,
        workflow_version=row.workflow_version,
        from_state=initial,
        to_state=state,
        data={"source": "seed-demo"},
    )


def _ensure_sso() -> int:
    """Give each demo person an approved SSO account and, for e-Plan roles, approved e-Plan access.

    Their grants then come from the SSO like everyone's: SSO roles as ``source="sso"``, e-Plan roles
    as ``source="claims"`` (re-synced from the token at each sign-in, so revoking access works on
    demo people too). Seeded as history ("seed-demo"), not fired step by step.
    """
    added = 0
    with transaction():
        for spec in DEMO_USERS:
            user = db.session.execute(select(User).where(User.username == spec.username)).scalar_one()
            account = db.session.execute(
                select(Account).where(Account.user_id == user.id)
            ).scalar_one_or_none()
            if account is not None:
                continue
            sso_role = spec.role in SSO_ROLES
            account = Account(
                user_id=user.id,
                organisation_id=user.organisation_id,
                requested_role="sso_admin" if sso_role else "member",
            )
            _seed_in_state(account, "active", "seed_active")
            user.email_confirmed_at = user.identity_verified_at = user.created_at
            for grant in user.grants:
                grant.source = "sso" if grant.role in SSO_ROLES else "claims"
                if grant.role in SSO_ROLES:
                    continue
                access = SystemAccess(
                    user_id=user.id,
                    client_id=EPLAN_CLIENT_ID,
                    organisation_id=grant.organisation_id,
                    role=grant.role,
                )
                _seed_in_state(access, "approved", "seed_approved")
            added += 1
    return added


# A person who registered, confirmed their email and verified with the stand-in ThaiD (sample citizen
# "malee"), so the demo LAO's SSO admin has an application waiting in their inbox.
DEMO_APPLICANT_EMAIL = "applicant@example.org"
DEMO_APPLICANT_CITIZEN = "malee"


def _ensure_applicant(password: str) -> bool:
    """Register the demo applicant through the real services, up to awaiting approval."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_APPLICANT_EMAIL)) is not None:
        return False
    citizen = BY_KEY[DEMO_APPLICANT_CITIZEN]
    org = _organisations([DEMO_SAO])[DEMO_SAO]
    account = identity.register(
        identity.Registration(
            citizen_id=citizen.pid,
            title=citizen.title_th,
            first_name=citizen.given_name,
            last_name=citizen.family_name,
            email=DEMO_APPLICANT_EMAIL,
            organisation_id=org.id,
            # Registration's own rules want a longer password; the demo's is set below.
            password="Nasawan-Registration-2569!",
            phone="0812345678",
            position="นักจัดการงานทั่วไป",
            birth_date=citizen.birthdate,
        ),
        link=lambda token: f"/sso/confirm/{token}",
    )
    if account is None:  # the address has an account, though no user has its email: not ours to take
        raise ValueError(f"{DEMO_APPLICANT_EMAIL} already has an account")
    user = account.user
    engine.fire("account", account.id, "confirm_email", user)
    thaid_verification.complete_verification(user.id, citizen.pid, citizen.claims())
    with transaction():
        user.password_hash = identity.hash_password(password)
    return True


def ensure_eplan_client(base_urls: tuple[str, ...] | None = None) -> None:
    """Register e-Plan at the SSO as a first-party public client (PKCE), for the demo's one process."""
    # The configured address (EPLAN_BASE_URL; `make run` passes its HOST and PORT), never a request's.
    base_urls = tuple(u.rstrip("/") for u in (base_urls or (current_app.config["BASE_URL"],)))

    oidc_clients.ensure_client(
        EPLAN_CLIENT_ID,
        name="e-Plan",
        redirect_uris=[f"{u}/auth/oidc/callback" for u in base_urls],
        post_logout_redirect_uris=[f"{u}/" for u in base_urls],
        # One process: the SSO tells e-Plan at the first address that a sign-in there ended.
        backchannel_logout_uri=f"{base_urls[0]}/auth/oidc/backchannel-logout",
        secret=None,
        allowed_roles=list(ROLE_NAMES),
        trusted=True,
    )


def _ensure_plans() -> tuple[int, int]:
    """Create the demo plans and fire their missing steps; return (plans added, steps fired)."""
    orgs = _organisations(p.organisation_code for p in DEMO_PLANS)
    users = {
        u.username: u
        for u in db.session.execute(
            select(User).where(User.username.in_([u.username for u in DEMO_USERS]))
        ).scalars()
    }
    added = fired = 0
    for spec in DEMO_PLANS:
        org = orgs[spec.organisation_code]
        plan = db.session.execute(
            select(Plan).where(Plan.organisation_id == org.id, Plan.period_start_be == spec.period_start_be)
        ).scalar_one_or_none()
        if plan is None:
            plan = Plan(
                organisation_id=org.id,
                period_start_be=spec.period_start_be,
                period_end_be=spec.period_start_be + 4,
                title=f"แผนพัฒนาท้องถิ่น (พ.ศ. {spec.period_start_be}–{spec.period_start_be + 4}) "
                f"{org.display_name}",
            )
            with transaction():
                engine.start(plan, users[spec.created_by])
            added += 1
        if spec.drafted:
            _ensure_content(plan, users[spec.created_by])
        if spec.forum and plan_service.is_drafting(plan) and civic_forum.meeting_of(plan) is None:
            forum = {**spec.forum._asdict(), "attendees": str(spec.forum.attendees)}
            civic_forum.record_meeting(users[spec.created_by], "plan", plan.id, **forum)
        # Steps already in the plan's history are not fired again, so a rerun resumes, never repeats.
        done = sum(1 for event in engine.history(plan) if event.action != "create")
        for step in spec.steps[done:]:
            engine.fire(
                "plan", plan.id, step.trigger, users[step.username], comment=step.comment, data=step.data
            )
            fired += 1
    return added, fired


def _ensure_content(plan: Plan, planner: User) -> None:
    """Draft the demo strategy, tactic and projects into ``plan``, adding only what is missing."""
    if not plan_service.is_drafting(plan):
        return  # already on its way: its content went with it
    strategy = db.session.execute(
        select(LaoStrategy).where(LaoStrategy.plan_id == plan.id, LaoStrategy.number == 1)
    ).scalar_one_or_none()
    if strategy is None:
        strategy = strategies.create_strategy(planner, plan.id, number=1, name=DEMO_STRATEGY)
    if not strategy.tactics:
        strategies.create_tactic(planner, plan.id, strategy.id, number=1, name=DEMO_TACTIC)
        db.session.refresh(strategy)
    tactic = strategy.tactics[0]
    drafted = set(
        db.session.execute(select(ProjectRecord.name).where(ProjectRecord.plan_id == plan.id)).scalars()
    )
    programmes = {
        item.code: item.id
        for item in db.session.execute(
            select(CatalogueItem).where(
                CatalogueItem.catalogue == "budget_programme", CatalogueItem.scope == ""
            )
        ).scalars()
    }
    for project in DEMO_PROJECTS:
        if project.name in drafted:
            continue
        plan_service.add_project(
            planner,
            plan.id,
            {
                "name": project.name,
                "objective": project.objective,
                "target": project.target,
                "kpi": "ร้อยละ 80 ของประชาชนผู้ได้รับประโยชน์พึงพอใจ",
                "expected_result": "ประชาชนมีคุณภาพชีวิตที่ดีขึ้น",
                "responsible_unit": "กองช่าง" if project.programme_code == "00310" else "สำนักปลัด",
                "strategy_id": strategy.id,
                "tactic_id": tactic.id,
                "programme_id": programmes[project.programme_code],
                "source": project.source,
                "budgets": {plan.period_start_be + i: amount for i, amount in enumerate(project.budgets)},
            },
        )


def seed_demo(password: str = DEFAULT_PASSWORD) -> DemoReport:
    """Load the demo: geography, Bueng Kan's LAOs and offices, demo users and plans (idempotent)."""
    if not password:
        raise ValueError("the demo password must not be empty")
    geo = geography.load_geography()
    laos = laos_import.import_laos(None, BUENG_KAN_LAOS, audit_unchanged=False)
    users_added = _ensure_users(password)
    _ensure_sso()
    ensure_eplan_client()
    _ensure_applicant(password)
    # The plans' projects name the national budget programmes (แผนงาน).
    catalogues.load_catalogues(include_demo=True, demo_sub_plans=True)
    plans_added, steps_fired = _ensure_plans()
    return DemoReport(geo, laos, users_added, plans_added, steps_fired)

"""What anyone may read without signing in: the LAOs' announced plans and revisions (the posting rule).

Only announced rows and their announcement facts ever leave here: no draft, no workflow history,
no people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, literal_column, or_, select, union_all
from sqlalchemy.orm import lazyload

from eplan_flow import thaidate
from eplan_flow.extensions import db
from eplan_flow.models import LAO_TYPES, Organisation, Plan, Revision
from eplan_flow.services.planning import attachments
from eplan_flow.services.planning.deadlines import ANNOUNCED_PLAN_STATES
from workflows import deadlines
from workflows.deadlines import DEADLINES_V1

PER_PAGE = 50


@dataclass(frozen=True)
class Announcement:
    kind: str  # "plan" or "revision"
    id: int
    title: str
    plan_title: str
    lao_code: str
    lao_name: str
    announced_at: datetime | None
    posted_until: date | None
    # Still inside the minimum posting period.
    posting: bool
    # The signed announcements posted with it (issue 13): (attachment id, file name).
    files: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class AnnouncementPage:
    items: list[Announcement]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def lao_by_code(code: str) -> Organisation | None:
    """The LAO with that code, or None (offices are not public pages)."""
    return db.session.execute(
        select(Organisation).where(Organisation.code == code, Organisation.kind == "lao")
    ).scalar_one_or_none()


def _name_terms(q: str) -> tuple[str, str | None]:
    # People type "อบต.หนองเลิง"; names are stored without the type prefix.
    for lao_type, prefix in sorted(LAO_TYPES.items(), key=lambda kv: -len(kv[1])):
        if q.startswith(prefix) and len(q) > len(prefix):
            return q[len(prefix) :].strip(), lao_type
    return q, None


def _search_clause(q: str):
    name, lao_type = _name_terms(q)
    by_name = Organisation.name_th.icontains(name, autoescape=True)
    if lao_type:
        by_name = by_name & (Organisation.lao_type == lao_type)
    return or_(Organisation.code.startswith(q, autoescape=True), by_name)


def announcements(
    q: str = "",
    lao_code: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    today: date | None = None,
    rules: dict = DEADLINES_V1,
) -> AnnouncementPage:
    """List announced plans and revisions, newest first, of LAOs matching ``q`` (code or name)."""
    today = today or thaidate.today_local()
    page = max(1, page)
    # Select, unparameterised: literal_column leaves the first column's type open.
    plans: Select = select(
        literal_column("'plan'").label("kind"),
        Plan.id.label("id"),
        Plan.title.label("plan_title"),
        Plan.organisation_id.label("organisation_id"),
        Plan.announced_at.label("announced_at"),
    ).where(Plan.status.in_(ANNOUNCED_PLAN_STATES))
    revisions: Select = (
        select(
            literal_column("'revision'"),
            Revision.id,
            Plan.title,
            Revision.organisation_id,
            Revision.announced_at,
        )
        .join(Plan, Plan.id == Revision.plan_id)
        .where(Revision.status == "announced")
    )
    posted = union_all(plans, revisions).subquery("posted")
    query = (
        select(posted, Organisation)
        .join(Organisation, Organisation.id == posted.c.organisation_id)
        .where(Organisation.kind == "lao")
    )
    if lao_code is not None:
        query = query.where(Organisation.code == lao_code)
    if q:
        query = query.where(_search_clause(q))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(posted.c.announced_at.desc().nulls_last(), posted.c.kind, posted.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    # Revision titles ("เพิ่มเติม ครั้งที่ 2/2568") are the model's to spell: one query for the page.
    revision_ids = [row.id for row in rows if row.kind == "revision"]
    titles = {}
    if revision_ids:
        titles = {
            r.id: r.title
            for r in db.session.execute(
                select(Revision).options(lazyload(Revision.items)).where(Revision.id.in_(revision_ids))
            ).scalars()
        }
    plan_of = {(row.kind, row.id): row.id for row in rows if row.kind == "plan"}
    if revision_ids:
        plan_of |= {
            ("revision", rid): pid
            for rid, pid in db.session.execute(
                select(Revision.id, Revision.plan_id).where(Revision.id.in_(revision_ids))
            )
        }
    files = attachments.public_files([(kind, item_id, pid) for (kind, item_id), pid in plan_of.items()])
    items = [
        _announcement(
            row,
            titles.get(row.id, row.plan_title) if row.kind == "revision" else row.plan_title,
            today,
            rules,
            tuple((f.id, f.filename) for f in files.get((row.kind, row.id), ())),
        )
        for row in rows
    ]
    return AnnouncementPage(items, page, per_page, total)


def _announcement(row, title: str, today: date, rules: dict, files=()) -> Announcement:
    until = None
    if row.announced_at is not None:
        until = deadlines.posting_until(thaidate.to_local(row.announced_at).date(), rules)
    return Announcement(
        kind=row.kind,
        id=row.id,
        title=title,
        plan_title=row.plan_title,
        lao_code=row.Organisation.code,
        lao_name=row.Organisation.display_name,
        announced_at=row.announced_at,
        posted_until=until,
        posting=until is not None and until >= today,
        files=files,
    )

"""Catalogues a plan links to: national ones (seed data) and provincial ones (master data)."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model

# national: shipped as seed data; provincial: edited by the provincial office (scope = province code).
CATALOGUES = {
    "national_strategy": "national",  # ยุทธศาสตร์ชาติ 20 ปี (6)
    "master_plan": "national",  # แผนแม่บทภายใต้ยุทธศาสตร์ชาติ (23)
    # แผนย่อยของแผนแม่บท: parent_id = its master plan. Shipped empty (no official list is bundled);
    # DLA enters them in the back office.
    "sub_plan": "national",
    "nesdp_milestone": "national",  # หมุดหมายแผนพัฒนาฯ ฉบับที่ 13 (13)
    "sdg": "national",  # เป้าหมายการพัฒนาที่ยั่งยืน (17)
    "budget_programme": "national",  # แผนงาน (12)
    "provincial_strategy": "provincial",  # ยุทธศาสตร์การพัฒนาจังหวัด
    "province_lao_strategy": "provincial",  # ยุทธศาสตร์การพัฒนาของ อปท. ในเขตจังหวัด
}


class CatalogueItem(Model):
    __tablename__ = "catalogue_item"
    __table_args__ = (
        # A code is unique within its catalogue and scope, per plan period: the next period's
        # catalogue may number its items afresh (NULL periods are not equal in SQL, hence two indexes).
        Index(
            "uq_catalogue_item_code_every_period",
            "catalogue",
            "scope",
            "code",
            unique=True,
            postgresql_where=text("period_start_be IS NULL"),
            sqlite_where=text("period_start_be IS NULL"),
        ),
        Index(
            "uq_catalogue_item_code_in_period",
            "catalogue",
            "scope",
            "period_start_be",
            "code",
            unique=True,
            postgresql_where=text("period_start_be IS NOT NULL"),
            sqlite_where=text("period_start_be IS NOT NULL"),
        ),
        CheckConstraint(f"catalogue IN {tuple(CATALOGUES)!r}", name="catalogue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(32), index=True)
    # "" for national catalogues, the province code for provincial ones.
    scope: Mapped[str] = mapped_column(String(2), default="")
    code: Mapped[str] = mapped_column(String(16))
    name_th: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str | None] = mapped_column(String(500))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_item.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The plan period the item serves, by its first B.E. year (2566: plans of 2566–2570), as the NESDP
    # 13 milestones do; NULL for catalogues that serve every period (the 20-year National Strategy,
    # SDGs, budget programmes). A plan links only to items of its own period (or of every period).
    period_start_be: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[CatalogueItem | None] = relationship(remote_side=[id])

    def serves_period(self, period_start_be: int) -> bool:
        return self.period_start_be is None or self.period_start_be == period_start_be

    def __str__(self) -> str:
        return f"{self.code} {self.name_th}"

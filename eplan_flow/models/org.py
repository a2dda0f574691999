"""Organisations: DLA, provincial and district offices, and the LAOs they oversee."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.geo import District, Province

ORG_KINDS = ("dla", "provincial_office", "district_office", "lao")

# LAO types, stored apart from the code: the code's first digit is not reliable (docs/DOMAIN.md §1).
LAO_TYPES = {
    "pao": "อบจ.",
    "city_municipality": "ทน.",
    "town_municipality": "ทม.",
    "subdistrict_municipality": "ทต.",
    "sao": "อบต.",
    "pattaya": "เมืองพัทยา",
}


class Organisation(Model):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(f"kind IN {ORG_KINDS!r}", name="kind"),
        CheckConstraint("(kind = 'lao') = (lao_type IS NOT NULL)", name="lao_type_only_for_lao"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    lao_type: Mapped[str | None] = mapped_column(String(32))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("province.code"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("district.code"), index=True)
    # The district as DLA spells it, kept even when it matches no DOPA district.
    district_name_th: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_km2: Mapped[float | None] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    province: Mapped[Province | None] = relationship()
    district: Mapped[District | None] = relationship()

    @property
    def display_name(self) -> str:
        if self.kind == "lao":
            prefix = LAO_TYPES.get(self.lao_type or "", "")
            return f"{prefix}{self.name_th}" if prefix and prefix != self.name_th else self.name_th
        return self.name_th

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

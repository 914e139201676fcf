"""Reorder rules: the minimum and maximum of one product in one warehouse, and whom to buy it from."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Qty, UTCDateTime, utcnow


class ReorderRule(Base):
    __tablename__ = "reorder_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    minimum: Mapped[Decimal] = mapped_column(Qty())
    maximum: Mapped[Decimal] = mapped_column(Qty())
    pack_size: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(1))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id"),
        CheckConstraint("minimum >= 0 AND maximum >= minimum AND pack_size > 0", name="quantities"),
        CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time"),
    )

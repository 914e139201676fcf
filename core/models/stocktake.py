"""Stocktakes: a count sheet per warehouse (or category) with the expected and counted quantity per product."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, Qty, UTCDateTime, utcnow

STOCKTAKE_STATUSES = ("counting", "pending_approval", "posted", "rejected", "cancelled")


class Stocktake(Base):
    """A count sheet: its scope, how uncounted products are treated, and where it is in its life."""

    __tablename__ = "stocktake"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    status: Mapped[str] = mapped_column(String(20), default="counting")
    uncounted: Mapped[str] = mapped_column(String(10), default="unchanged")
    author_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    variance_value: Mapped[Decimal | None] = mapped_column(Money())
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_stocktake_warehouse_status", "warehouse_id", "status"),
        CheckConstraint(
            "status IN ('counting', 'pending_approval', 'posted', 'rejected', 'cancelled')", name="status"
        ),
        CheckConstraint("uncounted IN ('unchanged', 'zero')", name="uncounted"),
    )


class StocktakeLine(Base):
    """One product (one lot of a tracked product) on a sheet: on hand at the snapshot, on hand when counted, and the
    count (a recount replaces)."""

    __tablename__ = "stocktake_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    expected_qty: Mapped[Decimal] = mapped_column(Qty())
    book_qty: Mapped[Decimal | None] = mapped_column(Qty())
    counted_qty: Mapped[Decimal | None] = mapped_column(Qty())
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One line per product and lot (untracked products have no lot: 0 stands for it)
        Index("ux_stocktake_line_lot", "stocktake_id", "product_id", func.coalesce(lot_id, 0), unique=True),
        UniqueConstraint("stocktake_id", "line_no"),
        CheckConstraint("counted_qty IS NULL OR counted_qty >= 0", name="counted_not_negative"),
    )

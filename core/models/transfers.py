"""What a transfer receipt found wrong per line: short or damaged goods written off from transit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, Qty, UTCDateTime, utcnow


class TransferDiscrepancy(Base):
    """One transfer line received with less than was sent: the quantities, the value written off, the note."""

    __tablename__ = "transfer_discrepancy"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    expected_qty: Mapped[Decimal] = mapped_column(Qty())
    received_qty: Mapped[Decimal] = mapped_column(Qty())
    damaged_qty: Mapped[Decimal] = mapped_column(Qty())
    short_qty: Mapped[Decimal] = mapped_column(Qty())
    value_written_off: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(String(500), default="")
    receipt_document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"))
    writeoff_document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_transfer_discrepancy_created_at", "created_at"),
        CheckConstraint(
            "received_qty >= 0 AND damaged_qty >= 0 AND short_qty >= 0 AND damaged_qty + short_qty > 0 "
            "AND received_qty + damaged_qty + short_qty = expected_qty",
            name="quantities",
        ),
    )

"""Purchase orders, their lines, and what each goods receipt accepted or rejected per line."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, func, true
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, Qty, UnitCost, UTCDateTime, utcnow
from core.models.lifecycle import Lifecycle

PO_STATUSES = (
    "draft", "pending_approval", "approved", "partially_received", "received", "closed", "cancelled", "rejected",
)


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    LIFECYCLE: ClassVar[Lifecycle] = Lifecycle({
        "submit": ("draft",),
        "approve": ("pending_approval",),
        "reject": ("pending_approval",),
        "revise": ("draft",),
        "withdraw": ("pending_approval", "approved"),
        "cancel": ("draft", "pending_approval", "approved"),
        "receive": ("approved", "partially_received"),
        "close": ("partially_received", "received"),
        "return": ("partially_received", "received", "closed"),
    })

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0), server_default="0")
    tax_included: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())  # prices with VAT
    note: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_purchase_order_supplier_id", "supplier_id", "id"),
        Index("ix_purchase_order_status_id", "status", "id"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in PO_STATUSES) + ")", name="status"),
        CheckConstraint("total >= 0", name="total"),
    )


class PurchaseOrderLine(Base):
    """Quantities are in the product's base unit; unit_price is per base unit."""

    __tablename__ = "purchase_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax_rate: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0), server_default="0")
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0), server_default="0")
    received_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    rejected_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))

    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("qty > 0 AND unit_price >= 0 AND amount >= 0", name="ordered"),
        CheckConstraint(
            "received_qty >= 0 AND rejected_qty >= 0 AND returned_qty >= 0 AND returned_qty <= received_qty",
            name="received",
        ),
    )


class PurchaseReceiptLine(Base):
    """What one goods receipt (a po_receipt stock document) accepted and rejected on one order line."""

    __tablename__ = "purchase_receipt_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))  # tracked products: one row per lot
    received: Mapped[Decimal] = mapped_column(Qty())
    rejected: Mapped[Decimal] = mapped_column(Qty())
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (
        Index("ux_purchase_receipt_line_lot", "document_id", "order_line_id", func.coalesce(lot_id, 0), unique=True),
        CheckConstraint("received >= 0 AND rejected >= 0 AND received + rejected > 0", name="quantities"),
    )

"""Sales orders and their lines: what was sold, reserved, shipped and returned per line."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, Qty, UnitCost, UTCDateTime, utcnow
from core.models.lifecycle import Lifecycle

SO_STATUSES = (
    "draft", "pending_approval", "approved", "partially_shipped", "shipped", "closed", "cancelled", "rejected",
)


class SalesOrder(Base):
    __tablename__ = "sales_order"
    LIFECYCLE: ClassVar[Lifecycle] = Lifecycle({
        "submit": ("draft",),
        "approve": ("pending_approval",),
        "reject": ("pending_approval",),
        "withdraw": ("pending_approval",),
        "cancel": ("draft", "pending_approval", "approved"),
        "ship": ("approved", "partially_shipped"),
        "close": ("partially_shipped", "shipped"),
        "return": ("partially_shipped", "shipped", "closed"),
    })

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    channel: Mapped[str] = mapped_column(String(20), default="chat")
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
        Index("ix_sales_order_customer_id", "customer_id", "id"),
        Index("ix_sales_order_salesperson_id", "salesperson_id", "id"),
        Index("ix_sales_order_status_id", "status", "id"),
        Index("ix_sales_order_channel_created_at", "channel", "created_at"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in SO_STATUSES) + ")", name="status"),
        CheckConstraint("total >= 0", name="total"),
    )


class SalesOrderLine(Base):
    """Quantities are in the product's base unit; unit_price is per base unit."""

    __tablename__ = "sales_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax_rate: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0), server_default="0")
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0), server_default="0")
    reserved_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    shipped_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))  # a tracked line naming its lot; None: FEFO

    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        Index("ix_sales_order_line_product_qty", "product_id", "qty"),  # the largest order of a product
        CheckConstraint("qty > 0 AND unit_price >= 0 AND amount >= 0", name="ordered"),
        CheckConstraint(
            "reserved_qty >= 0 AND shipped_qty >= 0 AND reserved_qty + shipped_qty <= qty "
            "AND returned_qty >= 0 AND returned_qty <= shipped_qty",
            name="quantities",
        ),
    )

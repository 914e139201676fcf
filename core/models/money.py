"""Money: payments from customers and to suppliers with their allocations, and other income and expenses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, UTCDateTime, utcnow

PARTNER_KINDS = ("customer", "supplier")


class Payment(Base):
    """Money received from a customer or paid to a supplier, dated when recorded."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    partner_kind: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(20), default="bank")
    note: Mapped[str] = mapped_column(String(500), default="")
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_payment_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_payment_supplier_id_created_at", "supplier_id", "created_at"),
        Index("ix_payment_created_at", "created_at"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),  # below zero: a deposit refunded or forfeited
        CheckConstraint(
            "(partner_kind = 'customer' AND customer_id IS NOT NULL AND supplier_id IS NULL) OR "
            "(partner_kind = 'supplier' AND supplier_id IS NOT NULL AND customer_id IS NULL)",
            name="partner",
        ),
    )


class PaymentAllocation(Base):
    """The part of a payment settling one sales order (customer) or purchase order (supplier)."""

    __tablename__ = "payment_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    doc_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())

    __table_args__ = (
        UniqueConstraint("payment_id", "doc_type", "doc_id"),
        Index("ix_payment_allocation_document", "doc_type", "doc_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("doc_type IN ('sales_order', 'purchase_order')", name="doc_type"),
    )


DEPOSIT_STATUSES = ("held", "allocated", "refunded", "forfeited")


class OrderDeposit(Base):
    """A deposit (订金) paid against a sales or purchase order: a payment held until the order bills, then allocated
    to it; on cancel what is left is refunded or forfeited (a payment back, and for a forfeit other income or an
    expense), with a reason."""

    __tablename__ = "order_deposit"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    doc_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    allocated: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(10), default="held")
    reason: Mapped[str] = mapped_column(String(500), default="")
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_order_deposit_document", "doc_type", "doc_id"),
        CheckConstraint("amount > 0 AND allocated >= 0 AND allocated <= amount", name="amounts"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in DEPOSIT_STATUSES) + ")", name="status"),
        CheckConstraint("doc_type IN ('sales_order', 'purchase_order')", name="doc_type"),
    )


class MoneyEntry(Base):
    """Other income or an expense (freight, rent, wages...) by category."""

    __tablename__ = "money_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    direction: Mapped[str] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(20), default="bank")
    note: Mapped[str] = mapped_column(String(500), default="")
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_money_entry_created_at", "created_at"),
        Index("ix_money_entry_category", "category"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
    )

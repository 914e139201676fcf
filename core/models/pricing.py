"""Price lists: rules that price a product for a customer grade or one customer, and quotations offered at them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, Qty, UnitCost, UTCDateTime, utcnow
from core.models.lifecycle import Lifecycle

PRICE_METHODS = ("fixed", "percent", "cost_plus")
QUOTATION_STATUSES = ("open", "ordered", "cancelled")


class PriceRule(Base):
    """One rule of a price list: for a grade, one customer or everyone; a product, a category or everything; a fixed
    price, a percentage of the list price or cost plus a margin (percent); from a quantity; valid between dates."""

    __tablename__ = "price_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade: Mapped[str | None] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    method: Mapped[str] = mapped_column(String(10))
    value: Mapped[Decimal] = mapped_column(UnitCost())
    min_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    valid_from: Mapped[date | None] = mapped_column(Date())
    valid_to: Mapped[date | None] = mapped_column(Date())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_price_rule_product_id", "product_id"),
        Index("ix_price_rule_category_id", "category_id"),
        Index("ix_price_rule_grade", "grade"),
        CheckConstraint("method IN (" + ", ".join(f"'{m}'" for m in PRICE_METHODS) + ")", name="method"),
        CheckConstraint("grade IS NULL OR customer_id IS NULL", name="party"),
        CheckConstraint("product_id IS NULL OR category_id IS NULL", name="scope"),
        CheckConstraint("value >= 0 AND min_qty >= 0", name="figures"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="dates"),
    )


class Quotation(Base):
    """A 报价单: lines priced for a customer, valid until a date, turned into a sales order while valid."""

    __tablename__ = "quotation"
    LIFECYCLE: ClassVar[Lifecycle] = Lifecycle({
        "order": ("open",),
        "cancel": ("open",),
    })

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    valid_until: Mapped[date] = mapped_column(Date())
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    note: Mapped[str] = mapped_column(String(500), default="")
    order_number: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_quotation_customer_status", "customer_id", "status"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in QUOTATION_STATUSES) + ")", name="status"),
        CheckConstraint("total >= 0", name="total"),
    )


class QuotationLine(Base):
    """A quoted line in base units at its price per base unit, with the price's source as it was shown."""

    __tablename__ = "quotation_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_id: Mapped[int] = mapped_column(ForeignKey("quotation.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax_rate: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    price_rule_id: Mapped[int | None] = mapped_column(ForeignKey("price_rule.id"))

    __table_args__ = (
        UniqueConstraint("quotation_id", "line_no"),
        CheckConstraint("qty > 0 AND unit_price >= 0 AND amount >= 0", name="quoted"),
    )

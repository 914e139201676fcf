"""The stock ledger (append-only moves), the levels that cache it, and the vouchers that cause moves."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, Qty, UnitCost, UTCDateTime, utcnow


class StockDocument(Base):
    """One posting event (a receipt, an issue, a transfer leg, a reservation...), numbered to be said aloud."""

    __tablename__ = "stock_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    dest_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    source_type: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_stock_document_source", "source_type", "source_id"),
        Index("ix_stock_document_kind_created_at", "kind", "created_at"),  # a period's issues (replenishment)
    )


class StockMove(Base):
    """An append-only ledger row: a signed change of on-hand, reserved and value, with balances after it."""

    __tablename__ = "stock_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())
    reserved: Mapped[Decimal] = mapped_column(Qty())
    value: Mapped[Decimal] = mapped_column(Money())
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost())
    balance_qty: Mapped[Decimal] = mapped_column(Qty())
    balance_reserved: Mapped[Decimal] = mapped_column(Qty())
    balance_value: Mapped[Decimal] = mapped_column(Money())
    avg_cost: Mapped[Decimal] = mapped_column(UnitCost())
    source_line_id: Mapped[int | None] = mapped_column(Integer)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        # A document line posts at most once per warehouse and lot (untracked rows have no lot: 0 stands for it)
        Index("ux_stock_move_line_lot", "document_id", "line_no", "warehouse_id", func.coalesce(lot_id, 0),
              unique=True),
        Index("ix_stock_move_lot_id", "lot_id"),
        Index("ix_stock_move_product_warehouse_id", "product_id", "warehouse_id", "id"),
        # Period reports read the ledger by time: everything they filter, group and sum, so they never visit rows
        Index("ix_stock_move_created_at_cover", "created_at", "document_id", "product_id", "warehouse_id", "qty",
              "value", "source_line_id"),
        Index("ix_stock_move_warehouse_id", "warehouse_id"),
        Index("ix_stock_move_product_balance", "product_id", "balance_qty"),  # the most of a product ever held
    )


class StockLevel(Base):
    """On hand, reserved, value and average cost per product and warehouse: a cache of the ledger."""

    __tablename__ = "stock_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    on_hand: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    avg_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint(
            "allow_negative OR (on_hand >= 0 AND on_hand - reserved >= 0)", name="not_negative"
        ),
    )


class Lot(Base):
    """A lot (batch) or, for a product tracked by serial number, one serial; the code "" is the "no lot" position
    that holds stock from before the product was tracked. A lot carries quantity, never its own cost."""

    __tablename__ = "lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    code: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    produced: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("product_id", "code"),
        Index("ix_lot_product_expiry", "product_id", "expiry"),
    )


class LotLevel(Base):
    """On hand and reserved of one lot in one warehouse: a cache of the ledger rows naming that lot."""

    __tablename__ = "lot_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    on_hand: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("lot_id", "warehouse_id"),
        Index("ix_lot_level_product_warehouse", "product_id", "warehouse_id"),
        CheckConstraint("reserved >= 0", name="lot_reserved_not_negative"),
        CheckConstraint("allow_negative OR (on_hand >= 0 AND on_hand - reserved >= 0)", name="lot_not_negative"),
    )


class DocumentSequence(Base):
    """The last number issued per prefix and year; bumped in the creating transaction, so never a gap."""

    __tablename__ = "document_sequence"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)

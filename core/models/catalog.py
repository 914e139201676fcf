"""The catalog: categories, products with barcodes and pack units, and warehouses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, Qty, UnitCost, UTCDateTime, utcnow
from core.models.search_index import create_search_index, drop_search_index
from core.models.searchable import PINYIN_LENGTH, default_of


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    vat_rate: Mapped[Decimal | None] = mapped_column(Qty())  # percent; None: the books' default_vat_rate


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    spec: Mapped[str] = mapped_column(String(60), default="", server_default="")  # 规格: 500ml, 10寸
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    base_unit: Mapped[str] = mapped_column(String(20), default="pcs")
    purchase_price: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    sale_price: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    floor_price: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    vat_rate: Mapped[Decimal | None] = mapped_column(Qty())  # percent; None: its category's, else the default
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    tracking: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    alert_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    search_pinyin: Mapped[str] = mapped_column(String(PINYIN_LENGTH), default=default_of("product", "search_pinyin"),
                                               server_default="", index=True)
    search_text: Mapped[str] = mapped_column(Text, default=default_of("product", "search_text"), server_default="")

    barcodes: Mapped[list[ProductBarcode]] = relationship(back_populates="product")
    units: Mapped[list[ProductUnit]] = relationship(back_populates="product")

    __table_args__ = (
        Index("ix_product_name_zh", "name_zh"),
        Index("ix_product_lower_name_en", func.lower(name_en)),
        CheckConstraint("purchase_price >= 0 AND sale_price >= 0 AND floor_price >= 0", name="prices"),
        CheckConstraint("tracking IN ('none', 'lot', 'serial')", name="tracking"),
        CheckConstraint("(shelf_life_days IS NULL OR shelf_life_days > 0) AND (alert_days IS NULL OR alert_days >= 0)",
                        name="shelf_life"),
    )


event.listen(Product.__table__, "after_create", lambda _table, connection, **_kw: create_search_index(connection))
event.listen(Product.__table__, "before_drop", lambda _table, connection, **_kw: drop_search_index(connection))


class ProductBarcode(Base):
    __tablename__ = "product_barcode"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)

    product: Mapped[Product] = relationship(back_populates="barcodes")


class ProductUnit(Base):
    """A pack unit such as box = 12 base units, understood by chat entry."""

    __tablename__ = "product_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    name: Mapped[str] = mapped_column(String(20))
    factor: Mapped[Decimal] = mapped_column(Qty())

    product: Mapped[Product] = relationship(back_populates="units")

    __table_args__ = (
        UniqueConstraint("product_id", "name"),
        CheckConstraint("factor > 0", name="factor_positive"),
    )


class Warehouse(Base):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="", server_default="")  # for English readers
    kind: Mapped[str] = mapped_column(String(10), default="normal")
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("kind IN ('normal', 'transit')", name="kind"),)

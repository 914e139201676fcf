"""Trading partners: suppliers and customers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, UTCDateTime, utcnow
from core.models.searchable import PINYIN_LENGTH, default_of

CREDIT_RATINGS = ("A", "B", "C", "D")


class Supplier(Base):
    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    contact: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    credit_rating: Mapped[str] = mapped_column(String(10), default="B")
    lead_time_days: Mapped[int] = mapped_column(Integer, default=7)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    note: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    search_pinyin: Mapped[str] = mapped_column(String(PINYIN_LENGTH), default=default_of("supplier", "search_pinyin"),
                                               server_default="", index=True)
    search_text: Mapped[str] = mapped_column(Text, default=default_of("supplier", "search_text"), server_default="")

    __table_args__ = (
        CheckConstraint("lead_time_days >= 0 AND payment_terms_days >= 0", name="days"),
    )


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    contact: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    channel: Mapped[str] = mapped_column(String(20), default="wholesale")
    price_grade: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default="zh_CN")  # of its documents
    credit_limit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    note: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    search_pinyin: Mapped[str] = mapped_column(String(PINYIN_LENGTH), default=default_of("customer", "search_pinyin"),
                                               server_default="", index=True)
    search_text: Mapped[str] = mapped_column(Text, default=default_of("customer", "search_text"), server_default="")

    __table_args__ = (
        CheckConstraint("credit_limit >= 0 AND payment_terms_days >= 0", name="limits"),
    )

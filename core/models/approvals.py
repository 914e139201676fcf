"""Approval rules as data, the requests they cause, and every decision taken on them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, UTCDateTime, utcnow


class ApprovalRule(Base):
    """From `amount_from` up, a document of `doc_type` needs the roles in `levels`, one after the other."""

    __tablename__ = "approval_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    amount_from: Mapped[Decimal] = mapped_column(Money())
    levels: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("doc_type", "amount_from"),)


class ApprovalRequest(Base):
    """A submitted document waiting for its levels, with the deadlines for reminding and escalating."""

    __tablename__ = "approval_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    doc_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Money())
    author_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    current_level: Mapped[int] = mapped_column(Integer, default=0)
    current_role: Mapped[str] = mapped_column(String(20))
    levels: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_to: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_approval_request_document", "doc_type", "doc_id"),
        Index("ix_approval_request_status_role", "status", "current_role"),
        Index("ix_approval_request_status_remind_at", "status", "remind_at"),
        Index("ix_approval_request_status_escalate_at", "status", "escalate_at"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')", name="status"),
    )


class ApprovalDecision(Base):
    """Who decided which level, when, through which channel, and the amount they saw."""

    __tablename__ = "approval_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_request.id"))
    level: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500), default="")
    amount_at_decision: Mapped[Decimal] = mapped_column(Money())
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("request_id", "level"),
        CheckConstraint("decision IN ('approve', 'reject')", name="decision"),
    )

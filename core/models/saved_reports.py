"""Saved reports: a named report definition anyone permitted can run, and its scheduled deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class SavedReport(Base):
    """A report with its dimensions, measures, filters and period, stored under a name people can type."""

    __tablename__ = "saved_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    report: Mapped[str] = mapped_column(String(30))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportSchedule(Base):
    """Deliver one saved report to one employee daily, weekly or monthly at a local time of day."""

    __tablename__ = "report_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    frequency: Mapped[str] = mapped_column(String(10))
    at_time: Mapped[str] = mapped_column(String(5), default="08:00")
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    format: Mapped[str] = mapped_column(String(10), default="png")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("saved_report_id", "recipient_id", "frequency", name="uq_report_schedule_target"),
        CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name="frequency"),
        CheckConstraint("format IN ('text', 'png', 'xlsx')", name="format"),
    )

"""Employees, the roles they hold and the warehouses they work in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.permissions import ROLES as ROLES


class Employee(Base):
    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    roles: Mapped[list[EmployeeRole]] = relationship(cascade="all, delete-orphan")
    warehouses: Mapped[list[EmployeeWarehouse]] = relationship(cascade="all, delete-orphan")


class EmployeeRole(Base):
    __tablename__ = "employee_role"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'manager', 'purchaser', 'sales', 'warehouse', 'finance')", name="role"
        ),
    )


class EmployeeWarehouse(Base):
    """A warehouse a warehouse worker may act in; none listed means none."""

    __tablename__ = "employee_warehouse"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)

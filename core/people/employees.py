"""Employees: loading the acting employee, creating staff and giving roles."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.catalog.products import warehouse_in
from core.errors import DuplicateCode, PermissionDenied, UnknownEmployee
from core.models import ROLES, Employee, EmployeeRole, EmployeeWarehouse
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

SYSTEM_NAME = "system"


def load_actor(
    uow: UnitOfWork, employee: int | str, channel: str = "cli", message_id: str | None = None
) -> Actor:
    """The active employee by id or name, as an Actor with roles and warehouses; UnknownEmployee otherwise."""
    return uow.read(lambda tx: actor_in(tx, employee, channel, message_id))


def actor_in(tx: Tx, employee: int | str, channel: str = "cli", message_id: str | None = None) -> Actor:
    """Load the actor inside an open transaction."""
    condition = Employee.id == employee if isinstance(employee, int) else Employee.name == employee
    row = tx.session.execute(select(Employee).where(condition, Employee.active)).scalar_one_or_none()
    if row is None:
        raise UnknownEmployee(employee=str(employee))
    roles = tx.session.scalars(select(EmployeeRole.role).where(EmployeeRole.employee_id == row.id))
    warehouses = tx.session.scalars(
        select(EmployeeWarehouse.warehouse_id).where(EmployeeWarehouse.employee_id == row.id)
    )
    return Actor(
        employee_id=row.id, name=row.name, roles=frozenset(roles), warehouse_ids=frozenset(warehouses),
        language=row.language, channel=channel, message_id=message_id,
    )


def create_employee(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    roles: Iterable[str],
    warehouses: Iterable[str] = (),
    language: str = "zh_CN",
) -> int:
    """Add an employee with roles and assigned warehouses (admins only)."""
    actor.require(Permission.PEOPLE_ADMIN)
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in ROLES]
    if unknown or not name.strip():
        raise PermissionDenied(reason="unknown_role", roles=unknown)

    def work(tx: Tx) -> int:
        if tx.session.scalar(select(Employee.id).where(Employee.name == name)) is not None:
            raise DuplicateCode(kind="employee", code=name)
        found = [warehouse_in(tx, code) for code in warehouses]  # any case; UnknownWarehouse otherwise
        codes = [w.code for w in found]
        employee = Employee(name=name.strip(), language=language)
        employee.roles = [EmployeeRole(role=r) for r in wanted]
        employee.warehouses = [EmployeeWarehouse(warehouse_id=i) for i in sorted({w.id for w in found})]
        tx.session.add(employee)
        tx.session.flush()
        record(tx, actor, "employee.create", "employee", employee.id, name=name, roles=wanted, warehouses=codes)
        return employee.id

    return uow.run(work)

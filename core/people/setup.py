"""What every database needs before use: the system employee and the transit warehouse."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Employee, EmployeeRole, Warehouse
from core.people.employees import SYSTEM_NAME
from core.uow import Tx, UnitOfWork

TRANSIT_CODE = "TRANSIT"


def bootstrap(uow: UnitOfWork) -> None:
    """Create the built-in system administrator and transit warehouse when missing; safe to run again."""

    def work(tx: Tx) -> None:
        if tx.session.scalar(select(Employee.id).where(Employee.name == SYSTEM_NAME)) is None:
            system = Employee(name=SYSTEM_NAME, language="en")
            system.roles = [EmployeeRole(role="admin")]
            tx.session.add(system)
        if tx.session.scalar(select(Warehouse.id).where(Warehouse.kind == "transit")) is None:
            tx.session.add(Warehouse(code=TRANSIT_CODE, name="在途", name_en="In transit", kind="transit"))

    uow.run(work)

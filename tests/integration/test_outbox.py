"""The outbox: notifications are written with the change that causes them, once per key and recipient."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import OutOfStock
from core.models import Notification
from core.permissions import Actor
from core.services.outbox import employees_with_role, notify
from core.services.people import create_employee
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop


def notifications(uow: UnitOfWork) -> list[tuple[str, int, str]]:
    return uow.read(lambda tx: [
        (n.event_type, n.recipient_id, n.dedupe_key)
        for n in tx.session.scalars(select(Notification).order_by(Notification.id))
    ])


def test_one_notification_per_recipient_and_none_twice(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    recipients = [shop.manager.employee_id, shop.purchaser.employee_id]

    def write(tx: Tx) -> int:
        return notify(tx, "low_stock", recipients, {"sku": "LAMP", "available": D("1.5")}, "low_stock:doc-1")

    assert uow.run(write) == 2
    assert uow.run(write) == 0
    rows = uow.read(lambda tx: tx.session.execute(
        select(Notification.recipient_id, Notification.status, Notification.attempts, Notification.payload,
               Notification.dedupe_key).order_by(Notification.id)).all())
    assert [tuple(r[:3]) for r in rows] == [
        (shop.manager.employee_id, "pending", 0), (shop.purchaser.employee_id, "pending", 0)]
    assert rows[0].payload == {"sku": "LAMP", "available": "1.5"}
    assert rows[0].dedupe_key == f"low_stock:doc-1:{shop.manager.employee_id}"


def test_a_change_that_fails_afterwards_leaves_no_notification(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)

    def work(tx: Tx) -> None:
        notify(tx, "low_stock", [shop.manager.employee_id], {"sku": "LAMP"}, "low_stock:doomed")
        raise OutOfStock(item="LAMP", available=D(0), requested=D(1))

    with pytest.raises(OutOfStock):
        uow.run(work)
    assert notifications(uow) == []


def test_employees_with_role_lists_active_holders_of_any_role(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    both = create_employee(uow, admin, "boss-2", ["manager", "purchaser"])
    found = uow.read(lambda tx: employees_with_role(tx, "manager", "purchaser"))
    assert found == sorted([shop.manager.employee_id, shop.purchaser.employee_id, both])
    assert uow.read(lambda tx: employees_with_role(tx)) == []

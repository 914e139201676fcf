"""The outbox: notifications are written with the change that causes them, once per key and recipient."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import Row, select

from core.errors import OutOfStock
from core.integration.outbox import employees_with_role, notify
from core.integration.queue import NOTIFICATION_QUEUE
from core.models import Notification
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop

SENDER = "test-sender"  # the claim token of the one sender these tests play


def claim_due(uow: UnitOfWork, limit: int = 100, lease: timedelta = timedelta(minutes=2),
              now: datetime | None = None) -> list[Row[Any]]:
    """The queue's claim of due notes, for SENDER."""
    return uow.run(lambda tx: NOTIFICATION_QUEUE.take(tx, NOTIFICATION_QUEUE.due(now or tx.now, limit), SENDER,
                                                      now or tx.now, lease))


def mark_sent(uow: UnitOfWork, ids: list[int]) -> int:
    """The queue's mark, for SENDER."""
    return NOTIFICATION_QUEUE.mark_sent(uow, SENDER, ids, uow.read(lambda tx: tx.now))


def mark_failed(uow: UnitOfWork, notification_id: int, error: str, *, max_attempts: int) -> str:
    """The queue's failure record, for SENDER and the attempt the note is at."""
    attempts = uow.read(lambda tx: tx.session.scalar(
        select(Notification.attempts).where(Notification.id == notification_id)))
    return NOTIFICATION_QUEUE.mark_failed(uow, SENDER, notification_id, attempts or 0, error,
                                          uow.read(lambda tx: tx.now), max_attempts=max_attempts)


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


def pending_lamps(uow: UnitOfWork, shop: Shop, count: int) -> None:
    uow.run(lambda tx: sum(
        notify(tx, "low_stock", [shop.manager.employee_id], {"sku": "LAMP", "n": n}, f"low_stock:doc-{n}")
        for n in range(count)))


def test_a_sender_claims_due_messages_once_and_marks_them_sent(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    pending_lamps(uow, shop, 3)
    first = claim_due(uow, limit=2)
    assert [(m.payload["n"], m.attempts) for m in first] == [(0, 1), (1, 1)]
    assert [m.payload["n"] for m in claim_due(uow)] == [2]
    assert claim_due(uow) == []
    assert mark_sent(uow, [m.id for m in first]) == 2
    assert mark_sent(uow, [m.id for m in first]) == 0
    statuses = uow.read(lambda tx: tx.session.execute(
        select(Notification.status, Notification.sent_at.is_not(None)).order_by(Notification.id)).all())
    assert [tuple(s) for s in statuses] == [("sent", True), ("sent", True), ("pending", False)]


def test_a_claim_not_confirmed_in_time_is_delivered_again(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    pending_lamps(uow, shop, 1)
    start = uow.read(lambda tx: tx.now)
    [claimed] = claim_due(uow, now=start)
    assert claim_due(uow, now=start + timedelta(minutes=1)) == []
    [again] = claim_due(uow, now=start + timedelta(minutes=3))
    assert (again.id, again.attempts) == (claimed.id, 2)


def test_failed_deliveries_back_off_and_die_after_the_last_attempt(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    pending_lamps(uow, shop, 1)
    later = uow.read(lambda tx: tx.now)
    statuses = []
    for _ in range(3):
        later += timedelta(hours=2)
        [message] = claim_due(uow, now=later)
        statuses.append(mark_failed(uow, message.id, "chat not found", max_attempts=3))
    assert statuses == ["pending", "pending", "dead"]
    assert claim_due(uow, now=later + timedelta(days=1)) == []
    error = uow.read(lambda tx: tx.session.scalar(select(Notification.last_error)))
    assert error == "chat not found"


def test_concurrent_senders_never_claim_the_same_message(pg_uow: UnitOfWork) -> None:
    shop = make_shop(pg_uow, load_actor(pg_uow, "system"))
    pending_lamps(pg_uow, shop, 60)
    barrier = threading.Barrier(3)
    claimed: list[list[int]] = []

    def sender() -> None:
        barrier.wait(10)
        claimed.append([m.id for batch in iter(lambda: claim_due(pg_uow, limit=7), []) for m in batch])

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    every = [i for ids in claimed for i in ids]
    assert len(claimed) == 3 and len(every) == len(set(every)) == 60

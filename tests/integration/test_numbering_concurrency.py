"""Sixteen purchasers creating orders at the same moment get every number once, with no gap."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from core.errors import EmptyDocument
from core.ledger.numbering import next_number
from core.models import DocumentSequence, PurchaseOrder
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop

CREATORS = 16
ORDERS_EACH = 3


def test_concurrent_creators_get_every_order_number_once_without_gaps(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    start = threading.Barrier(CREATORS)

    def abandoned(tx: Tx) -> None:
        next_number(tx, "PO")
        raise EmptyDocument(reason="changed my mind after taking a number")

    def creator(n: int) -> list[str]:
        start.wait(timeout=30)
        numbers = []
        for k in range(ORDERS_EACH):
            if k == 1:
                with pytest.raises(EmptyDocument):
                    uow.run(abandoned)
            order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN",
                                          [PurchaseLineIn("LAMP", n + 1), PurchaseLineIn("TEA-CUP", k + 1)])
            numbers.append(order.number)
        return numbers

    with ThreadPoolExecutor(CREATORS) as pool:
        results = list(pool.map(creator, range(CREATORS)))

    year = uow.read(lambda tx: tx.now.year)
    expected = [f"PO-{year}-{i:06d}" for i in range(1, CREATORS * ORDERS_EACH + 1)]
    handed_out = sorted(number for numbers in results for number in numbers)
    assert handed_out == expected
    stored = uow.read(lambda tx: sorted(tx.session.scalars(select(PurchaseOrder.number))))
    assert stored == expected
    last = uow.read(lambda tx: tx.session.scalar(
        select(DocumentSequence.last_number).where(DocumentSequence.prefix == "PO")))
    assert last == CREATORS * ORDERS_EACH

"""The warehouse an order page offers first: the salesperson's last, else the one holding the most."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.orders import create_sales_order
from core.sales.records import SalesLineIn
from core.sales.usual import usual_sales_warehouse
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import make_shop


def test_the_last_warehouse_sold_from_else_the_fullest(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    assert usual_sales_warehouse(uow, shop.sales) == "MAIN", "no stock anywhere: the first by code"
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 10)])
    receive_stock(uow, admin, "NORTH", [LineIn("TEA-CUP", 30), LineIn("LAMP", 2)])
    assert usual_sales_warehouse(uow, shop.sales) == "NORTH", "the most units on hand"
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 1)])
    assert usual_sales_warehouse(uow, shop.sales) == "MAIN", "where this salesperson last sold from"
    assert usual_sales_warehouse(uow, shop.manager) == "NORTH", "another person's orders do not count"
    with pytest.raises(PermissionDenied):
        usual_sales_warehouse(uow, shop.warehouse)

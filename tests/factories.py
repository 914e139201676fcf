"""Readable test data: a small shop with warehouses, products and one employee per role."""

from __future__ import annotations

from dataclasses import dataclass

from core.catalog.products import NewProduct, create_product, create_warehouse
from core.models.base import utcnow
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.uow import UnitOfWork

PRODUCTS = (
    NewProduct("RETRO-CLOCK", "复古闹钟", "Retro clock", purchase_price="10", sale_price="25",
               floor_price="18", barcodes=("6901234567890",), units=(("箱", 12), ("box", 12))),
    NewProduct("TEA-CUP", "青花茶杯", "Blue tea cup", purchase_price="3.3", sale_price="8", floor_price="5"),
    NewProduct("LAMP", "台灯", "Desk lamp", purchase_price="45", sale_price="99", floor_price="70"),
)


@dataclass(frozen=True)
class Shop:
    uow: UnitOfWork
    admin: Actor
    manager: Actor
    purchaser: Actor
    sales: Actor
    warehouse: Actor
    finance: Actor


def make_shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """Warehouses MAIN and NORTH, three products, and an employee per role (the warehouse worker in MAIN)."""
    create_warehouse(uow, admin, "MAIN", "主仓 Main")
    create_warehouse(uow, admin, "NORTH", "北仓 North")
    for product in PRODUCTS:
        create_product(uow, admin, product)
    for role in ("manager", "purchaser", "sales", "finance"):
        create_employee(uow, admin, f"{role}-1", [role])
    create_employee(uow, admin, "warehouse-1", ["warehouse"], warehouses=["MAIN"])
    return Shop(
        uow=uow, admin=admin, manager=load_actor(uow, "manager-1"), purchaser=load_actor(uow, "purchaser-1"),
        sales=load_actor(uow, "sales-1"), warehouse=load_actor(uow, "warehouse-1"),
        finance=load_actor(uow, "finance-1"),
    )


def doc_no(prefix: str, n: int) -> str:
    """The n-th document number of `prefix` this year, by the clock a default UnitOfWork uses: doc_no("PO", 1)."""
    return f"{prefix}-{utcnow().year}-{n:06d}"

"""The shop a delivery note arrives at: products named the way a supplier abbreviates them, one in boxes of 12,
a supplier (华美) and an approved purchase order for the goods on the note."""

from __future__ import annotations

from dataclasses import dataclass

from core.catalog.products import NewProduct, create_product
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.uow import UnitOfWork
from tests.notes import Written, note

PRODUCTS = (  # sku, 中文名, English name, pack units
    ("CUP500", "不锈钢保温杯 500ml", "Steel vacuum cup 500ml", ()),
    ("CUP1L", "不锈钢保温杯 1L", "Steel vacuum cup 1L", ()),
    ("LUNCHBOX", "不锈钢饭盒", "Steel lunch box", (("箱", 12),)),
    ("CHOPSTICK", "竹筷子", "Bamboo chopsticks", ()),
    ("KETTLE", "电热水壶", "Electric kettle", ()),
    ("BOWL", "玻璃碗", "Glass bowl", ()),
    ("TOWEL", "纯棉毛巾", "Cotton towel", ()),
    ("BRUSH", "软毛牙刷", "Soft toothbrush", ()),
    ("SOAP", "香皂", "Soap", ()),
    ("PLATE", "陶瓷盘子", "Ceramic plate", ()),
    ("SPOON", "不锈钢汤勺", "Steel spoon", ()),
    ("KNIFE", "水果刀", "Fruit knife", ()),
    ("BOARD", "竹制砧板", "Bamboo chopping board", (("包", 2),)),
)
# What the supplier wrote, and the (SKU, base quantity) it must be read as.
ROWS = (
    (Written("保温杯500ml", "12", "个", "25.00"), ("CUP500", "12")),  # abbreviated
    (Written("不锈钢饭盒", "3", "箱", "120.00"), ("LUNCHBOX", "36")),  # in boxes of 12
    (Written("竹筷子", "40", "双", "2.10"), ("CHOPSTICK", "40")),
    (Written("电热水壸", "2", "台", "89.00"), ("KETTLE", "2")),  # a typo (壸 for 壶)
    (Written("玻离碗", "10", "个", "6.50"), ("BOWL", "10")),  # a typo the reader will not mend (离 for 璃)
    (Written("毛巾", "20", "条", "9.90"), ("TOWEL", "20")),  # abbreviated
    (Written("软毛牙刷", "30", "支", "3.00"), ("BRUSH", "30")),
    (Written("香皂", "24", "块", "4.50"), ("SOAP", "24")),
    (Written("陶瓷盘子", "15", "个", "8.00"), ("PLATE", "15")),
    (Written("汤勺", "50", "个", "1.20"), ("SPOON", "50")),  # abbreviated
)
MORE_ROWS = (  # two more, for a twelve-line note
    (Written("水果刀", "6", "把", "12.00"), ("KNIFE", "6")),
    (Written("砧板", "4", "包", "30.00"), ("BOARD", "8")),  # abbreviated, in packs of 2
)


@dataclass(frozen=True)
class NoteShop:
    """The purchase order's number."""

    order: str


def note_shop(uow: UnitOfWork, admin: Actor, purchaser: Actor, lines: int = len(ROWS),
              rows: tuple[tuple[Written, tuple[str, str]], ...] = ROWS) -> NoteShop:
    """Products, the supplier HUAMEI and an approved order for the first `lines` rows' goods."""
    for sku, zh, en, units in PRODUCTS:
        create_product(uow, admin, NewProduct(sku, zh, en, purchase_price="5", sale_price="9", units=units))
    create_supplier(uow, admin, NewSupplier("HUAMEI", "华美日用品有限公司"))
    order = create_purchase_order(uow, purchaser, "HUAMEI", "MAIN",
                                  [PurchaseLineIn(sku, qty, "5") for _, (sku, qty) in rows[:lines]])
    return NoteShop(submit_purchase_order(uow, purchaser, order.number).number)


EIGHT = note([w for w, _ in ROWS[:8]])  # the note most tests photograph: eight rows, rotated 1.5°, blurred

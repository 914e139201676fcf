"""Products kept by their editors in core (core/catalog/editing): who may change what, a product with named lots
keeping its tracking, and two editors adding the same SKU at the same moment (one wins, the other is told the code
exists, never a database error)."""

from __future__ import annotations

import threading

import pytest

from core.catalog.editing import ProductChanges, add_product, product_detail, update_product
from core.catalog.products import NewProduct
from core.errors import DuplicateCode, LotRefused, PermissionDenied
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: object) -> Shop:
    return make_shop(uow, admin)  # type: ignore[arg-type]


def test_who_may_change_what_of_a_product(shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        update_product(shop.uow, shop.sales, "LAMP", ProductChanges(name_en="x"))
    with pytest.raises(PermissionDenied):
        update_product(shop.uow, shop.purchaser, "LAMP", ProductChanges(floor_price="1"))
    with pytest.raises(PermissionDenied):
        add_product(shop.uow, shop.warehouse, NewProduct("MUG", "马克杯"))
    changed = update_product(shop.uow, shop.manager, "lamp", ProductChanges(sale_price="109", floor_price="80",
                                                                          purchase_price="44"))
    assert (changed.sale_price, changed.floor_price, changed.purchase_price) == (109, 80, 44)
    assert product_detail(shop.uow, shop.sales, "LAMP").purchase_price is None


def test_a_product_with_named_lots_keeps_its_tracking_and_nothing_else_changes(shop: Shop) -> None:
    add_product(shop.uow, shop.purchaser, NewProduct("MILK", "牛奶", tracking="lot", shelf_life_days=10))
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("MILK", 5, "3", lot="L1", expiry="2099-01-01")])
    with pytest.raises(LotRefused):
        update_product(shop.uow, shop.purchaser, "MILK", ProductChanges(name_en="Milk", tracking="none"))
    kept = product_detail(shop.uow, shop.purchaser, "MILK")
    assert (kept.tracking, kept.name_en) == ("lot", "")
    assert update_product(shop.uow, shop.purchaser, "MILK", ProductChanges(shelf_life_days=None)).tracking == "lot"


def test_two_editors_adding_one_sku_at_once_one_wins_the_other_is_told_it_exists(shop: Shop) -> None:
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def add(n: int) -> None:
        start.wait()
        try:
            add_product(shop.uow, shop.purchaser, NewProduct("KETTLE", f"水壶 {n}", barcodes=("6900000000017",)))
        except DuplicateCode:
            outcomes.append("duplicate")
        except Exception as error:  # any other failure is reported to the test, which fails on it
            outcomes.append(f"{type(error).__name__}: {error}"[:300])
        else:
            outcomes.append("added")

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["added", "duplicate", "duplicate", "duplicate"]

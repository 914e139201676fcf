"""The item resolver on each database: SKU or barcode, pack units, prices, refusals, and a constant statement count."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import Engine

from core.catalog.lines import EnteredLine, entered
from core.catalog.products import NewProduct, create_product
from core.catalog.resolve import ResolvedLine, resolve_lines
from core.errors import DomainError, InactiveProduct, InvalidQuantity, UnknownProduct
from core.models import Product
from core.permissions import Actor
from core.sales.pricing import quote_sales_line
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.statements import counted


def resolved(uow: UnitOfWork, *lines: EnteredLine, signed: bool = False) -> list[ResolvedLine]:
    return uow.read(lambda tx: resolve_lines(tx, lines, signed=signed))


def refusal(uow: UnitOfWork, *lines: EnteredLine) -> DomainError:
    with pytest.raises(DomainError) as refused:
        resolved(uow, *lines)
    return refused.value


def test_a_sku_in_any_case_and_a_barcode_find_the_same_product(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    by_sku, by_lower, by_barcode = resolved(
        uow, entered("RETRO-CLOCK", 2), entered("retro-clock", 1), entered("6901234567890", 3))
    assert by_sku.product == by_lower.product == by_barcode.product
    assert (by_sku.product.sku, by_sku.base_qty, by_barcode.base_qty) == ("RETRO-CLOCK", D(2), D(3))
    assert (by_sku.item.sale_price, by_sku.item.floor_price, by_sku.product.purchase_price) == (D(25), D(18), D(10))
    assert by_lower.line.item == "retro-clock", "the line keeps the code as it was given"


def test_a_pack_unit_converts_the_quantity_and_the_price_to_base_units(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    boxes, pieces = resolved(uow, entered("RETRO-CLOCK", 2, "箱", "240"), entered("TEA-CUP", 3, None, "7.5"))
    assert (boxes.factor, boxes.base_qty, boxes.base_price) == (D(12), D(24), D(20))
    assert (pieces.factor, pieces.base_qty, pieces.base_price) == (D(1), D(3), D("7.5"))
    unpriced = resolved(uow, entered("LAMP", 1))[0]
    assert unpriced.base_price is None
    assert unpriced.price_or(unpriced.product.purchase_price) == D(45)


def test_a_signed_line_in_pack_units_goes_down_in_base_units(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    assert resolved(uow, entered("RETRO-CLOCK", -1, "box", signed=True), signed=True)[0].base_qty == D(-12)


def test_an_unknown_unit_product_or_inactive_product_is_refused_by_name(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    crate = refusal(uow, entered("LAMP", 1), entered("RETRO-CLOCK", 1, "crate"))
    assert isinstance(crate, InvalidQuantity)
    assert crate.params == {"value": "crate", "reason": "unknown_unit", "item": "RETRO-CLOCK"}
    assert refusal(uow, entered("LAMP", 1, "箱")).params["reason"] == "unknown_unit", "units belong to a product"
    ghost = refusal(uow, entered("LAMP", 1), entered("NO-SUCH-THING", 1))
    assert isinstance(ghost, UnknownProduct) and ghost.params == {"item": "NO-SUCH-THING"}
    too_big = refusal(uow, entered("RETRO-CLOCK", "99999999999", "箱"))
    assert too_big.params["reason"] == "too_large"
    create_product(uow, admin, NewProduct("OLD-LAMP", "旧台灯"))
    uow.run(lambda tx: tx.session.query(Product).filter(Product.sku == "OLD-LAMP").update({"active": False}))
    old = refusal(uow, entered("old-lamp", 1))
    assert isinstance(old, InactiveProduct) and old.params == {"item": "old-lamp", "sku": "OLD-LAMP"}


def test_a_sales_quote_takes_the_sale_price_unless_one_is_given_and_knows_the_floor(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = make_shop(uow, admin)
    listed = quote_sales_line(uow, shop.sales, entered("RETRO-CLOCK", 2))
    assert (listed.unit_price, listed.amount, listed.below_floor) == (D(25), D(50), False)
    cheap = quote_sales_line(uow, shop.sales, entered("6901234567890", 1, "箱", "180"))
    assert (cheap.sku, cheap.base_qty, cheap.unit_price, cheap.amount) == ("RETRO-CLOCK", D(12), D(15), D(180))
    assert cheap.below_floor and cheap.floor_price == D(18)


def test_a_document_of_many_lines_resolves_in_as_many_statements_as_one_of_two(
    engine: Engine, uow: UnitOfWork, admin: Actor
) -> None:
    make_shop(uow, admin)
    skus = [f"GADGET-{n:02d}" for n in range(20)]
    for sku in skus:
        create_product(uow, admin, NewProduct(sku, "小工具", units=(("box", 6),), barcodes=(f"690000000{sku[-2:]}",)))

    def statements(*lines: EnteredLine) -> int:
        with counted(engine) as seen:
            resolved(uow, *lines)
        return len(seen)

    assert statements(*[entered(sku, 1) for sku in skus[:2]]) == statements(*[entered(s, 1) for s in skus]) == 1
    mixed = [entered(sku if n % 2 else f"690000000{sku[-2:]}", 1, "box" if n % 3 else None)
             for n, sku in enumerate(skus)]
    assert statements(*mixed[:3]) == statements(*mixed) == 3, "SKUs, then barcodes, then pack units"

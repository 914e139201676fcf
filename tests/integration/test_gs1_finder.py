"""The GS1 finder of the item resolver: a GS1 element string or a GTIN finds the product by its barcode."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import Engine

from core.catalog.lines import entered
from core.catalog.products import NewProduct, create_product
from core.catalog.resolve import resolve_lines
from core.errors import UnknownProduct
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.statements import counted


def skus(uow: UnitOfWork, *codes: str) -> list[str]:
    lines = [entered(code, 1) for code in codes]
    return [r.product.sku for r in uow.read(lambda tx: resolve_lines(tx, lines))]


def test_gs1_strings_and_gtins_find_the_product_their_gtin_is_stored_for(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("UPC-MUG", "美式马克杯", "US mug", barcodes=("036000291452",)))
    found = skus(uow, "(01)06901234567890(10)LOT7(17)271231", "0106901234567890" "10LOT8\x1d" "21SN1",
                 "06901234567890", "0036000291452", "(01)00036000291452(21)X")
    assert found == ["RETRO-CLOCK", "RETRO-CLOCK", "RETRO-CLOCK", "UPC-MUG", "UPC-MUG"]


def test_a_gtin_of_no_product_is_refused_as_unknown(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    with pytest.raises(UnknownProduct) as refused:
        skus(uow, "(01)04006381333931(10)LOT7")
    assert refused.value.params["item"] == "(01)04006381333931(10)LOT7"


def test_gs1_lines_of_a_document_resolve_in_one_more_statement_whatever_their_count(
    engine: Engine, uow: UnitOfWork, admin: Actor
) -> None:
    make_shop(uow, admin)
    for n in range(12):
        create_product(uow, admin, NewProduct(f"G-{n:02d}", "小工具", barcodes=(f"69000000000{n:02d}",)))

    def statements(count: int) -> int:
        lines = [entered(f"(01)069000000000{n:02d}(10)L{n}", D(1)) for n in range(count)]
        with counted(engine) as seen:
            uow.read(lambda tx: resolve_lines(tx, lines))
        return len(seen)

    assert statements(2) == statements(12) == 3, "SKUs, barcodes as given, then GTINs"

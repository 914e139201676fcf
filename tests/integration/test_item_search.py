"""The item resolver's name finder on each database: a fragment of a name (Chinese or English), full pinyin,
initials and small typos; several found is a refusal with the choices, none with the nearest; the searchable
columns kept current by creation, import and a partner's rename; a constant number of statements."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, select

from core.catalog.lines import entered
from core.catalog.products import NewProduct, create_product
from core.catalog.resolve import ItemChoice, items_in, resolve_lines
from core.errors import AmbiguousProduct, DomainError, UnknownProduct
from core.integration.imports import import_rows
from core.models import Product, Supplier
from core.partners.choices import partner_choices
from core.partners.suppliers import NewSupplier, create_supplier, update_supplier
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.statements import counted

CUPS = (
    NewProduct("BWB-500", "不锈钢保温杯500ml", "Steel thermos 500ml", purchase_price="20", sale_price="39"),
    NewProduct("BWB-KID", "儿童保温杯", "Kids thermos", purchase_price="15", sale_price="29"),
    NewProduct("CQ-HOTPOT", "重庆火锅底料", "Chongqing hotpot base", purchase_price="8", sale_price="15"),
    NewProduct("YH-CARD", "银行卡套", "Card sleeve", purchase_price="1", sale_price="3"),
)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    for product in CUPS:
        create_product(uow, admin, product)
    receive_stock(uow, admin, "MAIN", [LineIn("BWB-500", 12, "20")])
    receive_stock(uow, admin, "NORTH", [LineIn("BWB-500", 3, "20"), LineIn("BWB-KID", 5, "15")])
    return shop


def sku_of(uow: UnitOfWork, code: str) -> str:
    return uow.read(lambda tx: items_in(tx, [code])[code].ref.sku)


def refused(uow: UnitOfWork, code: str) -> DomainError:
    with pytest.raises(DomainError) as refusal:
        sku_of(uow, code)
    return refusal.value


@pytest.mark.parametrize(("typed", "sku"), [
    ("重庆", "CQ-HOTPOT"), ("火锅底料", "CQ-HOTPOT"), ("hotpot", "CQ-HOTPOT"), ("CHONGQING HOT", "CQ-HOTPOT"),
    ("chongqinghuoguodiliao", "CQ-HOTPOT"), ("cqhgdl", "CQ-HOTPOT"), ("ＣＱＨＧ", "CQ-HOTPOT"),
    ("yinhangka", "YH-CARD"), ("yhkt", "YH-CARD"), ("儿童", "BWB-KID"), ("kids", "BWB-KID"),
    ("chongqnighuoguo", "CQ-HOTPOT"), ("yinhnagka", "YH-CARD"), ("ertongbaownbei", "BWB-KID"),
    ("retro-clok", "RETRO-CLOCK"), ("fugunaozong", "RETRO-CLOCK"), ("儿通保温杯", "BWB-KID"),
])
def test_one_product_found_by_name_pinyin_initials_or_a_typo_is_taken(shop: Shop, typed: str, sku: str) -> None:
    assert sku_of(shop.uow, typed) == sku


def test_a_name_of_several_products_is_refused_with_each_its_stock_and_sale_price(shop: Shop) -> None:
    for typed in ("保温杯", "bwb", "baowenbei", "thermos"):
        refusal = refused(shop.uow, typed)
        assert isinstance(refusal, AmbiguousProduct), typed
        assert refusal.params["item"] == typed
        choices = {c.sku: c for c in refusal.params["choices"]}
        assert set(choices) == {"BWB-500", "BWB-KID"}, typed
    assert choices["BWB-500"] == ItemChoice("BWB-500", "不锈钢保温杯500ml", "Steel thermos 500ml", "pcs", D(15), D(39))
    assert choices["BWB-KID"].available == D(5)


def test_a_whole_name_is_taken_even_when_longer_names_contain_it(shop: Shop) -> None:
    create_product(shop.uow, shop.admin, NewProduct("BWB-PLAIN", "保温杯", "Thermos"))
    assert sku_of(shop.uow, "保温杯") == "BWB-PLAIN"
    assert sku_of(shop.uow, "thermos") == "BWB-PLAIN"
    assert isinstance(refused(shop.uow, "bwb"), AmbiguousProduct), "initials name all three"


def test_nothing_found_says_so_with_the_nearest_or_alone(shop: Shop) -> None:
    near = refused(shop.uow, "chongguohuo")
    assert isinstance(near, UnknownProduct)
    assert [c.sku for c in near.params["nearest"]] == ["CQ-HOTPOT"]
    alone = refused(shop.uow, "zzzz")
    assert isinstance(alone, UnknownProduct) and alone.params == {"item": "zzzz"}
    assert refused(shop.uow, "%").params == {"item": "%"}, "LIKE wildcards are searched as themselves"


def test_an_inactive_product_is_not_found_by_name(shop: Shop) -> None:
    shop.uow.run(lambda tx: tx.session.query(Product).filter(Product.sku == "YH-CARD").update({"active": False}))
    assert isinstance(refused(shop.uow, "银行卡"), UnknownProduct)


def test_names_of_many_lines_resolve_in_a_constant_number_of_statements(engine: Engine, shop: Shop) -> None:
    def statements(*codes: str) -> int:
        with counted(engine) as seen:
            shop.uow.read(lambda tx: resolve_lines(tx, [entered(code, 1) for code in codes]))
        return len(seen)

    one = statements("RETRO-CLOCK", "重庆")
    assert one == statements("RETRO-CLOCK", "重庆", "yhkt", "儿童", "kids", "hotpot") == 5, \
        "SKUs, barcodes, whole names, names containing them, the products found"
    assert statements("台灯", "Desk lamp") == 4, "whole names found: nothing more is searched"
    assert statements("retro-clok", "yinhnagka", "chongqnighuoguo") == 6, "then one for the typo candidates"


def test_an_import_spells_its_products_in_the_same_rows(shop: Shop) -> None:
    rows = [{"sku": "IMP-1", "name_zh": "长城葡萄酒", "name_en": "Great Wall wine"},
            {"sku": "IMP-2", "name_zh": "绿茶礼盒", "name_en": "Green tea gift box"}]
    assert import_rows(shop.uow, shop.admin, "products", rows).ok
    assert sku_of(shop.uow, "changcheng") == "IMP-1"
    assert sku_of(shop.uow, "lvcha") == "IMP-2"
    pinyin = shop.uow.read(lambda tx: tx.session.scalar(select(Product.search_pinyin).where(Product.sku == "IMP-1")))
    assert pinyin == "changchengputaojiu"


def test_a_supplier_is_found_by_pinyin_initials_a_typo_and_after_a_rename(shop: Shop) -> None:
    create_supplier(shop.uow, shop.admin, NewSupplier("HX", "华夏贸易"))
    create_supplier(shop.uow, shop.admin, NewSupplier("CF", "长城五金"))

    def codes(query: str) -> list[str]:
        return [c.code for c in partner_choices(shop.uow, shop.purchaser, "supplier", query, 8)]

    assert codes("huaxia") == codes("hxmy") == codes("华夏") == codes("huaxai") == ["HX"]
    assert codes("changcheng") == ["CF"]
    update_supplier(shop.uow, shop.admin, "CF", name="东方五金")
    assert codes("changcheng") == [] and codes("dfwj") == ["CF"]
    spelled = shop.uow.read(lambda tx: tx.session.scalar(select(Supplier.search_pinyin).where(Supplier.code == "CF")))
    assert spelled == "dongfangwujin"

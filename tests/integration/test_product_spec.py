"""A product's spec (规格, "500ml"): set in chat (商品 SKU 规格 500ml) by catalogue editors only, kept on create,
imported and exported (规格 column), shown on the item card, on labels instead of the category and as a column of
documents (left out when no line has one); a customer's document language imported too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.documents import Printer
from bot.documents.settings import DocumentSettings
from bot.engine.texts import Texts
from bot.importing import read_rows
from core.catalog.products import NewProduct, create_category, create_product, set_product_spec
from core.documents.kinds import printable
from core.documents.labels import product_labels
from core.errors import InvalidProductField
from core.integration.exports import export_rows
from core.integration.imports import import_rows
from core.models import Customer, Product
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee
from core.permissions import Actor
from core.sales.orders import create_sales_order
from core.sales.records import SalesLineIn
from core.stock.card import item_card
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.integration.test_flows_sales import chat_of
from tests.pdfs import pdf_text

TEXTS = Texts()
PRINTER = Printer(DocumentSettings())


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_category(uow, admin, "CUPS", "杯具", "Cups")
    create_product(uow, admin, NewProduct("MUG", "马克杯", "Mug", category="CUPS", sale_price="20", spec="350ml"))
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    return shop


def test_a_spec_set_in_chat_shows_on_the_item_card_and_only_editors_set_it(uow: UnitOfWork, shop: Shop) -> None:
    create_employee(uow, shop.admin, "boss-1", ["admin"])
    boss = chat_of(uow, shop.admin, "boss-1", "4001")
    said = boss.send("商品 TEA-CUP 规格 200ml 青花")
    assert said[0] == "TEA-CUP 的规格已改为「200ml 青花」，商品卡、标签和单据上都会显示。"
    assert said[1].startswith("TEA-CUP 青花茶杯 200ml 青花\n售价 8.00")
    assert item_card(uow, shop.sales, "TEA-CUP").spec == "200ml 青花"
    seller = chat_of(uow, shop.admin, "sales-1", "4002", language="en")
    assert seller.send("item TEA-CUP")[0].startswith("TEA-CUP Blue tea cup 200ml 青花\n")
    assert "spec is now" not in seller.send("item TEA-CUP spec 1L")[0]
    assert item_card(uow, shop.sales, "TEA-CUP").spec == "200ml 青花", "sales staff do not edit the catalogue"
    assert boss.send("商品 TEA-CUP 规格") == ["TEA-CUP 已没有规格。", boss.send("商品 TEA-CUP")[0]]
    with pytest.raises(InvalidProductField):
        set_product_spec(uow, shop.admin, "TEA-CUP", "x" * 61)
    assert item_card(uow, shop.sales, "TEA-CUP").spec == ""


def test_labels_show_the_spec_instead_of_the_category(uow: UnitOfWork, shop: Shop) -> None:
    labels = product_labels(uow, shop.sales, ["MUG"])
    assert labels[0].spec == "350ml"
    text = pdf_text(PRINTER.labels(labels, TEXTS, "zh_CN", "50x30"))
    assert "350ml" in text and "杯具" not in text
    set_product_spec(uow, shop.admin, "MUG", "")
    assert "杯具" in pdf_text(PRINTER.labels(product_labels(uow, shop.sales, ["MUG"]), TEXTS, "zh_CN", "50x30"))


def test_documents_print_the_spec_column_only_when_a_line_has_a_spec(uow: UnitOfWork, shop: Shop) -> None:
    plain = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 2)]).number
    text = pdf_text(PRINTER.pdf(printable(uow, shop.sales, plain), TEXTS, "zh_CN", "a4"))
    assert "规格" not in text
    order = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("MUG", 2), SalesLineIn("TEA-CUP", 1)])
    doc = printable(uow, shop.sales, order.number)
    for lang, word in (("zh_CN", "规格"), ("en", "Spec")):
        text = pdf_text(PRINTER.pdf(doc, TEXTS, lang, "a4"))
        assert word in text and "350ml" in text, (lang, text)
    assert "350ml" in pdf_text(PRINTER.pdf(doc, TEXTS, "zh_CN", "80mm"))


def test_spec_and_language_import_and_export(uow: UnitOfWork, shop: Shop) -> None:
    assert {"sku": "MUG", "spec": "350ml"}.items() <= next(
        r for r in export_rows(uow, shop.admin, "products") if r["sku"] == "MUG").items()
    products = "\n".join(["编码,名称,规格", "BOTTLE,保温瓶,500ml", "PLATE,盘子,"]).encode()
    assert import_rows(uow, shop.admin, "products", read_rows("products", "p.csv", products)).ok
    specs = dict(uow.read(lambda tx: tx.session.execute(select(Product.sku, Product.spec)).all()))
    assert (specs["BOTTLE"], specs["PLATE"]) == ("500ml", "")
    customers = "\n".join(["客户编码,名称,语言", "LONDON,London Imports,English", "HZ,杭州商行,"]).encode()
    assert import_rows(uow, shop.admin, "customers", read_rows("customers", "c.csv", customers)).ok
    languages = dict(uow.read(lambda tx: tx.session.execute(select(Customer.code, Customer.language)).all()))
    assert (languages["LONDON"], languages["HZ"], languages["ACME"]) == ("en", "zh_CN", "zh_CN")
    assert next(r for r in export_rows(uow, shop.admin, "customers") if r["code"] == "LONDON")["language"] == "en"
    bad = "\n".join(["客户编码,名称,语言", "PARIS,Paris SARL,fr"]).encode()
    refused = import_rows(uow, shop.admin, "customers", read_rows("customers", "c.csv", bad))
    assert not refused.ok and [(p.column, p.reason) for p in refused.problems] == [("language", "unknown_language")]

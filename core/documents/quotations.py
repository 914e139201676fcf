"""The quotation (报价单) as the customer reads it: until when it holds, each line at its price with where the
price comes from (the customer's price list, the list price, a price given), its VAT, and the totals; never a
cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.documents.lines import PRODUCT_COLUMNS, first_barcode, priced_totals, product_cells
from core.documents.model import Column, Party, PrintedDocument
from core.models import Customer, PriceRule, Product, Quotation, QuotationLine, Warehouse
from core.numbers import ZERO, round_money
from core.permissions import Actor
from core.sales.price_rules import GIVEN_PRICE, LIST_PRICE, PriceSource, source_of, today
from core.sales.quotations import seen_quotation
from core.uow import Tx

QUOTATION_COLUMNS = (*PRODUCT_COLUMNS, Column("qty", "qty", 4), Column("price", "price", 4),
                     Column("amount", "money", 5), Column("tax_rate", "text", 3), Column("tax", "money", 4),
                     Column("source", "text", 7))


def quotation_note(tx: Tx, actor: Actor, number: str) -> PrintedDocument:
    """报价单: the quoted lines with their price sources and tax, valid until its day (two statements)."""
    head = seen_quotation(tx, actor, number)
    rows = tx.session.execute(
        select(Customer.contact, Customer.phone, Customer.language, Warehouse.name.label("warehouse_name"),
               Warehouse.name_en.label("warehouse_name_en"), QuotationLine.line_no, QuotationLine.qty,
               QuotationLine.unit_price, QuotationLine.amount, QuotationLine.tax_rate, QuotationLine.tax_amount,
               Product.sku, Product.name_zh, Product.name_en, Product.spec, Product.base_unit, Product.sale_price,
               first_barcode().label("barcode"), PriceRule.id, PriceRule.grade, PriceRule.customer_id,
               PriceRule.product_id, PriceRule.category_id, PriceRule.method, PriceRule.value, PriceRule.min_qty,
               PriceRule.valid_to)
        .select_from(Quotation).join(Customer, Customer.id == Quotation.customer_id)
        .join(Warehouse, Warehouse.id == Quotation.warehouse_id)
        .join(QuotationLine, QuotationLine.quotation_id == Quotation.id)
        .join(Product, Product.id == QuotationLine.product_id)
        .outerjoin(PriceRule, PriceRule.id == QuotationLine.price_rule_id)
        .where(Quotation.id == head.id).order_by(QuotationLine.line_no)).all()
    places = tx.money_places
    lines = tuple({**product_cells(r), "qty": r.qty, "price": r.unit_price, "amount": round_money(r.amount, places),
                   "tax_rate": f"{r.tax_rate.normalize():f}%", "tax": round_money(r.tax_amount, places),
                   "source": _source(r)} for r in rows)
    total, tax = round_money(head.total, places), round_money(head.tax_total, places)
    net = sum((Decimal(ln["amount"]) for ln in lines), ZERO)
    totals = priced_totals(total, tax, tx.rules.prices_include_tax, net)
    first: Any = rows[0]
    expired = head.status == "open" and head.valid_until < today(tx)
    return PrintedDocument(
        kind="quotation", number=head.number, status="expired" if expired else head.status,
        created_at=head.created_at,
        party=Party("customer", head.customer, head.customer_name, first.contact, first.phone, first.language),
        warehouse=f"{head.warehouse} {first.warehouse_name}",
        warehouse_en=f"{head.warehouse} {first.warehouse_name_en or first.warehouse_name}", author=head.salesperson,
        columns=QUOTATION_COLUMNS, lines=lines, totals=totals, amount=total, note=head.note,
        reference=head.order_number or "", valid_until=head.valid_until)


def _source(row: Any) -> PriceSource:
    if row.id is not None:
        return source_of(row)
    return LIST_PRICE if row.unit_price == row.sale_price else GIVEN_PRICE

"""What every kind's lines share: a product's first barcode, its stock in a warehouse, and the product columns
(the spec column prints only when a line has a spec)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from core.documents.model import Column
from core.models import Product, ProductBarcode, StockLevel

PRODUCT_COLUMNS = (Column("line", "index", 3), Column("sku", "text", 7), Column("name", "text", 11),
                   Column("spec", "text", 4), Column("barcode", "text", 8), Column("unit", "text", 3))


def first_barcode() -> Any:
    """The product's first barcode (by value), as a column of a statement over Product."""
    return (select(func.min(ProductBarcode.barcode)).where(ProductBarcode.product_id == Product.id)
            .correlate_except(ProductBarcode).scalar_subquery())


def on_hand(warehouse_id: int) -> Any:
    """The product's on-hand quantity in warehouse `warehouse_id`, as a column over Product."""
    return (select(StockLevel.on_hand).where(StockLevel.product_id == Product.id,
                                             StockLevel.warehouse_id == warehouse_id)
            .correlate_except(StockLevel).scalar_subquery())


def product_cells(row: Any) -> dict[str, Any]:
    """The product's cells of a line: number, SKU, names (the renderer picks the language), spec, barcode, unit."""
    return {"line": str(row.line_no), "sku": row.sku, "name": row.name_zh, "name_en": row.name_en or row.name_zh,
            "spec": row.spec, "barcode": row.barcode or "", "unit": row.base_unit}


def priced_totals(total: Decimal, tax: Decimal, included: bool, net: Decimal) -> tuple[tuple[str, Decimal], ...]:
    """A priced document's totals: the total and the VAT inside it when prices include VAT, else subtotal, VAT
    and total."""
    if included:
        return ("total", total), ("tax_included", tax)
    return ("subtotal", net), ("tax", tax), ("total", total)

"""Stock as tables: one product's stock per warehouse (its card), or several products with what is available of
each; names and units in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from bot.engine.flow import Context
from bot.engine.replies import Button, Reply
from bot.engine.tables import Table
from bot.engine.texts import format_price, format_quantity
from core.stock.levels import ProductStock


class WarehouseRow(Protocol):
    """One warehouse's stock of a product as a table row shows it."""

    @property
    def warehouse(self) -> str: ...
    @property
    def reserved(self) -> Decimal: ...
    @property
    def available(self) -> Decimal: ...
    @property
    def avg_cost(self) -> Decimal | None: ...


def stock_reply(ctx: Context, found: list[ProductStock], query: str, page: int,
                keys: tuple[tuple[Button, ...], ...] = (), *, tap: bool = False) -> Reply:
    """Several products: a table of products and what is available of each, or (`tap`) a button for each that opens
    its card and says as much."""
    return Reply(ctx.text("stock_many", query=query, page=page, count=len(found), tap=tap), keys,
                 table=None if tap else product_table(ctx, found))


def warehouse_table(ctx: Context, stock: Sequence[WarehouseRow]) -> Table | None:
    """Per warehouse: available, reserved (when any is) and average cost (for those who may see it)."""
    if not stock:
        return None
    reserved = any(w.reserved for w in stock)
    costs = any(w.avg_cost is not None for w in stock)
    names = ["warehouse", "available", *(["reserved"] if reserved else []), *(["cost"] if costs else [])]
    rows = []
    for w in stock:
        cells = [w.warehouse, _qty(ctx, w.available)]
        cells += [_qty(ctx, w.reserved)] if reserved else []
        cells += [format_price(w.avg_cost, ctx.lang)] if costs else []
        rows.append(tuple(cells))
    totals = [ctx.text("stock_column", name="total"), _qty(ctx, sum((w.available for w in stock), Decimal(0)))]
    totals += [_qty(ctx, sum((w.reserved for w in stock), Decimal(0)))] if reserved else []
    totals += [""] if costs else []
    return Table(tuple(ctx.text("stock_column", name=n) for n in names), tuple(rows),
                 tuple(n != "warehouse" for n in names), tuple(totals) if len(rows) > 1 else ())


def product_table(ctx: Context, found: list[ProductStock]) -> Table:
    """Per product: SKU, name and what is available in all warehouses, with the unit (a phone too narrow for the
    names gets it as a picture: a name cut short loses the size or colour that tells variants apart)."""
    header = tuple(ctx.text("stock_column", name=n) for n in ("sku", "name", "available"))
    rows = tuple((p.sku, product_name(ctx, p), f"{_qty(ctx, p.available)} {ctx.unit(p.unit)}") for p in found)
    return Table(header, rows, (False, False, True))


def product_name(ctx: Context, product: ProductStock) -> str:
    """The product's name in the reader's language (Chinese when it has no English one)."""
    return product.name_en or product.name_zh if ctx.lang == "en" else product.name_zh


def _qty(ctx: Context, value: Decimal) -> str:
    return format_quantity(value, ctx.lang)

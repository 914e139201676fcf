"""The item resolver: from what a person or system gives for an item to the product, base quantity and price.

Set-based: all lines of a document resolve in a constant number of statements whatever their count (one for
the SKUs, one more for codes that are not SKUs, one for pack units when any is given). Each finder in FINDERS
looks up the codes the earlier ones left unknown; codes no code finder knows are then searched as a name, pinyin,
initials or a typo (core.catalog.search, two statements more): one match is taken, several are refused with the
choices (AmbiguousProduct), none with the nearest (UnknownProduct).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select

from core.catalog.lines import EnteredLine
from core.catalog.search import Searchable, Searched, search
from core.codes.gs1 import barcode_forms, parse_gs1
from core.errors import AmbiguousProduct, InactiveProduct, InvalidQuantity, UnknownProduct
from core.models import Product, ProductBarcode, ProductUnit, StockLevel, Warehouse
from core.numbers import parse_quantity, round_cost
from core.uow import Tx, UnitOfWork

ONE = Decimal(1)
MAX_CHOICES = 8  # products offered to pick from when what was given names several
MAX_NEAREST = 3  # products offered when nothing matched


@dataclass(frozen=True)
class ProductRef:
    """What postings need to know of a product."""

    id: int
    sku: str
    name_zh: str
    name_en: str
    purchase_price: Decimal
    active: bool


@dataclass(frozen=True)
class CatalogItem:
    """A product as documents find, price and post it."""

    ref: ProductRef
    sale_price: Decimal
    floor_price: Decimal


@dataclass(frozen=True)
class ResolvedLine:
    """An entered line against the catalog: its product, the quantity in base units, the price per base unit."""

    line: EnteredLine
    item: CatalogItem
    factor: Decimal
    base_qty: Decimal
    base_price: Decimal | None

    @property
    def product(self) -> ProductRef:
        """What postings need to know of the product."""
        return self.item.ref

    def price_or(self, default: Decimal) -> Decimal:
        """The price given (per base unit), or `default` when none was given."""
        return default if self.base_price is None else self.base_price


Finder = Callable[[Tx, frozenset[str]], dict[str, CatalogItem]]

_P, _B, _U = Product.__table__.c, ProductBarcode.__table__.c, ProductUnit.__table__.c
_ITEM = (_P.id, _P.sku, _P.name_zh, _P.name_en, _P.purchase_price, _P.active, _P.sale_price, _P.floor_price)
# Built once: lookups run on every posting, and building a statement costs more than running it.
_ITEMS_BY_SKU = select(*_ITEM).where(_P.sku.in_(bindparam("skus", expanding=True)))
_ITEMS_BY_BARCODE = (
    select(_B.barcode, *_ITEM).join_from(ProductBarcode.__table__, Product.__table__, _P.id == _B.product_id)
    .where(_B.barcode.in_(bindparam("barcodes", expanding=True)))
)
_ITEMS_BY_ID = select(*_ITEM).where(_P.id.in_(bindparam("ids", expanding=True)))
_S, _W = StockLevel.__table__.c, Warehouse.__table__.c
_AVAILABLE = (
    select(_S.product_id, _S.on_hand, _S.reserved).join_from(StockLevel.__table__, Warehouse.__table__,
                                                            _W.id == _S.warehouse_id)
    .where(_S.product_id.in_(bindparam("ids", expanding=True)), _W.kind == "normal")
)
PRODUCTS = Searchable(Product.__table__, _P.active, _P.sku, _P.name_zh, _P.name_en)
_UNITS_OF = select(_U.product_id, _U.name, _U.factor).where(_U.product_id.in_(bindparam("ids", expanding=True)))


def _item(row: Any) -> CatalogItem:
    ref = ProductRef(row.id, row.sku, row.name_zh, row.name_en, row.purchase_price, row.active)
    return CatalogItem(ref, row.sale_price, row.floor_price)


def _by_sku(tx: Tx, codes: frozenset[str]) -> dict[str, CatalogItem]:
    """Codes that are a SKU, in any case."""
    rows = tx.conn.execute(_ITEMS_BY_SKU, {"skus": sorted(codes | {c.upper() for c in codes})})
    items = {row.sku.upper(): _item(row) for row in rows}
    return {code: items[code.upper()] for code in codes if code.upper() in items}


def _by_barcode(tx: Tx, codes: frozenset[str]) -> dict[str, CatalogItem]:
    """Codes that are one of a product's barcodes."""
    return {row.barcode: _item(row) for row in tx.conn.execute(_ITEMS_BY_BARCODE, {"barcodes": sorted(codes)})}


def _by_gs1(tx: Tx, codes: frozenset[str]) -> dict[str, CatalogItem]:
    """GS1 codes ("(01)…(10)…(17)…", raw "01…") and GTINs by the barcode their GTIN is stored as: a GTIN-14
    with a leading 0 is the EAN-13, a scanned UPC-A in its EAN-13 form ("0036000291452") the UPC-A."""
    forms: dict[str, tuple[str, ...]] = {}
    for code in codes:
        data = parse_gs1(code)
        found = barcode_forms(data.gtin if data is not None else code)
        if found:
            forms[code] = found
    if not forms:
        return {}
    wanted = sorted({form for found in forms.values() for form in found})
    items = {row.barcode: _item(row) for row in tx.conn.execute(_ITEMS_BY_BARCODE, {"barcodes": wanted})}
    return {code: next(items[f] for f in found if f in items) for code, found in forms.items()
            if any(f in items for f in found)}


FINDERS: tuple[Finder, ...] = (_by_sku, _by_barcode, _by_gs1)


@dataclass(frozen=True)
class ItemChoice:
    """A product offered to pick: what tells it apart (name, unit, stock available) and its sale price; never its
    cost (a refusal is read by whoever typed the line)."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    available: Decimal
    sale_price: Decimal


def items_in(tx: Tx, codes: Sequence[str]) -> dict[str, CatalogItem]:
    """Active products by what was given for them (a code, else a name, pinyin, initials or a small typo), keyed
    by the code as given; unknown, ambiguous or inactive ones refused."""
    wanted = frozenset(c.strip() for c in codes)
    found: dict[str, CatalogItem] = {}
    for finder in FINDERS:
        missing = wanted - found.keys()
        if not missing:
            break
        found.update(finder(tx, missing))
    missing = wanted - found.keys()
    searched = search(tx.conn, PRODUCTS, missing, MAX_CHOICES) if missing else {}
    found.update(_by_name(tx, searched))
    for code in codes:
        item = found.get(code.strip())
        if item is None:
            raise _refusal(tx, code, searched.get(code.strip(), Searched()))
        if not item.ref.active:
            raise InactiveProduct(item=code[:40], sku=item.ref.sku)
    return {code: found[code.strip()] for code in codes}


def _by_name(tx: Tx, searched: Mapping[str, Searched]) -> dict[str, CatalogItem]:
    """The codes a search found exactly one product for."""
    chosen = {code: s.only for code, s in searched.items() if s.only is not None}
    if not chosen:
        return {}
    items = {row.id: _item(row) for row in tx.conn.execute(_ITEMS_BY_ID, {"ids": sorted(set(chosen.values()))})}
    return {code: items[ident] for code, ident in chosen.items() if ident in items}


def _refusal(tx: Tx, code: str, searched: Searched) -> AmbiguousProduct | UnknownProduct:
    if searched.several:
        return AmbiguousProduct(item=code.strip()[:40], choices=item_choices(tx, searched.several))
    nearest = item_choices(tx, searched.nearest[:MAX_NEAREST])
    return UnknownProduct(item=code[:40], nearest=nearest) if nearest else UnknownProduct(item=code[:40])


def item_choices(tx: Tx, ids: Sequence[int]) -> list[ItemChoice]:
    """Products to pick from, in the order given, with the stock available in the ordinary warehouses."""
    if not ids:
        return []
    rows = {row.id: row for row in tx.conn.execute(
        select(_P.id, _P.sku, _P.name_zh, _P.name_en, _P.base_unit, _P.sale_price).where(_P.id.in_(ids)))}
    available: dict[int, Decimal] = {}
    for level in tx.conn.execute(_AVAILABLE, {"ids": list(ids)}):
        available[level.product_id] = available.get(level.product_id, Decimal(0)) + level.on_hand - level.reserved
    return [ItemChoice(rows[i].sku, rows[i].name_zh, rows[i].name_en, rows[i].base_unit,
                       available.get(i, Decimal(0)), rows[i].sale_price) for i in ids if i in rows]


@dataclass(frozen=True)
class NamedItem:
    """A product as a conversation names it back to the person (no price, no cost)."""

    sku: str
    name_zh: str
    name_en: str


def item_named(uow: UnitOfWork, code: str) -> NamedItem:
    """The active product a code names (SKU or barcode), for a step that takes the item before its quantity."""
    ref = uow.read(lambda tx: items_in(tx, [code])[code].ref)
    return NamedItem(ref.sku, ref.name_zh, ref.name_en)


def unit_factors_in(tx: Tx, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Decimal]:
    """Pack-unit factors (box = 12) for (product id, unit name) pairs; pairs without one are left out."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = tx.session.execute(_UNITS_OF, {"ids": sorted({p for p, _ in wanted})})
    return {(r.product_id, r.name): r.factor for r in rows if (r.product_id, r.name) in wanted}


def resolve_lines(
    tx: Tx, lines: Sequence[EnteredLine], *, signed: bool = False, allow_zero: bool = False
) -> list[ResolvedLine]:
    """Every line's product, quantity in base units and price per base unit; unknown pack units refused."""
    items = items_in(tx, [ln.item for ln in lines])
    factors = unit_factors_in(tx, [(items[ln.item].ref.id, ln.unit) for ln in lines if ln.unit])
    return [_resolved(ln, items[ln.item], factors, signed, allow_zero) for ln in lines]


def _resolved(
    line: EnteredLine, item: CatalogItem, factors: Mapping[tuple[int, str], Decimal], signed: bool, allow_zero: bool
) -> ResolvedLine:
    if not line.unit:
        return ResolvedLine(line, item, ONE, line.qty, line.price)
    factor = factors.get((item.ref.id, line.unit))
    if factor is None:
        raise InvalidQuantity(value=line.unit, reason="unknown_unit", item=line.item)
    base_qty = parse_quantity(line.qty * factor, allow_negative=signed, allow_zero=allow_zero)
    return ResolvedLine(line, item, factor, base_qty,
                        None if line.price is None else round_cost(line.price / factor))

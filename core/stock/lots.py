"""Lots and serial numbers: tracking a product, finding or opening the lots a document names, listing lots."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Table, bindparam, func, insert, literal, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from core.catalog.products import warehouse_in
from core.catalog.resolve import items_in
from core.errors import LotRefused, ReasonRequired, UnknownProduct
from core.ledger.lot_position import NO_LOT
from core.ledger.posting import MoveSpec
from core.models import Lot, LotLevel, Product, StockLevel, StockMove, Warehouse
from core.numbers import round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

TRACKING = ("none", "lot", "serial")
LOTS: Table = Lot.__table__  # type: ignore[assignment]
LOT_LEVELS: Table = LotLevel.__table__  # type: ignore[assignment]
_FIND = select(LOTS.c.id, LOTS.c.product_id, LOTS.c.code, LOTS.c.expiry).where(
    LOTS.c.product_id.in_(bindparam("products", expanding=True)), LOTS.c.code.in_(bindparam("codes", expanding=True)),
    tuple_(LOTS.c.product_id, LOTS.c.code).in_(bindparam("keys", expanding=True)))
_OPEN_PG = postgresql.insert(LOTS).on_conflict_do_nothing(index_elements=["product_id", "code"])
_OPEN_SQLITE = sqlite.insert(LOTS).on_conflict_do_nothing(index_elements=["product_id", "code"])
_SHELF = select(Product.id, Product.shelf_life_days).where(
    Product.id.in_(bindparam("products", expanding=True)), Product.shelf_life_days.is_not(None))
_CODE = re.compile(r"[\w\-./+#:]{1,64}")
MAX_DAYS = 36_500
LOT_PAGE = 8  # lots on an item card or a page of `lots SKU`: a phone screen of them


@dataclass(frozen=True)
class LotWanted:
    """A lot a line names: its code, and the dates its label shows (expiry, or production date and shelf life)."""

    product_id: int
    code: str
    expiry: date | None = None
    produced: date | None = None


@dataclass(frozen=True)
class LotStock:
    """One lot of a product in one warehouse, for lists and buttons (nearest expiry first)."""

    sku: str
    lot: str
    warehouse: str
    expiry: date | None
    produced: date | None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    expired: bool
    alert: bool


def lot_code(text: object) -> str:
    """A lot or serial code as typed or scanned: letters, digits and - . / + # :, at most 64; else refused."""
    code = str(text if text is not None else "").strip()
    if not _CODE.fullmatch(code):
        raise LotRefused(reason="bad_code", lot=code[:40])
    return code


def parse_date(text: object, field: str) -> date | None:
    """A date as YYYY-MM-DD (or a date already); None for nothing given."""
    if text is None or text == "":
        return None
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise LotRefused(reason="bad_date", field=field, value=str(text)[:40]) from None


def set_tracking(
    uow: UnitOfWork, actor: Actor, sku: str, tracking: str, *, shelf_life_days: int | None = None,
    alert_days: int | None = None,
) -> str:
    """Track a product by lot or serial (its stock so far sits in one "no lot" position until counted), and set
    its shelf life and alert lead time; a product with lots named in the ledger keeps its tracking."""
    actor.require(Permission.CATALOG_EDIT)
    if tracking not in TRACKING:
        raise LotRefused(reason="bad_tracking", value=str(tracking)[:20])
    for days in (shelf_life_days, alert_days):
        if days is not None and not 0 <= days <= MAX_DAYS:
            raise LotRefused(reason="bad_days", value=str(days))

    def work(tx: Tx) -> str:
        product = tx.session.execute(
            select(Product).where(func.upper(Product.sku) == sku.strip().upper()).with_for_update()
        ).scalar_one_or_none()
        if product is None:
            raise UnknownProduct(item=sku[:40])
        if product.tracking != tracking:
            named = tx.session.scalar(select(StockMove.id).where(
                StockMove.product_id == product.id, StockMove.lot_id.is_not(None)).limit(1))
            if named is not None:
                raise LotRefused(reason="tracking_in_use", sku=product.sku, tracking=product.tracking)
            _open_no_lot(tx, product.id, tracking != "none")
            product.tracking = tracking
        product.shelf_life_days = shelf_life_days or None
        product.alert_days = alert_days
        tx.session.flush()
        record(tx, actor, "product.tracking", "product", product.id, sku=product.sku, tracking=tracking,
               shelf_life_days=shelf_life_days, alert_days=alert_days)
        return tracking

    return uow.run(work)


def _open_no_lot(tx: Tx, product_id: int, tracked: bool) -> None:
    """The "no lot" position of a product, holding (while tracked) what its levels hold: no lot is named yet."""
    tx.conn.execute(tx.insert(LOTS).values(product_id=product_id, code=NO_LOT, created_at=tx.now)
                    .on_conflict_do_nothing(index_elements=["product_id", "code"]))
    tx.conn.execute(LOT_LEVELS.delete().where(LOT_LEVELS.c.product_id == product_id))
    if not tracked:
        return
    levels = StockLevel.__table__.c
    no_lot = select(LOTS.c.id).where(LOTS.c.product_id == product_id, LOTS.c.code == NO_LOT).scalar_subquery()
    tx.conn.execute(insert(LOT_LEVELS).from_select(
        ["lot_id", "product_id", "warehouse_id", "on_hand", "reserved", "allow_negative", "updated_at"],
        select(no_lot, levels.product_id, levels.warehouse_id, levels.on_hand, levels.reserved,
               levels.allow_negative, literal(tx.now, LOT_LEVELS.c.updated_at.type))
        .where(levels.product_id == product_id)))


def lots_for(tx: Tx, wanted: Sequence[LotWanted]) -> dict[tuple[int, str], int]:
    """The ids of the lots a document names, opening the new ones: one statement when they all exist, three when
    some are new (four when a production date needs the shelf life). An expiry differing from the lot's is refused."""
    if not wanted:
        return {}
    keys = sorted({(w.product_id, w.code) for w in wanted})
    found = _found(tx, keys)
    missing = [w for w in wanted if (w.product_id, w.code) not in found]
    if missing:
        tx.conn.execute(_OPEN_PG if tx.dialect == "postgresql" else _OPEN_SQLITE, _new_lots(tx, missing))
        found = _found(tx, keys)
    ids: dict[tuple[int, str], int] = {}
    for w in wanted:
        lot_id, expiry = found[(w.product_id, w.code)]
        if w.expiry is not None and expiry is not None and w.expiry != expiry:
            raise LotRefused(reason="expiry_differs", lot=w.code, expiry=expiry.isoformat(), given=w.expiry.isoformat())
        ids[(w.product_id, w.code)] = lot_id
    return ids


def _found(tx: Tx, keys: list[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, date | None]]:
    return {(r.product_id, r.code): (r.id, r.expiry) for r in tx.conn.execute(_FIND, {
        "products": sorted({p for p, _ in keys}), "codes": sorted({c for _, c in keys}), "keys": keys})}


def _new_lots(tx: Tx, wanted: Sequence[LotWanted]) -> list[dict[str, object]]:
    """Rows for new lots; the expiry from the production date and the shelf life when the label shows only that."""
    dated = sorted({w.product_id for w in wanted if w.expiry is None and w.produced is not None})
    shelf = {r.id: r.shelf_life_days for r in tx.conn.execute(_SHELF, {"products": dated})} if dated else {}
    rows: dict[tuple[int, str], dict[str, object]] = {}
    for w in wanted:
        expiry = w.expiry
        if expiry is None and w.produced is not None and shelf.get(w.product_id):
            expiry = w.produced + timedelta(days=shelf[w.product_id])
        rows.setdefault((w.product_id, w.code), {"product_id": w.product_id, "code": w.code, "expiry": expiry,
                                                 "produced": w.produced, "created_at": tx.now})
    return list(rows.values())


class NamesLot(Protocol):
    """An entered line that may name a lot and its expiry."""

    @property
    def lot(self) -> str | None: ...

    @property
    def expiry(self) -> object: ...


def named_lots(tx: Tx, product_ids: Sequence[int], lines: Sequence[NamesLot], *, create: bool) -> list[int | None]:
    """Per line, the id of the lot it names or None; `create` opens new lots (goods coming in), otherwise a lot
    that does not exist is refused."""
    wanted = [LotWanted(p, lot_code(ln.lot), parse_date(ln.expiry, "expiry")) if ln.lot else None
              for p, ln in zip(product_ids, lines, strict=True)]
    given = [w for w in wanted if w is not None]
    if not given:
        return [None] * len(wanted)
    ids = lots_for(tx, given) if create else find_lots(tx, given)
    return [None if w is None else ids[(w.product_id, w.code)] for w in wanted]


def find_lots(tx: Tx, wanted: Sequence[LotWanted]) -> dict[tuple[int, str], int]:
    """The ids of existing lots (one statement); a lot that does not exist is refused."""
    keys = sorted({(w.product_id, w.code) for w in wanted})
    found = _found(tx, keys)
    for key in keys:
        if key not in found:
            raise LotRefused(reason="unknown_lot", lot=key[1])
    return {key: lot_id for key, (lot_id, _) in found.items()}


def release_expired(tx: Tx, actor: Actor, lot_ids: Iterable[int | None], reason: str | None) -> None:
    """A lot past its expiry named on an outflow is never picked automatically: only a manager may release it, and
    (where the document has one) with a reason. One statement."""
    ids = sorted({lot for lot in lot_ids if lot is not None})
    if not ids:
        return
    expired = tx.conn.execute(select(LOTS.c.code, LOTS.c.expiry).where(
        LOTS.c.id.in_(ids), LOTS.c.expiry < tx.now.date()).order_by(LOTS.c.expiry).limit(1)).first()
    if expired is None:
        return
    if not actor.can(Permission.EXPIRED_RELEASE):
        raise LotRefused(reason="expired", lot=expired.code, expiry=expired.expiry.isoformat())
    if reason is not None and not reason.strip():
        raise ReasonRequired(action="release_expired")


def into_lots(spec: MoveSpec, left: dict[int, Decimal], places: int) -> list[MoveSpec]:
    """A return split back into the lots its goods left from (`left`: lot id -> still out), its value shared by
    quantity; untracked (no lots out), the line as it is."""
    open_lots = [(lot, qty) for lot, qty in sorted(left.items()) if qty > 0]
    if not open_lots:
        return [spec]
    parts: list[MoveSpec] = []
    qty_left = spec.qty
    for n, (lot, out) in enumerate(open_lots, 1):
        qty = qty_left if n == len(open_lots) else min(out, qty_left)
        if qty > 0:
            parts.append(replace(spec, qty=qty, lot_id=lot))
            qty_left -= qty
    if spec.value is None:
        return parts
    shares = [round_money(spec.value * p.qty / spec.qty, places) for p in parts[:-1]]
    return [replace(p, value=v) for p, v in zip(parts, [*shares, spec.value - sum(shares, Decimal(0))], strict=True)]


def tracking_of(tx: Tx, product_ids: Iterable[int]) -> dict[int, tuple[str, int | None]]:
    """Tracking and shelf life of the products given (one statement)."""
    return {r.id: (r.tracking, r.shelf_life_days) for r in tx.conn.execute(
        select(Product.id, Product.tracking, Product.shelf_life_days).where(Product.id.in_(sorted(set(product_ids)))))}


def list_lots(uow: UnitOfWork, actor: Actor, sku: str, warehouse: str | None = None) -> list[LotStock]:
    """Lots of a product with stock (per warehouse), nearest expiry first; expired and alert flagged."""
    actor.require(Permission.STOCK_VIEW)

    def work(tx: Tx) -> list[LotStock]:
        product = tx.session.execute(
            select(Product.id, Product.sku, Product.alert_days).where(func.upper(Product.sku) == sku.strip().upper())
        ).one_or_none()
        if product is None:
            raise UnknownProduct(item=sku[:40])
        query = (
            select(Lot.code, Lot.expiry, Lot.produced, Lot.id, Warehouse.code.label("warehouse"), LotLevel.on_hand,
                   LotLevel.reserved)
            .join(LotLevel, LotLevel.lot_id == Lot.id).join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
            .where(Lot.product_id == product.id, LotLevel.on_hand != 0)
            .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id, Warehouse.code)
        )
        if warehouse:
            query = query.where(LotLevel.warehouse_id == warehouse_in(tx, warehouse).id)
        today = tx.now.date()
        lead = timedelta(days=product.alert_days or 0)
        return [
            LotStock(product.sku, r.code, r.warehouse, r.expiry, r.produced, r.on_hand, r.reserved,
                     r.on_hand - r.reserved, r.expiry is not None and r.expiry < today,
                     r.expiry is not None and product.alert_days is not None and today <= r.expiry <= today + lead)
            for r in tx.session.execute(query)
        ]

    return uow.read(work)


@dataclass(frozen=True)
class LotPage:
    """A tracked product's lots with stock in the warehouses the reader sees, nearest expiry first, a page of them."""

    sku: str
    name_zh: str
    name_en: str
    tracking: str
    lots: tuple[LotStock, ...]
    page: int
    more: bool


def lot_page(uow: UnitOfWork, actor: Actor, code: str, page: int = 1) -> LotPage:
    """The lots of the product a code names (SKU, barcode, GS1 scan, name), LOT_PAGE at a time."""
    actor.require(Permission.STOCK_VIEW)

    def work(tx: Tx) -> LotPage:
        product_id = items_in(tx, [code])[code.strip()].ref.id
        return lots_held(tx, actor, product_id, max(page, 1))

    return uow.read(work)


def lots_held(tx: Tx, actor: Actor, product_id: int, page: int = 1) -> LotPage:
    """One page of a product's lots held in ordinary warehouses (those the reader works in, for warehouse staff)."""
    product = tx.session.execute(select(Product.sku, Product.name_zh, Product.name_en, Product.tracking,
                                        Product.alert_days).where(Product.id == product_id)).one()
    if product.tracking == "none":
        return LotPage(product.sku, product.name_zh, product.name_en or product.name_zh, "none", (), 1, False)
    query = (
        select(Lot.code, Lot.expiry, Lot.produced, Warehouse.code.label("warehouse"), LotLevel.on_hand,
               LotLevel.reserved)
        .join(LotLevel, LotLevel.lot_id == Lot.id).join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
        .where(Lot.product_id == product_id, LotLevel.on_hand != 0, Warehouse.kind == "normal")
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id, Warehouse.code)
        .offset((page - 1) * LOT_PAGE).limit(LOT_PAGE + 1)
    )
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    if scope is not None:
        query = query.where(Warehouse.id.in_(sorted(scope)))
    today = tx.now.date()
    lead = timedelta(days=product.alert_days or 0)
    rows = tx.session.execute(query).all()
    lots = tuple(
        LotStock(product.sku, r.code, r.warehouse, r.expiry, r.produced, r.on_hand, r.reserved,
                 r.on_hand - r.reserved, r.expiry is not None and r.expiry < today,
                 r.expiry is not None and product.alert_days is not None and today <= r.expiry <= today + lead)
        for r in rows[:LOT_PAGE])
    return LotPage(product.sku, product.name_zh, product.name_en or product.name_zh, product.tracking, lots, page,
                   len(rows) > LOT_PAGE)


def lots_to_pick(uow: UnitOfWork, actor: Actor, sku: str, warehouse: str, limit: int = 6) -> list[LotStock]:
    """The lots a line shipping from the warehouse may name, as buttons: available, not expired, nearest expiry
    first (none for an untracked product)."""
    found = list_lots(uow, actor, sku, warehouse)
    return [lot for lot in found if lot.available > 0 and not lot.expired and lot.lot != NO_LOT][:limit]

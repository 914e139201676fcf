"""Stocktakes: snapshot a warehouse (or category), count by SKU or barcode, review variances, post the adjustment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Row, Select, cast, func, insert, literal, null, select, union_all, update

from core.approvals import requests as approvals
from core.catalog.lines import EnteredLine, bounded, entered
from core.catalog.products import warehouse_in
from core.catalog.resolve import resolve_lines
from core.codes.gs1 import parse_gs1
from core.errors import EmptyDocument, InvalidQuantity, InvalidState, LotRefused, ReasonRequired, UnknownDocument
from core.ledger.documents import open_document, post_moves
from core.ledger.numbering import next_number
from core.ledger.posting import MoveSpec
from core.models import Category, Lot, LotLevel, Product, StockLevel, Stocktake, StocktakeLine, Warehouse
from core.numbers import ZERO, parse_money, parse_quantity, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.stock.lots import tracking_of
from core.stock.stocktake_lots import LotCount, count_lots, lot_count
from core.uow import Tx, UnitOfWork

DOC_TYPE = "stocktake"
SHEET_PREFIX = "SC"
DEFAULT_APPROVAL_THRESHOLD = Decimal(1000)
UNCOUNTED_POLICIES = ("unchanged", "zero")
OPEN = ("counting", "pending_approval")
MAX_COUNTS = 1000


@dataclass(frozen=True)
class StocktakeSheet:
    number: str
    warehouse: str
    category: str | None
    status: str
    lines: int
    products: int = 0  # the products on the sheet (a tracked product has a line per lot)


@dataclass(frozen=True)
class CountedItem:
    number: str
    sku: str
    counted: Decimal
    recount: bool
    lot: str | None = None  # the lot counted of a product tracked by lot
    serials: tuple[str, ...] = ()  # the serials listed of a product tracked by serial


@dataclass(frozen=True)
class VarianceLine:
    """Expected (at the snapshot), book (when counted) and counted quantities; values None without COST_VIEW."""

    line_no: int
    sku: str
    name_zh: str
    name_en: str
    expected: Decimal
    book: Decimal
    counted: Decimal | None
    variance: Decimal
    unit_cost: Decimal | None
    value: Decimal | None
    lot: str | None = None  # a tracked product's lot or serial ("" for its "no lot" position)
    expiry: date | None = None


@dataclass(frozen=True)
class StocktakeVariances:
    number: str
    warehouse: str
    status: str
    counted_lines: int
    uncounted_lines: int
    lines: tuple[VarianceLine, ...]
    gain_value: Decimal | None
    loss_value: Decimal | None
    uncounted_policy: str = "unchanged"

    @property
    def net_value(self) -> Decimal | None:
        return None if self.gain_value is None or self.loss_value is None else self.gain_value + self.loss_value


@dataclass(frozen=True)
class StocktakeOutcome:
    number: str
    status: str
    variance_value: Decimal | None
    document_number: str | None
    approval_request_id: int | None


@dataclass(frozen=True)
class OpenSheet:
    number: str
    status: str


def start_stocktake(
    uow: UnitOfWork, actor: Actor, warehouse: str, category: str | None = None, *, uncounted: str = "unchanged"
) -> StocktakeSheet:
    """Open a count sheet and snapshot the on-hand quantity of every product in scope (one statement)."""
    if uncounted not in UNCOUNTED_POLICIES:
        raise InvalidState(reason="uncounted_policy", value=uncounted[:20])

    def work(tx: Tx) -> StocktakeSheet:
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCKTAKE_COUNT, target.id)
        tx.session.execute(select(Warehouse.id).where(Warehouse.id == target.id).with_for_update())
        category_id = _category_id(tx, category)
        _refuse_overlap(tx, target.id, category_id)
        number = next_number(tx, SHEET_PREFIX)
        sheet_id: int = tx.session.execute(
            insert(Stocktake).values(
                number=number, warehouse_id=target.id, category_id=category_id, status="counting",
                uncounted=uncounted, author_id=actor.employee_id, created_at=tx.now,
            ).returning(Stocktake.id)
        ).scalar_one()
        in_scope = _in_scope(category_id)
        untracked = (
            select(StockLevel.product_id, cast(null(), Integer).label("lot_id"), StockLevel.on_hand,
                   Product.sku, cast(null(), Lot.expiry.type).label("expiry"), literal("").label("code"))
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.warehouse_id == target.id, StockLevel.on_hand != 0, Product.active,
                   Product.tracking == "none", Product.id.in_(in_scope))
        )
        tracked = (  # a tracked product is counted per lot, its "no lot" position as one of them
            select(LotLevel.product_id, LotLevel.lot_id, LotLevel.on_hand, Product.sku, Lot.expiry, Lot.code)
            .join(Product, Product.id == LotLevel.product_id).join(Lot, Lot.id == LotLevel.lot_id)
            .where(LotLevel.warehouse_id == target.id, LotLevel.on_hand != 0, Product.active,
                   Product.tracking != "none", Product.id.in_(in_scope))
        )
        held = union_all(untracked, tracked).subquery()
        snapshot = select(
            literal(sheet_id), func.row_number().over(order_by=(held.c.sku, held.c.expiry.is_(None), held.c.expiry,
                                                                held.c.code)),
            held.c.product_id, held.c.lot_id, held.c.on_hand)
        tx.session.execute(insert(StocktakeLine).from_select(
            ["stocktake_id", "line_no", "product_id", "lot_id", "expected_qty"], snapshot))
        counts = tx.session.execute(select(func.count(StocktakeLine.id).label("lines"),
                                           func.count(func.distinct(StocktakeLine.product_id)).label("products"))
                                    .where(StocktakeLine.stocktake_id == sheet_id)).one()
        lines = counts.lines or 0
        record(tx, actor, "stocktake.start", "stocktake", sheet_id, number=number, warehouse=target.code,
               category=category, lines=lines, uncounted=uncounted)
        return StocktakeSheet(number, target.code, category, "counting", lines, counts.products or 0)

    return uow.run(work)


@dataclass(frozen=True)
class CountIn:
    """One count as given: SKU, barcode or GS1 scan, quantity, pack unit; a tracked product's lot (and the expiry
    of a new one) or serials."""

    item: str
    qty: object
    unit: str | None = None
    lot: str | None = None
    expiry: object = None
    serials: tuple[str, ...] = ()


def count_item(
    uow: UnitOfWork, actor: Actor, number: str, item: str, qty: object, unit: str | None = None, *, add: bool = False,
    lot: str | None = None, expiry: object = None, serials: Sequence[str] = (),
) -> CountedItem:
    """Record the counted quantity of one product (SKU, barcode or GS1 scan); a recount replaces the earlier count,
    unless `add`: then the quantity is added to what was counted so far (each scan of a unit). A tracked product
    is counted per lot (`lot`, or the scan's; a lot unknown to the books is opened with `expiry`) or, by serial,
    by listing its `serials` (those on the sheet not listed are counted as gone)."""
    return count_items(uow, actor, number, [CountIn(item, qty, unit, lot, expiry, tuple(serials))], add=add)[0]


def count_items(
    uow: UnitOfWork, actor: Actor, number: str, counts: Sequence[CountIn], *, add: bool = False
) -> list[CountedItem]:
    """Record several counts (as `count_item` each) in one transaction: all of them, or none when one is refused."""
    given = [(entered(c.item, c.qty, c.unit, allow_zero=True), c) for c in bounded(counts, MAX_COUNTS)]

    def work(tx: Tx) -> list[CountedItem]:
        sheet = _sheet(tx, number, ("counting",))
        actor.require(Permission.STOCKTAKE_COUNT, sheet.warehouse_id)
        return [_count(tx, actor, sheet, line, count, add) for line, count in given]

    return uow.run(work)


def _count(tx: Tx, actor: Actor, sheet: Stocktake, given: EnteredLine, count: CountIn, add: bool) -> CountedItem:
    code = given.item
    resolved = resolve_lines(tx, [given], allow_zero=True)[0]
    product, base = resolved.product, resolved.base_qty
    tracking = tracking_of(tx, [product.id])[product.id][0]
    if tracking != "none":
        return _count_tracked(tx, actor, sheet, product.id, product.sku, base, add, lot_count(
            tracking, product.sku, base, count.lot, count.expiry, count.serials, parse_gs1(code)))
    if count.lot or count.serials:
        raise LotRefused(reason="not_tracked", sku=product.sku)
    book = tx.session.scalar(select(StockLevel.on_hand).where(
        StockLevel.product_id == product.id, StockLevel.warehouse_id == sheet.warehouse_id)) or ZERO
    line = tx.session.execute(select(StocktakeLine.id, StocktakeLine.counted_qty).where(
        StocktakeLine.stocktake_id == sheet.id, StocktakeLine.product_id == product.id)).one_or_none()
    if add and line is not None and line.counted_qty is not None:
        base = parse_quantity(line.counted_qty + base, allow_zero=True)  # the sum within what the books hold
    values = {"counted_qty": base, "book_qty": book, "counted_by": actor.employee_id, "counted_at": tx.now}
    if line is not None:
        tx.session.execute(update(StocktakeLine).where(StocktakeLine.id == line.id).values(**values))
    else:
        if not _product_in_scope(tx, sheet, product.id):
            raise InvalidQuantity(value=code[:40], reason="not_in_stocktake_scope")
        last = tx.session.scalar(
            select(func.max(StocktakeLine.line_no)).where(StocktakeLine.stocktake_id == sheet.id)) or 0
        tx.session.execute(insert(StocktakeLine).values(
            stocktake_id=sheet.id, line_no=last + 1, product_id=product.id, expected_qty=ZERO, **values))
    recount = line is not None and line.counted_qty is not None and not add
    record(tx, actor, "stocktake.count", "stocktake", sheet.id, number=sheet.number, sku=product.sku,
           counted=base, book=book, recount=recount)
    return CountedItem(sheet.number, product.sku, base, recount)


def _count_tracked(tx: Tx, actor: Actor, sheet: Stocktake, product_id: int, sku: str, base: Decimal, add: bool,
                   wanted: LotCount) -> CountedItem:
    counted = count_lots(tx, sheet, product_id, actor.employee_id, base, wanted, add=add,
                         in_scope=lambda: _product_in_scope(tx, sheet, product_id))
    record(tx, actor, "stocktake.count", "stocktake", sheet.id, number=sheet.number, sku=sku, lot=counted.lot,
           serials=list(counted.serials), counted=counted.counted, book=counted.book, recount=counted.recount)
    return CountedItem(sheet.number, sku, counted.counted, counted.recount, counted.lot, counted.serials)


def _product_in_scope(tx: Tx, sheet: Stocktake, product_id: int) -> bool:
    return tx.session.scalar(select(Product.id).where(
        Product.id == product_id, Product.id.in_(_in_scope(sheet.category_id)))) is not None


def stocktake_variances(uow: UnitOfWork, actor: Actor, number: str) -> StocktakeVariances:
    """Expected against counted per product, with the variance valued at the average cost (or purchase price)."""

    def work(tx: Tx) -> StocktakeVariances:
        sheet = _sheet(tx, number, None, lock=False)
        actor.require(Permission.STOCKTAKE_COUNT, sheet.warehouse_id)
        return _variances(tx, actor, sheet)

    return uow.read(work)


def submit_stocktake(
    uow: UnitOfWork, actor: Actor, number: str, *, threshold: object | None = None, reason: str = "",
) -> StocktakeOutcome:
    """Finish counting: post at once, or send for approval when the absolute variance value exceeds [books]
    stocktake_approval_value (tx.rules; `threshold` overrides it)."""
    given = None if threshold is None else parse_money(threshold)

    def work(tx: Tx) -> StocktakeOutcome:
        limit = parse_money(tx.rules.stocktake_approval_value) if given is None else given
        sheet = _sheet(tx, number, ("counting",))
        actor.require(Permission.STOCKTAKE_COUNT, sheet.warehouse_id)
        report = _variances(tx, actor, sheet, see_cost=True)
        if report.counted_lines == 0:
            raise EmptyDocument(number=sheet.number, reason="nothing_counted")
        absolute = _absolute_value(report)
        tx.session.execute(update(Stocktake).where(Stocktake.id == sheet.id).values(
            variance_value=absolute, submitted_at=tx.now, reason=reason.strip()[:500]))
        record(tx, actor, "stocktake.submit", "stocktake", sheet.id, number=sheet.number, value=absolute,
               threshold=limit)
        if absolute > limit:
            outcome = approvals.submit_for_approval(
                tx, actor, DOC_TYPE, sheet.id, sheet.number, absolute,
                {"warehouse": report.warehouse, "lines": len(report.lines), "gain": report.gain_value,
                 "loss": report.loss_value, "threshold": limit},
                force=True,
            )
            if outcome.required:
                tx.session.execute(
                    update(Stocktake).where(Stocktake.id == sheet.id).values(status="pending_approval"))
                return StocktakeOutcome(sheet.number, "pending_approval", _seen(actor, absolute), None,
                                        outcome.request_id)
        document_number = _post(tx, actor, sheet)
        return StocktakeOutcome(sheet.number, "posted", _seen(actor, absolute), document_number, None)

    return uow.run(work)


def cancel_stocktake(uow: UnitOfWork, actor: Actor, number: str, reason: str) -> StocktakeOutcome:
    """Abandon a sheet that is still counting or waiting for approval; nothing is posted."""
    if not reason.strip():
        raise ReasonRequired(action="cancel_stocktake")

    def work(tx: Tx) -> StocktakeOutcome:
        sheet = _sheet(tx, number, OPEN)
        actor.require(Permission.STOCKTAKE_COUNT, sheet.warehouse_id)
        if sheet.status == "pending_approval":
            approvals.cancel_request(tx, DOC_TYPE, sheet.id)
        _close(tx, sheet.id, "cancelled", reason)
        record(tx, actor, "stocktake.cancel", "stocktake", sheet.id, number=sheet.number, reason=reason)
        return StocktakeOutcome(sheet.number, "cancelled", None, None, None)

    return uow.run(work)


def open_stocktake(uow: UnitOfWork, actor: Actor, warehouse: str) -> OpenSheet | None:
    """The newest whole-warehouse count sheet of a warehouse still counting or waiting for approval."""

    def work(tx: Tx) -> OpenSheet | None:
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCKTAKE_COUNT, target.id)
        row = tx.session.execute(
            select(Stocktake.number, Stocktake.status)
            .where(Stocktake.warehouse_id == target.id, Stocktake.status.in_(("counting", "pending_approval")))
            .order_by(Stocktake.category_id.is_not(None), Stocktake.id.desc()).limit(1)).one_or_none()
        return None if row is None else OpenSheet(row.number, row.status)

    return uow.read(work)


def on_approved(tx: Tx, actor: Actor, doc_id: int) -> None:
    """Approvals hook: the last level approved, so post the adjustment now."""
    sheet = _sheet_by_id(tx, doc_id, ("pending_approval",))
    _post(tx, actor, sheet)


def on_rejected(tx: Tx, actor: Actor, doc_id: int, reason: str) -> None:
    """Approvals hook: the sheet is rejected and nothing is posted."""
    sheet = _sheet_by_id(tx, doc_id, ("pending_approval",))
    _close(tx, sheet.id, "rejected", reason)
    record(tx, actor, "stocktake.reject", "stocktake", sheet.id, number=sheet.number, reason=reason)


def _post(tx: Tx, actor: Actor, sheet: Stocktake) -> str | None:
    """Post counted minus book-at-count-time per line (current on hand keeps moves made since the count)."""
    rows = tx.session.execute(_lines_query(sheet)).all()
    specs = [
        MoveSpec(r.line_no, r.product_id, sheet.warehouse_id, qty=variance, fallback_cost=r.purchase_price,
                 expired_first=True, label=r.sku, lot_id=r.lot_id)
        for r in rows if (variance := _variance_qty(sheet, r)) != 0
    ]
    specs.sort(key=lambda spec: spec.qty < 0)  # gains first: a lot counted out of "no lot" keeps the value
    document_number = None
    document_id = None
    if specs:
        document_id, document_number = open_document(
            tx, actor, "stocktake", sheet.warehouse_id, source=(DOC_TYPE, sheet.id),
            reason=f"{sheet.number} {sheet.reason}".strip())
        post_moves(tx, actor, document_id, specs)
    tx.session.execute(update(Stocktake).where(Stocktake.id == sheet.id).values(
        status="posted", document_id=document_id, closed_at=tx.now))
    record(tx, actor, "stocktake.post", "stocktake", sheet.id, number=sheet.number, document=document_number,
           lines=len(specs))
    return document_number


def _variances(tx: Tx, actor: Actor, sheet: Stocktake, see_cost: bool = False) -> StocktakeVariances:
    sees_cost = see_cost or actor.can(Permission.COST_VIEW)
    code = tx.session.scalar(select(Warehouse.code).where(Warehouse.id == sheet.warehouse_id)) or ""
    lines = []
    gain = loss = ZERO
    for r in tx.session.execute(_lines_query(sheet)):
        variance = _variance_qty(sheet, r)
        cost = r.avg_cost if r.avg_cost or variance < 0 else r.purchase_price
        value = round_money(variance * (cost or ZERO), tx.money_places)
        gain, loss = (gain + value, loss) if value > 0 else (gain, loss + value)
        book = r.book_qty if r.counted_qty is not None else r.expected_qty
        lines.append(VarianceLine(r.line_no, r.sku, r.name_zh, r.name_en, r.expected_qty, book, r.counted_qty,
                                  variance, cost if sees_cost else None, value if sees_cost else None,
                                  r.lot, r.expiry))
    counted = sum(1 for ln in lines if ln.counted is not None)
    return StocktakeVariances(sheet.number, code, sheet.status, counted, len(lines) - counted, tuple(lines),
                              gain if sees_cost else None, loss if sees_cost else None, sheet.uncounted)


def _lines_query(sheet: Stocktake) -> Select[*tuple[Any, ...]]:
    return (
        select(StocktakeLine.line_no, StocktakeLine.product_id, Product.sku, Product.name_zh, Product.name_en,
               StocktakeLine.expected_qty, StocktakeLine.book_qty, StocktakeLine.counted_qty,
               Product.purchase_price, StockLevel.avg_cost, StocktakeLine.lot_id, Lot.code.label("lot"), Lot.expiry)
        .join(Product, Product.id == StocktakeLine.product_id)
        .outerjoin(Lot, Lot.id == StocktakeLine.lot_id)
        .outerjoin(StockLevel, (StockLevel.product_id == StocktakeLine.product_id)
                   & (StockLevel.warehouse_id == sheet.warehouse_id))
        .where(StocktakeLine.stocktake_id == sheet.id)
        .order_by(StocktakeLine.line_no)
    )


def _variance_qty(sheet: Stocktake, row: Row[Any]) -> Decimal:
    """Counted minus the book quantity when it was counted; uncounted lines per the sheet's policy."""
    if row.counted_qty is not None:
        return Decimal(row.counted_qty - row.book_qty)
    return Decimal(-row.expected_qty) if sheet.uncounted == "zero" else ZERO


def _absolute_value(report: StocktakeVariances) -> Decimal:
    return sum((abs(ln.value) for ln in report.lines if ln.value is not None), ZERO)


def _seen(actor: Actor, value: Decimal) -> Decimal | None:
    return value if actor.can(Permission.COST_VIEW) else None


def _sheet(tx: Tx, number: str, statuses: tuple[str, ...] | None, *, lock: bool = True) -> Stocktake:
    statement = select(Stocktake).where(func.upper(Stocktake.number) == number.strip().upper())
    sheet = tx.session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if sheet is None:
        raise UnknownDocument(number=number[:40])
    if statuses is not None and sheet.status not in statuses:
        raise InvalidState(number=sheet.number, status=sheet.status)
    return sheet


def _sheet_by_id(tx: Tx, sheet_id: int, statuses: tuple[str, ...]) -> Stocktake:
    sheet = tx.session.execute(select(Stocktake).where(Stocktake.id == sheet_id).with_for_update()).scalar_one()
    if sheet.status not in statuses:
        raise InvalidState(number=sheet.number, status=sheet.status)
    return sheet


def _close(tx: Tx, sheet_id: int, status: str, reason: str) -> None:
    tx.session.execute(update(Stocktake).where(Stocktake.id == sheet_id).values(
        status=status, closed_at=tx.now, reason=reason.strip()[:500]))


def _category_id(tx: Tx, category: str | None) -> int | None:
    if category is None:
        return None
    found = tx.session.scalar(select(Category.id).where(func.upper(Category.code) == category.strip().upper()))
    if found is None:
        raise InvalidState(reason="unknown_category", category=category[:40])
    return found


def _in_scope(category_id: int | None) -> Select[int]:
    """Ids of the products a sheet covers: all, or those in the category and its sub-categories."""
    if category_id is None:
        return select(Product.id)
    tree = select(Category.id).where(Category.id == category_id).cte("category_tree", recursive=True)
    tree = tree.union_all(select(Category.id).where(Category.parent_id == tree.c.id))
    return select(Product.id).where(Product.category_id.in_(select(tree.c.id)))


def _refuse_overlap(tx: Tx, warehouse_id: int, category_id: int | None) -> None:
    statement = select(Stocktake.number).where(Stocktake.warehouse_id == warehouse_id, Stocktake.status.in_(OPEN))
    if category_id is not None:
        statement = statement.where((Stocktake.category_id.is_(None)) | (Stocktake.category_id == category_id))
    open_number = tx.session.scalar(statement.limit(1))
    if open_number is not None:
        raise InvalidState(reason="stocktake_open", number=open_number)

"""Transfers: what is still in transit, receipts with discrepancies (short or damaged goods written off from
transit) and dispatch notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import aliased

from core.catalog.lines import bounded, item_code
from core.catalog.products import WarehouseRef, transit_warehouse_in, warehouse_codes
from core.catalog.resolve import items_in
from core.errors import EmptyDocument, InvalidQuantity, InvalidState, PermissionDenied, UnknownDocument
from core.integration.outbox import employees_with_role, notify
from core.ledger.documents import open_document, write_posting
from core.ledger.posting import MoveSpec, Posting
from core.models import (
    Employee,
    EmployeeWarehouse,
    Product,
    StockDocument,
    StockMove,
    TransferDiscrepancy,
    Warehouse,
)
from core.numbers import ZERO, parse_quantity, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

OPEN_STATUSES = ("in_transit", "partially_received")
MAX_LINES = 5000


@dataclass(frozen=True)
class TransferReceiptIn:
    """What arrived of one item: received into stock, damaged (written off); the rest is short."""

    item: str
    received: object
    damaged: object = 0
    note: str = ""


@dataclass(frozen=True)
class ReceivedLine:
    line_no: int
    sku: str
    sent: Decimal
    received: Decimal
    damaged: Decimal
    short: Decimal
    value_written_off: Decimal | None
    note: str


@dataclass(frozen=True)
class TransferReceipt:
    number: str
    status: str
    receipt_number: str | None
    writeoff_number: str | None
    lines: tuple[ReceivedLine, ...]


@dataclass(frozen=True)
class Discrepancy:
    """One transfer line that arrived short or damaged, for reports; value None without COST_VIEW."""

    at: datetime
    transfer: str
    from_warehouse: str
    to_warehouse: str
    sku: str
    sent: Decimal
    received: Decimal
    damaged: Decimal
    short: Decimal
    value_written_off: Decimal | None
    note: str
    writeoff: str


@dataclass(frozen=True)
class TransitLine:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    qty: Decimal


@dataclass(frozen=True)
class TransferView:
    """A transfer and what of it is still in transit, per line."""

    number: str
    status: str
    from_warehouse: str
    to_warehouse: str
    lines: tuple[TransitLine, ...]


@dataclass(frozen=True)
class _Given:
    received: Decimal
    damaged: Decimal
    note: str


@dataclass(frozen=True)
class _Settled:
    received: Decimal
    damaged: Decimal
    short: Decimal
    note: str


@dataclass(frozen=True)
class _Left:
    line_no: int
    product_id: int
    sku: str
    qty: Decimal
    value: Decimal


def receive_transfer_with_discrepancies(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[TransferReceiptIn] = ()
) -> TransferReceipt:
    """Close a transfer: received goods into the receiving warehouse, the shortfall and damage written off."""
    given = _parse(lines)

    def work(tx: Tx) -> TransferReceipt:
        transfer = _transfer(tx, number)
        dest_id = transfer.dest_warehouse_id
        assert dest_id is not None
        actor.require(Permission.STOCK_TRANSFER, dest_id)
        if dest_id not in actor.warehouse_ids:
            raise PermissionDenied(employee=actor.name, permission=Permission.STOCK_TRANSFER.value,
                                   warehouse_id=dest_id, reason="receiving_warehouse_staff_only")
        transit = transit_warehouse_in(tx)
        left = _outstanding(tx, transfer.id, transit.id)
        settled = _settle(tx, given, left)
        posting = Posting(tx, {(o.product_id, w) for o in left.values() for w in (transit.id, dest_id)})
        values: dict[int, Decimal] = {}
        for n, line in settled.items():
            whole = left[n]
            values[n] = whole.value if line.received == whole.qty else round_money(
                whole.value * line.received / whole.qty, tx.money_places)
            if line.received:
                posting.apply(MoveSpec(n, whole.product_id, transit.id, qty=-line.received, value=-values[n],
                                       label=whole.sku))
                posting.apply(MoveSpec(n, whole.product_id, dest_id, qty=line.received, value=values[n],
                                       label=whole.sku))
        receipt_id = receipt_number = None
        if posting.posted:
            receipt_id, receipt_number = open_document(tx, actor, "transfer_in", dest_id,
                                                       source=("stock_document", transfer.id))
            write_posting(posting, actor, receipt_id)
        writeoff_id, writeoff_number = _write_off(tx, actor, transfer, transit, left, settled, values)
        codes = warehouse_codes(tx, {transfer.warehouse_id, dest_id})
        sees_cost = actor.can(Permission.COST_VIEW)
        result = [
            ReceivedLine(n, left[n].sku, left[n].qty, line.received, line.damaged, line.short,
                         left[n].value - values[n] if sees_cost else None, line.note)
            for n, line in settled.items()
        ]
        _record_discrepancies(tx, actor, transfer, result, left, values, receipt_id, writeoff_id)
        tx.session.execute(update(StockDocument).where(StockDocument.id == transfer.id).values(status="received"))
        record(tx, actor, "stock.transfer.receive_checked", "stock_document", transfer.id,
               number=transfer.number, receipt=receipt_number, writeoff=writeoff_number,
               to=codes.get(dest_id), short=sum((ln.short for ln in result), ZERO),
               damaged=sum((ln.damaged for ln in result), ZERO))
        return TransferReceipt(transfer.number, "received", receipt_number, writeoff_number, tuple(result))

    return uow.run(work)


def transfer_discrepancies(
    uow: UnitOfWork, actor: Actor, date_from: datetime, date_to: datetime, warehouse: str | None = None
) -> list[Discrepancy]:
    """Short and damaged transfer lines recorded in [date_from, date_to), optionally for one receiving warehouse."""
    actor.require(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)

    def work(tx: Tx) -> list[Discrepancy]:
        sender, receiver = aliased(Warehouse), aliased(Warehouse)
        transfer, writeoff = aliased(StockDocument), aliased(StockDocument)
        row = TransferDiscrepancy
        statement = (
            select(row, transfer.number.label("transfer"), writeoff.number.label("writeoff"),
                   sender.code.label("sender"), receiver.code.label("receiver"), Product.sku)
            .join(transfer, transfer.id == row.transfer_id)
            .join(writeoff, writeoff.id == row.writeoff_document_id)
            .join(sender, sender.id == row.from_warehouse_id)
            .join(receiver, receiver.id == row.to_warehouse_id)
            .join(Product, Product.id == row.product_id)
            .where(row.created_at >= date_from, row.created_at < date_to)
            .order_by(row.created_at, row.id)
        )
        if warehouse is not None:
            statement = statement.where(func.upper(receiver.code) == warehouse.strip().upper())
        return [
            Discrepancy(r.TransferDiscrepancy.created_at, r.transfer, r.sender, r.receiver, r.sku,
                        r.TransferDiscrepancy.expected_qty, r.TransferDiscrepancy.received_qty,
                        r.TransferDiscrepancy.damaged_qty, r.TransferDiscrepancy.short_qty,
                        r.TransferDiscrepancy.value_written_off if sees_cost else None,
                        r.TransferDiscrepancy.note, r.writeoff)
            for r in tx.session.execute(statement)
        ]

    return uow.read(work)


def notify_transfer_dispatched(
    tx: Tx, number: str, from_code: str, dest: WarehouseRef, lines: int
) -> int:
    """Tell the receiving warehouse's staff (or the managers when it has none) that goods are on their way."""
    staff = list(tx.session.scalars(
        select(EmployeeWarehouse.employee_id).join(Employee, Employee.id == EmployeeWarehouse.employee_id)
        .where(EmployeeWarehouse.warehouse_id == dest.id, Employee.active)))
    recipients = staff or employees_with_role(tx, "manager")
    payload = {"number": number, "from": from_code, "to": dest.code, "lines": lines}
    return notify(tx, "transfer_awaiting_receipt", recipients, payload, f"transfer_awaiting_receipt:{number}")


def transfer_view(uow: UnitOfWork, actor: Actor, number: str) -> TransferView:
    """A transfer's lines still in transit, for the staff of the receiving warehouse (who alone receive it)."""

    def work(tx: Tx) -> TransferView:
        sender, receiver = aliased(Warehouse), aliased(Warehouse)
        row = tx.session.execute(
            select(StockDocument, sender.code, receiver.code)
            .join(sender, sender.id == StockDocument.warehouse_id)
            .join(receiver, receiver.id == StockDocument.dest_warehouse_id)
            .where(func.upper(StockDocument.number) == str(number).strip().upper()[:40],
                   StockDocument.kind == "transfer")).one_or_none()
        if row is None:
            raise UnknownDocument(number=str(number)[:40])
        transfer, from_code, to_code = row
        actor.require(Permission.STOCK_TRANSFER, transfer.dest_warehouse_id)
        if transfer.dest_warehouse_id not in actor.warehouse_ids:
            raise PermissionDenied(employee=actor.name, permission=Permission.STOCK_TRANSFER.value,
                                   warehouse_id=transfer.dest_warehouse_id, reason="receiving_warehouse_staff_only")
        transit = transit_warehouse_in(tx)
        followers = select(StockDocument.id).where(
            StockDocument.source_type == "stock_document", StockDocument.source_id == transfer.id)
        lines = tx.session.execute(
            select(StockMove.line_no, Product.sku, Product.name_zh, Product.name_en,
                   func.sum(StockMove.qty).label("qty"))
            .join(Product, Product.id == StockMove.product_id)
            .where(StockMove.warehouse_id == transit.id,
                   (StockMove.document_id == transfer.id) | StockMove.document_id.in_(followers))
            .group_by(StockMove.line_no, Product.sku, Product.name_zh, Product.name_en)
            .order_by(StockMove.line_no)).all()
        return TransferView(transfer.number, transfer.status, from_code, to_code,
                            tuple(TransitLine(r.line_no, r.sku, r.name_zh, r.name_en, r.qty)
                                  for r in lines if r.qty != 0))

    return uow.read(work)


def _parse(lines: Sequence[TransferReceiptIn]) -> dict[str, _Given]:
    given: dict[str, _Given] = {}
    for line in bounded(lines, MAX_LINES, allow_empty=True):
        item = item_code(line.item)
        if item in given:
            raise InvalidQuantity(value=item[:40], reason="duplicate_line")
        given[item] = _Given(parse_quantity(line.received, allow_zero=True),
                             parse_quantity(line.damaged, allow_zero=True), line.note.strip()[:200])
    return given


def _transfer(tx: Tx, number: str) -> StockDocument:
    transfer = tx.session.execute(
        select(StockDocument).where(func.upper(StockDocument.number) == number.strip().upper(),
                                    StockDocument.kind == "transfer").with_for_update()
    ).scalar_one_or_none()
    if transfer is None:
        raise UnknownDocument(number=number[:40])
    if transfer.status not in OPEN_STATUSES:
        raise InvalidState(number=transfer.number, status=transfer.status)
    return transfer


def _outstanding(tx: Tx, transfer_id: int, transit_id: int) -> dict[int, _Left]:
    """Per transfer line, what is still in transit: its dispatch less every receipt or write-off since."""
    followers = select(StockDocument.id).where(
        StockDocument.source_type == "stock_document", StockDocument.source_id == transfer_id)
    rows = tx.session.execute(
        select(StockMove.line_no, StockMove.product_id, Product.sku, func.sum(StockMove.qty).label("qty"),
               func.sum(StockMove.value).label("value"))
        .join(Product, Product.id == StockMove.product_id)
        .where(StockMove.warehouse_id == transit_id,
               (StockMove.document_id == transfer_id) | StockMove.document_id.in_(followers))
        .group_by(StockMove.line_no, StockMove.product_id, Product.sku)
        .order_by(StockMove.line_no)
    )
    return {r.line_no: _Left(r.line_no, r.product_id, r.sku, r.qty, r.value) for r in rows if r.qty != 0}


def _settle(tx: Tx, given: dict[str, _Given], left: dict[int, _Left]) -> dict[int, _Settled]:
    """Received, damaged and short per outstanding line; lines not mentioned arrived in full."""
    if not left:
        raise EmptyDocument(reason="nothing_in_transit")
    items = items_in(tx, list(given)) if given else {}
    line_of = {o.product_id: n for n, o in left.items()}
    by_line: dict[int, _Given] = {}
    for item, found in items.items():
        ref = found.ref
        if ref.id not in line_of:
            raise InvalidQuantity(value=item[:40], reason="not_on_document")
        if line_of[ref.id] in by_line:
            raise InvalidQuantity(value=item[:40], reason="duplicate_line")
        by_line[line_of[ref.id]] = given[item]
    settled: dict[int, _Settled] = {}
    for n, whole in left.items():
        line = by_line.get(n, _Given(whole.qty, ZERO, ""))
        short = whole.qty - line.received - line.damaged
        if short < 0:
            raise InvalidQuantity(value=str(line.received + line.damaged), reason="more_than_outstanding",
                                  outstanding=whole.qty, item=whole.sku)
        settled[n] = _Settled(line.received, line.damaged, short, line.note)
    return settled


def _write_off(
    tx: Tx, actor: Actor, transfer: StockDocument, transit: WarehouseRef, left: dict[int, _Left],
    settled: dict[int, _Settled], values: dict[int, Decimal],
) -> tuple[int | None, str | None]:
    specs = [
        MoveSpec(n, left[n].product_id, transit.id, qty=-(line.damaged + line.short),
                 value=-(left[n].value - values[n]), label=left[n].sku)
        for n, line in settled.items() if line.damaged + line.short > 0
    ]
    if not specs:
        return None, None
    notes = "; ".join(f"{left[n].sku}: {line.note}" for n, line in settled.items() if line.note)
    document_id, number = open_document(
        tx, actor, "adjustment", transit.id, source=("stock_document", transfer.id),
        reason=f"{transfer.number} short/damaged on receipt" + (f": {notes}" if notes else ""))
    posting = Posting(tx, {(s.product_id, s.warehouse_id) for s in specs})
    for spec in specs:
        posting.apply(spec)
    write_posting(posting, actor, document_id)
    return document_id, number


def _record_discrepancies(
    tx: Tx, actor: Actor, transfer: StockDocument, result: list[ReceivedLine], left: dict[int, _Left],
    values: dict[int, Decimal], receipt_id: int | None, writeoff_id: int | None,
) -> None:
    rows = [
        {"transfer_id": transfer.id, "line_no": ln.line_no, "product_id": left[ln.line_no].product_id,
         "from_warehouse_id": transfer.warehouse_id, "to_warehouse_id": transfer.dest_warehouse_id,
         "expected_qty": ln.sent, "received_qty": ln.received, "damaged_qty": ln.damaged, "short_qty": ln.short,
         "value_written_off": left[ln.line_no].value - values[ln.line_no], "note": ln.note,
         "receipt_document_id": receipt_id, "writeoff_document_id": writeoff_id,
         "employee_id": actor.employee_id, "created_at": tx.now}
        for ln in result if ln.damaged + ln.short > 0
    ]
    if rows:
        tx.session.execute(insert(TransferDiscrepancy), rows)

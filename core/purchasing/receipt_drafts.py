"""A goods receipt drafted from a picture of the supplier's delivery note: each row on paper proposed against the
order's open lines (expected and written, differences marked), nothing posted until a person confirms; the
receipt then records the picture it came from, and the rows a person matched by hand are learned for next time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rapidfuzz import fuzz
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.catalog.lines import bounded
from core.errors import DomainError
from core.models import DocumentPicture, PictureFile, Product, Supplier
from core.numbers import ZERO, parse_quantity
from core.people.audit import record
from core.permissions import Actor, Permission
from core.purchasing.orders import PurchaseOrderSummary, list_purchase_orders
from core.purchasing.receipts import PurchaseReceiptView, ReceiptLineIn, receive_purchase
from core.purchasing.records import DOC_TYPE, MAX_LINES, allow, find_order, lines_of
from core.reading.matching import learn_aliases, match_rows
from core.reading.notes import note_in
from core.reading.text import Reading
from core.uow import Tx, UnitOfWork

PURPOSE = "po_receipt"
RECEIVABLE = ("approved", "partially_received")


class PictureAlreadyPosted(DomainError):
    """This very picture was posted before (`number`: the order, `receipt`: the goods receipt)."""

    code = "picture_already_posted"


@dataclass(frozen=True)
class OpenLine:
    """An order line still expecting goods."""

    sku: str
    name_zh: str
    name_en: str
    outstanding: Decimal


@dataclass(frozen=True)
class ProposedLine:
    """One row on paper against the order: as written, the product it was matched to (sku "" when none), how,
    the quantity in base units, what the order still expects of that product (None: not on the order)."""

    row: int
    written: str
    code: str
    qty: Decimal
    unit: str
    price: Decimal | None
    sku: str
    name_zh: str
    name_en: str
    how: str
    received: Decimal
    expected: Decimal | None

    @property
    def differs(self) -> bool:
        """Not matched, not on the order, or another quantity than expected."""
        return not self.sku or self.expected is None or self.received != self.expected


@dataclass(frozen=True)
class ReceiptDraft:
    """What the picture proposes for the order, and the open lines the paper does not mention."""

    order_number: str
    supplier: str
    sha256: str
    note_number: str
    note_date: str
    note_supplier: str
    lines: tuple[ProposedLine, ...]
    open_lines: tuple[OpenLine, ...]

    @property
    def unlisted(self) -> tuple[OpenLine, ...]:
        """Open lines of the order no row on paper was matched to."""
        on_paper = {ln.sku for ln in self.lines}
        return tuple(ln for ln in self.open_lines if ln.sku not in on_paper)


@dataclass(frozen=True)
class ConfirmedLine:
    """A proposed line as the person confirmed it; `learned` when they matched it by hand (kept as an alias)."""

    sku: str
    received: object
    written: str = ""
    learned: bool = False
    rejected: object = 0
    note: str = ""


def draft_receipt(uow: UnitOfWork, actor: Actor, number: str, reading: Reading) -> ReceiptDraft:
    """The receipt a picture of the delivery note proposes for the order (nothing is written)."""
    actor.require(Permission.PURCHASE_RECEIVE)
    note = note_in(reading)

    def work(tx: Tx) -> ReceiptDraft:
        order = find_order(tx, number)
        actor.require(Permission.PURCHASE_RECEIVE, order.warehouse_id)
        allow(order, "receive")
        _refuse_posted(tx, reading.sha256)
        lines = lines_of(tx, order.id)
        outstanding = {ln.product_id: ln.qty - ln.received_qty for ln in lines}
        names = _names(tx, [ln.product_id for ln in lines])
        open_names = {ln.product_id: " ".join(names[ln.product_id]) for ln in lines if ln.qty > ln.received_qty}
        matched = match_rows(tx, note.rows, ("supplier", order.supplier_id), open_names)
        open_lines = tuple(OpenLine(ln.sku, *names[ln.product_id], ln.qty - ln.received_qty)
                           for ln in lines if ln.qty > ln.received_qty)
        proposed = tuple(
            ProposedLine(n, row.text, row.code, row.qty, row.unit, row.price, m.sku, m.name_zh, m.name_en, m.how,
                         m.base_qty, outstanding.get(m.product_id) if m.product_id is not None else None)
            for n, (row, m) in enumerate(zip(note.rows, matched, strict=True), 1))
        supplier = tx.session.scalar(select(Supplier.name).where(Supplier.id == order.supplier_id)) or ""
        return ReceiptDraft(order.number, supplier, reading.sha256, note.number,
                            note.date.isoformat() if note.date else "", note.supplier, proposed, open_lines)

    return uow.read(work)


def receive_from_picture(uow: UnitOfWork, actor: Actor, number: str, sha256: str, note_number: str,
                         lines: Sequence[ConfirmedLine]) -> PurchaseReceiptView:
    """Post the confirmed lines as one goods receipt that records its picture; rows matched by hand are learned
    as the supplier's words for those products. The same picture posts once."""
    actor.require(Permission.PURCHASE_RECEIVE)
    kept = [ln for ln in bounded(lines, MAX_LINES)
            if parse_quantity(ln.received, allow_zero=True) + parse_quantity(ln.rejected, allow_zero=True) > ZERO]

    def work(tx: Tx) -> PurchaseReceiptView:
        picture = _claim(tx, actor, sha256, number, note_number)  # the unique key: one post per picture, however raced
        entered = [ReceiptLineIn(ln.sku, ln.received, ln.rejected, ln.note) for ln in kept]
        receipt = receive_purchase(uow, actor, number, entered, note=f"📷 {note_number}".strip())
        order = find_order(tx, number)
        tx.session.execute(update(DocumentPicture).where(DocumentPicture.id == picture).values(
            order_number=order.number, document_number=receipt.receipt_number))
        learned = _learn(tx, actor, order.supplier_id, [ln for ln in kept if ln.learned])
        record(tx, actor, "purchase.receive_from_picture", DOC_TYPE, order.id, number=order.number,
               receipt=receipt.receipt_number, picture=sha256, note_number=note_number, learned=learned)
        return receipt

    return uow.run(work)


def _claim(tx: Tx, actor: Actor, sha256: str, number: str, note_number: str) -> int:
    """The picture's row, inserted unless this picture was posted before (then refused, naming that receipt)."""
    dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
    claimed = tx.session.execute(dialect_insert(DocumentPicture).values(
        sha256=sha256, purpose=PURPOSE, order_number=number.strip().upper()[:40], document_number="",
        note_number=note_number[:40], employee_id=actor.employee_id, created_at=tx.now,
    ).on_conflict_do_nothing(index_elements=["sha256", "purpose"]).returning(DocumentPicture.id)).scalar_one_or_none()
    if claimed is None:
        _refuse_posted(tx, sha256)
        raise PictureAlreadyPosted(number=number, receipt="")
    return int(claimed)


def _refuse_posted(tx: Tx, sha256: str) -> None:
    posted = tx.session.execute(select(DocumentPicture.order_number, DocumentPicture.document_number).where(
        DocumentPicture.sha256 == sha256, DocumentPicture.purpose == PURPOSE)).first()
    if posted is not None:
        raise PictureAlreadyPosted(number=posted.order_number, receipt=posted.document_number)


def _names(tx: Tx, ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = tx.session.execute(select(Product.id, Product.name_zh, Product.name_en).where(Product.id.in_(ids)))
    return {r.id: (r.name_zh, r.name_en or r.name_zh) for r in rows}


def _learn(tx: Tx, actor: Actor, supplier_id: int, lines: list[ConfirmedLine]) -> list[dict[str, str]]:
    """Keep (or replace) the supplier's words for each product matched by hand; one statement for all."""
    return learn_aliases(tx, actor, ("supplier", supplier_id), {ln.written: ln.sku for ln in lines})


def likely_orders(uow: UnitOfWork, actor: Actor, reading: Reading, limit: int = 5) -> list[PurchaseOrderSummary]:
    """The open orders a picture of a delivery note may belong to, the supplier printed on it first."""
    actor.require(Permission.PURCHASE_RECEIVE)
    note = note_in(reading)
    orders = list_purchase_orders(uow, actor, status=list(RECEIVABLE), page_size=50)
    if note.supplier:
        orders.sort(key=lambda o: -fuzz.partial_ratio(note.supplier, o.supplier_name))
    return orders[:limit]


def keep_picture(uow: UnitOfWork, actor: Actor, sha256: str, content: bytes) -> None:
    """Keep a picture's bytes by its sha256 (once), for the document that may be posted from it."""
    actor.require(Permission.PURCHASE_RECEIVE)
    if not content or len(sha256) != 64:
        return

    def work(tx: Tx) -> None:
        dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
        tx.session.execute(dialect_insert(PictureFile).values(sha256=sha256, content=content, stored_at=tx.now)
                           .on_conflict_do_nothing(index_elements=["sha256"]))

    uow.run(work)


def purge_pictures(uow: UnitOfWork, now: datetime, keep_days: float) -> int:
    """Nightly: forget the bytes of pictures a document was posted from more than `keep_days` ago, and of those no
    document was posted from after a day; how many were forgotten."""
    posted = select(DocumentPicture.sha256).where(DocumentPicture.document_number != "")
    expired = or_(PictureFile.stored_at < now - timedelta(days=keep_days),
                  and_(PictureFile.stored_at < now - timedelta(days=1), PictureFile.sha256.not_in(posted)))
    return uow.run(lambda tx: int(getattr(tx.session.execute(
        delete(PictureFile).where(expired).execution_options(synchronize_session=False)), "rowcount", 0)))

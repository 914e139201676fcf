"""The lots and serials of a goods receipt: typed, or read from a GS1 scan given as the item; several lots per
order line, partial receipts and rejects per lot, duplicate serials refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select

from core.catalog.resolve import item_named
from core.codes.gs1 import barcode_forms, parse_gs1
from core.errors import LotRefused
from core.models import ProductBarcode
from core.numbers import ZERO
from core.permissions import Actor, Permission
from core.purchasing.records import OrderLine
from core.stock.lots import LotWanted, lot_code, lots_for, parse_date, tracking_of
from core.uow import Tx, UnitOfWork


class LabelledLine(Protocol):
    """A receipt line as given: its lot, dates and serials."""

    @property
    def lot(self) -> str | None: ...

    @property
    def expiry(self) -> object: ...

    @property
    def produced(self) -> object: ...

    @property
    def serials(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class LotLabel:
    """What a line's label says: lot, expiry, production date, serial numbers."""

    lot: str | None = None
    expiry: date | None = None
    produced: date | None = None
    serials: tuple[str, ...] = ()


@dataclass
class LotShare:
    """What one receipt took in and rejected of one lot (or, untracked, of the whole line)."""

    code: str | None
    received: Decimal = ZERO
    rejected: Decimal = ZERO


def lot_label(line: LabelledLine) -> LotLabel:
    """A line's lot, dates and serials checked before anything is read."""
    serials = tuple(lot_code(s) for s in line.serials)
    return LotLabel(lot_code(line.lot) if line.lot else None, parse_date(line.expiry, "expiry"),
                    parse_date(line.produced, "produced"), serials)


def gs1_items(tx: Tx, lines: Sequence[OrderLine], items: list[str], labels: list[LotLabel]) -> list[str]:
    """Items given as a GS1 scan become the order line's SKU, and their lot, expiry and serial fill the label
    where it is empty (one statement for all scans)."""
    scans = {i: data for i, item in enumerate(items) if (data := parse_gs1(item)) is not None}
    if not scans:
        return items
    forms = {form: i for i, data in scans.items() for form in barcode_forms(data.gtin)}
    found = dict(tx.conn.execute(select(ProductBarcode.barcode, ProductBarcode.product_id)
                                 .where(ProductBarcode.barcode.in_(sorted(forms)))).all())
    sku_of = {ln.product_id: ln.sku for ln in lines}
    result = list(items)
    for i, data in scans.items():
        product = next((found[f] for f in barcode_forms(data.gtin) if f in found), None)
        if product in sku_of:
            result[i] = sku_of[product]
        label = labels[i]
        labels[i] = replace(
            label, lot=label.lot or (lot_code(data.lot) if data.lot else None), expiry=label.expiry or data.expiry,
            produced=label.produced or data.produced,
            serials=label.serials or ((lot_code(data.serial),) if data.serial else ()))
    return result


def lot_parts(
    tx: Tx, lines: Sequence[OrderLine], labels: Sequence[LotLabel], quantities: Sequence[tuple[Decimal, Decimal]]
) -> dict[tuple[OrderLine, int | None], LotShare]:
    """Per order line and lot, what arrives and what is rejected; lots are opened (expiry from the label, else
    the production date and the product's shelf life)."""
    tracking = tracking_of(tx, [ln.product_id for ln in lines])
    shares: dict[tuple[OrderLine, str | None], LotShare] = {}
    wanted: dict[tuple[int, str], LotWanted] = {}
    seen_serials: set[tuple[int, str]] = set()
    for line, label, (received, rejected) in zip(lines, labels, quantities, strict=True):
        kind = tracking.get(line.product_id, ("none", None))[0]
        for code, got, bad in _split(line, kind, label, received, rejected):
            if kind == "serial" and code is not None:
                if (line.product_id, code) in seen_serials:
                    raise LotRefused(reason="duplicate_serial", lot=code, sku=line.sku)
                seen_serials.add((line.product_id, code))
            share = shares.setdefault((line, code), LotShare(code))
            share.received += got
            share.rejected += bad
            if code is not None:
                before = wanted.get((line.product_id, code))
                if before is not None and label.expiry and before.expiry and before.expiry != label.expiry:
                    raise LotRefused(reason="expiry_differs", lot=code, expiry=before.expiry.isoformat(),
                                     given=label.expiry.isoformat())
                if before is None or before.expiry is None:
                    wanted[(line.product_id, code)] = LotWanted(line.product_id, code, label.expiry, label.produced)
    ids = lots_for(tx, list(wanted.values()))
    return {(line, None if code is None else ids[(line.product_id, code)]): share
            for (line, code), share in shares.items()}


def _split(line: OrderLine, kind: str, label: LotLabel, received: Decimal,
           rejected: Decimal) -> list[tuple[str | None, Decimal, Decimal]]:
    """A line's quantities per lot code: one lot, one serial per unit, or no lot for an untracked product."""
    if kind == "none":
        if label.lot or label.serials:
            raise LotRefused(reason="not_tracked", sku=line.sku)
        return [(None, received, rejected)]
    if kind == "lot":
        if label.serials and not label.lot:
            raise LotRefused(reason="not_tracked", sku=line.sku)
        if label.lot is None:
            if received > 0:
                raise LotRefused(reason="lot_required", sku=line.sku)
            return [(None, ZERO, rejected)]
        return [(label.lot, received, rejected)]
    serials = label.serials or ((label.lot,) if label.lot else ())
    if Decimal(len(serials)) != received:
        raise LotRefused(reason="serial_count", sku=line.sku, count=len(serials), qty=received)
    parts: list[tuple[str | None, Decimal, Decimal]] = [(s, Decimal(1), ZERO) for s in serials]
    if rejected > 0:
        parts.append((None, ZERO, rejected))
    return parts


@dataclass(frozen=True)
class ScannedLabel:
    """What a scanned label says before anything is received: the product, and the lot, dates and serial a GS1
    code carries (all None for a plain barcode)."""

    sku: str
    name_zh: str
    name_en: str
    lot: str | None = None
    expiry: date | None = None
    produced: date | None = None
    serial: str | None = None


def read_label(uow: UnitOfWork, actor: Actor, code: str) -> ScannedLabel:
    """The product and lot a scanned code names, for a receiving screen to fill its line (nothing is written)."""
    actor.require(Permission.PURCHASE_RECEIVE)
    item = item_named(uow, code)
    data = parse_gs1(code)
    if data is None:
        return ScannedLabel(item.sku, item.name_zh, item.name_en)
    return ScannedLabel(item.sku, item.name_zh, item.name_en, lot_code(data.lot) if data.lot else None,
                        data.expiry, data.produced, lot_code(data.serial) if data.serial else None)

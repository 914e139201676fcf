"""Shipping named lots or serial numbers instead of first-expired-first-out: the lines' quantities of a product
fall on the lots given, which must account for all of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from core.catalog.lines import EnteredLine
from core.catalog.resolve import resolve_lines
from core.errors import LotRefused
from core.ledger.posting import MoveSpec
from core.numbers import ZERO
from core.permissions import Actor
from core.sales.records import SalesLineIn
from core.stock.lots import LotWanted, find_lots, lot_code, release_expired
from core.uow import Tx


def named_lots_shipped(tx: Tx, actor: Actor, parsed: Sequence[EnteredLine], given: Sequence[SalesLineIn],
                       specs: list[MoveSpec]) -> list[MoveSpec]:
    """The shipment's moves with the lots and serials the lines name (a constant number of statements); an
    expired lot only when a manager ships it."""
    pools: dict[int, list[tuple[str, Decimal]]] = {}
    for line, resolved in zip(given, resolve_lines(tx, parsed), strict=True):
        named = [(lot_code(s), Decimal(1)) for s in line.serials] or (
            [(lot_code(line.lot), resolved.base_qty)] if line.lot else [])
        if line.serials and Decimal(len(line.serials)) != resolved.base_qty:
            raise LotRefused(reason="serial_count", sku=resolved.product.sku, count=len(line.serials),
                             qty=resolved.base_qty)
        pools.setdefault(resolved.product.id, []).extend(named)
    ids = find_lots(tx, [LotWanted(p, code) for p, pool in pools.items() for code, _ in pool])
    release_expired(tx, actor, ids.values(), None)
    result: list[MoveSpec] = []
    for spec in specs:
        pool = pools.get(spec.product_id)
        if not pool:
            result.append(spec)
            continue
        left = -spec.qty
        while left > 0 and pool:
            code, qty = pool[0]
            take = min(qty, left)
            result.append(replace(spec, qty=-take, reserved=-take, lot_id=ids[(spec.product_id, code)]))
            left -= take
            pool[0] = (code, qty - take)
            if pool[0][1] == ZERO:
                pool.pop(0)
        if left > 0:
            raise LotRefused(reason="lot_qty", sku=spec.label, qty=-spec.qty)
    return _merged(result)


def _merged(specs: list[MoveSpec]) -> list[MoveSpec]:
    """One move per line and lot: a lot named twice for one line is shipped as one."""
    merged: dict[tuple[int, int | None], MoveSpec] = {}
    for spec in specs:
        key = (spec.line_no, spec.lot_id)
        before = merged.get(key)
        merged[key] = spec if before is None else replace(
            before, qty=before.qty + spec.qty, reserved=before.reserved + spec.reserved)
    return list(merged.values())

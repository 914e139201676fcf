"""The lot a sales order line names: reserved and shipped from it instead of first-expired-first-out."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import LotRefused
from core.permissions import Actor
from core.sales.records import SalesLineIn
from core.stock.lots import LotWanted, find_lots, lot_code, release_expired, tracking_of
from core.uow import Tx


def line_lots(tx: Tx, actor: Actor, product_ids: Sequence[int], lines: Sequence[SalesLineIn]) -> list[int | None]:
    """Per line, the id of the lot it names (an existing lot of a tracked product; an expired one only when a
    manager orders it) or None; three statements when some line names a lot, none otherwise."""
    named = [(p, lot_code(ln.lot)) if ln.lot else None for p, ln in zip(product_ids, lines, strict=True)]
    given = [n for n in named if n is not None]
    if not given:
        return [None] * len(named)
    tracking = tracking_of(tx, [p for p, _ in given])
    for n, line in zip(named, lines, strict=True):
        if n is not None and tracking.get(n[0], ("none", None))[0] == "none":
            raise LotRefused(reason="not_tracked", sku=line.item[:40])
    ids = find_lots(tx, [LotWanted(p, code) for p, code in given])
    release_expired(tx, actor, ids.values(), None)
    return [None if n is None else ids[n] for n in named]

"""What each document type does when approvals are done with it: a typed map from document type to its hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core.permissions import Actor
from core.purchasing import orders as purchase_orders
from core.purchasing import records as purchase_records
from core.sales import orders as sales_orders
from core.sales import records as sales_records
from core.stock import stocktake
from core.uow import Tx


@dataclass(frozen=True)
class DocumentHooks:
    """Run inside the deciding transaction: on_approved(tx, actor, doc_id) when the last level approves,
    on_rejected(tx, actor, doc_id, reason) when a level rejects."""

    on_approved: Callable[[Tx, Actor, int], None]
    on_rejected: Callable[[Tx, Actor, int, str], None]


DOCUMENT_HOOKS: Mapping[str, DocumentHooks] = MappingProxyType({
    purchase_records.DOC_TYPE: DocumentHooks(purchase_orders.on_approved, purchase_orders.on_rejected),
    sales_records.DOC_TYPE: DocumentHooks(sales_orders.on_approved, sales_orders.on_rejected),
    stocktake.DOC_TYPE: DocumentHooks(stocktake.on_approved, stocktake.on_rejected),
})

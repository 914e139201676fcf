"""A purchase order's approval decided by its number, as the approver's card does it: the pending level approved
or rejected (with a reason) under the approval rules (another person than the author, the level's role, each
level by someone else)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.approvals.decisions import decide
from core.errors import InvalidState
from core.models import ApprovalRequest
from core.permissions import Actor, Permission
from core.purchasing.orders import PurchaseOrderView, get_purchase_order
from core.purchasing.records import DOC_TYPE, find_order
from core.uow import Tx, UnitOfWork


def decide_purchase_order(
    uow: UnitOfWork, actor: Actor, number: str, approve: bool, reason: str = ""
) -> PurchaseOrderView:
    """Approve or reject the order's pending approval level; the order as it stands after the decision."""
    actor.require(Permission.PURCHASE_VIEW)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number)
        actor.require(Permission.PURCHASE_VIEW, order.warehouse_id)
        request_id = tx.session.scalar(select(func.min(ApprovalRequest.id)).where(
            ApprovalRequest.doc_type == DOC_TYPE, ApprovalRequest.doc_id == order.id,
            ApprovalRequest.status == "pending"))
        if order.status != "pending_approval" or request_id is None:
            raise InvalidState(number=order.number, status=order.status, action="approve" if approve else "reject")
        decide(uow, actor, request_id, approve, reason)
        return get_purchase_order(uow, actor, order.number)

    return uow.run(work)

"""A sales order's approval decided by its number, as the approver's card does it: the pending level approved or
rejected (with a reason) under the approval rules; an order the approver may not see reads as unknown."""

from __future__ import annotations

from core.approvals.decisions import decide
from core.errors import InvalidState
from core.permissions import Actor
from core.sales.orders import get_sales_order
from core.sales.views import SalesOrderView
from core.uow import Tx, UnitOfWork


def decide_sales_order(uow: UnitOfWork, actor: Actor, number: str, approve: bool, reason: str = "") -> SalesOrderView:
    """Approve or reject the order's pending approval level; the order as it stands after the decision."""

    def work(tx: Tx) -> SalesOrderView:
        order = get_sales_order(uow, actor, number)
        if order.status != "pending_approval" or order.approval_request_id is None:
            raise InvalidState(number=order.number, status=order.status, action="approve" if approve else "reject")
        decide(uow, actor, order.approval_request_id, approve, reason)
        return get_sales_order(uow, actor, order.number)

    return uow.run(work)

"""The life of a document is one table on its model: which action may be taken from which status."""

from __future__ import annotations

import pytest

from core.errors import InvalidState
from core.models import PO_STATUSES, SO_STATUSES, PurchaseOrder, SalesOrder
from core.models.lifecycle import Lifecycle


def test_a_sales_order_ships_only_once_approved_and_until_it_is_all_shipped() -> None:
    assert SalesOrder.LIFECYCLE.statuses("ship") == {"approved", "partially_shipped"}
    SalesOrder.LIFECYCLE.ensure("ship", "SO-2026-000001", "partially_shipped")
    with pytest.raises(InvalidState) as refused:
        SalesOrder.LIFECYCLE.ensure("ship", "SO-2026-000001", "draft")
    assert refused.value.params == {"number": "SO-2026-000001", "status": "draft", "action": "ship"}


def test_a_purchase_order_is_received_only_once_approved_and_returned_only_after_goods_came() -> None:
    assert PurchaseOrder.LIFECYCLE.statuses("receive") == {"approved", "partially_received"}
    assert PurchaseOrder.LIFECYCLE.statuses("return") == {"partially_received", "received", "closed"}
    with pytest.raises(InvalidState) as refused:
        PurchaseOrder.LIFECYCLE.ensure("return", "PO-2026-000001", "approved")
    assert refused.value.params == {"number": "PO-2026-000001", "status": "approved", "action": "return"}


@pytest.mark.parametrize(("lifecycle", "statuses"), [
    (SalesOrder.LIFECYCLE, SO_STATUSES), (PurchaseOrder.LIFECYCLE, PO_STATUSES)])
def test_every_action_starts_from_statuses_the_document_can_have(
    lifecycle: Lifecycle, statuses: tuple[str, ...]
) -> None:
    assert all(lifecycle.statuses(action) <= set(statuses) for action in lifecycle.allowed_from)

"""The daily notes: the morning low-stock digest for purchasers and managers, the evening summary for managers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.integration.outbox import Note, employees_with_role, write_notes
from core.models import SalesOrder, StockDocument, StockLevel
from core.payloads import decimal_text
from core.purchasing.replenishment import BelowMinimum, below_minimum
from core.uow import Tx, UnitOfWork

DIGEST_ITEMS = 30
DIGEST_ROLES = ("purchaser", "manager")
SUMMARY_ROLES = ("manager",)


def write_low_stock_digest(uow: UnitOfWork, day: date) -> int:
    """The day's list of items below their minimum, one note per purchaser and manager (once a day); notes
    written."""

    def work(tx: Tx) -> int:
        items = below_minimum(tx)
        if not items:
            return 0
        payload = {"date": day.isoformat(), "count": len(items), "items": [_item(i) for i in items[:DIGEST_ITEMS]]}
        return write_notes(tx, [Note("low_stock_digest", e, payload, f"low_stock_digest:{day.isoformat()}:{e}")
                                for e in employees_with_role(tx, *DIGEST_ROLES)])

    return uow.run(work)


def write_daily_summary(uow: UnitOfWork, day: date, timezone: str) -> int:
    """The company day's sales orders, shipments and stock value, one note per manager (once a day); notes
    written."""
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    end = start + timedelta(days=1)

    def work(tx: Tx) -> int:
        orders, total = tx.session.execute(
            select(func.count(SalesOrder.id), func.sum(SalesOrder.total))
            .where(SalesOrder.created_at >= start, SalesOrder.created_at < end,
                   SalesOrder.status.not_in(("cancelled", "rejected")))).one()
        shipments = tx.session.scalar(
            select(func.count(StockDocument.id)).where(StockDocument.kind == "shipment",
                                                       StockDocument.created_at >= start,
                                                       StockDocument.created_at < end))
        value = tx.session.scalar(select(func.sum(StockLevel.value)))
        payload = {"date": day.isoformat(), "orders": int(orders), "shipments": int(shipments or 0),
                   "sales_total": total or Decimal(0), "stock_value": value or Decimal(0),
                   "low": len(below_minimum(tx))}
        return write_notes(tx, [Note("daily_summary", e, payload, f"daily_summary:{day.isoformat()}:{e}")
                                for e in employees_with_role(tx, *SUMMARY_ROLES)])

    return uow.run(work)


def _item(item: BelowMinimum) -> dict[str, Any]:
    return {"sku": item.sku, "name_zh": item.name_zh, "name_en": item.name_en, "warehouse": item.warehouse,
            "available": decimal_text(item.available, short=True),
            "minimum": decimal_text(item.minimum, short=True)}

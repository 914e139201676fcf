"""The JSON calls the pages make (/app/api/...): parse, call the core service, return plain data. Permissions,
transactions and the audit trail are the services' own, exactly as in chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from bot.app.channel import Handler, Refused
from bot.documents import LAYOUTS, FontMissing, Printer
from bot.engine.inbound import PictureReading
from bot.engine.texts import Texts, format_day, format_money, format_quantity, format_when
from bot.flows.purchasing import RECEIVABLE
from core.catalog.products import warehouses_for
from core.catalog.resolve import item_named
from core.documents.kinds import printable
from core.errors import DomainError
from core.money.deposits import DepositView, order_deposits, record_deposit
from core.partners.choices import partner_choices
from core.payloads import to_plain
from core.permissions import Actor, Permission
from core.purchasing.orders import get_purchase_order, list_purchase_orders
from core.purchasing.receipt_drafts import ConfirmedLine, draft_receipt, keep_picture, receive_from_picture
from core.purchasing.receipt_lots import read_label
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.reading.text import Reading
from core.sales.entry import place_sales_order, quote_sales_order, sale_items
from core.sales.price_rules import PriceSource
from core.sales.quotations import create_quotation, list_quotations, order_quotation
from core.sales.records import SalesLineIn
from core.sales.usual import usual_sales_warehouse
from core.stock.lots import lots_to_pick
from core.stock.stocktake import count_item, open_stocktake, start_stocktake, stocktake_variances, submit_stocktake
from core.uow import UnitOfWork

T = TypeVar("T")
MAX_CHOICES = 8
MAX_LINES = 200
MAX_SERIALS = 2000


class AppApi:
    """The calls of the pages, by (method, path under /app/api/), and the PDF of their Print buttons."""

    def __init__(self, uow: UnitOfWork, texts: Texts, reader: PictureReading | None = None,
                 printer: Printer | None = None) -> None:
        self.uow, self.texts, self.reader, self.printer = uow, texts, reader, printer or Printer()

    def routes(self) -> dict[tuple[str, str], Handler]:
        """Every call the pages make."""
        return {
            ("GET", "warehouses"): self.warehouses,
            ("GET", "customers"): self.customers,
            ("GET", "items"): self.items,
            ("GET", "sales/lots"): self.lots,
            ("POST", "sales/quote"): self.quote,
            ("POST", "sales/place"): self.place,
            ("GET", "quotations"): self.quotations,
            ("POST", "quotations"): self.new_quotation,
            ("POST", "quotations/order"): self.order_quotation,
            ("GET", "deposits"): self.deposits,
            ("POST", "deposits"): self.new_deposit,
            ("GET", "receive/orders"): self.orders,
            ("GET", "receive/order"): self.order,
            ("GET", "receive/scan"): self.scan,
            ("POST", "receive"): self.receive,
            ("POST", "receive/draft"): self.draft,
            ("POST", "count/open"): self.open_count,
            ("GET", "count/item"): self.count_item,
            ("POST", "count/record"): self.record_counts,
            ("POST", "count/submit"): self.submit_count,
        }

    async def warehouses(self, actor: Actor, q: dict[str, Any]) -> Any:
        """Warehouses the reader may sell from (`for=sales`, with the one to offer first), count in (`for=count`),
        or else see the stock of (warehouse staff: the ones they work in)."""
        purpose = _text(q, "for")
        permissions = {"count": Permission.STOCKTAKE_COUNT, "sales": Permission.SALES_CREATE}
        permission = permissions.get(purpose, Permission.STOCK_VIEW)
        found = await _run(warehouses_for, self.uow, actor, permission)
        usual = await _run(usual_sales_warehouse, self.uow, actor) if purpose == "sales" and found else None
        return {"warehouses": [{"code": w.code, "name": w.name_in(actor.language)} for w in found], "usual": usual}

    async def customers(self, actor: Actor, q: dict[str, Any]) -> Any:
        """Customers matching what was typed."""
        found = await _run(partner_choices, self.uow, actor, "customer", _text(q, "q"), MAX_CHOICES)
        return {"customers": [{"code": c.code, "name": c.name} for c in found]}

    async def items(self, actor: Actor, q: dict[str, Any]) -> Any:
        """Products matching what was typed, with pack units, the price this customer's price list proposes (and
        why), the customer's last price and its day, and the stock here."""
        found = await _run(sale_items, self.uow, actor, _text(q, "customer"), _text(q, "warehouse"), _text(q, "q"))
        money = self._money(actor)
        return {"items": [{**_plain(asdict(i)), "name": _name(actor, i.name_zh, i.name_en),
                           "available_text": format_quantity(i.available, actor.language),
                           "price_text": money(i.price), "source_text": self._source(actor, i.source),
                           "last_text": None if i.last_price is None else money(i.last_price),
                           "last_day": self._day(actor, i.last_at)} for i in found]}

    async def lots(self, actor: Actor, q: dict[str, Any]) -> Any:
        """The lots a line may ship from (none for an untracked product): available and not expired, nearest expiry
        first, near expiry marked."""
        found = await _run(lots_to_pick, self.uow, actor, _text(q, "sku"), _text(q, "warehouse"))
        return {"lots": [{"lot": lot.lot, "expiry": _iso(lot.expiry) or "—", "alert": lot.alert,
                          "available": format_quantity(lot.available, actor.language)} for lot in found]}

    async def quote(self, actor: Actor, body: dict[str, Any]) -> Any:
        """The order as it stands at the customer's prices: each line's amount, the price proposed and why, the
        last price paid, short stock and below-floor flags, and the total."""
        quoted = await _run(quote_sales_order, self.uow, actor, _text(body, "warehouse"), _sales_lines(body),
                            _text(body, "customer"))
        money = self._money(actor)
        return {"lines": [{**_plain(asdict(ln)), "amount_text": money(ln.amount),
                           "available_text": format_quantity(ln.available, actor.language),
                           "proposed_text": money(ln.proposed), "source_text": self._source(actor, ln.source),
                           "last_text": None if ln.last_price is None else money(ln.last_price),
                           "last_day": self._day(actor, ln.last_at)} for ln in quoted.lines],
                "total": _plain(quoted.total), "total_text": money(quoted.total)}

    async def place(self, actor: Actor, body: dict[str, Any]) -> Any:
        """Write and submit the order; its number, status and total."""
        order = await _run(place_sales_order, self.uow, actor, _text(body, "customer"), _text(body, "warehouse"),
                           _sales_lines(body), actor.channel)
        return {"number": order.number, "status": order.status, "total_text": self._money(actor)(order.total),
                "reasons": list(order.approval_reasons)}

    async def quotations(self, actor: Actor, q: dict[str, Any]) -> Any:
        """A customer's open quotations, newest first, each with its total and last day."""
        found = await _run(list_quotations, self.uow, actor, _text(q, "customer") or None)
        money = self._money(actor)
        return {"quotations": [{"number": x.number, "customer": x.customer, "customer_name": x.customer_name,
                                "total_text": money(x.total), "valid_until": x.valid_until.isoformat()}
                               for x in found]}

    async def new_quotation(self, actor: Actor, body: dict[str, Any]) -> Any:
        """Write a quotation of the lines at the customer's prices, valid until the day given (default two weeks)."""
        made = await _run(create_quotation, self.uow, actor, _text(body, "customer"), _text(body, "warehouse"),
                          _sales_lines(body), _text(body, "valid_until") or None)
        return {"number": made.number, "total_text": self._money(actor)(made.total),
                "valid_until": made.valid_until.isoformat(), "lines": len(made.lines)}

    async def order_quotation(self, actor: Actor, body: dict[str, Any]) -> Any:
        """Turn a valid quotation into a sales order at its prices (submitted, as in chat)."""
        order = await _run(order_quotation, self.uow, actor, _text(body, "number"), actor.channel)
        return {"number": order.number, "status": order.status, "total_text": self._money(actor)(order.total),
                "quotation": _text(body, "number").upper()}

    async def deposits(self, actor: Actor, q: dict[str, Any]) -> Any:
        """An order's deposits (money staff)."""
        found = await _run(order_deposits, self.uow, actor, _text(q, "order"))
        return {"order": _text(q, "order").upper(), "deposits": [self._deposit(actor, d) for d in found]}

    async def new_deposit(self, actor: Actor, body: dict[str, Any]) -> Any:
        """Record a deposit paid on a sales (or purchase) order; the order's deposits after it."""
        made = await _run(record_deposit, self.uow, actor, _text(body, "order"), _text(body, "amount"),
                          _text(body, "method") or "bank")
        found = await _run(order_deposits, self.uow, actor, made.order)
        return {"deposit": self._deposit(actor, made), "order": made.order,
                "deposits": [self._deposit(actor, d) for d in found]}

    async def pdf(self, actor: Actor, q: dict[str, str]) -> tuple[bytes, str]:
        """The PDF a page's Print button opens: the document as its reader may print it (layout a4 or 80mm;
        a customer's document in the customer's language unless `lang` is given)."""
        layout = q.get("layout") or None
        lang = q.get("lang") or None
        if (layout is not None and layout not in LAYOUTS) or lang not in (None, "zh_CN", "en"):
            raise Refused(400, "bad_request")
        try:
            doc = await _run(printable, self.uow, actor, q.get("number", "")[:60])
            chosen = Printer.language(doc, lang, actor.language)
            content = await _run(self.printer.pdf, doc, self.texts, chosen, layout)
        except FontMissing:
            raise Refused(503, "no_font") from None
        return content, Printer.file_name(doc)

    def _deposit(self, actor: Actor, deposit: DepositView) -> dict[str, Any]:
        money = self._money(actor)
        return {"payment": deposit.payment, "order": deposit.order, "amount_text": money(deposit.amount),
                "allocated_text": money(deposit.allocated), "status": deposit.status}

    async def orders(self, actor: Actor, q: dict[str, Any]) -> Any:
        """Purchase orders waiting for goods, newest first: who from, how many lines, where they stand, when."""
        found = await _run(list_purchase_orders, self.uow, actor, RECEIVABLE)
        return {"orders": [{"number": o.number, "supplier": o.supplier_name, "warehouse": o.warehouse,
                            "status": o.status, "lines": o.line_count,
                            "date": format_when(o.created_at, actor.language, self.texts.zone)[5:10]}
                           for o in found]}

    async def order(self, actor: Actor, q: dict[str, Any]) -> Any:
        """One purchase order's lines still to receive."""
        view = await _run(get_purchase_order, self.uow, actor, _text(q, "number"))
        return {"number": view.number, "supplier": view.supplier_name, "warehouse": view.warehouse,
                "status": view.status, "receivable": view.status in RECEIVABLE,
                "lines": [{"sku": ln.sku, "name": _name(actor, ln.name_zh, ln.name_en), "ordered": _plain(ln.qty),
                           "received": _plain(ln.received_qty), "outstanding": _plain(ln.outstanding),
                           "tracking": ln.tracking} for ln in view.lines if ln.outstanding > 0]}

    async def scan(self, actor: Actor, q: dict[str, Any]) -> Any:
        """What a scanned label is: its product and the lot, expiry, production date and serial a GS1 code
        carries (a plain barcode names the product only)."""
        label = await _run(read_label, self.uow, actor, _text(q, "code"))
        return {"sku": label.sku, "name": _name(actor, label.name_zh, label.name_en), "lot": label.lot,
                "expiry": _iso(label.expiry), "produced": _iso(label.produced), "serial": label.serial}

    async def receive(self, actor: Actor, body: dict[str, Any]) -> Any:
        """One goods receipt: per line received and rejected (with a reason); from a photo of the delivery note
        (its sha256 in `picture`) it records the picture, as in chat."""
        picture = _text(body, "picture")
        if picture:
            confirmed = [ConfirmedLine(_text(ln, "sku"), ln.get("received", 0), _text(ln, "written"),
                                       bool(ln.get("learned")), ln.get("rejected", 0), _text(ln, "note"))
                         for ln in _list(body, "lines")]
            done = await _run(receive_from_picture, self.uow, actor, _text(body, "number"), picture,
                              _text(body, "note_number"), confirmed)
        else:
            lines = [ReceiptLineIn(_text(ln, "sku"), ln.get("received", 0), ln.get("rejected", 0),
                                   _text(ln, "note"), lot=_text(ln, "lot") or None,
                                   expiry=_text(ln, "expiry") or None, produced=_text(ln, "produced") or None,
                                   serials=_serials(ln)) for ln in _list(body, "lines")]
            done = await _run(receive_purchase, self.uow, actor, _text(body, "number"), lines)
        return {"order": done.order_number, "receipt": done.receipt_number, "status": done.status,
                "lines": [{"sku": ln.sku, "received": _plain(ln.received), "rejected": _plain(ln.rejected),
                           "outstanding": _plain(ln.outstanding)} for ln in done.lines]}

    async def draft(self, actor: Actor, body: dict[str, Any]) -> Any:
        """A photo of the delivery note read against the order: each row on paper and the line it proposes."""
        if self.reader is None:
            raise Refused(501, "server")
        content = body.get("picture")
        reading = await self.reader.read(content) if isinstance(content, bytes) else Reading("", refused="too_large")
        draft = await _run(draft_receipt, self.uow, actor, _text(body, "number"), reading)
        if isinstance(content, bytes):
            await _run(keep_picture, self.uow, actor, draft.sha256, content)
        return {"picture": draft.sha256, "note_number": draft.note_number, "supplier": draft.note_supplier,
                "lines": [{"row": ln.row, "written": ln.written, "qty": _plain(ln.qty), "unit": ln.unit,
                           "sku": ln.sku, "name": _name(actor, ln.name_zh, ln.name_en) if ln.sku else "",
                           "received": _plain(ln.received), "differs": ln.differs,
                           "expected": None if ln.expected is None else _plain(ln.expected)} for ln in draft.lines]}

    async def open_count(self, actor: Actor, body: dict[str, Any]) -> Any:
        """The warehouse's open count sheet, or a new one."""
        warehouse = _text(body, "warehouse")
        sheet = await _run(open_stocktake, self.uow, actor, warehouse)
        if sheet is not None and sheet.status != "counting":
            raise Refused(409, "count_pending")
        number = sheet.number if sheet else (await _run(start_stocktake, self.uow, actor, warehouse)).number
        report = await _run(stocktake_variances, self.uow, actor, number)
        return {"number": number, "warehouse": report.warehouse,
                "lines": report.counted_lines + report.uncounted_lines}

    async def count_item(self, actor: Actor, q: dict[str, Any]) -> Any:
        """What a scanned code is: its product, or unknown."""
        code = _text(q, "code")
        try:
            item = await _run(item_named, self.uow, code)
        except DomainError:
            return {"code": code, "known": False}
        return {"code": code, "known": True, "sku": item.sku, "name": _name(actor, item.name_zh, item.name_en)}

    async def record_counts(self, actor: Actor, body: dict[str, Any]) -> Any:
        """Record every counted item (a recount replaces the count); how many are counted and how many not."""
        number = _text(body, "number")
        for ln in _list(body, "counts"):
            await _run(count_item, self.uow, actor, number, _text(ln, "sku"), ln.get("qty"))
        report = await _run(stocktake_variances, self.uow, actor, number)
        return {"number": number, "counted": report.counted_lines, "uncounted": report.uncounted_lines}

    async def submit_count(self, actor: Actor, body: dict[str, Any]) -> Any:
        """Submit the sheet: posted, or sent for approval when the difference is large."""
        outcome = await _run(submit_stocktake, self.uow, actor, _text(body, "number"))
        return {"number": outcome.number, "status": outcome.status, "document": outcome.document_number}

    def _source(self, actor: Actor, source: PriceSource) -> str:
        return self.texts.render(actor.language, "price_source", src=source)

    def _day(self, actor: Actor, at: datetime | None) -> str | None:
        return None if at is None else format_day(at, actor.language, self.texts.zone)

    def _money(self, actor: Actor) -> Callable[[Decimal], str]:
        return lambda value: format_money(value, actor.language, self.texts.currency)


async def _run(call: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(call, *args)


def _sales_lines(body: dict[str, Any]) -> list[SalesLineIn]:
    return [SalesLineIn(_text(ln, "sku"), ln.get("qty"), ln.get("price") or None, ln.get("unit") or None,
                        lot=_text(ln, "lot") or None) for ln in _list(body, "lines")]


def _list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    if not isinstance(value, list) or len(value) > MAX_LINES or not all(isinstance(v, dict) for v in value):
        raise Refused(400, "bad_request")
    return value


def _serials(line: dict[str, Any]) -> tuple[str, ...]:
    value = line.get("serials", [])
    if not isinstance(value, list) or len(value) > MAX_SERIALS or not all(isinstance(v, str) for v in value):
        raise Refused(400, "bad_request")
    return tuple(v.strip() for v in value)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key, "")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Refused(400, "bad_request")
    return str(value).strip()[:100]


def _plain(value: Any) -> Any:
    return to_plain(value, short=True)


def _name(actor: Actor, name_zh: str, name_en: str) -> str:
    return (name_en or name_zh) if actor.language == "en" else name_zh


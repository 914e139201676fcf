"""The OpenAPI 3 document of /api/v1, kept next to the routes (bot/api/routes.py).

Paths are written out here; the response objects are the core services' dataclasses, described from their
fields so that the document cannot drift from what the API sends.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from core.approvals import requests
from core.catalog import editing
from core.catalog import listing as api_reads
from core.integration import webhooks
from core.money import billing, deposits, payments, statements
from core.partners import customers, suppliers
from core.partners.records import LANGUAGES
from core.purchasing import orders as purchasing
from core.purchasing import receipt_drafts, receipts, replenishment
from core.purchasing import returns as purchase_returns
from core.reporting import periods, reports
from core.sales import entry as sales_entry
from core.sales import price_lists, price_rules, quotations
from core.sales import views as sales
from core.stock import lots, reversal, stocktake, trace
from core.stock import moves as stock

DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "example": "12.50"}
AMOUNT_IN = {"oneOf": [{"type": "string", "pattern": r"^\s*-?[0-9]{1,12}(\.[0-9]{1,4})?\s*$"}, {"type": "number"}],
             "description": "a plain decimal string (\"1500\", \"2.5\": no thousands separators, no exponent) or a "
                            "JSON number, read exactly as written (never through a binary float)"}
LANGUAGE = {"type": "string", "enum": list(LANGUAGES), "description": "zh_CN (the default) or en"}
MODELS: dict[str, type] = {
    "Product": api_reads.ProductView, "StockRow": api_reads.StockRow, "Warehouse": api_reads.WarehouseView,
    "Supplier": suppliers.SupplierView, "Customer": customers.CustomerView,
    "PurchaseOrderSummary": purchasing.PurchaseOrderSummary, "PurchaseOrder": purchasing.PurchaseOrderView,
    "ReceiptDraft": receipt_drafts.ReceiptDraft, "ProposedLine": receipt_drafts.ProposedLine,
    "OpenLine": receipt_drafts.OpenLine,
    "PurchaseLine": purchasing.PurchaseLineView, "PurchaseReceipt": receipts.PurchaseReceiptView,
    "ReceivedLine": receipts.ReceivedLine, "SalesOrderSummary": sales.SalesOrderSummary,
    "SalesOrder": sales.SalesOrderView, "SalesLine": sales.SalesLineView, "NearExpiry": sales.NearExpiry,
    "StockDocument": stock.Posted,
    "PostedLine": stock.PostedLine, "Period": periods.Period, "Comparison": periods.Comparison,
    "Webhook": webhooks.WebhookView, "NewWebhook": webhooks.IssuedWebhook,
    "PriceRule": price_lists.PriceRuleView, "PriceSource": price_rules.PriceSource,
    "QuotedLine": sales_entry.LineQuote, "Quotation": quotations.QuotationView,
    "QuotationLine": quotations.QuotationLineView, "QuotationSummary": quotations.QuotationSummary,
    "Deposit": deposits.DepositView,
    "StocktakeSheet": stocktake.StocktakeSheet, "Stocktake": stocktake.StocktakeVariances,
    "StocktakeLine": stocktake.VarianceLine, "StocktakeOutcome": stocktake.StocktakeOutcome,
    "Lot": lots.LotStock, "LotTrace": trace.LotTrace, "TraceMove": trace.TraceMove, "TracePartner": trace.TracePartner,
    "ProductDetail": editing.ProductDetail, "PackUnit": editing.PackUnit,
    "PurchaseReturn": purchase_returns.PurchaseReturnView, "ReturnedLine": purchase_returns.ReturnedLine,
    "PartnerBalance": statements.PartnerBalance, "OpenDocument": billing.OpenDocument,
    "UnallocatedPayment": payments.UnallocatedPayment, "MoneyEntry": payments.EntryRecorded,
    "Statement": statements.Statement, "StatementEntry": statements.StatementEntry,
    "Approval": requests.PendingApproval, "Reversal": reversal.Reversal, "ReversedLine": reversal.PostingLine,
}
NAMES = {cls: name for name, cls in MODELS.items()}


def _schema(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return {**_schema(inner[0]), "nullable": True}
    if origin is dict:
        return {"type": "object"}
    if origin in (tuple, list):
        return {"type": "array", "items": _schema(typing.get_args(hint)[0])}
    if hint in NAMES:
        return {"$ref": f"#/components/schemas/{NAMES[hint]}"}
    simple: dict[Any, dict[str, Any]] = {
        str: {"type": "string"}, int: {"type": "integer"}, bool: {"type": "boolean"}, Decimal: DECIMAL,
        datetime: {"type": "string", "format": "date-time"}, date: {"type": "string", "format": "date"}}
    return dict(simple[hint])


def _object(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    return {"type": "object", "required": names, "properties": {n: _schema(hints[n]) for n in names}}


def _named_tuple(cls: type, **overrides: dict[str, Any]) -> dict[str, Any]:
    """A NamedTuple sent as an object of its fields."""
    hints = typing.get_type_hints(cls)
    names = list(cls._fields)  # type: ignore[attr-defined]
    return {"type": "object", "required": names,
            "properties": {n: overrides.get(n) or _schema(hints[n]) for n in names}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(name: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "page", "page_size", "next"], "properties": {
        "items": {"type": "array", "items": _ref(name)}, "page": {"type": "integer"},
        "page_size": {"type": "integer"}, "next": {"type": "string", "nullable": True}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "Malformed JSON, fields or parameters", 401: "Missing, unknown or revoked token",
             403: "The token's role may not do this (permission_denied)", 404: "Not found",
             409: "Not in a state that allows this (invalid_state and similar)",
             413: "The picture is over the size cap (picture_refused)",
             422: "Refused by the rules (validation, stock, idempotency key reused)",
             429: "Rate limit; see Retry-After"}
    out = {str(s): {"description": words[s], **_json(_ref("Error"))} for s in (401, 429, *statuses)}
    out["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return out


PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1}},
    {"name": "page_size", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "description": "Retries with the same key and body get the first answer; another body gets 422.",
               "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,200}$"}}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string", "maxLength": 64}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}


def _get(summary: str, schema: dict[str, Any], params: list[dict[str, Any]], *errors: int) -> dict[str, Any]:
    responses = {"200": {"description": "OK", **_json(schema)}, **_errors(400, 403, 409, 422, *errors)}
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def _post(summary: str, body: dict[str, Any], result: str, params: list[dict[str, Any]] | None = None,
          status: int = 201) -> dict[str, Any]:
    return {"post": {"summary": summary, "parameters": [*(params or []), IDEMPOTENCY],
                     "requestBody": {"required": True, **_json(body)},
                     "responses": {str(status): {"description": "Done", **_json(_ref(result))},
                                   **_errors(400, 403, 404, 409, 422)}}}


def _patch(summary: str, body: dict[str, Any], result: str, name: str) -> dict[str, Any]:
    """A PATCH of the thing the path names: unknown is 404, an empty change 400."""
    return {"patch": _post(summary, body, result, [_path(name)], 200)["post"]}


def _body(required: list[str], **fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": fields}


TEXT = {"type": "string", "maxLength": 500}
CODE = {"type": "string", "maxLength": 40}
SKU = {"type": "string", "maxLength": 64}
FLAG = {"type": "boolean"}
CODE_OUT = {"type": "string"}
UNIT = {"type": "string", "maxLength": 20, "description": "a pack unit of the product (箱, box ...); "
        "the quantity and price are then per pack"}


def _product_fields() -> dict[str, Any]:
    days = {"type": "integer", "minimum": 0, "maximum": 36500, "nullable": True}
    return {
        "name_zh": {"type": "string", "minLength": 1, "maxLength": 200},
        "name_en": {"type": "string", "maxLength": 200},
        "category": {**CODE, "nullable": True, "description": "a category code"},
        "unit": {"type": "string", "maxLength": 20, "description": "the base unit (pcs, 个 ...)"},
        "purchase_price": AMOUNT_IN, "sale_price": AMOUNT_IN, "floor_price": AMOUNT_IN,
        "vat_rate": {**AMOUNT_IN, "nullable": True, "description": "percent, 0 to 100; null: its category's"},
        "barcodes": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 64}},
        "units": {"type": "array", "maxItems": 50, "items": _input(
            ["name", "factor"], name={"type": "string", "maxLength": 20}, factor=AMOUNT_IN),
            "description": "pack units: a box of 12 is {\"name\": \"box\", \"factor\": \"12\"}"},
        "tracking": {"type": "string", "enum": ["none", "lot", "serial"]},
        "shelf_life_days": days, "alert_days": days, "allow_negative": FLAG,
        "spec": {"type": "string", "maxLength": 60, "description": "规格: 500ml, 10寸; \"\" for none"},
    }


def _input(required: list[str], **fields: dict[str, Any]) -> dict[str, Any]:
    """A request object: a field not listed is refused (400), never ignored."""
    return {**_body(required, **fields), "additionalProperties": False}


def _lines(required: list[str], **fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "maxItems": 1000, "items": _input(required, **fields)}


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document served at /api/v1/openapi.json."""
    schemas: dict[str, Any] = {name: _object(cls) for name, cls in MODELS.items()}
    schemas["Error"] = _body(["error"], error=_body(["code", "message"], code={"type": "string"},
                                                      message={"type": "string"}))
    schemas["Report"] = _body(
        ["code", "columns", "rows", "totals", "comparison", "period", "page", "pages", "params", "next"],
        code={"type": "string"}, columns={"type": "array", "items": {"type": "string"}},
        rows={"type": "array", "items": {"type": "array", "items": {}}}, totals={"type": "array", "items": {}},
        comparison={"type": "array", "items": _ref("Comparison")}, period={**_ref("Period"), "nullable": True},
        page={"type": "integer"}, pages={"type": "integer"}, params={"type": "object"},
        next={"type": "string", "nullable": True})
    schemas["Warehouses"] = _body(["items"], items={"type": "array", "items": _ref("Warehouse")})
    schemas["Lots"] = _body(["items"], items={"type": "array", "items": _ref("Lot")})
    schemas["Webhooks"] = _body(["items"], items={"type": "array", "items": _ref("Webhook")})
    schemas["RemovedWebhook"] = _body(["name"], name={"type": "string"})
    schemas["PriceRules"] = _body(["rules"], rules={"type": "array", "items": _ref("PriceRule")})
    schemas["PriceGrade"] = _body(["customer", "grade"], customer={"type": "string"},
                                  grade={"type": "string", "nullable": True})
    schemas["RemovedPriceRule"] = _body(["id"], id={"type": "integer"})
    schemas["ProductSpec"] = _body(["sku", "spec"], sku={"type": "string"}, spec={"type": "string"})
    schemas["Deposits"] = _body(["items"], items={"type": "array", "items": _ref("Deposit")})
    schemas["VatRate"] = _body(["code", "rate"], code={"type": "string"}, rate={**DECIMAL, "nullable": True})
    schemas["SalesQuote"] = _body(["lines", "total"], total=DECIMAL, lines={"type": "array", "items": {"allOf": [
        _ref("QuotedLine"), _body(["source_text"], source_text={
            "type": "string", "description": "the source in words (\"VIP 价，10 件起\" / \"VIP price, from 10\")"})]}})
    lines_out = _lines(["sku", "qty"], sku=SKU, qty=AMOUNT_IN, unit=UNIT, unit_price=AMOUNT_IN)
    counted = _lines(["sku", "qty"], sku=SKU, qty=AMOUNT_IN, unit=UNIT)
    paths: dict[str, Any] = {
        "/products": _get("Products by SKU, optionally matching a search", _page("Product"),
                          [_query("search", "SKU, barcode or part of a name"), *PAGING]),
        "/products/{sku}": _get("One product", _ref("Product"), [_path("sku")], 404),
        "/stock": _get("Stock per product and warehouse", _page("StockRow"),
                       [_query("sku", "one SKU"), _query("warehouse", "one warehouse code"), *PAGING]),
        "/warehouses": _get("Warehouses", _ref("Warehouses"), []),
        "/lots": _get("A product's lots with on hand, reserved and expiry, nearest expiry first", _ref("Lots"),
                      [_query("sku", "the product's SKU (required)"), _query("warehouse", "one warehouse code")], 404),
        "/lots/{sku}/{lot}/trace": _get("A lot's or serial's trace: movements with documents, suppliers, customers",
                                        _ref("LotTrace"), [_path("sku"), _path("lot")], 404),
        "/suppliers": {
            **_get("Suppliers", _page("Supplier"), [_query("search", "code or part of a name"), *PAGING]),
            **_post("Add a supplier", _input(
                ["code", "name"], code=CODE, name={"type": "string", "maxLength": 200}, contact=TEXT, phone=TEXT,
                credit_rating=TEXT, lead_time_days=AMOUNT_IN, payment_terms_days=AMOUNT_IN, note=TEXT), "Supplier"),
        },
        "/customers": {
            **_get("Customers the token may see", _page("Customer"),
                   [_query("search", "code or part of a name"), *PAGING]),
            **_post("Add a customer (owned by the token's employee)", _input(
                ["code", "name"], code=CODE, name={"type": "string", "maxLength": 200}, contact=TEXT, phone=TEXT,
                channel=CODE, credit_limit=AMOUNT_IN, payment_terms_days=AMOUNT_IN, note=TEXT, language=LANGUAGE),
                "Customer"),
        },
        "/customers/{code}/language": _post(
            "The language a customer's documents (delivery notes, quotations, statements) print in",
            _input(["language"], language=LANGUAGE), "Customer", [_path("code")], 200),
        "/purchase-orders": {
            **_get("Purchase orders, newest first", _page("PurchaseOrderSummary"),
                   [_query("status", "draft, pending_approval, approved, ..."), *PAGING]),
            **_post("Create and submit a purchase order", _input(
                ["supplier", "warehouse", "lines"], supplier=CODE, warehouse=CODE, note=TEXT, lines=lines_out),
                "PurchaseOrder"),
        },
        "/purchase-orders/{number}": _get("One purchase order", _ref("PurchaseOrder"), [_path("number")], 404),
        "/purchase-orders/{number}/receipts": _post("Receive goods against an approved order", _input(
            ["lines"], note=TEXT, lines=_lines(
                ["sku", "received"], sku={"type": "string", "maxLength": 120,
                                          "description": "SKU, barcode, or a GS1 scan carrying lot and expiry"},
                received=AMOUNT_IN, rejected=AMOUNT_IN, note=TEXT,
                lot={"type": "string", "maxLength": 64, "description": "the lot of a lot-tracked product"},
                expiry={"type": "string", "format": "date"},
                produced={"type": "string", "format": "date",
                          "description": "with the product's shelf life, gives the expiry when none is given"},
                serials={"type": "array", "items": {"type": "string", "maxLength": 64},
                         "description": "serial-tracked products: one per unit received"})),
            "PurchaseReceipt", [_path("number")]),
        "/purchase-orders/{number}/receipt-drafts": {"post": {
            "summary": "The receipt lines a photo of the supplier's delivery note proposes against the order's open "
                       "lines (expected and on paper); nothing is received",
            "parameters": [_path("number")],
            "requestBody": {"required": True, "content": {f"image/{kind}": {"schema": {
                "type": "string", "format": "binary"}} for kind in ("jpeg", "png", "webp")}},
            "responses": {"200": {"description": "Proposed", **_json(_ref("ReceiptDraft"))},
                          **_errors(403, 404, 409, 413, 422)}}},
        "/purchase-orders/{number}/withdraw": _post(
            "Withdraw a submitted order back to a draft (its author only; pending approval, or approved before any "
            "goods arrived)", _input([], reason=TEXT), "PurchaseOrder", [_path("number")], 200),
        "/sales-orders": {
            **_get("Sales orders the token may see, newest first", _page("SalesOrderSummary"),
                   [_query("status", "draft, pending_approval, approved, ..."), *PAGING]),
            **_post("Create and submit a sales order (channel defaults to api)", _input(
                ["customer", "warehouse", "lines"], customer=CODE, warehouse=CODE, channel=CODE, note=TEXT,
                lines=lines_out), "SalesOrder"),
        },
        "/sales-orders/{number}": _get("One sales order", _ref("SalesOrder"), [_path("number")], 404),
        "/sales-orders/quote": _post(
            "Price lines for a customer as an order would (its price list: the most specific rule, else the list "
            "price), with each price's source and the last price this customer paid; nothing is written",
            _input(["customer", "warehouse", "lines"], customer=CODE, warehouse=CODE, lines=lines_out),
            "SalesQuote", status=200),
        "/price-rules": {
            **_get("Price rules, newest first (admins and managers)", _page("PriceRule"), [
                _query("grade", "a price grade"), _query("customer", "a customer code"), _query("product", "a SKU"),
                _query("of", "a grade, customer code, SKU or category code"), *PAGING]),
            **_post("Add price rules, all or none (admins and managers)", _input(["rules"], rules={
                "type": "array", "minItems": 1, "maxItems": 1000, "items": _input(
                    ["method", "value"], method={"type": "string", "enum": ["fixed", "percent", "cost_plus"]},
                    value={**AMOUNT_IN, "description": "fixed: the price per base unit; percent: of the list price; "
                                                       "cost_plus: the margin over cost, in percent"},
                    grade={"type": "string", "maxLength": 20}, customer=CODE, product=SKU, category=CODE,
                    min_qty=AMOUNT_IN, valid_from={"type": "string", "format": "date"},
                    valid_to={"type": "string", "format": "date"})}), "PriceRules"),
        },
        "/price-rules/{rule_id}": {"delete": {
            "summary": "Remove a price rule (admins and managers)",
            "parameters": [{"name": "rule_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "Removed", **_json(_ref("RemovedPriceRule"))},
                          **_errors(400, 403, 404)}}},
        "/quotations": {
            **_get("Quotations the token may see, newest first: open and still valid, or all (status=all)",
                   _page("QuotationSummary"), [_query("customer", "a customer code"),
                                               {"name": "status", "in": "query",
                                                "schema": {"type": "string", "enum": ["open", "all"]}}, *PAGING]),
            **_post("Write a quotation priced at the customer's price list, valid until a day (two weeks when "
                    "not given)", _input(["customer", "warehouse", "lines"], customer=CODE, warehouse=CODE,
                                         valid_until={"type": "string", "format": "date"}, note=TEXT,
                                         lines=lines_out), "Quotation"),
        },
        "/quotations/{number}": _get("One quotation", _ref("Quotation"), [_path("number")], 404),
        "/quotations/{number}/order": _post(
            "Turn a valid quotation into a submitted sales order at the quoted prices (expired: 409)", _input([]),
            "SalesOrder", [_path("number")]),
        "/quotations/{number}/cancel": _post("Cancel an open quotation", _input([]), "Quotation",
                                             [_path("number")], 200),
        "/deposits": {
            **_get("An order's deposits (money staff)", _ref("Deposits"), [
                {"name": "order", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 40}}],
                404),
            **_post("Record a deposit (订金) paid against a sales (SO-) or purchase (PO-) order; it is set against "
                    "what the order bills as it ships or is received", _input(
                        ["order", "amount"], order=CODE, amount=AMOUNT_IN, method={"type": "string", "maxLength": 20},
                        note=TEXT), "Deposit"),
        },
        "/deposits/settle": _post(
            "On a cancelled (rejected, closed) order, refund or forfeit what is left of its deposits, with a reason",
            _input(["order", "action", "reason"], order=CODE, action={"type": "string", "enum": ["refund", "forfeit"]},
                   reason={"type": "string", "minLength": 1, "maxLength": 500},
                   method={"type": "string", "maxLength": 20}), "Deposits", status=200),
        "/vat-rates": _post(
            "Set the VAT rate (percent, 0 to 100) of a product by SKU, else a category by code; null: none of its "
            "own (catalogue editors)", _input(["code", "rate"], code=SKU, rate={**AMOUNT_IN, "nullable": True}),
            "VatRate", status=200),
        "/products/{sku}/spec": _post(
            "Set a product's spec (规格, e.g. 500ml; empty for none), shown on its card, labels and documents "
            "(catalogue editors)", _input(["spec"], spec={"type": "string", "maxLength": 60}), "ProductSpec",
            [_path("sku")], 200),
        "/customers/{code}/price-grade": _post(
            "Put a customer in a price grade (零售, 批发, VIP, 经销商 ...), or in none with null (admins, managers)",
            _input(["grade"], grade={"type": "string", "maxLength": 20, "nullable": True}), "PriceGrade",
            [_path("code")], 200),
        "/reports/{name}": _get("A report (as in chat and `jxc report`), a page at a time", _ref("Report"), [
            {"name": "name", "in": "path", "required": True,
             "schema": {"type": "string", "enum": list(reports.REPORTS)}},
            _query("month", "YYYY-MM"), _query("from", "YYYY-MM-DD"), _query("to", "YYYY-MM-DD"),
            _query("warehouse", "warehouse code"), _query("category", "category code"),
            _query("customer", "customer code"), _query("supplier", "supplier code"), _query("channel", "channel"),
            _query("product", "SKU"), _query("by", "dimensions, comma-separated (e.g. product,month)"),
            {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 3650}},
            *PAGING], 404),
        "/sales-orders/{number}/approve": _post("Approve the pending approval level", _input([], reason=TEXT),
                                                "SalesOrder", [_path("number")], 200),
        "/sales-orders/{number}/reject": _post("Reject the order, with a reason", _input(
            ["reason"], reason={"type": "string", "minLength": 1, "maxLength": 500}), "SalesOrder",
            [_path("number")], 200),
        "/sales-orders/{number}/withdraw": _post(
            "Withdraw the order before it is approved (its author only): a draft again, its approval cancelled",
            _input([]), "SalesOrder", [_path("number")], 200),
        "/sales-orders/{number}/shipments": _post(
            "Ship reserved goods (all, or the lines given); tracked products first-expired-first-out unless a line "
            "names its lot or serials", _input([], lines=_lines(
                ["sku", "qty"], sku=SKU, qty=AMOUNT_IN, unit=UNIT,
                lot={"type": "string", "maxLength": 64, "description": "ship this lot"},
                serials={"type": "array", "items": {"type": "string", "maxLength": 64},
                         "description": "ship these serial numbers, one per unit"})),
            "SalesOrder", [_path("number")]),
        "/transfers": _post("Dispatch a transfer between warehouses", _input(
            ["from_warehouse", "to_warehouse", "lines"], from_warehouse=CODE, to_warehouse=CODE, reason=TEXT,
            lines=counted), "StockDocument"),
        "/stocktakes": _post("Open a count sheet of a warehouse (or a category of it): a line per product on hand, "
                             "a tracked product's a line per lot", _input(
                                 ["warehouse"], warehouse=CODE, category=CODE,
                                 uncounted={"type": "string", "enum": ["unchanged", "zero"],
                                            "description": "what submitting does to lines not counted"}),
                             "StocktakeSheet"),
        "/stocktakes/{number}": _get("A count sheet: expected, book and counted per line (per lot of a tracked "
                                     "product), variances valued for cost viewers", _ref("Stocktake"),
                                     [_path("number")], 404),
        "/stocktakes/{number}/counts": _post(
            "Record counts, all or none: a recount replaces (with add, adds); a tracked product names its lot (a "
            "lot unknown to the books is recorded with its expiry) or lists its serials (those on the sheet not "
            "listed are missing)", _input(["lines"], add={"type": "boolean"}, lines=_lines(
                ["sku", "qty"], sku={"type": "string", "maxLength": 120,
                                     "description": "SKU, barcode, or a GS1 scan carrying lot and expiry"},
                qty=AMOUNT_IN, unit=UNIT, lot={"type": "string", "maxLength": 64},
                expiry={"type": "string", "format": "date"},
                serials={"type": "array", "items": {"type": "string", "maxLength": 64},
                         "description": "serial-tracked products: every serial counted, one per unit"})),
            "Stocktake", [_path("number")], 200),
        "/stocktakes/{number}/submit": _post(
            "Finish counting: the adjustment posts per lot at once, or waits for approval above the threshold",
            _input([], reason=TEXT), "StocktakeOutcome", [_path("number")], 200),
        "/webhooks": {
            **_get("Webhook endpoints, without their secrets (admins)", _ref("Webhooks"), []),
            **_post("Add a webhook endpoint (admins); the signing secret is in this answer only", _input(
                ["name", "url", "events"], name={"type": "string", "maxLength": 100},
                url={"type": "string", "maxLength": 500},
                events={"type": "array", "items": {"type": "string", "enum": list(webhooks.EVENTS)}}),
                "NewWebhook"),
        },
        "/webhooks/{name}": {"delete": {
            "summary": "Remove a webhook endpoint and its waiting deliveries (admins)",
            "parameters": [{"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string", "maxLength": 100}}],
            "responses": {"200": {"description": "Removed", **_json(_ref("RemovedWebhook"))},
                          **_errors(400, 403, 404)}}},
        "/transfers/{number}/receipts": _post("Receive a transfer (all outstanding, or the lines given)", _input(
            [], lines=counted), "StockDocument", [_path("number")]),
        "/documents/{number}.pdf": {"get": {
            "summary": "A document as PDF, as the token's role may read it (no cost for sales): SO- (delivery note), "
                       "SH- (dispatch note), QT- (quotation), PO-, GR- (goods received), SC- (stocktake sheet), or "
                       "customer:CODE / supplier:CODE (statement of month, or from/to; default this month); a "
                       "customer's documents are in the customer's language unless lang is given",
            "parameters": [
                {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 60}},
                {"name": "layout", "in": "query", "schema": {"type": "string", "enum": ["a4", "80mm"]}},
                {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh_CN", "en"]},
                 "description": "language of the document (default: Accept-Language)"},
                _query("month", "statement: YYYY-MM"), _query("from", "statement: YYYY-MM-DD"),
                _query("to", "statement: YYYY-MM-DD")],
            "responses": {"200": {"description": "The PDF",
                                  "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                          **_errors(400, 403, 404),
                          "503": {"description": "No font with Chinese glyphs on the server (font_missing)",
                                  **_json(_ref("Error"))}}}},
        "/labels.pdf": {"get": {
            "summary": "Product (or shelf) labels as PDF, as `jxc labels` prints them: A4 sheets of 3 x 8 or single "
                       "50 x 30 mm labels, each with name, spec, price, barcode and a QR link to the item card",
            "parameters": [
                {"name": "sku", "in": "query", "required": True, "style": "form", "explode": True,
                 "schema": {"type": "array", "minItems": 1, "maxItems": 50,
                            "items": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[^,\s]+$"}},
                 "description": "SKU, barcode or name of each item (repeat it, or comma-separated)"},
                {"name": "layout", "in": "query", "schema": {"type": "string", "enum": ["a4", "50x30"]}},
                {"name": "shelf", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]},
                 "description": "1: shelf labels (large price)"},
                {"name": "copies", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh_CN", "en"]},
                 "description": "language of the labels (default: Accept-Language)"}],
            "responses": {"200": {"description": "The PDF",
                                  "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                          **_errors(400, 403, 404),
                          "503": {"description": "No font with Chinese glyphs on the server (font_missing)",
                                  **_json(_ref("Error"))}}}},
    }
    paths["/products"] = {**paths["/products"], **_post(
        "Add a product with its barcodes, pack units (box of 12 ...), prices, category, VAT rate and tracking "
        "(catalogue editors: admins, managers, purchasers)", _input(["sku", "name_zh"], **_product_fields(),
                                                                    sku={**SKU, "maxLength": 40}), "ProductDetail")}
    paths["/products/{sku}"] = {
        **_get("One product with its category, floor price, VAT rate, pack units and tracking (the purchase price "
               "only for roles that see cost)", _ref("ProductDetail"), [_path("sku")], 404),
        **_patch(
            "Change the fields given of a product: barcodes and units replace its own; null category, vat_rate, "
            "shelf_life_days or alert_days: none of its own (catalogue editors; sale and floor price: admins and "
            "managers; purchase price: roles that see cost)", _input([], **_product_fields(), active=FLAG),
            "ProductDetail", "sku"),
    }
    paths["/customers/{code}"] = _patch(
        "Change the fields given of a customer (its salesperson, or those who see every customer; the owning "
        "salesperson: those who see every customer)", _input(
            [], name={"type": "string", "minLength": 1, "maxLength": 200}, contact=TEXT, phone=TEXT, channel=CODE,
            note=TEXT, credit_limit=AMOUNT_IN, payment_terms_days=AMOUNT_IN, active=FLAG,
            salesperson={"type": "string", "maxLength": 100, "nullable": True}), "Customer", "code")
    paths["/suppliers/{code}"] = _patch(
        "Change the fields given of a supplier (supplier editors)", _input(
            [], name={"type": "string", "minLength": 1, "maxLength": 200}, contact=TEXT, phone=TEXT,
            credit_rating={"type": "string", "maxLength": 10}, note=TEXT, lead_time_days=AMOUNT_IN,
            payment_terms_days=AMOUNT_IN, active=FLAG), "Supplier", "code")
    schemas["Payment"] = _body(
        ["number", "partner_kind", "partner", "amount", "allocations", "unallocated"], number=CODE_OUT,
        partner_kind={"type": "string", "enum": ["customer", "supplier"]}, partner=CODE_OUT, amount=DECIMAL,
        allocations={"type": "array", "items": _body(["order", "amount"], order=CODE_OUT, amount=DECIMAL)},
        unallocated=DECIMAL)
    allocations = {"type": "array", "maxItems": 500, "items": _input(["order", "amount"], order=CODE, amount=AMOUNT_IN),
                   "description": "the orders (SO- for a customer, PO- for a supplier) and how much of each; "
                                  "left out: the oldest open orders first; []: none"}
    reason = {"type": "string", "minLength": 1, "maxLength": 500}
    schemas["SuggestionReason"] = _named_tuple(replenishment.Reason)
    schemas["Suggestion"] = _named_tuple(replenishment.Suggestion, reason=_ref("SuggestionReason"))
    schemas["ReplenishmentOrders"] = _body(["orders", "skipped"], orders={"type": "array",
                                                                          "items": _ref("PurchaseOrder")},
                                           skipped={"type": "array", "items": {"type": "string"}})
    reason_out = _input([], reason=TEXT)
    stock_lines = {"warehouse": CODE, "reason": TEXT}
    period = [_query("month", "YYYY-MM"), _query("from", "YYYY-MM-DD"), _query("to", "YYYY-MM-DD")]
    paths.update({
        "/approvals": _get("The approval requests the token may decide now, oldest first, with the summary the "
                           "approver sees", _body(["items"], items={"type": "array", "items": _ref("Approval")}), []),
        "/replenishment": _get(
            "What to order for every reorder rule below its minimum (in the token's warehouses), with the reason "
            "in numbers", _page("Suggestion"), [_query("warehouse", "one warehouse code"), *PAGING], 404),
        "/replenishment/orders": _post(
            "Turn the suggestions (all, or those of the SKUs given) into draft purchase orders, one per supplier and "
            "warehouse; products without a supplier are skipped and named", _input(
                [], warehouse=CODE, skus={"type": "array", "maxItems": 1000, "items": SKU}), "ReplenishmentOrders"),
        "/sales-orders/{number}/cancel": _post(
            "Cancel an order before its first shipment (the reservation released, a pending approval withdrawn)",
            reason_out, "SalesOrder", [_path("number")], 200),
        "/purchase-orders/{number}/cancel": _post(
            "Cancel an order before anything is received (a pending approval withdrawn)", reason_out,
            "PurchaseOrder", [_path("number")], 200),
        "/purchase-orders/{number}/close": _post(
            "Close a (partly) received order: what has not come will not come", reason_out, "PurchaseOrder",
            [_path("number")], 200),
        "/stock/receipts": _post(
            "Receive goods into a warehouse outside a purchase order, at their unit cost (default: the purchase "
            "price)", _input(["warehouse", "lines"], **stock_lines, lines=_lines(
                ["sku", "qty"], sku={"type": "string", "maxLength": 120}, qty=AMOUNT_IN, unit=UNIT,
                unit_cost=AMOUNT_IN, lot={"type": "string", "maxLength": 64},
                expiry={"type": "string", "format": "date"})), "StockDocument"),
        "/stock/issues": _post(
            "Issue goods out of a warehouse outside a sales order, at its average cost (never below zero)",
            _input(["warehouse", "lines"], **stock_lines, lines=_lines(
                ["sku", "qty"], sku={"type": "string", "maxLength": 120}, qty=AMOUNT_IN, unit=UNIT,
                lot={"type": "string", "maxLength": 64})), "StockDocument"),
        "/stock-documents/{number}/reverse": _post(
            "Undo the token's own recent posting (within the undo window) with a mirror document (RV-)",
            _input([]), "Reversal", [_path("number")]),
        "/purchase-orders/{number}/approve": _post(
            "Approve the pending approval level (its role, another person than the author, each level by someone "
            "else)", _input([], reason=TEXT), "PurchaseOrder", [_path("number")], 200),
        "/purchase-orders/{number}/reject": _post("Reject the order, with a reason", _input(
            ["reason"], reason=reason), "PurchaseOrder", [_path("number")], 200),
        "/purchase-orders/{number}/returns": _post(
            "Return received goods to the supplier, at the order's price, never more than received less returned",
            _input(["reason", "lines"], reason=reason, lines=_lines(["sku", "qty"], sku=SKU, qty=AMOUNT_IN)),
            "PurchaseReturn", [_path("number")]),
        "/sales-orders/{number}/returns": _post(
            "Take goods the customer returns back into stock at the cost they left with, never more than shipped "
            "less returned", _input(["reason", "lines"], reason=reason, lines=counted), "SalesOrder",
            [_path("number")]),
        "/payments": _post(
            "Record money received from a customer or paid to a supplier (money staff), set against the orders "
            "given or the oldest open ones", _input(
                ["partner_kind", "partner", "amount"], partner=CODE,
                partner_kind={"type": "string", "enum": ["customer", "supplier"]}, amount=AMOUNT_IN,
                method={"type": "string", "maxLength": 20}, note=TEXT,
                allocations=allocations), "Payment"),
        "/money-entries": _post(
            "Record other income (in: interest, scrap sales ...) or an expense (out: freight, rent, wages ...) "
            "(money staff)", _input(["direction", "category", "amount"],
                                    direction={"type": "string", "enum": ["in", "out"]},
                                    category={"type": "string", "minLength": 1, "maxLength": 30}, amount=AMOUNT_IN,
                                    method={"type": "string", "maxLength": 20}, note=TEXT), "MoneyEntry"),
        "/payments/{number}/allocations": _post(
            "Set what is left of a payment against orders, as given or the oldest open first (not deposits)",
            _input([], allocations=allocations), "Payment", [_path("number")], 200),
        "/payments/unallocated": _get(
            "Payments with money not yet set against an order, oldest first (money staff)",
            _page("UnallocatedPayment"), [{"name": "partner_kind", "in": "query",
                                           "schema": {"type": "string", "enum": ["customer", "supplier"]}},
                                          _query("partner", "a customer or supplier code (with partner_kind)"),
                                          *PAGING], 404),
        "/customers/{code}/balance": _get("What a customer owes: billed, paid, unallocated, and the open orders "
                                          "(money staff)", _ref("PartnerBalance"), [_path("code")], 404),
        "/customers/{code}/statement": _get(
            "A customer's statement (对账单) for a month or from/to (this month by default): opening balance, every "
            "shipment, return and payment with the running balance, closing (money staff)", _ref("Statement"),
            [_path("code"), *period], 404),
        "/suppliers/{code}/statement": _get(
            "A supplier's statement for a month or from/to (this month by default), as a customer's (money staff)",
            _ref("Statement"), [_path("code"), *period], 404),
        "/suppliers/{code}/balance": _get("What we owe a supplier: billed, paid, unallocated, and the open orders "
                                          "(money staff)", _ref("PartnerBalance"), [_path("code")], 404),
    })
    return {
        "openapi": "3.0.3",
        "info": {"title": "jxc API", "version": "1.0.0",
                 "description": "Inventory, purchasing and sales. Decimals are strings; errors are "
                                "{\"error\": {\"code\", \"message\"}} (English, or zh_CN via Accept-Language)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }

"""Every table of jxc, importable from one place so that metadata is complete."""

from core.models.api import ApiToken, IdempotencyRecord
from core.models.approvals import ApprovalDecision, ApprovalRequest, ApprovalRule
from core.models.audit import AuditLog
from core.models.base import Base, Money, Qty, ScaledDecimal, UnitCost, UTCDateTime, utcnow
from core.models.catalog import Category, Product, ProductBarcode, ProductUnit, Warehouse
from core.models.messaging import (
    AccessCode,
    ChannelValue,
    ChatAccount,
    Conversation,
    InboundFile,
    InboxMessage,
    WebSession,
)
from core.models.money import DEPOSIT_STATUSES, PARTNER_KINDS, MoneyEntry, OrderDeposit, Payment, PaymentAllocation
from core.models.outbox import Notification, SchedulerLease, SentMessage
from core.models.partners import Customer, Supplier
from core.models.people import ROLES, Employee, EmployeeRole, EmployeeWarehouse
from core.models.pricing import PRICE_METHODS, QUOTATION_STATUSES, PriceRule, Quotation, QuotationLine
from core.models.purchasing import PO_STATUSES, PurchaseOrder, PurchaseOrderLine, PurchaseReceiptLine
from core.models.reading import DocumentPicture, PartnerItemAlias, PictureFile
from core.models.replenishment import ReorderRule
from core.models.sales import SO_STATUSES, SalesOrder, SalesOrderLine
from core.models.saved_reports import ReportSchedule, SavedReport
from core.models.stock import DocumentSequence, Lot, LotLevel, StockDocument, StockLevel, StockMove
from core.models.stocktake import Stocktake, StocktakeLine
from core.models.transfers import TransferDiscrepancy
from core.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "DEPOSIT_STATUSES",
    "PARTNER_KINDS",
    "PO_STATUSES",
    "PRICE_METHODS",
    "QUOTATION_STATUSES",
    "ROLES",
    "SO_STATUSES",
    "AccessCode",
    "ApiToken",
    "ApprovalDecision",
    "ApprovalRequest",
    "ApprovalRule",
    "AuditLog",
    "Base",
    "Category",
    "ChannelValue",
    "ChatAccount",
    "Conversation",
    "Customer",
    "DocumentPicture",
    "DocumentSequence",
    "Employee",
    "EmployeeRole",
    "EmployeeWarehouse",
    "IdempotencyRecord",
    "InboundFile",
    "InboxMessage",
    "Lot",
    "LotLevel",
    "Money",
    "MoneyEntry",
    "Notification",
    "OrderDeposit",
    "PartnerItemAlias",
    "Payment",
    "PaymentAllocation",
    "PictureFile",
    "PriceRule",
    "Product",
    "ProductBarcode",
    "ProductUnit",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseReceiptLine",
    "Qty",
    "Quotation",
    "QuotationLine",
    "ReorderRule",
    "ReportSchedule",
    "SalesOrder",
    "SalesOrderLine",
    "SavedReport",
    "ScaledDecimal",
    "SchedulerLease",
    "SentMessage",
    "StockDocument",
    "StockLevel",
    "StockMove",
    "Stocktake",
    "StocktakeLine",
    "Supplier",
    "TransferDiscrepancy",
    "UTCDateTime",
    "UnitCost",
    "Warehouse",
    "WebSession",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]

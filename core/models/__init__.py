"""Every table of jxc, importable from one place so that metadata is complete."""

from core.models.audit import AuditLog
from core.models.base import Base, Money, Qty, ScaledDecimal, UnitCost, UTCDateTime, utcnow
from core.models.catalog import Category, Product, ProductBarcode, ProductUnit, Warehouse
from core.models.partners import Customer, Supplier
from core.models.people import ROLES, Employee, EmployeeRole, EmployeeWarehouse
from core.models.purchasing import PO_STATUSES, PurchaseOrder, PurchaseOrderLine, PurchaseReceiptLine
from core.models.stock import DocumentSequence, StockDocument, StockLevel, StockMove

__all__ = [
    "PO_STATUSES",
    "ROLES",
    "AuditLog",
    "Base",
    "Category",
    "Customer",
    "DocumentSequence",
    "Employee",
    "EmployeeRole",
    "EmployeeWarehouse",
    "Money",
    "Product",
    "ProductBarcode",
    "ProductUnit",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseReceiptLine",
    "Qty",
    "ScaledDecimal",
    "StockDocument",
    "StockLevel",
    "StockMove",
    "Supplier",
    "UTCDateTime",
    "UnitCost",
    "Warehouse",
    "utcnow",
]

"""Who may do what: roles grant permissions, deny by default, warehouse staff only in their warehouses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import PermissionDenied


class Permission(StrEnum):
    STOCK_VIEW = "stock.view"
    COST_VIEW = "cost.view"
    STOCK_RECEIVE = "stock.receive"
    STOCK_ISSUE = "stock.issue"
    STOCK_ADJUST = "stock.adjust"
    STOCK_TRANSFER = "stock.transfer"
    STOCK_RESERVE = "stock.reserve"
    CATALOG_EDIT = "catalog.edit"
    PEOPLE_ADMIN = "people.admin"
    LEDGER_CHECK = "ledger.check"
    PARTNER_VIEW = "partner.view"
    SUPPLIER_EDIT = "supplier.edit"
    CUSTOMER_EDIT = "customer.edit"
    PURCHASE_VIEW = "purchase.view"
    PURCHASE_CREATE = "purchase.create"
    PURCHASE_RECEIVE = "purchase.receive"
    PURCHASE_RETURN = "purchase.return"
    OVER_RECEIPT_APPROVE = "purchase.over_receipt"
    EXPIRED_RELEASE = "stock.release_expired"  # ship or issue a lot past its expiry (named, with a reason)
    SALES_VIEW_OWN = "sales.view_own"
    SALES_VIEW_ALL = "sales.view_all"
    SALES_CREATE = "sales.create"
    SALES_SHIP = "sales.ship"
    SALES_RETURN = "sales.return"
    STOCKTAKE_COUNT = "stocktake.count"
    STOCKTAKE_POST = "stocktake.post"
    APPROVAL_RULES_EDIT = "approval.rules"
    REPLENISH = "replenish"
    MONEY_VIEW = "money.view"
    MONEY_RECORD = "money.record"
    PROFIT_VIEW = "profit.view"
    REPORT_MANAGE = "report.manage"
    PRICES_EDIT = "prices.edit"


P = Permission
STOCK_WORK = frozenset({P.STOCK_VIEW, P.STOCK_RECEIVE, P.STOCK_ISSUE, P.STOCK_ADJUST, P.STOCK_TRANSFER,
                        P.STOCK_RESERVE})
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "manager": frozenset(Permission) - {P.PEOPLE_ADMIN},
    "purchaser": frozenset(
        {P.STOCK_VIEW, P.COST_VIEW, P.CATALOG_EDIT, P.PARTNER_VIEW, P.SUPPLIER_EDIT, P.PURCHASE_VIEW,
         P.PURCHASE_CREATE, P.PURCHASE_RETURN, P.REPLENISH}
    ),
    "sales": frozenset(
        {P.STOCK_VIEW, P.STOCK_RESERVE, P.PARTNER_VIEW, P.CUSTOMER_EDIT, P.SALES_VIEW_OWN, P.SALES_CREATE,
         P.SALES_RETURN}
    ),
    "warehouse": STOCK_WORK | {P.PURCHASE_VIEW, P.PURCHASE_RECEIVE, P.SALES_VIEW_ALL, P.SALES_SHIP,
                               P.STOCKTAKE_COUNT},
    "finance": frozenset(
        {P.STOCK_VIEW, P.COST_VIEW, P.LEDGER_CHECK, P.PARTNER_VIEW, P.PURCHASE_VIEW, P.SALES_VIEW_OWN,
         P.SALES_VIEW_ALL, P.MONEY_VIEW, P.MONEY_RECORD, P.PROFIT_VIEW}
    ),
}
ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)
WAREHOUSE_SCOPED_ROLES = frozenset({"warehouse"})


@dataclass(frozen=True)
class Actor:
    """The acting employee as services see them: roles, assigned warehouses, and where the request came from."""

    employee_id: int
    name: str
    roles: frozenset[str]
    warehouse_ids: frozenset[int] = field(default_factory=frozenset)
    language: str = "zh_CN"
    channel: str = "cli"
    message_id: str | None = None

    def can(self, permission: Permission, warehouse_id: int | None = None) -> bool:
        """True when some role grants `permission`, in `warehouse_id` when the role is warehouse-scoped."""
        for role in self.roles:
            if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
                continue
            if role not in WAREHOUSE_SCOPED_ROLES or warehouse_id is None:
                return True
            if warehouse_id in self.warehouse_ids:
                return True
        return False

    def warehouse_scope(self, permission: Permission) -> frozenset[int] | None:
        """The warehouses in which the actor holds `permission`: None for all of them (a role not scoped grants it),
        else the assigned warehouses of the warehouse-scoped roles that grant it (empty when none does)."""
        scope: frozenset[int] = frozenset()
        for role in self.roles:
            if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
                continue
            if role not in WAREHOUSE_SCOPED_ROLES:
                return None
            scope |= self.warehouse_ids
        return scope

    def require(self, permission: Permission, warehouse_id: int | None = None) -> None:
        """Raise PermissionDenied unless the actor holds `permission` (in that warehouse)."""
        if not self.can(permission, warehouse_id):
            raise PermissionDenied(
                employee=self.name, permission=permission.value, warehouse_id=warehouse_id
            )

    def with_channel(self, channel: str, message_id: str | None = None) -> Actor:
        """The same employee acting through another channel or message."""
        return Actor(self.employee_id, self.name, self.roles, self.warehouse_ids, self.language,
                     channel, message_id)

"""Domain errors: a stable code plus the values a message template needs."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user can understand; templates turn `code` into words."""

    code = "domain_error"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.code}: {params}")


class InvalidQuantity(DomainError):
    code = "invalid_quantity"


class InvalidAmount(DomainError):
    code = "invalid_amount"


class AmountTooLarge(DomainError):
    """A line's amount or a document's total at or beyond what the books hold (core.numbers.LIMIT)."""

    code = "amount_too_large"


class UnknownProduct(DomainError):
    """No product is what was given; `nearest` (when given) holds the closest ones as `ItemChoice`s."""

    code = "unknown_product"


class AmbiguousProduct(DomainError):
    """What was given names several products (`choices`, `ItemChoice`s): the person picks one."""

    code = "ambiguous_product"


class InactiveProduct(DomainError):
    code = "inactive_product"


class UnknownWarehouse(DomainError):
    code = "unknown_warehouse"


class UnknownEmployee(DomainError):
    code = "unknown_employee"


class UnknownDocument(DomainError):
    code = "unknown_document"


class OutOfStock(DomainError):
    code = "out_of_stock"


class LotRefused(DomainError):
    """A lot or serial number rule refused the line; `reason` says which (serial_twice, lot_required, ...)."""

    code = "lot_refused"


class OverRelease(DomainError):
    code = "over_release"


class AlreadyPosted(DomainError):
    code = "already_posted"


class PermissionDenied(DomainError):
    code = "permission_denied"


class InvalidState(DomainError):
    code = "invalid_state"


class InvalidFilter(DomainError):
    """A filter of a report or list that is not one of those allowed (a period, a grouping, a status ...): the
    params name the value and, where there is a choice, what is allowed."""

    code = "invalid_filter"


class ReasonRequired(DomainError):
    code = "reason_required"


class EmptyDocument(DomainError):
    code = "empty_document"


class DuplicateCode(DomainError):
    code = "duplicate_code"


class UnknownPartner(DomainError):
    code = "unknown_partner"


class InvalidPartner(DomainError):
    code = "invalid_partner"


class OverReceipt(DomainError):
    code = "over_receipt"


class OverReturn(DomainError):
    code = "over_return"


class OwnDocument(DomainError):
    code = "own_document"


class AlreadyDecided(DomainError):
    code = "already_decided"


class OverAllocation(DomainError):
    code = "over_allocation"


class UndoWindowPassed(DomainError):
    code = "undo_window_passed"


class NotOwnDocument(DomainError):
    code = "not_own_document"


class AlreadyReversed(DomainError):
    code = "already_reversed"


class NotReversible(DomainError):
    code = "not_reversible"


class UndoStockUsed(DomainError):
    code = "undo_stock_used"


class InvalidWebhook(DomainError):
    code = "invalid_webhook"


class UnknownWebhook(DomainError):
    code = "unknown_webhook"


class UnknownSavedReport(DomainError):
    code = "unknown_saved_report"


class DuplicateReportName(DomainError):
    code = "duplicate_report_name"


class InvalidReportDefinition(DomainError):
    code = "invalid_report_definition"


class InvalidSchedule(DomainError):
    code = "invalid_schedule"


class InvalidPriceRule(DomainError):
    """A price rule that cannot be: `reason` says what is wrong with it."""

    code = "invalid_price_rule"


class InvalidQuotation(DomainError):
    """A quotation that cannot be written as given: `reason` says why (valid_until)."""

    code = "invalid_quotation"


class InvalidProduct(DomainError):
    """A product that cannot be added or changed as given: `reason` says what is wrong (bad_sku, bad_unit ...)."""

    code = "invalid_product"


class InvalidProductField(DomainError):
    """A product's field that cannot be kept as given: `field` (spec), `value`, and `maximum` (its length)."""

    code = "invalid_product_field"

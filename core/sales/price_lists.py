"""Editing price lists (admins and managers): customers' price grades, and rules added, listed and removed; many
rules at once in a constant number of statements (imports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update

from core.errors import InvalidPriceRule, UnknownPartner
from core.models import PRICE_METHODS, Category, Customer, PriceRule, Product
from core.numbers import parse_quantity, parse_unit_cost
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

GRADE_LENGTH = 20
MAX_RULES = 100_000
PAGE_SIZE = 20
MAX_PERCENT = Decimal(1000)
_R = PriceRule.__table__.c


@dataclass(frozen=True)
class PriceRuleIn:
    """A rule as a person or file gives it: for a grade or a customer (or neither: everyone), a product SKU or a
    category code (or neither: every product), how it prices and from which quantity, valid from and to. As typed
    in chat, `who` is a customer's code or else a grade, `what` a SKU or else a category code."""

    method: str
    value: object
    grade: str | None = None
    customer: str | None = None
    product: str | None = None
    category: str | None = None
    min_qty: object = 0
    valid_from: object = None
    valid_to: object = None
    who: str | None = None
    what: str | None = None


@dataclass(frozen=True)
class PriceRuleView:
    """A rule as its editors see it."""

    id: int
    grade: str | None
    customer: str | None
    product: str | None
    category: str | None
    method: str
    value: Decimal
    min_qty: Decimal
    valid_from: date | None
    valid_to: date | None


def set_price_grade(uow: UnitOfWork, actor: Actor, customer: str, grade: str | None) -> str | None:
    """Put a customer in a price grade (零售, 批发, VIP, 经销商 …), or in none; the grade as stored."""
    actor.require(Permission.PRICES_EDIT)
    value = _grade(grade)

    def work(tx: Tx) -> str | None:
        row = tx.conn.execute(select(Customer.id).where(Customer.code == customer.strip().upper())).one_or_none()
        if row is None:
            raise UnknownPartner(kind="customer", code=customer[:40])
        tx.conn.execute(update(Customer).where(Customer.id == row.id).values(price_grade=value))
        record(tx, actor, "prices.grade", "customer", row.id, customer=customer.strip().upper(), grade=value)
        return value

    return uow.run(work)


def add_price_rules(uow: UnitOfWork, actor: Actor, rules: Sequence[PriceRuleIn]) -> list[PriceRuleView]:
    """Check every rule and write them all (one INSERT), or none: the first bad one refused by what is wrong."""
    actor.require(Permission.PRICES_EDIT)
    if not rules or len(rules) > MAX_RULES:
        raise InvalidPriceRule(reason="count", maximum=MAX_RULES)
    checked = [checked_rule(rule) for rule in rules]

    def work(tx: Tx) -> list[PriceRuleView]:
        customers = _ids(tx, Customer, Customer.code, {c[k] for c in checked for k in ("customer", "who") if c[k]})
        categories = _ids(tx, Category, Category.code, {c[k] for c in checked for k in ("category", "what")
                                                        if c[k]})
        products = _ids(tx, Product, func.upper(Product.sku), {str(c[k]).upper() for c in checked
                                                               for k in ("product", "what") if c[k]})
        for c in checked:
            _classify(c, customers, products, categories)
        rows = [_row(c, customers, products, categories, actor, tx) for c in checked]
        ids = list(tx.conn.execute(insert(PriceRule).returning(PriceRule.id, sort_by_parameter_order=True),
                                   rows).scalars())
        record(tx, actor, "prices.add", "price_rule", ids[0] if len(ids) == 1 else None, rules=len(ids))
        return [PriceRuleView(i, c["grade"], c["customer"], c["product"], c["category"], c["method"],
                              _short(c["value"]), _short(c["min_qty"]), c["valid_from"], c["valid_to"])
                for i, c in zip(ids, checked, strict=True)]

    return uow.run(work)


def remove_price_rule(uow: UnitOfWork, actor: Actor, rule_id: int) -> None:
    """Remove one rule (quotations keep the prices they were given)."""
    actor.require(Permission.PRICES_EDIT)

    def work(tx: Tx) -> None:
        gone = tx.conn.execute(delete(PriceRule).where(PriceRule.id == rule_id).returning(PriceRule.id)).first()
        if gone is None:
            raise InvalidPriceRule(reason="unknown_rule", rule=rule_id)
        record(tx, actor, "prices.remove", "price_rule", rule_id)

    uow.run(work)


def list_price_rules(uow: UnitOfWork, actor: Actor, *, grade: str | None = None, customer: str | None = None,
                     product: str | None = None, of: str | None = None, page: int = 1) -> list[PriceRuleView]:
    """The rules (of a grade, a customer or a product when given; `of` any of them, or a category), newest first,
    a page at a time."""
    actor.require(Permission.PRICES_EDIT)
    page = max(page, 1)

    def work(tx: Tx) -> list[PriceRuleView]:
        return price_rule_rows(tx, grade=grade, customer=customer, product=product, of=of,
                               limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)

    return uow.read(work)


def price_rule_rows(tx: Tx, *, grade: str | None = None, customer: str | None = None, product: str | None = None,
                    of: str | None = None, limit: int | None = None, offset: int = 0) -> list[PriceRuleView]:
    """Rules with their customer's code, SKU and category code, newest first (a page, or all for an export)."""
    statement = (select(PriceRule.id, PriceRule.grade, Customer.code.label("customer"), Product.sku.label("product"),
                        Category.code.label("category"), PriceRule.method, PriceRule.value, PriceRule.min_qty,
                        PriceRule.valid_from, PriceRule.valid_to)
                 .outerjoin(Customer, Customer.id == PriceRule.customer_id)
                 .outerjoin(Product, Product.id == PriceRule.product_id)
                 .outerjoin(Category, Category.id == PriceRule.category_id))
    if grade:
        statement = statement.where(PriceRule.grade == grade.strip())
    if customer:
        statement = statement.where(Customer.code == customer.strip().upper())
    if product:
        statement = statement.where(Product.sku == product.strip().upper())
    if of:
        statement = statement.where(or_(PriceRule.grade == of.strip(), Customer.code == of.strip().upper(),
                                        Product.sku == of.strip().upper(), Category.code == of.strip()))
    rows = tx.conn.execute(statement.order_by(PriceRule.id.desc()).limit(limit).offset(offset))
    return [PriceRuleView(**{**r._mapping, "value": _short(r.value), "min_qty": _short(r.min_qty)}) for r in rows]


def _short(value: Decimal) -> Decimal:
    """A figure without trailing zeros (15, not 15.000000)."""
    return value.normalize() if value else Decimal(0)


def _grade(grade: str | None) -> str | None:
    value = (grade or "").strip()
    if len(value) > GRADE_LENGTH:
        raise InvalidPriceRule(reason="grade", value=value[:40], maximum=GRADE_LENGTH)
    return value or None


def _day(value: object, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10] if text.endswith("T00:00:00") else text)
    except ValueError:
        raise InvalidPriceRule(reason="date", field=field, value=text[:40]) from None


def checked_rule(rule: PriceRuleIn) -> dict[str, Any]:
    """The rule's values checked for form (codes are looked up later, all at once)."""
    method = str(rule.method or "").strip().lower()
    if method not in PRICE_METHODS:
        raise InvalidPriceRule(reason="method", value=method[:40], allowed=list(PRICE_METHODS))
    value = parse_unit_cost(rule.value)
    if method == "percent" and not 0 < value <= MAX_PERCENT:
        raise InvalidPriceRule(reason="percent", value=str(value.normalize()), maximum=MAX_PERCENT)
    grade, customer = _grade(rule.grade), (rule.customer or "").strip().upper() or None
    product, category = (rule.product or "").strip() or None, (rule.category or "").strip() or None
    if grade and customer:
        raise InvalidPriceRule(reason="grade_and_customer", grade=grade, customer=customer)
    if product and category:
        raise InvalidPriceRule(reason="product_and_category", product=product, category=category)
    who, what = (rule.who or "").strip() or None, (rule.what or "").strip() or None
    if (who and (grade or customer)) or (what and (product or category)):
        raise InvalidPriceRule(reason="format")
    start, end = _day(rule.valid_from, "valid_from"), _day(rule.valid_to, "valid_to")
    if start and end and end < start:
        raise InvalidPriceRule(reason="dates", valid_from=start, valid_to=end)
    min_qty = parse_quantity(rule.min_qty or 0, allow_zero=True)
    return {"method": method, "value": value, "grade": grade, "customer": customer,
            "product": product.upper() if product else None, "category": category, "min_qty": min_qty,
            "valid_from": start, "valid_to": end, "who": who, "what": what}


def _classify(c: dict[str, Any], customers: dict[str, int], products: dict[str, int],
              categories: dict[str, int]) -> None:
    """`who` a customer's code, else a grade; `what` a SKU, else a category code, else an unknown product."""
    who, what = c.pop("who"), c.pop("what")
    if who and who.upper() in customers:
        c["customer"] = who.upper()
    elif who:
        c["grade"] = _grade(who)
    if what and what.upper() in products:
        c["product"] = what.upper()
    elif what and what in categories:
        c["category"] = what
    elif what:
        c["product"] = what.upper()


def _ids(tx: Tx, model: Any, column: Any, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return {r.code: r.id for r in tx.conn.execute(select(model.id, column.label("code")).where(column.in_(codes)))}


def _row(c: dict[str, Any], customers: dict[str, int], products: dict[str, int], categories: dict[str, int],
         actor: Actor, tx: Tx) -> dict[str, Any]:
    for kind, codes, found in (("customer", c["customer"], customers), ("product", c["product"], products),
                               ("category", c["category"], categories)):
        if codes and codes not in found:
            raise InvalidPriceRule(reason="unknown_" + kind, value=codes[:40])
    return {"grade": c["grade"], "customer_id": customers.get(c["customer"] or ""),
            "product_id": products.get(c["product"] or ""), "category_id": categories.get(c["category"] or ""),
            "method": c["method"], "value": c["value"], "min_qty": c["min_qty"], "valid_from": c["valid_from"],
            "valid_to": c["valid_to"], "created_by": actor.employee_id, "created_at": tx.now}


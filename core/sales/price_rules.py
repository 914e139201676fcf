"""The price list applied: for each line the most specific rule that holds (customer over grade over everyone,
then product over category over every product, then the highest quantity break reached, then the newest rule),
read for a whole document in one statement, and the price it gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_, select, union_all

from core.models import Customer, PriceRule, Product
from core.numbers import round_money
from core.uow import Tx

HUNDRED = Decimal(100)
PARTY_RANK = {"customer": 2, "grade": 1, "everyone": 0}
SCOPE_RANK = {"product": 2, "category": 1, "all": 0}
_R, _P, _C = PriceRule.__table__.c, Product.__table__.c, Customer.__table__.c
_GRADE_OF = select(_C.price_grade).where(_C.id == bindparam("customer_id")).scalar_subquery()
_RULE_COLUMNS = (_P.id.label("target"), _R.id, _R.grade, _R.customer_id, _R.product_id, _R.category_id, _R.method,
                 _R.value, _R.min_qty, _R.valid_to)
_HOLDS = and_(
    _P.id.in_(bindparam("ids", expanding=True)),
    or_(_R.customer_id == bindparam("customer_id"),
        and_(_R.customer_id.is_(None), or_(_R.grade.is_(None), _R.grade == _GRADE_OF))),
    or_(_R.valid_from.is_(None), _R.valid_from <= bindparam("today")),
    or_(_R.valid_to.is_(None), _R.valid_to >= bindparam("today")),
    _R.min_qty <= bindparam("most"),
)


def _matching(on: Any) -> Any:
    return select(*_RULE_COLUMNS).select_from(PriceRule.__table__).join(Product.__table__, on).where(_HOLDS)


# Built once: every priced document runs it. One row per (product, rule that could apply to it); the rules of a
# product, of its category and of every product each read through their own index.
_CANDIDATES = union_all(
    _matching(_R.product_id == _P.id),
    _matching(_R.category_id == _P.category_id),
    _matching(and_(_R.product_id.is_(None), _R.category_id.is_(None))),
)

@dataclass(frozen=True)
class PriceSource:
    """Where a proposed price comes from, as a person is told: the list price, or a rule (whose party, which
    products, how it prices, from which quantity, until when). Never the cost or the margin over it."""

    kind: str
    rule_id: int | None = None
    party: str = ""
    grade: str | None = None
    scope: str = ""
    method: str = ""
    percent: Decimal | None = None
    min_qty: Decimal = Decimal(0)
    valid_to: date | None = None


LIST_PRICE = PriceSource("list")
GIVEN_PRICE = PriceSource("given")


@dataclass(frozen=True)
class Rule:
    """A price rule as the resolver weighs it."""

    id: int
    party: str
    grade: str | None
    scope: str
    method: str
    value: Decimal
    min_qty: Decimal
    valid_to: date | None

    @property
    def rank(self) -> tuple[int, int, Decimal, int]:
        """Most specific first: party, then products, then quantity break, then the newest."""
        return PARTY_RANK[self.party], SCOPE_RANK[self.scope], self.min_qty, self.id

    def price(self, list_price: Decimal, cost: Decimal, places: int) -> Decimal:
        """The price per base unit this rule gives, in money places."""
        if self.method == "fixed":
            return round_money(self.value, places)
        base = list_price if self.method == "percent" else cost
        factor = self.value if self.method == "percent" else HUNDRED + self.value
        return round_money(base * factor / HUNDRED, places)

    def source(self) -> PriceSource:
        """What a person is told of it (the percentage only of a list price, never a margin over cost)."""
        return PriceSource("rule", self.id, self.party, self.grade, self.scope, self.method,
                           self.value if self.method == "percent" else None, self.min_qty, self.valid_to)


def today(tx: Tx) -> date:
    """The transaction's day in the company's zone."""
    return tx.now.astimezone(ZoneInfo(tx.rules.timezone)).date()


def _rule(row: Any) -> Rule:
    party = "customer" if row.customer_id is not None else "grade" if row.grade is not None else "everyone"
    scope = "product" if row.product_id is not None else "category" if row.category_id is not None else "all"
    return Rule(row.id, party, row.grade, scope, row.method, row.value, row.min_qty, row.valid_to)


def source_of(row: Any) -> PriceSource:
    """What a person is told of a rule read as a row of price_rule (id, grade, customer_id, product_id,
    category_id, method, value, min_qty, valid_to)."""
    return _rule(row).source()


def rules_for(tx: Tx, customer_id: int | None, most: Mapping[int, Decimal]) -> dict[int, list[Rule]]:
    """Every rule that could price each product for the customer today, by product id: one statement."""
    if not most:
        return {}
    rows = tx.conn.execute(_CANDIDATES, {"ids": sorted(most), "customer_id": -1 if customer_id is None else
                                         customer_id, "today": today(tx), "most": max(most.values())})
    found: dict[int, list[Rule]] = {}
    for row in rows:
        found.setdefault(row.target, []).append(_rule(row))
    return found


def best_rule(rules: Iterable[Rule], qty: Decimal) -> Rule | None:
    """The most specific rule whose quantity break the line reaches, or None."""
    held = [r for r in rules if r.min_qty <= qty]
    return max(held, key=lambda r: r.rank) if held else None


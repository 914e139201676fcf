"""Price lists: a 100-line order priced over a company with 10,000 price rules (grades, customers, categories,
products, quantity breaks, dates) against the single fixed-price lookup of the product's own sale price, in the same
run: statements (which must not grow with the line count) and the time ratio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, text, update

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.catalog.lines import EnteredLine, entered
from core.catalog.resolve import resolve_lines
from core.models import Category, Customer, PriceRule, Product
from core.sales.pricing import priced_lines

PRODUCTS = 1000
CATEGORIES = 10
CUSTOMERS = 200
GRADES = ("零售", "批发", "VIP", "经销商", "大客户")
LINES = 100
ROUNDS = 15


@dataclass(frozen=True)
class Result:
    backend: str
    rules: int
    statements_one: int
    statements_many: int
    statements_fixed: int
    rules_ms: float
    fixed_ms: float
    proposed_from_rules: int

    @property
    def ratio(self) -> float:
        return self.rules_ms / self.fixed_ms


def _company(db: Database) -> tuple[list[str], int]:
    """Products in categories, customers in grades, and 10,000 rules; the skus and a VIP customer's id."""
    skus = add_products(db, "P", PRODUCTS)
    with db.engine.begin() as connection:
        connection.execute(insert(Category), [{"code": f"CAT{c}", "name_zh": f"分类{c}", "name_en": f"Category {c}"}
                                              for c in range(CATEGORIES)])
        categories = list(connection.execute(select(Category.id).order_by(Category.id)).scalars())
        products = list(connection.execute(select(Product.id).order_by(Product.id)).scalars())
        for n, category in enumerate(categories):
            connection.execute(update(Product).where(Product.id.in_(products[n::CATEGORIES]))
                               .values(category_id=category))
        connection.execute(insert(Customer), [{"code": f"C{n:04d}", "name": f"客户 {n}", "price_grade": GRADES[n % 5],
                                               "channel": "wholesale", "credit_limit": Decimal(0),
                                               "payment_terms_days": 30, "note": "", "active": True}
                                              for n in range(CUSTOMERS)])
        customers = list(connection.execute(select(Customer.id).order_by(Customer.id)).scalars())
        rules = _rules(products, categories, customers)
        connection.execute(insert(PriceRule), rules)
    with db.engine.begin() as connection:  # what autovacuum does after a bulk load; without it PostgreSQL guesses
        connection.execute(text("ANALYZE"))
    return skus, customers[2]


def _rules(products: list[int], categories: list[int], customers: list[int]) -> list[dict[str, object]]:
    def rule(**values: object) -> dict[str, object]:
        base: dict[str, object] = {"grade": None, "customer_id": None, "product_id": None, "category_id": None,
                                   "method": "fixed", "value": Decimal("1.50"), "min_qty": Decimal(0),
                                   "valid_from": None, "valid_to": None}
        return {**base, **values}

    rows = [rule(grade=g, product_id=p, value=Decimal(2) + n % 7) for n, p in enumerate(products) for g in GRADES]
    rows += [rule(grade=g, category_id=c, method="percent", value=Decimal(90 - k * 5), min_qty=Decimal(k * 10))
             for g in GRADES for c in categories for k in range(2)]
    rows += [rule(customer_id=c, product_id=products[(n * 20 + k) % len(products)], value=Decimal("1.8"))
             for n, c in enumerate(customers) for k in range(20)]
    rows += [rule(product_id=products[n % len(products)], method="cost_plus", value=Decimal(30),
                  min_qty=Decimal(n % 3 * 5), valid_from=date(2020, 1, 1), valid_to=date(2099, 12, 31))
             for n in range(10_000 - len(rows))]
    return rows


def measure(backend: Backend) -> Result:
    with database(backend, "price_lists") as db:
        skus, customer = _company(db)
        lines = [entered(skus[(n * 7) % len(skus)], 1 + n % 25) for n in range(LINES)]
        with db.engine.connect() as connection:
            rules = len(connection.execute(select(PriceRule.id)).all())

        def by_rules(given: Sequence[EnteredLine]) -> object:
            return db.uow.read(lambda tx: priced_lines(tx, given, customer))

        def by_sale_price(given: Sequence[EnteredLine]) -> object:
            return db.uow.read(lambda tx: [ln.item.sale_price for ln in resolve_lines(tx, given)])

        one = db.counter.during(lambda: by_rules(lines[:1]))
        many = db.counter.during(lambda: by_rules(lines))
        fixed = db.counter.during(lambda: by_sale_price(lines))
        ruled = db.uow.read(lambda tx: priced_lines(tx, lines, customer))
        times = interleaved(ROUNDS, lambda: timed(lambda: by_rules(lines)), lambda: timed(lambda: by_sale_price(lines)))
        return Result(backend.name, rules, one, many, fixed, median(times[0]) * 1000, median(times[1]) * 1000,
                      sum(1 for p in ruled if p.source.kind == "rule"))


def report(r: Result) -> str:
    verdict = "constant" if r.statements_one == r.statements_many else "GROWS"
    return (f"price lists {r.backend}: {LINES}-line order over {r.rules} rules: {r.statements_many} statements "
            f"(1 line: {r.statements_one}, {verdict}), {r.rules_ms:.1f} ms p50, {r.proposed_from_rules} lines "
            f"priced by a rule; single fixed-price lookup: {r.statements_fixed} statements, {r.fixed_ms:.1f} ms p50; "
            f"time ratio {r.ratio:.2f}x")


def main(backends: Sequence[Backend]) -> None:
    for backend in backends:
        print(report(measure(backend)), flush=True)

"""The demo company: warehouses, a catalogue, partners, staff and a month of genuine stock history."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import func, insert, select

from core.demo import names
from core.demo.history import Clock, History, Stocked
from core.demo.lots import seed_lots
from core.demo.today import first_day
from core.errors import InvalidQuantity, InvalidState
from core.integration.settled import close_backlog
from core.migrate import missing_schema
from core.models import (
    Category,
    Customer,
    Employee,
    EmployeeRole,
    EmployeeWarehouse,
    Money,
    Product,
    ProductBarcode,
    ProductUnit,
    StockDocument,
    StockLevel,
    StockMove,
    Supplier,
    Warehouse,
)
from core.numbers import round_money
from core.people.audit import record
from core.people.setup import bootstrap
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

DEFAULT_PRODUCTS = 200
MAX_PRODUCTS = 1_000_000
HISTORY_DAYS = 30
HISTORY_PRODUCTS = 600
SEED = 20260101
CHUNK = 5000
CHINA = timezone(timedelta(hours=8))
ONE_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name_zh: str
    name_en: str
    family: str
    unit: str
    purchase_price: Decimal
    sale_price: Decimal
    floor_price: Decimal
    barcode: str
    box: int


@dataclass(frozen=True)
class DemoSummary:
    """What the demo company holds after seeding."""

    warehouses: int
    transit_warehouses: int
    categories: int
    products: int
    barcodes: int
    suppliers: int
    customers: int
    employees: int
    roles: tuple[str, ...]
    documents: int
    moves: int
    first_posting: datetime | None
    last_posting: datetime | None
    stock_value: Decimal


def seed_demo(
    uow: UnitOfWork,
    actor: Actor,
    *,
    products: int = DEFAULT_PRODUCTS,
    days: int = HISTORY_DAYS,
    seed: int = SEED,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill an empty database with a demo company and `days` of stock history ending now (admins only)."""
    actor.require(Permission.PEOPLE_ADMIN)
    if not 1 <= products <= MAX_PRODUCTS:
        raise InvalidQuantity(value=str(products), reason="products", maximum=MAX_PRODUCTS)
    if not 1 <= days <= 366:
        raise InvalidQuantity(value=str(days), reason="days")
    missing = missing_schema(uow.engine)
    if missing:
        raise InvalidState(reason="schema_behind", missing=missing[:10])
    say = progress or (lambda _message: None)
    rng = random.Random(seed)
    now = uow.clock()
    clock = Clock(opening_time(now, days))
    books = UnitOfWork(uow.engine, clock=clock, money_places=uow.money_places, rules=uow.rules)
    bootstrap(books)
    catalogue = make_catalogue(rng, products)
    customers = make_customers(rng)
    books.run(lambda tx: _found_company(tx, actor, customers))
    families = sum(len(d.families) for d in names.DEPARTMENTS)
    say(f"company: {len(names.WAREHOUSES)} warehouses, {len(names.DEPARTMENTS) + families} categories, "
        f"{len(names.STAFF)} employees, {len(names.SUPPLIERS)} suppliers, {len(customers)} customers")
    for start in range(0, len(catalogue), CHUNK):
        chunk = catalogue[start:start + CHUNK]
        books.run(_products_work(actor, chunk))
        say(f"catalogue: {start + len(chunk):,} of {len(catalogue):,} products")
    stocked = _stocked(rng, catalogue)
    partners = [(c.code, c.name, c.channel, c.salesperson) for c in customers]
    history = History(books, clock, rng, stocked, now, days, say, customers=partners)
    history.run()
    waiting = first_day(uow, history)
    say(f"today: {len(waiting.to_receive)} purchase orders to receive, transfer {waiting.in_transit} on its way, "
        f"{len(waiting.to_ship)} sales orders to ship, {len(waiting.to_approve)} approvals waiting")
    tracked = seed_lots(uow, actor, [(p.sku, p.family) for p in stocked], now, names.WAREHOUSES[0][0])
    say(f"lots: {tracked} lots and serials received into {names.WAREHOUSES[0][0]}")
    uow.run(lambda tx: close_backlog(tx, "demo history: not pushed"))  # nobody is told of the made-up past
    return uow.read(_summary)


def opening_time(now: datetime, days: int) -> datetime:
    """08:00 in China, `days` days before today: when the demo company opens its books."""
    today = now.astimezone(CHINA).date()
    return datetime.combine(today - timedelta(days=days), time(8, 0), CHINA)


def ean13(body: str) -> str:
    """Twelve digits completed with their EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_catalogue(rng: random.Random, count: int) -> list[DemoProduct]:
    """`count` believable products, cycling through the families so every category is filled."""
    families = [family for department in names.DEPARTMENTS for family in department.families]
    numbers = dict.fromkeys((f.code for f in families), 0)
    seen: set[str] = set()
    catalogue = []
    for i in range(count):
        family = families[i % len(families)]
        item = rng.choice(family.items)
        kind_zh, kind_en = rng.choice(item.kinds or family.kinds)
        size = rng.choice(item.sizes)
        brand_zh, brand_en, company = rng.choice(names.BRANDS)
        name_zh = f"{brand_zh} {kind_zh}{item.zh} {size}"
        name_en = f"{brand_en} {kind_en} {item.en} {names.SIZES_EN.get(size, size)}"
        if family.colours:
            colour_zh, colour_en = rng.choice(names.COLOURS)
            name_zh, name_en = f"{name_zh} {colour_zh}", f"{name_en}, {colour_en}"
        if name_zh in seen:
            name_zh, name_en = f"{name_zh} 款{i + 1}", f"{name_en} (style {i + 1})"
        seen.add(name_zh)
        numbers[family.code] += 1
        purchase = Decimal(rng.randint(item.low * 10, item.high * 10)) / 10
        sale = (purchase * rng.randint(135, 185) / 100).quantize(Decimal(1), ROUND_CEILING) - ONE_TENTH
        floor = min((purchase * Decimal("1.1")).quantize(ONE_TENTH, ROUND_CEILING), sale)
        catalogue.append(DemoProduct(
            sku=f"{family.code}-{numbers[family.code]:05d}", name_zh=name_zh, name_en=name_en,
            family=family.code, unit=item.unit, purchase_price=purchase, sale_price=sale, floor_price=floor,
            barcode=ean13(f"69{company}{i + 1:07d}"), box=item.box,
        ))
    return catalogue


@dataclass(frozen=True)
class DemoCustomer:
    code: str
    name: str
    contact: str
    phone: str
    channel: str
    credit_limit: Decimal
    salesperson: str
    payment_terms_days: int


def make_customers(rng: random.Random, count: int = 30) -> list[DemoCustomer]:
    """Shops, online stores and wholesalers, each owned by one of the two salespeople."""
    customers = []
    used: set[str] = set()
    for i in range(count):
        channel = ("store", "online", "wholesale")[i % 3]
        city, area = rng.choice(names.CITIES)
        name = _customer_name(rng, channel, city)
        while name in used:
            name = _customer_name(rng, channel, city)
        used.add(name)
        limit = {"store": (2, 5), "online": (5, 20), "wholesale": (10, 50)}[channel]
        customers.append(DemoCustomer(
            code=f"C{i + 1:03d}", name=name, contact=_person(rng),
            phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            if channel != "store" else f"{area}-{rng.randint(5_000_0000, 8_999_9999)}",
            channel=channel, credit_limit=Decimal(rng.randint(*limit) * 10_000),
            salesperson=("sales-zhang", "sales-liu")[i % 2], payment_terms_days=(15, 30, 45)[i % 3],
        ))
    return customers


def _customer_name(rng: random.Random, channel: str, city: str) -> str:
    if channel == "store":
        return f"{city}{rng.choice(names.DISTRICTS)}{rng.choice(names.STORES)}"
    if channel == "online":
        return rng.choice(names.ONLINE).format(brand=rng.choice(names.BRANDS)[0])
    return f"{city}{rng.choice(names.TRADERS)}商贸有限公司"


def _person(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES) + rng.choice(names.GIVEN)


def _found_company(tx: Tx, actor: Actor, customers: Sequence[DemoCustomer]) -> None:
    products = tx.session.scalar(select(func.count(Product.id))) or 0
    warehouses = tx.session.scalar(select(func.count(Warehouse.id)).where(Warehouse.kind == "normal")) or 0
    if products or warehouses:
        raise InvalidState(reason="not_empty", products=products, warehouses=warehouses)
    _insert(tx, Warehouse, [{"code": code, "name": name, "name_en": name_en, "kind": "normal"}
                            for code, name, name_en in (*names.WAREHOUSES, names.QUARANTINE)])
    warehouse_ids = dict(tx.session.execute(select(Warehouse.code, Warehouse.id)).all())
    _insert(tx, Category, [{"code": d.code, "name_zh": d.zh, "name_en": d.en, "parent_id": None}
                           for d in names.DEPARTMENTS])
    parents = dict(tx.session.execute(select(Category.code, Category.id)).all())
    _insert(tx, Category, [{"code": f.code, "name_zh": f.zh, "name_en": f.en, "parent_id": parents[d.code]}
                           for d in names.DEPARTMENTS for f in d.families])
    _insert(tx, Employee, [{"name": name, "language": language, "active": True, "created_at": tx.now}
                           for name, _roles, _warehouses, language in names.STAFF])
    staff = dict(tx.session.execute(select(Employee.name, Employee.id)).all())
    _insert(tx, EmployeeRole, [{"employee_id": staff[name], "role": role}
                               for name, roles, _w, _l in names.STAFF for role in roles])
    _insert(tx, EmployeeWarehouse, [{"employee_id": staff[name], "warehouse_id": warehouse_ids[code]}
                                    for name, _r, codes, _l in names.STAFF for code in codes])
    _insert(tx, Supplier, [
        {"code": code, "name": name, "contact": contact, "phone": phone, "credit_rating": rating,
         "lead_time_days": lead, "payment_terms_days": terms, "note": "供货: " + "/".join(families),
         "active": True, "created_at": tx.now}
        for code, name, contact, phone, rating, lead, terms, families in names.SUPPLIERS
    ])
    _insert(tx, Customer, [
        {"code": c.code, "name": c.name, "contact": c.contact, "phone": c.phone, "channel": c.channel,
         "credit_limit": c.credit_limit, "salesperson_id": staff[c.salesperson],
         "payment_terms_days": c.payment_terms_days, "note": "", "active": True, "created_at": tx.now}
        for c in customers
    ])
    record(tx, actor, "demo.seed", "company", None,
           warehouses=[c for c, _, _ in (*names.WAREHOUSES, names.QUARANTINE)],
           employees=[s[0] for s in names.STAFF], suppliers=len(names.SUPPLIERS), customers=len(customers))


def _products_work(actor: Actor, chunk: Sequence[DemoProduct]) -> Callable[[Tx], None]:
    return lambda tx: _insert_products(tx, actor, chunk)


def _insert_products(tx: Tx, actor: Actor, chunk: Sequence[DemoProduct]) -> None:
    categories = dict(tx.session.execute(select(Category.code, Category.id)).all())
    before = tx.session.scalar(select(func.coalesce(func.max(Product.id), 0)))
    _insert(tx, Product, [
        {"sku": p.sku, "name_zh": p.name_zh, "name_en": p.name_en, "category_id": categories[p.family],
         "base_unit": p.unit, "purchase_price": p.purchase_price, "sale_price": p.sale_price,
         "floor_price": p.floor_price, "active": True, "allow_negative": False, "created_at": tx.now}
        for p in chunk
    ])
    ids = dict(tx.session.execute(select(Product.sku, Product.id).where(Product.id > before)).all())
    _insert(tx, ProductBarcode, [{"product_id": ids[p.sku], "barcode": p.barcode} for p in chunk])
    _insert(tx, ProductUnit, [{"product_id": ids[p.sku], "name": name, "factor": Decimal(p.box)}
                              for p in chunk for name in ("箱", "box")])
    record(tx, actor, "demo.seed", "product", None, first=chunk[0].sku, last=chunk[-1].sku, count=len(chunk))


def _insert(tx: Tx, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert many rows of a model's table in one executemany statement."""
    if rows:
        tx.session.execute(insert(model.__table__), rows)


def _stocked(rng: random.Random, catalogue: Sequence[DemoProduct]) -> list[Stocked]:
    """The products that have a history: all of a small catalogue, an even spread of a big one."""
    step = max(1, len(catalogue) // HISTORY_PRODUCTS)
    chosen = list(catalogue[::step][:HISTORY_PRODUCTS])
    suppliers = {family: code for code, *_rest, families in names.SUPPLIERS for family in families}
    leads = {code: lead for code, _n, _c, _p, _r, lead, *_ in names.SUPPLIERS}
    weights = [max(1, 100 // (rank + 1)) for rank in range(len(chosen))]
    rng.shuffle(weights)
    return [Stocked(p.sku, p.family, p.box, p.purchase_price, suppliers[p.family], leads[suppliers[p.family]], w)
            for p, w in zip(chosen, weights, strict=True)]


def _summary(tx: Tx) -> DemoSummary:
    def count(column: Any, *where: Any) -> int:
        return tx.session.scalar(select(func.count(column)).where(*where)) or 0

    first, last = tx.session.execute(select(func.min(StockMove.created_at), func.max(StockMove.created_at))).one()
    value = tx.session.scalar(select(func.coalesce(func.sum(StockLevel.value), 0, type_=Money())))
    roles = tx.session.scalars(select(EmployeeRole.role).distinct().order_by(EmployeeRole.role)).all()
    return DemoSummary(
        warehouses=count(Warehouse.id, Warehouse.kind == "normal"),
        transit_warehouses=count(Warehouse.id, Warehouse.kind == "transit"),
        categories=count(Category.id), products=count(Product.id), barcodes=count(ProductBarcode.id),
        suppliers=count(Supplier.id), customers=count(Customer.id), employees=count(Employee.id),
        roles=tuple(roles), documents=count(StockDocument.id), moves=count(StockMove.id),
        first_posting=first, last_posting=last,
        stock_value=round_money(value or Decimal(0), tx.money_places),
    )

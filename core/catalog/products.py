"""The catalog: finding products and warehouses by what people type, and adding them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select, update

from core.catalog.resolve import ProductRef, items_in
from core.errors import DuplicateCode, InvalidProductField, LotRefused, UnknownProduct, UnknownWarehouse
from core.models import Category, Lot, Product, ProductBarcode, ProductUnit, Warehouse
from core.numbers import parse_quantity, parse_unit_cost
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class WarehouseRef:
    id: int
    code: str
    name: str
    kind: str
    name_en: str = ""

    def name_in(self, language: str) -> str:
        """The name an English reader reads when it has one, else the (Chinese) name."""
        return self.name_en or self.name if language == "en" else self.name


_W = Warehouse.__table__.c
# Built once: lookups run on every posting, and building a statement costs more than running it.
_WAREHOUSE_BY_CODE = select(_W.id, _W.code, _W.name, _W.kind).where(
    func.upper(_W.code) == bindparam("code"), _W.active, _W.kind == bindparam("kind"))


def warehouse_in(tx: Tx, code: str, *, kind: str = "normal") -> WarehouseRef:
    """An active warehouse by code (case-insensitive); UnknownWarehouse otherwise."""
    row = tx.conn.execute(_WAREHOUSE_BY_CODE, {"code": code.strip().upper(), "kind": kind}).one_or_none()
    if row is None:
        raise UnknownWarehouse(warehouse=code[:40])
    return WarehouseRef(row.id, row.code, row.name, row.kind)


def warehouses_for(uow: UnitOfWork, actor: Actor, permission: Permission | None) -> list[WarehouseRef]:
    """Active ordinary warehouses where the actor holds `permission` (every one for None), by code."""
    rows = uow.read(lambda tx: tx.session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.kind, Warehouse.name_en)
        .where(Warehouse.active, Warehouse.kind == "normal").order_by(Warehouse.code)).all())
    return [WarehouseRef(r.id, r.code, r.name, r.kind, r.name_en) for r in rows
            if permission is None or actor.can(permission, r.id)]


def warehouse_codes(tx: Tx, ids: Iterable[int]) -> dict[int, str]:
    """Warehouse codes by id, for reporting postings."""
    return dict(tx.session.execute(select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(set(ids)))).all())


def transit_warehouse_in(tx: Tx) -> WarehouseRef:
    """The warehouse that holds goods (and their value) between dispatch and receipt."""
    row = tx.session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.kind)
        .where(Warehouse.kind == "transit").order_by(Warehouse.id).limit(1)
    ).one_or_none()
    if row is None:
        raise UnknownWarehouse(warehouse="TRANSIT")
    return WarehouseRef(row.id, row.code, row.name, row.kind)


def products_in(tx: Tx, codes: Sequence[str]) -> dict[str, ProductRef]:
    """Products by SKU (any case) or barcode, keyed by the code as given; unknown or inactive ones refused."""
    return {code: item.ref for code, item in items_in(tx, codes).items()}


def create_warehouse(
    uow: UnitOfWork, actor: Actor, code: str, name: str, *, allow_negative: bool = False, name_en: str = ""
) -> int:
    """Add a warehouse (its English name for English readers, when it has one)."""
    actor.require(Permission.CATALOG_EDIT)

    def work(tx: Tx) -> int:
        if tx.session.scalar(select(Warehouse.id).where(func.upper(Warehouse.code) == code.upper())):
            raise DuplicateCode(kind="warehouse", code=code)
        warehouse = Warehouse(code=code, name=name, name_en=name_en, allow_negative=allow_negative)
        tx.session.add(warehouse)
        tx.session.flush()
        record(tx, actor, "warehouse.create", "warehouse", warehouse.id, code=code, name=name, name_en=name_en)
        return warehouse.id

    return uow.run(work)


def create_category(
    uow: UnitOfWork, actor: Actor, code: str, name_zh: str, name_en: str = "", parent: str | None = None
) -> int:
    """Add a category, optionally under a parent category."""
    actor.require(Permission.CATALOG_EDIT)

    def work(tx: Tx) -> int:
        parent_id = None
        if parent is not None:
            parent_id = tx.session.scalar(select(Category.id).where(Category.code == parent))
            if parent_id is None:
                raise DuplicateCode(kind="category_parent_missing", code=parent)
        if tx.session.scalar(select(Category.id).where(Category.code == code)):
            raise DuplicateCode(kind="category", code=code)
        category = Category(code=code, name_zh=name_zh, name_en=name_en, parent_id=parent_id)
        tx.session.add(category)
        tx.session.flush()
        record(tx, actor, "category.create", "category", category.id, code=code)
        return category.id

    return uow.run(work)


@dataclass(frozen=True)
class NewProduct:
    sku: str
    name_zh: str
    name_en: str = ""
    category: str | None = None
    base_unit: str = "pcs"
    purchase_price: object = 0
    sale_price: object = 0
    floor_price: object = 0
    barcodes: tuple[str, ...] = ()
    units: tuple[tuple[str, object], ...] = ()
    allow_negative: bool = False
    tracking: str = "none"  # or "lot", "serial"
    shelf_life_days: int | None = None
    alert_days: int | None = None
    spec: str = ""  # 规格: 500ml, 10寸


def create_product(uow: UnitOfWork, actor: Actor, new: NewProduct) -> int:
    """Add a product with its barcodes and pack units."""
    actor.require(Permission.CATALOG_EDIT)
    prices = [parse_unit_cost(p) for p in (new.purchase_price, new.sale_price, new.floor_price)]
    units = [(name, parse_quantity(factor)) for name, factor in new.units]
    sku = new.sku.strip().upper()
    if not sku or len(sku) > 40 or not new.name_zh.strip():
        raise UnknownProduct(item=new.sku[:40], reason="sku_or_name_missing")
    if new.tracking not in ("none", "lot", "serial"):
        raise LotRefused(reason="bad_tracking", value=new.tracking[:20])

    def work(tx: Tx) -> int:
        taken = tx.session.scalar(
            select(Product.id).where(or_(Product.sku == sku))
        ) or tx.session.scalar(select(ProductBarcode.id).where(ProductBarcode.barcode.in_(new.barcodes)))
        if taken:
            raise DuplicateCode(kind="product", code=sku)
        category_id = None
        if new.category:
            category_id = tx.session.scalar(select(Category.id).where(Category.code == new.category))
        product = Product(
            sku=sku, name_zh=new.name_zh.strip(), name_en=new.name_en.strip(), category_id=category_id,
            base_unit=new.base_unit, purchase_price=prices[0], sale_price=prices[1], floor_price=prices[2],
            allow_negative=new.allow_negative, tracking=new.tracking, shelf_life_days=new.shelf_life_days,
            alert_days=new.alert_days, spec=checked_spec(new.spec),
        )
        product.barcodes = [ProductBarcode(barcode=b) for b in new.barcodes]
        product.units = [ProductUnit(name=name, factor=factor) for name, factor in units]
        tx.session.add(product)
        tx.session.flush()
        if new.tracking != "none":
            tx.session.add(Lot(product_id=product.id, code=""))  # the "no lot" position
            tx.session.flush()
        record(tx, actor, "product.create", "product", product.id, sku=sku)
        return product.id

    return uow.run(work)


MAX_SPEC = 60


def checked_spec(value: object) -> str:
    """A spec as kept: trimmed, at most MAX_SPEC characters (else InvalidProductField)."""
    text = str(value if value is not None else "").strip()
    if len(text) > MAX_SPEC:
        raise InvalidProductField(field="spec", value=text[:40], maximum=MAX_SPEC)
    return text


def set_product_spec(uow: UnitOfWork, actor: Actor, code: str, spec: object) -> str:
    """Set a product's spec (规格, e.g. 500ml; "" for none), named by SKU, barcode or name; the spec as kept."""
    actor.require(Permission.CATALOG_EDIT)
    text = checked_spec(spec)

    def work(tx: Tx) -> str:
        product_id = items_in(tx, [code])[code].ref.id
        before = tx.session.scalar(select(Product.spec).where(Product.id == product_id))
        tx.session.execute(update(Product).where(Product.id == product_id).values(spec=text))
        record(tx, actor, "product.update", "product", product_id, changes={"spec": [before, text]})
        return text

    return uow.run(work)

"""A product as its editors keep it: added with its barcodes, pack units, prices, category, VAT rate and tracking,
changed field by field, and read back whole (the cost only for those who may see it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from core.catalog.products import NewProduct, checked_spec, create_product
from core.errors import DuplicateCode, InvalidProduct, UnknownProduct
from core.models import Category, Product, ProductBarcode, ProductUnit
from core.models.searchable import respell
from core.numbers import parse_quantity, parse_unit_cost
from core.people.audit import record
from core.permissions import Actor, Permission
from core.sales.tax import set_vat_rate
from core.stock.lots import MAX_DAYS, set_tracking
from core.uow import Tx, UnitOfWork

MAX_CODES = 50
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+#_-]{0,39}")
BARCODE_PATTERN = re.compile(r"[\x21-\x7e]{1,64}")


class Keep:
    """The value of a field a change leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


@dataclass(frozen=True)
class PackUnit:
    name: str
    factor: Decimal


@dataclass(frozen=True)
class ProductDetail:
    """A product with everything its editors set; purchase_price is None for readers who may not see cost."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    category: str | None
    sale_price: Decimal
    floor_price: Decimal
    purchase_price: Decimal | None
    vat_rate: Decimal | None
    tracking: str
    shelf_life_days: int | None
    alert_days: int | None
    allow_negative: bool
    active: bool
    barcodes: tuple[str, ...]
    units: tuple[PackUnit, ...]
    spec: str = ""  # 规格: 500ml, 10寸


@dataclass(frozen=True)
class ProductChanges:
    """What to change of a product: every field left KEEP stays; barcodes and units replace the product's own;
    category, vat_rate, shelf_life_days and alert_days None: none of its own."""

    name_zh: str | Keep = KEEP
    name_en: str | Keep = KEEP
    unit: str | Keep = KEEP
    category: str | Keep | None = KEEP
    purchase_price: object = KEEP
    sale_price: object = KEEP
    floor_price: object = KEEP
    vat_rate: object = KEEP
    barcodes: tuple[str, ...] | Keep = KEEP
    units: tuple[tuple[str, object], ...] | Keep = KEEP
    tracking: str | Keep = KEEP
    shelf_life_days: int | Keep | None = KEEP
    alert_days: int | Keep | None = KEEP
    allow_negative: bool | Keep = KEEP
    active: bool | Keep = KEEP
    spec: str | Keep = KEEP


def add_product(uow: UnitOfWork, actor: Actor, new: NewProduct, vat_rate: object = None) -> ProductDetail:
    """Add a product with its barcodes, pack units, prices, category, VAT rate (None: its category's) and
    tracking (catalogue editors)."""
    actor.require(Permission.CATALOG_EDIT)
    if not SKU_PATTERN.fullmatch(new.sku.strip()):
        raise InvalidProduct(reason="bad_sku", value=new.sku[:40])
    _days(new.shelf_life_days, new.alert_days)
    new = replace(new, sku=new.sku.strip().upper(), base_unit=_unit_name(new.base_unit), name_zh=_name(new.name_zh),
                  barcodes=_barcodes(new.barcodes), units=_units(new.units, new.base_unit))

    def work(tx: Tx) -> ProductDetail:
        if new.category is not None:
            _category_id(tx, new.category)
        try:
            create_product(uow, actor, new)
        except IntegrityError as error:  # the same SKU or barcode added at the same moment by another request
            raise DuplicateCode(kind="product", code=new.sku) from error
        if vat_rate is not None:
            set_vat_rate(uow, actor, new.sku, vat_rate)
        return _detail(tx, actor, _locked(tx, new.sku))

    return uow.run(work)


def update_product(uow: UnitOfWork, actor: Actor, sku: str, changes: ProductChanges) -> ProductDetail:
    """Change the fields given of a product (catalogue editors; its sale and floor price: price editors, as
    the price list; its cost: those who may see cost)."""
    actor.require(Permission.CATALOG_EDIT)
    if changes.sale_price is not KEEP or changes.floor_price is not KEEP:
        actor.require(Permission.PRICES_EDIT)
    if changes.purchase_price is not KEEP:
        actor.require(Permission.COST_VIEW)
    values = _plain_values(changes)

    def work(tx: Tx) -> ProductDetail:
        product = _locked(tx, sku)
        if isinstance(changes.category, str):
            values["category_id"] = _category_id(tx, changes.category)
        units = None if isinstance(changes.units, Keep) else _units(
            changes.units, str(values.get("base_unit", product.base_unit)))
        for name, value in values.items():
            setattr(product, name, value)
        if {"name_zh", "name_en"} & set(values):
            respell(product, "product")
        tx.session.flush()
        if not isinstance(changes.barcodes, Keep):
            try:
                _replace_barcodes(tx, product, _barcodes(changes.barcodes))
            except IntegrityError as error:  # a barcode given to another product at the same moment
                raise DuplicateCode(kind="barcode", code=product.sku) from error
        if units is not None:
            tx.session.execute(delete(ProductUnit).where(ProductUnit.product_id == product.id))
            if units:
                tx.session.execute(insert(ProductUnit), [
                    {"product_id": product.id, "name": n, "factor": f} for n, f in units])
        if changes.vat_rate is not KEEP:
            set_vat_rate(uow, actor, product.sku, changes.vat_rate)
        _change_tracking(uow, actor, product, changes)
        record(tx, actor, "product.update", "product", product.id, sku=product.sku,
               fields=sorted(name for name, value in vars(changes).items() if value is not KEEP))
        tx.session.expire(product)
        return _detail(tx, actor, _locked(tx, product.sku))

    return uow.run(work)


def product_detail(uow: UnitOfWork, actor: Actor, sku: str) -> ProductDetail:
    """One product with everything its editors set (purchase price only for those who may see cost)."""
    actor.require(Permission.STOCK_VIEW)
    return uow.read(lambda tx: _detail(tx, actor, _found(tx, sku)))


def _plain_values(changes: ProductChanges) -> dict[str, object]:
    """The checked values of the fields a change sets on the product row itself."""
    values: dict[str, object] = {}
    if isinstance(changes.name_zh, str):
        values["name_zh"] = _name(changes.name_zh)
    if isinstance(changes.name_en, str):
        values["name_en"] = changes.name_en.strip()[:200]
    if isinstance(changes.unit, str):
        values["base_unit"] = _unit_name(changes.unit)
    if isinstance(changes.spec, str):
        values["spec"] = checked_spec(changes.spec)
    if changes.category is None:
        values["category_id"] = None
    for name in ("purchase_price", "sale_price", "floor_price"):
        given = getattr(changes, name)
        if given is not KEEP:
            values[name] = parse_unit_cost(given)
    for name in ("allow_negative", "active"):
        if isinstance(getattr(changes, name), bool):
            values[name] = getattr(changes, name)
    return values


def _change_tracking(uow: UnitOfWork, actor: Actor, product: Product, changes: ProductChanges) -> None:
    """The tracking, shelf life and alert lead time through stock's own rule (a product with named lots keeps its
    tracking)."""
    given = (changes.tracking, changes.shelf_life_days, changes.alert_days)
    if all(isinstance(value, Keep) for value in given):
        return
    tracking = product.tracking if isinstance(changes.tracking, Keep) else changes.tracking
    shelf = product.shelf_life_days if isinstance(changes.shelf_life_days, Keep) else changes.shelf_life_days
    alert = product.alert_days if isinstance(changes.alert_days, Keep) else changes.alert_days
    set_tracking(uow, actor, product.sku, tracking, shelf_life_days=shelf, alert_days=alert)


def _days(shelf_life_days: int | None, alert_days: int | None) -> None:
    if shelf_life_days is not None and not 1 <= shelf_life_days <= MAX_DAYS:
        raise InvalidProduct(reason="bad_days", value=str(shelf_life_days))
    if alert_days is not None and not 0 <= alert_days <= MAX_DAYS:
        raise InvalidProduct(reason="bad_days", value=str(alert_days))


def _replace_barcodes(tx: Tx, product: Product, codes: tuple[str, ...]) -> None:
    if codes:
        taken = tx.session.scalar(select(ProductBarcode.barcode).where(
            ProductBarcode.barcode.in_(codes), ProductBarcode.product_id != product.id).limit(1))
        clash = taken or tx.session.scalar(select(Product.sku).where(Product.sku.in_(codes),
                                                                     Product.id != product.id).limit(1))
        if clash:
            raise DuplicateCode(kind="barcode", code=clash)
    tx.session.execute(delete(ProductBarcode).where(ProductBarcode.product_id == product.id))
    if codes:
        tx.session.execute(insert(ProductBarcode), [{"product_id": product.id, "barcode": c} for c in codes])


def _name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 200:
        raise InvalidProduct(reason="bad_name", value=name[:40])
    return name


def _unit_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 20 or any(c.isspace() or c.isdigit() for c in name):
        raise InvalidProduct(reason="bad_unit", value=name[:20])
    return name


def _barcodes(codes: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(c.strip() for c in codes)
    if len(cleaned) > MAX_CODES:
        raise InvalidProduct(reason="too_many", value=str(len(cleaned)), limit=MAX_CODES)
    for code in cleaned:
        if not BARCODE_PATTERN.fullmatch(code):
            raise InvalidProduct(reason="bad_barcode", value=code[:64])
    if len(set(cleaned)) != len(cleaned):
        raise DuplicateCode(kind="barcode", code=next(c for c in cleaned if cleaned.count(c) > 1))
    return cleaned


def _units(units: tuple[tuple[str, object], ...], base_unit: str) -> tuple[tuple[str, object], ...]:
    """Pack units (box = 12 base units): a name of their own, not the base unit's, a positive factor."""
    if len(units) > MAX_CODES:
        raise InvalidProduct(reason="too_many", value=str(len(units)), limit=MAX_CODES)
    checked: list[tuple[str, object]] = []
    seen = {base_unit.strip().lower()}
    for name, factor in units:
        unit = _unit_name(name)
        if unit.lower() in seen:
            raise InvalidProduct(reason="unit_twice", value=unit)
        seen.add(unit.lower())
        checked.append((unit, parse_quantity(factor)))
    return tuple(checked)


def _category_id(tx: Tx, code: str) -> int:
    found = tx.session.scalar(select(Category.id).where(Category.code == code.strip()))
    if found is None:
        raise InvalidProduct(reason="unknown_category", value=code[:40])
    return found


def _found(tx: Tx, sku: str) -> Product:
    product = tx.session.scalar(select(Product).where(Product.sku == sku.strip().upper()[:40]))
    if product is None:
        raise UnknownProduct(item=sku[:40])
    return product


def _locked(tx: Tx, sku: str) -> Product:
    product = tx.session.scalar(select(Product).where(Product.sku == sku.strip().upper()[:40])
                                .with_for_update())
    if product is None:
        raise UnknownProduct(item=sku[:40])
    return product


def _detail(tx: Tx, actor: Actor, product: Product) -> ProductDetail:
    codes = tuple(tx.session.scalars(select(ProductBarcode.barcode).where(ProductBarcode.product_id == product.id)
                                     .order_by(ProductBarcode.barcode)))
    units = tuple(PackUnit(r.name, r.factor) for r in tx.session.execute(
        select(ProductUnit.name, ProductUnit.factor).where(ProductUnit.product_id == product.id)
        .order_by(ProductUnit.factor, ProductUnit.id)))
    category = None if product.category_id is None else tx.session.scalar(
        select(Category.code).where(Category.id == product.category_id))
    return ProductDetail(
        sku=product.sku, name_zh=product.name_zh, name_en=product.name_en, unit=product.base_unit, category=category,
        sale_price=product.sale_price, floor_price=product.floor_price,
        purchase_price=product.purchase_price if actor.can(Permission.COST_VIEW) else None,
        vat_rate=product.vat_rate, tracking=product.tracking, shelf_life_days=product.shelf_life_days,
        alert_days=product.alert_days, allow_negative=product.allow_negative, active=product.active,
        barcodes=codes, units=units, spec=product.spec)

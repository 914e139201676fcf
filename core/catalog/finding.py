"""The products a typed query finds, for every list that searches them (stock lookup, the product list of REST and
the Mini App pages): the one search of the catalogue, so each finds what the others find."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from core.catalog.resolve import PRODUCTS
from core.catalog.search import matching, search
from core.models import Product, ProductBarcode
from core.uow import Tx


def found_products(tx: Tx, query: str, limit: int, offset: int = 0) -> list[Product]:
    """Active products matching a SKU or barcode exactly, a fragment of a name, its pinyin or initials (the exact
    SKU first, then the closest matches, then by SKU); else, on the first page, a small typo of one of these."""
    barcode_match = select(ProductBarcode.product_id).where(ProductBarcode.barcode == query)
    hit, rank = matching(Product.__table__, query, tx.dialect)
    products = list(tx.session.execute(
        select(Product)
        .where(Product.active, or_(func.upper(Product.sku) == query.upper(), Product.id.in_(barcode_match), hit))
        .order_by(func.upper(Product.sku) != query.upper(), rank, Product.sku)
        .limit(limit).offset(offset)
    ).scalars().all())
    if products or offset:
        return products
    typos = search(tx.conn, PRODUCTS, [query], limit).get(query)
    if typos is None or not typos.typos:
        return []
    found = {p.id: p for p in tx.session.scalars(select(Product).where(Product.id.in_(typos.typos), Product.active))}
    return [found[i] for i in typos.typos if i in found]

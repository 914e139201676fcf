"""Rows of a note matched to products, in a constant number of statements whatever the row count: the words a
person confirmed for this partner before (aliases), then the code column (SKU, barcode, GS1: the resolver's code
finders), then the name through the item search; a name that finds several is settled by the products expected
(an order's lines) when exactly one of them is among them. Pack units are converted to base units."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from core.catalog.resolve import FINDERS, MAX_CHOICES, PRODUCTS, CatalogItem, unit_factors_in
from core.catalog.search import Searched, search
from core.catalog.spelling import folded
from core.models import PartnerItemAlias, Product
from core.permissions import Actor
from core.reading.notes import NoteRow
from core.uow import Tx

ONE = Decimal(1)
CLOSE_SCORE, CLOSE_MARGIN = 75, 10  # a written name this close to one expected product, and this much closer
_A, _P = PartnerItemAlias.__table__.c, Product.__table__.c
_ALIASES = select(_A.alias, _A.product_id).where(
    _A.partner_kind == bindparam("kind"), _A.partner_id == bindparam("partner"),
    _A.alias.in_(bindparam("aliases", expanding=True)))
_PRODUCTS = select(_P.id, _P.sku, _P.name_zh, _P.name_en, _P.base_unit).where(
    _P.id.in_(bindparam("ids", expanding=True)), _P.active)


@dataclass(frozen=True)
class Matched:
    """A row's product (None when it could not be told), how it was found ("alias", "code", "name", "typo",
    "expected", "part"), the candidates when it could not, and the quantity in base units."""

    product_id: int | None
    sku: str
    name_zh: str
    name_en: str
    how: str
    choices: tuple[int, ...]
    factor: Decimal
    base_qty: Decimal


def alias_of(text: str) -> str:
    """The form an alias is kept and looked up in: folded, without spaces, at most 200 characters."""
    return folded(text).replace(" ", "")[:200]


def match_rows(tx: Tx, rows: Sequence[NoteRow], partner: tuple[str, int] | None,
               expected: Mapping[int, str] | None = None) -> list[Matched]:
    """Each row's product (or the candidates), with its quantity in base units; `expected` (product id to its
    names) are the products the paper is likely about (an order's open lines): a name closest to one of them is
    that one, unless the catalog search already found an expected product."""
    expected = expected or {}
    found: list[tuple[int | None, str, tuple[int, ...]]] = [(None, "", ())] * len(rows)
    aliases = _aliases(tx, rows, partner) if partner else {}
    for i, row in enumerate(rows):
        hit = aliases.get(alias_of(row.code)) or aliases.get(alias_of(row.text))
        if hit is not None:
            found[i] = (hit, "alias", ())
    codes = {c for i, row in enumerate(rows) if found[i][0] is None for c in (row.code, row.text) if c.strip()}
    by_code = _by_code(tx, codes)
    for i, row in enumerate(rows):
        item = by_code.get(row.code) or by_code.get(row.text)
        if found[i][0] is None and item is not None:
            found[i] = (item.ref.id, "code", ())
    names = [row.text for i, row in enumerate(rows) if found[i][0] is None and row.text.strip()]
    searched = search(tx.conn, PRODUCTS, names, MAX_CHOICES) if names else {}
    for i, row in enumerate(rows):
        if found[i][0] is None:
            found[i] = _by_name(searched.get(row.text, Searched()), expected)
    parts = {row.text: _part(row.text) for i, row in enumerate(rows) if found[i][0] is None and _part(row.text)}
    by_part = search(tx.conn, PRODUCTS, set(parts.values()), MAX_CHOICES) if parts else {}
    for i, row in enumerate(rows):
        if found[i][0] is None and row.text in parts:
            ident, how, choices = _by_name(by_part.get(parts[row.text], Searched()), expected)
            found[i] = (ident, "part", ()) if ident is not None else (None, "", found[i][2] or choices)
    for i, row in enumerate(rows):
        if found[i][1] not in ("alias", "code") and found[i][0] not in expected:
            closest = _closest(row.text, expected)
            if closest is not None:
                found[i] = (closest, "expected", ())
    ids = {f[0] for f in found if f[0] is not None} | {c for f in found for c in f[2]}
    products = {r.id: r for r in tx.conn.execute(_PRODUCTS, {"ids": sorted(ids)})} if ids else {}
    factors = unit_factors_in(tx, [(f[0], row.unit) for f, row in zip(found, rows, strict=True)
                                   if f[0] is not None and row.unit])
    out = []
    for (ident, how, choices), row in zip(found, rows, strict=True):
        product = products.get(ident) if ident is not None else None
        factor = factors.get((product.id, row.unit), ONE) if product is not None else ONE
        kept = tuple(c for c in choices if c in products)
        if product is None:
            out.append(Matched(None, "", "", "", "none", kept, ONE, row.qty))
            continue
        out.append(Matched(product.id, product.sku, product.name_zh, product.name_en or product.name_zh, how, kept,
                           factor, row.qty * factor))
    return out


def _aliases(tx: Tx, rows: Sequence[NoteRow], partner: tuple[str, int]) -> dict[str, int]:
    wanted = sorted({alias_of(t) for row in rows for t in (row.code, row.text) if alias_of(t)})
    if not wanted:
        return {}
    kind, ident = partner
    return {r.alias: r.product_id for r in tx.conn.execute(_ALIASES, {"kind": kind, "partner": ident,
                                                                      "aliases": wanted})}


def _by_code(tx: Tx, codes: set[str]) -> dict[str, CatalogItem]:
    """The resolver's code finders (SKU, barcode, GS1) over the codes and texts written; inactive ones left out."""
    found: dict[str, CatalogItem] = {}
    for finder in FINDERS:
        missing = frozenset(codes - found.keys())
        if not missing:
            break
        found.update(finder(tx, missing))
    return {code: item for code, item in found.items() if item.ref.active}


def _closest(text: str, expected: Mapping[int, str]) -> int | None:
    """The expected product whose name the written text is (part of), clearly closer than any other."""
    written = alias_of(text)
    if len(written) < 2 or not expected:
        return None
    scored = sorted(((fuzz.partial_ratio(written, alias_of(names)), ident) for ident, names in expected.items()),
                    reverse=True)
    best, ident = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0
    return ident if best >= CLOSE_SCORE and best - second >= CLOSE_MARGIN else None


def _part(text: str) -> str:
    """The longest run of Chinese characters (or else of letters) in a written name: "保温杯" of "保温杯500ml",
    searched when the whole text finds nothing (suppliers add sizes and drop words)."""
    runs = [r for r in re.split(r"[^\u4e00-\u9fff]+", text) if len(r) >= 2] or [
        r for r in re.split(r"[^A-Za-z]+", text) if len(r) >= 3]
    best = max(runs, key=len) if runs else ""
    return best if best != text.strip() else ""


def _by_name(searched: Searched, expected: Collection[int]) -> tuple[int | None, str, tuple[int, ...]]:
    """The one product a name means; else the one expected among those it may mean; else the candidates."""
    if searched.only is not None:
        return searched.only, "name" if searched.matches else "typo", ()
    several = searched.several or searched.nearest
    chosen = [i for i in several if i in expected]
    if len(chosen) == 1:
        return chosen[0], "expected", ()
    return None, "", tuple(several[:MAX_CHOICES])


def learn_aliases(tx: Tx, actor: Actor, partner: tuple[str, int], words: Mapping[str, str]) -> list[dict[str, str]]:
    """Keep (or replace) a partner's own words (written text to SKU) for products a person matched by hand, in one
    statement; the aliases kept, with their SKUs."""
    folded_words = {alias_of(text): sku.upper() for text, sku in words.items() if alias_of(text)}
    if not folded_words:
        return []
    ids = dict(tx.session.execute(
        select(Product.sku, Product.id).where(Product.sku.in_(set(folded_words.values())))).all())
    kept = {alias: sku for alias, sku in folded_words.items() if sku in ids}
    if kept:
        kind, partner_id = partner
        dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(PartnerItemAlias).values([
            {"partner_kind": kind, "partner_id": partner_id, "alias": alias, "product_id": ids[sku],
             "learned_by": actor.employee_id, "learned_at": tx.now} for alias, sku in kept.items()])
        tx.session.execute(statement.on_conflict_do_update(
            index_elements=["partner_kind", "partner_id", "alias"],
            set_={"product_id": statement.excluded.product_id, "learned_by": statement.excluded.learned_by,
                  "learned_at": statement.excluded.learned_at}))
    return [{"alias": alias, "sku": sku} for alias, sku in kept.items()]

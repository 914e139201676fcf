"""A customer's list of what they want, photographed: its rows read into sales lines, each row's product found by
what this customer's rows were matched to before, a code on the row, or the item search, its quantity in base
units (pack units converted)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.models import Product
from core.partners.customers import customer_in
from core.people.audit import record
from core.permissions import Actor, Permission
from core.reading.matching import learn_aliases, match_rows
from core.reading.notes import note_in
from core.reading.text import Reading
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class ListedLine:
    """One row of the list: as written, the product found ("" for none) and how many base units it asks for."""

    text: str
    sku: str
    qty: Decimal
    choices: tuple[str, ...] = ()  # no product, but these are near: their SKUs


def lines_on_paper(uow: UnitOfWork, actor: Actor, customer: str, reading: Reading) -> list[ListedLine]:
    """The rows of a customer's list on a picture (refused when it was not read or shows no table)."""
    actor.require(Permission.SALES_CREATE)
    note = note_in(reading)

    def work(tx: Tx) -> list[ListedLine]:
        buyer = customer_in(tx, actor, customer)
        matched = match_rows(tx, note.rows, ("customer", buyer.id))
        near = {i for m in matched for i in m.choices}
        found = select(Product.id, Product.sku).where(Product.id.in_(near))
        skus = dict(tx.session.execute(found).all()) if near else {}
        return [ListedLine(row.text[:40], m.sku, m.base_qty, tuple(skus[i] for i in m.choices if i in skus)[:3])
                for row, m in zip(note.rows, matched, strict=True)]

    return uow.read(work)


def remember_words(uow: UnitOfWork, actor: Actor, customer: str, written: str, sku: str) -> None:
    """The customer's own words for a product, as the salesperson matched them: their next list reads them so."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> None:
        buyer = customer_in(tx, actor, customer)
        kept = learn_aliases(tx, actor, ("customer", buyer.id), {written: sku})
        if kept:
            record(tx, actor, "sales.learn_words", "customer", buyer.id, aliases=kept)

    uow.run(work)

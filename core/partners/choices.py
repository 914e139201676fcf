"""Partners offered as choices in a conversation: the first matches of a search, each with the id a button carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, select, true

from core.catalog.search import Searchable, search
from core.models import Customer, Supplier
from core.partners.customers import find_customers, sees_all_customers
from core.partners.suppliers import find_suppliers
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

PartnerKind = Literal["customer", "supplier"]
PAPER_MATCH = 80  # rapidfuzz partial_ratio the company printed on paper needs with a partner's name
_MODELS: dict[str, type[Customer] | type[Supplier]] = {"customer": Customer, "supplier": Supplier}


@dataclass(frozen=True)
class PartnerChoice:
    id: int
    code: str
    name: str


def partner_choices(uow: UnitOfWork, actor: Actor, kind: PartnerKind, query: str,
                    limit: int) -> tuple[PartnerChoice, ...]:
    """The first `limit` customers (or suppliers) the actor may see matching `query`, with their ids."""
    finder = find_customers if kind == "customer" else find_suppliers
    found = [(p.code, p.name) for p in finder(uow, actor, query)[:limit]]
    model = _MODELS[kind]
    if not found:
        return _typos(uow, actor, kind, query, limit)
    ids = dict(uow.read(lambda tx: tx.session.execute(
        select(model.code, model.id).where(model.code.in_([code for code, _ in found]))).all()))
    return tuple(PartnerChoice(ids[code], code, name) for code, name in found)


def partner_code(uow: UnitOfWork, actor: Actor, kind: PartnerKind, partner_id: int) -> str | None:
    """The code of the customer (or supplier) with this id (from a button), or None; which customers the actor
    may see is checked where the partner is read."""
    actor.require(Permission.PARTNER_VIEW)
    model = _MODELS[kind]
    return uow.read(lambda tx: tx.session.scalar(select(model.code).where(model.id == partner_id)))


def _typos(uow: UnitOfWork, actor: Actor, kind: PartnerKind, query: str, limit: int) -> tuple[PartnerChoice, ...]:
    """Partners the actor may see a small typo away from `query` (nothing matched it), closest first."""
    model = _MODELS[kind]
    visible: ColumnElement[bool] = true()
    if kind == "customer" and not sees_all_customers(actor):
        visible = Customer.salesperson_id == actor.employee_id
    target = Searchable(model.__table__, visible, model.__table__.c.code, model.__table__.c.name)

    def work(tx: Tx) -> tuple[PartnerChoice, ...]:
        typos = search(tx.conn, target, [query], limit).get(query)
        if typos is None or not typos.typos:
            return ()
        rows = {r.id: r for r in tx.session.execute(
            select(model.id, model.code, model.name).where(model.id.in_(typos.typos)))}
        return tuple(PartnerChoice(i, rows[i].code, rows[i].name) for i in typos.typos if i in rows)

    return uow.read(work)


def paper_partner(uow: UnitOfWork, actor: Actor, printed: str) -> PartnerKind | None:
    """Whose paper a picture is, by the company printed above its table: a supplier's (a delivery note) or a
    customer's (a list of what they want), whichever of the partners the actor may see it names best, at least
    PAPER_MATCH; None when it names neither (or nothing is printed)."""
    actor.require(Permission.PARTNER_VIEW)
    printed = printed.strip()
    if not printed:
        return None
    customers = select(Customer.name).where(Customer.active)
    if not sees_all_customers(actor):
        customers = customers.where(Customer.salesperson_id == actor.employee_id)
    names = uow.read(lambda tx: (list(tx.session.scalars(select(Supplier.name).where(Supplier.active))),
                                 list(tx.session.scalars(customers))))
    scores = {kind: _best(printed, found) for kind, found in zip(("supplier", "customer"), names, strict=True)}
    kind: PartnerKind = "supplier" if scores["supplier"] >= scores["customer"] else "customer"
    return kind if scores[kind] >= PAPER_MATCH else None


def _best(printed: str, names: list[str]) -> float:
    found = process.extractOne(printed, names, scorer=fuzz.partial_ratio) if names else None
    return float(found[1]) if found else 0.0

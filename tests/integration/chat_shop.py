"""The small shop behind the purchasing and warehouse dialogues: people bound to chats, suppliers, stock."""

from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, select

from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.ledger.check import check_ledger
from core.models import Base, Product, StockLevel, Warehouse
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import create_invite
from core.permissions import Actor
from core.uow import Tx, UnitOfWork
from tests.chat import Chat
from tests.factories import Shop, make_shop

TEXTS = Texts()
_users = itertools.count(5001)
BAD_QUANTITIES = ("abc", "1e309", "-5", "🙂")


def engine_on(uow: UnitOfWork) -> Engine:
    return Engine(uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock")


def open_shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """make_shop plus two suppliers."""
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易", contact="王经理"))
    create_supplier(uow, admin, NewSupplier("NORTHWIND", "Northwind Traders"))
    return shop


def person(uow: UnitOfWork, admin: Actor, name: str, language: str = "zh_CN") -> Chat:
    """A chat bound to the employee `name`, speaking `language`."""
    user = str(next(_users))
    chat = Chat(engine_on(uow), user_id=user, chat_id=user)
    chat.send(f"/start {create_invite(uow, admin, name).code}")
    if language != "zh_CN":
        chat.send(f"language {language}")
    return chat


def later(chat: Chat, engine: SqlEngine, clock: object) -> Chat:
    """The same person talking to an engine whose clock is `clock`."""
    chat.engine = Engine(UnitOfWork(engine, clock=clock), TEXTS, default_flows(), COMMANDS,  # type: ignore[arg-type]
                         fallback_flow="stock")
    return chat


def rows(uow: UnitOfWork, *models: type[Base]) -> tuple[int, ...]:
    """Row counts of the given tables: compared before and after refused input."""
    return uow.read(lambda tx: tuple(tx.session.scalar(select(func.count()).select_from(m)) or 0 for m in models))


def on_hand(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> Decimal:
    def work(tx: Tx) -> Decimal:
        found = tx.session.scalar(
            select(StockLevel.on_hand).join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.sku == sku, Warehouse.code == warehouse))
        return Decimal(0) if found is None else Decimal(found)

    return uow.read(work)


def books_clean(uow: UnitOfWork) -> bool:
    return uow.read(check_ledger) == []


def last(chat: Chat) -> str:
    return "\n".join(r.text for r in chat.replies)

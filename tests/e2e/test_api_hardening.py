"""Bad input and scopes on the REST API: what is refused, with which status and words, and that nothing changed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.models import PurchaseOrder, SalesOrder
from core.people.tokens import create_token
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import serve
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def tokens(shop: Shop) -> dict[str, str]:
    """One token per role; the warehouse token works in MAIN."""
    made = {role: create_token(shop.uow, shop.admin, f"{role}-api", role).secret
            for role in ("manager", "purchaser", "sales", "finance")}
    made["warehouse"] = create_token(shop.uow, shop.admin, "warehouse-api", "warehouse", ("MAIN",)).secret
    return made


def count(uow: UnitOfWork, model: type[PurchaseOrder] | type[SalesOrder]) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(model.id))) or 0)


def test_rest_amounts_are_plain_decimal_strings_or_json_numbers_never_with_separators(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})).status == 201
            for qty in ("1,5", "1,500", "1，500", "15,00", "1e3", "1_000", " ", "+5"):
                bad = await api.post("/purchase-orders", t["purchaser"], {
                    "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": qty}]})
                assert (bad.status, bad.body["error"]["code"]) == (400, "bad_request"), qty
                assert "plain decimal string such as \"1500\" or \"2.5\"" in bad.body["error"]["message"]
            price = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": "2", "unit_price": "4,5"}]})
            assert (price.status, price.body["error"]["code"]) == (400, "bad_request")
            assert count(shop.uow, PurchaseOrder) == 0

            raw = b'{"supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": 1500, ' \
                  b'"unit_price": 0.1}, {"sku": "TEA-CUP", "qty": " 2.5 ", "unit_price": "3.30"}]}'
            taken = await api.post("/purchase-orders", t["purchaser"], raw=raw)
            assert taken.status == 201, taken.body
            assert [(ln["sku"], Decimal(ln["qty"]), Decimal(ln["unit_price"])) for ln in taken.body["lines"]] == [
                ("LAMP", Decimal(1500), Decimal("0.1")), ("TEA-CUP", Decimal("2.5"), Decimal("3.3"))]

    asyncio.run(scenario())

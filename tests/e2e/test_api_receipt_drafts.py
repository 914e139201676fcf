"""POST /api/v1/purchase-orders/{number}/receipt-drafts on our real server: a photo of the delivery note in, the
proposed receipt lines out as data (nothing received); a picture with no table, a non-picture and one over the cap
refused by name."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from bot.api.openapi import document
from core.models import PurchaseReceiptLine, StockMove
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import Server, serve, tokens
from tests.factories import Shop, make_shop
from tests.integration.chat_shop import rows
from tests.note_shop import EIGHT, ROWS, note_shop
from tests.notes import scribble


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


async def picture(api: Server, number: str, token: str, content: bytes) -> tuple[int, Any]:
    async with api.http.post(f"{api.url}/purchase-orders/{number}/receipt-drafts", data=content, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}) as response:
        return response.status, await response.json(content_type=None)


def test_a_photographed_note_returns_the_proposed_lines_and_bad_pictures_are_refused(
    shop: Shop, admin: Actor
) -> None:
    order = note_shop(shop.uow, admin, shop.purchaser).order
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            status, draft = await picture(api, order, t["warehouse"], EIGHT)
            assert status == 200, draft
            assert (draft["order_number"], draft["note_number"], draft["note_date"]) == (
                order, "DN-2026-0042", "2026-12-03")
            assert [(ln["sku"], Decimal(ln["received"]), Decimal(ln["expected"])) for ln in draft["lines"]] == [
                (sku, Decimal(qty), Decimal(qty)) for _, (sku, qty) in ROWS[:8]]
            assert Decimal(draft["lines"][1]["qty"]) == 3 and draft["lines"][1]["unit"] == "箱", "36: 3 boxes of 12"
            assert [ln["sku"] for ln in draft["open_lines"]][-2:] == ["PLATE", "SPOON"]
            status, refused = await picture(api, order, t["warehouse"], scribble())
            assert (status, refused["error"]["code"]) == (422, "picture_no_table")
            status, refused = await picture(api, order, t["warehouse"], b"%PDF-1.4 not a picture")
            assert (status, refused["error"]["code"]) == (422, "picture_refused")
            assert "not a picture" in refused["error"]["message"]
            status, refused = await picture(api, order, t["warehouse"], b"\xff" * (10 * 1024 * 1024 + 1))
            assert (status, refused["error"]["code"]) == (413, "picture_refused")
            status, refused = await picture(api, order, t["sales"], EIGHT)
            assert (status, refused["error"]["code"]) == (403, "permission_denied")

    asyncio.run(scenario())
    assert rows(shop.uow, StockMove, PurchaseReceiptLine) == (0, 0), "a draft receives nothing"


def test_the_openapi_document_describes_the_receipt_drafts_route() -> None:
    route = document()["paths"]["/purchase-orders/{number}/receipt-drafts"]["post"]
    assert "image/jpeg" in route["requestBody"]["content"]
    assert route["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReceiptDraft"}
    assert "differs" not in document()["components"]["schemas"]["ProposedLine"]["properties"]

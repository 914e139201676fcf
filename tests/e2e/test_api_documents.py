"""GET /api/v1/documents/{number}.pdf on our real server: the PDF as the token's role may read it, A4 or 80 mm,
the document's language from Accept-Language or ?lang=, and refusals as JSON."""

from __future__ import annotations

import asyncio

import pytest

from bot.api.openapi import document
from core.permissions import Actor
from core.stock.stocktake import start_stocktake
from core.uow import UnitOfWork
from tests.e2e.api_client import Server, serve
from tests.e2e.test_api import stocked, tokens
from tests.factories import Shop, make_shop
from tests.pdfs import page_size_mm, pdf_fonts, pdf_text


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


async def pdf(api: Server, path: str, token: str, lang: str | None = None) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"Bearer {token}", **({"Accept-Language": lang} if lang else {})}
    async with api.http.get(api.url + path, headers=headers) as response:
        return response.status, response.content_type, await response.read()


def test_documents_print_as_pdf_with_the_permissions_of_reading_them(shop: Shop) -> None:
    t = tokens(shop)
    sheet = start_stocktake(shop.uow, shop.admin, "NORTH").number

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            po = await stocked(api, t)
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店客户"})
            order = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP-1", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "3"}]})
            so = order.body["number"]

            status, kind, body = await pdf(api, f"/documents/{so}.pdf", t["sales"], "zh-CN,zh;q=0.9")
            assert (status, kind) == (200, "application/pdf")
            text = pdf_text(body)
            assert "送货单" in text and so in text and "网店客户" in text and "大写金额" in text
            assert all(font.embedded for font in pdf_fonts(body))
            status, _, body = await pdf(api, f"/documents/{so}.pdf?layout=80mm&lang=en", t["warehouse"])
            assert status == 200 and page_size_mm(body)[0] == 80.0 and "Delivery note" in pdf_text(body)

            status, _, body = await pdf(api, f"/documents/{po}.pdf", t["purchaser"])
            assert status == 200 and "Purchase order" in pdf_text(body) and "3.30" in pdf_text(body)
            status, _, body = await pdf(api, f"/documents/{po}.pdf", t["sales"])
            assert status == 403 and b"permission_denied" in body
            status, _, body = await pdf(api, f"/documents/{sheet}.pdf", t["warehouse"])
            assert status == 403, "the MAIN worker's token prints nothing of NORTH"
            status, _, body = await pdf(api, f"/documents/{sheet}.pdf", t["manager"])
            assert status == 200 and "Stocktake sheet" in pdf_text(body)

            status, _, body = await pdf(api, "/documents/customer:SHOP-1.pdf", t["finance"])
            assert status == 200 and "Customer statement" in pdf_text(body)
            status, _, body = await pdf(api, "/documents/customer:SHOP-1.pdf?month=2026-13", t["finance"])
            assert status == 400 and b"invalid_filter" in body
            status, _, body = await pdf(api, "/documents/SO-1999-000001.pdf", t["manager"])
            assert status == 404 and b"unknown_document" in body
            status, _, body = await pdf(api, f"/documents/{so}.pdf?layout=a5", t["manager"])
            assert status == 400 and b"layout must be one of a4, 80mm" in body
            status, _, _ = await pdf(api, f"/documents/{so}.pdf", "not-a-token")
            assert status == 401

    asyncio.run(scenario())


def test_the_openapi_document_describes_the_pdf() -> None:
    get = document()["paths"]["/documents/{number}.pdf"]["get"]
    assert set(get["responses"]) >= {"200", "400", "401", "403", "404", "503"}
    assert "application/pdf" in get["responses"]["200"]["content"]
    assert {p["name"] for p in get["parameters"]} == {"number", "layout", "lang", "month", "from", "to"}

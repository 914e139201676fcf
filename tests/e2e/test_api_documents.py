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
            assert status == 200 and "客户对账单" in pdf_text(body), "in the customer's language, not the token's"
            status, _, body = await pdf(api, "/documents/customer:SHOP-1.pdf?lang=en", t["finance"])
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


def test_a_quotation_prints_through_rest_in_the_customers_language(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            made = await api.post("/customers", t["sales"], {"code": "LONDON", "name": "London Imports",
                                                             "language": "en"})
            assert made.status == 201 and made.body["language"] == "en"
            quoted = await api.post("/quotations", t["sales"], {
                "customer": "LONDON", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "12"}]})
            number = quoted.body["number"]
            status, kind, body = await pdf(api, f"/documents/{number}.pdf", t["sales"], "zh-CN,zh;q=0.9")
            text = pdf_text(body)
            assert (status, kind) == (200, "application/pdf")
            assert "Quotation" in text and "Blue tea cup" in text and "96.00" in text and "Valid until" in text
            assert "大写金额" not in text and all(font.embedded for font in pdf_fonts(body))
            status, _, body = await pdf(api, f"/documents/{number}.pdf?lang=zh_CN&layout=80mm", t["sales"])
            assert status == 200 and "报价单" in pdf_text(body) and "大写金额: 玖拾陆元整" in pdf_text(body)
            status, _, body = await pdf(api, f"/documents/{number}.pdf", t["purchaser"])
            assert status == 403
            changed = await api.post("/customers/LONDON/language", t["manager"], {"language": "zh_CN"})
            assert (changed.status, changed.body["language"]) == (200, "zh_CN")
            status, _, body = await pdf(api, f"/documents/{number}.pdf", t["sales"])
            assert "报价单" in pdf_text(body)
            refused = await api.post("/customers/LONDON/language", t["manager"], {"language": "fr"})
            assert refused.status == 422 and refused.body["error"]["code"] == "invalid_partner"
            nobody = await api.post("/customers/NOBODY/language", t["manager"], {"language": "en"})
            assert (nobody.status, nobody.body["error"]["code"]) == (422, "unknown_partner")
            assert (await api.post("/customers/LONDON/language", t["manager"], {"lang": "en"})).status == 400

    asyncio.run(scenario())


def test_labels_print_through_rest_as_jxc_labels_prints_them(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/products/TEA-CUP/spec", t["sales"], {"spec": "1L"})).status == 403
            set_spec = await api.post("/products/tea-cup/spec", t["purchaser"], {"spec": "200ml"})
            assert (set_spec.status, set_spec.body) == (200, {"sku": "TEA-CUP", "spec": "200ml"})
            product = await api.get("/products/TEA-CUP", t["sales"])
            assert product.body["spec"] == "200ml"
            too_long = await api.post("/products/TEA-CUP/spec", t["purchaser"], {"spec": "x" * 61})
            assert too_long.status == 400
            patched = await api.call("PATCH", "/products/TEA-CUP", t["purchaser"], {"spec": " 250ml "})
            assert (patched.status, patched.body["spec"]) == (200, "250ml")
            assert (await api.call("PATCH", "/products/TEA-CUP", t["purchaser"], {"spec": "x" * 61})).status == 400
            assert (await api.call("PATCH", "/products/TEA-CUP", t["purchaser"], {"spec": "200ml"})).status == 200
            status, kind, body = await pdf(api, "/labels.pdf?sku=TEA-CUP,RETRO-CLOCK&copies=2", t["warehouse"],
                                           "zh-CN")
            text = pdf_text(body)
            assert (status, kind) == (200, "application/pdf") and page_size_mm(body) == (210.0, 297.0)
            assert text.count("青花茶杯") == 2 and text.count("复古闹钟") == 2 and "200ml" in text
            assert "6901234567890" in text and "¥8.00" in text
            status, _, body = await pdf(api, "/labels.pdf?sku=LAMP&sku=TEA-CUP&layout=50x30&shelf=1&lang=en",
                                        t["sales"])
            assert status == 200 and page_size_mm(body) == (50.0, 30.0) and "Desk lamp" in pdf_text(body)
            status, _, body = await pdf(api, "/labels.pdf?sku=NOPE-1", t["sales"])
            assert status == 404 and b"unknown_product" in body
            for query in ("", "?sku=LAMP&layout=a5", "?sku=LAMP&copies=0", "?sku=LAMP&shelf=maybe",
                          "?sku=" + ",".join(["LAMP"] * 6) + "&copies=100"):
                status, _, body = await pdf(api, f"/labels.pdf{query}", t["sales"])
                assert status == 400 and b"bad_request" in body, query
            status, _, _ = await pdf(api, "/labels.pdf?sku=LAMP", "not-a-token")
            assert status == 401

    asyncio.run(scenario())


def test_the_openapi_document_describes_the_pdf() -> None:
    get = document()["paths"]["/documents/{number}.pdf"]["get"]
    assert set(get["responses"]) >= {"200", "400", "401", "403", "404", "503"}
    assert "application/pdf" in get["responses"]["200"]["content"]
    assert {p["name"] for p in get["parameters"]} == {"number", "layout", "lang", "month", "from", "to"}

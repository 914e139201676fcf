"""GET /app/pdf/NUMBER, the pages' Print button, through the real server: the document as the page's reader may
print it (a page session in ?k= or Bearer), in the customer's language unless asked, and refusals as the page's
calls answer them: 401 without a session, 404 for an unknown number, 403 for what the reader may not see, 400 for
a wrong layout."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bot.composition import build_app_parts
from bot.server import build_app
from core.config import Config
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import bind_account
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order
from core.sales.orders import create_sales_order
from core.sales.records import SalesLineIn
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.integration.test_app_session import BOT_TOKEN, init_data
from tests.pdfs import pdf_text


def test_the_print_button_serves_the_readers_copy_and_refuses_clearly(db_url: str, uow: UnitOfWork,
                                                                      admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("LONDON", "London Imports", salesperson="sales-1", language="en"))
    order = create_sales_order(uow, shop.sales, "LONDON", "MAIN", [SalesLineIn("TEA-CUP", 3)]).number
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    po = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 2, "40")]).number
    bind_account(uow, admin, "sales-1", "telegram", "4343", "4343")
    config = Config(sections={"database": {"url": db_url}, "telegram": {"token": BOT_TOKEN, "mode": "polling"},
                              "server": {"public_url": "https://jxc.example.com"}})

    async def main() -> None:
        parts = build_app_parts(config)
        parts.channels = [c for c in parts.channels if c.name != "telegram"]
        runner = web.AppRunner(build_app(parts), handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{url}/app/session", json={"init_data": init_data(4343)}) as response:
                    token = (await response.json())["token"]

                policies: list[str] = []

                async def get(path: str, **headers: str) -> tuple[int, str, bytes]:
                    async with http.get(url + path, headers=headers) as answer:
                        policies.append(answer.headers.get("Content-Security-Policy", ""))
                        return answer.status, answer.content_type, await answer.read()

                status, kind, body = await get(f"/app/pdf/{order}?k={token}")
                assert (status, kind) == (200, "application/pdf")
                assert "Delivery note" in pdf_text(body) and "Blue tea cup" in pdf_text(body)
                assert policies[-1].startswith("frame-ancestors 'self'"), "framed by Telegram only, viewer allowed"
                status, _, body = await get(f"/app/pdf/{order}?lang=zh_CN&layout=80mm",
                                            Authorization=f"Bearer {token}")
                assert status == 200 and "送货单" in pdf_text(body)
                assert (await get(f"/app/pdf/{order}"))[0] == 401
                assert (await get(f"/app/pdf/{order}?k=forged.token.a.b.c"))[0] == 401
                status, _, body = await get(f"/app/pdf/SO-1999-000001?k={token}")
                assert status == 404 and b"unknown_document" in body
                status, _, body = await get(f"/app/pdf/{po}?k={token}")
                assert status == 403 and b"permission_denied" in body
                assert (await get(f"/app/pdf/{order}?k={token}&layout=a5"))[0] == 400
        finally:
            await runner.cleanup()

    asyncio.run(main())


"""Credentials that are not UTF-8 (a bearer token, Telegram's webhook secret, the session cookie, the CSRF
header) are refused as credentials before anyone is authenticated: 401 or 403, never a 500. Sent as raw bytes,
the way a client that does not speak UTF-8 sends them."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.models import InboxMessage
from core.people.accounts import create_login_link, sign_in
from core.people.employees import load_actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.e2e.test_api import url_of
from tests.factories import make_shop

BAD = b"\xff\xfe\xc3("


async def raw(url: str, method: str, path: str, headers: list[bytes], body: bytes = b"") -> int:
    """The status of one HTTP/1.1 request written byte for byte."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"{method} {path} HTTP/1.1".encode(), f"Host: {host}".encode(), b"Connection: close",
             f"Content-Length: {len(body)}".encode(), b"Content-Type: application/json", *headers]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


def inbox(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(InboxMessage.id))) or 0)


def test_credentials_that_are_not_utf8_are_refused_as_credentials_not_with_a_server_error(uow: UnitOfWork) -> None:
    admin = load_actor(uow, "system")
    make_shop(uow, admin)
    cookie = sign_in(uow, create_login_link(uow, admin, "sales-1").code).cookie.encode()

    async def scenario(fake: FakeTelegram) -> None:
        stack = await start_stack(url_of(uow), fake)
        try:
            url = stack.url
            assert await raw(url, "GET", "/api/v1/stock", [b"Authorization: Bearer jxc_" + BAD]) == 401
            assert await raw(url, "GET", "/api/v1/stock", [b"Authorization: " + BAD]) == 401
            update = b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}'
            assert await raw(url, "POST", "/telegram/webhook",
                             [b"X-Telegram-Bot-Api-Secret-Token: " + BAD], update) == 403
            assert await raw(url, "POST", "/chat/send", [b"Cookie: jxc_session=" + BAD], b"{}") == 401
            assert await raw(url, "GET", "/chat/events", [b"Cookie: jxc_session=" + BAD]) == 401
            assert await raw(url, "GET", "/chat", [b"Cookie: jxc_session=" + BAD]) == 401  # the sign-in page
            assert await raw(url, "GET", "/app/", [b"Cookie: jxc_session=" + BAD]) == 200
            assert await raw(url, "GET", "/app/api/warehouses", [b"Cookie: jxc_session=" + BAD]) == 401
            assert await raw(url, "GET", "/app/api/warehouses", [b"Authorization: Bearer " + BAD]) == 401
            signed = b"Cookie: jxc_session=" + cookie
            assert await raw(url, "POST", "/app/api/sales/quote", [signed, b"X-CSRF-Token: " + BAD], b"{}") == 403
            assert await raw(url, "POST", "/chat/send", [signed, b"X-CSRF-Token: " + BAD], b"{}") == 403
            assert inbox(uow) == 0
        finally:
            await stack.stop()

    run(scenario)

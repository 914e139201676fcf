"""Our real server (composition root, aiohttp on 127.0.0.1) and a small client of its REST API, for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.composition import build_app_parts
from bot.server import build_app, make_runner
from core.config import Config
from core.people.tokens import create_token
from core.uow import UnitOfWork
from tests.factories import Shop


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Server:
    url: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, token: str | None = None, body: Any = None, *,
                   key: str | None = None, raw: bytes | None = None, lang: str | None = None) -> Reply:
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        if lang is not None:
            headers["Accept-Language"] = lang
        kwargs: dict[str, Any] = {}
        if raw is not None:
            kwargs["data"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as response:
            payload = await response.json(content_type=None)
            return Reply(response.status, payload, dict(response.headers))

    async def get(self, path: str, token: str | None, **kw: Any) -> Reply:
        return await self.call("GET", path, token, **kw)

    async def post(self, path: str, token: str | None, body: Any = None, **kw: Any) -> Reply:
        return await self.call("POST", path, token, body, **kw)


def url_of(uow: UnitOfWork) -> str:
    return uow.engine.url.render_as_string(hide_password=False)


@asynccontextmanager
async def serve(uow: UnitOfWork, rate_per_minute: float = 0,
                books: dict[str, object] | None = None) -> AsyncIterator[Server]:
    """The whole server built by the composition root on a random port, on the test's database; `books` adds
    [books] settings."""
    config = Config(sections={"database": {"url": url_of(uow), "pool_size": 10},
                              "server": {"public_url": "http://127.0.0.1"},
                              "api": {"rate_per_minute": rate_per_minute}, "books": books or {}})
    parts = build_app_parts(config)
    runner = make_runner(build_app(parts))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    http = aiohttp.ClientSession()
    try:
        yield Server(f"http://127.0.0.1:{port}/api/v1", http)
    finally:
        await http.close()
        await runner.cleanup()


def tokens(shop: Shop) -> dict[str, str]:
    """One token per role; the warehouse token works in MAIN."""
    made = {role: create_token(shop.uow, shop.admin, f"{role}-api", role).secret
            for role in ("manager", "purchaser", "sales", "finance")}
    made["warehouse"] = create_token(shop.uow, shop.admin, "warehouse-api", "warehouse", ("MAIN",)).secret
    return made

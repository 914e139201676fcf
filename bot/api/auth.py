"""Bearer tokens and the per-token rate limit of the REST API."""

from __future__ import annotations

import asyncio
import math

from aiohttp import web
from aiolimiter import AsyncLimiter

from bot.channels import header_text
from core.people.tokens import Caller, authenticate
from core.uow import UnitOfWork


class RateLimits:
    """One leaky bucket per token: `rate_per_minute` requests a minute (0 = unlimited)."""

    def __init__(self, rate_per_minute: float) -> None:
        self.rate = float(rate_per_minute)
        self._limiters: dict[int, AsyncLimiter] = {}

    async def retry_after(self, token_id: int) -> int | None:
        """None when the request may go ahead now (and takes its share), else the seconds to wait."""
        if self.rate <= 0:
            return None
        limiter = self._limiters.get(token_id)
        if limiter is None:
            limiter = self._limiters[token_id] = AsyncLimiter(self.rate, 60)
        if not limiter.has_capacity():
            return max(1, math.ceil(60 / self.rate))
        await limiter.acquire()  # has capacity: returns at once, nothing runs in between
        return None


def bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = header_text(request, "Authorization")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def caller_of(uow: UnitOfWork, request: web.Request) -> Caller | None:
    """The integration behind the request's bearer token; None for a missing, unknown or revoked token."""
    secret = bearer(request)
    if secret is None:
        return None
    return await asyncio.to_thread(authenticate, uow, secret)

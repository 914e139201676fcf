"""Idempotency-Key on POST: the request's fingerprint, and running a POST once per (token, key)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from core.errors import DomainError
from core.people.tokens import Answer, run_idempotent
from core.uow import UnitOfWork

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the method, path and canonical JSON body: a retry must send the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def key_of(request: web.Request) -> str | None:
    """The request's Idempotency-Key; ValueError when present but malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.fullmatch(key):
        raise ValueError("Idempotency-Key must be 1 to 200 visible ASCII characters")
    return key


async def once(uow: UnitOfWork, token_id: int, key: str, request_hash: str, action: Callable[[], tuple[int, str]],
               refusal: Callable[[DomainError], tuple[int, str]]) -> Answer:
    """Run `action` once for (token, key) and store its answer (or its refusal's); retries get the stored answer."""
    return await asyncio.to_thread(run_idempotent, uow, token_id, key, request_hash, action, refusal)

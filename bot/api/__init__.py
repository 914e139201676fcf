"""The REST API under /api/v1: bearer tokens per integration, acting through core services like any employee.

Mounted by the composition root as one more route group on the server (see bot/channels: the same
mount/start/drain/stop shape; the API has nothing to start or drain).
"""

from __future__ import annotations

from aiohttp import web

from bot.api.routes import Api
from bot.documents import Printer
from bot.engine.inbound import PictureReading
from bot.engine.texts import Texts
from core.integration.webhook_policy import DEFAULT_POLICY, WebhookPolicy
from core.uow import UnitOfWork


class ApiChannel:
    """The API as a server part: routes only."""

    name = "api"

    def __init__(self, uow: UnitOfWork, texts: Texts, rate_per_minute: float = 600,
                 policy: WebhookPolicy = DEFAULT_POLICY, printer: Printer | None = None,
                 reader: PictureReading | None = None) -> None:
        self.api = Api(uow, texts, rate_per_minute, policy, printer, reader)

    def mount(self, app: web.Application) -> None:
        self.api.mount(app)

    async def start(self) -> None:
        return None

    async def drain(self) -> None:
        return None

    async def sweep(self) -> int:
        """REST requests are answered within their own request: nothing is left to sweep."""
        return 0

    async def stop(self) -> None:
        return None


__all__ = ["Api", "ApiChannel"]

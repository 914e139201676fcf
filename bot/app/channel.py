"""The long screens as pages (a Telegram Mini App, the same pages in the browser chat and WeCom's browser): the
pages themselves, `POST /app/session` for Telegram's initData, and who is asking on every /app/api call.

A page proves who it is in one of three ways: a page session token (from /app/session, or in a WeCom link) sent as
`Authorization: Bearer`, which no other site can read or send; or the browser chat's session cookie, with the
session's CSRF token in `X-CSRF-Token` on every call, as the browser chat does.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.app.auth import PageTokens, telegram_user
from bot.channels import cookie_text, header_text, json_object, read_capped
from bot.engine.texts import DEFAULT_LANGUAGE, LANGUAGES, TEMPLATES, Texts
from core.errors import DomainError
from core.people.accounts import bound_actor, session_actor
from core.permissions import Actor
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
CHANNEL = "app"
COOKIE = "jxc_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY = 64 * 1024
MAX_PICTURE = 10 * 1024 * 1024  # a photo of a delivery note (POST image/*)
PAGES = ("sales", "receive", "count", "quote", "deposit")
STATIC = Path(__file__).resolve().parents[1] / "static"
SECURITY_HEADERS = MappingProxyType({
    "Content-Security-Policy": "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' https://telegram.org; "
                               "style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
})
Handler = Callable[[Actor, dict[str, Any]], Awaitable[Any]]
PdfMaker = Callable[[Actor, dict[str, str]], Awaitable[tuple[bytes, str]]]  # a document's PDF and file name
PDF_STATUS = MappingProxyType({"unknown_document": 404, "permission_denied": 403})
# A PDF is shown by the browser's own viewer, which the pages' policy (default-src 'none') would leave blank.
PDF_POLICY = "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"


@dataclass(frozen=True)
class AppSettings:
    """The bot token that signs Telegram's initData (empty: no Mini App sign-in) and the page-session secret."""

    bot_token: str
    secret: bytes


class Refused(Exception):
    """An API call answered with an error: its HTTP status and words in the reader's language."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


class AppChannel:
    """Serves /app pages and /app/api calls; the calls themselves are in bot/app/api.py."""

    name = CHANNEL

    def __init__(self, uow: UnitOfWork, texts: Texts, settings: AppSettings,
                 routes: dict[tuple[str, str], Handler], pdf: PdfMaker | None = None) -> None:
        self.uow, self.texts, self.settings, self.routes, self.maker = uow, texts, settings, routes, pdf
        self.tokens = PageTokens(settings.secret)
        self.pages = {lang: Environment(
            loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES / lang / "app")), FileSystemLoader(
                str(TEMPLATES / "web"))]),
            autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined, trim_blocks=True,
            lstrip_blocks=True) for lang in LANGUAGES}

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/app/", self.page)
        app.router.add_get("/app/{page:sales|receive|count|quote|deposit}", self.page)
        app.router.add_get("/app/pdf/{number}", self.pdf)
        app.router.add_post("/app/session", self.session)
        for (method, path), handler in self.routes.items():
            app.router.add_route(method, f"/app/api/{path}", self._caller(handler))
        app.router.add_static("/app/static/", STATIC, name="app_static", append_version=True)
        app.on_response_prepare.append(_protect)

    async def start(self) -> None:
        """Nothing to connect."""

    async def drain(self) -> None:
        """Every call is answered within its request."""

    async def sweep(self) -> int:
        """Pages are answered within their requests: nothing is left to sweep."""
        return 0

    async def stop(self) -> None:
        """No connections of its own."""

    def link_token(self, channel: str, user_id: str) -> str:
        """A page session for a chat account, put in the links a chat sends (WeCom's in-app browser)."""
        return self.tokens.issue(channel, user_id)

    # ---- pages and the session -------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        """A page in the reader's language: the browser chat's or the link's employee, else ?lang= or the browser."""
        which = request.match_info.get("page", "home")
        actor = await self._page_actor(request)
        lang = actor.language if actor else _wanted_language(request)
        csrf = ""
        if actor is not None and cookie_text(request, COOKIE):
            found = await asyncio.to_thread(session_actor, self.uow, cookie_text(request, COOKIE))
            csrf = found[1] if found else ""
        static = request.app.router["app_static"].url_for
        html = self.pages[lang].get_template(f"app_{which}.j2").render(
            lang=lang, page=which, csrf=csrf, name=actor.name if actor else "", static=static,
            query=dict(request.query))
        return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def pdf(self, request: web.Request) -> web.Response:
        """A document's PDF for a page's Print button, as its reader may print it: who asks as for a page (?k= the
        page session, else the browser chat's cookie) or a call (Bearer); refusals as the calls answer them."""
        lang = _wanted_language(request)
        bearer = header_text(request, "Authorization")
        if bearer.startswith("Bearer "):
            actor = await self._token_actor(bearer.removeprefix("Bearer ").strip())
        else:
            actor = await self._page_actor(request)
        if actor is None or self.maker is None:
            return self._error(Refused(401 if actor is None else 501, "signed_out" if actor is None else "server"),
                               lang)
        try:
            content, name = await self.maker(actor, {**dict(request.query), "number": request.match_info["number"]})
        except Refused as refused:
            return self._error(refused, actor.language)
        except DomainError as error:
            return web.json_response({"error": error.code, "message": self.texts.error(actor.language, error)},
                                     status=PDF_STATUS.get(error.code, 422))
        return web.Response(body=content, content_type="application/pdf",
                            headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store",
                                     "Content-Security-Policy": PDF_POLICY})

    async def session(self, request: web.Request) -> web.Response:
        """Trade Telegram's initData for a page session: 200 for a bound employee, 401 otherwise; nothing stored."""
        try:
            body = await _json_body(request)
        except Refused as refused:
            return self._error(refused, _wanted_language(request))
        init_data = body.get("init_data")
        user_id = telegram_user(init_data, self.settings.bot_token) if isinstance(init_data, str) else None
        actor = None if user_id is None else await asyncio.to_thread(
            bound_actor, self.uow, "telegram", user_id, "telegram_app")
        if user_id is None or actor is None:
            log.info("mini app session refused (%s)", "bad init data" if user_id is None else "unbound")
            return self._error(Refused(401, "unbound" if user_id else "forged"), _wanted_language(request))
        return web.json_response({"token": self.tokens.issue("telegram", user_id), "name": actor.name,
                                  "lang": actor.language})

    # ---- API calls -------------------------------------------------------------------------------------------

    def _caller(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def answer(request: web.Request) -> web.Response:
            return await self.call(request, handler)

        return answer

    async def call(self, request: web.Request, handler: Handler) -> web.Response:
        """Who asks, the body or query, the handler; refusals in the reader's words, never a 500 page."""
        lang = _wanted_language(request)
        try:
            actor = await self._api_actor(request)
            lang = actor.language
            if request.method == "POST" and request.content_type.startswith("image/"):  # a photo of paper
                values = {**dict(request.query), "picture": await read_capped(request, MAX_PICTURE)}
            else:
                values = await _json_body(request) if request.method == "POST" else dict(request.query)
            result = await handler(actor, values)
        except Refused as refused:
            return self._error(refused, lang)
        except DomainError as error:
            return web.json_response({"error": error.code, "message": self.texts.error(lang, error)}, status=422)
        except Exception:  # the page shows a message; the log has the details
            log.exception("app call %s failed", request.path)
            return self._error(Refused(500, "server"), lang)
        return web.json_response(result)

    async def _api_actor(self, request: web.Request) -> Actor:
        bearer = header_text(request, "Authorization")
        if bearer.startswith("Bearer "):
            actor = await self._token_actor(bearer.removeprefix("Bearer ").strip())
            if actor is None:
                raise Refused(401, "signed_out")
            return actor
        cookie = cookie_text(request, COOKIE)
        found = await asyncio.to_thread(session_actor, self.uow, cookie) if 0 < len(cookie) <= 100 else None
        if found is None:
            raise Refused(401, "signed_out")
        if not _same(header_text(request, CSRF_HEADER), found[1]):
            raise Refused(403, "csrf")
        return replace(found[0], channel="web_app")

    async def _page_actor(self, request: web.Request) -> Actor | None:
        token = request.query.get("k", "")
        if token:
            return await self._token_actor(token)
        cookie = cookie_text(request, COOKIE)
        if not 0 < len(cookie) <= 100:
            return None
        found = await asyncio.to_thread(session_actor, self.uow, cookie)
        return None if found is None else found[0]

    async def _token_actor(self, token: str) -> Actor | None:
        account = self.tokens.check(token)
        if account is None:
            return None
        return await asyncio.to_thread(bound_actor, self.uow, account.channel, account.user_id,
                                       f"{account.channel}_app")

    def _error(self, refused: Refused, lang: str) -> web.Response:
        message = self.texts.render(lang, f"app_error_{refused.key}")
        return web.json_response({"error": refused.key, "message": message}, status=refused.status)


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await read_capped(request, MAX_BODY)
    if raw is None:
        raise Refused(413, "too_large")
    body = json_object(raw or b"{}")
    if body is None:
        raise Refused(400, "bad_request")
    return body


def _wanted_language(request: web.Request) -> str:
    asked = request.query.get("lang", "")
    if asked in LANGUAGES:
        return asked
    accept = request.headers.get("Accept-Language", "").lower()
    return "en" if accept.startswith("en") else DEFAULT_LANGUAGE


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


async def _protect(request: web.Request, response: web.StreamResponse) -> None:
    """Security headers on every page and answer under /app (framed by Telegram's web client only)."""
    if request.path.startswith("/app"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)

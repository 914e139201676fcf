"""The browser chat: a one-time link signs an employee in, then /chat is a messenger page talking to the engine.

Every message the page posts carries an id made in the browser: it is the inbox's external id, so a retried
POST is recorded once and answered with the replies stored the first time. Recording and processing run off
the event loop; the replies go back in the answer and are marked delivered.

Pushes reach an open page as they happen: GET /chat/events (Server-Sent Events, the session cookie) looks for
its person's waiting notes every `push_seconds` in the database, so any server process (PostgreSQL) serves them,
and marks each sent as it is written (bot.delivery.pending_for_employee: only for people with no messenger the
dispatcher pushes to); a push on a topic (a low-stock warning, a decided approval) replaces the page's earlier one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.channels import (
    ChatTurns,
    cookie_text,
    header_text,
    json_object,
    photo_contents,
    read_capped,
    reader_for,
    recover,
)
from bot.delivery import pending_for_employee
from bot.engine.engine import Engine
from bot.engine.inbound import Inbound
from bot.engine.replies import CALLBACK_LIMIT, Attachment, Reply
from core.errors import DomainError
from core.people.accounts import session_actor, sign_in, sign_out, web_user_id
from core.people.employees import load_actor
from core.permissions import Actor

log = logging.getLogger(__name__)
CHANNEL = "web"
COOKIE = "jxc_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY = 32 * 1024
MAX_PHOTO = 10 * 1024 * 1024  # a phone camera's JPEG; read as it arrives and refused past this
MESSAGE_HEADER = "X-Message-Id"
HISTORY = 40
MESSAGE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PAGES = Path(__file__).resolve().parents[2] / "templates" / "web"
STATIC = Path(__file__).resolve().parents[1] / "static"
SECURITY_HEADERS = MappingProxyType({
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
})
WORDS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType({
    "zh_CN": MappingProxyType({
        "title": "jxc 聊天",
        "placeholder": "输入消息，例如：库存 保温杯",
        "send": "发送",
        "sign_out": "退出登录",
        "welcome": "你好，{name}！发送「帮助」看看可以做什么。",
        "download": "下载",
        "waiting": "正在处理…",
        "retrying": "网络不稳定，正在重试…",
        "network": "发送失败，请检查网络后再试。",
        "signed_out": "登录已失效。请向管理员索取新的登录链接。",
        "csrf": "页面已过期，请刷新页面后再试。",
        "bad_request": "消息格式不正确。",
        "empty": "请输入内容。",
        "too_large": "消息太长了，请分几次发送。",
        "photo": "📷 扫码",
        "photo_label": "拍照或选一张图片扫码",
        "photo_sent": "📷 图片",
        "photo_too_large": "图片太大了（最多 10 MB）。请换一张小一些的照片。",
        "server": "服务器出错了，请稍后再试。",
        "signin_title": "请先登录",
        "signin_body": "jxc 的网页聊天用一次性登录链接进入。请让管理员运行 jxc login-link 你的名字，"
                       "然后在半小时内打开收到的链接。",
        "login_failed_title": "登录链接无效",
        "login_failed_body": "这个链接不存在、已经用过或已经过期（链接半小时内有效，只能用一次）。"
                             "请让管理员重新生成一个。",
    }),
    "en": MappingProxyType({
        "title": "jxc chat",
        "placeholder": "Type a message, e.g. stock mug",
        "send": "Send",
        "sign_out": "Sign out",
        "welcome": "Hello {name}! Send \"help\" to see what you can do.",
        "download": "Download",
        "waiting": "Working…",
        "retrying": "Connection trouble, retrying…",
        "network": "Could not send. Check your connection and try again.",
        "signed_out": "You are signed out. Ask an administrator for a new sign-in link.",
        "csrf": "This page has expired. Reload it and try again.",
        "bad_request": "That message was not understood.",
        "empty": "Type something first.",
        "too_large": "That message is too long; send it in parts.",
        "photo": "📷 Scan",
        "photo_label": "Take or choose a picture to scan",
        "photo_sent": "📷 Photo",
        "photo_too_large": "That picture is too big (10 MB at most). Try a smaller photo.",
        "server": "Something went wrong on the server. Try again in a moment.",
        "signin_title": "Please sign in",
        "signin_body": "The jxc browser chat opens with a one-time sign-in link. Ask an administrator to run "
                       "jxc login-link YOUR-NAME, then open the link within half an hour.",
        "login_failed_title": "Sign-in link not valid",
        "login_failed_body": "This link does not exist, was used already or has expired (links work once, "
                             "within half an hour). Ask an administrator for a new one.",
    }),
})


@dataclass(frozen=True)
class WebSettings:
    """What the browser chat needs from [server]: its public address (https makes the cookie Secure)."""

    public_url: str = "http://127.0.0.1:8080"
    push_seconds: float = 1.0
    heartbeat_seconds: float = 15.0

    @property
    def secure(self) -> bool:
        return self.public_url.lower().startswith("https://")


@dataclass(frozen=True)
class Signed:
    """A signed-in browser: its cookie, the employee and the session's CSRF token."""

    cookie: str
    actor: Actor
    csrf: str

    @property
    def chat_id(self) -> str:
        return web_user_id(self.actor.employee_id)


class Refused(Exception):
    """A request answered with an error in the reader's language."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


class WebChannel:
    """The /chat page, sign-in and sign-out, and the JSON endpoint the page posts messages to."""

    name = CHANNEL

    def __init__(self, engine: Engine, settings: WebSettings) -> None:
        self.engine = engine
        self.uow = engine.uow
        self.settings = settings
        self._turns = ChatTurns()
        self._closing = asyncio.Event()
        self.pages = Environment(loader=FileSystemLoader(str(PAGES)), autoescape=select_autoescape(["html"]),
                                 undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/chat", self.page)
        app.router.add_get("/chat/login", self.login)
        app.router.add_post("/chat/logout", self.logout)
        app.router.add_post("/chat/send", self.send)
        app.router.add_get("/chat/events", self.events)
        app.router.add_post("/chat/photo", self.photo)
        app.router.add_get("/i/{code}", self.item_link)
        app.router.add_get("/chat/i/{code}", self.item_card)
        app.router.add_get("/chat/files/{inbox_id:\\d+}/{index:\\d+}/{part:image|file}", self.attachment)
        app.router.add_static("/chat/static/", STATIC, name="chat_static", append_version=True)
        app.on_response_prepare.append(_protect)

    async def start(self) -> None:
        """Handle what dead processes recorded but did not answer (leases run out); the page shows it."""
        await self.sweep()

    async def drain(self) -> None:
        """End the open push streams (every message is answered within its own request)."""
        self._closing.set()

    async def sweep(self) -> int:
        """Handle what a dead process recorded but did not answer (its lease ran out); the page shows it."""
        return await recover(self.engine, CHANNEL, self._turns.turn, self._answered)

    async def _answered(self, inbox_id: int, chat_id: str, replies: Sequence[Reply]) -> None:
        """The page reads replies from the history: handled is answered."""
        await asyncio.to_thread(self.engine.delivered, inbox_id)

    async def stop(self) -> None:
        """No connections of its own to close."""

    # ---- pages -----------------------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        """The chat page, or how to get a sign-in link."""
        signed = await self._signed(request)
        if signed is None:
            return self._render("signin.html", _reader_language(request), status=401)
        history = await asyncio.to_thread(self._history, signed.chat_id)
        lang = signed.actor.language
        return self._render("chat.html", lang, name=signed.actor.name, csrf=signed.csrf, history=history,
                            words=_all_words(), static=request.app.router["chat_static"].url_for)

    async def login(self, request: web.Request) -> web.Response:
        """Trade a one-time token for a session cookie, then go to the chat."""
        token = request.query.get("token", "")
        try:
            session = await asyncio.to_thread(sign_in, self.uow, token)
        except DomainError as error:
            log.info("web sign-in refused: %s", error.code)
            return self._render("login_failed.html", _reader_language(request), status=403)
        previous = cookie_text(request, COOKIE)
        if previous and len(previous) <= 100:
            await asyncio.to_thread(sign_out, self.uow, previous)  # one browser, one session
        response = web.HTTPSeeOther("/chat")
        response.set_cookie(COOKIE, session.cookie, httponly=True, samesite="Lax", secure=self.settings.secure,
                            path="/", max_age=14 * 24 * 3600)  # "/": the pages under /app use it too
        log.info("web sign-in: %s", session.actor.name)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        """End the session (the form carries the CSRF token) and forget the cookie."""
        signed = await self._signed(request)
        if signed is not None:
            form = await request.post()
            if not _same(str(form.get("csrf", "")), signed.csrf):
                return self._render("signin.html", signed.actor.language, status=403, problem="csrf")
            await asyncio.to_thread(sign_out, self.uow, signed.cookie)
        response = web.HTTPSeeOther("/chat")
        response.del_cookie(COOKIE, path="/")
        raise response

    # ---- messages --------------------------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        """Record the message once, process it, answer with its replies as JSON."""
        signed = await self._signed(request)
        lang = signed.actor.language if signed else _reader_language(request)
        try:
            if signed is None:
                raise Refused(401, "signed_out")
            if not _same(header_text(request, CSRF_HEADER), signed.csrf):
                raise Refused(403, "csrf")
            inbound = _inbound(signed, await _json_body(request))
        except Refused as refused:
            return _error(refused, lang)
        return await self._answer(inbound, signed, lang)

    async def photo(self, request: web.Request) -> web.Response:
        """A picture the page took or chose (the raw bytes, its id in X-Message-Id): its codes are read off the
        event loop and go to the engine as a photo's; the picture itself is not kept."""
        signed = await self._signed(request)
        lang = signed.actor.language if signed else _reader_language(request)
        try:
            if signed is None:
                raise Refused(401, "signed_out")
            if not _same(header_text(request, CSRF_HEADER), signed.csrf):
                raise Refused(403, "csrf")
            message_id = request.headers.get(MESSAGE_HEADER, "")
            if not MESSAGE_ID.match(message_id):
                raise Refused(400, "bad_request")
            content = await read_capped(request, MAX_PHOTO)
            if content is None:
                raise Refused(413, "photo_too_large")
        except Refused as refused:
            return _error(refused, lang)
        chat = signed.chat_id
        read = await photo_contents(content, reader_for(signed.actor, self.engine.reader))
        inbound = Inbound(CHANNEL, f"{chat}:{message_id}", chat, chat, codes=read.codes,
                          display_name=signed.actor.name, reading=read.reading, file_content=read.content)
        return await self._answer(inbound, signed, lang)

    async def item_link(self, request: web.Request) -> web.Response:
        """/i/<SKU>, the browser link printed on a label: on to the chat's own path (where its cookie is sent)."""
        raise web.HTTPSeeOther(f"/chat/i/{quote(request.match_info['code'], safe='')}")

    async def item_card(self, request: web.Request) -> web.Response:
        """The item's card as a message of this person's chat, then the chat page showing it; not signed in, how
        to sign in."""
        signed = await self._signed(request)
        if signed is None:
            return self._render("signin.html", _reader_language(request), status=401)
        code = request.match_info["code"].strip()[:64]
        chat = signed.chat_id
        inbound = Inbound(CHANNEL, f"{chat}:link-{uuid.uuid4()}", chat, chat, text=f"item {code}",
                          display_name=signed.actor.name)
        await asyncio.to_thread(self._exchange, inbound, signed.actor)
        raise web.HTTPSeeOther("/chat")

    async def _answer(self, inbound: Inbound, signed: Signed, lang: str) -> web.Response:
        """Record and process the message, answer with its replies as JSON (a 500 the page retries on failure)."""
        try:
            inbox_id, replies, lang = await asyncio.to_thread(self._exchange, inbound, signed.actor)
        except Exception:  # the page retries with the same id; the person reads a message, not a stack trace
            log.exception("web message %s from %s failed", inbound.external_id, signed.actor.name)
            return _error(Refused(500, "server"), lang)
        return web.json_response({"inbox_id": inbox_id, "lang": lang,
                                  "replies": [_reply_json(inbox_id, i, r) for i, r in enumerate(replies)]})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """GET /chat/events: the signed-in person's pushes as Server-Sent Events ("push", a reply as JSON with its
        topic), a comment now and then to keep the connection, until the page or the server goes."""
        signed = await self._signed(request)
        if signed is None:
            return _error(Refused(401, "signed_out"), _reader_language(request))
        stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                             "X-Accel-Buffering": "no"})
        await stream.prepare(request)
        await stream.write(b": jxc\n\n")
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while not self._closing.is_set():
            replies = await asyncio.to_thread(self._pushes, signed.actor.employee_id)
            for reply in replies:
                data = json.dumps(_reply_json(0, 0, _without_attachments(reply)), ensure_ascii=False)
                if not await _write(stream, f"event: push\ndata: {data}\n\n"):
                    return stream
            if replies or loop.time() - quiet_since >= self.settings.heartbeat_seconds:
                if not replies and not await _write(stream, ": still here\n\n"):
                    return stream
                quiet_since = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.settings.push_seconds)
        return stream

    async def attachment(self, request: web.Request) -> web.Response:
        """An image or file of a stored reply, only to the chat it was sent to."""
        signed = await self._signed(request)
        if signed is None:
            return _error(Refused(401, "signed_out"), _reader_language(request))
        inbox_id, index = int(request.match_info["inbox_id"]), int(request.match_info["index"])
        replies = await asyncio.to_thread(self._stored, inbox_id, signed.chat_id)
        found: Attachment | None = None
        if replies is not None and index < len(replies):
            found = getattr(replies[index], request.match_info["part"])
        if found is None:
            raise web.HTTPNotFound()
        inline = request.match_info["part"] == "image" and found.mime in INLINE_IMAGES
        disposition = "inline" if inline else "attachment"
        return web.Response(body=found.content, content_type=found.mime if inline else _safe_mime(found.mime),
                            headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name)}",
                                     "Cache-Control": "private, no-store"})

    # ---- blocking work (run in a thread) ---------------------------------------------------------------------

    def _exchange(self, inbound: Inbound, actor: Actor) -> tuple[int, list[Reply], str]:
        inbox_id = self.engine.record(inbound)
        if inbox_id is None:
            inbox_id = self.engine.recorded(CHANNEL, inbound.external_id)
            assert inbox_id is not None, "a duplicate message is in the inbox"
        replies = self.engine.process(inbox_id)
        self.engine.delivered(inbox_id)
        return inbox_id, replies, load_actor(self.uow, actor.employee_id, CHANNEL).language

    def _pushes(self, employee_id: int) -> list[Reply]:
        """Notes waiting for this person, rendered and marked sent (none for people a messenger gets them on)."""
        return self.uow.run(lambda tx: pending_for_employee(tx, employee_id, self.engine.texts))

    def _stored(self, inbox_id: int, chat_id: str) -> list[Reply] | None:
        return self.engine.stored_replies(inbox_id, CHANNEL, chat_id)

    def _history(self, chat_id: str) -> list[dict[str, Any]]:
        """The last messages of this chat, oldest first, as the page renders them."""
        labels: dict[str, str] = {}
        history = []
        for exchange in self.engine.history(CHANNEL, chat_id, HISTORY):
            button = exchange.payload.get("button")
            mine = labels.get(button, button) if button else exchange.payload.get("text") or ""
            if exchange.payload.get("codes") is not None:
                mine = " ".join(["📷", *exchange.payload["codes"]])
            history.append({"inbox_id": exchange.inbox_id, "mine": mine,
                            "replies": [_reply_json(exchange.inbox_id, i, r) for i, r in enumerate(exchange.replies)]})
            labels.update({b.data: b.label for r in exchange.replies for line in r.buttons for b in line if b.data})
        return history

    # ---- helpers ---------------------------------------------------------------------------------------------

    async def _signed(self, request: web.Request) -> Signed | None:
        cookie = cookie_text(request, COOKIE)
        if not cookie or len(cookie) > 100:
            return None
        found = await asyncio.to_thread(session_actor, self.uow, cookie)
        return None if found is None else Signed(cookie, found[0], found[1])

    def _render(self, template: str, lang: str, status: int = 200, **values: Any) -> web.Response:
        words = WORDS.get(lang, WORDS["zh_CN"])
        values.setdefault("problem", None)
        html = self.pages.get_template(template).render(lang=lang, t=words, **values)
        return web.Response(text=html, content_type="text/html", status=status,
                            headers={"Cache-Control": "no-store"})


def _inbound(signed: Signed, body: dict[str, Any]) -> Inbound:
    """The message a page posted: {"id": uuid, "text": ...} or {"id": uuid, "button": data}."""
    message_id, text, button = body.get("id"), body.get("text"), body.get("button")
    if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
        raise Refused(400, "bad_request")
    value = text if button is None else button
    if (text is None) == (button is None) or not isinstance(value, str):
        raise Refused(400, "bad_request")
    if button is not None and (not value or len(value.encode()) > CALLBACK_LIMIT):
        raise Refused(400, "bad_request")
    if text is not None and not value.strip():
        raise Refused(400, "empty")
    chat = signed.chat_id
    return Inbound(CHANNEL, f"{chat}:{message_id}", chat, chat, text=text, button=button,
                   display_name=signed.actor.name)


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await read_capped(request, MAX_BODY)
    if raw is None:
        raise Refused(413, "too_large")
    body = json_object(raw)
    if body is None:
        raise Refused(400, "bad_request")
    return body


def _reply_json(inbox_id: int, index: int, reply: Reply) -> dict[str, Any]:
    """A reply as the page draws it: attachments become links to the download route."""
    out: dict[str, Any] = {"text": reply.text,
                           "buttons": [[{"label": b.label, "data": b.data, "link": b.link} if b.link else
                                        {"label": b.label, "data": b.data} for b in row] for row in reply.buttons]}
    if reply.table is not None:
        out["table"] = reply.table.to_json()  # the page draws it as an HTML table
    if reply.extra.get("topic"):
        out["topic"] = str(reply.extra["topic"])  # the page keeps one message per topic
    for part in ("image", "file"):
        attachment: Attachment | None = getattr(reply, part)
        if attachment is not None:
            out[part] = {"url": f"/chat/files/{inbox_id}/{index}/{part}", "name": attachment.name,
                         "mime": attachment.mime}
    return out


async def _write(stream: web.StreamResponse, event: str) -> bool:
    """One event to the page; false when the page has gone."""
    try:
        await stream.write(event.encode())
    except (ConnectionResetError, RuntimeError):
        return False
    return True


def _without_attachments(reply: Reply) -> Reply:
    """A pushed reply as the page draws it live: its text and buttons (a pushed report's files are in the
    messengers and `jxc`; the live page has no stored exchange to serve them from)."""
    return Reply(reply.text, reply.buttons, extra=reply.extra, table=reply.table)


def _error(refused: Refused, lang: str) -> web.Response:
    words = WORDS.get(lang, WORDS["zh_CN"])
    return web.json_response({"error": refused.key, "message": words[refused.key]}, status=refused.status)


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _safe_mime(mime: str) -> str:
    """A download's type: documents and bitmap images as they are, anything a browser might run as bytes."""
    known = mime in INLINE_IMAGES or mime.startswith(("text/csv", "application/pdf", "application/vnd."))
    return mime if known else "application/octet-stream"


def _reader_language(request: web.Request) -> str:
    """English when the browser prefers it, else Chinese (the company default)."""
    accept = request.headers.get("Accept-Language", "").lower()
    return "en" if accept.startswith("en") else "zh_CN"


def _all_words() -> dict[str, dict[str, str]]:
    return {lang: dict(words) for lang, words in WORDS.items()}


async def _protect(request: web.Request, response: web.StreamResponse) -> None:
    """Security headers on every page and answer of the browser chat."""
    if request.path.startswith("/chat"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)

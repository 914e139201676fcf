"""WeCom (企业微信) self-built app through wechatpy 1.8.18: encrypted callbacks in, the message API out.

A callback is checked (size, no DTD, signature, CorpID), decrypted and committed to the inbox (unique MsgId, or
FromUserName:CreateTime:AgentID:event for events) before WeCom gets its empty 200, well inside its 5 seconds;
retries, also concurrent ones, find the row and do nothing. Processing and sending run in a tracked background
task; the synchronous wechatpy client runs in a thread, paced per member (WeCom drops what exceeds 30 a minute).

Buttons become numbered choices in the reader's language ("回复 1 选择「…」", 'Reply 1 for "…"'): the choices
offered last are kept per member in the database, so a typed number is recorded as that button's press. Approval
requests (buttons "ap:<id>:y|n") go out as a template card; a click arrives as template_card_event and is routed as
the button press, then the card is updated to show who decided (in the clicker's language). The access token lives
in the database, shared by every process.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.parsers.expat import ExpatError

import requests
from aiohttp import web
from aiolimiter import AsyncLimiter
from wechatpy.enterprise import WeChatClient, parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.events import register_event
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.events import BaseEvent
from wechatpy.exceptions import APILimitedException, InvalidSignatureException, WeChatClientException
from wechatpy.fields import IntegerField, StringField
from wechatpy.session import SessionStorage

from bot.channels import ChatTurns, InFlight, read_capped, start_recovery
from bot.delivery import PermanentError, RetryLater, TransientError
from bot.engine.engine import Engine
from bot.engine.inbound import Inbound
from bot.engine.replies import Button, Reply
from bot.engine.texts import Texts
from core.approvals.progress import decided_requests, last_decision
from core.integration.channel_values import channel_value, channel_values, forget_channel_value, keep_channel_value
from core.people.accounts import actor_for_account
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
CHANNEL = "wecom"
CALLBACK_PATH = "/wecom/callback"
DEFAULT_API = "https://qyapi.weixin.qq.com/cgi-bin/"
MAX_BODY = 64 * 1024
TEXT_LIMIT = 2048  # bytes of UTF-8, for text and markdown messages
CHOICES_TTL = timedelta(days=2)
CARD_TTL = timedelta(hours=72)  # how long WeCom accepts a ResponseCode
TOKEN_MARGIN = 300  # seconds before WeCom's expiry at which a stored token counts as expired
APPROVAL = re.compile(r"^ap:(\d+):([yn])$")
DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class WecomConfigError(ValueError):
    """The [wecom] section cannot work as written."""


@dataclass(frozen=True)
class WecomSettings:
    """The [wecom] section of the config."""

    corp_id: str
    agent_id: int
    secret: str
    token: str
    encoding_aes_key: str
    api_base_url: str = DEFAULT_API
    member_per_minute: float = 30
    member_period: float = 60  # seconds over which member_per_minute counts (tests shorten it)
    timeout: float = 10

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> WecomSettings:
        """Settings from [wecom]; every key but api_base_url, member_per_minute and timeout is required."""
        base = str(section.get("api_base_url", "") or DEFAULT_API)
        settings = cls(
            corp_id=str(section.get("corp_id", "") or ""),
            agent_id=int(section.get("agent_id", 0) or 0),
            secret=str(section.get("secret", "") or ""),
            token=str(section.get("token", "") or ""),
            encoding_aes_key=str(section.get("encoding_aes_key", "") or ""),
            api_base_url=base if base.endswith("/") else base + "/",
            member_per_minute=float(section.get("member_per_minute", cls.member_per_minute)),
            member_period=float(section.get("member_period", cls.member_period)),
            timeout=float(section.get("timeout", cls.timeout)),
        )
        missing = [k for k in ("corp_id", "secret", "token", "encoding_aes_key") if not getattr(settings, k)]
        if missing or not settings.agent_id:
            raise WecomConfigError(f"[wecom] needs {', '.join(missing + ([] if settings.agent_id else ['agent_id']))}")
        if len(settings.encoding_aes_key) != 43:
            raise WecomConfigError("[wecom] encoding_aes_key must be the 43 characters WeCom shows")
        return settings


# ---- wechatpy pieces --------------------------------------------------------------------------------------------

@register_event("template_card_event")
class TemplateCardEvent(BaseEvent):  # type: ignore[misc]
    """A button of a template card was clicked: EventKey is the button's key, ResponseCode updates the card."""

    event = "template_card_event"
    agent = IntegerField("AgentID", 0)
    key = StringField("EventKey")
    task_id = StringField("TaskId")
    card_type = StringField("CardType")
    response_code = StringField("ResponseCode")


class DatabaseStorage(SessionStorage):  # type: ignore[misc]
    """wechatpy's session storage in the channel_value table, so every process uses the same access token."""

    def __init__(self, uow: UnitOfWork, channel: str = CHANNEL) -> None:
        self.uow = uow
        self.channel = channel

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key`, `default` when none is or it has expired."""
        stored = channel_value(self.uow, self.channel, key)
        return default if stored is None else json.loads(stored)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        """Store a value for `ttl` seconds less a margin, so a token is renewed before WeCom expires it."""
        kept = None if ttl is None else timedelta(seconds=max(0, int(ttl) - TOKEN_MARGIN))
        keep_channel_value(self.uow, self.channel, key, json.dumps(value), kept)

    def delete(self, key: str) -> None:
        """Forget the value stored under `key`."""
        forget_channel_value(self.uow, self.channel, key)


class Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's WeCom client pointed at `api_base_url` (the token URL included), tokens in the database."""

    def __init__(self, settings: WecomSettings, storage: SessionStorage) -> None:
        super().__init__(settings.corp_id, settings.secret, session=storage, timeout=settings.timeout)
        self.API_BASE_URL = settings.api_base_url

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(url=self.API_BASE_URL + "gettoken",
                                        params={"corpid": self.corp_id, "corpsecret": self.secret})


# ---- the channel ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    """What a card click needs afterwards: the member, the button key and the code that updates the card."""

    user_id: str
    key: str
    response_code: str


class Refused(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


class WecomChannel:
    """One WeCom app: the callback route, the engine, and replies through the message API."""

    name = CHANNEL

    def __init__(self, engine: Engine, settings: WecomSettings, in_flight: InFlight) -> None:
        self.engine = engine
        self.uow = engine.uow
        self.settings = settings
        self.in_flight = in_flight
        self.crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.corp_id)
        self.client = Client(settings, DatabaseStorage(engine.uow))
        self._pace: dict[str, AsyncLimiter] = {}
        self._turns = ChatTurns()
        self._recovered = False
        self._later: asyncio.Task[None] | None = None

    # ---- serving --------------------------------------------------------------------------------------------

    def mount(self, app: web.Application) -> None:
        app.router.add_get(CALLBACK_PATH, self.verify)
        app.router.add_post(CALLBACK_PATH, self.callback)

    async def start(self) -> None:
        """Process what a previous process recorded, resend what it processed but did not send."""
        if self._recovered:
            return
        self._recovered = True
        self._later = await start_recovery(self.engine, CHANNEL, self.in_flight, self._turns.turn, self._deliver)

    async def drain(self) -> None:
        """The callback route closes with the server; the work in flight is awaited by the server."""
        if self._later is not None:
            self._later.cancel()

    async def stop(self) -> None:
        """requests' connections close with the process."""

    async def verify(self, request: web.Request) -> web.Response:
        """GET /wecom/callback: WeCom checks the URL; answer the decrypted echostr as plain text."""
        q = request.query
        try:
            echo = self.crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""),
                                               q.get("nonce", ""), q.get("echostr", ""))
        except (InvalidSignatureException, InvalidCorpIdException):
            return web.Response(status=403, text="forbidden")
        except Exception:  # undecodable echostr
            return web.Response(status=400, text="bad request")
        text = echo.decode() if isinstance(echo, bytes) else str(echo)
        return web.Response(text=text, content_type="text/plain")

    async def callback(self, request: web.Request) -> web.Response:
        """POST /wecom/callback: check, decrypt, record, answer empty 200; the work continues behind."""
        try:
            message = await self._read(request)
        except Refused as refused:
            log.info("wecom: callback refused (%s)", refused)
            response = web.Response(status=refused.status, text=str(refused))
            if refused.status == 413:
                response.force_close()
            return response
        found = to_inbound(message)
        if found is None:
            return web.Response(status=200, text="")
        inbound, card = found
        if inbound.text is not None and inbound.text.strip().isdigit():
            choice = await asyncio.to_thread(self._choice, inbound.user_id, int(inbound.text.strip()))
            if choice is not None:
                inbound = Inbound(CHANNEL, inbound.external_id, inbound.chat_id, inbound.user_id, button=choice)
        inbox_id = await asyncio.to_thread(self.engine.record, inbound)
        if inbox_id is None:
            log.info("wecom: %s seen before", inbound.external_id)
        else:
            self.in_flight.spawn(self._handle(inbox_id, inbound.chat_id, card), f"wecom-{inbox_id}")
        return web.Response(status=200, text="")

    async def _read(self, request: web.Request) -> Any:
        body = await read_capped(request, MAX_BODY)
        if body is None:
            raise Refused(413, "too large")
        if DTD.search(body):
            raise Refused(400, "no DTD")
        q = request.query
        try:
            plain = self.crypto.decrypt_message(bytes(body), q.get("msg_signature", ""), q.get("timestamp", ""),
                                                q.get("nonce", ""))
        except (InvalidSignatureException, InvalidCorpIdException) as error:
            raise Refused(403, type(error).__name__) from error
        except Exception as error:  # ExpatError, ValueError (entities), KeyError/TypeError (shape), bad base64
            raise Refused(400, f"malformed: {type(error).__name__}") from error
        raw = plain.encode() if isinstance(plain, str) else plain
        if DTD.search(raw):
            raise Refused(400, "no DTD")
        try:
            return parse_message(plain)
        except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise Refused(400, f"malformed message: {type(error).__name__}") from error

    # ---- one update -----------------------------------------------------------------------------------------

    async def _handle(self, inbox_id: int, chat_id: str, card: Card | None) -> None:
        async with self._turns.turn(chat_id):
            replies = await asyncio.to_thread(self.engine.process, inbox_id)
            await self._deliver(inbox_id, chat_id, replies)
        if card is not None:
            await self._update_card(card)
        else:
            for waiting in await asyncio.to_thread(self._waiting_cards, chat_id):
                await self._update_card(waiting)

    async def _deliver(self, inbox_id: int, user_id: str, replies: Sequence[Reply]) -> None:
        """Send the replies of one update, remember its numbered choices, confirm them sent."""
        try:
            offered = await self._send_all(user_id, replies)
        except Exception:
            log.exception("wecom: replies to update %d not sent; they are resent at the next start", inbox_id)
            return
        await asyncio.to_thread(self._remember, user_id, offered)
        await asyncio.to_thread(self.engine.delivered, inbox_id)


    # ---- sending --------------------------------------------------------------------------------------------

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """The outbox dispatcher's sender: WeChat errors become RetryLater / TransientError / PermanentError."""
        try:
            await self._send_all(chat_id, replies)
        except APILimitedException as error:
            raise RetryLater(60, str(error)) from error
        except WeChatClientException as error:
            if error.errcode is None or int(error.errcode) in (-1, 45009, 45033):
                raise TransientError(str(error)) from error
            raise PermanentError(str(error)) from error
        except requests.RequestException as error:
            raise TransientError(str(error)) from error

    send_replies = send

    async def _send_all(self, user_id: str, replies: Sequence[Reply]) -> list[str]:
        """Every reply in order; returns the button data offered as numbered choices (1, 2, … across replies)."""
        offered: list[str] = []
        lang: str | None = None
        for reply in replies:
            if approval_buttons(reply.buttons):
                await self.send_approval_card(user_id, reply.text, [b for row in reply.buttons for b in row])
                continue
            flat = [b for row in reply.buttons for b in row]
            if flat and lang is None:
                lang = await asyncio.to_thread(self._language, user_id)
            text = reply.text + choices_text(self.engine.texts, lang or "", flat, len(offered))
            offered.extend(b.data for b in flat)
            attachment = reply.image or reply.file
            if text.strip() or attachment is None:
                for part in split_bytes(text):
                    await self._call(user_id, self.client.message.send_text, self.settings.agent_id, [user_id], part)
            if attachment is not None:
                kind = "image" if reply.image is not None else "file"
                upload = await asyncio.to_thread(self.client.media.upload, kind,
                                                 (attachment.name, io.BytesIO(attachment.content), attachment.mime))
                sender = self.client.message.send_image if kind == "image" else self.client.message.send_file
                await self._call(user_id, sender, self.settings.agent_id, [user_id], upload["media_id"])
        return offered

    async def send_approval_card(self, user_id: str, text: str, keys: Sequence[Button]) -> str:
        """An interactive card with the Approve / Reject buttons (their key is the button data); its task id."""
        request = APPROVAL.match(keys[0].data) if keys else None
        task_id = f"ap{request.group(1) if request else 0}-{secrets.token_hex(6)}"
        title, _, rest = text.partition("\n")
        card = {
            "card_type": "button_interaction",
            "main_title": {"title": _clip(title, 120), "desc": ""},
            "sub_title_text": _clip(rest.strip(), 500),
            "task_id": task_id,
            "button_list": [{"text": _clip(b.label, 30), "style": 1 if b.data.endswith(":y") else 2, "key": b.data}
                            for b in keys],
        }
        await self._call(user_id, self.client.message.send, self.settings.agent_id, [user_id],
                         msg={"msgtype": "template_card", "template_card": card})
        return task_id

    async def _update_card(self, card: Card) -> None:
        """Show on the clicked card who decided (nothing while a rejection still waits for its reason)."""
        match = APPROVAL.match(card.key)
        if match is None or not card.response_code:
            return
        request_id = int(match.group(1))
        decided = await asyncio.to_thread(last_decision, self.uow, request_id)
        if decided is None:  # a rejection waits for its reason: update the card once it is decided
            await asyncio.to_thread(self._keep_card, card, request_id)
            return
        await asyncio.to_thread(self._forget_card, card.user_id, request_id)
        lang = await asyncio.to_thread(self._language, card.user_id)
        label = self.engine.texts.render(lang, "wecom_card_decided", name=decided.employee,
                                         decision=decided.decision)
        data = {"userids": [card.user_id], "agentid": self.settings.agent_id, "response_code": card.response_code,
                "button": {"replace_name": _clip(label, 30)}}
        try:
            await self._call(card.user_id, self.client.post, "message/update_template_card", data=data)
        except (WeChatClientException, requests.RequestException):
            log.exception("wecom: card %s not updated", card.response_code[:8])

    async def _call(self, user_id: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """One API call off the event loop, paced per member."""
        await self._limiter(user_id).acquire()
        return await asyncio.to_thread(function, *args, **kwargs)

    def _limiter(self, user_id: str) -> AsyncLimiter:
        limiter = self._pace.get(user_id)
        if limiter is None:
            if len(self._pace) > 10_000:
                self._pace.clear()
            limiter = self._pace[user_id] = AsyncLimiter(self.settings.member_per_minute, self.settings.member_period)
        return limiter

    # ---- blocking helpers (run in a thread) -----------------------------------------------------------------

    def _language(self, user_id: str) -> str:
        """The reader's language: the bound employee's, else the company's."""
        actor = self.uow.read(lambda tx: actor_for_account(tx, CHANNEL, user_id))
        return actor.language if actor is not None else self.engine.default_language

    def _remember(self, user_id: str, offered: list[str]) -> None:
        key = f"choices:{user_id}"
        if offered:
            keep_channel_value(self.uow, CHANNEL, key, json.dumps(offered), CHOICES_TTL)
        else:
            forget_channel_value(self.uow, CHANNEL, key)

    def _choice(self, user_id: str, number: int) -> str | None:
        offered = DatabaseStorage(self.uow).get(f"choices:{user_id}")
        if not isinstance(offered, list) or not 1 <= number <= len(offered):
            return None
        return str(offered[number - 1])

    def _keep_card(self, card: Card, request_id: int) -> None:
        value = json.dumps({"key": card.key, "code": card.response_code})
        keep_channel_value(self.uow, CHANNEL, f"card:{card.user_id}:{request_id}", value, CARD_TTL)

    def _forget_card(self, user_id: str, request_id: int) -> None:
        forget_channel_value(self.uow, CHANNEL, f"card:{user_id}:{request_id}")

    def _waiting_cards(self, user_id: str) -> list[Card]:
        """Cards of this member still showing their buttons whose request has been decided since."""
        stored = channel_values(self.uow, CHANNEL, f"card:{user_id}:")
        cards = {_request_of(c.key): c for c in (Card(user_id, str(v["key"]), str(v["code"]))
                                                  for v in map(json.loads, stored))}
        decided = decided_requests(self.uow, cards)
        return [card for request_id, card in cards.items() if request_id in decided]


# ---- pure helpers -----------------------------------------------------------------------------------------------

def to_inbound(message: Any) -> tuple[Inbound, Card | None] | None:
    """Text, a card click or a menu click; None for anything else (images, enter_agent, …)."""
    user = str(getattr(message, "source", "") or "")
    if not user:
        return None
    if message.type == "text":
        return Inbound(CHANNEL, str(message.id), user, user, text=message.content or ""), None
    if message.type != "event":
        return None
    external = f"{user}:{message.create_time}:{getattr(message, 'agent', 0)}:{message.event}"
    key = str(getattr(message, "key", "") or "")
    if message.event == "template_card_event" and key:
        card = Card(user, key, str(message.response_code or ""))
        return Inbound(CHANNEL, external, user, user, button=key), card
    if message.event == "click" and key:
        return Inbound(CHANNEL, external, user, user, button=key if ":" in key else None,
                       text=None if ":" in key else key), None
    return None


def approval_buttons(rows: Sequence[Sequence[Button]]) -> bool:
    """Buttons that are exactly Approve / Reject of one request: sent as a template card."""
    flat = [b for row in rows for b in row]
    return bool(flat) and all(APPROVAL.match(b.data) for b in flat) \
        and len({APPROVAL.match(b.data).group(1) for b in flat}) == 1  # type: ignore[union-attr]


def choices_text(texts: Texts, lang: str, flat: Sequence[Button], start: int) -> str:
    """The numbered choices under a text in the reader's words: "回复 1 选择「中文」", 'Reply 1 for "English"'."""
    if not flat:
        return ""
    choices = [{"number": start + n, "label": b.label} for n, b in enumerate(flat, 1)]
    return "\n\n" + texts.render(lang, "wecom_choices", choices=choices)


def split_bytes(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line ends; an overlong line is cut between characters."""
    if not text.strip():
        return ["…"]
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = _fit(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        if len(current.encode()) + len(line.encode()) > limit:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    return [p.rstrip("\n") for p in parts if p.strip()] or ["…"]


def _fit(line: str, limit: int) -> int:
    used = 0
    for n, ch in enumerate(line):
        used += len(ch.encode())
        if used > limit:
            return n
    return len(line)


def _request_of(key: str) -> int:
    match = APPROVAL.match(key)
    return int(match.group(1)) if match else 0


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

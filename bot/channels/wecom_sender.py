"""Replies out through the WeCom message API: texts cut to WeCom's size with buttons as numbered choices,
images and files, approval requests as template cards updated once decided; paced per member, with the access
token stored in the database for every process (wechatpy's synchronous client, run in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import requests
from aiolimiter import AsyncLimiter
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import APILimitedException, WeChatClientException
from wechatpy.session import SessionStorage

from bot.channels.wecom_callback import CHANNEL, Card
from bot.channels.wecom_settings import WecomSettings
from bot.delivery import PermanentError, RetryLater, TransientError
from bot.engine.replies import Attachment, Button, Reply
from bot.engine.texts import Texts
from bot.table_picture import table_png
from core.approvals.progress import decided_requests, last_decision
from core.integration.channel_values import channel_value, channel_values, forget_channel_value, keep_channel_value
from core.people.accounts import actor_for_account
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
TEXT_LIMIT = 2048  # bytes of UTF-8, for text and markdown messages
CHOICES_TTL = timedelta(days=2)
CARD_TTL = timedelta(hours=72)  # how long WeCom accepts a ResponseCode
TOKEN_MARGIN = 300  # seconds before WeCom's expiry at which a stored token counts as expired
APPROVAL = re.compile(r"^ap:(\d+):([yn])$")


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

    def download_media(self, media_id: str, cap: int) -> bytes | None:
        """A temporary media file (the image a member sent) by its media_id, read in chunks; None when it is over
        `cap` bytes or WeCom answers with an error instead (wechatpy's media.get_url has the real host written in).
        A 5xx, like a network failure, raises requests.RequestException: another try may work."""
        url = self.API_BASE_URL + "media/get"
        params = {"access_token": self.access_token, "media_id": media_id}
        with requests.get(url, params=params, timeout=self.timeout, stream=True) as response:
            kind = response.headers.get("Content-Type", "")
            if response.status_code >= 500:
                response.raise_for_status()
            if response.status_code != 200 or kind.startswith(("application/json", "text/")):
                log.warning("wecom: media %s not downloaded (%s %s)", media_id, response.status_code, kind)
                return None
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > cap:
                    log.info("wecom: media %s over the %d byte cap, not read", media_id, cap)
                    return None
        return bytes(body)


class WecomSender:
    """Sends to WeCom members as one app: the client, the pace per member, the choices and cards remembered."""

    def __init__(self, uow: UnitOfWork, texts: Texts, default_language: str, settings: WecomSettings) -> None:
        self.uow = uow
        self.texts = texts
        self.default_language = default_language
        self.settings = settings
        self.client = Client(settings, DatabaseStorage(uow))
        self._pace: dict[str, AsyncLimiter] = {}
        # (member, page path) -> a signed address of the page; set by the composition root when pages are served
        self.links: Callable[[str, str], str] | None = None

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """The outbox dispatcher's sender: WeChat errors become RetryLater / TransientError / PermanentError."""
        with delivery_errors():
            await self.send_all(chat_id, replies)

    async def send_all(self, user_id: str, replies: Sequence[Reply]) -> list[str]:
        """Every reply in order; returns the button data offered as numbered choices (1, 2, … across replies)."""
        offered: list[str] = []
        lang: str | None = None
        for reply in replies:
            if approval_buttons(reply.buttons):
                await self.send_approval_card(user_id, reply.text, [b for row in reply.buttons for b in row])
                continue
            flat = [b for row in reply.buttons for b in row if not b.link]
            if flat and lang is None:
                lang = await asyncio.to_thread(self.language, user_id)
            body, pictures = wecom_parts(reply)
            text = body + self._page_links(user_id, reply) + choices_text(self.texts, lang or "", flat, len(offered))
            offered.extend(b.data for b in flat)
            if text.strip() or not pictures:
                for part in split_bytes(text):
                    await self._call(user_id, self.client.message.send_text, self.settings.agent_id, [user_id], part)
            for kind, attachment in pictures:
                upload = await asyncio.to_thread(self.client.media.upload, kind,
                                                 (attachment.name, io.BytesIO(attachment.content), attachment.mime))
                sender = self.client.message.send_image if kind == "image" else self.client.message.send_file
                await self._call(user_id, sender, self.settings.agent_id, [user_id], upload["media_id"])
        return offered

    async def replace(self, user_id: str, reply: Reply, message_id: str | None, *, or_send: bool = True) -> str | None:
        """The outbox dispatcher's replacing send: a decided approval's card (`message_id`, its response code)
        updated in place to show the reply's `card_label`; an approval card sent with its response code kept;
        anything else sent as a new message (WeCom cannot edit a text), or nothing without `or_send`."""
        label = str(reply.extra.get("card_label", ""))
        if message_id and label:
            data = {"userids": [user_id], "agentid": self.settings.agent_id, "response_code": message_id,
                    "button": {"replace_name": _clip(label, 30)}}
            try:
                await self._call(user_id, self.client.post, "message/update_template_card", data=data)
                return message_id
            except WeChatClientException as error:  # a code used already (the card was clicked) or expired
                log.info("wecom: card %s not updated: %s", message_id[:8], error)
        if not or_send:
            return None
        if approval_buttons(reply.buttons):
            with delivery_errors():
                return await self.send_approval_card(user_id, reply.text, [b for row in reply.buttons for b in row])
        await self.send(user_id, [reply])
        return None

    def _page_links(self, user_id: str, reply: Reply) -> str:
        """Page buttons as signed links WeCom's in-app browser opens (left out when no pages are served)."""
        pages = [b for row in reply.buttons for b in row if b.link]
        if not pages or self.links is None:
            return ""
        return "\n\n" + "\n".join(f"{b.label}: {self.links(user_id, b.link)}" for b in pages)

    async def send_approval_card(self, user_id: str, text: str, keys: Sequence[Button]) -> str:
        """An interactive card with the Approve / Reject buttons (their key is the button data); the response code
        WeCom answered with (to update the card later), else its task id."""
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
        answer = await self._call(user_id, self.client.message.send, self.settings.agent_id, [user_id],
                                  msg={"msgtype": "template_card", "template_card": card})
        code = answer.get("response_code") if isinstance(answer, dict) else None
        return str(code) if code else task_id

    async def update_card(self, card: Card) -> None:
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
        lang = await asyncio.to_thread(self.language, card.user_id)
        label = self.texts.render(lang, "wecom_card_decided", name=decided.employee,
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

    # Blocking helpers (run in a thread)

    def language(self, user_id: str) -> str:
        """The reader's language: the bound employee's, else the company's."""
        actor = self.uow.read(lambda tx: actor_for_account(tx, CHANNEL, user_id))
        return actor.language if actor is not None else self.default_language

    def remember(self, user_id: str, offered: list[str]) -> None:
        """Keep the button data just offered as numbered choices (forget them when none were)."""
        key = f"choices:{user_id}"
        if offered:
            keep_channel_value(self.uow, CHANNEL, key, json.dumps(offered), CHOICES_TTL)
        else:
            forget_channel_value(self.uow, CHANNEL, key)

    def choice(self, user_id: str, number: int) -> str | None:
        """The button data offered under that number, None when it was not offered."""
        offered = DatabaseStorage(self.uow).get(f"choices:{user_id}")
        if not isinstance(offered, list) or not 1 <= number <= len(offered):
            return None
        return str(offered[number - 1])

    def _keep_card(self, card: Card, request_id: int) -> None:
        value = json.dumps({"key": card.key, "code": card.response_code})
        keep_channel_value(self.uow, CHANNEL, f"card:{card.user_id}:{request_id}", value, CARD_TTL)

    def _forget_card(self, user_id: str, request_id: int) -> None:
        forget_channel_value(self.uow, CHANNEL, f"card:{user_id}:{request_id}")

    def waiting_cards(self, user_id: str) -> list[Card]:
        """Cards of this member still showing their buttons whose request has been decided since."""
        stored = channel_values(self.uow, CHANNEL, f"card:{user_id}:")
        cards = {_request_of(c.key): c for c in (Card(user_id, str(v["key"]), str(v["code"]))
                                                  for v in map(json.loads, stored))}
        decided = decided_requests(self.uow, cards)
        return [card for request_id, card in cards.items() if request_id in decided]


@contextlib.contextmanager
def delivery_errors() -> Iterator[None]:
    """WeChat errors as the dispatcher's: RetryLater (rate limited), TransientError, PermanentError."""
    try:
        yield
    except APILimitedException as error:
        raise RetryLater(60, str(error)) from error
    except WeChatClientException as error:
        if error.errcode is None or int(error.errcode) in (-1, 45009, 45033):
            raise TransientError(str(error)) from error
        raise PermanentError(str(error)) from error
    except requests.RequestException as error:
        raise TransientError(str(error)) from error


def approval_buttons(rows: Sequence[Sequence[Button]]) -> bool:
    """Buttons that are exactly Approve / Reject of one request: sent as a template card."""
    flat = [b for row in rows for b in row]
    return bool(flat) and all(APPROVAL.match(b.data) for b in flat) \
        and len({APPROVAL.match(b.data).group(1) for b in flat}) == 1  # type: ignore[union-attr]


def wecom_parts(reply: Reply) -> tuple[str, list[tuple[str, Attachment]]]:
    """The text of a reply and what goes after it: its table as text when it fits a phone, else as a picture; then
    its image or file."""
    body, sent = reply.plain, []
    if reply.table is not None and not reply.table.fits():
        body = reply.text
        sent.append(("image", Attachment("table.png", table_png(reply.table), "image/png")))
    if reply.image is not None:
        sent.append(("image", reply.image))
    if reply.file is not None:
        sent.append(("file", reply.file))
    return body, sent


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

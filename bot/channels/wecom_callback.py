"""What arrives at the WeCom callback: the URL check, a POSTed message checked (size, no DTD, signature, CorpID),
decrypted and parsed by wechatpy, and turned into an Inbound (the inbox then drops what it has seen)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

from aiohttp import web
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.events import register_event
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.events import BaseEvent
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.fields import IntegerField, StringField

from bot.channels import read_capped
from bot.engine.inbound import Inbound

CHANNEL = "wecom"
MAX_BODY = 64 * 1024
DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@register_event("template_card_event")
class TemplateCardEvent(BaseEvent):  # type: ignore[misc]
    """A button of a template card was clicked: EventKey is the button's key, ResponseCode updates the card."""

    event = "template_card_event"
    agent = IntegerField("AgentID", 0)
    key = StringField("EventKey")
    task_id = StringField("TaskId")
    card_type = StringField("CardType")
    response_code = StringField("ResponseCode")


@dataclass(frozen=True)
class Card:
    """What a card click needs afterwards: the member, the button key and the code that updates the card."""

    user_id: str
    key: str
    response_code: str


class Refused(Exception):
    """A callback answered with `status` and not processed."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


def fresh(request: web.Request, max_age: float) -> bool:
    """True when the callback's timestamp (signed with the message) is a whole number of seconds within
    `max_age` of now, either way: a callback recorded on the way cannot be replayed later."""
    stamp = request.query.get("timestamp", "")
    if not (0 < len(stamp) <= 12 and stamp.isascii() and stamp.isdigit()):
        return False
    return abs(time.time() - int(stamp)) <= max_age


def check_url(crypto: WeChatCrypto, request: web.Request, max_age: float) -> web.Response:
    """WeCom checks the URL: the decrypted echostr as plain text, 403 on a bad signature or a stale timestamp."""
    q = request.query
    if not fresh(request, max_age):
        return web.Response(status=403, text="stale")
    try:
        echo = crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""),
                                      q.get("nonce", ""), q.get("echostr", ""))
    except (InvalidSignatureException, InvalidCorpIdException):
        return web.Response(status=403, text="forbidden")
    except Exception:  # undecodable echostr
        return web.Response(status=400, text="bad request")
    text = echo.decode() if isinstance(echo, bytes) else str(echo)
    return web.Response(text=text, content_type="text/plain")


async def read_callback(crypto: WeChatCrypto, request: web.Request, max_age: float) -> Any:
    """The checked, decrypted and parsed message of a POSTed callback; Refused with the status to answer."""
    if not fresh(request, max_age):
        raise Refused(403, "stale timestamp")
    body = await read_capped(request, MAX_BODY)
    if body is None:
        raise Refused(413, "too large")
    if DTD.search(body):
        raise Refused(400, "no DTD")
    q = request.query
    try:
        plain = crypto.decrypt_message(bytes(body), q.get("msg_signature", ""), q.get("timestamp", ""),
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


def to_inbound(message: Any) -> tuple[Inbound, Card | None] | None:
    """Text, an image (its codes are read once it is downloaded), a card click or a menu click; None for anything
    else (voice, enter_agent, …)."""
    user = str(getattr(message, "source", "") or "")
    if not user:
        return None
    if message.type == "text":
        return Inbound(CHANNEL, str(message.id), user, user, text=message.content or ""), None
    if message.type == "image":  # the codes are read once the picture (by its MediaId) is downloaded
        return Inbound(CHANNEL, str(message.id), user, user, codes=(),
                       file_ref=str(getattr(message, "media_id", "") or "") or None), None
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

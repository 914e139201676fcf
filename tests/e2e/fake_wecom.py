"""A small fake WeCom API on 127.0.0.1 (gettoken, message/send, message/update_template_card, media/upload) with a
transcript, and callbacks built with wechatpy's real crypto, signed the way WeCom signs them."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto

CORP_ID = "wwTESTCORP0001"
AGENT_ID = 1000002
SECRET = "app-secret-for-tests"
TOKEN = "wecomCallbackToken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeCom shows it


@dataclass(frozen=True)
class Call:
    """One request to the fake: its API path, the access token it carried and its JSON body."""

    path: str
    token: str
    body: dict[str, Any]
    at: float = 0.0

    @property
    def user(self) -> str:
        return str(self.body.get("touser", ""))

    @property
    def text(self) -> str:
        return str((self.body.get("text") or {}).get("content", ""))


@dataclass
class FakeWecom:
    """Run with `await fake.start()`; point [wecom] api_base_url at `fake.api_base_url`."""

    calls: list[Call] = field(default_factory=list)
    tokens_issued: int = 0
    expired: set[str] = field(default_factory=set)
    media: dict[str, bytes] = field(default_factory=dict)  # media_id -> content of what members sent (media/get)
    _media: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    media_failures: int = 0  # the next so many media/get calls answer 502 Bad Gateway
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    async def start(self) -> FakeWecom:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_get("/cgi-bin/gettoken", self._token)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_post("/cgi-bin/{path:.+}", self._post)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def sent(self, user: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.path == "message/send" and (user is None or c.user == user)]

    def texts(self, user: str | None = None) -> list[str]:
        return [c.text for c in self.sent(user) if c.body.get("msgtype") == "text"]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.path == "message/update_template_card"]

    async def wait_sent(self, count: int, user: str | None = None, timeout: float = 10) -> list[Call]:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent(user)) >= count), timeout)
        return self.sent(user)

    async def _token(self, request: web.Request) -> web.Response:
        if (request.query.get("corpid"), request.query.get("corpsecret")) != (CORP_ID, SECRET):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.tokens_issued += 1
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": f"TOKEN-{self.tokens_issued}",
                                  "expires_in": 7200})

    def add_media(self, content: bytes) -> str:
        """Keep a picture as if a member had sent it; its media_id for the image callback."""
        media_id = f"IMG-{next(self._media)}"
        self.media[media_id] = content
        return media_id

    async def _media_get(self, request: web.Request) -> web.Response:
        """GET media/get: the bytes of a kept picture, or WeCom's JSON error for an unknown media_id."""
        token = request.query.get("access_token", "")
        await self._record(Call("media/get", token, {"media_id": request.query.get("media_id", "")}, time.monotonic()))
        if self.media_failures > 0:
            self.media_failures -= 1
            return web.Response(status=502, text="Bad Gateway")
        content = self.media.get(request.query.get("media_id", ""))
        if not token.startswith("TOKEN-") or content is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=content, content_type="image/jpeg")

    async def _post(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        token = request.query.get("access_token", "")
        if not token.startswith("TOKEN-"):
            return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
        if token in self.expired:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        if path == "media/upload":
            form = await request.post()
            media = form["media"]
            assert isinstance(media, web.FileField)
            body: dict[str, Any] = {"type": request.query.get("type"), "filename": media.filename,
                                    "size": len(media.file.read())}
            await self._record(Call(path, token, body, time.monotonic()))
            return web.json_response({"errcode": 0, "errmsg": "ok", "type": body["type"],
                                      "media_id": f"MEDIA-{next(self._media)}", "created_at": str(int(time.time()))})
        body = json.loads(await request.read() or b"{}")
        await self._record(Call(path, token, body, time.monotonic()))
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": secrets.token_hex(8),
                                  "response_code": secrets.token_hex(8)})

    async def _record(self, call: Call) -> None:
        assert self._changed is not None
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()


# ---- callbacks as WeCom sends them ------------------------------------------------------------------------------

def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """WeCom's msg_signature: SHA-1 of the four strings sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """A callback body and the query string that goes with it."""

    body: bytes
    query: dict[str, str]


def encrypt(plain_xml: str, *, corp_id: str = CORP_ID, token: str = TOKEN, timestamp: str | None = None) -> Signed:
    """Encrypt with wechatpy's real crypto (as WeCom would), then sign the Encrypt field independently."""
    import xmltodict

    ts = timestamp or str(int(time.time()))
    nonce = secrets.token_hex(5)
    envelope = WeChatCrypto(token, AES_KEY, corp_id).encrypt_message(plain_xml, nonce, ts)
    encrypted = xmltodict.parse(envelope)["xml"]["Encrypt"]
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
    return Signed(body.encode(), {"msg_signature": signature(TOKEN, ts, nonce, encrypted), "timestamp": ts,
                                  "nonce": nonce})


def text_xml(user: str, content: str, msg_id: int, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")


def image_xml(user: str, media_id: str, msg_id: int, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[https://wework.example/pic/{media_id}]]></PicUrl>"
            f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")


def card_click_xml(user: str, key: str, task_id: str, response_code: str, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{key}]]></EventKey>"
            f"<TaskId><![CDATA[{task_id}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
            f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode><AgentID>{AGENT_ID}</AgentID></xml>")


def echo_query(echo: str, *, token: str = TOKEN) -> dict[str, str]:
    """The GET WeCom makes to verify the URL: echostr encrypted, signed like a message."""
    ts, nonce = str(int(time.time())), secrets.token_hex(5)
    import xmltodict

    envelope = WeChatCrypto(token, AES_KEY, CORP_ID).encrypt_message(echo, nonce, ts)
    encrypted = xmltodict.parse(envelope)["xml"]["Encrypt"]
    return {"msg_signature": signature(token, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce,
            "echostr": encrypted}

"""A small fake Telegram Bot API on 127.0.0.1: answers what python-telegram-bot calls and keeps a transcript."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT = {"id": 777000, "is_bot": True, "first_name": "jxc", "username": "jxc_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
NESTED = frozenset({"reply_markup", "commands", "allowed_updates", "scope", "entities", "caption_entities",
                    "link_preview_options", "reply_parameters"})
SENDING = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText"})


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method and its fields (nested values decoded), and when it arrived."""

    method: str
    params: dict[str, Any]
    at: float
    message_id: int | None = None  # of the message the fake answered with (sending calls)

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        markup = self.params.get("reply_markup") or {}
        return [[(b["text"], b.get("callback_data", "")) for b in row] for row in markup.get("inline_keyboard", [])]


@dataclass
class FakeTelegram:
    """Run with `await fake.start()`; point the bot at `fake.api_base_url`."""

    token: str = "123456:TEST-token"
    calls: list[Call] = field(default_factory=list)
    send_delay: float = 0.0
    down: bool = False
    _failures: list[int] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content, served by getFile and /file/bot
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    file_failures: int = 0  # the next so many getFile calls and file downloads answer 502 (see `fail_files`)

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def api_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> FakeTelegram:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, count: int, retry_after: int) -> None:
        """The next `count` sending calls answer 429 Too Many Requests with `retry_after` seconds."""
        self._failures.extend([retry_after] * count)

    def fail_files(self, count: int) -> None:
        """The next `count` getFile calls and file downloads answer 502 Bad Gateway (a huge count: always)."""
        self.file_failures = count

    def _file_failure(self) -> bool:
        if self.file_failures <= 0:
            return False
        self.file_failures -= 1
        return True

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling)."""
        assert self._changed is not None
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def add_file(self, content: bytes) -> str:
        """Keep a file as if someone had uploaded it to Telegram; its file_id for an update's document."""
        file_id = f"doc{next(self._file_ids)}"
        self.files[file_id] = content
        return file_id

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        """Messages, photos and documents the bot sent (to one chat when given), in order."""
        return [c for c in self.calls if c.method in SENDING and (chat_id is None or c.chat_id == str(chat_id))]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [c.text for c in self.sent(chat_id)]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_sent(self, count: int, chat_id: int | str | None = None, timeout: float = 10) -> list[Call]:
        """Wait until at least `count` messages went out (to the chat), then return them all."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent(chat_id)) >= count), timeout)
        return self.sent(chat_id)

    async def wait_for(self, method: str, timeout: float = 10) -> Call:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: method in self.methods()), timeout)
        return next(c for c in self.calls if c.method == method)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await _params(request)
        if self.down:
            await self._record(Call(f"{method}:502", params, time.monotonic()))
            return web.Response(status=502, text="Bad Gateway")
        if method in SENDING and self._failures:
            retry = self._failures.pop(0)
            await self._record(Call(f"{method}:429", params, time.monotonic()))
            return web.json_response({"ok": False, "error_code": 429, "description": f"Too Many Requests: retry "
                                      f"after {retry}", "parameters": {"retry_after": retry}}, status=429)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        if method == "getFile" and self._file_failure():
            await self._record(Call(f"{method}:502", params, time.monotonic()))
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        if method == "getFile":
            await self._record(Call(method, params, time.monotonic()))
            content = self.files.get(str(params.get("file_id")))
            if content is None:
                return web.json_response({"ok": False, "error_code": 400,
                                          "description": "Bad Request: invalid file_id"}, status=400)
            return web.json_response({"ok": True, "result": {
                "file_id": params["file_id"], "file_unique_id": f"u{params['file_id']}", "file_size": len(content),
                "file_path": f"documents/{params['file_id']}.bin"}})
        if method in SENDING and self.send_delay:
            await asyncio.sleep(self.send_delay)
        result = self._result(method, params)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        await self._record(Call(method, params, time.monotonic(), message_id))
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        """GET /file/bot<token>/documents/<file_id>.bin: the bytes of a kept file (what download_* fetches)."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        if self._file_failure():
            await self._record(Call("download:502", {"path": path}, time.monotonic()))
            return web.Response(status=502, text="Bad Gateway")
        await self._record(Call("download", {"path": path}, time.monotonic()))
        content = self.files.get(path.removeprefix("documents/").removesuffix(".bin"))
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def _record(self, call: Call) -> None:
        assert self._changed is not None
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._changed is not None
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)), timeout)
            return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method in SENDING:
            message: dict[str, Any] = {
                "message_id": next(self._message_ids), "date": int(time.time()), "from": BOT,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
            }
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "p1", "file_unique_id": "p1", "width": 1, "height": 1}]
            elif method == "sendDocument":
                message["document"] = {"file_id": "d1", "file_unique_id": "d1"}
            else:
                message["text"] = params.get("text", "")
            if params.get("caption"):
                message["caption"] = params["caption"]
            return message
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    """Form or multipart fields (nested values JSON-encoded, as the real client sends them), or a JSON body."""
    if request.content_type == "application/json":
        data = await request.json() if request.can_read_body else {}
        return dict(data)
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = {"filename": value.filename, "content": value.file.read(), "mime": value.content_type}
        elif key in NESTED:
            params[key] = json.loads(str(value))
        else:
            params[key] = value
    return params


def message_update(update_id: int, user_id: int, text: str, *, chat_id: int | None = None,
                   username: str = "someone") -> dict[str, Any]:
    """The JSON Telegram posts for a text message in a private chat."""
    chat = chat_id if chat_id is not None else user_id
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "from": {"id": user_id, "is_bot": False, "first_name": "Test", "username": username},
        "chat": {"id": chat, "type": "private" if chat == user_id else "group", "title": "g"},
    }}


def button_update(update_id: int, user_id: int, data: str, *, chat_id: int | None = None) -> dict[str, Any]:
    """The JSON Telegram posts when someone presses an inline button."""
    chat = chat_id if chat_id is not None else user_id
    return {"update_id": update_id, "callback_query": {
        "id": f"cq{update_id}", "chat_instance": "ci", "data": data,
        "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
        "message": {"message_id": 1, "date": int(time.time()), "text": "…",
                    "chat": {"id": chat, "type": "private"}, "from": BOT},
    }}


def document_update(update_id: int, user_id: int, file_id: str, file_name: str, file_size: int | None, *,
                    caption: str | None = None) -> dict[str, Any]:
    """The JSON Telegram posts for a file sent as a document (`file_size` as Telegram declares it, or None)."""
    document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                                "mime_type": "application/octet-stream"}
    if file_size is not None:
        document["file_size"] = file_size
    message: dict[str, Any] = {
        "message_id": update_id, "date": int(time.time()), "document": document,
        "from": {"id": user_id, "is_bot": False, "first_name": "Test"}, "chat": {"id": user_id, "type": "private"},
    }
    if caption is not None:
        message["caption"] = caption
    return {"update_id": update_id, "message": message}


def photo_update(update_id: int, user_id: int, file_id: str, size: int, *, width: int = 1280, height: int = 960,
                 caption: str | None = None) -> dict[str, Any]:
    """The JSON Telegram posts for a photo: its sizes smallest first, the largest (the original) last."""
    sizes = [{"file_id": f"thumb-{file_id}", "file_unique_id": f"ut{file_id}", "width": 90, "height": 68,
              "file_size": 1500},
             {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": width, "height": height,
              "file_size": size}]
    message: dict[str, Any] = {
        "message_id": update_id, "date": int(time.time()), "photo": sizes,
        "from": {"id": user_id, "is_bot": False, "first_name": "Test"}, "chat": {"id": user_id, "type": "private"},
    }
    if caption is not None:
        message["caption"] = caption
    return {"update_id": update_id, "message": message}

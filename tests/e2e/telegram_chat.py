"""Transcripts through the real Telegram stack, with the interface of tests/chat.py.

`TelegramStack` runs our server (composition root, real aiohttp, python-telegram-bot) and the fake Bot API in an
event loop of its own thread, so that a test reads like an engine-level transcript and can call services between
steps. `TelegramChat.send(text)` posts a Telegram message update to /telegram/webhook, `press(data)` a
callback_query carrying the inline keyboard's callback_data and the message that showed the button; both wait
until the server has finished and return the texts python-telegram-bot sent to that chat (sendMessage,
editMessageText, sendPhoto, sendDocument), kept as `replies` (text, buttons, image or file).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

from bot.engine.engine import Engine
from bot.engine.replies import Attachment, Button, Reply
from core.people.accounts import create_invite
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import BOT, Call, FakeTelegram, document_update, message_update, photo_update
from tests.e2e.stack import Stack, start_stack

T = TypeVar("T")
_update_ids = itertools.count(1_000_000, 3)  # increasing, not contiguous, as Telegram's are
_users = itertools.count(710_001)


def doc_no(prefix: str, n: int) -> str:
    """The n-th document number of `prefix` this year (the year from the clock, never written in a test)."""
    return f"{prefix}-{datetime.now(UTC).year}-{n:06d}"


class TelegramStack:
    """Our server talking to a fake Bot API, both in a background event loop; use as a context manager."""

    def __init__(self, db_url: str, **telegram: Any) -> None:
        self.db_url = db_url
        self.telegram = {"chat_per_second": 0} | telegram
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-stack", daemon=True)
        self.fake: FakeTelegram
        self.stack: Stack

    def __enter__(self) -> TelegramStack:
        self._thread.start()
        self.fake = self.run(FakeTelegram().start())
        try:
            self.stack = self.run(start_stack(self.db_url, self.fake, **self.telegram))
        except BaseException:
            self.run(self.fake.stop())
            self._close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            self.run(self.stack.stop())
            self.run(self.fake.stop())
        finally:
            self._close()

    def _close(self) -> None:
        self.run(self._loop.shutdown_default_executor())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine in the stack's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    @property
    def engine(self) -> Engine:
        return self.stack.engine

    def post(self, update: dict[str, Any]) -> int:
        """POST one update to the webhook as Telegram does; wait until the work it started is done. The status."""

        async def exchange() -> int:
            status = await self.stack.post(update)
            await self.stack.settle()
            return status

        return self.run(exchange())

    def chat(self, user_id: int | None = None) -> TelegramChat:
        """A private chat with a (new) Telegram user, not bound yet."""
        return TelegramChat(self, next(_users) if user_id is None else user_id)

    def person(self, uow: UnitOfWork, admin: Actor, name: str, language: str = "zh_CN") -> TelegramChat:
        """A chat bound to employee `name` by the deep link /start CODE, speaking `language`."""
        chat = self.chat()
        bound = chat.send(f"/start {create_invite(uow, admin, name).code}")
        assert len(bound) == 1 and name in bound[0], bound
        if language != "zh_CN" or not bound[0].startswith("绑定成功"):  # the employee may speak another language
            chat.send(f"language {language}")
        return chat


@dataclass
class TelegramChat:
    """One Telegram user in a private chat with the bot: `send` text, `press` a button, `send_file` a document."""

    stack: TelegramStack
    user_id: int
    replies: list[Reply] = field(default_factory=list)
    last_update_id: int = 0

    @property
    def chat_id(self) -> int:
        return self.user_id

    def send(self, text: str, update_id: int | None = None) -> list[str]:
        """A text message; with `update_id` given twice, the second delivery must change nothing and say nothing."""
        return self._exchange(message_update(self._id(update_id), self.user_id, text))

    def press(self, data: str, update_id: int | None = None) -> list[str]:
        """Press the inline button whose callback_data is `data` (on the message that showed it, when sent); with
        `update_id` given twice, the second delivery must change nothing and say nothing."""
        shown = self._message_with(data)
        message = {"message_id": 1, "date": int(time.time()), "text": "…"} if shown is None else {
            "message_id": shown.message_id, "date": int(time.time()), "text": shown.text}
        message |= {"chat": {"id": self.chat_id, "type": "private"}, "from": BOT}
        update_id = self._id(update_id)
        query_id = f"cq{update_id}"
        texts = self._exchange({"update_id": update_id, "callback_query": {
            "id": query_id, "chat_instance": f"ci{self.chat_id}", "data": data, "message": message,
            "from": {"id": self.user_id, "is_bot": False, "first_name": "Test"},
        }})
        answered = [c for c in self.stack.fake.calls if c.method == "answerCallbackQuery"
                    and c.params.get("callback_query_id") == query_id]
        assert len(answered) == 1, f"the button's spinner was stopped once, not {len(answered)} times"
        return texts

    def send_file(self, name: str, content: bytes, *, caption: str | None = None, declared: int | None = None,
                  undeclared: bool = False) -> list[str]:
        """A document uploaded to the fake Bot API and sent; Telegram declares its size (`declared`, else the
        real one), or none with `undeclared`."""
        file_id = self.stack.fake.add_file(content)
        size = None if undeclared else len(content) if declared is None else declared
        return self._exchange(document_update(self._id(None), self.user_id, file_id, name, size, caption=caption))

    def send_photo(self, content: bytes) -> list[str]:
        """A photo uploaded to the fake Bot API and sent (its largest size is the picture, a thumbnail beside)."""
        file_id = self.stack.fake.add_file(content)
        return self._exchange(photo_update(self._id(None), self.user_id, file_id, len(content)))

    def button(self, label_part: str, *, earlier: bool = False) -> str:
        """The data of the button in the last replies whose label contains `label_part`; with `earlier`, on any
        message still in the chat (Telegram lets people tap the buttons of older messages)."""
        shown = [reply_of(c) for c in self.transcript()] if earlier else self.replies
        for reply in reversed(shown):
            for row in reply.buttons:
                for b in row:
                    if label_part in b.label:
                        return b.data
        raise AssertionError(f"no button like {label_part!r} in {[r.buttons for r in self.replies]}")

    def transcript(self) -> list[Call]:
        """Everything the bot sent to this chat so far."""
        return self.stack.fake.sent(self.chat_id)

    def _id(self, update_id: int | None) -> int:
        self.last_update_id = next(_update_ids) if update_id is None else update_id
        return self.last_update_id

    def _exchange(self, update: dict[str, Any]) -> list[str]:
        before = len(self.transcript())
        status = self.stack.post(update)
        assert status == 200, f"the webhook answered {status}"
        self.replies = [reply_of(c) for c in self.transcript()[before:]]
        return [r.text for r in self.replies]

    def _message_with(self, data: str) -> Call | None:
        for call in reversed(self.transcript()):
            if any(d == data for row in call.buttons for _, d in row):
                return call
        return None


def reply_of(call: Call) -> Reply:
    """What the person saw, from one call the bot made: text or caption, inline buttons, a photo or a file."""
    rows = tuple(tuple(Button(label, data) for label, data in row) for row in call.buttons)
    image = file = None
    if call.method == "sendPhoto":
        image = _attachment(call.params["photo"])
    elif call.method == "sendDocument":
        file = _attachment(call.params["document"])
    return Reply(call.text, rows, image=image, file=file)


def _attachment(part: Any) -> Attachment:
    if isinstance(part, dict):
        return Attachment(part.get("filename") or "", part.get("content") or b"", part.get("mime") or "")
    return Attachment(str(part), b"", "")  # a file_id or URL, not an upload

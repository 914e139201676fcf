"""Telegram through python-telegram-bot's Application: our own webhook route (or polling), replies paced per chat.

An update is committed to the inbox before Telegram gets its 200 (a file or photo as its file_id only);
downloading, processing and sending run in a tracked background task, the download retried with backoff. After a
crash, `start` handles what was recorded but not processed and resends what was processed but not confirmed sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from aiohttp import web
from aiolimiter import AsyncLimiter
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MenuButtonWebApp,
    Message,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application

from bot.channels import (
    ChatTurns,
    InFlight,
    header_text,
    photo_contents,
    read_capped,
    reader_for,
    recover,
    start_recovery,
)
from bot.channels.telegram_pieces import Piece, pieces
from bot.engine.engine import UNAVAILABLE, Engine, describe
from bot.engine.flow import Command
from bot.engine.inbound import Fetched, Inbound
from bot.engine.replies import Button, Reply
from bot.engine.texts import DEFAULT_LANGUAGE
from core.people.accounts import actor_for_account

log = logging.getLogger(__name__)
CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_PAUSE, POLL_PAUSE_MAX = 0.5, 30.0  # seconds after a failed getUpdates or record, doubling up to the limit
# Connections to the Bot API, and how long a call may wait for one. python-telegram-bot's default pool is 256
# connections, every one kept alive; httpcore scans the whole pool for every request, so after a burst each call pays
# for hundreds of idle connections. Telegram takes 30 messages a second: a few dozen connections carry that.
CONNECTIONS = 32
POOL_TIMEOUT = 20.0
MAX_FILE = 10 * 1024 * 1024  # a file sent in chat is held in memory while it is processed; the Bot API serves 20 MB


class TelegramConfigError(ValueError):
    """The [telegram] section cannot work as written."""


@dataclass(frozen=True)
class TelegramSettings:
    """The [telegram] section of the config."""

    token: str
    mode: str = "webhook"
    webhook_secret: str = ""
    public_url: str = ""
    api_base_url: str = "https://api.telegram.org/bot"
    api_file_url: str = "https://api.telegram.org/file/bot"
    bot_username: str = ""
    overall_per_second: float = 30
    group_per_minute: float = 20
    chat_per_second: float = 1
    max_retries: int = 3
    poll_timeout: int = 10
    max_file_bytes: int = MAX_FILE
    download_attempts: int = 4  # tries of a file's download before the person is asked to send it again
    download_backoff: float = 1.0  # seconds before the second try, doubled before each further one

    @classmethod
    def from_section(cls, section: Mapping[str, Any], server_public_url: str = "") -> TelegramSettings:
        """Settings from [telegram]; public_url falls back to [server] public_url."""
        settings = cls(
            token=str(section.get("token", "") or ""),
            mode=str(section.get("mode", "webhook") or "webhook"),
            webhook_secret=str(section.get("webhook_secret", "") or ""),
            public_url=str(section.get("public_url", "") or server_public_url).rstrip("/"),
            api_base_url=str(section.get("api_base_url", "") or cls.api_base_url),
            api_file_url=str(section.get("api_file_url", "") or cls.api_file_url),
            bot_username=str(section.get("bot_username", "") or ""),
            overall_per_second=float(section.get("overall_per_second", cls.overall_per_second)),
            group_per_minute=float(section.get("group_per_minute", cls.group_per_minute)),
            chat_per_second=float(section.get("chat_per_second", cls.chat_per_second)),
            max_retries=int(section.get("max_retries", cls.max_retries)),
            poll_timeout=int(section.get("poll_timeout", cls.poll_timeout)),
            max_file_bytes=int(section.get("max_file_bytes", cls.max_file_bytes)),
            download_attempts=int(section.get("download_attempts", cls.download_attempts)),
            download_backoff=float(section.get("download_backoff", cls.download_backoff)),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.mode not in ("webhook", "polling"):
            raise TelegramConfigError(f"[telegram] mode must be webhook or polling, not {self.mode!r}")
        if self.mode == "webhook":
            if not SECRET_PATTERN.match(self.webhook_secret):
                raise TelegramConfigError("[telegram] webhook_secret must be 1 to 256 of A-Z a-z 0-9 _ -")
            if not self.public_url.startswith("https://") and not self.public_url.startswith("http://"):
                raise TelegramConfigError("[telegram] public_url (or [server] public_url) is needed for a webhook")
        if not 0 < self.max_file_bytes <= 20 * 1024 * 1024:
            raise TelegramConfigError("[telegram] max_file_bytes must be between 1 and 20 MB (the Bot API's limit)")
        if not 1 <= self.download_attempts <= 10 or not 0 <= self.download_backoff <= 60:
            raise TelegramConfigError("[telegram] download_attempts must be 1 to 10 and download_backoff 0 to 60 s")

    @property
    def webhook_url(self) -> str:
        return self.public_url + WEBHOOK_PATH


class TelegramChannel:
    """One bot: receives updates (webhook route or polling), hands them to the engine, sends the replies."""

    name = CHANNEL

    def __init__(self, engine: Engine, settings: TelegramSettings, commands: Sequence[Command],
                 in_flight: InFlight) -> None:
        self.engine = engine
        self.settings = settings
        self.commands = commands
        self.in_flight = in_flight
        builder = (
            Application.builder().token(settings.token).base_url(settings.api_base_url)
            .base_file_url(settings.api_file_url)
            .connection_pool_size(CONNECTIONS).pool_timeout(POOL_TIMEOUT)
            .rate_limiter(AIORateLimiter(  # no retries of its own: `send` retries replies, the dispatcher pushes
                overall_max_rate=settings.overall_per_second, overall_time_period=1,
                group_max_rate=settings.group_per_minute, group_time_period=60, max_retries=0))
        )
        self.app = builder.updater(None).build()  # polling is `_poll`'s: an update is confirmed once recorded
        self._chat_pace: dict[str, AsyncLimiter] = {}
        self._turns = ChatTurns()
        self._poller: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._delivered: list[int] = []
        self._marker: asyncio.Task[None] | None = None
        self._started = False
        self._recovering = False
        self._ready = False

    # ---- serving ---------------------------------------------------------------------------------------------

    def mount(self, app: web.Application) -> None:
        if self.settings.mode == "webhook":
            app.router.add_post(WEBHOOK_PATH, self.webhook)

    async def start(self) -> None:
        """Connect, publish the command menu, pick up what a previous process left, then receive updates."""
        await self.app.initialize()
        self._started = True
        menu = [BotCommand(c["command"], c["description"]) for c in describe(self.commands)]
        await self._best_effort(self.app.bot.set_my_commands(menu), "setMyCommands")
        pages = menu_button(self.settings.public_url, self.engine.texts.render(DEFAULT_LANGUAGE, "app_menu_button"))
        if pages is not None:
            await self._best_effort(self.app.bot.set_chat_menu_button(menu_button=pages), "setChatMenuButton")
        if not self._recovering:  # what dead processes left whose leases ran out; the leader's sweep does the rest
            self._recovering = True
            await start_recovery(self.engine, CHANNEL, self.in_flight, self._turns.turn, self._deliver,
                                 self._fetch_pending)
        if self.settings.mode == "webhook":
            await self.app.bot.set_webhook(self.settings.webhook_url, secret_token=self.settings.webhook_secret,
                                           allowed_updates=ALLOWED_UPDATES)
        else:
            await self.app.bot.delete_webhook()  # getUpdates answers 409 while a webhook is set
            self._stopping.clear()
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        self._ready = True

    async def drain(self) -> None:
        """Stop polling (the webhook route closes with the server) once every update already fetched is recorded;
        the server then awaits the work in flight."""
        if self._poller is not None:
            self._stopping.set()
            await self._poller
            self._poller = None
        self._ready = False

    async def stop(self) -> None:
        if self._started:
            await self.app.shutdown()
            self._started = False

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /telegram/webhook: check the secret, record the update, answer 200; the work continues behind."""
        given = header_text(request, SECRET_HEADER)
        if not hmac.compare_digest(given.encode(), self.settings.webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        if not self._ready:
            return web.Response(status=503, text="starting")  # Telegram retries later
        body = await read_capped(request, MAX_BODY)
        if body is None:
            return too_large()
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.app.bot)
        except Exception:  # malformed JSON or a shape python-telegram-bot cannot read
            return web.Response(status=400, text="malformed update")
        await self._accept(update)
        return web.Response(status=200, text="ok")

    # ---- one update ------------------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Polling: getUpdates, record each update, and only then ask for the next ones (the offset past them is
        what tells Telegram they arrived): a process that dies before it recorded an update gets it again, from
        Telegram, in the next process. A database that is away is waited for; the update is never dropped."""
        offset: int | None = None
        pause = POLL_PAUSE
        while not self._stopping.is_set():
            fetch = asyncio.ensure_future(self.app.bot.get_updates(
                offset=offset, timeout=self.settings.poll_timeout, allowed_updates=ALLOWED_UPDATES))
            stop = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except TelegramError as error:  # the network, a 5xx, another process polling (409): try again
                log.warning("telegram: getUpdates failed (%s); again in %.1f s", error, pause)
                await self._pause(pause)
                pause = min(pause * 2, POLL_PAUSE_MAX)
                continue
            pause = POLL_PAUSE
            for update in updates:
                if not await self._record_polled(update):
                    break  # stopping with the database away: Telegram gives it to the next process
                offset = update.update_id + 1
        if offset is not None:  # confirm what was recorded, so that the next process is not sent it again
            await self._best_effort(self.app.bot.get_updates(offset=offset, timeout=0, limit=1), "getUpdates")

    async def _record_polled(self, update: Update) -> bool:
        """Record one polled update, waiting out a database that is away (doubling pauses up to a limit); False
        when the process stops before the database is back."""
        pause = POLL_PAUSE
        while True:
            try:
                await self._accept(update)
                return True
            except UNAVAILABLE as error:
                if self._stopping.is_set():
                    return False
                log.warning("telegram: update %s not recorded yet, the database is away (%s); again in %.1f s",
                            update.update_id, error, pause)
                await self._pause(pause)
                pause = min(pause * 2, POLL_PAUSE_MAX)
            except Exception:  # an update this code cannot read: it is skipped, not retried for ever
                log.exception("telegram: polled update %s could not be recorded", update.update_id)
                return True

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _accept(self, update: Update) -> None:
        """Commit the update to the inbox (a file as its reference), then download, process and reply behind."""
        inbound = to_inbound(update)
        if inbound is None:
            return
        inbox_id = await asyncio.to_thread(self.engine.record, inbound)
        callback_id = update.callback_query.id if update.callback_query else None
        if inbox_id is None:
            log.info("telegram: update %s seen before", update.update_id)
            return
        self.in_flight.spawn(self._handle(inbox_id, inbound, callback_id), f"telegram-{inbox_id}")

    async def _handle(self, inbox_id: int, inbound: Inbound, callback_id: str | None) -> None:
        if callback_id:  # stop the button's spinner now, without making this update lose its turn
            self.in_flight.spawn(self._best_effort(self.app.bot.answer_callback_query(callback_id),
                                                   "answerCallbackQuery"), f"telegram-answer-{inbox_id}")
        async with self._turns.turn(inbound.chat_id):  # the download too: the chat's next update waits for it
            fetched = None
            if inbound.file_ref is not None:
                fetched = await self._fetch(inbound.user_id, inbound.file_ref, inbound.file_size,
                                            inbound.codes is not None, inbound.file_name or "photo")
            replies = await asyncio.to_thread(self.engine.process, inbox_id, fetched)
            await self._deliver(inbox_id, inbound.chat_id, replies)

    async def _fetch_pending(self, inbox_id: int) -> Fetched | None:
        """The file of an update a dead process recorded, downloaded now (the sweep's and the restart's fetch)."""
        pending = await asyncio.to_thread(self.engine.pending_file, inbox_id)
        if pending is None:
            return None
        return await self._fetch(pending.user_id, pending.file_ref, pending.file_size, pending.photo, "file")

    async def _fetch(self, user_id: str, file_id: str, declared: int | None, photo: bool,
                     label: str) -> Fetched | None:
        """A document's bytes or a photo's codes, downloaded through the Bot API with `download_attempts` tries
        `download_backoff` apart (doubling); `failed` when every try failed, None for a stranger (their files are
        neither fetched nor stored: they get the binding prompt)."""
        actor = await asyncio.to_thread(self.engine.uow.read, lambda tx: actor_for_account(tx, CHANNEL, user_id))
        if actor is None:
            return None
        wait = self.settings.download_backoff
        for attempt in range(1, self.settings.download_attempts + 1):
            try:
                content = await self._download(label, file_id, declared)
            except RetryAfter as error:
                after = error.retry_after
                pause = after.total_seconds() if isinstance(after, timedelta) else float(after)
            except TelegramError as error:  # the network, a timeout, a 5xx: another try may work
                log.warning("telegram: %s not downloaded (try %d of %d): %s", label, attempt,
                            self.settings.download_attempts, error)
                pause, wait = wait, wait * 2
            else:
                if photo:
                    return await photo_contents(content, reader_for(actor, self.engine.reader))
                return Fetched(content=content)
            if attempt < self.settings.download_attempts:
                await asyncio.sleep(pause)
        log.error("telegram: %s not downloaded after %d tries; the person is asked to send it again", label,
                  self.settings.download_attempts)
        return Fetched(failed=True)

    async def _download(self, label: str, file_id: str, declared: int | None) -> bytes | None:
        """The bytes of a file (getFile, then the file URL), or None when it is over `max_file_bytes` (declared, or
        as downloaded) or refused by the Bot API; a failure that another try may mend raises TelegramError."""
        cap = self.settings.max_file_bytes
        if declared is not None and declared > cap:
            log.info("telegram: %s (%d bytes) over the %d byte cap, not downloaded", label, declared, cap)
            return None
        try:
            file = await self.app.bot.get_file(file_id)
        except BadRequest as error:  # "file is too big" (over the Bot API's 20 MB): asking again will not help
            log.warning("telegram: %s not downloaded: %s", label, error.message)
            return None
        if file.file_size is not None and file.file_size > cap:
            return None
        content = await file.download_as_bytearray()
        return None if len(content) > cap else bytes(content)

    async def sweep(self) -> int:
        """Answer what dead processes left on this channel (their leases ran out); how many updates were sent."""
        return await recover(self.engine, CHANNEL, self._turns.turn, self._deliver, self._fetch_pending)

    async def _deliver(self, inbox_id: int, chat_id: str, replies: Sequence[Reply]) -> None:
        try:
            for reply in replies:
                await self.send(chat_id, reply)
        except TelegramError:
            log.exception("telegram: replies to update %d not sent; the sweep resends them when the lease ends",
                          inbox_id)
            self.engine.release(inbox_id)
            return
        self._delivered.append(inbox_id)
        if self._marker is None or self._marker.done():
            self._marker = self.in_flight.spawn(self._mark_delivered(), "telegram-delivered")

    async def _mark_delivered(self) -> None:
        """Confirm sent replies in batches: whatever was sent while the previous batch was being written."""
        while self._delivered:
            ids, self._delivered = self._delivered, []
            await asyncio.to_thread(self.engine.delivered, *ids)


    # ---- sending ---------------------------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply, retries: int | None = None) -> str:
        """One reply as the messages `telegram_pieces.pieces` cuts it into (texts within Telegram's limit, a table
        in `<pre>` or as a picture, an image or a file), buttons on the last; returns the id of the last message
        sent. A 429 is waited out and retried up to `retries` times (`max_retries` by default; the dispatcher
        passes 0 and owns the retries of what it pushes)."""
        retries = self.settings.max_retries if retries is None else retries
        markup = keyboard(reply, self.settings.public_url)
        shown = pieces(reply)
        sent = None
        for n, piece in enumerate(shown):
            keys = markup if n == len(shown) - 1 else None
            await self._pace(chat_id)
            sent = await self._call(self._piece_call(chat_id, piece, keys), retries)
        return "" if sent is None else str(sent.message_id)

    def _piece_call(self, chat_id: str, piece: Piece, keys: InlineKeyboardMarkup | None) -> Callable[[],
                                                                                                  Awaitable[Message]]:
        """The Bot API call that sends one piece."""
        mode = ParseMode.HTML if piece.html else None
        if piece.attachment is None:
            return partial(self.app.bot.send_message, chat_id, piece.text, parse_mode=mode, reply_markup=keys)
        upload = InputFile(piece.attachment.content, filename=piece.attachment.name)
        send = self.app.bot.send_photo if piece.kind == "photo" else self.app.bot.send_document
        return partial(send, chat_id, upload, caption=piece.text or None, parse_mode=mode, reply_markup=keys)

    async def _call(self, call: Callable[[], Awaitable[Message]], retries: int) -> Message:
        """One Bot API call; on 429 wait what Telegram asks and try again, at most `retries` more times."""
        for attempt in range(retries):
            try:
                return await call()
            except RetryAfter as error:
                after = error.retry_after
                log.info("telegram: 429, retry %d of %d after %s", attempt + 1, retries, after)
                await asyncio.sleep(after.total_seconds() if isinstance(after, timedelta) else float(after))
        return await call()

    async def replace(self, chat_id: str, reply: Reply, message_id: str | None, *, or_send: bool = True) -> str | None:
        """Edit the text message `message_id` to say `reply` (editMessageText; buttons as the reply has them, none
        when it has none); when there is none to edit or it is gone, send `reply` anew (`or_send`) or do nothing.
        Returns the id of the message that shows it (None: nothing was sent)."""
        shown = pieces(reply)
        if message_id and message_id.isdigit() and len(shown) == 1 and shown[0].kind == "text":
            await self._pace(chat_id)
            try:
                await self.app.bot.edit_message_text(shown[0].text, chat_id=chat_id, message_id=int(message_id),
                                                     parse_mode=ParseMode.HTML if shown[0].html else None,
                                                     reply_markup=keyboard(reply, self.settings.public_url))
                return message_id
            except BadRequest as error:
                if "not modified" in error.message.lower():
                    return message_id
                log.info("telegram: message %s in %s not edited (%s)", message_id, chat_id, error.message)
        return await self.send(chat_id, reply, retries=0) if or_send else None

    async def _pace(self, chat_id: str) -> None:
        """About `chat_per_second` messages per chat (Telegram's per-chat limit); 0 turns pacing off."""
        if self.settings.chat_per_second <= 0:
            return
        limiter = self._chat_pace.get(chat_id)
        if limiter is None:
            limiter = self._chat_pace[chat_id] = AsyncLimiter(1, 1 / self.settings.chat_per_second)
        await limiter.acquire()

    async def _best_effort(self, call: Any, what: str) -> None:
        try:
            await call
        except TelegramError as error:
            log.warning("telegram: %s failed: %s", what, error)


def too_large() -> web.Response:
    """413, closing the connection instead of reading the rest of the body."""
    response = web.Response(status=413, text="too large")
    response.force_close()
    return response


def to_inbound(update: Update) -> Inbound | None:
    """Text, a button press, a document or a photo from a person; None for anything else (edits, joins, posts)."""
    external_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        if query.message is None or query.data is None:
            return None
        return Inbound(CHANNEL, external_id, str(query.message.chat.id), str(query.from_user.id),
                       button=query.data, display_name=query.from_user.full_name)
    message = update.message
    if message is None or message.from_user is None:
        return None
    user = message.from_user
    if message.text is not None:
        return Inbound(CHANNEL, external_id, str(message.chat.id), str(user.id), text=message.text,
                       display_name=user.full_name)
    if message.photo or (message.document is not None and (message.document.mime_type or "").startswith("image/")):
        picture = message.photo[-1] if message.photo else message.document
        assert picture is not None  # the largest size of a photo, or an image sent as a document
        return Inbound(CHANNEL, external_id, str(message.chat.id), str(user.id), text=message.caption, codes=(),
                       display_name=user.full_name, file_ref=picture.file_id,
                       file_size=picture.file_size)  # the codes are read once the picture is downloaded
    if message.document is not None:
        return Inbound(CHANNEL, external_id, str(message.chat.id), str(user.id), text=message.caption,
                       file_name=message.document.file_name or "file", display_name=user.full_name,
                       file_ref=message.document.file_id, file_size=message.document.file_size)
    return None


def keyboard(reply: Reply, public_url: str = "") -> InlineKeyboardMarkup | None:
    """Inline buttons whose callback_data is the button's short data; a page button opens the page as a Mini App
    (https only, as Telegram requires), as a plain link on http, and is left out without a public address."""
    rows = [[key for key in (_key(b, public_url) for b in row) if key is not None] for row in reply.buttons]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _key(button: Button, public_url: str) -> InlineKeyboardButton | None:
    if not button.link:
        return InlineKeyboardButton(button.label, callback_data=button.data)
    if public_url.startswith("https://"):
        return InlineKeyboardButton(button.label, web_app=WebAppInfo(public_url + button.link))
    if public_url.startswith("http://"):
        return InlineKeyboardButton(button.label, url=public_url + button.link)
    return None


def menu_button(public_url: str, label: str) -> MenuButtonWebApp | None:
    """The chat's menu button opening the pages, when the server has an https address."""
    return MenuButtonWebApp(label, WebAppInfo(public_url + "/app/")) if public_url.startswith("https://") else None
